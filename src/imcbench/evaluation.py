"""Evaluate a network on an IMC system: map every layer, then sum energy, cycles and derive throughput.

``evaluate(network, system, objective)`` -> :class:`NetworkResult` with per-layer :class:`LayerResult`.
Units: energy pJ, latency in clock cycles and ns (cycles x t_clk), area mm2, throughput TOPS
(1 MAC = 2 operations), efficiency TOPS/W (= 2 MACs per pJ), density TOPS/mm2.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.hardware.loading import load_system
from imcbench.hardware.system import System
from imcbench.macro import peak
from imcbench.mapping.cost import Pricing, pricing_key
from imcbench.mapping.mapper import LayerMapping, Objective, map_layer_many
from imcbench.mapping.placement import place_activations
from imcbench.workload import Network, load_workload
from imcbench.workload.coverage import SkippedOperator, coverage_text, covered_share, share_is_exact, unmodeled_macs


class _Throughput(vocab.ResultMixin):
    """Derived figures of a result with ``macs``, ``energy_pj``, ``latency_cycles``, ``tclk_ns``, ``area_mm2``."""

    @property
    def latency_ns(self) -> float:
        return self.latency_cycles * self.tclk_ns

    @property
    def tops(self) -> float:
        return vocab.tops(vocab.ops(self.macs), self.latency_ns) if self.latency_ns > 0 else 0.0

    @property
    def tops_per_w(self) -> float:
        return vocab.tops_per_w(vocab.ops(self.macs), self.energy_pj) if self.energy_pj > 0 else 0.0

    @property
    def tops_per_mm2(self) -> float:
        return vocab.tops_per_mm2(self.tops, self.area_mm2) if self.area_mm2 > 0 else 0.0


@dataclass(frozen=True)
class LayerResult(_Throughput):
    """One layer's optimum mapping and its costs."""

    name: str
    kind: str
    macs: int
    energy_pj: float
    latency_cycles: float
    tclk_ns: float
    area_mm2: float
    spatial_utilization: float
    mapping: dict
    energy_breakdown_pj: dict[str, float]
    cycle_breakdown: dict[str, float]

    def energy_by_group_pj(self) -> dict[str, float]:
        """Energy in groups (:data:`ENERGY_GROUPS`): the macro, weight loading, input and output traffic,
        links, cell leakage."""
        return energy_groups(self.energy_breakdown_pj)

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "macs": self.macs, "energy_pj": self.energy_pj,
                "latency_cycles": self.latency_cycles, "tclk_ns": self.tclk_ns, "latency_ns": self.latency_ns,
                "area_mm2": self.area_mm2, "tops": self.tops, "tops_per_w": self.tops_per_w,
                "tops_per_mm2": self.tops_per_mm2, "spatial_utilization": self.spatial_utilization,
                "mapping": self.mapping, "energy_breakdown_pj": dict(self.energy_breakdown_pj),
                "cycle_breakdown": dict(self.cycle_breakdown)}


@dataclass(frozen=True)
class NetworkResult(_Throughput):
    """A network on a system: totals (summed once, then kept) and the per-layer results."""

    network: str
    system: str
    objective: str
    tclk_ns: float
    area_mm2: float
    area_breakdown_mm2: dict[str, float]
    layers: tuple[LayerResult, ...] = field(default_factory=tuple)
    skipped: tuple[SkippedOperator, ...] = field(default_factory=tuple)  # MAC operators not modelled

    @cached_property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @cached_property
    def energy_pj(self) -> float:
        return sum(layer.energy_pj for layer in self.layers)

    @cached_property
    def latency_cycles(self) -> float:
        return sum(layer.latency_cycles for layer in self.layers)

    @cached_property
    def energy_breakdown_pj(self) -> dict[str, float]:
        return _sum_dicts(layer.energy_breakdown_pj for layer in self.layers)

    @cached_property
    def cycle_breakdown(self) -> dict[str, float]:
        return _sum_dicts(layer.cycle_breakdown for layer in self.layers)

    def energy_by_group_pj(self) -> dict[str, float]:
        """Energy in groups (:data:`ENERGY_GROUPS`): the macro, weight loading, input and output traffic,
        links, cell leakage."""
        return energy_groups(self.energy_breakdown_pj)

    @property
    def covered_mac_share(self) -> float:
        """Share of the source model's MACs in the evaluated layers (see imcbench.workload.coverage)."""
        return covered_share(self.macs, self.skipped)

    def coverage_text(self) -> str | None:
        """The coverage summary line; None when every MAC of the model is evaluated."""
        return coverage_text(self.macs, self.skipped)

    def to_dict(self) -> dict:
        """The JSON shape of ``imcbench evaluate --json``."""
        return {"network": self.network, "system": self.system, "objective": self.objective,
                "energy_pj": self.energy_pj, "latency_cycles": self.latency_cycles, "tclk_ns": self.tclk_ns,
                "latency_ns": self.latency_ns, "area_mm2": self.area_mm2, "macs": self.macs, "tops": self.tops,
                "tops_per_w": self.tops_per_w, "tops_per_mm2": self.tops_per_mm2,
                "energy_breakdown_pj": self.energy_breakdown_pj, "energy_by_group_pj": self.energy_by_group_pj(),
                "cycle_breakdown": self.cycle_breakdown, "area_breakdown_mm2": dict(self.area_breakdown_mm2),
                "layers": [layer.to_dict() for layer in self.layers],
                "skipped_operators": [s.to_dict() for s in self.skipped], "unmodeled_macs": unmodeled_macs(self.skipped),
                "covered_mac_share": self.covered_mac_share, "covered_mac_share_exact": share_is_exact(self.skipped)}

    def to_frame(self) -> pd.DataFrame:
        """One row per layer with the headline numbers and the mapping text."""
        return self.to_dataframe()

    def to_dataframe(self) -> pd.DataFrame:
        """One row per layer with the headline numbers and the mapping text."""
        rows = []
        for layer in self.layers:
            d = layer.to_dict()
            rows.append({k: d[k] for k in ("name", "kind", "macs", "energy_pj", "latency_cycles", "latency_ns",
                                           "tops_per_w", "tops", "spatial_utilization")}
                        | {"mapping": layer.mapping["text"]})
        return pd.DataFrame(rows)


ENERGY_GROUPS = ("macro", "weights", "inputs", "outputs", "interconnect", "leakage")
OPTIONAL_ENERGY_GROUPS = ("interconnect", "leakage")  # zero unless the system models links / cell leakage


def energy_groups(breakdown: dict[str, float]) -> dict[str, float]:
    """An energy breakdown (pJ) summed into the macro, weight loading, input and output traffic (memory
    accesses), the links between memories and macros and the cells' leakage (both 0 unless the system
    models them)."""
    groups = dict.fromkeys(ENERGY_GROUPS, 0.0)
    for key, value in breakdown.items():
        groups[_group_of(key)] += value
    return groups


def _group_of(key: str) -> str:
    if key.startswith("leakage."):
        return "leakage"
    if key.startswith("macro."):
        return "macro"
    if key.startswith("interconnect."):
        return "interconnect"
    if key.startswith("weights.") or key.endswith(".W"):
        return "weights"
    return "inputs" if key.endswith(".I") else "outputs"


def _sum_dicts(dicts) -> dict[str, float]:
    total: dict[str, float] = {}
    for d in dicts:
        for key, value in d.items():
            total[key] = total.get(key, 0.0) + value
    return total


LayerCallback = Callable[[int, str], None]  # (layers mapped so far, name of the last one): progress display


def evaluate(network: Network | str | Path, system: System | str | Path,
             objective: Objective = "energy", on_layer: LayerCallback | None = None) -> NetworkResult:
    """Map every layer of ``network`` on ``system`` with the best mapping for ``objective``.

    ``network`` may be a `Network`, a built-in name or an ONNX/YAML path; ``system`` a `System` or a
    hardware file (imcbench or ZigZag format). ``on_layer`` is called after each layer (for progress).
    """
    if not isinstance(system, System):
        system = load_system(system)
    return evaluate_many(network, [system], objective, on_layer)[0]


def evaluate_many(network: Network | str | Path, systems: Sequence[System],
                  objective: Objective = "energy", on_layer: LayerCallback | None = None) -> list[NetworkResult]:
    """:func:`evaluate` for many systems at once, in their order.

    Systems that share a structure and the macro's delay and ADC models (same array geometry, memory sizes,
    mapping options, :func:`imcbench.mapping.cost.pricing_key`; they may differ in technology, ADC
    resolution, memory energies and bandwidths) share the traffic analysis of every layer, which is then
    priced for each of them in one numpy pass: this is what makes large sweeps fast. The results are
    identical to calling :func:`evaluate` one system at a time.
    """
    if not isinstance(network, Network):
        network = load_workload(network)
    results: list[NetworkResult | None] = [None] * len(systems)
    groups: dict[tuple, list[int]] = {}
    for i, system in enumerate(systems):
        _check_preloaded_weights(network, system)
        _check_llm_options(network, system)
        groups.setdefault(pricing_key(system), []).append(i)
    for members in groups.values():
        group = [systems[i] for i in members]
        pricing = Pricing.of(group)
        per_system = _map_network(network, pricing, objective, on_layer)
        macros = peak(pricing.params(1))  # clock period and macro area of every system at once
        for s, (i, system, layers) in enumerate(zip(members, group, per_system)):
            area = {f"macro.{k}": float(v[s, 0]) for k, v in macros.area_mm2.items()} | system.memory_area_mm2()
            results[i] = _network_result(network, system, objective, layers, float(macros.t_clk[s, 0]), area)
    return results


def _map_network(network: Network, pricing: Pricing, objective: Objective,
                 on_layer: LayerCallback | None = None) -> list[list[LayerMapping]]:
    """The mapped layers of ``network`` for each system of one structure group."""
    systems = pricing.systems
    homes = place_activations(network, systems[0])
    mapped: dict[tuple, list[LayerMapping]] = {}  # repeated blocks (ResNet stages) are mapped once
    per_system: list[list[LayerMapping]] = [[] for _ in systems]
    for layer in network:
        key = (replace(layer, name="", inputs=()), homes[layer.name])
        if key not in mapped:
            mapped[key] = map_layer_many(layer, pricing, objective, homes[layer.name])
        for s, mapping in enumerate(mapped[key]):
            per_system[s].append(replace(mapping, layer=layer))
        if on_layer is not None:
            on_layer(len(per_system[0]), layer.name)
    return per_system


def _network_result(network: Network, system: System, objective: Objective, layers: list[LayerMapping],
                    tclk: float, area: dict[str, float]) -> NetworkResult:
    area_total = float(sum(area.values()))
    return NetworkResult(network=network.name, system=system.name, objective=objective, tclk_ns=tclk,
                         area_mm2=area_total, area_breakdown_mm2=area,
                         layers=tuple(_layer_result(m, tclk, area_total) for m in layers), skipped=network.skipped)


def _layer_result(m: LayerMapping, tclk_ns: float, area_mm2: float) -> LayerResult:
    return LayerResult(name=m.layer.name, kind=m.layer.kind.value, macs=m.layer.macs, energy_pj=m.energy_pj,
                       latency_cycles=m.cycles, tclk_ns=tclk_ns, area_mm2=area_mm2,
                       spatial_utilization=m.spatial_utilization,
                       mapping=m.mapping.to_dict() | {"macros_used": m.macros_used,
                                                      "candidates": m.candidates_evaluated},
                       energy_breakdown_pj=m.energy_breakdown_pj, cycle_breakdown=m.cycle_breakdown)


def _check_llm_options(network: Network, system: System) -> None:
    """The act x act and KV-cache options are modeled by LLM steps only: say so rather than ignore them."""
    o = system.options
    if (o.act_act, o.kv_cache) != ("array", "dram") and any(not layer.weight_is_constant for layer in network):
        raise ImcbenchError(
            f"system {system.name!r} sets act_act={o.act_act!r} / kv_cache={o.kv_cache!r}, which only LLM steps "
            "model (imcbench llm, imcbench.llm_eval.evaluate_llm); imcbench evaluate writes attention operands "
            "into the array: use an LLM workload with imcbench llm or drop the two options")


def _check_preloaded_weights(network: Network, system: System) -> None:
    if not system.options.weights_preloaded:
        return
    macro = system.macro
    capacity = macro.rows * macro.weight_cols * macro.cells_per_mult * macro.n_macros
    if network.total_weights > capacity:
        raise ImcbenchError(
            f"weights_preloaded is set but {network.name!r} has {network.total_weights} weights and the "
            f"{macro.n_macros} macro(s) of {system.name!r} hold {capacity}: add macros or unset weights_preloaded")
