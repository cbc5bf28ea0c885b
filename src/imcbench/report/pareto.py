"""Pareto fronts: which design points no other point beats on every metric."""

from __future__ import annotations

import numpy as np

CHUNK = 2048  # rows compared at once: bounds memory at CHUNK x n booleans


def pareto_mask(values: np.ndarray, maximize: tuple[bool, ...]) -> np.ndarray:
    """True for the non-dominated rows of ``values`` (n points x m metrics).

    A point is dominated when another is at least as good on every metric and strictly better on one;
    ``maximize[j]`` says the direction of metric j. NaN rows are never on the front.
    """
    values = np.asarray(values, dtype=float)
    signs = np.where(np.asarray(maximize), 1.0, -1.0)
    scores = values * signs  # larger is better everywhere
    valid = ~np.isnan(scores).any(axis=1)
    scores = np.where(valid[:, None], scores, -np.inf)
    dominated = np.zeros(len(scores), dtype=bool)
    for start in range(0, len(scores), CHUNK):
        block = scores[start:start + CHUNK]
        at_least = (scores[None, :, :] >= block[:, None, :]).all(axis=2)
        better = (scores[None, :, :] > block[:, None, :]).any(axis=2)
        dominated[start:start + CHUNK] = (at_least & better & valid[None, :]).any(axis=1)
    return valid & ~dominated
