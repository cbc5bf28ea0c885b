"""Choose the best mapping of a layer: enumerate the space, cost it in one vectorized pass, take the optimum."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal, Sequence

import numpy as np

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.hardware.system import System
from imcbench.mapping.cost import CostArrays, Pricing, price
from imcbench.mapping.traffic import layer_traffic
from imcbench.mapping.placement import Homes
from imcbench.mapping.space import ORDERS, Candidates, LoopNest, iter_candidates
from imcbench.workload import Layer

Objective = Literal["energy", "latency", "edp"]
OBJECTIVES = ("energy", "latency", "edp")


@dataclass(frozen=True)
class Mapping:
    """One mapping in readable form."""

    ku: int
    cu: int
    fyu: int
    fxu: int
    gu: int
    oxu: int
    macro_unroll: dict[str, int]
    order: str
    n_chunk: int

    @property
    def spatial(self) -> str:
        rows = [f"C{self.cu}"] + [f"FY{self.fyu}"] * (self.fyu > 1) + [f"FX{self.fxu}"] * (self.fxu > 1)
        if self.oxu > 1:
            rows = [f"C{self.cu}", f"FY{self.fyu}", f"(OX{self.oxu}+FX{self.fxu}-1)"]
        cols = [f"K{self.ku}"] + [f"OX{self.oxu}"] * (self.oxu > 1)
        if self.gu > 1:
            rows.insert(0, f"G{self.gu}")
            cols.insert(0, f"G{self.gu}")
        return f"rows {'x'.join(rows)} | cols {'x'.join(cols)}"

    def describe(self) -> str:
        unroll = " ".join(f"{d}x{v}" for d, v in self.macro_unroll.items() if v > 1) or "none"
        loops = " > ".join({"K": "K-tiles", "R": "row-tiles", "P": "pixels"}[c] for c in self.order)
        return (f"{self.spatial}; macros: {unroll}; order: {loops}"
                + (f"; {self.n_chunk} pixel chunks" if self.n_chunk > 1 else ""))

    def short(self) -> str:
        """Compact form for tables: spatial; macro unrolling; loop order (outer > inner); chunks."""
        unroll = ",".join(f"{d}{v}" for d, v in self.macro_unroll.items() if v > 1)
        parts = [self.spatial.replace("rows ", "").replace("cols ", ""), ">".join(self.order)]
        if unroll:
            parts.insert(1, f"macros {unroll}")
        if self.n_chunk > 1:
            parts.append(f"{self.n_chunk} chunks")
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return dict(self._as_dict)

    @cached_property
    def _as_dict(self) -> dict:  # many systems of a sweep share one Mapping: describe it once
        return {"spatial": self.spatial, "short": self.short(), "ku": self.ku, "cu": self.cu, "fyu": self.fyu,
                "fxu": self.fxu, "gu": self.gu, "oxu": self.oxu, "macro_unroll": dict(self.macro_unroll),
                "loop_order": list(self.order), "pixel_chunks": self.n_chunk, "text": self.describe()}


@dataclass(frozen=True)
class LayerMapping(vocab.ResultMixin):
    """The chosen mapping of one layer and its cost (``to_dict`` names ``cycles`` ``latency_cycles``, as the
    results vocabulary does)."""

    layer: Layer
    mapping: Mapping
    energy_pj: float
    cycles: float
    energy_breakdown_pj: dict[str, float]
    cycle_breakdown: dict[str, float]
    spatial_utilization: float
    macros_used: int
    candidates_evaluated: int

    def to_dict(self) -> dict:
        data = super().to_dict()
        data["latency_cycles"] = data.pop("cycles")
        return data


def search_space(layer: Layer, system: System) -> Candidates:
    """All candidate mappings of ``layer`` on ``system`` (in one block; see :func:`search_blocks`)."""
    blocks = list(search_blocks(layer, system, block=None))
    return blocks[0]


def search_blocks(layer: Layer, system: System, block: int | None = 65536):
    """The candidate mappings of ``layer`` on ``system`` in blocks of at most ``block`` candidates."""
    _check_precisions(layer, system)
    macro = system.macro
    found = False
    for cand in iter_candidates(LoopNest.of(layer), macro.rows, macro.weight_cols, macro.n_macros,
                                system.options.diagonal_mapping, system.options.pack_groups, block=block):
        found = True
        yield cand
    if not found:
        raise ImcbenchError(f"layer {layer.name!r} cannot be mapped: no spatial unrolling fits a "
                            f"{macro.rows} x {macro.weight_cols} array")


def map_layer(layer: Layer, system: System, objective: Objective = "energy",
              homes: Homes | None = None) -> LayerMapping:
    """The optimum mapping of ``layer`` on ``system`` for ``objective`` within the modeled space.

    ``homes``: where the layer's input and output tensors live (default: the layer run on its own).
    """
    return map_layer_many(layer, [system], objective, homes)[0]


PRICED_ELEMENTS = 150_000  # systems x candidates priced at once: bounds the memory of a search


def map_layer_many(layer: Layer, systems: Sequence[System] | Pricing, objective: Objective = "energy",
                   homes: Homes | None = None) -> list[LayerMapping]:
    """The optimum mapping of ``layer`` on each of ``systems``, which must share one pricing key
    (:func:`imcbench.mapping.cost.pricing_key`): the traffic is analysed once, priced per system.
    The space is searched in blocks, keeping each system's best so far (same result as one block)."""
    if objective not in OBJECTIVES:
        raise ImcbenchError(f"objective {objective!r} is not known; use one of {', '.join(OBJECTIVES)}")
    pricing = systems if isinstance(systems, Pricing) else Pricing.of(systems)
    block = max(256, PRICED_ELEMENTS // len(pricing.systems))
    best: list[LayerMapping | None] = [None] * len(pricing.systems)
    keys: list[tuple[float, float] | None] = [None] * len(pricing.systems)
    evaluated, reason = 0, ""
    for cand in search_blocks(layer, pricing.systems[0], block):
        evaluated += len(cand)
        costs = price(layer_traffic(layer, pricing.systems[0], cand, homes), pricing)
        if not costs.feasible.any():
            reason = reason or next((r for r in costs.infeasible_reason if r), "")
            continue
        for s, (mapping, key) in enumerate(_block_best(layer, cand, costs, objective)):
            if keys[s] is None or key < keys[s]:  # ties keep the earlier candidate
                best[s], keys[s] = mapping, key
    if best[0] is None:
        raise ImcbenchError(f"layer {layer.name!r} cannot be mapped: {reason or 'no spatial mapping fits the array'}")
    return [replace(m, candidates_evaluated=evaluated) for m in best]


def _block_best(layer: Layer, cand: Candidates, costs: CostArrays, objective: Objective):
    """Per system, the best mapping of one block and its ranking key (objective, then the other metric)."""
    best = best_indices(costs.energy_pj, costs.cycles, objective)
    rows = np.arange(len(best))
    energy = costs.energy_pj[rows, best]
    cycles = costs.cycles[rows, best]
    primary = {"energy": energy, "latency": cycles, "edp": energy * cycles}[objective]
    secondary = cycles if objective == "energy" else energy
    primary, secondary = _rounded(primary), _rounded(secondary)
    breakdown = {k: v[rows, best] for k, v in costs.energy_breakdown.items()}
    cycle_parts = {k: v[rows, best] for k, v in costs.cycle_breakdown.items()}
    mappings = {i: _mapping(cand, i) for i in set(best.tolist())}
    for s, i in enumerate(best.tolist()):
        yield (LayerMapping(layer=layer, mapping=mappings[i], energy_pj=float(energy[s]), cycles=float(cycles[s]),
                            energy_breakdown_pj={k: float(v[s]) for k, v in breakdown.items()},
                            cycle_breakdown={k: float(v[s]) for k, v in cycle_parts.items()},
                            spatial_utilization=float(costs.spatial_utilization[i]),
                            macros_used=int(costs.macros_used[i]), candidates_evaluated=len(cand)),
               (float(primary[s]), float(secondary[s])))


def best_index(costs: CostArrays, objective: Objective) -> int:
    """Index of the optimum of one system's candidates (see :func:`best_indices`)."""
    return int(best_indices(costs.energy_pj, costs.cycles, objective)[0])


def best_indices(energy: np.ndarray, cycles: np.ndarray, objective: Objective) -> np.ndarray:
    """Per system (row), the optimum candidate: the objective first, then the other metric, then the
    first candidate."""
    energy, cycles = np.atleast_2d(energy), np.atleast_2d(cycles)
    primary = _rounded({"energy": energy, "latency": cycles, "edp": energy * cycles}[objective])
    secondary = _rounded(cycles if objective == "energy" else energy)
    ties = primary == primary.min(axis=1, keepdims=True)
    return np.argmin(np.where(ties, secondary, np.inf), axis=1)


def _rounded(values: np.ndarray) -> np.ndarray:
    """Relative rounding so that float noise does not decide between equal-cost mappings."""
    with np.errstate(divide="ignore", invalid="ignore"):
        finite = np.isfinite(values) & (values > 0)
        exponent = np.where(finite, np.floor(np.log10(np.where(finite, values, 1.0))), 0)
        scale = 10.0 ** (exponent - 9)
        return np.where(finite, np.round(values / scale) * scale, values)


def _mapping(cand: Candidates, i: int) -> Mapping:
    return Mapping(ku=int(cand.ku[i]), cu=int(cand.cu[i]), fyu=int(cand.fyu[i]), fxu=int(cand.fxu[i]),
                   gu=int(cand.gu[i]), oxu=int(cand.oxu[i]),
                   macro_unroll={"K": int(cand.mk[i]), "R": int(cand.mr[i]), "G": int(cand.mg[i]),
                                 "OX": int(cand.mox[i]), "OY": int(cand.moy[i]), "B": int(cand.mb[i])},
                   order=ORDERS[int(cand.order[i])], n_chunk=int(cand.n_chunk[i]))


def _check_precisions(layer: Layer, system: System) -> None:
    macro = system.macro
    if layer.act_bits > macro.input_bits or layer.weight_bits > macro.weight_bits:
        raise ImcbenchError(
            f"layer {layer.name!r} has {layer.act_bits}-bit activations and {layer.weight_bits}-bit weights but "
            f"the macro of {system.name!r} computes {macro.input_bits}b x {macro.weight_bits}b: lower the "
            "layer precision (--act-bits/--weight-bits) or raise the macro's input_bits/weight_bits")
