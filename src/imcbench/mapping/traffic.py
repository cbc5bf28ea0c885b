"""What a mapping moves: the structure-only half of the cost model (no energies, no bandwidths).

The loop nest of one macro, outermost first (see :mod:`imcbench.mapping.space`)::

    for chunk in n_chunk:                   # pixel chunks
      for g in tG:                          # group tiles
        for X in ...: for Y in ...: for Z in ...:   # (X, Y, Z) = a permutation of K tiles, row tiles R,
                                                    # and the chunk's pixels P
          one macro activation: Bi / Bc cycles on a rows_m x cols_m part of the array

**Reuse analysis** (the usual stationarity rule of analytical accelerator models such as Timeloop and
ZigZag): a memory level holding an operand's tile defined by the loops inside position q refetches it
once per iteration of the loops outside q, except for the run of loops irrelevant to that operand
directly above q (the tile does not change across them). Relevance: weights W depend on K, R, G;
inputs I on R, P, G, chunk; outputs O on K, P, G, chunk (R is their reduction). Each level takes the
outermost position whose tile fits its capacity; the tensors' homes come from
:mod:`imcbench.mapping.placement` (weights always come from their top level unless preloaded).
Outputs written up as partial sums are read back for the next accumulation; the first contribution to
an output needs no read.

The result, :class:`Traffic`, lists the bits each memory level reads and writes (rounded to its minimum
access), the array's activity (activations at the used rows and columns), the weight bits written into
the cells and the cycle counts. It depends on the system's *structure* only (array geometry, memory
sizes and instancing, options that shape the mapping), so systems that differ only in technology,
ADC resolution or memory energies share it: :mod:`imcbench.mapping.cost` prices it for each of them.

:func:`layer_traffic` works in steps, each a value computed from the previous ones for all candidates at
once: :class:`Geometry` (spatial tiles, loop counts) -> :class:`Loops` (their order) -> :class:`Reuse`
(tile and refetch count per position) -> :class:`Route` (the position each level below the home holds)
-> :class:`WeightFlow` and :class:`Flow` (the charges of each operand).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from imcbench.hardware.system import MemoryLevel, System
from imcbench.mapping.placement import Homes, place_activations
from imcbench.mapping.space import ORDERS, Candidates, LoopNest
from imcbench.workload import Layer, Network

N_POS = 6  # positions: 0 = one activation, 1..3 = after Z, Y, X, 4 = after G, 5 = whole layer
RELEVANT = {"W": {"K", "R", "G"}, "I": {"R", "P", "G", "chunk"}, "O": {"K", "P", "G", "chunk"}}
FLOAT_NOISE = 1e-9  # relative: float rounding noise of products of loop counts, not a modeling choice
MIN_TRANSFERS = 1e-30  # transfers: keeps bits / transfers finite; levels that move no bits cost 0 anyway


@dataclass(frozen=True)
class Charge:
    """``bits`` (per candidate) read from (``write`` False) or written into memory ``level``."""

    key: str  # energy-breakdown key, "mem.<level>.<operand>"
    level: str
    write: bool
    bits: np.ndarray


@dataclass
class Traffic:
    """Everything a mapping moves and how long it computes, per candidate; no energies yet."""

    rows_used: np.ndarray  # rows driven per activation (average)
    cols_used: np.ndarray  # weight columns read per activation (average)
    total_activations: np.ndarray  # macro activations summed over the macros
    activations: np.ndarray  # activations of one macro (sets the compute time)
    macros_used: np.ndarray
    spatial_utilization: np.ndarray
    cycles_per_activation: float
    ideal_cycles: float
    charges: list[Charge]
    cell_bits: np.ndarray  # weight bits written into the cells
    weight_switches: np.ndarray  # weight-tile changes seen by the arrays (precharge when M > 1)
    reduction_adds: np.ndarray  # partial-sum additions between macros
    weight_rows_written: np.ndarray  # per macro
    weight_source: str  # the level weights are read from
    weight_source_bits: np.ndarray
    level_bits: dict[str, np.ndarray]  # bits each level moves (for its bandwidth), weights excluded
    weights_overlap_compute: bool
    infeasible_reason: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    weight_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    # bits moved between shared levels and the macros, per operand, one copy per macro (the links' load,
    # see imcbench.interconnect)
    link_bits: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def feasible(self) -> np.ndarray:
        return self.infeasible_reason == ""


def structure_key(system: System) -> tuple:
    """What the traffic depends on: array geometry, precisions, memory sizes and instancing, and the
    options that shape the mapping. Systems with equal keys share every layer's traffic."""
    m, o = system.macro, system.options
    levels = tuple((lv.name, lv.kind, tuple(sorted(lv.operands)), lv.per, lv.size_bits, lv.min_access_bits)
                   for lv in system.memories)
    return ((m.rows, m.weight_cols, m.n_macros, m.cells_per_mult, m.input_bits, m.weight_bits, m.bits_per_cycle),
            levels, (o.partial_sum_bits, o.weights_preloaded, o.diagonal_mapping, o.pack_groups,
                     o.activation_placement))


@dataclass(frozen=True)
class Geometry:
    """Per candidate (arrays of shape (N,)): the spatial tile on one array and the temporal loop counts of
    one macro. Splits are balanced, so the averages are exact."""

    unroll: dict[str, np.ndarray]  # the candidate's fields as floats (ku, cu, ..., mk, ..., n_chunk)
    n_k: np.ndarray  # K tiles
    n_r: np.ndarray  # row tiles (C x FY x FX)
    n_g: np.ndarray  # group tiles
    n_ox: np.ndarray  # output-column tiles
    ku_avg: np.ndarray
    gu_avg: np.ndarray
    row_taps: np.ndarray  # adder inputs per column per activation (average)
    rows_m: np.ndarray  # rows driven per activation
    cols_m: np.ndarray  # weight columns per activation
    macs_per_act: np.ndarray
    t_k: np.ndarray  # K-tile loop count per macro
    t_r: np.ndarray  # row-tile loop count per macro
    t_g: np.ndarray  # group-tile loop count per macro
    pixels: np.ndarray  # output pixels per macro
    chunk: np.ndarray  # pixel chunks
    p_chunk: np.ndarray  # pixels per chunk
    macros_used: np.ndarray
    activations: np.ndarray  # per macro
    total_activations: np.ndarray  # summed over all macros

    @classmethod
    def of(cls, nest: LoopNest, layer: Layer, cand: Candidates) -> "Geometry":
        f = {k: getattr(cand, k).astype(float) for k in cand.__dataclass_fields__}
        n_k = np.ceil(nest.K / f["ku"])
        n_r = np.ceil(nest.C / f["cu"]) * np.ceil(nest.FY / f["fyu"]) * np.ceil(nest.FX / f["fxu"])
        n_g = np.ceil(nest.G / f["gu"])
        n_ox = np.ceil(nest.OX / f["oxu"])
        ku_avg, gu_avg, oxu_avg = nest.K / n_k, nest.G / n_g, nest.OX / n_ox
        row_taps = nest.C * nest.FY * nest.FX / n_r
        window_x = f["fxu"] * nest.FX / (f["fxu"] * np.ceil(nest.FX / f["fxu"]))  # avg FX taps per tile
        macs_per_act = gu_avg * row_taps * ku_avg * oxu_avg
        t_k, t_r, t_g = np.ceil(n_k / f["mk"]), np.ceil(n_r / f["mr"]), np.ceil(n_g / f["mg"])
        pixels = np.ceil(n_ox / f["mox"]) * np.ceil(nest.OY / f["moy"]) * np.ceil(nest.B / f["mb"])
        chunk = np.minimum(f["n_chunk"], pixels)
        return cls(
            unroll=f, n_k=n_k, n_r=n_r, n_g=n_g, n_ox=n_ox, ku_avg=ku_avg, gu_avg=gu_avg, row_taps=row_taps,
            rows_m=gu_avg * row_taps * (oxu_avg + window_x - 1) / window_x, cols_m=gu_avg * ku_avg * oxu_avg,
            macs_per_act=macs_per_act, t_k=t_k, t_r=t_r, t_g=t_g, pixels=pixels, chunk=chunk, p_chunk=pixels / chunk,
            macros_used=f["mk"] * f["mr"] * f["mg"] * f["mox"] * f["moy"] * f["mb"],
            activations=t_g * t_k * t_r * pixels, total_activations=float(layer.macs) / macs_per_act)


@dataclass(frozen=True)
class Loops:
    """The temporal loops of one macro, inner -> outer: Z, Y, X, G, chunk (positions 1..5), per candidate."""

    counts: np.ndarray  # (N, 5) iterations
    dims: np.ndarray  # (N, 5) what each loop iterates: K, R, P, G or chunk

    @classmethod
    def of(cls, cand: Candidates, geom: Geometry) -> "Loops":
        n = len(cand)
        names = np.array([list(o) for o in ORDERS])[cand.order]  # (N, 3): outer..inner of X, Y, Z
        counts_of = {"K": geom.t_k, "R": geom.t_r, "P": geom.p_chunk}
        counts = np.stack([_pick(names[:, 2], counts_of), _pick(names[:, 1], counts_of),
                           _pick(names[:, 0], counts_of), geom.t_g, geom.chunk], axis=1)
        dims = np.stack([names[:, 2], names[:, 1], names[:, 0], np.full(n, "G"), np.full(n, "chunk")], axis=1)
        return cls(counts, dims)

    def relevant(self, operand: str) -> np.ndarray:
        """(N, 5): whether each loop changes ``operand``'s tile."""
        return np.isin(self.dims, list(RELEVANT[operand]))


# a macro split of a dimension the operand does not depend on broadcasts it: the busiest macro sets the
# traffic (weights over pixel-split macros, inputs over K-split macros), so only these splits take a share
SHARED_SPLITS = {"W": ("K", "R", "G"), "I": ("R", "G", "P"), "O": ("K", "R", "G", "P")}


@dataclass(frozen=True)
class Reuse:
    """Per operand, the tile held at each position 0..5 and how often it is refetched, per macro, (N, 6)."""

    tiles: dict[str, np.ndarray]  # W in weight tiles, I and O in elements
    fetches: dict[str, np.ndarray]  # scaled by the busy share of the split dimensions
    cell_fetches: np.ndarray  # weights into the cells: every macro writes its own, all splits count

    @classmethod
    def of(cls, nest: LoopNest, geom: Geometry, loops: Loops) -> "Reuse":
        n = len(geom.rows_m)
        relevant = {op: loops.relevant(op) for op in ("W", "I", "O")}
        tiles = {"W": _tiles(np.ones(n), loops.counts, relevant["W"]), "I": _input_tiles(nest, geom, loops),
                 "O": _tiles(geom.cols_m, loops.counts, relevant["O"])}
        busy = _busy_shares(nest, geom)
        fetches = {op: _fetches(loops.counts, relevant[op])
                   * _busy_scale(loops, relevant[op], {d: busy[d] for d in SHARED_SPLITS[op]})
                   for op in ("W", "I", "O")}
        cell_fetches = _fetches(loops.counts, relevant["W"]) * _busy_scale(loops, relevant["W"], busy)
        return cls(tiles, fetches, cell_fetches)


def layer_traffic(layer: Layer, system: System, cand: Candidates, homes: Homes | None = None) -> Traffic:
    """The traffic of every candidate mapping of ``layer`` on ``system`` (see the module docstring).

    ``homes``: where the input and output tensors live; by default the layer runs alone (input from
    the top memory, output kept in the buffer when it fits).
    """
    nest = LoopNest.of(layer)
    macro = system.macro
    geom = Geometry.of(nest, layer, cand)
    f = geom.unroll
    reuse = Reuse.of(nest, geom, Loops.of(cand, geom))
    homes = standalone_homes(layer, system) if homes is None else homes
    psum = max(system.options.partial_sum_bits, layer.out_bits)
    weights = _weight_flow(layer, system, geom, reuse, homes.inputs)
    tile_bits = {"I": reuse.tiles["I"] * layer.act_bits, "O": reuse.tiles["O"] * psum}
    routes, reasons = _routes(system, homes, geom, reuse, tile_bits)
    inputs = _input_flow(routes["I"], geom, layer.act_bits)
    outputs = _output_flow(routes["O"], geom, layer, psum)
    total_macs, array_size = float(layer.macs), macro.weight_cols * macro.rows
    cycles_per_act = float(macro.params().slices)
    return Traffic(
        rows_used=geom.rows_m, cols_used=geom.cols_m, total_activations=geom.total_activations,
        activations=geom.activations, macros_used=geom.macros_used,
        spatial_utilization=geom.macs_per_act / array_size, cycles_per_activation=cycles_per_act,
        ideal_cycles=total_macs / (array_size * macro.n_macros / cycles_per_act),
        charges=[*weights.charges, *inputs.charges, *outputs.charges],
        # the diagonal copies (oxu) are written too
        cell_bits=weights.cell_tiles * weights.unique * f["oxu"] * layer.weight_bits * geom.macros_used,
        weight_switches=_fetch_at(reuse.cell_fetches, 0) * geom.macros_used,
        reduction_adds=np.maximum(f["mr"] - 1, 0) / f["mr"] * total_macs / (geom.row_taps * geom.t_r) * psum,
        weight_rows_written=weights.fills * geom.rows_m, weight_source=weights.levels[-1].name,
        weight_source_bits=weights.source_bits, level_bits=_level_bits(system, len(cand), (inputs, outputs)),
        weights_overlap_compute=macro.cells_per_mult > 1,  # a free cell per multiplier hides loading
        infeasible_reason=reasons, weight_positions=weights.positions,
        link_bits={"W": weights.link_bits, "I": inputs.link_bits, "O": outputs.link_bits})


# --- helpers: loop nest ------------------------------------------------------------------------
def _pick(names: np.ndarray, values: dict[str, np.ndarray]) -> np.ndarray:
    out = np.zeros(len(names))
    for key, value in values.items():
        out = np.where(names == key, value, out)
    return out


def _tiles(base: np.ndarray, loop_counts: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Tile size at positions 0..5: ``base`` times the relevant loop counts inside the position."""
    factors = np.where(relevant, loop_counts, 1.0)
    return np.column_stack([base, base[:, None] * np.cumprod(factors, axis=1)])


def _fetches(loop_counts: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Refetch count of the tile at positions 0..5 (stationarity rule, see the module docstring)."""
    n, n_loops = loop_counts.shape
    out = np.ones((n, N_POS))
    for q in range(N_POS):
        product = np.ones(n)
        skipping = np.ones(n, dtype=bool)  # still inside the run of irrelevant loops above q
        for loop in range(q, n_loops):  # loop index `loop` sits at position loop + 1, outside q
            skipping &= ~relevant[:, loop] | (loop_counts[:, loop] <= 1)
            product *= np.where(skipping, 1.0, loop_counts[:, loop])
        out[:, q] = product
    return out


def _busy_shares(nest: LoopNest, geom: Geometry) -> dict[str, np.ndarray]:
    """Per split dimension, the share of the macros' rounds that are busy: macros that split a dimension
    unevenly idle in the last round (7 output columns on 2 macros: 4 + 3)."""
    f = geom.unroll
    return {"K": geom.n_k / (geom.t_k * f["mk"]), "R": geom.n_r / (geom.t_r * f["mr"]),
            "G": geom.n_g / (geom.t_g * f["mg"]),
            "P": geom.n_ox * nest.OY * nest.B / (geom.pixels * f["mox"] * f["moy"] * f["mb"])}


def _busy_scale(loops: Loops, relevant: np.ndarray, busy: dict[str, np.ndarray]) -> np.ndarray:
    """Per position 0..5, the product of the busy shares of the split dimensions whose loop counts the
    traffic of that position multiplies (in the tile or in the refetches).

    Summed over a grid of macros, a count that a split makes uneven (t per macro, n in all) totals n, not
    t x macros; counts of different dimensions multiply, so the shares multiply too. The pixel loop and
    the chunk loop split one dimension: its share counts once.
    """
    loop_counts = loops.counts
    n = len(loop_counts)
    out = np.ones((n, N_POS))
    dim_of = np.vectorize({"K": "K", "R": "R", "G": "G", "P": "P", "chunk": "P"}.get)(loops.dims)
    for q in range(N_POS):
        counted = np.zeros_like(relevant)
        counted[:, :q] = relevant[:, :q]  # inside the position: in the tile when relevant
        skipping = np.ones(n, dtype=bool)
        for loop in range(q, loop_counts.shape[1]):  # outside: refetched unless in the stationary run
            skipping &= ~relevant[:, loop] | (loop_counts[:, loop] <= 1)
            counted[:, loop] = ~skipping
        for dim, share in busy.items():
            out[:, q] *= np.where((counted & (dim_of == dim)).any(axis=1), share, 1.0)
    return out


def _tile_at(tiles: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.take_along_axis(tiles, q[:, None], axis=1)[:, 0]


def _fetch_at(fetches: np.ndarray, q) -> np.ndarray:
    q = np.broadcast_to(np.asarray(q), (fetches.shape[0],))
    return np.take_along_axis(fetches, q[:, None].astype(int), axis=1)[:, 0]


def _deepest_fit(tiles: np.ndarray, capacity) -> np.ndarray:
    """The outermost position whose tile fits ``capacity`` (tiles grow with the position); -1 if none."""
    capacity = np.asarray(capacity, dtype=float) * (1 + FLOAT_NOISE)  # float noise must not reject an exact fit
    fits = tiles <= (capacity[..., None] if capacity.ndim else capacity)
    return np.where(fits.any(axis=1), N_POS - 1 - np.argmax(fits[:, ::-1], axis=1), -1)


def _input_tiles(nest: LoopNest, geom: Geometry, loops: Loops) -> np.ndarray:
    """Input elements held at positions 0..5 (per macro): channels x groups x the window's footprint.
    One macro handles the share t_r / n_r of the row tiles (the row-tile loop split over macros)."""
    f, loop_dims, loop_counts, pixels = geom.unroll, loops.dims, loops.counts, geom.pixels
    r_share = geom.t_r / geom.n_r
    out = np.zeros((len(geom.gu_avg), N_POS))
    ox_steps = np.ceil(geom.n_ox / f["mox"])  # output-column steps per row for one macro
    for q in range(N_POS):
        inside = loop_dims[:, :q]
        covers_r = (inside == "R").any(axis=1)
        covers_g = q >= 4
        pix = np.where((inside == "P").any(axis=1), np.where(q == 5, pixels, pixels / loop_counts[:, 4]), 1.0)
        if q == 5:
            pix = pixels
        # average tile extents (balanced splits), consistent with the rows driven per activation
        fy = np.where(covers_r, nest.FY, nest.FY / np.ceil(nest.FY / f["fyu"]))
        fx = np.where(covers_r, nest.FX, nest.FX / np.ceil(nest.FX / f["fxu"]))
        cu_avg = nest.C / np.ceil(nest.C / f["cu"])
        channels = (np.where(covers_r, nest.C * np.minimum(r_share, 1.0), cu_avg) * geom.gu_avg
                    * np.where(covers_g, geom.t_g, 1.0))
        cols_out = np.minimum(pix, ox_steps) * f["oxu"]
        rows_out = np.maximum(pix / ox_steps, 1.0)
        batch = np.maximum(rows_out / nest.OY, 1.0)
        rows_out = np.minimum(rows_out, nest.OY)
        span_y, span_x = (fy - 1) * nest.dy + 1, (fx - 1) * nest.dx + 1
        # rows actually read: a stride wider than the window skips rows (1x1 stride-2 reads a quarter)
        in_rows = np.minimum(np.minimum((rows_out - 1) * nest.sy + span_y, rows_out * span_y), nest.IY)
        in_cols = np.minimum(np.minimum((cols_out - 1) * nest.sx + span_x, cols_out * span_x), nest.IX)
        out[:, q] = channels * batch * in_rows * in_cols
    return out


# --- helpers: memory levels ------------------------------------------------------------------------
def _charged_bits(bits: np.ndarray, transfers: np.ndarray, level: MemoryLevel,
                  element_bits: float | None = None) -> np.ndarray:
    """Bits charged at ``level`` for moving ``bits`` in ``transfers`` transfers.

    A transfer smaller than the level's minimum access costs a whole access. Per-row and per-column
    levels (registers) are accessed element by element (``element_bits`` each); shared levels block
    by block.
    """
    if level.per in ("row", "column") and element_bits is not None:
        return bits / element_bits * max(element_bits, level.min_access_bits)
    transfers = np.maximum(transfers, MIN_TRANSFERS)
    return np.where(bits > 0, np.maximum(bits / transfers, level.min_access_bits) * transfers, 0.0)


def standalone_homes(layer: Layer, system: System) -> Homes:
    """Homes of a layer evaluated on its own (a one-layer network)."""
    alone = Network(layer.name, (replace(layer, inputs=()),))
    return place_activations(alone, system)[layer.name]


def _capacity(system: System, level: MemoryLevel, geom: Geometry) -> np.ndarray:
    """Capacity in bits of ``level`` as seen by one macro's tile (per-row/column levels: all used ones;
    a shared level is split between the macros the mapping uses)."""
    if level.per == "row":
        return level.size_bits * np.minimum(geom.rows_m, system.macro.rows)
    if level.per == "column":
        return level.size_bits * np.minimum(geom.cols_m, system.macro.weight_cols)
    if level.per == "macro":
        return np.full(geom.rows_m.shape, level.size_bits)
    return level.size_bits * system.instances(level) / geom.macros_used


@dataclass(frozen=True)
class Route:
    """How an activation operand (I or O) moves between its home and the array."""

    levels: tuple[MemoryLevel, ...]  # the levels holding the operand, from the array outwards
    home: int  # index in ``levels`` of the level holding the tensor
    positions: dict[str, np.ndarray]  # per level below the home, the position (0..5) of its tile
    tiles: np.ndarray  # (N, 6) elements of the tile at each position, per macro
    fetches: np.ndarray  # (N, 6) refetches of that tile, per macro

    def hops(self) -> list[tuple[MemoryLevel, MemoryLevel]]:
        """(level, the level above it) for each level below the home."""
        return list(zip(self.levels[:self.home], self.levels[1:self.home + 1]))


def _routes(system: System, homes: Homes, geom: Geometry, reuse: Reuse,
            tile_bits: dict[str, np.ndarray]) -> tuple[dict[str, Route], np.ndarray]:
    """The routes of I and O and, per candidate, why it does not fit ('' when it does). Each level below
    an operand's home holds the outermost tile that fits; a level holding both splits its capacity."""
    levels = {"I": system.levels("I"), "O": system.levels("O")}
    below = {"I": levels["I"][:homes.inputs], "O": levels["O"][:homes.outputs]}
    positions: dict[str, dict[str, np.ndarray]] = {"I": {}, "O": {}}
    reasons = np.full(len(geom.rows_m), "", dtype=object)
    last = {"I": np.zeros(len(geom.rows_m), dtype=int), "O": np.zeros(len(geom.rows_m), dtype=int)}
    for name in dict.fromkeys([lv.name for lv in (*below["I"], *below["O"])]):
        level = next(lv for lv in system.memories if lv.name == name)
        ops = [op for op in ("I", "O") if level in below[op]]
        combined = sum(tile_bits[op] for op in ops)
        q = _deepest_fit(combined, _capacity(system, level, geom))
        reasons = _too_small(reasons, q < 0, level, ops, combined)
        for op in ops:  # a level never holds a smaller tile than the level below it
            last[op] = positions[op][name] = np.maximum(np.maximum(q, 0), last[op])
    return ({op: Route(levels[op], home, positions[op], reuse.tiles[op], reuse.fetches[op])
             for op, home in (("I", homes.inputs), ("O", homes.outputs))}, reasons)


def _too_small(reasons: np.ndarray, too_small: np.ndarray, level: MemoryLevel, ops: list[str],
               combined: np.ndarray) -> np.ndarray:
    """``reasons`` with the candidates whose tile does not fit ``level`` marked (the first reason stays)."""
    if not too_small.any():
        return reasons
    reasons = reasons.copy()
    need = float(np.min(combined[:, 0]))
    reasons[too_small & (reasons == "")] = (
        f"memory {level.name!r} ({level.size_bits:g} bits per instance) is too small for one tile "
        f"of operand {'/'.join(ops)} ({need:g} bits needed)")
    return reasons


@dataclass(frozen=True)
class WeightFlow:
    """Weights from their source level into the cells, per candidate."""

    positions: np.ndarray  # position of the tile the cells hold
    fills: np.ndarray  # weight tiles read from the source, per macro
    cell_tiles: np.ndarray  # weight tiles written into the cells, per macro
    unique: np.ndarray  # distinct weights of one tile (one activation)
    levels: tuple[MemoryLevel, ...]  # source last
    source_bits: np.ndarray  # bits read from the source, all macros
    charges: tuple[Charge, ...]
    link_bits: np.ndarray  # bits over the links (every macro receives its own weights)


def _weight_flow(layer: Layer, system: System, geom: Geometry, reuse: Reuse, input_home: int) -> WeightFlow:
    """Weights: top memory -> (buffers) -> cells. Attention's "weights" (K^T, V) are activations produced
    on chip: they are read where the layer's inputs live (``input_home``), then written into the cells
    for every inference."""
    f, n, bw = geom.unroll, len(geom.rows_m), layer.weight_bits
    unique = geom.gu_avg * geom.row_taps * geom.ku_avg
    q_cells = _deepest_fit(reuse.tiles["W"], float(system.macro.cells_per_mult))
    fills = _fetch_at(reuse.fetches["W"], q_cells) * _tile_at(reuse.tiles["W"], q_cells)  # tiles per macro
    cell_tiles = _fetch_at(reuse.cell_fetches, q_cells) * _tile_at(reuse.tiles["W"], q_cells)
    if system.options.weights_preloaded:
        fills = cell_tiles = np.zeros(n)
    source_bits = fills * unique * bw * (f["mk"] * f["mr"] * f["mg"])  # macros holding different weights
    levels = system.levels("W") if layer.weight_is_constant else (system.levels("I")[input_home],)
    link_bits = np.zeros(n)
    if any(not _per_macro_level(level) for level in levels):  # every macro receives its own weights
        link_bits = cell_tiles * unique * bw * geom.macros_used
    return WeightFlow(q_cells, fills, cell_tiles, unique, levels, source_bits,
                      _weight_charges(levels, source_bits), link_bits)


def _weight_charges(levels, source_bits) -> tuple[Charge, ...]:
    """Weights read from their top level (and passed through any buffer below it) into the cells.
    Weight traffic is timed as weight loading, not as memory stalls (no level bits)."""
    top = levels[-1]
    charges = [Charge(f"mem.{top.name}.W", top.name, False, source_bits)]
    for buffer in levels[:-1]:  # weight buffers between the top and the cells: written once, read once
        charges.append(Charge(f"mem.{buffer.name}.W", buffer.name, True, source_bits))
        charges.append(Charge(f"mem.{buffer.name}.W", buffer.name, False, source_bits))
    return tuple(charges)


def _per_macro_level(level: MemoryLevel) -> bool:
    return level.per in ("row", "column", "macro")


def _crosses_link(level: MemoryLevel, upper: MemoryLevel | None) -> bool:
    """Whether a transfer between ``level`` and ``upper`` (None: the array) goes between a shared level and
    the macros."""
    upper_per_macro = True if upper is None else _per_macro_level(upper)
    return _per_macro_level(level) != upper_per_macro


@dataclass(frozen=True)
class Flow:
    """What moving one operand charges, per candidate."""

    charges: tuple[Charge, ...]
    level_bits: tuple[tuple[str, np.ndarray], ...]  # (level, bits) it moves, in the order they add up
    link_bits: np.ndarray  # bits between shared levels and the macros, one copy per macro


def _level_bits(system: System, n: int, flows: tuple[Flow, ...]) -> dict[str, np.ndarray]:
    """The bits each level moves (for its bandwidth), summed over ``flows``."""
    total = {m.name: np.zeros(n) for m in system.memories}
    for flow in flows:
        for name, bits in flow.level_bits:
            total[name] = total[name] + bits
    return total


def _input_flow(route: Route, geom: Geometry, bi: int) -> Flow:
    """Inputs: fills of each level from the one above (reads up there, writes here), array reads."""
    f, n, macros = geom.unroll, len(geom.rows_m), geom.macros_used
    distinct = f["mr"] * f["mg"] * f["mox"] * f["moy"] * f["mb"]  # macros needing different inputs
    charges, moved, link_bits = [], [], np.zeros(n)
    for level, upper in route.hops():
        fills = _fetch_at(route.fetches, route.positions[level.name])  # per macro
        bits = _tile_at(route.tiles, route.positions[level.name]) * bi * fills
        writes = bits * (macros if _per_macro_level(level) else distinct)
        reads = bits * (macros if _per_macro_level(upper) else distinct)
        transfers = fills * (macros if _per_macro_level(level) else distinct)
        charges += [Charge(f"mem.{level.name}.I", level.name, True, _charged_bits(writes, transfers, level, bi)),
                    Charge(f"mem.{upper.name}.I", upper.name, False, _charged_bits(reads, transfers, upper, bi))]
        moved += [(level.name, writes), (upper.name, reads)]
        if _crosses_link(level, upper):
            link_bits = link_bits + bits * macros
    lowest = route.levels[0]
    array_bits = geom.total_activations * geom.rows_m * bi
    if _crosses_link(lowest, None):
        link_bits = link_bits + array_bits  # summed over the macros: every copy
    if route.home == 0 and lowest.per == "shared":
        array_bits = array_bits / np.maximum(f["mk"], 1)  # one read broadcast to the K-unrolled macros
    charges.append(Charge(f"mem.{lowest.name}.I", lowest.name, False,
                          _charged_bits(array_bits, geom.total_activations, lowest, bi)))
    moved.append((lowest.name, array_bits * np.ones(n)))
    return Flow(tuple(charges), tuple(moved), link_bits)


class Evictions(NamedTuple):
    """Output tiles a level writes up (summed over the macros), in elements."""

    count: np.ndarray  # evictions
    finals: np.ndarray  # final outputs
    partial: np.ndarray  # partial sums, read back for the next contribution


def _evictions(route: Route, level: MemoryLevel, geom: Geometry, firsts: np.ndarray) -> Evictions:
    q = route.positions[level.name]
    count = _fetch_at(route.fetches, q) * geom.macros_used
    elements = _tile_at(route.tiles, q) * count
    finals = np.minimum(firsts, elements)
    partial = elements - finals
    return Evictions(count, finals, np.where(partial > FLOAT_NOISE * elements, partial, 0.0))  # noise is no partial sum


def _output_flow(route: Route, geom: Geometry, layer: Layer, psum: int) -> Flow:
    """Outputs: the array writes partial sums into the lowest level and reads them back to accumulate;
    every level writes its tile up when evicted and reads it back for the next partial contribution.
    The first contribution to an output needs no read: ``firsts`` counts the outputs times the macros
    that share each output's reduction."""
    n, bo, lowest, activations = len(geom.cols_m), layer.out_bits, route.levels[0], geom.total_activations
    firsts = layer.output_elements * geom.unroll["mr"]
    writes = activations * geom.cols_m
    rereads = np.maximum(writes - firsts, 0.0)
    key = f"mem.{lowest.name}.O"
    charges = [Charge(key, lowest.name, True, _charged_bits(writes * psum, activations, lowest, psum)),
               Charge(key, lowest.name, False, _charged_bits(rereads * psum, activations, lowest, psum))]
    moved = [(lowest.name, (writes + rereads) * psum * np.ones(n))]
    link_bits = np.zeros(n)
    if _crosses_link(lowest, None):
        link_bits = link_bits + (writes + rereads) * psum
    for level, upper in route.hops():
        ev = _evictions(route, level, geom, firsts)
        up_bits = ev.finals * bo + ev.partial * psum
        down_bits = ev.partial * psum
        charges += _eviction_charges(level, upper, ev, bo, psum)
        moved += [(lv.name, bits) for lv in (level, upper) for bits in (up_bits, down_bits)]  # added in turn
        if _crosses_link(level, upper):  # partial sums and outputs gathered from every macro, and read back
            link_bits = link_bits + up_bits + down_bits
    return Flow(tuple(charges), tuple(moved), link_bits)


def _eviction_charges(level: MemoryLevel, upper: MemoryLevel, ev: Evictions, bo: int, psum: int) -> list[Charge]:
    """Tiles read from ``level`` and written into ``upper`` (outputs and partial sums), partial sums read
    back down. Per-row/column levels hold finals (``bo`` bits) and partial sums (``psum`` bits) apart."""
    charges = []
    up_bits = ev.finals * bo + ev.partial * psum
    for lv, up_is_write in ((level, False), (upper, True)):
        up = (_charged_bits(ev.finals * bo, ev.count, lv, bo) + _charged_bits(ev.partial * psum, ev.count, lv, psum)
              if lv.per in ("row", "column") else _charged_bits(up_bits, ev.count, lv))
        charges.append(Charge(f"mem.{lv.name}.O", lv.name, up_is_write, up))
        charges.append(Charge(f"mem.{lv.name}.O", lv.name, not up_is_write,
                              _charged_bits(ev.partial * psum, ev.count, lv, psum)))
    return charges
