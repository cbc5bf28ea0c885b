"""Pricing the traffic of candidate mappings: energy (pJ) and cycles, for one system or many at once.

Energy = macro energy (the paper's per-cycle model at the used rows and columns,
zigzag-dse 3.9.1 ``ImcArray.get_energy_for_a_layer``) x cycles
+ the bits each memory level reads and writes x its energy per bit + weight bits written into the cells
+ local bit-line precharge when cells share a multiplier (M > 1) + partial-sum additions between macros
+ the bits moved between the shared memories and the macros over the links (``interconnect.<operand>``
on chip, ``interconnect.chip.<operand>`` between chips; only when the system models links, see
:mod:`imcbench.interconnect`).
Cycles = compute + weight-loading stalls (no overlap when each multiplier has a single cell, M = 1) and,
for each memory level and the links, the bits moved over the bandwidth (a roofline: transfers overlap
compute); the links' share of the stall is ``interconnect_stall``.

:func:`price` takes the :class:`~imcbench.mapping.traffic.Traffic` of one structure and any number of
systems sharing it (differing in technology, ADC resolution, memory energies or bandwidths) and returns
(systems x candidates) arrays: a sweep over such parameters costs one traffic analysis per layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from imcbench.errors import ImcbenchError
from imcbench.hardware import cell_costs
from imcbench.hardware.system import System
from imcbench.interconnect import Interconnect, link_cycles, link_energy_per_bit
from imcbench.macro import MacroParams
from imcbench.macro import components as cmp
from imcbench.macro.model import delay_by_component, energy_per_cycle, peak, precharge_energy_per_switch
from imcbench.mapping.placement import Homes
from imcbench.mapping.space import Candidates
from imcbench.mapping.traffic import (Traffic, layer_traffic, standalone_homes,  # noqa: F401 (re-exported)
                                     structure_key)
from imcbench.tech import Technology
from imcbench.workload import Layer


@dataclass
class CostArrays:
    """Per-candidate results (1-D for one system, systems x candidates for many). Energies in pJ,
    cycles in clock cycles; dicts map a component to an array."""

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

    def row(self, s: int) -> "CostArrays":
        """The results of system ``s`` of a many-system pricing, as 1-D arrays."""
        return CostArrays(self.energy_pj[s], self.cycles[s], {k: v[s] for k, v in self.energy_breakdown.items()},
                          {k: v[s] for k, v in self.cycle_breakdown.items()}, self.feasible, self.infeasible_reason,
                          self.spatial_utilization, self.rows_used, self.cols_used, self.macros_used,
                          self.weight_positions)


def evaluate_candidates(layer: Layer, system: System, cand: Candidates, homes: Homes | None = None) -> CostArrays:
    """Energy and cycles of every candidate mapping of ``layer`` on ``system``.

    ``homes``: where the input and output tensors live (see :mod:`imcbench.mapping.placement`); by
    default the layer runs alone.
    """
    return price(layer_traffic(layer, system, cand, homes), [system]).row(0)


def pricing_key(system: System) -> tuple:
    """Systems with equal keys are priced in one pass (:class:`Pricing`): they share a structure
    (:func:`imcbench.mapping.traffic.structure_key`, hence every layer's traffic) and the macro's delay and
    ADC models, which the vectorized macro model takes once per pass."""
    return structure_key(system), system.macro.delay_model, system.macro.adc_model


@dataclass(frozen=True)
class Pricing:
    """The prices of systems sharing one structure, as (systems x 1) columns; built once per sweep group."""

    systems: tuple[System, ...]
    macro: dict[str, np.ndarray]  # MacroParams fields, shape (S, 1)
    tech: Technology
    is_aimc: np.ndarray
    delay_model: str
    adc_model: str
    dimc_full_array: np.ndarray
    cell_write: np.ndarray
    rows_per_cycle: np.ndarray
    read: dict[str, np.ndarray]  # pJ per bit, by level name
    write: dict[str, np.ndarray]
    bandwidth: dict[str, np.ndarray]  # bits per cycle, all instances
    precharge_per_switch: np.ndarray
    full_adder_pj: np.ndarray
    leakage_pj_per_cycle: np.ndarray  # cells of all macros x leakage x t_clk; 0 unless options.cell_leakage
    links: tuple[Interconnect, ...] = ()
    tclk_ns: np.ndarray | None = None  # (S, 1) clock periods, for link bandwidths given in Gb/s

    @property
    def links_modeled(self) -> bool:
        return any(link.modeled for link in self.links)

    @classmethod
    def of(cls, systems: Sequence[System]) -> "Pricing":
        each = [x.macro.params() for x in systems]
        col = lambda values: np.asarray(values, dtype=float)[:, None]  # noqa: E731
        fields = ("weight_cols", "input_bits", "weight_bits", "bits_per_cycle", "adc_bits", "cells_per_mult",
                  "n_macros", "cells_area_mm2", "rows", "cell_area_ratio", "cell_read_fj")
        macro = {f: col([float(getattr(p, f)) for p in each]) for f in fields}
        tech = Technology(**{f: col([float(np.asarray(getattr(p.tech, f))) for p in each])
                             for f in ("node_nm", "vdd", "vth", "alpha", "analog_node_exponent")})
        is_aimc = np.array([bool(p.is_aimc) for p in each])[:, None]
        for choice in ("delay_model", "adc_model"):  # one string per pass: group systems by pricing_key
            models = {getattr(p, choice) for p in each}
            if len(models) > 1:
                raise ImcbenchError(f"systems priced together use different {choice} values {sorted(models)}; "
                                    "group them by imcbench.mapping.cost.pricing_key")
        delay_model, adc_model = each[0].delay_model, each[0].adc_model
        one = MacroParams(is_aimc=is_aimc, tech=tech, delay_model=delay_model, adc_model=adc_model, **macro)
        names = [level.name for level in systems[0].memories]
        level = lambda x, name: next(lv for lv in x.memories if lv.name == name)  # noqa: E731
        return cls(
            systems=tuple(systems), macro=macro, tech=tech, is_aimc=is_aimc, delay_model=delay_model,
            adc_model=adc_model,
            dimc_full_array=np.array([x.options.dimc_multipliers_full_array for x in systems])[:, None],
            cell_write=col([x.options.cell_write_pj_per_bit for x in systems]),
            rows_per_cycle=col([x.options.weight_rows_per_cycle for x in systems]),
            read={n: col([level(x, n).read_pj_per_bit for x in systems]) for n in names},
            write={n: col([level(x, n).write_pj_per_bit for x in systems]) for n in names},
            bandwidth={n: col([level(x, n).bandwidth_bits * x.instances(level(x, n)) for x in systems])
                       for n in names},
            precharge_per_switch=np.asarray(precharge_energy_per_switch(one)),
            full_adder_pj=np.asarray(cmp.full_adder_energy(tech)) / 1e3,
            leakage_pj_per_cycle=_leakage_pj_per_cycle(systems, one),
            links=tuple(x.interconnect for x in systems),
            tclk_ns=_clock_periods(one, systems))

    def params(self, n: int) -> MacroParams:
        """The macros as MacroParams of shape (S, n) for n candidates."""
        fields = dict(self.macro, rows=np.broadcast_to(self.macro["rows"], (len(self.systems), n)))
        return MacroParams(is_aimc=self.is_aimc, tech=self.tech, delay_model=self.delay_model,
                           adc_model=self.adc_model, **fields)


def price(traffic: Traffic, systems: Sequence[System] | Pricing) -> CostArrays:
    """Price ``traffic`` for each of ``systems`` (same structure): arrays of shape (systems, candidates)."""
    pricing = systems if isinstance(systems, Pricing) else Pricing.of(systems)
    s, n = len(pricing.systems), len(traffic.rows_used)
    per_cycle = energy_per_cycle(pricing.params(n), rows_used=traffic.rows_used, cols_used=traffic.cols_used,
                                 dimc_multipliers_full_array=pricing.dimc_full_array)
    activity = traffic.cycles_per_activation * traffic.total_activations
    energy = {f"macro.{name}": value * activity for name, value in per_cycle.items()}
    if np.any(pricing.precharge_per_switch > 0):
        energy["macro.precharge"] = traffic.weight_switches * pricing.precharge_per_switch
    if np.any(traffic.reduction_adds > 0):
        energy["macro.inter_macro_adders"] = traffic.reduction_adds * pricing.full_adder_pj
    energy["weights.cell_write"] = traffic.cell_bits * pricing.cell_write
    for charge in traffic.charges:
        per_bit = (pricing.write if charge.write else pricing.read)[charge.level]
        energy[charge.key] = energy.get(charge.key, 0.0) + charge.bits * per_bit
    if pricing.links_modeled:
        energy |= _link_energy(traffic, pricing)
    energy = {k: np.broadcast_to(v, (s, n)) for k, v in energy.items()}
    cycles, cycle_breakdown = _cycles(traffic, pricing, s, n)
    if np.any(pricing.leakage_pj_per_cycle > 0):
        energy["leakage.cells"] = cycles * pricing.leakage_pj_per_cycle
    feasible = traffic.feasible
    total = sum(energy.values())
    return CostArrays(energy_pj=np.where(feasible, total, np.inf), cycles=np.where(feasible, cycles, np.inf),
                      energy_breakdown=energy, cycle_breakdown=cycle_breakdown, feasible=feasible,
                      infeasible_reason=traffic.infeasible_reason, spatial_utilization=traffic.spatial_utilization,
                      rows_used=traffic.rows_used, cols_used=traffic.cols_used, macros_used=traffic.macros_used,
                      weight_positions=traffic.weight_positions)


def _clock_periods(params: MacroParams, systems: Sequence[System]) -> np.ndarray | None:
    """Clock periods (ns, (S, 1)) when a system gives a link bandwidth in Gb/s; else None (not needed)."""
    if not any(x.interconnect.bandwidth_gbps or x.interconnect.chip_link_gbps for x in systems):
        return None
    return np.asarray(peak(params).t_clk, dtype=float).reshape(len(systems), 1)


def _link_energy(traffic: Traffic, pricing: Pricing) -> dict[str, np.ndarray]:
    """Energy of the bits each operand moves over the links, pJ, (systems x candidates) per key."""
    per_bit = [link_energy_per_bit(link, traffic.macros_used) for link in pricing.links]
    on_chip = np.stack([e for e, _ in per_bit])
    chip = np.stack([e for _, e in per_bit])
    energy = {f"interconnect.{op}": bits * on_chip for op, bits in traffic.link_bits.items()}
    if any(link.macros_per_chip is not None for link in pricing.links):
        energy |= {f"interconnect.chip.{op}": bits * chip for op, bits in traffic.link_bits.items()}
    return energy


def _leakage_pj_per_cycle(systems: Sequence[System], params: MacroParams) -> np.ndarray:
    """Leakage (or refresh) energy of every cell of the system per clock, pJ, shape (S, 1); 0 where
    ``options.cell_leakage`` is off. leakage_pw_per_bit (imcbench.celltech) x cells x t_clk."""
    t_clk = sum(delay_by_component(params).values())
    power_pw = np.array([cell_costs.leakage_pw(x.macro) if x.options.cell_leakage else 0.0
                         for x in systems])[:, None]
    return power_pw * t_clk * cell_costs.PJ_PER_PW_NS


def _cycles(traffic: Traffic, pricing: Pricing, s: int, n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Latency of every candidate on every system, clock cycles, (S, N), and its breakdown (cycles).

    cycles = busy + weight-loading stall + memory stall + link stall, where

    * compute = activations of one macro (the macros run in parallel) x ceil(Bi/Bc) cycles each:
      the paper's latency ceil(temporal iterations x Bi/Bc) (Sun et al., ICCAD 2023; zigzag-dse 3.9.1
      ``CostModelEvaluationForIMC`` takes ``cycles_per_op = Bi/Bc``);
    * weight loading (:func:`_weight_load_cycles`): max(rows written / rows per cycle, weight bits / source
      bandwidth in bits per cycle): the paper writes the array row by row from DRAM ("reloads x mapped rows"
      stall cycles, zigzag-imc b0f0319), zigzag-dse is bound by the upper memory's bandwidth; we take the
      slower. It stalls the array when each multiplier has one cell (M = 1) and overlaps compute when a spare
      cell is written while the other computes (M > 1): busy = max(compute, load);
    * memory and link stalls: a roofline, the cycles the slowest memory level or link needs for its bits
      (bits / bandwidth in bits per cycle) beyond the busy time (transfers overlap compute: an imcbench
      assumption, not the paper's; registers are sized to the array and never stall). Links given in Gb/s
      are converted with the clock period (ns).

    Breakdown: ``ideal`` (every MAC on fully used arrays), ``spatial_underuse`` (compute - ideal),
    ``weight_loading``, ``memory_stall`` and, when links are modeled, ``interconnect_stall``.
    """
    compute = traffic.activations * traffic.cycles_per_activation
    w_load = _weight_load_cycles(traffic, pricing)
    if traffic.weights_overlap_compute:
        stall_w = np.zeros((s, n))
        busy = np.maximum(compute, w_load)
    else:
        stall_w = np.broadcast_to(w_load, (s, n))
        busy = np.broadcast_to(compute, (s, n))
    memory = _memory_cycles(traffic, pricing, s, n)
    stall_mem = np.maximum(memory - busy, 0.0)
    stall_link = np.zeros((s, n))
    if pricing.links_modeled:  # the links are one more roofline next to the memories
        stall_link = np.maximum(np.maximum(memory, _link_cycles(traffic, pricing, s)) - busy, 0.0) - stall_mem
    cycles = busy + stall_w + stall_mem + stall_link
    breakdown = {"ideal": np.full((s, n), traffic.ideal_cycles),
                 "spatial_underuse": np.broadcast_to(compute - traffic.ideal_cycles, (s, n)),
                 "weight_loading": stall_w + np.maximum(busy - compute, 0.0), "memory_stall": stall_mem}
    if pricing.links_modeled:
        breakdown["interconnect_stall"] = stall_link
    return cycles, breakdown


def _weight_load_cycles(traffic: Traffic, pricing: Pricing) -> np.ndarray:
    """Cycles to load the weights, (S, N): the slower of writing the rows into the cells
    (``options.weight_rows_per_cycle`` rows per cycle; the paper writes one row per cycle) and reading
    the weight bits from their source level at its bandwidth (bits per cycle, all instances)."""
    return np.maximum(traffic.weight_rows_written / pricing.rows_per_cycle,
                      traffic.weight_source_bits / pricing.bandwidth[traffic.weight_source])


def _memory_cycles(traffic: Traffic, pricing: Pricing, s: int, n: int) -> np.ndarray:
    """Cycles the slowest memory level needs for the input and output bits it moves, (S, N): bits /
    bandwidth (bits per cycle, all instances). Weights are timed as weight loading instead."""
    memory = np.zeros((s, n))
    for level in pricing.systems[0].memories:
        if level.kind == "register":
            continue  # registers are sized to the array's per-cycle needs
        memory = np.maximum(memory, traffic.level_bits[level.name] / pricing.bandwidth[level.name])
    return memory


def _link_cycles(traffic: Traffic, pricing: Pricing, s: int) -> np.ndarray:
    """Cycles the busiest link needs for the bits of every operand, (S, N) (see
    :func:`imcbench.interconnect.link_cycles`; bandwidths in Gb/s are converted with each clock period)."""
    bits = sum(traffic.link_bits.values())
    tclk = pricing.tclk_ns if pricing.tclk_ns is not None else np.ones((s, 1))
    return np.stack([link_cycles(link, bits, traffic.macros_used, float(tclk[k, 0]))
                     for k, link in enumerate(pricing.links)])
