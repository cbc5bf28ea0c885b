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
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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


def layer_traffic(layer: Layer, system: System, cand: Candidates, homes: Homes | None = None) -> Traffic:
    """The traffic of every candidate mapping of ``layer`` on ``system`` (see the module docstring).

    ``homes``: where the input and output tensors live; by default the layer runs alone (input from
    the top memory, output kept in the buffer when it fits).
    """
    nest = LoopNest.of(layer)
    macro = system.macro
    d1, d2 = macro.weight_cols, macro.rows
    bi, bw, bo = layer.act_bits, layer.weight_bits, layer.out_bits
    psum = max(system.options.partial_sum_bits, bo)
    n = len(cand)
    f = {k: getattr(cand, k).astype(float) for k in cand.__dataclass_fields__}

    # --- spatial tiles (balanced splits: averages are exact) -------------------------------------
    n_k = np.ceil(nest.K / f["ku"])
    n_r = np.ceil(nest.C / f["cu"]) * np.ceil(nest.FY / f["fyu"]) * np.ceil(nest.FX / f["fxu"])
    n_g = np.ceil(nest.G / f["gu"])
    n_ox = np.ceil(nest.OX / f["oxu"])
    ku_avg = nest.K / n_k
    gu_avg = nest.G / n_g
    row_taps = nest.C * nest.FY * nest.FX / n_r  # adder inputs per column per activation (average)
    oxu_avg = nest.OX / n_ox
    window_x = f["fxu"] * nest.FX / (f["fxu"] * np.ceil(nest.FX / f["fxu"]))  # avg FX taps per tile
    rows_m = gu_avg * row_taps * (oxu_avg + window_x - 1) / window_x  # rows driven per activation
    cols_m = gu_avg * ku_avg * oxu_avg  # weight columns per activation
    macs_per_act = gu_avg * row_taps * ku_avg * oxu_avg

    # --- temporal loop counts per macro --------------------------------------------------------
    t_k = np.ceil(n_k / f["mk"])
    t_r = np.ceil(n_r / f["mr"])
    t_g = np.ceil(n_g / f["mg"])
    pixels = np.ceil(n_ox / f["mox"]) * np.ceil(nest.OY / f["moy"]) * np.ceil(nest.B / f["mb"])
    chunk = np.minimum(f["n_chunk"], pixels)
    p_chunk = pixels / chunk
    macros_used = f["mk"] * f["mr"] * f["mg"] * f["mox"] * f["moy"] * f["mb"]
    activations = t_g * t_k * t_r * pixels  # per macro
    total_macs = float(layer.macs)
    total_activations = total_macs / macs_per_act  # summed over all macros

    loop_names = np.array([list(o) for o in ORDERS])[cand.order]  # (N, 3): outer..inner of X, Y, Z
    counts_of = {"K": t_k, "R": t_r, "P": p_chunk}
    # loops inner -> outer: Z, Y, X, G, chunk (positions 1..5)
    loop_counts = np.stack([_pick(loop_names[:, 2], counts_of), _pick(loop_names[:, 1], counts_of),
                            _pick(loop_names[:, 0], counts_of), t_g, chunk], axis=1)
    loop_dims = np.stack([loop_names[:, 2], loop_names[:, 1], loop_names[:, 0],
                          np.full(n, "G"), np.full(n, "chunk")], axis=1)

    # --- tiles per position (elements, per macro) ---------------------------------------------
    relevant = {op: np.isin(loop_dims, list(dims)) for op, dims in RELEVANT.items()}
    w_unique0 = gu_avg * row_taps * ku_avg  # distinct weights per activation
    w_tiles = _tiles(np.ones(n), loop_counts, relevant["W"])  # in units of weight tiles
    o_tiles = _tiles(cols_m, loop_counts, relevant["O"])
    i_tiles = _input_tiles(nest, f, loop_dims, loop_counts, gu_avg, t_g, t_r / n_r, pixels, n_ox, f["mox"])
    # macros that split a dimension unevenly idle in the last round (7 output columns on 2 macros: 4 + 3):
    # scale each position's traffic by the busy share of every split dimension it counts
    busy = {"K": n_k / (t_k * f["mk"]), "R": n_r / (t_r * f["mr"]), "G": n_g / (t_g * f["mg"]),
            "P": n_ox * nest.OY * nest.B / (pixels * f["mox"] * f["moy"] * f["mb"])}
    # a macro split of a dimension the operand does not depend on broadcasts it: the busiest macro sets
    # the traffic (weights over pixel-split macros, inputs over K-split macros), so no share there
    shared = {"W": ("K", "R", "G"), "I": ("R", "G", "P"), "O": ("K", "R", "G", "P")}
    fetches = {op: _fetches(loop_counts, relevant[op])
               * _busy_scale(loop_dims, loop_counts, relevant[op], {d: busy[d] for d in shared[op]})
               for op in ("W", "I", "O")}
    # every macro writes its own cells and switches its own weights: all splits count there
    cell_fetches = _fetches(loop_counts, relevant["W"]) * _busy_scale(loop_dims, loop_counts, relevant["W"], busy)
    reasons = np.full(n, "", dtype=object)
    charges: list[Charge] = []
    level_bits: dict[str, np.ndarray] = {m.name: np.zeros(n) for m in system.memories}
    link_bits = {op: np.zeros(n) for op in ("W", "I", "O")}

    # --- weights: top memory -> (buffers) -> cells ---------------------------------------------
    homes = standalone_homes(layer, system) if homes is None else homes
    homes = {"I": homes.inputs, "O": homes.outputs}
    q_cells = _deepest_fit(w_tiles, float(macro.cells_per_mult))
    w_fills_tiles = _fetch_at(fetches["W"], q_cells) * _tile_at(w_tiles, q_cells)  # tiles per macro
    w_cell_tiles = _fetch_at(cell_fetches, q_cells) * _tile_at(w_tiles, q_cells)
    if system.options.weights_preloaded:
        w_fills_tiles = w_cell_tiles = np.zeros(n)
    w_distinct_macros = f["mk"] * f["mr"] * f["mg"]  # macros holding different weights
    w_source_bits = w_fills_tiles * w_unique0 * bw * w_distinct_macros
    w_levels = system.levels("W")
    if not layer.weight_is_constant:
        # attention: the "weights" (K^T, V) are activations produced on chip; they are read where the
        # layer's inputs live, then written into the cells for every inference
        w_levels = (system.levels("I")[homes["I"]],)
    _weight_charges(w_levels, w_source_bits, charges)
    if any(not _per_macro_level(level) for level in w_levels):  # every macro receives its own weights
        link_bits["W"] = w_cell_tiles * w_unique0 * bw * macros_used

    # --- inputs and outputs: home level -> ... -> registers -> array ----------------------------
    i_levels, o_levels = system.levels("I"), system.levels("O")
    positions = _positions(system, i_levels, o_levels, homes, i_tiles * bi, o_tiles * psum, rows_m, cols_m,
                           macros_used, reasons)
    _input_charges(i_levels, homes["I"], positions, i_tiles, fetches["I"], rows_m, bi, total_activations,
                   macros_used, f, charges, level_bits, link_bits)
    _output_charges(o_levels, homes["O"], positions, o_tiles, fetches["O"], cols_m, bo, psum, total_activations,
                    macros_used, layer.output_elements * f["mr"], charges, level_bits, link_bits)

    cycles_per_act = float(macro.params().slices)
    return Traffic(
        rows_used=rows_m, cols_used=cols_m, total_activations=total_activations, activations=activations,
        macros_used=macros_used, spatial_utilization=macs_per_act / (d1 * d2), cycles_per_activation=cycles_per_act,
        ideal_cycles=total_macs / (d1 * d2 * macro.n_macros / cycles_per_act), charges=charges,
        cell_bits=w_cell_tiles * w_unique0 * f["oxu"] * bw * macros_used,  # diagonal copies written too
        weight_switches=_fetch_at(cell_fetches, 0) * macros_used,
        reduction_adds=np.maximum(f["mr"] - 1, 0) / f["mr"] * total_macs / (row_taps * t_r) * psum,
        weight_rows_written=w_fills_tiles * rows_m, weight_source=w_levels[-1].name,
        weight_source_bits=w_source_bits, level_bits=level_bits,
        weights_overlap_compute=macro.cells_per_mult > 1,  # a free cell per multiplier hides loading
        infeasible_reason=reasons, weight_positions=q_cells, link_bits=link_bits)


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


def _busy_scale(loop_dims: np.ndarray, loop_counts: np.ndarray, relevant: np.ndarray,
                busy: dict[str, np.ndarray]) -> np.ndarray:
    """Per position 0..5, the product of the busy shares of the split dimensions whose loop counts the
    traffic of that position multiplies (in the tile or in the refetches).

    Summed over a grid of macros, a count that a split makes uneven (t per macro, n in all) totals n, not
    t x macros; counts of different dimensions multiply, so the shares multiply too. The pixel loop and
    the chunk loop split one dimension: its share counts once.
    """
    n = len(loop_counts)
    out = np.ones((n, N_POS))
    dim_of = np.vectorize({"K": "K", "R": "R", "G": "G", "P": "P", "chunk": "P"}.get)(loop_dims)
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


def _input_tiles(nest: LoopNest, f: dict, loop_dims: np.ndarray, loop_counts: np.ndarray, gu_avg, t_g, r_share,
                 pixels, n_ox, mox) -> np.ndarray:
    """Input elements held at positions 0..5 (per macro): channels x groups x the window's footprint.
    ``r_share``: the share of the row tiles one macro handles (the row-tile loop split over macros)."""
    n = len(gu_avg)
    out = np.zeros((n, N_POS))
    ox_steps = np.ceil(n_ox / mox)  # output-column steps per row for one macro
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
        channels = np.where(covers_r, nest.C * np.minimum(r_share, 1.0), cu_avg) * gu_avg * np.where(covers_g, t_g, 1.0)
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


def _capacity(system: System, level: MemoryLevel, per_row: np.ndarray, per_col: np.ndarray,
              macros_used: np.ndarray) -> np.ndarray:
    """Capacity in bits of ``level`` as seen by one macro's tile (per-row/column levels: all used ones;
    a shared level is split between the macros the mapping uses)."""
    if level.per == "row":
        return level.size_bits * np.minimum(per_row, system.macro.rows)
    if level.per == "column":
        return level.size_bits * np.minimum(per_col, system.macro.weight_cols)
    if level.per == "macro":
        return np.full(per_row.shape, level.size_bits)
    return level.size_bits * system.instances(level) / macros_used


def _positions(system: System, i_levels, o_levels, homes, i_bits, o_bits, rows_m, cols_m, macros_used,
               reasons) -> dict:
    """Position (0..5) of the I and O tiles at each level below their homes; shared levels split capacity."""
    positions: dict[tuple[str, str], np.ndarray] = {}
    below = {"I": i_levels[:homes["I"]], "O": o_levels[:homes["O"]]}
    names = dict.fromkeys([lv.name for lv in (*below["I"], *below["O"])])
    tiles = {"I": i_bits, "O": o_bits}
    last = {"I": np.zeros(len(rows_m), dtype=int), "O": np.zeros(len(rows_m), dtype=int)}
    for name in names:
        level = next(lv for lv in system.memories if lv.name == name)
        ops = [op for op in ("I", "O") if level in below[op]]
        capacity = _capacity(system, level, rows_m, cols_m, macros_used)
        combined = sum(tiles[op] for op in ops)
        q = _deepest_fit(combined, capacity)
        too_small = q < 0
        if too_small.any():
            need = float(np.min(combined[:, 0]))
            reasons[too_small & (reasons == "")] = (
                f"memory {name!r} ({level.size_bits:g} bits per instance) is too small for one tile "
                f"of operand {'/'.join(ops)} ({need:g} bits needed)")
        for op in ops:
            q_op = np.maximum(np.maximum(q, 0), last[op])
            positions[(op, name)] = q_op
            last[op] = q_op
    return positions


def _weight_charges(levels, source_bits, charges: list[Charge]) -> None:
    """Weights read from their top level (and passed through any buffer below it) into the cells."""
    top = levels[-1]
    charges.append(Charge(f"mem.{top.name}.W", top.name, False, source_bits))
    for buffer in levels[:-1]:  # weight buffers between the top and the cells: written once, read once
        charges.append(Charge(f"mem.{buffer.name}.W", buffer.name, True, source_bits))
        charges.append(Charge(f"mem.{buffer.name}.W", buffer.name, False, source_bits))
    # weight traffic is timed as weight loading, not as memory stalls (no level_bits update)


def _per_macro_level(level: MemoryLevel) -> bool:
    return level.per in ("row", "column", "macro")


def _crosses_link(level: MemoryLevel, upper: MemoryLevel | None) -> bool:
    """Whether a transfer between ``level`` and ``upper`` (None: the array) goes between a shared level and
    the macros."""
    upper_per_macro = True if upper is None else _per_macro_level(upper)
    return _per_macro_level(level) != upper_per_macro


def _input_charges(levels, home, positions, i_tiles, fetches, rows_m, bi, total_activations, macros_used, f,
                   charges: list[Charge], level_bits, link_bits) -> None:
    """Inputs: fills of each level from the one above (reads up there, writes here), array reads.
    ``link_bits["I"]`` gains the bits delivered from a shared level to the macros (one copy per macro)."""
    n = len(rows_m)
    distinct = f["mr"] * f["mg"] * f["mox"] * f["moy"] * f["mb"]  # macros needing different inputs
    for j in range(home):
        level, upper = levels[j], levels[j + 1]
        q = positions[("I", level.name)]
        fills = _fetch_at(fetches, q)  # per macro
        bits = _tile_at(i_tiles, q) * bi * fills
        writes = bits * (macros_used if _per_macro_level(level) else distinct)
        reads = bits * (macros_used if _per_macro_level(upper) else distinct)
        transfers = fills * (macros_used if _per_macro_level(level) else distinct)
        charges.append(Charge(f"mem.{level.name}.I", level.name, True, _charged_bits(writes, transfers, level, bi)))
        charges.append(Charge(f"mem.{upper.name}.I", upper.name, False, _charged_bits(reads, transfers, upper, bi)))
        level_bits[level.name] = level_bits[level.name] + writes
        level_bits[upper.name] = level_bits[upper.name] + reads
        if _crosses_link(level, upper):
            link_bits["I"] = link_bits["I"] + bits * macros_used
    lowest = levels[0]
    array_bits = total_activations * rows_m * bi
    if _crosses_link(lowest, None):
        link_bits["I"] = link_bits["I"] + array_bits  # summed over the macros: every copy
    if home == 0 and lowest.per == "shared":
        array_bits = array_bits / np.maximum(f["mk"], 1)  # one read broadcast to the K-unrolled macros
    charges.append(Charge(f"mem.{lowest.name}.I", lowest.name, False,
                          _charged_bits(array_bits, total_activations, lowest, bi)))
    level_bits[lowest.name] = level_bits[lowest.name] + array_bits * np.ones(n)


def _output_charges(levels, home, positions, o_tiles, fetches, cols_m, bo, psum, total_activations, macros_used,
                    firsts, charges: list[Charge], level_bits, link_bits) -> None:
    """Outputs: the array writes partial sums into the lowest level and reads them back to accumulate;
    every level writes its tile up when evicted and reads it back for the next partial contribution.
    ``firsts``: outputs times the macros that share each output's reduction (the first contribution to
    an output needs no read)."""
    n = len(cols_m)
    lowest = levels[0]
    writes = total_activations * cols_m
    rereads = np.maximum(writes - firsts, 0.0)
    key = f"mem.{lowest.name}.O"
    charges.append(Charge(key, lowest.name, True, _charged_bits(writes * psum, total_activations, lowest, psum)))
    charges.append(Charge(key, lowest.name, False, _charged_bits(rereads * psum, total_activations, lowest, psum)))
    level_bits[lowest.name] = level_bits[lowest.name] + (writes + rereads) * psum * np.ones(n)
    if _crosses_link(lowest, None):
        link_bits["O"] = link_bits["O"] + (writes + rereads) * psum
    for j in range(home):
        level, upper = levels[j], levels[j + 1]
        q = positions[("O", level.name)]
        evictions = _fetch_at(fetches, q) * macros_used
        elements = _tile_at(o_tiles, q) * evictions
        finals = np.minimum(firsts, elements)
        partial = elements - finals
        partial = np.where(partial > FLOAT_NOISE * elements, partial, 0.0)  # float noise is not a partial sum
        up_bits = finals * bo + partial * psum
        down_bits = partial * psum
        for lv, up_is_write in ((level, False), (upper, True)):
            up = (_charged_bits(finals * bo, evictions, lv, bo) + _charged_bits(partial * psum, evictions, lv, psum)
                  if lv.per in ("row", "column") else _charged_bits(up_bits, evictions, lv))
            charges.append(Charge(f"mem.{lv.name}.O", lv.name, up_is_write, up))
            charges.append(Charge(f"mem.{lv.name}.O", lv.name, not up_is_write,
                                  _charged_bits(down_bits, evictions, lv, psum)))
        level_bits[level.name] = level_bits[level.name] + up_bits + down_bits
        level_bits[upper.name] = level_bits[upper.name] + up_bits + down_bits
        if _crosses_link(level, upper):  # partial sums and outputs gathered from every macro, and read back
            link_bits["O"] = link_bits["O"] + up_bits + down_bits
