"""The AIMC / DIMC macro model of the IMC paper, vectorized over many macro configurations.

Sun, Houshmand, Verhelst, "Analog or Digital In-memory Computing? Benchmarking through Quantitative
Modeling", ICCAD 2023 (arXiv 2405.14978), as coded in zigzag-dse 3.9.1
(``zigzag/hardware/architecture/imc_array.py``, class ``ImcArray``: ``get_peak_energy_single_cycle``,
``get_energy_for_a_layer``, ``get_area``, ``get_tclk``) and in the paper's code (KULeuven-MICAS/zigzag-imc
b0f0319), checked numerically against the paper's Fig. 7/8 data (zigzag-imc ``paper_data/peak_vs_macro_size.csv``):
never-rounded ADC resolution, accumulator widths, both published clock-period variants.

Notation (paper): D1 = weight columns (output channels) of a macro, D2 = rows (adder / bit-line inputs),
Bi / Bw = activation / weight bits, Bc = input bits applied per cycle, B_ADC = ADC resolution,
M = cells per multiplier, NB = number of macros. Units: energy pJ (per macro cycle), area mm2, delay ns.

Every quantity is an element-wise numpy expression of a :class:`MacroParams`, whose fields are
broadcast arrays: one call evaluates any number of macros (AIMC and DIMC mixed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np

from imcbench import converters
from imcbench import results as vocab
from imcbench.macro import components as cmp
from imcbench.macro.cells import scaled_cell_array_area
from imcbench.tech import TECH_28NM, Technology

DelayModel = Literal["zigzag", "paper"]
DELAY_MODELS = ("zigzag", "paper")
# The one default clock-period variant of every command and API: zigzag-dse >= 3.8, the maintained tool a
# user can cross-check against (energy and area are identical in both; "paper" reproduces the paper's
# Fig. 8 TOPS/mm2 and is a named option everywhere). Compared numerically: zigzag-dse 3.9.1 on the paper's
# 12 square macros vs zigzag-imc b0f0319 ``paper_data/peak_vs_macro_size.csv``.
DEFAULT_DELAY_MODEL: DelayModel = "zigzag"

ENERGY_COMPONENTS = ("dac", "bitline", "multipliers", "adc", "adder_tree", "place_value", "accumulator",
                     "precharge")
AREA_COMPONENTS = ("cells", "dac", "multipliers", "adc", "adder_tree", "place_value", "accumulator")
DELAY_COMPONENTS = ("multipliers", "adc", "adder_tree", "place_value", "accumulator")

FJ_PER_PJ = 1e3
UM2_PER_MM2 = 1e6


@dataclass(frozen=True)
class MacroParams:
    """Macro configurations as broadcast arrays (see the module docstring for the symbols)."""

    is_aimc: np.ndarray
    rows: np.ndarray  # D2
    weight_cols: np.ndarray  # D1
    input_bits: np.ndarray  # Bi
    weight_bits: np.ndarray  # Bw
    bits_per_cycle: np.ndarray  # Bc (= DAC resolution for AIMC)
    adc_bits: np.ndarray  # B_ADC (AIMC; ignored for DIMC)
    cells_per_mult: np.ndarray = field(default_factory=lambda: np.array(1.0))  # M
    n_macros: np.ndarray = field(default_factory=lambda: np.array(1.0))  # NB
    cells_area_mm2: np.ndarray = field(default_factory=lambda: np.array(np.nan))  # per macro; NaN: CACTI
    cell_area_ratio: np.ndarray = field(default_factory=lambda: np.array(1.0))  # cell area / 6T SRAM cell
    cell_read_fj: np.ndarray = field(default_factory=lambda: np.array(np.nan))  # per cell read; NaN: SRAM C_BL V^2
    tech: Technology = TECH_28NM
    delay_model: DelayModel = DEFAULT_DELAY_MODEL
    adc_model: str = converters.DEFAULT_ADC_MODEL  # 'paper', 'survey_median' or 'survey_envelope' (converters)

    def __post_init__(self) -> None:
        converters.check_adc_model(self.adc_model)
        arrays = {f.name: np.asarray(getattr(self, f.name), dtype=float)
                  for f in fields(self) if f.name not in ("tech", "delay_model", "is_aimc", "adc_model")}
        arrays["is_aimc"] = np.asarray(self.is_aimc, dtype=bool)
        broadcast = np.broadcast_arrays(*arrays.values())
        for name, value in zip(arrays, broadcast):
            object.__setattr__(self, name, value)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.rows.shape

    @property
    def slices(self) -> np.ndarray:
        """Cycles per MAC wave: the input is applied in ceil(Bi / Bc) slices of Bc bits."""
        return np.ceil(self.input_bits / self.bits_per_cycle)

    @property
    def macs_per_cycle(self) -> np.ndarray:
        """MACs per clock at full use, all macros: D1 D2 NB / (Bi / Bc)."""
        return self.weight_cols * self.rows * self.n_macros / self.slices

    @property
    def needs_accumulator(self) -> np.ndarray:
        """Bit-serial inputs (Bc < Bi) need a shift-and-add accumulator; Bc = Bi does not."""
        return self.bits_per_cycle < self.input_bits


# --- widths of the digital periphery (zigzag-dse 3.9.1 ImcArray.get_peak_energy_single_cycle) ----
def place_value_adders(p: MacroParams) -> np.ndarray:
    """Full adders of the place-value adder per weight column.

    AIMC: B_ADC (Bw - 1) + Bw (log2 Bw - 0.5), combining the Bw column conversions (0 if Bw = 1).
    DIMC: (Bw + log2 D2)(Bc - 1) + Bc (log2 Bc - 0.5), combining Bc tree outputs (0 if Bc = 1).
    """
    aimc = p.adc_bits * (p.weight_bits - 1) + p.weight_bits * (np.log2(p.weight_bits) - 0.5)
    aimc = np.where(p.weight_bits > 1, aimc, 0.0)
    dimc = ((p.weight_bits + np.log2(p.rows)) * (p.bits_per_cycle - 1)
            + p.bits_per_cycle * (np.log2(p.bits_per_cycle) - 0.5))
    dimc = np.where(p.bits_per_cycle > 1, dimc, 0.0)
    return np.where(p.is_aimc, aimc, dimc)


def adder_tree_adders(p: MacroParams) -> np.ndarray:
    """Full adders of one DIMC ripple-carry adder tree of D2 Bw-bit inputs: D2 (Bw+1) - (Bw + log2 D2 + 1)."""
    return p.rows * (p.weight_bits + 1) - (p.weight_bits + np.log2(p.rows) + 1)


def accumulator_bits(p: MacroParams) -> np.ndarray:
    """Accumulator width: AIMC Bi + Bw + B_ADC, DIMC Bi + Bw + log2 D2 (zigzag-dse 3.9.1
    ``ImcArray``; the AIMC width also reproduces the paper's Fig. 7 energy and area data)."""
    return p.input_bits + p.weight_bits + np.where(p.is_aimc, p.adc_bits, np.log2(p.rows))


# --- the ADC: the paper's fit or the ADC survey's (imcbench.converters) ------------------------------
def adc_rate_hz(p: MacroParams) -> np.ndarray:
    """Conversion rate of one ADC, Hz: 1 / its conversion time (the paper's ADC delay,
    zigzag-dse 3.9.1 ``ImcArray.get_adc_cost``)."""
    return 1e9 / np.maximum(cmp.adc_delay(p.adc_bits, p.rows, p.tech), 1e-6)


def adc_conversion_energy(p: MacroParams) -> np.ndarray:
    """Energy of one ADC conversion, fJ, under ``p.adc_model`` (survey models at the ADC's own rate)."""
    if p.adc_model == "paper":
        return cmp.adc_energy(p.adc_bits, p.tech)
    return converters.adc_energy_fj(p.adc_bits, p.tech.node_nm, adc_rate_hz(p), p.adc_model)


def adc_unit_area(p: MacroParams) -> np.ndarray:
    """Area of one ADC, um2, under ``p.adc_model``."""
    if p.adc_model == "paper":
        return cmp.adc_area(p.adc_bits, p.tech)
    return converters.adc_area_um2(p.adc_bits, p.tech.node_nm, adc_rate_hz(p), p.adc_model)


# --- energy -------------------------------------------------------------------------------------
def tree_energy_partial(rows_used: np.ndarray, p: MacroParams) -> np.ndarray:
    """Energy of one DIMC adder tree when only ``rows_used`` of its D2 inputs carry data, fJ.

    The tree halves level by level; at level l an adder is (Bw + l - 1) bits wide. An adder with
    two active inputs switches fully (E_FA per bit); one with a single active input passes it on
    half-activated (one input 0, idle carry chain); adders with no active input do not switch.
    With every row used this equals N_tree E_FA. Same counting as zigzag-dse 3.9.1
    ``ImcUnit.get_regular_adder_trees_energy`` (fully and half-activated adders).
    """
    e_fa = cmp.full_adder_energy(p.tech)
    e_half = cmp.half_active_adder_energy(p.tech)
    active = np.broadcast_to(np.asarray(rows_used, dtype=float), p.shape).copy()
    inputs = p.rows.copy()
    energy = np.zeros(p.shape)
    level = 1
    while np.any(inputs > 1):
        width = p.weight_bits + level - 1
        live = inputs > 1
        pairs = np.floor(active / 2)
        odd = active - 2 * pairs
        energy += np.where(live, width * (pairs * e_fa + odd * e_half), 0.0)
        active = np.where(live, np.ceil(active / 2), active)
        inputs = np.where(live, np.ceil(inputs / 2), inputs)
        level += 1
    return energy


def energy_per_cycle(p: MacroParams, rows_used=None, cols_used=None, *,
                     dimc_multipliers_full_array=False) -> dict[str, np.ndarray]:
    """Energy of one macro cycle (one Bc-bit input slice) by component, pJ, for ONE macro.

    ``rows_used`` (<= D2) and ``cols_used`` (<= D1 weight columns) default to the full array, which
    gives the paper's peak numbers (zigzag-dse 3.9.1 ``ImcArray.get_peak_energy_single_cycle``). A mapped
    layer uses fewer (``ImcArray.get_energy_for_a_layer``): the
    DAC, multipliers and adder trees scale with the rows used; ADCs, place-value adders and
    accumulators with the columns used; bit-lines with the columns used times the full column height.
    ``dimc_multipliers_full_array`` (bool or boolean array) charges DIMC multipliers on every row as
    zigzag-dse >= 3.8 does (the paper and the default charge the rows that receive inputs).
    """
    rows_used = p.rows if rows_used is None else np.asarray(rows_used, dtype=float)
    cols_used = p.weight_cols if cols_used is None else np.asarray(cols_used, dtype=float)
    tech, bw, bc = p.tech, p.weight_bits, p.bits_per_cycle
    aimc = p.is_aimc
    e_fa = cmp.full_adder_energy(tech)
    e_mult = cmp.multiplier_energy(tech)

    dac = rows_used * cmp.dac_energy(bc, tech)
    bitline = cols_used * bw * p.rows * cell_read_energy(p)
    mult_aimc = rows_used * p.weight_cols * bw * e_mult
    mult_rows_dimc = np.where(np.asarray(dimc_multipliers_full_array, dtype=bool), p.rows, rows_used)
    mult_dimc = mult_rows_dimc * p.weight_cols * bc * bw * e_mult
    any_dimc = not np.all(aimc)  # the adder-tree walk is the costly part: skip it for all-AIMC arrays
    adc = cols_used * bw * adc_conversion_energy(p)
    tree = bc * cols_used * tree_energy_partial(rows_used, p) if any_dimc else 0.0
    place_value = cols_used * place_value_adders(p) * e_fa
    accumulator = np.where(p.needs_accumulator,
                           cols_used * accumulator_bits(p) * (e_fa + cmp.dff_energy(tech)), 0.0)
    zero = np.zeros(p.shape)
    energies_fj = {
        "dac": np.where(aimc, dac, 0.0),
        "bitline": np.where(aimc, bitline, 0.0),
        "multipliers": np.where(aimc, mult_aimc, mult_dimc),
        "adc": np.where(aimc, adc, 0.0),
        "adder_tree": np.where(aimc, 0.0, tree),
        "place_value": place_value + zero,
        "accumulator": accumulator + zero,
        "precharge": zero,
    }
    return {name: value / FJ_PER_PJ for name, value in energies_fj.items()}


def cell_read_energy(p: MacroParams) -> np.ndarray:
    """Energy of reading one cell in compute mode (one activation of its bit-line), fJ.

    SRAM (``cell_read_fj`` NaN): the paper's bit-line load C_BL V^2 (zigzag-dse 3.9.1
    ``ImcArray.get_peak_energy_single_cycle``, "analog_bitlines"). Other cells: the cell
    table's ``read_energy_fj_per_bit`` (V_read^2 G t_read for resistive cells, imcbench.celltech).
    """
    return np.where(np.isnan(p.cell_read_fj), cmp.cell_line_energy(p.tech), p.cell_read_fj)


def precharge_energy_per_switch(p: MacroParams) -> np.ndarray:
    """Energy to switch the weights of one macro when M > 1 cells share a multiplier, pJ.

    Per multiplier Bw (C_WL + M C_BL) V^2 for the local bit-line precharge (zigzag-dse 3.9.1
    ``ImcUnit.get_precharge_energy``); 0 when M = 1
    (the weight stays connected to its multiplier).
    """
    per_pe = p.weight_bits * cmp.cell_line_energy(p.tech) * (1 + p.cells_per_mult)
    energy = p.rows * p.weight_cols * per_pe / FJ_PER_PJ
    return np.where(p.cells_per_mult > 1, energy, 0.0)


# --- area ------------------------------------------------------------------------------------------
def area_by_component(p: MacroParams) -> dict[str, np.ndarray]:
    """Area of ONE macro by component, mm2 (zigzag-dse 3.9.1 ``ImcArray.get_area``)."""
    tech, bw, bc, d1, d2 = p.tech, p.weight_bits, p.bits_per_cycle, p.weight_cols, p.rows
    a_fa = cmp.full_adder_area(tech)
    cells = np.where(np.isnan(p.cells_area_mm2),
                     scaled_cell_array_area(d2 * p.cells_per_mult, d1 * bw, tech, p.cell_area_ratio),
                     p.cells_area_mm2)
    mult_aimc = d1 * d2 * bw * tech.a_nand2
    mult_dimc = d1 * d2 * bc * bw * tech.a_nand2
    areas_um2 = {
        "dac": np.zeros(p.shape),  # neglected by the paper (zigzag-dse 3.9.1 ImcArray.get_dac_cost)
        "multipliers": np.where(p.is_aimc, mult_aimc, mult_dimc),
        "adc": np.where(p.is_aimc, d1 * bw * adc_unit_area(p), 0.0),
        "adder_tree": np.where(p.is_aimc, 0.0, bc * d1 * adder_tree_adders(p) * a_fa),
        "place_value": d1 * place_value_adders(p) * a_fa,
        "accumulator": np.where(p.needs_accumulator, d1 * accumulator_bits(p) * (a_fa + tech.a_dff), 0.0),
    }
    areas = {"cells": cells + np.zeros(p.shape)}
    areas.update({name: value / UM2_PER_MM2 for name, value in areas_um2.items()})
    return {name: areas[name] for name in AREA_COMPONENTS}


# --- clock period ----------------------------------------------------------------------------------
def delay_by_component(p: MacroParams) -> dict[str, np.ndarray]:
    """Critical-path delay by component, ns: multiplier -> ADC or adder tree -> place value -> accumulator.

    ``delay_model`` "zigzag" is zigzag-dse >= 3.8 (3.9.1 ``ImcArray.get_tclk``); "paper" is the paper-era variant
    (zigzag-imc b0f0319; reproduces the paper's Fig. 8 t_clk of all 12 macros): one more XOR2 in the
    accumulator and, for AIMC, a carry chain of Bw - 1 + B_ADC bits in the place-value adder.
    """
    tech, bw, bc, bi, d2 = p.tech, p.weight_bits, p.bits_per_cycle, p.input_bits, p.rows
    _, t_cout, t_carry = cmp.adder_delays(tech)
    n_pv = np.where(p.is_aimc, bw, bc)
    pv_carry = n_pv - 1
    if p.delay_model == "paper":
        pv_carry = np.where(p.is_aimc, bw - 1 + p.adc_bits, pv_carry)
    place_value = cmp.ripple_adder_delay(n_pv, pv_carry, tech)
    tree = cmp.ripple_adder_delay(d2, bw + np.log2(d2) - 2, tech)
    accumulator = t_cout + (bi - 1) * t_carry
    if p.delay_model == "paper":
        accumulator = accumulator + tech.t_xor2
    zero = np.zeros(p.shape)
    return {
        "multipliers": tech.t_nand2 + zero,
        "adc": np.where(p.is_aimc, cmp.adc_delay(p.adc_bits, d2, tech), 0.0),
        "adder_tree": np.where(p.is_aimc, 0.0, tree),
        "place_value": place_value + zero,
        "accumulator": np.where(p.needs_accumulator, accumulator, 0.0),
    }


# --- peak figures -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeakArrays:
    """Peak (full-use) figures of many macros; all arrays share the shape of the parameters."""

    energy_pj: dict[str, np.ndarray]  # per cycle, all NB macros, by component
    area_mm2: dict[str, np.ndarray]  # all NB macros, by component
    tclk_ns: dict[str, np.ndarray]  # by component
    macs_per_cycle: np.ndarray

    @property
    def total_energy_pj(self) -> np.ndarray:
        return sum(self.energy_pj.values())

    @property
    def total_area_mm2(self) -> np.ndarray:
        return sum(self.area_mm2.values())

    @property
    def t_clk(self) -> np.ndarray:
        return sum(self.tclk_ns.values())

    @property
    def tops(self) -> np.ndarray:
        """Tera-operations per second, 1 MAC = 2 operations."""
        return vocab.tops(vocab.ops(self.macs_per_cycle), self.t_clk)

    @property
    def tops_per_w(self) -> np.ndarray:
        return vocab.tops_per_w(vocab.ops(self.macs_per_cycle), self.total_energy_pj)

    @property
    def tops_per_mm2(self) -> np.ndarray:
        return vocab.tops_per_mm2(self.tops, self.total_area_mm2)

    @property
    def energy_per_mac_fj(self) -> np.ndarray:
        return self.total_energy_pj / self.macs_per_cycle * FJ_PER_PJ


def peak(p: MacroParams) -> PeakArrays:
    """Peak energy, area, clock period and throughput at full utilisation (zigzag-dse 3.9.1
    ``ImcArray.get_macro_level_peak_performance``)."""
    energy = {k: v * p.n_macros for k, v in energy_per_cycle(p).items()}
    area = {k: v * p.n_macros for k, v in area_by_component(p).items()}
    return PeakArrays(energy_pj=energy, area_mm2=area, tclk_ns=delay_by_component(p),
                      macs_per_cycle=p.macs_per_cycle)
