"""An LLM step (prefill or decode) on an IMC system: weights regime, act x act policy, KV cache, lifetime.

:func:`evaluate_llm` maps the constant-weight layers with the mapping engine (:func:`imcbench.evaluate`)
and costs the two act x act matmuls of every block (Q K^T and scores V, whose second operand is the
KV cache) by an explicit policy (:class:`LLMPolicy`; by default the system's ``options.act_act`` and
``options.kv_cache``, settable in the hardware YAML):

``act_act`` where the act x act matmuls run
    ``array``        the system's own macros, the KV operand written into the cells every step (the cell
                     write cost of the system's cell: ``options.cell_write_pj_per_bit``);
    ``aimc_write`` / ``dimc_write``  a macro of that kind (same geometry) written every step: the system's
                     own macro when the kind matches, else one companion macro whose area is added;
    ``digital_unit`` a separate digital MAC array next to the L2 (:data:`DIGITAL_UNIT_MACS_PER_CYCLE` MACs per
                     cycle, an 8x8 array multiplier and accumulator per MAC from the macro model's gates);
    ``digital_core`` a general-purpose SIMD core (:data:`DIGITAL_CORE_PJ_PER_MAC`, 16 MACs per cycle).
``kv_cache`` where the cache lives, charged per token in its own energy component ``kv_cache.*``
    ``dram``  the system's DRAM: every step reads the whole cache of each layer, appends the new tokens;
    ``sram``  on-chip SRAM banks of the size and energy per bit of the system's L2 (as many as needed;
              their area is added);
    ``imc``   the cache stays in IMC cells of extra macros (area added): a step writes only the new
              tokens' K and V into the cells (endurance!) and reads nothing from memory.

**Weights regime** (:func:`weights_regime`): ``resident`` when all weights fit in the macros (written
once, then ``weights_preloaded``), otherwise ``streamed`` per layer (volatile SRAM cells) or
``reprogrammed`` per batch (non-volatile cells): the weights are re-read from DRAM and written into the
cells every step; the mapper shares one weight load among the batch (the batch is a loop of the
weight-stationary schedule), so the write energy per token falls as 1/B.
**Lifetime** of non-volatile cells: endurance / (writes per cell per second) at a token rate.
Units: pJ, cycles, ns, mm2, tokens/s, years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.evaluation import LayerResult, NetworkResult, evaluate
from imcbench.hardware import cell_costs
from imcbench.hardware.system import System
from imcbench.macro import components as cmp
from imcbench.mapping.mapper import Objective, map_layer
from imcbench.mapping.placement import Homes, buffer_level
from imcbench.workload.layer import Layer
from imcbench.workload.llm import LLMWorkload

ActAct = Literal["array", "aimc_write", "dimc_write", "digital_unit", "digital_core"]
ACT_ACT_POLICIES = ("array", "aimc_write", "dimc_write", "digital_unit", "digital_core")
KV_PLACEMENTS = ("dram", "sram", "imc")

# -- digital engines for act x act matmuls ---------------------------------------------------------
DIGITAL_UNIT_MACS_PER_CYCLE = 256  # MACs/cycle: a 16 x 16 MAC array (assumption, a user parameter)
ACCUMULATOR_BITS = 24  # bits: 8b x 8b products summed over up to 256 terms (16 + 8), as the DIMC macro model
DIGITAL_CORE_PJ_PER_MAC = 70.0 / 16  # pJ per 8-bit MAC: ~70 pJ per instruction (fetch, decode, register
# file; Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm) over a 128-bit SIMD MAC of 16 lanes
DIGITAL_CORE_MACS_PER_CYCLE = 16  # MACs/cycle: one 128-bit SIMD MAC per cycle (16 x 8-bit lanes)
DIGITAL_CORE_AREA_MM2 = 0.5  # mm2: a small in-order application core with SIMD at 28 nm (assumption)
SECONDS_PER_YEAR = 365.25 * 24 * 3600
DIMC_COMPANION_CELL = "sram6t"  # a DIMC macro computes on digital (SRAM) cells


@dataclass(frozen=True)
class LLMPolicy:
    """Where the act x act matmuls run and where the KV cache lives (see the module docstring).

    ``token_rate`` (tokens/s) sets the write rate of the lifetime figure; None: the evaluated rate.
    ``digital_unit_macs_per_cycle`` sizes the digital unit.
    """

    act_act: str = "array"
    kv_cache: str = "dram"
    token_rate: float | None = None
    digital_unit_macs_per_cycle: int = DIGITAL_UNIT_MACS_PER_CYCLE

    def __post_init__(self) -> None:
        if self.act_act not in ACT_ACT_POLICIES:
            raise ImcbenchError(f"act x act policy {self.act_act!r} is not known; use one of "
                                f"{', '.join(ACT_ACT_POLICIES)}")
        if self.kv_cache not in KV_PLACEMENTS:
            raise ImcbenchError(f"KV-cache placement {self.kv_cache!r} is not known; use one of "
                                f"{', '.join(KV_PLACEMENTS)}")
        if self.kv_cache == "imc" and self.act_act.startswith("digital"):
            raise ImcbenchError(f"kv_cache 'imc' keeps the cache in IMC cells, which the {self.act_act} "
                                "does not compute in: use act_act array, aimc_write or dimc_write")
        if self.token_rate is not None and not (math.isfinite(self.token_rate) and self.token_rate > 0):
            raise ImcbenchError(f"token rate {self.token_rate!r} must be a positive number of tokens/s")
        if not isinstance(self.digital_unit_macs_per_cycle, int) or self.digital_unit_macs_per_cycle < 1:
            raise ImcbenchError("digital_unit_macs_per_cycle must be a positive integer")


@dataclass(frozen=True)
class LLMResult(vocab.ResultMixin):
    """One LLM step on one system with its policy; ``result`` holds the layers (act x act ones included)."""

    workload: LLMWorkload
    policy: LLMPolicy
    kind: str
    cell: str
    regime: str
    result: NetworkResult
    weight_capacity: int  # weights the macros hold at once
    weight_load_pj: float  # DRAM reads of weights + their writes into the cells
    kv_cache_pj: float
    wear: tuple[tuple[str, float, float, float], ...]  # per cell population: (name, bits written per step,
    # cells, endurance in writes): the weight macros, a companion macro, the KV macros
    extra_area_mm2: dict[str, float] = field(default_factory=dict)

    @property
    def energy_pj(self) -> float:
        return self.result.energy_pj

    @property
    def latency_s(self) -> float:
        return self.result.latency_ns * 1e-9

    @property
    def energy_per_token_uj(self) -> float:
        return self.result.energy_pj / self.workload.tokens * 1e-6

    @property
    def tokens_per_s(self) -> float:
        return self.workload.tokens / self.latency_s if self.latency_s > 0 else math.inf

    @property
    def area_mm2(self) -> float:
        return self.result.area_mm2

    @property
    def weight_load_share(self) -> float:
        return self.weight_load_pj / self.energy_pj if self.energy_pj > 0 else 0.0

    @property
    def kv_cache_share(self) -> float:
        return self.kv_cache_pj / self.energy_pj if self.energy_pj > 0 else 0.0

    @property
    def cell_bits_written(self) -> float:
        """Bits written into IMC cells per step, all cell populations."""
        return float(sum(written for _, written, _, _ in self.wear))

    @property
    def lifetime_years(self) -> float:
        """Years until the most worn cell population reaches its endurance at the policy's token rate (inf:
        volatile cells or nothing written per step). Writes spread evenly over a population's cells."""
        rate = self.policy.token_rate or self.tokens_per_s
        years = [endurance / (written / cells * rate / self.workload.tokens) / SECONDS_PER_YEAR
                 for _, written, cells, endurance in self.wear
                 if written > 0 and cells > 0 and math.isfinite(endurance)]
        return min(years, default=math.inf)

    def to_dict(self) -> dict:
        w = self.workload
        return {"model": w.config.name, "phase": w.phase, "length": w.length, "batch": w.batch,
                "tokens": w.tokens, "system": self.result.system, "kind": self.kind,
                "cell": self.cell, "act_act": self.policy.act_act, "kv_cache": self.policy.kv_cache,
                "regime": self.regime, "energy_pj": self.energy_pj, "latency_s": self.latency_s,
                "energy_per_token_uj": self.energy_per_token_uj, "tokens_per_s": self.tokens_per_s,
                "area_mm2": self.area_mm2, "weight_load_share": self.weight_load_share,
                "kv_cache_share": self.kv_cache_share, "weight_capacity": self.weight_capacity,
                "weights": w.network.total_weights, "cell_bits_written": self.cell_bits_written,
                "wear": [dict(zip(("cells", "bits_written", "cell_bits", "endurance"), p)) for p in self.wear],
                "lifetime_years": self.lifetime_years, "extra_area_mm2": dict(self.extra_area_mm2),
                "energy_breakdown_pj": dict(self.result.energy_breakdown_pj),
                "not_modeled": list(w.not_modeled)}


# -- cells --------------------------------------------------------------------------------------------
def cell_name(system: System) -> str:
    """The memory-cell technology of the system's macros (``macro.cell``)."""
    return system.macro.cell


def cell_endurance(system: System) -> float:
    """Write cycles a cell survives (inf for SRAM), from :mod:`imcbench.celltech`."""
    return float(system.macro.cell_technology.endurance_writes)


def is_volatile(system: System) -> bool:
    return not math.isfinite(cell_endurance(system))


# -- weights regime ------------------------------------------------------------------------------------
def weight_capacity(system: System) -> int:
    """Weights the system's macros hold at once."""
    m = system.macro
    return m.rows * m.weight_cols * m.cells_per_mult * m.n_macros


def weights_regime(total_weights: int, system: System) -> str:
    """``resident`` when the weights fit the macros, else ``streamed`` (volatile cells) or
    ``reprogrammed`` (non-volatile cells, rewritten every step)."""
    if total_weights <= weight_capacity(system):
        return "resident"
    return "streamed" if is_volatile(system) else "reprogrammed"


# -- the evaluation ------------------------------------------------------------------------------------
def evaluate_llm(workload: LLMWorkload, system: System, policy: LLMPolicy | None = None,
                 objective: Objective = "energy") -> LLMResult:
    """One step of ``workload`` on ``system`` under ``policy`` (see the module docstring); without a
    policy, the system's options ``act_act`` and ``kv_cache``."""
    policy = policy or LLMPolicy(system.options.act_act, system.options.kv_cache)
    network = workload.network
    regime = weights_regime(network.total_weights, system)
    weight_system = system.with_options(act_act="array", kv_cache="dram")  # the policy is applied here
    if regime == "resident":
        weight_system = weight_system.with_options(weights_preloaded=True)
    base = evaluate(network, weight_system, objective)
    tclk = base.tclk_ns
    engine = _ActActEngine.of(system, policy, workload, objective)
    layers, cache = [], {}
    for layer, result in zip(network, base.layers):
        if layer.weight_is_constant:
            layers.append(result)
            continue
        key = replace(layer, name="", inputs=())
        if key not in cache:
            cache[key] = engine.cost(layer, tclk)
        energy, cycles, text = cache[key]
        if system.options.cell_leakage:  # the cells leak while the act x act layer runs, as in the mapper
            energy = energy | {"leakage.cells": cell_costs.leakage_pw(system.macro) * sum(cycles.values()) * tclk
                               * cell_costs.PJ_PER_PW_NS}
        layers.append(LayerResult(name=layer.name, kind=layer.kind.value, macs=layer.macs,
                                  energy_pj=float(sum(energy.values())), latency_cycles=float(sum(cycles.values())),
                                  tclk_ns=tclk, area_mm2=0.0, spatial_utilization=float("nan"),
                                  mapping={"text": text, "short": text}, energy_breakdown_pj=energy,
                                  cycle_breakdown=cycles))
    extra = engine.extra_area_mm2()
    area = dict(base.area_breakdown_mm2) | extra
    total_area = float(sum(area.values()))
    layers = [replace(r, area_mm2=total_area) for r in layers]
    result = NetworkResult(network=base.network, system=base.system, objective=objective, tclk_ns=tclk,
                           area_mm2=total_area, area_breakdown_mm2=area, layers=tuple(layers))
    breakdown = result.energy_breakdown_pj
    weight_pj = sum(v for k, v in breakdown.items() if k.startswith("weights.") or k.endswith(".W"))
    kv_pj = sum(v for k, v in breakdown.items() if k.startswith("kv_cache."))
    constant = [r for layer, r in zip(network, base.layers) if layer.weight_is_constant]
    weight_cells = float(weight_capacity(system) * system.macro.weight_bits)
    wear = [("weight macros", _weight_bits_written(constant, system, regime), weight_cells, cell_endurance(system))]
    wear = engine.wear(network, wear)
    return LLMResult(workload=workload, policy=policy, kind=system.macro.kind, cell=cell_name(system),
                     regime=regime, result=result,
                     weight_capacity=weight_capacity(system), weight_load_pj=float(weight_pj),
                     kv_cache_pj=float(kv_pj), wear=tuple(wear), extra_area_mm2=extra)


def _weight_bits_written(layers: list[LayerResult], system: System, regime: str) -> float:
    """Weight bits written into the cells per step (0 when resident): the cell-write energy over its price."""
    price = system.options.cell_write_pj_per_bit
    if regime == "resident":
        return 0.0
    energy = sum(r.energy_breakdown_pj.get("weights.cell_write", 0.0) for r in layers)
    if energy > 0 and price <= 0:
        raise ImcbenchError("cell_write_pj_per_bit is 0: the weight writes cannot be counted")
    return energy / price if price > 0 else 0.0


@dataclass
class _ActActEngine:
    """Costs one act x act layer under the policy: compute + KV-cache traffic (+ cell writes)."""

    system: System
    policy: LLMPolicy
    workload: LLMWorkload
    objective: Objective
    macro_system: System | None  # the macros computing act x act (None for the digital engines)
    kv_cell_bits: float = 0.0

    @classmethod
    def of(cls, system: System, policy: LLMPolicy, workload: LLMWorkload, objective: Objective) -> "_ActActEngine":
        macro_system = None
        if policy.act_act in ("array", "aimc_write", "dimc_write"):
            kind = system.macro.kind if policy.act_act == "array" else policy.act_act.split("_")[0]
            macro_system = system if kind == system.macro.kind else companion_system(system, kind)
        engine = cls(system, policy, workload, objective, macro_system)
        if policy.kv_cache == "imc":
            engine.kv_cell_bits = float(workload.kv_cache_elements * workload.network.layers[0].act_bits)
        return engine

    # -- where the KV cache lives ----------------------------------------------------------------
    def _kv_level(self):
        if self.policy.kv_cache == "sram":
            level = buffer_level(self.system)
            if level is None:
                raise ImcbenchError(f"kv_cache 'sram': system {self.system.name!r} has no on-chip buffer "
                                    "serving inputs and outputs to take the SRAM banks from")
            return level
        if self.policy.kv_cache == "dram":
            dram = [lv for lv in self.system.memories if lv.kind == "dram"]
            return dram[-1] if dram else self.system.memories[-1]
        return None

    def _new_fraction(self) -> float:
        """Share of a layer's KV operand written by this step (the new tokens' K and V)."""
        w = self.workload
        return 1.0 if w.phase == "prefill" else 1.0 / w.length

    def cost(self, layer: Layer, tclk_ns: float) -> tuple[dict[str, float], dict[str, float], str]:
        """Energy breakdown (pJ), cycle breakdown (cycles of the system clock) and a description."""
        bits = layer.weight_bits
        operand_bits = layer.weight_operand_elements * bits  # the KV entries this layer reads
        new_bits = operand_bits * self._new_fraction()
        energy: dict[str, float] = {}
        cycles: dict[str, float] = {}
        level = self._kv_level()
        if level is not None:
            energy["kv_cache.read"] = operand_bits * level.read_pj_per_bit
            energy["kv_cache.append"] = new_bits * level.write_pj_per_bit
            kv_read_cycles = operand_bits / (level.bandwidth_bits * self.system.instances(level))
        else:  # in the IMC cells: only the new entries are written, into the cells
            kv_read_cycles = 0.0
        if self.macro_system is None:
            compute_energy, compute_cycles, text = self._digital(layer)
            energy |= compute_energy
        else:
            compute_energy, compute_cycles, text = self._in_macros(layer, tclk_ns)
            energy |= compute_energy
            written = new_bits if level is None else operand_bits
            price = self.macro_system.options.cell_write_pj_per_bit
            energy["kv_cache.cell_write"] = written * price
            macro = self.macro_system.macro
            rows = written / bits / (macro.weight_cols * macro.n_macros)
            cycles["kv_cell_write"] = rows / self.macro_system.options.weight_rows_per_cycle
        cycles["compute"] = compute_cycles
        cycles["kv_memory_stall"] = max(kv_read_cycles - compute_cycles, 0.0)
        return energy, cycles, text

    def _in_macros(self, layer: Layer, tclk_ns: float):
        system = self.macro_system.with_options(weights_preloaded=True)  # the KV writes are charged above
        buffer = buffer_level(system)
        homes = (Homes(system.levels("I").index(buffer), system.levels("O").index(buffer))
                 if buffer is not None else None)
        mapped = map_layer(layer, system, self.objective, homes)
        own_tclk = system.macro.evaluate().tclk_ns if system is not self.system else tclk_ns
        energy = {k: v for k, v in mapped.energy_breakdown_pj.items() if not k.startswith("weights.")}
        where = "own macros" if self.macro_system is self.system else f"companion {system.macro.kind} macro"
        return energy, mapped.cycles * own_tclk / tclk_ns, f"act x act on {where}: {mapped.mapping.short()}"

    def _digital(self, layer: Layer):
        tech = self.system.macro.technology
        buffer = buffer_level(self.system) or self.system.memories[-1]
        operands = (layer.input_elements * layer.act_bits * buffer.read_pj_per_bit
                    + layer.output_elements * layer.out_bits * buffer.write_pj_per_bit)
        if self.policy.act_act == "digital_unit":
            per_mac = digital_mac_energy_pj(layer.act_bits, layer.weight_bits, tech)
            rate = self.policy.digital_unit_macs_per_cycle
            name = f"digital unit ({rate} MACs/cycle)"
        else:
            per_mac, rate, name = DIGITAL_CORE_PJ_PER_MAC, DIGITAL_CORE_MACS_PER_CYCLE, "digital core (SIMD)"
        key = "act_act." + self.policy.act_act
        return ({key: layer.macs * per_mac, f"{key}.operands": operands}, layer.macs / rate, f"act x act on {name}")

    # -- bookkeeping ---------------------------------------------------------------------------------
    def wear(self, network, populations: list) -> list:
        """``populations`` with the KV bits this step writes into IMC cells: into the computing macros
        (the system's own: shared with the weights; a companion: its own cells) or into the KV macros."""
        if self.macro_system is None:
            return populations
        share = self._new_fraction() if self.policy.kv_cache == "imc" else 1.0
        bits = sum(layer.weight_operand_elements * layer.weight_bits * share
                   for layer in network if not layer.weight_is_constant)
        endurance = cell_endurance(self.macro_system)
        if self.policy.kv_cache == "imc":
            return populations + [("kv macros", bits, self.kv_cell_bits, endurance)]
        if self.macro_system is self.system:
            name, written, cells, _ = populations[0]
            return [(name, written + bits, cells, endurance)] + populations[1:]
        macro = self.macro_system.macro
        cells = float(macro.rows * macro.weight_cols * macro.cells_per_mult * macro.weight_bits)
        return populations + [("companion macro", bits, cells, endurance)]

    def extra_area_mm2(self) -> dict[str, float]:
        """Area the policy adds to the system: companion macro, digital engine, KV SRAM banks or macros."""
        extra: dict[str, float] = {}
        tech = self.system.macro.technology
        if self.macro_system is not None and self.macro_system is not self.system:
            extra["act_act.companion_macro"] = self.macro_system.macro.evaluate().area_mm2
        if self.policy.act_act == "digital_unit":
            extra["act_act.digital_unit"] = (self.policy.digital_unit_macs_per_cycle
                                             * digital_mac_area_mm2(8, 8, tech))
        elif self.policy.act_act == "digital_core":
            extra["act_act.digital_core"] = DIGITAL_CORE_AREA_MM2
        kv_bits = self.workload.kv_cache_elements * self.workload.network.layers[0].act_bits
        if self.policy.kv_cache == "sram":
            level = self._kv_level()
            banks = math.ceil(kv_bits / level.size_bits)
            extra["kv_cache.sram_banks"] = banks * level.area_mm2
        elif self.policy.kv_cache == "imc":
            macro = self.macro_system.macro
            per_macro_bits = macro.rows * macro.weight_cols * macro.cells_per_mult * macro.weight_bits
            one = replace(macro, n_macros=1).evaluate().area_mm2
            extra["kv_cache.imc_macros"] = math.ceil(kv_bits / per_macro_bits) * one
        return extra


def with_cell(system: System, cell: str) -> System:
    """``system`` with another memory cell: the macro's cell and the weight-write energy and write speed
    it sets (:mod:`imcbench.hardware.cell_costs`). An unknown cell raises, listing the known ones."""
    changed = system.with_macro(cell=cell)
    return changed.with_options(cell_write_pj_per_bit=cell_costs.cell_write_pj_per_bit(changed.macro),
                                weight_rows_per_cycle=cell_costs.weight_rows_per_cycle(changed.macro))


def companion_system(system: System, kind: str) -> System:
    """One macro of ``kind`` with the system's geometry and memories, for the act x act matmuls. A DIMC
    companion computes on SRAM cells (DIMC needs digital cells); an AIMC one keeps the system's cell."""
    cell = system.macro.cell if kind == "aimc" or system.macro.cell_technology.is_sram else DIMC_COMPANION_CELL
    macro = replace(system.macro, kind=kind, bits_per_cycle=None, adc_bits=None, n_macros=1, cell=cell)
    return with_cell(replace(system, macro=macro), cell)


def digital_mac_energy_pj(act_bits: int, weight_bits: int, tech) -> float:
    """One MAC of a digital unit, pJ: an array multiplier (Bi x Bw one-bit products, (Bi - 1) x Bw full
    adders) and an accumulator (:data:`ACCUMULATOR_BITS` full adders and flip-flops), from the macro
    model's gate energies (Sun et al., ICCAD 2023; zigzag-dse 3.9.1 ``ImcUnit.TECH_PARAM_28NM``)."""
    fa, mult, dff = (float(np.asarray(f(tech))) for f in (cmp.full_adder_energy, cmp.multiplier_energy,
                                                            cmp.dff_energy))
    fj = act_bits * weight_bits * mult + (act_bits - 1) * weight_bits * fa + ACCUMULATOR_BITS * (fa + dff)
    return fj / 1e3


def digital_mac_area_mm2(act_bits: int, weight_bits: int, tech) -> float:
    """Area of one MAC of the digital unit, mm2 (same gates as :func:`digital_mac_energy_pj`)."""
    fa = float(np.asarray(cmp.full_adder_area(tech)))
    nand = float(np.asarray(tech.a_nand2))
    dff = float(np.asarray(tech.a_dff))
    um2 = act_bits * weight_bits * nand + (act_bits - 1) * weight_bits * fa + ACCUMULATOR_BITS * (fa + dff)
    return um2 / 1e6
