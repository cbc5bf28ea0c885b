"""A slow, literal reference for the cost model: walk one mapping's loop nest iteration by iteration.

For small layers only (tests and debugging). It shares nothing with :mod:`imcbench.mapping.cost` but
the hardware description and the macro's per-cycle energy equation: every count is obtained by
iterating over the activations of one macro in program order and watching, for each memory level,
which tile of each operand the level must hold; a level refills whenever that tile changes. Tile sizes
are the number of distinct weight, input and output elements the activations inside the tile touch.
The brute-force test evaluates every candidate both ways and checks that the vectorized search returns
the same optimum.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from imcbench.hardware.system import MemoryLevel, System
from imcbench.macro.model import energy_per_cycle, precharge_energy_per_switch
from imcbench.mapping.placement import Homes
from imcbench.mapping.space import ORDERS, Candidates, LoopNest
from imcbench.workload import Layer


@dataclass
class Activation:
    index: dict[str, int]  # loop name -> iteration index (chunk, G, K, R, P)
    weights: frozenset
    inputs: frozenset
    outputs: frozenset
    rows: int
    cols: int


def simulate(layer: Layer, system: System, cand: Candidates, i: int, homes: Homes) -> dict[str, float]:
    """Energy (pJ) of candidate ``i`` by explicit iteration; one macro's work times the macros used.

    Supports single-macro systems with layers whose pixel count divides every chunk count.
    """
    nest = LoopNest.of(layer)
    get = {k: int(getattr(cand, k)[i]) for k in cand.__dataclass_fields__}
    if any(get[m] != 1 for m in ("mk", "mr", "mg", "mox", "moy", "mb")):
        raise NotImplementedError("the reference simulates one macro")
    acts = _activations(nest, get)
    order = ORDERS[get["order"]]
    loops = ["chunk", "G", *order]  # outer -> inner
    energy: dict[str, float] = {}
    params = system.macro.params()
    slices = float(params.slices)
    shapes: dict[tuple[int, int], int] = {}
    for a in acts:  # the macro model at each activation's real rows and columns
        shapes[(a.rows, a.cols)] = shapes.get((a.rows, a.cols), 0) + 1
    for (rows, cols), count in shapes.items():
        for name, value in energy_per_cycle(params, rows_used=rows, cols_used=cols).items():
            energy[f"macro.{name}"] = energy.get(f"macro.{name}", 0.0) + float(value) * slices * count
    bits = {"W": layer.weight_bits, "I": layer.act_bits}
    psum = max(system.options.partial_sum_bits, layer.out_bits)
    if system.macro.cells_per_mult > 1:  # the array switches between stored weight tiles: precharge
        switches = sum(1 for k, a in enumerate(acts) if k == 0 or _w_tile(a) != _w_tile(acts[k - 1]))
        energy["macro.precharge"] = switches * float(precharge_energy_per_switch(params))
    # weights: cells hold M tiles; refills come from the top weight level
    w_fills = _fills(acts, loops, "W", _cell_position(acts, loops, system.macro.cells_per_mult))
    top_w = system.levels("W")[-1]
    w_bits = sum(len(t) for t in w_fills) * bits["W"]
    energy[f"mem.{top_w.name}.W"] = w_bits * top_w.read_pj_per_bit
    energy["weights.cell_write"] = w_bits * get["oxu"] * system.options.cell_write_pj_per_bit
    # inputs: each level below the home holds the largest tile that fits
    i_levels = system.levels("I")
    for j in range(homes.inputs):
        level, upper = i_levels[j], i_levels[j + 1]
        q = _fitting_position(acts, loops, "I", level, system, bits["I"])
        fills = _fills(acts, loops, "I", q)
        moved = [len(t) * bits["I"] for t in fills]
        _charge(energy, level, "I", moved, write=True, element_bits=bits["I"])
        _charge(energy, upper, "I", moved, write=False, element_bits=bits["I"])
    lowest = i_levels[0]
    _charge(energy, lowest, "I", [a.rows * bits["I"] for a in acts], write=False, element_bits=bits["I"])
    # outputs: the array accumulates into the lowest level; evicted partial sums go up and come back
    o_levels = system.levels("O")
    seen: set = set()
    writes, rereads = [], []
    for a in acts:
        writes.append(a.cols * psum)
        fresh = a.outputs - seen
        rereads.append((a.cols - len(fresh)) * psum)
        seen |= a.outputs
    _charge(energy, o_levels[0], "O", writes, write=True, element_bits=psum)
    _charge(energy, o_levels[0], "O", [b for b in rereads if b > 0], write=False, element_bits=psum)
    for j in range(homes.outputs):
        level, upper = o_levels[j], o_levels[j + 1]
        q = _fitting_position(acts, loops, "O", level, system, psum)
        done: set = set()
        up, down = [], []
        total_contributions = {}
        for a in acts:
            for o in a.outputs:
                total_contributions[o] = total_contributions.get(o, 0) + 1
        finals_left = dict(total_contributions)
        # contributions per eviction: a tile is evicted once per fill; its elements are final when all
        # their contributions happened before the eviction
        for tile, contributions in _evictions(acts, loops, "O", q):
            final = 0
            for o in tile:
                finals_left[o] -= contributions.get(o, 0)
                final += finals_left[o] == 0 and o not in done
                if finals_left[o] == 0:
                    done.add(o)
            partial = len(tile) - final
            up.append((final, partial))
            if partial:
                down.append(partial * psum)
        for lv, is_write in ((level, False), (upper, True)):
            if lv.per in ("row", "column"):
                _charge(energy, lv, "O", [f * layer.out_bits for f, _ in up], write=is_write,
                        element_bits=layer.out_bits)
                _charge(energy, lv, "O", [p * psum for _, p in up], write=is_write, element_bits=psum)
            else:
                _charge(energy, lv, "O", [f * layer.out_bits + p * psum for f, p in up], write=is_write)
            _charge(energy, lv, "O", down, write=not is_write, element_bits=psum)
    return energy


def _activations(nest: LoopNest, g: dict[str, int]) -> list[Activation]:
    """Every macro activation in program order with the elements it touches."""
    k_tiles = _split(nest.K, g["ku"])
    c_tiles = _split(nest.C, g["cu"])
    fy_tiles = _split(nest.FY, g["fyu"])
    fx_tiles = _split(nest.FX, g["fxu"])
    r_tiles = list(itertools.product(c_tiles, fy_tiles, fx_tiles))
    g_tiles = _split(nest.G, g["gu"])
    ox_tiles = _split(nest.OX, g["oxu"])
    pixels = [(b, oy, ox) for b in range(nest.B) for oy in range(nest.OY) for ox in ox_tiles]
    n_chunk = g["n_chunk"]
    per_chunk = len(pixels) // n_chunk
    order = ORDERS[g["order"]]
    ranges = {"K": range(len(k_tiles)), "R": range(len(r_tiles)), "P": range(per_chunk)}
    acts = []
    for chunk in range(n_chunk):
        for gi, groups in enumerate(g_tiles):
            for idx in itertools.product(*(ranges[name] for name in order)):
                pos = dict(zip(order, idx))
                ks, (cs, fys, fxs) = k_tiles[pos["K"]], r_tiles[pos["R"]]
                b, oy, oxs = pixels[chunk * per_chunk + pos["P"]]
                weights = frozenset((gg, k, c, fy, fx) for gg in groups for k in ks for c in cs for fy in fys
                                    for fx in fxs)
                inputs = frozenset((b, gg, c, oy * nest.sy + fy * nest.dy, ox * nest.sx + fx * nest.dx)
                                   for gg in groups for c in cs for fy in fys for fx in fxs for ox in oxs)
                outputs = frozenset((b, gg, k, oy, ox) for gg in groups for k in ks for ox in oxs)
                span = len(fxs) + len(oxs) - 1 if len(oxs) > 1 else len(fxs)
                rows = len(groups) * len(cs) * len(fys) * span
                acts.append(Activation({"chunk": chunk, "G": gi, **pos}, weights, inputs, outputs, rows,
                                       len(groups) * len(ks) * len(oxs)))
    return acts


def _w_tile(a: Activation) -> tuple:
    return a.index["K"], a.index["R"], a.index["G"]


def _split(total: int, size: int) -> list[range]:
    return [range(s, min(s + size, total)) for s in range(0, total, size)]


def _blocks(acts, loops, q):
    """Consecutive runs of activations sharing the indices of every loop outside position q."""
    outside = loops[:len(loops) - q]
    run, ident = [], None
    for a in acts:
        key = tuple(a.index[name] for name in outside)
        if key != ident and run:
            yield run
            run = []
        ident = key
        run.append(a)
    if run:
        yield run


def _fills(acts, loops, operand, q) -> list[frozenset]:
    """The tiles a level at position q loads, in order: a block's elements, unless equal to the last."""
    key = {"W": "weights", "I": "inputs", "O": "outputs"}[operand]
    fills, last = [], None
    for run in _blocks(acts, loops, q):
        tile = frozenset().union(*(getattr(a, key) for a in run))
        if tile != last:
            fills.append(tile)
        last = tile
    return fills


def _evictions(acts, loops, operand, q):
    """Each output tile the level holds in turn, with the contributions its elements received."""
    elems, contrib, last = set(), {}, None
    for run in _blocks(acts, loops, q):
        tile = frozenset().union(*(a.outputs for a in run))
        if tile != last and last is not None:
            yield frozenset(elems), contrib
            elems, contrib = set(), {}
        last = tile
        for a in run:
            elems |= a.outputs
            for o in a.outputs:
                contrib[o] = contrib.get(o, 0) + 1
    if last is not None:
        yield frozenset(elems), contrib


def _largest_tile(acts, loops, operand, q) -> int:
    return max((len(t) for t in _fills(acts, loops, operand, q)), default=0)


def _cell_position(acts, loops, cells_per_mult: int) -> int:
    """Outermost position whose weight tiles span at most ``cells_per_mult`` array loads."""
    best = 0
    for q in range(len(loops) + 1):
        tiles = _distinct_weight_tiles(acts, loops, q)
        if tiles <= cells_per_mult:
            best = q
    return best


def _distinct_weight_tiles(acts, loops, q) -> int:
    """Largest number of different weight tiles (K, R, G index triples) inside one block at position q."""
    return max(len({_w_tile(a) for a in run}) for run in _blocks(acts, loops, q))


def _fitting_position(acts, loops, operand, level: MemoryLevel, system: System, bits: int) -> int:
    """Outermost position whose largest tile of ``operand`` fits ``level`` (registers: per row/column)."""
    best = 0
    for q in range(len(loops) + 1):
        size = _largest_tile(acts, loops, operand, q) * bits
        if size <= _capacity(level, system, acts, operand):
            best = q
    return best


def _capacity(level: MemoryLevel, system: System, acts, operand) -> float:
    if level.per == "row":
        return level.size_bits * max(a.rows for a in acts)
    if level.per == "column":
        return level.size_bits * max(a.cols for a in acts)
    return level.size_bits * system.instances(level) / system.macro.n_macros


def _charge(energy: dict, level: MemoryLevel, operand: str, transfers: list[float], write: bool,
            element_bits: float | None = None) -> None:
    """Energy of ``transfers`` (bits each) at ``level``: per element for per-row/column levels, else a
    transfer smaller than the minimum access costs a whole access."""
    per_bit = level.write_pj_per_bit if write else level.read_pj_per_bit
    if level.per in ("row", "column") and element_bits is not None:
        charged = sum(b / element_bits * max(element_bits, level.min_access_bits) for b in transfers)
    else:
        charged = sum(max(b, level.min_access_bits) for b in transfers if b > 0)
    key = f"mem.{level.name}.{operand}"
    energy[key] = energy.get(key, 0.0) + charged * per_bit


def total(energy: dict[str, float]) -> float:
    return float(np.sum(list(energy.values())))
