"""Pareto fronts of sweep results: the design points no other point beats on every chosen metric.

Each metric is maximized or minimized. Point a dominates b when a is at least as good on every
metric and strictly better on one; the front is the set of non-dominated points, and the
non-dominated sort peels fronts one after the other (rank 0 = the front). Points with a missing (NaN)
metric are never on a front (rank -1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imcbench.errors import ImcbenchError

MINIMIZED_SUFFIXES = ("energy_pj", "latency_ns", "latency_cycles", "tclk_ns", "area_mm2")


def natural_direction(metric: str) -> str:
    """``min`` for costs (energy, latency, area), ``max`` for figures of merit (TOPS, TOPS/W, ...)."""
    return "min" if metric.endswith(MINIMIZED_SUFFIXES) else "max"


def pareto_mask(values: np.ndarray, maximize) -> np.ndarray:
    """True for the non-dominated rows of ``values`` (n points x m metrics); ``maximize[j]`` per metric.

    Rows are sorted best-first lexicographically, so a point can only be dominated by one before it;
    each point still standing removes, in one vectorized step, every later point it dominates. The loop
    runs once per front point: O(n x front size) comparisons.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(maximize):
        raise ImcbenchError(f"pareto_mask: {values.shape} values for {len(maximize)} metric directions")
    scores = values * np.where(np.asarray(maximize, dtype=bool), 1.0, -1.0)  # larger is better everywhere
    valid = np.flatnonzero(np.isfinite(scores).all(axis=1))
    order = valid[np.lexsort(-scores[valid].T[::-1])]  # best first on metric 0, ties by metric 1, ...
    alive = scores[order]
    index = order
    i = 0
    while i < len(alive):
        at_least = (alive[i] >= alive).all(axis=1)
        better = (alive[i] > alive).any(axis=1)
        keep = ~(at_least & better)
        alive, index = alive[keep], index[keep]
        i = int(keep[:i].sum()) + 1
    mask = np.zeros(len(values), dtype=bool)
    mask[index] = True
    return mask


def pareto_ranks(values: np.ndarray, maximize) -> np.ndarray:
    """Non-dominated sort: 0 for the front, 1 for the front of the rest, ...; -1 for rows with NaN."""
    values = np.asarray(values, dtype=float)
    ranks = np.full(len(values), -1, dtype=int)
    left = np.flatnonzero(np.isfinite(values).all(axis=1))
    rank = 0
    while len(left):
        front = pareto_mask(values[left], maximize)
        ranks[left[front]] = rank
        left = left[~front]
        rank += 1
    return ranks


def pareto_front(frame: pd.DataFrame, metrics: list[tuple[str, str]], by: str | None = "network") -> pd.DataFrame:
    """The rows of ``frame`` on the front of ``metrics`` [(name, 'max'|'min')], one front per value of
    column ``by`` (None: one front over all rows), sorted by the first metric, best first."""
    missing = [m for m, _ in metrics if m not in frame.columns]
    if missing:
        raise ImcbenchError(f"unknown metric(s) {', '.join(missing)}; columns: {', '.join(frame.columns)}")
    if len(frame) == 0:
        return frame
    maximize = [d == "max" for _, d in metrics]
    groups = [frame] if by is None else [g for _, g in frame.groupby(by, sort=True)]
    fronts = []
    for group in groups:
        mask = pareto_mask(group[[m for m, _ in metrics]].to_numpy(float), maximize)
        first, direction = metrics[0]
        fronts.append(group[mask].sort_values(first, ascending=direction == "min"))
    return pd.concat(fronts, ignore_index=True)


AGGREGATES = ("geomean", "mean", "max", "min")


def aggregate_networks(frame: pd.DataFrame, metrics: list[str], how: str = "geomean",
                       networks: int | None = None) -> pd.DataFrame:
    """One row per design: ``metrics`` -- and every other number that differs between its networks
    (energy, latency, ...) -- combined over its networks (geometric mean by default); the design's
    parameters from its first row. Designs missing a network (``networks`` expected) are left out,
    so a design is never ranked on its easy networks only."""
    if how not in AGGREGATES:
        raise ImcbenchError(f"aggregate {how!r} is not known; use one of {', '.join(AGGREGATES)}")
    if len(frame) == 0:
        return frame
    grouped = frame.groupby("design_id", sort=False)
    numeric = [c for c in frame.columns if c not in ("design_id", "design_index")
               and pd.api.types.is_numeric_dtype(frame[c])]
    varying = grouped[numeric].nunique(dropna=False).gt(1).any()
    metrics = list(dict.fromkeys([*metrics, *varying.index[varying]]))
    counts = grouped["network"].nunique()
    complete = counts.index[counts == (networks or counts.max())]
    values = frame[["design_id", *metrics]].copy()
    if how == "geomean":
        with np.errstate(divide="ignore", invalid="ignore"):
            values[metrics] = np.log(values[metrics].to_numpy(float))
        combined = np.exp(values.groupby("design_id", sort=False)[metrics].mean())
    else:
        combined = values.groupby("design_id", sort=False)[metrics].agg(how)
    first = grouped.first().drop(columns=[*metrics, "network"], errors="ignore")
    out = first.join(combined).loc[complete].reset_index()
    out.insert(1, "network", f"{how} of {int(counts.max())}")
    return out
