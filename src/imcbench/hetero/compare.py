"""The four configurations of Ottavi et al. (arXiv 2109.01404) on any network, and the bottleneck study.

* ``software``: every layer on the cores (the cluster without accelerators);
* ``all_ima``: every layer on the IMAs, depthwise layers packed diagonally on the crossbars;
* ``hybrid``: depthwise layers on the cores, every other layer on the IMAs;
* ``optimal``: what the search finds for the objective and area budget (splits of a layer's output
  channels over two engines included).

With several IMAs, all-IMA and hybrid place whole layers, each on the IMA that gives the lowest latency.

"All-IMA at similar performance" (the paper's comparison point) is the smallest-area all-IMA variant (its
IMAs sized for the weights, or with fewer crossbars that it reprograms every inference) whose latency is at
most (1 + ``SIMILAR_TOLERANCE``) times the hybrid's, i.e. at least as fast up to the tolerance; when none
is, the fastest variant (weight-stationary) stands in, and the latency ratio says how far it is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.hetero.allocate import Objective, SearchOutcome, search
from imcbench.hetero.cluster import HeteroSystem
from imcbench.hetero.costing import Choice, CostModel, HeteroResult
from imcbench.workload import LayerKind, Network

CONFIGURATIONS = ("software", "all_ima", "hybrid", "optimal")
SIMILAR_TOLERANCE = 0.10  # "similar performance": latency within 10% of the hybrid's
CROSSBAR_FRACTIONS = (0.5, 0.25, 0.125)  # all-IMA variants with fewer crossbars (reprogrammed) than needed
PAPER_SPEEDUP = 3.0  # hybrid vs software on a MobileNetV2 bottleneck (Ottavi et al., abstract) [verified]
PAPER_AREA_SAVING = 0.50  # hybrid vs all-in-IMA of similar performance (same source) [verified]
_BLOCK = re.compile(r"^block(\d+)\.")


@dataclass(frozen=True)
class Comparison(vocab.ResultMixin):
    """The four configurations of one network on one cluster, and the hybrid against all-IMA."""

    network: str
    system: str
    objective: str
    area_budget: float | None
    results: dict[str, HeteroResult]
    similar_all_ima: HeteroResult
    all_ima_variants: tuple[HeteroResult, ...]
    search_method: str
    evaluated: int
    shapes: tuple[dict, ...] = field(default=())

    def speedup(self, name: str) -> float:
        """Latency of software / latency of ``name``."""
        return self.results["software"].latency_ns / self.results[name].latency_ns

    @property
    def area_saving(self) -> float:
        """1 - area(hybrid) / area(all-IMA at similar performance)."""
        return 1 - self.results["hybrid"].area_mm2 / self.similar_all_ima.area_mm2

    @property
    def similar_latency_ratio(self) -> float:
        """latency(all-IMA at similar performance) / latency(hybrid)."""
        return self.similar_all_ima.latency_ns / self.results["hybrid"].latency_ns

    @property
    def similar_within_tolerance(self) -> bool:
        return self.similar_latency_ratio <= 1 + SIMILAR_TOLERANCE

    def to_frame(self) -> pd.DataFrame:
        """One row per configuration: its scalar figures, allocations and breakdowns as ``key.sub`` columns."""
        return pd.DataFrame([vocab.flat_row(c) for c in self.to_dict()["configurations"]])

    def to_dict(self) -> dict:
        """The JSON of ``imcbench hetero --json``."""
        configurations = []
        for name in CONFIGURATIONS:
            r = self.results[name]
            configurations.append({"name": name, "latency_ns": r.latency_ns, "energy_pj": r.energy_pj,
                                   "area_mm2": r.area_mm2, "gops": r.gops, "tops_per_w": r.tops_per_w,
                                   "speedup_vs_software": self.speedup(name), "allocation": dict(r.allocation),
                                   "crossbars": dict(r.crossbars), "busy_ns": dict(r.busy_ns),
                                   "energy_breakdown_pj": dict(r.energy_breakdown_pj),
                                   "area_breakdown_mm2": dict(r.area_breakdown_mm2)})
        s = self.similar_all_ima
        return {"network": self.network, "system": self.system, "objective": self.objective,
                "area_budget_mm2": self.area_budget, "search": {"method": self.search_method,
                                                               "evaluated": self.evaluated},
                "configurations": configurations, "layers": list(self.shapes),
                "hybrid_vs_all_ima": {"speedup_vs_software": self.speedup("hybrid"), "area_saving": self.area_saving,
                                      "all_ima_similar": {"latency_ns": s.latency_ns, "area_mm2": s.area_mm2,
                                                          "crossbars": dict(s.crossbars),
                                                          "latency_vs_hybrid": self.similar_latency_ratio,
                                                          "within_tolerance": self.similar_within_tolerance},
                                      "paper": {"speedup": PAPER_SPEEDUP, "area_saving": PAPER_AREA_SAVING}}}


def compare(network: Network, system: HeteroSystem, objective: Objective = "latency",
            area_budget: float | None = None, method: str = "auto") -> Comparison:
    """Cost the four configurations (see the module docstring)."""
    if not system.imas:
        raise ImcbenchError(f"system {system.name!r} has no IMA: add one under 'imas' to compare the configurations")
    if area_budget is not None and not area_budget > 0:
        raise ImcbenchError(f"area budget {area_budget} mm2 must be > 0")
    model = CostModel(network, system)
    imas = tuple(e.name for e in system.imas)
    software = CostModel(network, system.without_accelerators())
    results = {"software": software.evaluate({l.name: Choice.single(system.cores.name) for l in network}, "software")}
    # the paper's configurations are pure: whole layers on one engine (several IMAs: the fastest spread)
    all_ima = search(model, "latency", allowed=lambda layer: imas, splits=False)
    results["all_ima"] = model.evaluate(all_ima.allocation, "all_ima")
    hybrid = search(model, "latency", splits=False,
                    allowed=lambda layer: (system.cores.name,) if layer.kind is LayerKind.DEPTHWISE else imas)
    results["hybrid"] = model.evaluate(hybrid.allocation, "hybrid")
    optimal: SearchOutcome = search(model, objective, area_budget, method=method,
                                    seeds=(all_ima.allocation, hybrid.allocation))
    results["optimal"] = model.evaluate(optimal.allocation, "optimal")
    variants = all_ima_variants(network, system, all_ima.allocation)
    similar = similar_performance(variants, results["hybrid"].latency_ns)
    shapes = tuple({"name": l.name, "kind": l.kind.value, "C": l.C * (l.G if l.kind is LayerKind.DEPTHWISE else 1),
                    "K": l.K * l.G, "OY": l.OY, "OX": l.OX, "F": l.FY, "stride": l.stride[0], "macs": l.macs,
                    "weights": l.weights} for l in network)
    return Comparison(network.name, system.name, objective, area_budget, results, similar, tuple(variants),
                      optimal.method, optimal.evaluated, shapes)


def all_ima_variants(network: Network, system: HeteroSystem, allocation: dict[str, Choice]) -> list[HeteroResult]:
    """The all-IMA allocation with IMAs sized for their weights, then with fewer crossbars (reprogrammed)."""
    need = CostModel(network, system).provision(allocation)
    variants = [CostModel(network, system).evaluate(allocation, "all_ima")]
    for fraction in CROSSBAR_FRACTIONS:
        smaller = system
        for name, (needed, _) in need.items():
            smaller = smaller.with_ima(name, crossbars=max(1, math.floor(needed * fraction)))
        variants.append(CostModel(network, smaller).evaluate(allocation, f"all_ima_{fraction:g}x_crossbars"))
    return variants


def similar_performance(variants: list[HeteroResult], latency_ns: float) -> HeteroResult:
    """The smallest variant within the tolerance of ``latency_ns``, else the fastest variant."""
    close = [v for v in variants if v.latency_ns <= latency_ns * (1 + SIMILAR_TOLERANCE)]
    if close:
        return min(close, key=lambda v: v.area_mm2)
    return min(variants, key=lambda v: v.latency_ns)


# -- MobileNetV2 bottleneck blocks ------------------------------------------------------------------------------
def block_numbers(network: Network) -> list[int]:
    """The bottleneck block numbers of a network whose layers are named ``block<N>.<layer>``."""
    return sorted({int(m.group(1)) for layer in network if (m := _BLOCK.match(layer.name))})


def bottleneck(network: Network, number: int) -> Network:
    """Block ``number`` (pw-expand, dw, pw-project) as a network of its own (inputs outside it dropped)."""
    blocks = block_numbers(network)
    if not blocks:
        raise ImcbenchError(f"--block needs a network with bottleneck blocks (layers named block<N>.*, as in "
                            f"mobilenet_v2); {network.name!r} has none")
    if number not in blocks:
        raise ImcbenchError(f"--block {number} is out of range: {network.name!r} has blocks "
                            f"{blocks[0]}..{blocks[-1]}")
    prefix = f"block{number}."
    names = {layer.name for layer in network if layer.name.startswith(prefix)}
    from dataclasses import replace

    layers = tuple(replace(layer, inputs=tuple(p for p in layer.inputs if p in names))
                   for layer in network if layer.name in names)
    return Network(f"{network.name}_block{number}", layers)


def bottleneck_table(network: Network, system: HeteroSystem) -> pd.DataFrame:
    """Per bottleneck block: shapes, hybrid speed-up over software, area saving against all-IMA."""
    rows = []
    for number in block_numbers(network):
        block = bottleneck(network, number)
        cmp = compare(block, system)
        first, dw = block.layers[0], next(l for l in block if l.kind is LayerKind.DEPTHWISE)
        last = block.layers[-1]
        channels_in = first.G if first.kind is LayerKind.DEPTHWISE else first.C
        rows.append({"block": number, "input": f"{first.IY}x{first.IX}x{channels_in}", "hidden": dw.G,
                     "output": f"{last.OY}x{last.OX}x{last.K}", "stride": dw.stride[0], "macs": block.total_macs,
                     "software_us": cmp.results["software"].latency_ns / 1e3,
                     "hybrid_us": cmp.results["hybrid"].latency_ns / 1e3,
                     "all_ima_us": cmp.results["all_ima"].latency_ns / 1e3,
                     "speedup_hybrid": cmp.speedup("hybrid"), "speedup_all_ima": cmp.speedup("all_ima"),
                     "speedup_hybrid_no_overlap": cmp.results["software"].latency_ns / cmp.results["hybrid"].sequential_ns,
                     "hybrid_mm2": cmp.results["hybrid"].area_mm2, "all_ima_mm2": cmp.similar_all_ima.area_mm2,
                     "area_saving": cmp.area_saving, "all_ima_latency_vs_hybrid": cmp.similar_latency_ratio,
                     "crossbars_hybrid": sum(cmp.results["hybrid"].crossbars.values()),
                     "crossbars_all_ima": sum(cmp.similar_all_ima.crossbars.values())})
    return pd.DataFrame(rows)
