"""The mapping space of one layer on an IMC system, as flat numpy arrays of candidates.

A mapping has four parts (all enumerated; the cost model evaluates every combination at once):

1. **Spatial unrolling inside a macro** (rows x columns of the array):
   rows take C x FY x FX (``cu``, ``fyu``, ``fxu``), columns take K (``ku``); groups of a grouped or
   depthwise convolution may be packed along the diagonal (``gu`` groups per array, each on its own
   rows and columns); the paper's OX/FX diagonal mapping (``oxu`` output columns side by side, their
   input windows overlapping on shared rows) for stride-1 convolutions.
2. **Unrolling across macros** of the tiles left over: K tiles (``mk``), row tiles (``mr``, partial sums
   reduced between macros), group tiles (``mg``), OX, OY and B (``mox``, ``moy``, ``mb``).
3. **Loop order** of the three temporal loops under the group loop: K tiles, row tiles (R) and
   output pixels (P), any permutation (6 orders). P innermost is the weight-stationary schedule.
4. **Pixel chunking**: the pixel loop split into ``n_chunk`` chunks outside everything else, trading
   weight reloads for smaller working sets in the buffers.

Tile sizes use balanced splits (C = 96 on 64 rows -> two tiles of 48): the same tile count as the
greedy split with equal tiles, so averages are exact.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from imcbench.workload import Layer

ORDERS = ("KRP", "RKP", "KPR", "PKR", "RPK", "PRK")  # outer -> inner; 'P' = pixels
MAX_CHUNK_CANDIDATES = 12


@dataclass(frozen=True)
class LoopNest:
    """The loop bounds the mapper works on (attention: the batch changes the 'weights', so it joins G)."""

    B: int
    K: int
    C: int
    G: int
    OY: int
    OX: int
    FY: int
    FX: int
    sy: int
    sx: int
    dy: int
    dx: int
    IY: int
    IX: int

    @classmethod
    def of(cls, layer: Layer) -> "LoopNest":
        batch_in_groups = not layer.weight_is_constant
        return cls(B=1 if batch_in_groups else layer.B, K=layer.K, C=layer.C,
                   G=layer.G * (layer.B if batch_in_groups else 1), OY=layer.OY, OX=layer.OX, FY=layer.FY,
                   FX=layer.FX, sy=layer.stride[0], sx=layer.stride[1], dy=layer.dilation[0],
                   dx=layer.dilation[1], IY=layer.IY, IX=layer.IX)


@dataclass(frozen=True)
class Candidates:
    """Candidate mappings as parallel arrays (one entry per candidate)."""

    ku: np.ndarray
    cu: np.ndarray
    fyu: np.ndarray
    fxu: np.ndarray
    gu: np.ndarray
    oxu: np.ndarray
    mk: np.ndarray
    mr: np.ndarray
    mg: np.ndarray
    mox: np.ndarray
    moy: np.ndarray
    mb: np.ndarray
    order: np.ndarray  # index into ORDERS
    n_chunk: np.ndarray

    def __len__(self) -> int:
        return len(self.ku)

    def take(self, index) -> "Candidates":
        return Candidates(**{k: getattr(self, k)[index] for k in self.__dataclass_fields__})


def balanced_split(total: int, cap: int) -> int:
    """The tile size that splits ``total`` into ceil(total / cap) equal tiles of at most ``cap``."""
    return math.ceil(total / math.ceil(total / cap))


def spatial_options(nest: LoopNest, rows: int, cols: int, diagonal: bool,
                    pack_groups: bool = True) -> list[tuple[int, ...]]:
    """(ku, cu, fyu, fxu, gu, oxu) choices that fit a rows x cols (weight columns) array."""
    options: set[tuple[int, ...]] = set()
    windows = {(nest.FY, nest.FX), (1, nest.FX), (1, 1)}
    can_diagonal = diagonal and nest.sx == 1 and nest.dx == 1 and nest.FX > 1 and nest.OX > 1
    for fyu, fxu in windows:
        ox_choices = [1]
        if can_diagonal and fxu == nest.FX:
            ox_choices += [v for v in (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64) if v < nest.OX] + [nest.OX]
        for oxu in ox_choices:
            row_span = fyu * (oxu + fxu - 1)  # input rows one channel of one group occupies
            for gu in _group_choices(nest, rows, cols, row_span, oxu) if pack_groups else [1]:
                cu_cap = rows // (gu * row_span)
                ku_cap = cols // (gu * oxu)
                if cu_cap < 1 or ku_cap < 1:
                    continue
                cu = balanced_split(nest.C, cu_cap) if gu == 1 else nest.C
                ku = balanced_split(nest.K, ku_cap) if gu == 1 else nest.K
                if gu > 1 and (cu > cu_cap or ku > ku_cap):
                    continue
                options.add((ku, cu, fyu, fxu, gu, oxu))
    return sorted(options)


def _group_choices(nest: LoopNest, rows: int, cols: int, row_span: int, oxu: int) -> list[int]:
    """No packing, and packing as many whole groups as fit (balanced) along the diagonal."""
    choices = [1]
    if nest.G > 1:
        fit = min(nest.G, rows // (nest.C * row_span), cols // (nest.K * oxu))
        if fit >= 2:
            choices.append(balanced_split(nest.G, fit))
    return choices


def macro_unroll_options(counts: dict[str, int], n_macros: int) -> list[tuple[int, ...]]:
    """Factors (mk, mr, mg, mox, moy, mb) with product <= n_macros, each at most its dimension's count."""
    dims = ("K", "R", "G", "OX", "OY", "B")
    per_dim = []
    for dim in dims:
        limit = min(counts[dim], n_macros)
        values = {1, limit} | {2 ** i for i in range(1, int(math.log2(max(limit, 1))) + 1)}
        per_dim.append(sorted(v for v in values if 1 <= v <= limit))
    result = []
    for combo in itertools.product(*per_dim):
        if math.prod(combo) <= n_macros:
            result.append(combo)
    return result


def chunk_options(pixels: int) -> list[int]:
    """Chunk counts to try: 1 and powers of two up to the pixel count (a few dozen at most)."""
    values = {1, pixels}
    step = 2
    while step < pixels:
        values.add(step)
        step *= 2
    values = sorted(values)
    if len(values) > MAX_CHUNK_CANDIDATES:  # keep the ends and thin the middle evenly in log space
        idx = np.unique(np.round(np.linspace(0, len(values) - 1, MAX_CHUNK_CANDIDATES)).astype(int))
        values = [values[i] for i in idx]
    return values


def enumerate_candidates(nest: LoopNest, rows: int, cols: int, n_macros: int,
                         diagonal: bool = True, pack_groups: bool = True) -> Candidates:
    """Every mapping of the modeled space for ``nest`` on ``n_macros`` arrays of rows x cols."""
    blocks = list(iter_candidates(nest, rows, cols, n_macros, diagonal, pack_groups, block=None))
    if not blocks:
        return Candidates(*(np.zeros(0, dtype=np.int64) for _ in range(14)))
    return Candidates(*(np.concatenate([getattr(b, k) for b in blocks]) for k in Candidates.__dataclass_fields__))


def iter_candidates(nest: LoopNest, rows: int, cols: int, n_macros: int, diagonal: bool = True,
                    pack_groups: bool = True, block: int | None = 65536):
    """The mapping space in blocks of at most ``block`` candidates (None: one block), in a fixed order:
    large spaces (thousands of macros) are searched in bounded memory."""
    pending, size = [], 0
    for ku, cu, fyu, fxu, gu, oxu in spatial_options(nest, rows, cols, diagonal, pack_groups):
        counts = {"K": -(-nest.K // ku),
                  "R": -(-nest.C // cu) * -(-nest.FY // fyu) * -(-nest.FX // fxu),
                  "G": -(-nest.G // gu), "OX": -(-nest.OX // oxu), "OY": nest.OY, "B": nest.B}
        for mk, mr, mg, mox, moy, mb in macro_unroll_options(counts, n_macros):
            pixels = (-(-counts["OX"] // mox)) * (-(-counts["OY"] // moy)) * (-(-counts["B"] // mb))
            chunks = chunk_options(pixels)
            n = len(ORDERS) * len(chunks)
            order = np.repeat(np.arange(len(ORDERS)), len(chunks))
            chunk = np.tile(np.array(chunks), len(ORDERS))
            fixed = np.array([ku, cu, fyu, fxu, gu, oxu, mk, mr, mg, mox, moy, mb])
            pending.append(np.column_stack([np.broadcast_to(fixed, (n, 12)), order, chunk]))
            size += n
            if block is not None and size >= block:
                yield _as_candidates(pending)
                pending, size = [], 0
    if pending:
        yield _as_candidates(pending)


def _as_candidates(parts: list[np.ndarray]) -> Candidates:
    table = np.concatenate(parts).astype(np.int64)
    return Candidates(*(table[:, i] for i in range(14)))
