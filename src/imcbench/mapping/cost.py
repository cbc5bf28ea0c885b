"""Energy and cycles of every candidate mapping of one layer, evaluated at once with numpy.

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
outermost position whose tile fits its capacity; the lowest level that holds the whole tensor is the
operand's home (weights always come from their top level unless preloaded). Outputs written up as
partial sums are read back for the next accumulation; the first contribution to an output needs no read.

Energy = macro energy (the paper's per-cycle model at the used rows/columns) x cycles + memory
reads/writes (pJ per bit of each level, transfers rounded up to the level's minimum access) + weight
writes into the cells + precharge of shared cells (M > 1). Cycles = compute + weight-loading stalls
(no overlap when each multiplier has a single cell, M = 1) and, for each memory level, the bits it
moves over its bandwidth (a roofline: transfers overlap with compute).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from imcbench.errors import ImcbenchError
from imcbench.hardware.system import MemoryLevel, System
from imcbench.macro import MacroParams
from imcbench.macro.model import energy_per_cycle, precharge_energy_per_switch
from imcbench.macro import components as cmp
from imcbench.mapping.placement import Homes, place_activations
from imcbench.mapping.space import ORDERS, Candidates, LoopNest
from imcbench.workload import Layer, Network

N_POS = 6  # positions: 0 = one activation, 1..3 = after Z, Y, X, 4 = after G, 5 = whole layer
LOOPS = ("K", "R", "P")
RELEVANT = {"W": {"K", "R", "G"}, "I": {"R", "P", "G", "chunk"}, "O": {"K", "P", "G", "chunk"}}


@dataclass
class CostArrays:
    """Per-candidate results. Energies in pJ, cycles in clock cycles; dicts map a component to an array."""

    energy_pj: np.ndarray
    cycles: np.ndarray
    energy_breakdown: dict[str, np.ndarray]
    cycle_breakdown: dict[str, np.ndarray]
    feasible: np.ndarray
    infeasible_reason: np.ndarray  # object array of strings ('' when feasible)
    spatial_utilization: np.ndarray
    rows_used: np.ndarray
    cols_used: np.ndarray
    macros_used: np.ndarray
    weight_positions: np.ndarray


def evaluate_candidates(layer: Layer, system: System, cand: Candidates, homes: Homes | None = None) -> CostArrays:
    """Cost of every candidate mapping of ``layer`` on ``system`` (see the module docstring).

    ``homes`` says where the input and output tensors live (see :mod:`imcbench.mapping.placement`); by
    default the layer runs alone: its input comes from the top memory, its output stays in the buffer
    when it fits.
    """
    nest = LoopNest.of(layer)
    macro = system.macro
    d1, d2 = macro.weight_cols, macro.rows
    bi, bw, bo = layer.act_bits, layer.weight_bits, layer.out_bits
    psum = max(system.options.partial_sum_bits, bo)
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

    order = cand.order
    loop_names = np.array([list(o) for o in ORDERS])[order]  # (N, 3): outer..inner of X, Y, Z
    counts_of = {"K": t_k, "R": t_r, "P": p_chunk}
    # loops inner -> outer: Z, Y, X, G, chunk (positions 1..5)
    loop_counts = np.stack([_pick(loop_names[:, 2], counts_of), _pick(loop_names[:, 1], counts_of),
                            _pick(loop_names[:, 0], counts_of), t_g, chunk], axis=1)
    loop_dims = np.stack([loop_names[:, 2], loop_names[:, 1], loop_names[:, 0],
                          np.full(len(cand), "G"), np.full(len(cand), "chunk")], axis=1)

    # --- tiles per position (elements, per macro) ---------------------------------------------
    relevant = {op: np.isin(loop_dims, list(dims)) for op, dims in RELEVANT.items()}
    w_unique0 = gu_avg * row_taps * ku_avg  # distinct weights per activation
    w_tiles = _tiles(np.ones(len(cand)), loop_counts, relevant["W"])  # in units of weight tiles
    o_tiles = _tiles(cols_m, loop_counts, relevant["O"])
    i_tiles = _input_tiles(nest, f, loop_dims, loop_counts, gu_avg, t_g, pixels, n_ox, f["mox"])
    fetches = {op: _fetches(loop_counts, relevant[op]) for op in ("W", "I", "O")}

    energy: dict[str, np.ndarray] = {}
    reasons = np.full(len(cand), "", dtype=object)

    # --- macro energy (paper model at the used rows and columns) -------------------------------
    params = macro.params()
    cycles_per_act = float(params.slices)
    per_cycle = energy_per_cycle(_broadcast_params(params, len(cand)), rows_used=rows_m, cols_used=cols_m,
                                 dimc_multipliers_full_array=system.options.dimc_multipliers_full_array)
    for name, value in per_cycle.items():
        energy[f"macro.{name}"] = value * cycles_per_act * total_activations
    if macro.cells_per_mult > 1:
        switches = _fetch_at(fetches["W"], 0) * macros_used  # weight tile changes seen by the array
        energy["macro.precharge"] = switches * float(precharge_energy_per_switch(params))
    if np.any(f["mr"] > 1):  # partial sums of macros sharing a reduction are added between macros
        adds = np.maximum(f["mr"] - 1, 0) / f["mr"] * total_macs / (row_taps * t_r)
        energy["macro.inter_macro_adders"] = adds * psum * float(cmp.full_adder_energy(params.tech)) / 1e3

    # --- weights: top memory -> (buffers) -> cells ---------------------------------------------
    w_levels = system.levels("W")
    cell_capacity_tiles = float(macro.cells_per_mult)
    q_cells = _deepest_fit(w_tiles, cell_capacity_tiles)
    w_fills_tiles = _fetch_at(fetches["W"], q_cells) * _tile_at(w_tiles, q_cells)  # tiles per macro
    if system.options.weights_preloaded:
        w_fills_tiles = np.zeros(len(cand))
    w_distinct_macros = f["mk"] * f["mr"] * f["mg"]  # macros holding different weights
    w_source_bits = w_fills_tiles * w_unique0 * bw * w_distinct_macros
    w_cell_bits = w_fills_tiles * w_unique0 * f["oxu"] * bw * macros_used  # diagonal copies written too
    energy["weights.cell_write"] = w_cell_bits * system.options.cell_write_pj_per_bit
    level_bits: dict[str, np.ndarray] = {m.name: np.zeros(len(cand)) for m in system.memories}
    homes = standalone_homes(layer, system) if homes is None else homes
    homes = {"I": homes.inputs, "O": homes.outputs}
    if not layer.weight_is_constant:
        # attention: the "weights" (K^T, V) are activations produced on chip; they are read where the
        # layer's inputs live, then written into the cells for every inference
        w_levels = (system.levels("I")[homes["I"]],)
    _weight_level_energy(w_levels, w_source_bits, energy)

    # --- inputs and outputs: home level -> ... -> registers -> array ----------------------------
    i_levels = system.levels("I")
    o_levels = system.levels("O")
    positions = _positions(system, i_levels, o_levels, homes, i_tiles * bi, o_tiles * psum, rows_m, cols_m,
                           reasons)
    _input_energy(i_levels, homes["I"], positions, i_tiles, fetches["I"], rows_m, bi, total_activations,
                  activations, macros_used, f, system, energy, level_bits)
    outputs_per_macro = layer.output_elements / (macros_used / f["mr"])
    _output_energy(o_levels, homes["O"], positions, o_tiles, fetches["O"], cols_m, bo, psum, total_activations,
                   activations, macros_used, outputs_per_macro, f, system, energy, level_bits)

    # --- cycles ---------------------------------------------------------------------------------
    compute = activations * cycles_per_act
    ideal = total_macs / (d1 * d2 * macro.n_macros / cycles_per_act)
    w_rows_written = w_fills_tiles * rows_m  # rows written per macro (diagonal copies share rows)
    w_write_cycles = w_rows_written / system.options.weight_rows_per_cycle
    w_source_cycles = w_source_bits / _bandwidth(system, w_levels[-1])
    w_load = np.maximum(w_write_cycles, w_source_cycles)
    overlapped = macro.cells_per_mult > 1  # a free cell per multiplier lets loading hide behind compute
    stall_w = np.zeros(len(cand)) if overlapped else w_load
    busy = np.maximum(compute, w_load if overlapped else 0.0)
    memory_cycles = np.zeros(len(cand))
    for level in system.memories:
        if level.kind == "register":
            continue  # registers are sized to the array's per-cycle needs
        level_cycles = level_bits[level.name] / _bandwidth(system, level)
        memory_cycles = np.maximum(memory_cycles, level_cycles)
    stall_mem = np.maximum(memory_cycles - busy, 0.0)
    cycles = busy + stall_w + stall_mem
    cycle_breakdown = {"ideal": np.full(len(cand), ideal), "spatial_underuse": compute - ideal,
                       "weight_loading": stall_w + np.maximum(busy - compute, 0.0), "memory_stall": stall_mem}

    feasible = reasons == ""
    total = sum(energy.values())
    return CostArrays(energy_pj=np.where(feasible, total, np.inf), cycles=np.where(feasible, cycles, np.inf),
                      energy_breakdown=energy, cycle_breakdown=cycle_breakdown, feasible=feasible,
                      infeasible_reason=reasons, spatial_utilization=macs_per_act / (d1 * d2),
                      rows_used=rows_m, cols_used=cols_m, macros_used=macros_used, weight_positions=q_cells)


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


def _tile_at(tiles: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.take_along_axis(tiles, q[:, None], axis=1)[:, 0]


def _fetch_at(fetches: np.ndarray, q) -> np.ndarray:
    q = np.broadcast_to(np.asarray(q), (fetches.shape[0],))
    return np.take_along_axis(fetches, q[:, None].astype(int), axis=1)[:, 0]


def _deepest_fit(tiles: np.ndarray, capacity) -> np.ndarray:
    """The outermost position whose tile fits ``capacity`` (tiles grow with the position); -1 if none."""
    capacity = np.asarray(capacity, dtype=float) * (1 + 1e-9)  # float noise must not reject an exact fit
    fits = tiles <= (capacity[..., None] if capacity.ndim else capacity)
    return np.where(fits.any(axis=1), N_POS - 1 - np.argmax(fits[:, ::-1], axis=1), -1)


def _input_tiles(nest: LoopNest, f: dict, loop_dims: np.ndarray, loop_counts: np.ndarray, gu_avg, t_g,
                 pixels, n_ox, mox) -> np.ndarray:
    """Input elements held at positions 0..5 (per macro): channels x groups x the window's footprint."""
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
        channels = np.where(covers_r, nest.C, cu_avg) * gu_avg * np.where(covers_g, t_g, 1.0)
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
def _bandwidth(system: System, level: MemoryLevel) -> float:
    return level.bandwidth_bits * system.instances(level)


def _charged_bits(bits: np.ndarray, transfers: np.ndarray, level: MemoryLevel,
                  element_bits: float | None = None) -> np.ndarray:
    """Bits charged at ``level`` for moving ``bits`` in ``transfers`` transfers.

    A transfer smaller than the level's minimum access costs a whole access. Per-row and per-column
    levels (registers) are accessed element by element (``element_bits`` each); shared levels block
    by block.
    """
    if level.per in ("row", "column") and element_bits is not None:
        return bits / element_bits * max(element_bits, level.min_access_bits)
    transfers = np.maximum(transfers, 1e-30)
    return np.where(bits > 0, np.maximum(bits / transfers, level.min_access_bits) * transfers, 0.0)


def standalone_homes(layer: Layer, system: System) -> Homes:
    """Homes of a layer evaluated on its own (a one-layer network)."""
    alone = Network(layer.name, (replace(layer, inputs=()),))
    return place_activations(alone, system)[layer.name]


def _capacity(system: System, level: MemoryLevel, per_row: np.ndarray, per_col: np.ndarray) -> np.ndarray:
    """Capacity in bits of ``level`` as seen by one macro's tile (per-row/column levels: all used ones)."""
    if level.per == "row":
        return level.size_bits * np.minimum(per_row, system.macro.rows)
    if level.per == "column":
        return level.size_bits * np.minimum(per_col, system.macro.weight_cols)
    if level.per == "macro":
        return np.full(per_row.shape, level.size_bits)
    return np.full(per_row.shape, level.size_bits * system.instances(level) / system.macro.n_macros)


def _positions(system: System, i_levels, o_levels, homes, i_bits, o_bits, rows_m, cols_m, reasons) -> dict:
    """Position (0..5) of the I and O tiles at each level below their homes; shared levels split capacity."""
    positions: dict[tuple[str, str], np.ndarray] = {}
    below = {"I": i_levels[:homes["I"]], "O": o_levels[:homes["O"]]}
    names = dict.fromkeys([lv.name for lv in (*below["I"], *below["O"])])
    tiles = {"I": i_bits, "O": o_bits}
    last = {"I": np.zeros(len(rows_m), dtype=int), "O": np.zeros(len(rows_m), dtype=int)}
    for name in names:
        level = next(lv for lv in system.memories if lv.name == name)
        ops = [op for op in ("I", "O") if level in below[op]]
        capacity = _capacity(system, level, rows_m, cols_m)
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


def _weight_level_energy(levels, source_bits, energy) -> None:
    """Weights read from their top level (and passed through any buffer below it) into the cells."""
    top = levels[-1]
    energy[f"mem.{top.name}.W"] = source_bits * top.read_pj_per_bit
    for buffer in levels[:-1]:  # weight buffers between the top and the cells: written once, read once
        energy[f"mem.{buffer.name}.W"] = source_bits * (buffer.write_pj_per_bit + buffer.read_pj_per_bit)
    # weight traffic is timed as weight loading, not as memory stalls (no level_bits update)


def _per_macro_level(level: MemoryLevel) -> bool:
    return level.per in ("row", "column", "macro")


def _input_energy(levels, home, positions, i_tiles, fetches, rows_m, bi, total_activations, activations,
                  macros_used, f, system, energy, level_bits) -> None:
    """Inputs: fills of each level from the one above (reads up there, writes here), array reads."""
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
        _add(energy, f"mem.{level.name}.I", _charged_bits(writes, transfers, level, bi) * level.write_pj_per_bit)
        _add(energy, f"mem.{upper.name}.I", _charged_bits(reads, transfers, upper, bi) * upper.read_pj_per_bit)
        level_bits[level.name] = level_bits[level.name] + writes
        level_bits[upper.name] = level_bits[upper.name] + reads
    lowest = levels[0]
    array_bits = total_activations * rows_m * bi
    if home == 0 and lowest.per == "shared":
        array_bits = array_bits / np.maximum(f["mk"], 1)  # one read broadcast to the K-unrolled macros
    _add(energy, f"mem.{lowest.name}.I", _charged_bits(array_bits, total_activations, lowest, bi)
         * lowest.read_pj_per_bit)
    level_bits[lowest.name] = level_bits[lowest.name] + array_bits * np.ones(n)


def _output_energy(levels, home, positions, o_tiles, fetches, cols_m, bo, psum, total_activations, activations,
                   macros_used, outputs_per_macro, f, system, energy, level_bits) -> None:
    """Outputs: the array writes partial sums into the lowest level and reads them back to accumulate;
    every level writes its tile up when evicted and reads it back for the next partial contribution."""
    n = len(cols_m)
    lowest = levels[0]
    writes = total_activations * cols_m
    firsts = outputs_per_macro * macros_used  # first contribution to each output: nothing to read
    rereads = np.maximum(writes - firsts, 0.0)
    _add(energy, f"mem.{lowest.name}.O",
         _charged_bits(writes * psum, total_activations, lowest, psum) * lowest.write_pj_per_bit
         + _charged_bits(rereads * psum, total_activations, lowest, psum) * lowest.read_pj_per_bit)
    level_bits[lowest.name] = level_bits[lowest.name] + (writes + rereads) * psum * np.ones(n)
    for j in range(home):
        level, upper = levels[j], levels[j + 1]
        q = positions[("O", level.name)]
        evictions = _fetch_at(fetches, q) * macros_used
        elements = _tile_at(o_tiles, q) * evictions
        finals = np.minimum(firsts, elements)
        partial = np.maximum(elements - finals, 0.0)
        up_bits = finals * bo + partial * psum
        down_bits = partial * psum
        for lv, up_cost, down_cost in ((level, level.read_pj_per_bit, level.write_pj_per_bit),
                                       (upper, upper.write_pj_per_bit, upper.read_pj_per_bit)):
            up = (_charged_bits(finals * bo, evictions, lv, bo) + _charged_bits(partial * psum, evictions, lv, psum)
                  if lv.per in ("row", "column") else _charged_bits(up_bits, evictions, lv))
            _add(energy, f"mem.{lv.name}.O", up * up_cost + _charged_bits(down_bits, evictions, lv, psum) * down_cost)
        level_bits[level.name] = level_bits[level.name] + up_bits + down_bits
        level_bits[upper.name] = level_bits[upper.name] + up_bits + down_bits


def _add(energy: dict, key: str, value: np.ndarray) -> None:
    energy[key] = energy.get(key, 0.0) + value


def _broadcast_params(params: MacroParams, n: int) -> MacroParams:
    """The single macro's parameters repeated for ``n`` candidates (energy_per_cycle is element-wise)."""
    from dataclasses import replace

    return replace(params, rows=np.full(n, float(params.rows)))


def check_feasible(layer: Layer, costs: CostArrays) -> None:
    """Raise a clear error when no candidate mapping is feasible."""
    if not costs.feasible.any():
        reason = next((r for r in costs.infeasible_reason if r), "no spatial mapping fits the array")
        raise ImcbenchError(f"layer {layer.name!r} cannot be mapped: {reason}")
