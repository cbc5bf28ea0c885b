"""The LLM study's findings, each computed from the study's grid and batch sweep
(:mod:`imcbench.studies.llm`); a difference under :data:`imcbench.results.TIE_RELATIVE` is a tie."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from imcbench import results as vocab


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
