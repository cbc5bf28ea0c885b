"""The cost of one allocation (which engine runs which layer) on a `HeteroSystem`.

An allocation gives every layer a :class:`Choice`: one engine, or a split of its output channels over two.
Costing it: (1) every IMA is provisioned: with ``crossbars: auto`` it gets as many crossbars as the
weights allocated to it need (weight-stationary; that count sets its area); with a fixed count that is too
small it is time-multiplexed: before each layer it programs that layer's tiles (1 us per 8 weights), every
inference; (2) each engine's share of each layer is costed (:mod:`imcbench.hetero.engines`); (3) the tiles are
scheduled (:mod:`imcbench.hetero.schedule`). Latency is the schedule's makespan, energy the sum of all parts
(no leakage: idle engines are assumed clock-gated), area the cluster plus the engines the allocation uses.

Not modelled (first-order model): L1 bank conflicts and the sharing of L1 and DMA bandwidth between engines
that run at the same time; the cores that configure an IMA job or add its partial sums are not taken from
the cores' own timeline (their time is charged to the IMA); the accuracy of 4-bit crossbar weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imcbench import results as vocab
from imcbench.hetero.cluster import HeteroSystem
from imcbench.hetero.engines import EngineCost, cycles_to_ns, ima_time_ns
from imcbench.hetero.schedule import Part, Schedule, makespan, schedule
from imcbench.workload import Layer, Network


@dataclass(frozen=True)
class Choice:
    """How one layer runs: ``parts`` = ((engine, share of the output channels), ...), shares summing to 1."""

    parts: tuple[tuple[str, float], ...]

    @classmethod
    def single(cls, engine: str) -> "Choice":
        return cls(((engine, 1.0),))

    @property
    def engines(self) -> tuple[str, ...]:
        return tuple(e for e, _ in self.parts)

    @property
    def label(self) -> str:
        """``ima`` for one engine, ``cores:25%+ima:75%`` for a split."""
        if len(self.parts) == 1:
            return self.parts[0][0]
        return "+".join(f"{e}:{round(100 * s)}%" for e, s in self.parts)


@dataclass(frozen=True)
class HeteroResult(vocab.ResultMixin):
    """One allocation of a network on a cluster: latency (ns), energy (pJ), area (mm2) and the timeline."""

    name: str
    network: str
    system: str
    allocation: dict[str, str]
    latency_ns: float
    sequential_ns: float
    energy_pj: float
    energy_breakdown_pj: dict[str, float]
    area_mm2: float
    area_breakdown_mm2: dict[str, float]
    macs: int
    busy_ns: dict[str, float]
    crossbars: dict[str, int]
    reprogrammed: dict[str, bool]
    schedule: Schedule | None = field(default=None, repr=False)

    @property
    def gops(self) -> float:
        """Throughput in GOPS (1 MAC = 2 operations)."""
        return vocab.gops(vocab.ops(self.macs), self.latency_ns) if self.latency_ns > 0 else 0.0

    @property
    def tops_per_w(self) -> float:
        return vocab.tops_per_w(vocab.ops(self.macs), self.energy_pj) if self.energy_pj > 0 else 0.0

    @property
    def gops_per_mm2(self) -> float:
        return vocab.tops_per_mm2(self.gops, self.area_mm2) if self.area_mm2 > 0 else 0.0

    def to_dict(self, timeline: bool = False) -> dict:
        data = {"name": self.name, "network": self.network, "system": self.system, "latency_ns": self.latency_ns,
                "sequential_ns": self.sequential_ns, "energy_pj": self.energy_pj, "area_mm2": self.area_mm2,
                "gops": self.gops, "tops_per_w": self.tops_per_w, "gops_per_mm2": self.gops_per_mm2,
                "macs": self.macs, "allocation": dict(self.allocation), "busy_ns": dict(self.busy_ns),
                "crossbars": dict(self.crossbars), "reprogrammed": dict(self.reprogrammed),
                "energy_breakdown_pj": dict(self.energy_breakdown_pj),
                "area_breakdown_mm2": dict(self.area_breakdown_mm2)}
        if timeline and self.schedule is not None:
            data["timeline"] = self.schedule.to_records()
        return data


class CostModel:
    """Costs allocations of one network on one system; per-layer engine costs are computed once."""

    def __init__(self, network: Network, system: HeteroSystem):
        self.network = network
        self.system = system
        self._parts: dict[tuple[str, str, float], EngineCost] = {}
        self._tiling: dict = {}

    # -- one layer share -----------------------------------------------------------------------------------
    def part_cost(self, layer: Layer, engine: str, share: float) -> EngineCost:
        """The cost of ``share`` of ``layer`` on ``engine`` with all its weights resident (cached)."""
        key = (layer.name, engine, share)
        if key not in self._parts:
            s = self.system
            spec = s.engine(engine)
            if s.is_ima(engine):
                cost = spec.cost(layer, share, s.clock_mhz, s.memory, s.cores)
            else:
                cost = spec.cost(layer, share, s.clock_mhz, s.memory)
            self._parts[key] = cost
        return self._parts[key]

    def choice_cost(self, layer: Layer, choice: Choice) -> tuple[float, float, dict[str, int]]:
        """(time ns, energy pJ, crossbars per IMA) of a choice on its own: the parts run in parallel."""
        costs = [(e, self.part_cost(layer, e, s)) for e, s in choice.parts]
        xbars: dict[str, int] = {}
        for e, c in costs:
            if c.crossbars:
                xbars[e] = xbars.get(e, 0) + c.crossbars
        return max(c.time_ns for _, c in costs), sum(c.total_energy_pj for _, c in costs), xbars

    # -- a whole allocation ----------------------------------------------------------------------------------
    def provision(self, allocation: dict[str, Choice]) -> dict[str, tuple[int, int]]:
        """Per used IMA: (crossbars its allocated weights need, crossbars it has)."""
        needed: dict[str, int] = {}
        for layer in self.network:
            for engine, share in allocation[layer.name].parts:
                if self.system.is_ima(engine):
                    needed[engine] = needed.get(engine, 0) + self.part_cost(layer, engine, share).crossbars
        return {e: (n, self.system.engine(e).crossbars or n) for e, n in needed.items()}

    def area(self, allocation: dict[str, Choice], provision: dict[str, tuple[int, int]] | None = None
             ) -> dict[str, float]:
        """Area by component (mm2): the cluster, the accelerators the allocation uses, each IMA as provisioned."""
        provision = self.provision(allocation) if provision is None else provision
        used = {e for choice in allocation.values() for e in choice.engines}
        s = self.system
        areas = {k: v for k, v in s.fixed_area_mm2.items() if k in ("cores", "l1", "cluster") or k in used}
        for engine, (_, has) in provision.items():
            areas[engine] = s.engine(engine).area_mm2(has)
        return areas

    def parts_and_energy(self, allocation: dict[str, Choice], provision: dict[str, tuple[int, int]]
                         ) -> tuple[dict[str, list[Part]], dict[str, float], float]:
        """The scheduler's parts of every layer, the energy by component (pJ) and the no-overlap latency (ns)."""
        s = self.system
        parts: dict[str, list[Part]] = {}
        energy: dict[str, float] = {}
        sequential = 0.0
        for layer in self.network:
            layer_parts = []
            for engine, share in allocation[layer.name].parts:
                cost = self.part_cost(layer, engine, share)
                spec = s.engine(engine)
                time, program = cost.time_ns, 0.0
                if engine in provision and provision[engine][0] > provision[engine][1]:  # time-multiplexed IMA
                    time = ima_time_ns(spec, cost, provision[engine][1], s.clock_mhz, s.memory, s.cores)
                    program = cost.program_words * spec.program_ns_per_word
                    energy["ima.program"] = energy.get("ima.program", 0.0) + (
                        cost.program_words * spec.weights_per_word * spec.program_pj_per_weight)
                for key, value in cost.energy_pj.items():
                    energy[key] = energy.get(key, 0.0) + value
                overhead = cycles_to_ns(spec.task_overhead_cycles, s.clock_mhz)
                layer_parts.append(Part(engine, time, overhead, program))
            parts[layer.name] = layer_parts
            sequential += max(p.duration_ns + p.program_ns for p in layer_parts)
        return parts, energy, sequential

    def quick(self, allocation: dict[str, Choice]) -> tuple[float, float, float]:
        """(latency ns, energy pJ, area mm2) without the task table: the search's inner loop."""
        provision = self.provision(allocation)
        parts, energy, _ = self.parts_and_energy(allocation, provision)
        latency = makespan(self.network, parts, self.system.row_tiles, self._handoff_ns, self._tiling)
        return latency, float(sum(energy.values())), float(sum(self.area(allocation, provision).values()))

    def evaluate(self, allocation: dict[str, Choice], name: str = "") -> HeteroResult:
        """The full result of ``allocation``: totals, breakdowns, busy times and the timeline."""
        provision = self.provision(allocation)
        parts, energy, sequential = self.parts_and_energy(allocation, provision)
        timeline = schedule(self.network, parts, self.system.row_tiles, self._handoff_ns, self._tiling)
        area = self.area(allocation, provision)
        return HeteroResult(
            name=name, network=self.network.name, system=self.system.name,
            allocation={layer: choice.label for layer, choice in allocation.items()},
            latency_ns=timeline.makespan_ns, sequential_ns=sequential, energy_pj=float(sum(energy.values())),
            energy_breakdown_pj=energy, area_mm2=float(sum(area.values())), area_breakdown_mm2=area,
            macs=self.network.total_macs, busy_ns=timeline.busy_ns(),
            crossbars={e: has for e, (_, has) in provision.items()},
            reprogrammed={e: need > has for e, (need, has) in provision.items()}, schedule=timeline)

    @property
    def _handoff_ns(self) -> float:
        return cycles_to_ns(self.system.handoff_cycles, self.system.clock_mhz)
