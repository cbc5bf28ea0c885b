"""The LLM study: AIMC or DIMC, SRAM or non-volatile cells, for the prefill and decode of decoder-only LLMs.

For each built-in LLM (:mod:`imcbench.workload.llm`), prefill of N tokens and decode at a KV length L,
batch 1 and 16, on the paper's AIMC and DIMC systems (:func:`imcbench.hardware.presets.paper_system`,
256 rows by default) with SRAM, RRAM and PCM cells, and for each act x act policy
(:class:`imcbench.llm_eval.LLMPolicy`): energy per token, tokens/s, area, the share of energy spent
(re)loading weights and on the KV cache, the lifetime of non-volatile cells at the evaluated token rate,
and the worst-layer SQNR of the AIMC choices (analog noise and quantization model with the cell's read
and programming noise, :mod:`imcbench.accuracy`). A batch sweep finds the batch at which AIMC with
non-volatile cells reprogrammed every batch breaks even with DIMC on SRAM.

Every finding is computed from this run's numbers (:mod:`imcbench.studies.llm_findings`); a difference
under :data:`imcbench.results.TIE_RELATIVE` is a tie. :func:`llm_study` computes everything into an
:class:`LLMStudyResult`; :func:`imcbench.report.llm_report.run_llm_study` writes its tables, figures and HTML.
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
from imcbench.studies.llm_findings import LLMFinding, llm_findings
from imcbench.workload.llm import BUILTIN_LLMS, builtin_llm, llm_decode, llm_prefill

DEFAULT_MODELS = tuple(BUILTIN_LLMS)
DEFAULT_CELLS = ("sram6t", "rram", "pcm")
DEFAULT_BATCHES = (1, 16)
BREAK_EVEN_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
KINDS = ("aimc", "dimc")


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


# --- the whole study ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LLMStudyResult(vocab.ResultMixin):
    """Everything one run of the LLM study found: the grid, the batch sweep, the findings and the designs
    left out. ``to_frame()`` is the grid (llm_results.csv); ``to_dict()`` holds both tables as records."""

    settings: LLMStudySettings
    table: pd.DataFrame  # one row per model x phase x batch x kind x cell x act x act policy
    sweep: pd.DataFrame  # the break-even batch sweep
    findings: list[LLMFinding]
    skipped: dict[str, str] = field(default_factory=dict)  # design left out -> why
    wall_s: float = 0.0  # s, of the computation (the report's figures not included)
    out_dir: Path | None = None  # the folder the report wrote, None before

    def to_dict(self) -> dict:
        return vocab.plain({"settings": self.settings.to_dict(), "wall_s": self.wall_s, "out_dir": self.out_dir,
                            "findings": [f.to_dict() for f in self.findings], "skipped": self.skipped,
                            "table": self.table.to_dict("records"), "sweep": self.sweep.to_dict("records")})

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def findings_document(self) -> dict:
        """The settings, wall time, findings and designs left out: ``llm_findings.json`` and the CLI's JSON."""
        return {"settings": self.settings.to_dict(), "wall_s": self.wall_s,
                "findings": [f.to_dict() for f in self.findings], "skipped_designs": self.skipped}


def llm_study(settings: LLMStudySettings, progress: Callable[[str], None] = lambda m: None) -> LLMStudyResult:
    """Run the grid and the batch sweep and compute the findings; ``progress`` receives a line per stage."""
    start = time.perf_counter()
    table = llm_table(settings, progress)
    progress("LLM study: batch sweep for the break-even batch")
    sweep = break_even_table(settings)
    found = llm_findings(table, sweep)
    skipped = study_systems(settings)[1]
    return LLMStudyResult(settings, table, sweep, found, skipped, time.perf_counter() - start)
