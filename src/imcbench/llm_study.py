"""The LLM study: AIMC or DIMC, SRAM or non-volatile cells, for the prefill and decode of decoder-only LLMs.

For each built-in LLM (:mod:`imcbench.workload.llm`), prefill of N tokens and decode at a KV length L,
batch 1 and 16, on the paper's AIMC and DIMC systems (:func:`imcbench.hardware.presets.paper_system`,
256 rows by default) with SRAM, RRAM and PCM cells, and for each act x act policy
(:class:`imcbench.llm_eval.LLMPolicy`): energy per token, tokens/s, area, the share of energy spent
(re)loading weights and on the KV cache, the lifetime of non-volatile cells at the evaluated token rate,
and the worst-layer SQNR of the AIMC choices (analog noise and quantization model with the cell's read
and programming noise, :mod:`imcbench.accuracy`). A batch sweep finds the batch at which AIMC with
non-volatile cells reprogrammed every batch breaks even with DIMC on SRAM.

Every finding is computed from this run's numbers (:func:`llm_findings`); a difference under
:data:`imcbench.results.TIE_RELATIVE` is a tie. Pure functions returning DataFrames; the report layer's
:func:`imcbench.report.llm_report.run_llm_study` runs them and writes the files.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.hardware.config import build_system
from imcbench.hardware.presets import paper_system_config
from imcbench.llm_eval import LLMPolicy, evaluate_llm
from imcbench.workload.llm import BUILTIN_LLMS, builtin_llm, llm_decode, llm_prefill

DEFAULT_MODELS = tuple(BUILTIN_LLMS)
DEFAULT_CELLS = ("sram6t", "rram", "pcm")
DEFAULT_BATCHES = (1, 16)
BREAK_EVEN_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
KINDS = ("aimc", "dimc")
RESULT_FILES = ("llm_results.csv", "llm_break_even.csv", "llm_findings.json", "llm_report.html")


@dataclass(frozen=True)
class LLMStudySettings:
    """What the LLM study sweeps; defaults answer the issue's questions."""

    models: tuple[str, ...] = DEFAULT_MODELS
    prefill_tokens: int = 1024
    decode_length: int = 1024
    batches: tuple[int, ...] = DEFAULT_BATCHES
    cells: tuple[str, ...] = DEFAULT_CELLS
    rows: int = 256
    act_act: tuple[str, ...] = ("array", "digital_unit")
    kv_cache: str = "dram"
    break_even_batches: tuple[int, ...] = BREAK_EVEN_BATCHES
    break_even_model: str = "gpt2"
    objective: str = "energy"

    def __post_init__(self) -> None:
        for name in self.models:
            builtin_llm(name)  # raises on an unknown model
        from imcbench.celltech import get_cell

        for cell in self.cells:
            get_cell(cell)  # raises, listing the known cells
        if not self.models or not self.cells or not self.batches or not self.act_act:
            raise ImcbenchError("the LLM study needs at least one model, cell, batch and act x act policy")
        for policy in self.act_act:
            LLMPolicy(policy, self.kv_cache)  # raises on an unknown policy
        if any(b < 1 for b in (*self.batches, *self.break_even_batches)):
            raise ImcbenchError("batches must be >= 1")
        if self.rows < 8 or self.rows % 8:
            raise ImcbenchError(f"macro size {self.rows} must be a multiple of 8 (the weight bits), e.g. 256")

    def system(self, kind: str, cell: str):
        return build_system(paper_system_config(kind, self.rows, cell=cell))

    def workloads(self, model: str, batch: int):
        config = builtin_llm(model)
        return (llm_prefill(config, self.prefill_tokens, batch), llm_decode(config, self.decode_length, batch))

    def to_dict(self) -> dict:
        return asdict(self)


# --- the grid ------------------------------------------------------------------------------------
def llm_table(settings: LLMStudySettings, progress: Callable[[str], None] = lambda m: None) -> pd.DataFrame:
    """One row per model x phase x batch x kind x cell x act x act policy, with the evaluation's wall time."""
    systems, _ = study_systems(settings)
    rows = []
    for model in settings.models:
        progress(f"LLM study: {model}")
        for batch in settings.batches:
            for work in settings.workloads(model, batch):
                for (kind, cell), system in systems.items():
                    for act_act in settings.act_act:
                        policy = LLMPolicy(act_act, settings.kv_cache)
                        start = time.perf_counter()
                        result = evaluate_llm(work, system, policy, settings.objective)
                        row = result.to_dict()
                        row["eval_s"] = time.perf_counter() - start
                        row.pop("energy_breakdown_pj")
                        row.pop("not_modeled")
                        row.pop("extra_area_mm2")
                        row.update({f"energy_pj.{g}": v for g, v in llm_energy_groups(result).items()})
                        row["worst_sqnr_db"] = worst_sqnr_db(work.network, system, act_act)
                        rows.append(row)
    return pd.DataFrame(rows)


def study_systems(settings: LLMStudySettings) -> tuple[dict, dict[str, str]]:
    """The (kind, cell) systems of the grid, and the combinations left out with the reason (a DIMC macro
    computes on digital cells only: DIMC with RRAM or PCM is not a modeled design)."""
    systems, skipped = {}, {}
    for kind in KINDS:
        for cell in settings.cells:
            try:
                systems[(kind, cell)] = settings.system(kind, cell)
            except ImcbenchError as exc:
                skipped[f"{kind} {cell}"] = str(exc)
    return systems, skipped


LLM_GROUPS = ("weights", "kv_cache", "act_act", "macro", "activations", "leakage")


def llm_energy_groups(result) -> dict[str, float]:
    """A step's energy in groups: weight (re)loading, KV-cache traffic and writes, act x act engines, the
    macros' compute, activation traffic (inputs and outputs), cell leakage (when modeled), pJ."""
    groups = dict.fromkeys(LLM_GROUPS, 0.0)
    for key, value in result.result.energy_breakdown_pj.items():
        if key.startswith("weights.") or key.endswith(".W"):
            groups["weights"] += value
        elif key.startswith("kv_cache."):
            groups["kv_cache"] += value
        elif key.startswith("act_act."):
            groups["act_act"] += value
        elif key.startswith("macro."):
            groups["macro"] += value
        elif key.startswith("leakage."):
            groups["leakage"] += value
        else:
            groups["activations"] += value
    return groups


def worst_sqnr_db(network, system, act_act: str) -> float:
    """Worst-layer SQNR (dB) of the layers the macros compute (act x act ones too when in the array), with
    the cell's read and programming noise right after programming (:mod:`imcbench.accuracy.cellnoise`; PCM
    drift is left out: the weights are reprogrammed every step). DIMC: exact products, only operand
    quantization."""
    from imcbench.accuracy import layer_sqnr_db
    from imcbench.accuracy.cellnoise import cell_noise_settings

    macro = system.macro
    in_array = act_act in ("array", f"{macro.kind}_write")
    lengths = sorted({layer.C * layer.FY * layer.FX for layer in network
                      if layer.weight_is_constant or in_array})
    adc = macro.resolved_adc_bits if macro.kind == "aimc" else np.nan
    noise = cell_noise_settings(macro.cell, rows=macro.rows, bits_per_cycle=macro.bits_per_cycle)
    return float(min(np.min(layer_sqnr_db(n, macro.rows, adc, macro.bits_per_cycle, macro.input_bits,
                                          macro.weight_bits, noise["read_noise"], kind=macro.kind,
                                          cell_sigma=noise["cell_sigma"])) for n in lengths))


def break_even_table(settings: LLMStudySettings) -> pd.DataFrame:
    """Energy per token of decode and prefill against the batch, for AIMC with each cell and DIMC on SRAM,
    under each act x act policy, on ``settings.break_even_model``."""
    config = builtin_llm(settings.break_even_model)
    designs = [("aimc", c) for c in settings.cells] + [("dimc", "sram6t")]
    systems = {d: settings.system(*d) for d in designs}
    rows = []
    for act_act in settings.act_act:
        policy = LLMPolicy(act_act, settings.kv_cache)
        for batch in settings.break_even_batches:
            for phase, work in (("prefill", llm_prefill(config, settings.prefill_tokens, batch)),
                                ("decode", llm_decode(config, settings.decode_length, batch))):
                for (kind, cell), system in systems.items():
                    r = evaluate_llm(work, system, policy, settings.objective)
                    rows.append({"model": config.name, "phase": phase, "batch": batch, "kind": kind, "cell": cell,
                                 "act_act": act_act, "energy_per_token_uj": r.energy_per_token_uj,
                                 "tokens_per_s": r.tokens_per_s, "weight_load_share": r.weight_load_share,
                                 "kv_cache_share": r.kv_cache_share, "lifetime_years": r.lifetime_years})
    return pd.DataFrame(rows)


def break_even_batch(sweep: pd.DataFrame, phase: str, cell: str) -> int | None:
    """The smallest batch at which AIMC with ``cell`` costs no more energy per token than DIMC on SRAM
    (a tie counts), None if none in the sweep."""
    sub = sweep[sweep.phase == phase]
    aimc = sub[(sub.kind == "aimc") & (sub.cell == cell)].set_index("batch").energy_per_token_uj
    dimc = sub[(sub.kind == "dimc") & (sub.cell == "sram6t")].set_index("batch").energy_per_token_uj
    for batch in sorted(aimc.index):
        if batch in dimc.index and aimc[batch] <= dimc[batch] * (1 + vocab.TIE_RELATIVE):
            return int(batch)
    return None


# --- findings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LLMFinding(vocab.ResultMixin):
    key: str
    statement: str
    verdict: str  # "holds", "does not hold", "tie", or a computed value for the informative ones
    numbers: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        return f"{self.statement}: {self.verdict}"


def compare(lower_is_claimed: float, other: float) -> str:
    """'holds' if the first number is lower than the second by more than the tie tolerance, 'tie' within
    it, 'does not hold' otherwise."""
    if not (np.isfinite(lower_is_claimed) and np.isfinite(other)):
        return "holds" if lower_is_claimed < other else "does not hold"
    if vocab.is_tie(lower_is_claimed, other):
        return "tie"
    return "holds" if lower_is_claimed < other else "does not hold"


def _pick(table: pd.DataFrame, **where) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for key, value in where.items():
        mask &= (table[key] == value).to_numpy()
    return table[mask]


def llm_findings(table: pd.DataFrame, sweep: pd.DataFrame | None = None) -> list[LLMFinding]:
    """The study's findings, each computed from ``table`` (and the batch ``sweep``)."""
    out = []
    policies = list(dict.fromkeys(table.act_act))
    for phase in ("decode", "prefill"):
        for policy in policies:
            for batch in sorted(set(table.batch)):
                out.append(_kind_finding(table, phase, policy, int(batch)))
    for phase in ("decode", "prefill"):
        out.append(_cell_finding(table, phase, policies[0]))
    out.append(_weight_share_finding(table, policies[0]))
    out.append(_speed_finding(table, policies[0]))
    out.append(_lifetime_finding(table))
    out.append(_sqnr_finding(table))
    if sweep is not None and len(sweep):
        out.extend(_break_even_findings(sweep))
    return out


def _kind_finding(table, phase, policy, batch) -> LLMFinding:
    numbers, verdicts = {}, []
    for model in dict.fromkeys(table.model):
        a = _pick(table, model=model, phase=phase, act_act=policy, batch=batch, kind="aimc", cell="sram6t")
        d = _pick(table, model=model, phase=phase, act_act=policy, batch=batch, kind="dimc", cell="sram6t")
        if a.empty or d.empty:
            continue
        ea, ed = float(a.energy_per_token_uj.iloc[0]), float(d.energy_per_token_uj.iloc[0])
        verdict = compare(ea, ed)
        verdicts.append(verdict)
        numbers[model] = {"aimc_uj_per_token": round(ea, 3), "dimc_uj_per_token": round(ed, 3), "verdict": verdict}
    return LLMFinding(f"aimc_beats_dimc.{phase}.{policy}.b{batch}",
                      f"AIMC beats DIMC on {phase} energy per token (SRAM cells, act x act: {policy}, batch {batch})",
                      _overall(verdicts), numbers)


def _overall(verdicts: list[str]) -> str:
    """One verdict over models: unanimous, else 'mixed (holds for k of n)'."""
    if not verdicts:
        return "no data"
    if len(set(verdicts)) == 1:
        return verdicts[0]
    return f"mixed (holds for {verdicts.count('holds')} of {len(verdicts)}, ties {verdicts.count('tie')})"


def _cell_finding(table, phase, policy) -> LLMFinding:
    numbers, verdicts = {}, []
    for model in dict.fromkeys(table.model):
        for batch in sorted(set(table.batch)):
            sub = _pick(table, model=model, phase=phase, act_act=policy, batch=batch, kind="aimc")
            sram = sub[sub.cell == "sram6t"].energy_per_token_uj
            for cell in [c for c in dict.fromkeys(sub.cell) if c != "sram6t"]:
                other = sub[sub.cell == cell].energy_per_token_uj
                if sram.empty or other.empty:
                    continue
                verdict = compare(float(sram.iloc[0]), float(other.iloc[0]))
                verdicts.append(verdict)
                numbers[f"{model} b{batch} vs {cell}"] = {"sram_uj": round(float(sram.iloc[0]), 3),
                                                          f"{cell}_uj": round(float(other.iloc[0]), 3),
                                                          "verdict": verdict}
    return LLMFinding(f"sram_beats_nvm.{phase}", f"On AIMC with weights reloaded every step, SRAM cells cost less "
                      f"energy per token than non-volatile cells ({phase}, act x act: {policy})",
                      _overall(verdicts), numbers)


def _weight_share_finding(table, policy) -> LLMFinding:
    sub = _pick(table, phase="decode", batch=min(table.batch), act_act=policy, cell="sram6t")
    shares = {f"{r.model} {r.kind}": round(float(r.weight_load_share), 3) for r in sub.itertuples()}
    verdicts = ["holds" if s > 0.5 else "does not hold" for s in shares.values()]
    return LLMFinding("decode_weight_loading_dominates",
                      f"At batch {min(table.batch)}, weight (re)loading is more than half of the decode energy "
                      f"(SRAM cells, act x act: {policy})", _overall(verdicts), shares)


def _speed_finding(table, policy) -> LLMFinding:
    numbers, verdicts = {}, []
    for (model, phase, batch), sub in _pick(table, act_act=policy, cell="sram6t").groupby(
            ["model", "phase", "batch"], sort=False):
        a, d = sub[sub.kind == "aimc"], sub[sub.kind == "dimc"]
        if a.empty or d.empty:
            continue
        ta, td = float(a.tokens_per_s.iloc[0]), float(d.tokens_per_s.iloc[0])
        verdict = compare(1 / td, 1 / ta)  # DIMC faster = its time per token lower
        verdicts.append(verdict)
        numbers[f"{model} {phase} b{batch}"] = {"aimc_tokens_per_s": round(ta, 3), "dimc_tokens_per_s": round(td, 3),
                                                "verdict": verdict}
    return LLMFinding("dimc_more_tokens_per_s", f"DIMC delivers more tokens/s than AIMC (SRAM, act x act: {policy})",
                      _overall(verdicts), numbers)


def _lifetime_finding(table) -> LLMFinding:
    nvm = table[np.isfinite(table.lifetime_years.astype(float))]
    if nvm.empty:
        return LLMFinding("nvm_lifetime", "Lifetime of non-volatile cells at the evaluated token rate", "no NVM cells")
    worst = nvm.loc[nvm.lifetime_years.idxmin()]
    best = nvm.loc[nvm.lifetime_years.idxmax()]
    describe = lambda r: f"{r.model} {r.phase} b{r.batch} {r.kind} {r.cell} {r.act_act}"  # noqa: E731
    return LLMFinding("nvm_lifetime", "Lifetime of non-volatile cells rewritten every step, at the evaluated "
                      "token rate (years, shortest and longest)",
                      f"{float(worst.lifetime_years):.3g} to {float(best.lifetime_years):.3g} years",
                      {"shortest": {"case": describe(worst), "years": float(worst.lifetime_years)},
                       "longest": {"case": describe(best), "years": float(best.lifetime_years)}})


def _sqnr_finding(table) -> LLMFinding:
    aimc = table[table.kind == "aimc"]
    by_cell = aimc.groupby("cell", sort=False).worst_sqnr_db.min().round(2).to_dict()
    dimc = table[table.kind == "dimc"].worst_sqnr_db.min()
    best_cell = max(by_cell, key=by_cell.get)
    return LLMFinding("aimc_sqnr", "Worst-layer SQNR of the AIMC choices (dB, per cell; DIMC exact up to operand "
                      f"quantization: {dimc:.1f} dB)", f"best {best_cell} ({by_cell[best_cell]:.1f} dB)",
                      {"aimc_by_cell": by_cell, "dimc": round(float(dimc), 2)})


def _break_even_findings(sweep: pd.DataFrame) -> list[LLMFinding]:
    out = []
    if "act_act" not in sweep:
        sweep = sweep.assign(act_act="array")
    for policy, by_policy in sweep.groupby("act_act", sort=False):
        for phase in ("decode", "prefill"):
            numbers = {cell: break_even_batch(by_policy, phase, cell)
                       for cell in dict.fromkeys(by_policy[by_policy.kind == "aimc"].cell)}
            largest = int(by_policy.batch.max())
            text = ", ".join(f"{c}: {'batch ' + str(b) if b else 'not within batch ' + str(largest)}"
                             for c, b in numbers.items())
            out.append(LLMFinding(f"break_even.{phase}.{policy}", f"Smallest batch at which AIMC (cells "
                                  f"reprogrammed every batch) costs no more energy per token than DIMC on SRAM, "
                                  f"{by_policy.model.iloc[0]} {phase}, act x act: {policy}", text, numbers))
    return out


# --- files ---------------------------------------------------------------------------------------
@dataclass
class LLMStudyResult:
    out_dir: Path
    table: pd.DataFrame
    sweep: pd.DataFrame
    findings: list[LLMFinding]
    wall_s: float
    figures: list[str]
    skipped: dict[str, str]


def plain(value):
    """``value`` as strict JSON data: numpy numbers as Python ones, infinities as the string 'inf'."""
    return vocab.plain(value, non_finite="string")
