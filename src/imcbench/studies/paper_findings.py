"""The paper's claims (:data:`PAPER_CLAIMS`, written as data) tested with one run's numbers of the
AIMC-vs-DIMC study, in each mapping space, plus what goes beyond the paper (attention, the accuracy
constraint). Figures within :data:`TIE_RELATIVE` of each other are ties (:func:`imcbench.results.is_tie`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from imcbench import results as vocab
from imcbench.evaluation import ENERGY_GROUPS, OPTIONAL_ENERGY_GROUPS
from imcbench.studies.paper_settings import KINDS, StudySettings

TIE_RELATIVE = vocab.TIE_RELATIVE  # the studies' one tie rule (imcbench.results.is_tie)
HOLDS, FAILS, TIE, HOLDS_ONLY = "holds", "does not hold", "tie", "holds only for"
NOT_TESTED, MEASURED = "not tested", "measured"


@dataclass(frozen=True)
class PaperClaim:
    """A claim of the paper and how this run's numbers test it."""

    text: str  # the paper's claim
    source: str  # where the paper makes it
    test: str  # the comparison made with this run's numbers


PAPER_CLAIMS = {
    "dimc_density": PaperClaim(
        "DIMC generally has a higher computational density (TOPS/mm2) than AIMC",
        "abstract; Fig. 8, DIMC denser at every size (zigzag-imc paper_data/peak_vs_macro_size.csv)",
        "DIMC's TOPS/mm2 above AIMC's at every macro size: macro peak, and the geometric mean of the paper's "
        "networks"),
    "aimc_large_conv_pw": PaperClaim(
        "AIMC with large macros can be more energy-efficient than DIMC on convolutional and pointwise layers, "
        "which exploit high spatial unrolling", "abstract",
        "best AIMC TOPS/W at >= 256 rows above the best DIMC TOPS/W at any size, on the conv and the pointwise "
        "layer, at macro level (array and periphery) and system level (with weight, input, output traffic)"),
    "dimc_small_depthwise": PaperClaim(
        "DIMC with small macros beats AIMC on depthwise layers, which offer little spatial unrolling inside a "
        "macro", "abstract",
        "best DIMC TOPS/W at <= 128 rows above the best AIMC TOPS/W at any size on the depthwise layer, at macro "
        "and system level"),
    "energy_dominance": PaperClaim(
        "at system level the memory accesses, above all the weights loaded from DRAM, dominate the energy",
        "attributed to the paper's system-level results by earlier versions of this study; not in its abstract",
        "at each network's most energy-efficient macro, the weights are the largest of the energy parts "
        "(macro, weights, inputs, outputs)"),
    "best_macro_size": PaperClaim(
        "no single macro is best for every network: the best IMC design depends on the workload "
        "(workload-hardware co-design)", "the paper's overview: workload-hardware co-design insight",
        "no macro is the most energy-efficient (within the tie margin) on every network"),
}


@dataclass(frozen=True)
class Finding(vocab.ResultMixin):
    """One tested statement: its status and agreement with the paper are computed from ``numbers``."""

    key: str
    statement: str
    status: str  # holds | does not hold | tie | holds only for ... | measured | not tested
    numbers: dict
    paper: str = ""  # the paper's claim; "" when the finding goes beyond the paper
    mapping_space: str = "full"

    @property
    def holds(self) -> bool:
        return self.status == HOLDS

    @property
    def agreement(self) -> str:
        """How this run's status compares with the paper's claim (which predicts 'holds')."""
        if not self.paper:
            return "beyond the paper"
        if self.status == HOLDS:
            return "agrees with the paper"
        if self.status.startswith(HOLDS_ONLY):
            return "agrees with the paper only in part"
        if self.status == TIE:
            return "a tie: neither confirms nor contradicts the paper"
        if self.status == NOT_TESTED:
            return "not tested"
        return "disagrees with the paper"

    @property
    def agrees_with_paper(self) -> bool | None:
        return (self.status == HOLDS) if self.paper and self.status != NOT_TESTED else None

    def to_dict(self) -> dict:
        return asdict(self) | {"holds": self.holds, "agreement": self.agreement,
                               "agrees_with_paper": self.agrees_with_paper}

    def sentence(self) -> str:
        return f"{self.statement}: {self.status} ({self.agreement})."


def outcome(claimed: float, other: float) -> str:
    """'yes' when ``claimed`` beats ``other`` by more than :data:`TIE_RELATIVE` of the larger, 'tie' within
    it, else 'no'."""
    if vocab.is_tie(claimed, other):
        return "tie"
    return "yes" if claimed > other else "no"


def claim_status(cases: dict[str, dict[str, str]], unit: str = "") -> str:
    """The status of a claim tested case by case: ``cases`` maps a scope ('' for none) to {case: outcome}.
    Holds when every case is 'yes', a tie when every case is a tie, does not hold when none is 'yes',
    else 'holds only for' the cases that are 'yes' (never an empty list)."""
    outcomes = [o for scope in cases.values() for o in scope.values()]
    if not outcomes:
        return NOT_TESTED
    if all(o == "yes" for o in outcomes):
        return HOLDS
    if all(o == "tie" for o in outcomes):
        return TIE
    if "yes" not in outcomes:
        return FAILS
    parts = []
    for scope, items in cases.items():
        yes = [item for item, o in items.items() if o == "yes"]
        if yes:
            parts.append(f"{scope} {', '.join(yes)}{unit}".strip())
    return f"{HOLDS_ONLY} {'; '.join(parts)}"


def _claim(key: str) -> str:
    claim = PAPER_CLAIMS[key]
    return f"{claim.text} ({claim.source})"


def findings(peak: pd.DataFrame, layers: pd.DataFrame, networks: pd.DataFrame, settings: StudySettings,
             mapping_space: str | None = None) -> list[Finding]:
    """The paper's claims tested with this run's numbers in one mapping space (default: the settings'
    first), plus what goes beyond the paper (attention, the accuracy constraint)."""
    space = mapping_space or settings.mapping_spaces[0]
    layers, networks = in_space(layers, space), in_space(networks, space)
    out = [_density_finding(peak, networks), _large_aimc_finding(layers, settings),
           _small_dimc_finding(layers, settings), _best_size_finding(networks), _dominance_finding(networks)]
    if "attention_energy_pj" in networks and (networks.attention_energy_pj.fillna(0) > 0).any():
        out.append(_attention_finding(networks))
    if settings.min_sqnr_db is not None:
        out.append(_accuracy_finding(networks, settings.min_sqnr_db))
    return [replace(f, mapping_space=space) for f in out]


def findings_by_space(peak, layers, networks, settings: StudySettings) -> dict[str, list[Finding]]:
    """:func:`findings` in every mapping space of the settings."""
    return {space: findings(peak, layers, networks, settings, space) for space in settings.mapping_spaces}


def in_space(frame: pd.DataFrame, space: str) -> pd.DataFrame:
    if "mapping_space" not in frame:
        return frame
    return frame[frame.mapping_space == space].reset_index(drop=True)


def pivot_by_size(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame.pivot_table(index="rows", columns="kind", values=metric)


def _density_finding(peak: pd.DataFrame, networks: pd.DataFrame) -> Finding:
    macro = pivot_by_size(peak, "tops_per_mm2")
    geo = pivot_by_size(networks[networks.network == "geomean"], "tops_per_mm2")
    cases = {"macro peak at": {f"{s}": outcome(macro.loc[s, "dimc"], macro.loc[s, "aimc"]) for s in macro.index},
             "networks (geomean) at": {f"{s}": outcome(geo.loc[s, "dimc"], geo.loc[s, "aimc"]) for s in geo.index}}
    cases = {scope: items for scope, items in cases.items() if items}
    return Finding("dimc_density", "DIMC has a higher computational density (TOPS/mm2) than AIMC",
                   claim_status(cases, " rows"), {"macro_tops_per_mm2": macro.round(4).to_dict(),
                                         "network_geomean_tops_per_mm2": geo.round(5).to_dict(),
                                         "dimc_denser": cases}, _claim("dimc_density"))


def _large_aimc_finding(layers: pd.DataFrame, settings: StudySettings) -> Finding:
    large = [s for s in settings.sizes if s >= 256] or [max(settings.sizes)]
    numbers, cases = {"large_sizes": large}, {}
    for level, metric in (("macro", "macro_tops_per_w"), ("system", "tops_per_w")):
        for layer_type in ("conv", "pointwise"):
            sub = layers[layers.layer_type == layer_type]
            aimc = float(sub[(sub.kind == "aimc") & sub.rows.isin(large)][metric].max())
            dimc = float(sub[sub.kind == "dimc"][metric].max())
            numbers[f"{level}.{layer_type}"] = {"best_aimc_tops_per_w_large": round(aimc, 3),
                                                "best_dimc_tops_per_w": round(dimc, 3)}
            cases.setdefault(f"{level} level:", {})[layer_type] = outcome(aimc, dimc)
    numbers["aimc_better"] = cases
    return Finding("aimc_large_conv_pw", "AIMC with large macros is more energy-efficient than DIMC on conv and "
                   "pointwise layers", claim_status(cases), numbers, _claim("aimc_large_conv_pw"))


def _small_dimc_finding(layers: pd.DataFrame, settings: StudySettings) -> Finding:
    small = [s for s in settings.sizes if s <= 128] or [min(settings.sizes)]
    sub = layers[layers.layer_type == "depthwise"]
    numbers, cases = {"small_sizes": small}, {"": {}}
    for level, metric in (("macro", "macro_tops_per_w"), ("system", "tops_per_w")):
        dimc = float(sub[(sub.kind == "dimc") & sub.rows.isin(small)][metric].max())
        aimc = float(sub[sub.kind == "aimc"][metric].max())
        numbers[level] = {"best_dimc_tops_per_w_small": round(dimc, 3), "best_aimc_tops_per_w": round(aimc, 3),
                          "by_size": pivot_by_size(sub, metric).round(3).to_dict()}
        cases[""][f"{level} level"] = outcome(dimc, aimc)
    numbers["dimc_better"] = cases[""]
    return Finding("dimc_small_depthwise", "DIMC with small macros beats AIMC on depthwise layers",
                   claim_status(cases), numbers, _claim("dimc_small_depthwise"))


def best_macros(sub: pd.DataFrame, metric: str) -> list[str]:
    """The macros ('aimc 256') within :data:`TIE_RELATIVE` of the best ``metric`` of ``sub``, best first."""
    ranked = sub.sort_values(metric, ascending=False)
    top = float(ranked[metric].iloc[0])
    near = ranked[ranked[metric] >= top * (1 - TIE_RELATIVE)]
    return [f"{r.kind} {int(r.rows)}" for r in near.itertuples()]


def describe_best(macros: list[str]) -> str:
    """'aimc 512', 'aimc 128 = dimc 128 (tie)' (tied macros in kind and size order: the same tie reads the
    same whatever the order of its figures) or '12 macros tie'."""
    if len(macros) == 1:
        return macros[0]
    if len(macros) <= 3:
        ordered = sorted(macros, key=lambda m: (m.split()[0], int(m.split()[1])))
        return " = ".join(ordered) + " (tie)"
    return f"{len(macros)} macros tie (within {TIE_RELATIVE:.0%})"


def _best_size_finding(networks: pd.DataFrame) -> Finding:
    best, near = {}, {}
    for network, sub in networks.groupby("network", sort=False):
        entry = {}
        for kind in KINDS:
            k = sub[sub.kind == kind]
            entry[kind] = {"best_rows_tops_per_w": int(k.loc[k.tops_per_w.idxmax(), "rows"]),
                           "tops_per_w": round(float(k.tops_per_w.max()), 3),
                           "best_rows_tops_per_mm2": int(k.loc[k.tops_per_mm2.idxmax(), "rows"]),
                           "tops_per_mm2": round(float(k.tops_per_mm2.max()), 4)}
        near[network] = best_macros(sub, "tops_per_w")
        entry["most_efficient"] = describe_best(near[network])
        entry["within_tie_of_best"] = near[network]
        best[network] = entry
    real = [n for n in near if n != "geomean"]
    common = set.intersection(*(set(near[n]) for n in real)) if real else set()
    status = NOT_TESTED if len(real) < 2 else FAILS if common else HOLDS
    best["best_on_every_network"] = sorted(common)
    text = "; ".join(f"{n}: {near_text}" for n, near_text in ((n, describe_best(near[n])) for n in near))
    return Finding("best_macro_size", f"No single macro is the most energy-efficient for every network ({text})",
                   status, best, _claim("best_macro_size"))


def _dominance_finding(networks: pd.DataFrame) -> Finding:
    shares, cases = {}, {"": {}}
    for network, sub in networks[networks.network != "geomean"].groupby("network", sort=False):
        best = sub.loc[sub.tops_per_w.idxmax()]
        parts = {g: float(best[f"energy_pj.{g}"]) for g in ENERGY_GROUPS}
        total = sum(parts.values())
        top = max(parts.values())
        largest = [g for g in ENERGY_GROUPS if parts[g] >= top * (1 - TIE_RELATIVE)]
        shares[network] = {"at": f"{best.kind} {int(best.rows)}", "largest": largest,
                           "shares": {g: round(v / total, 3) for g, v in parts.items()
                                      if v or g not in OPTIONAL_ENERGY_GROUPS}}  # unmodeled: not listed
        cases[""][network] = outcome(parts["weights"], max(v for g, v in parts.items() if g != "weights"))
    largest = "; ".join(f"{n}: {' = '.join(v['largest'])}" for n, v in shares.items())
    return Finding("energy_dominance", "At system level the weights loaded from DRAM are the largest part of the "
                   f"energy (largest part at each network's most efficient macro: {largest})",
                   claim_status(cases), shares | {"weights_largest": cases[""]}, _claim("energy_dominance"))


def _attention_finding(networks: pd.DataFrame) -> Finding:
    sub = networks[networks.attention_energy_pj.fillna(0) > 0]
    numbers = {}
    for _, row in sub.iterrows():
        numbers[f"{row.network} {row.kind} {int(row.rows)}"] = {
            "attention_share_of_energy": round(row.attention_energy_pj / row.energy_pj, 3),
            "weight_writing_share_of_attention": round(row.attention_weight_write_pj / row.attention_energy_pj, 3)}
    share = float(np.median([v["weight_writing_share_of_attention"] for v in numbers.values()]))
    return Finding("attention_weight_writing",
                   f"Writing the attention operands into the array costs a median {share:.0%} of the attention "
                   "layers' energy", MEASURED, numbers)


def _accuracy_finding(networks: pd.DataFrame, min_sqnr_db: float) -> Finding:
    """Most efficient AIMC macro whose worst layer keeps ``min_sqnr_db``, against the best DIMC."""
    numbers, cases = {}, {"": {}}
    for network, sub in networks[networks.network != "geomean"].groupby("network", sort=False):
        ok = sub[(sub.kind == "aimc") & (sub.min_layer_sqnr_db >= min_sqnr_db)]
        dimc = sub[sub.kind == "dimc"]
        best_dimc = dimc.loc[dimc.tops_per_w.idxmax()]
        entry = {"best_dimc": {"rows": int(best_dimc.rows), "tops_per_w": round(float(best_dimc.tops_per_w), 3)}}
        if ok.empty:
            entry["best_aimc"] = None
            cases[""][network] = "no"
        else:
            best = ok.loc[ok.tops_per_w.idxmax()]
            entry["best_aimc"] = {"rows": int(best.rows), "tops_per_w": round(float(best.tops_per_w), 3),
                                  "min_layer_sqnr_db": round(float(best.min_layer_sqnr_db), 1)}
            cases[""][network] = outcome(float(best.tops_per_w), float(best_dimc.tops_per_w))
        numbers[network] = entry
    numbers["aimc_better"] = cases[""]
    return Finding("accuracy_constrained", f"With every layer at or above {min_sqnr_db:g} dB SQNR, AIMC is more "
                   "energy-efficient than DIMC", claim_status(cases), numbers)
