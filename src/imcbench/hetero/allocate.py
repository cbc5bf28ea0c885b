"""Which engine runs which layer: the candidate choices per layer and the search for the best allocation.

Objectives: ``latency`` (the pipelined schedule's makespan), ``energy``, ``edp`` (their product); an optional
area budget (mm2) makes allocations whose cluster + accelerators exceed it infeasible.

Search methods:

* ``exhaustive``: every combination of per-layer choices is scheduled and costed; exact. Used by ``auto``
  when there are at most ``EXHAUSTIVE_LIMIT`` combinations (a bottleneck block: 5^3 = 125).
* ``heuristic`` (beyond that): seeds = the exact optimum of a *sequential surrogate* (the sum of the layers'
  own times, or energies, with the area budget as a linear constraint) found by an integer linear
  program (``scipy.optimize.milp``), each single-engine allocation, and the per-layer best; the best seed
  is improved by first-improvement local search on the real objective (one layer's choice changed at a
  time, among its ``LOCAL_CANDIDATES`` best choices by the surrogate; at a local optimum, a producer and its
  consumer changed together among their ``PAIR_CANDIDATES`` best), until a full pass improves nothing.
  The surrogate ignores overlap, hand-offs and reprogramming; the local search sees all of them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import numpy as np

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.hetero.cluster import HeteroSystem
from imcbench.hetero.costing import Choice, CostModel
from imcbench.workload import Layer, LayerKind

Objective = Literal["latency", "energy", "edp"]
OBJECTIVES = ("latency", "energy", "edp")
EXHAUSTIVE_LIMIT = 4096  # combinations scheduled one by one (~0.1-1 ms each)
LOCAL_CANDIDATES = 8  # choices per layer tried by the local search
PAIR_CANDIDATES = 4  # choices per layer of a producer-consumer pair changed together
LOCAL_PASSES = 8  # full passes at most
AREA_TOLERANCE = 1e-9  # relative slack on the area budget (float noise)

Allowed = Callable[[Layer], Sequence[str]]  # the engines a layer may use


@dataclass(frozen=True)
class SearchOutcome(vocab.ResultMixin):
    """The best allocation found, how it was found and how many allocations were costed."""

    allocation: dict[str, Choice]
    method: str
    evaluated: int
    value: float


def runs_on(system: HeteroSystem, engine: str, layer: Layer) -> bool:
    """Whether ``engine`` can execute ``layer`` (cores run everything; crossbars need constant weights)."""
    if engine == system.cores.name:
        return True
    spec = system.engine(engine)
    if system.is_ima(engine):
        return layer.weight_is_constant
    return spec.supports(layer)


def choices_for(layer: Layer, system: HeteroSystem, allowed: Allowed | None = None,
                splits: bool = True) -> list[Choice]:
    """Every engine that may run the layer alone, then (``splits``) every two-engine split of its output
    channels (groups for depthwise) at the system's ``split_fractions``."""
    names = allowed(layer) if allowed is not None else system.engine_names
    engines = [e for e in system.engine_names if e in names and runs_on(system, e, layer)]
    if not engines:
        engines = [system.cores.name]
    choices = [Choice.single(e) for e in engines]
    channels = layer.G if layer.kind is LayerKind.DEPTHWISE else layer.K
    if splits and channels >= 2:
        for a, b in itertools.combinations(engines, 2):
            choices += [Choice(((a, f), (b, round(1 - f, 6)))) for f in system.split_fractions]
    return choices


def objective_value(latency_ns: float, energy_pj: float, objective: Objective) -> float:
    """latency (ns), energy (pJ) or their product."""
    return {"latency": latency_ns, "energy": energy_pj, "edp": latency_ns * energy_pj}[objective]


def search(model: CostModel, objective: Objective = "latency", area_budget: float | None = None,
           allowed: Allowed | None = None, method: str = "auto",
           seeds: Sequence[dict[str, Choice]] = (), splits: bool = True) -> SearchOutcome:
    """The best allocation of ``model.network`` on ``model.system`` (see the module docstring).

    ``allowed``: the engines each layer may use (default all); ``splits``: also try splitting a layer's
    output channels over two engines; ``seeds``: extra starting allocations for the heuristic (e.g. known
    good configurations), so that its answer is never worse than any of them.
    """
    if objective not in OBJECTIVES:
        raise ImcbenchError(f"objective {objective!r} is not known; use one of {', '.join(OBJECTIVES)}")
    if method not in ("auto", "exhaustive", "heuristic"):
        raise ImcbenchError(f"search method {method!r} is not known; use auto, exhaustive or heuristic")
    layers = list(model.network)
    options = {layer.name: choices_for(layer, model.system, allowed, splits) for layer in layers}
    combinations = math.prod(len(c) for c in options.values())
    score = _scorer(model, objective, area_budget)
    if method == "exhaustive" or (method == "auto" and combinations <= EXHAUSTIVE_LIMIT):
        return _exhaustive(layers, options, score)
    return _heuristic(model, options, objective, area_budget, score, seeds)


def _scorer(model: CostModel, objective: Objective, area_budget: float | None):
    """allocation -> (objective, the other metric) with (inf, inf) when over the area budget."""
    def score(allocation: dict[str, Choice]) -> tuple[float, float]:
        latency, energy, area = model.quick(allocation)
        if area_budget is not None and area > area_budget * (1 + AREA_TOLERANCE):
            return math.inf, math.inf
        value = objective_value(latency, energy, objective)
        return value, (energy if objective == "latency" else latency)
    return score


def _exhaustive(layers: list[Layer], options: dict[str, list[Choice]], score) -> SearchOutcome:
    combos = itertools.product(*(options[layer.name] for layer in layers))
    best, best_key, count = _best_of(({layer.name: c for layer, c in zip(layers, combo)} for combo in combos), score)
    return SearchOutcome(best, "exhaustive", count, best_key[0])


def _best_of(allocations, score) -> tuple[dict[str, Choice], tuple[float, float], int]:
    """The best-scoring allocation (the first on ties), its score and how many were scored."""
    best, best_key, count = None, (math.inf, math.inf), 0
    for allocation in allocations:
        if allocation is None:
            continue
        key = score(allocation)
        count += 1
        if key < best_key:
            best, best_key = allocation, key
    if best is None:
        raise ImcbenchError("no allocation fits the area budget: raise --area-budget (the cores and L1 alone "
                            "need the smallest area)")
    return best, best_key, count


# -- the heuristic -----------------------------------------------------------------------------------------
def _heuristic(model: CostModel, options: dict[str, list[Choice]], objective: Objective,
               area_budget: float | None, score, extra_seeds: Sequence[dict[str, Choice]] = ()) -> SearchOutcome:
    layers = list(model.network)
    seeds = [surrogate_optimum(model, options, o, area_budget) for o in ("latency", "energy")]
    seeds += [dict(seed) for seed in extra_seeds]
    engines = {e for choices in options.values() for c in choices for e in c.engines}
    for engine in sorted(engines):
        seeds.append({l.name: next((c for c in options[l.name] if c.engines == (engine,)), options[l.name][0])
                      for l in layers})
    ranked = {l.name: sorted(options[l.name], key=lambda c: _own_value(model, l, c, objective)) for l in layers}
    seeds.append({name: ranked_choices[0] for name, ranked_choices in ranked.items()})
    best, best_key, evaluated = _best_of(seeds, score)
    for _ in range(LOCAL_PASSES):
        moves = ({layer.name: choice} for layer in layers for choice in ranked[layer.name][:LOCAL_CANDIDATES])
        best, best_key, count, improved = _first_improvement(best, best_key, moves, score)
        evaluated += count
        if improved:
            continue
        # a local optimum for single changes: try changing a producer and its consumer together
        pairs = ({p: a, layer.name: b} for layer in layers for p in layer.inputs
                 for a in ranked[p][:PAIR_CANDIDATES] for b in ranked[layer.name][:PAIR_CANDIDATES])
        best, best_key, count, improved = _first_improvement(best, best_key, pairs, score)
        evaluated += count
        if not improved:
            break
    return SearchOutcome(best, "heuristic", evaluated, best_key[0])


def _first_improvement(best: dict[str, Choice], best_key: tuple, moves, score):
    """Apply every move that improves the score, in order; (best, key, moves costed, improved)."""
    count, improved = 0, False
    for move in moves:
        if all(best[name] == choice for name, choice in move.items()):
            continue
        trial = best | move
        key = score(trial)
        count += 1
        if key < best_key:
            best, best_key, improved = trial, key, True
    return best, best_key, count, improved


def _own_value(model: CostModel, layer: Layer, choice: Choice, objective: Objective) -> float:
    time, energy, _ = model.choice_cost(layer, choice)
    return objective_value(time, energy, objective)


# -- the sequential surrogate and its exact optimum ------------------------------------------------------------
def surrogate_value(model: CostModel, allocation: dict[str, Choice], objective: Literal["latency", "energy"]
                    ) -> float:
    """The sum over layers of the choice's own time (ns) or energy (pJ): no overlap, no hand-offs."""
    index = 0 if objective == "latency" else 1
    return float(sum(model.choice_cost(layer, allocation[layer.name])[index] for layer in model.network))


def surrogate_area(model: CostModel, allocation: dict[str, Choice]) -> float:
    """The area (mm2) the surrogate charges: exactly :meth:`CostModel.area` for auto-sized IMAs."""
    return float(sum(model.area(allocation).values()))


def surrogate_optimum(model: CostModel, options: dict[str, list[Choice]], objective: Literal["latency", "energy"],
                      area_budget: float | None) -> dict[str, Choice] | None:
    """The allocation minimising :func:`surrogate_value` under the area budget, by an integer linear program.

    Variables: x[l, c] = 1 when layer l uses choice c; u[e] = 1 when accelerator e is used (x[l, c] <= u[e]
    for every choice c using e, summed over l). Area = cluster + sum x * (crossbars x crossbar area of auto-sized IMAs)
    + sum u * (IMA wrapper, fixed-size IMA, digital or macro accelerator area) <= budget; a fixed-size IMA
    also bounds its crossbars (no reprogramming in the surrogate). None when infeasible.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    s = model.system
    layers = list(model.network)
    accels = [e for e in s.engine_names if e != s.cores.name]
    pairs = [(l, c) for l in layers for c in options[l.name]]
    n_x, n = len(pairs), len(pairs) + len(accels)
    index = 0 if objective == "latency" else 1
    costs = np.zeros(n)
    area_x = np.zeros(n)
    tiles = {e: np.zeros(n) for e in accels if s.is_ima(e)}
    rows, lower, upper = [], [], []
    for i, (layer, choice) in enumerate(pairs):
        time, energy, xbars = model.choice_cost(layer, choice)
        costs[i] = (time, energy)[index]
        for e, count in xbars.items():
            tiles[e][i] = count
            if s.engine(e).crossbars is None:
                area_x[i] += count * s.engine(e).crossbar_area_mm2
    for j, e in enumerate(accels):
        spec = s.engine(e)
        if s.is_ima(e):
            area_x[n_x + j] = spec.area_mm2(spec.crossbars or 0)
        else:
            area_x[n_x + j] = spec.area_mm2
    for layer in layers:  # one choice per layer
        rows.append(np.array([1.0 if l is layer else 0.0 for l, _ in pairs] + [0.0] * len(accels)))
        lower.append(1.0), upper.append(1.0)
    for j, e in enumerate(accels):  # sum of x[l, c] over choices using e <= (number of layers) * u[e]
        row = np.array([1.0 if e in choice.engines else 0.0 for _, choice in pairs] + [0.0] * len(accels))
        row[n_x + j] = -float(len(layers))
        rows.append(row), lower.append(-np.inf), upper.append(0.0)
        if s.is_ima(e) and s.engine(e).crossbars is not None:
            rows.append(tiles[e]), lower.append(-np.inf), upper.append(float(s.engine(e).crossbars))
    if area_budget is not None:
        base = sum(v for k, v in s.fixed_area_mm2.items() if k in ("cores", "l1", "cluster"))
        rows.append(area_x), lower.append(-np.inf), upper.append(area_budget * (1 + AREA_TOLERANCE) - base)
    result = milp(costs, integrality=np.ones(n), bounds=Bounds(0, 1),
                  constraints=LinearConstraint(np.array(rows), lower, upper))
    if result.x is None:
        return None
    x = np.round(result.x[:n_x]).astype(bool)
    return {layer.name: choice for (layer, choice), chosen in zip(pairs, x) if chosen}
