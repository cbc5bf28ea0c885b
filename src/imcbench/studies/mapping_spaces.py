"""Which conclusions of the AIMC-vs-DIMC study depend on the mapping space: each finding's status and
each network's conclusions side by side in every space."""

from __future__ import annotations

import pandas as pd

from imcbench.evaluation import ENERGY_GROUPS
from imcbench.studies.paper_findings import (TIE_RELATIVE, Finding, best_macros, describe_best, in_space, outcome,
                                             pivot_by_size)


def finding_differences(found: dict[str, list[Finding]]) -> pd.DataFrame:
    """One row per finding: its status in each mapping space and whether they differ."""
    spaces = list(found)
    keys = list(dict.fromkeys(f.key for fs in found.values() for f in fs))
    status = {(f.mapping_space, f.key): f.status for fs in found.values() for f in fs}
    rows = [{"finding": key, **{space: status.get((space, key), "") for space in spaces}} for key in keys]
    return _with_differs(pd.DataFrame(rows), spaces)


def network_conclusions(networks: pd.DataFrame, spaces: tuple[str, ...]) -> pd.DataFrame:
    """Per network (and the geometric mean), each conclusion in each mapping space and whether they differ:
    the most efficient and the densest macro, AIMC against DIMC per size on TOPS/W and TOPS/mm2, and the
    largest energy part at the most efficient macro."""
    rows = []
    for network in dict.fromkeys(networks.network):
        here = networks[networks.network == network]
        per_space = {s: _conclusions(in_space(here, s)) for s in spaces}
        for conclusion in per_space[spaces[0]]:
            rows.append({"network": network, "conclusion": conclusion,
                         **{s: per_space[s].get(conclusion, "") for s in spaces}})
    return _with_differs(pd.DataFrame(rows), list(spaces))


def _conclusions(sub: pd.DataFrame) -> dict[str, str]:
    if sub.empty:
        return {}
    out = {"most energy-efficient macro": describe_best(best_macros(sub, "tops_per_w")),
           "densest macro (TOPS/mm2)": describe_best(best_macros(sub, "tops_per_mm2")),
           "AIMC vs DIMC on TOPS/W": _winner_by_size(sub, "tops_per_w"),
           "AIMC vs DIMC on TOPS/mm2": _winner_by_size(sub, "tops_per_mm2")}
    if "energy_pj.weights" in sub and sub["energy_pj.weights"].notna().all():
        best = sub.loc[sub.tops_per_w.idxmax()]
        parts = {g: float(best[f"energy_pj.{g}"]) for g in ENERGY_GROUPS}
        out["largest energy part at the most efficient macro"] = " = ".join(
            g for g in ENERGY_GROUPS if parts[g] >= max(parts.values()) * (1 - TIE_RELATIVE))
    return out


def _winner_by_size(sub: pd.DataFrame, metric: str) -> str:
    """'AIMC better at 128, 256; DIMC better at 32; tie at 64' (ties within TIE_RELATIVE)."""
    table = pivot_by_size(sub, metric)
    groups = {"AIMC better at": [], "DIMC better at": [], "tie at": []}
    for size in table.index:
        result = outcome(table.loc[size, "aimc"], table.loc[size, "dimc"])
        groups[{"yes": "AIMC better at", "no": "DIMC better at", "tie": "tie at"}[result]].append(str(size))
    return "; ".join(f"{label} {', '.join(sizes)}" for label, sizes in groups.items() if sizes)


def _with_differs(frame: pd.DataFrame, spaces: list[str]) -> pd.DataFrame:
    frame["differs"] = frame[spaces].nunique(axis=1) > 1 if len(spaces) > 1 else False
    return frame
