"""Prediction intervals from leave-one-chip-out residuals (split-conformal, log space).

Method (Vovk et al., "Algorithmic Learning in a Random World", 2005; Lei et al., JASA 2018, split conformal):
the residuals r = log(model / reported) of rows predicted by fits that never saw their chip are the
calibration scores. For a level q, the half-width h is the ceil((n + 1) q)-th smallest |r| of n scores,
and a new prediction x carries the interval [x e^-h, x e^h], which covers the truth with probability
>= q when the new chip is exchangeable with the scored ones. Per group (:func:`interval_group`: the compute
model, SRAM and other cells apart, as their errors differ) when it has at least :data:`MIN_GROUP_ROWS` scores,
else over all rows. With n scores the interval covers on average ceil((n + 1) q) / (n + 1) >= q: slightly more
than q for small groups (the finite-sample guarantee).

Honest coverage (what ``imcbench validate`` reports): each row's interval is built from the scores of
the OTHER chips only, so no row scores its own interval.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_LEVEL = 0.8  # interval level: the share of unseen chips an interval should cover
MIN_GROUP_ROWS = 8  # fewer scores in a compute model: its interval uses all rows' scores


def interval_group(compute_model, is_sram) -> np.ndarray:
    """Group of a row's interval: its compute model, split SRAM / other cells ('QS', 'QS/non-SRAM')."""
    return np.char.add(np.asarray(compute_model, dtype=str), np.where(np.asarray(is_sram, dtype=bool), "", "/non-SRAM"))


def conformal_halfwidth(abs_scores, level: float = DEFAULT_LEVEL) -> float:
    """The ceil((n + 1) level)-th smallest of ``abs_scores`` (log units); inf when n is too small for the level."""
    scores = np.sort(np.asarray(abs_scores, dtype=float)[np.isfinite(abs_scores)])
    if not 0 < level < 1:
        raise ValueError(f"interval level {level} must be in (0, 1)")
    k = math.ceil((scores.size + 1) * level)
    return float(scores[k - 1]) if 0 < k <= scores.size else math.inf


def _pool(ok: np.ndarray, group: np.ndarray, name: str, min_group_rows: int) -> np.ndarray:
    same = ok & (group == name)
    return same if same.sum() >= min_group_rows else ok


def halfwidths_by_group(log_residuals, group, level: float = DEFAULT_LEVEL,
                        min_group_rows: int = MIN_GROUP_ROWS) -> dict[str, float]:
    """Half-width per group (and 'all') from every scored row: what a calibration ships for new chips."""
    r = np.abs(np.asarray(log_residuals, dtype=float))
    group = np.asarray(group, dtype=str)
    ok = np.isfinite(r)
    table = {"all": conformal_halfwidth(r[ok], level)}
    for name in dict.fromkeys(group.tolist()):
        if np.sum(ok & (group == name)) >= min_group_rows:
            table[name] = conformal_halfwidth(r[ok & (group == name)], level)
    return table


def leave_one_chip_out_halfwidths(log_residuals, chip_id, group, level: float = DEFAULT_LEVEL,
                                  min_group_rows: int = MIN_GROUP_ROWS) -> np.ndarray:
    """Per row, the half-width computed without any row of its own chip (see the module doc)."""
    r = np.abs(np.asarray(log_residuals, dtype=float))
    chip_id, group = np.asarray(chip_id, dtype=str), np.asarray(group, dtype=str)
    out = np.full(r.size, np.nan)
    for cid in dict.fromkeys(chip_id.tolist()):
        mine = chip_id == cid
        others = np.isfinite(r) & ~mine
        for name in dict.fromkeys(group[mine].tolist()):
            pool = _pool(others, group, name, min_group_rows)
            out[mine & (group == name)] = conformal_halfwidth(r[pool], level)
    return out


def coverage(log_residuals, halfwidths) -> dict:
    """Share of rows whose |log residual| lies within its half-width, over rows with both finite-or-inf."""
    r = np.abs(np.asarray(log_residuals, dtype=float))
    h = np.asarray(halfwidths, dtype=float)
    ok = np.isfinite(r) & ~np.isnan(h)
    if not ok.any():
        return {"n": 0, "coverage": None, "median_factor": None}
    return {"n": int(ok.sum()), "coverage": float(np.mean(r[ok] <= h[ok])),
            "median_factor": float(np.exp(np.median(h[ok])))}
