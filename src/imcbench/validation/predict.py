"""Predict a published chip's 1-bit-normalised TOPS/W and TOPS/mm2 with the paper's macro model.

Each chip row becomes one :class:`imcbench.macro.model.MacroParams` entry (all rows evaluated at once)
describing ONE BANK INVOCATION, the unit of the source's bookkeeping: N_ADC ADCs (DIMC: adder trees)
each produce an N-long dot product of B_x-bit inputs and B_w-bit weights, i.e.
``ops = 2 N N_ADC B_x B_w`` one-bit operations (Shanbhag and Roy, CICC 2022). Then

    TOPS/W (1b)   = ops / E_invocation             (E in pJ)
    TOPS/mm2 (1b) = ops / t_clk / A_bank / 1000    (t in ns, A in mm2)

Mapping of the chip's columns onto the model (paper symbols: D2 rows, D1 weight columns, Bw, Bi, Bc):

============  ============================================  ===============================================
model         AIMC rows (IS, QS, QR, QS-QR)                 DIMC rows
============  ============================================  ===============================================
D2 (rows)     R, cells on one ADC column (bit-line height:  N, the adder-tree inputs
              bit-line energy, ADC delay)
rows used     N (R_C if N is blank): rows driven and        N
              summed per conversion (DAC, multipliers)
D1 x Bw       N_ADC x C_C physical columns active per       D1 = N_ADC trees, Bw = B_w
              cycle, Bw = 1 (the B_w weight bits reach the
              ADC already combined, in analog)
Bi = Bc       B_x: one invocation = one model cycle (the    B_x (Bc > 1: the paper's Bc parallel trees
              shift-add over several invocations lies       and place-value adder)
              outside the bank, as in the source's figures)
B_ADC         B_ADC; blank: the paper's rule                (no ADC)
              B_x + 0.5 log2(N), never rounded
cells area    CACTI area of N_row x N_col cells x the cell-type area ratio (transistor count / 6 for
              SRAM-like cells; ReRAM, PCM, MRAM from the cell table; NVM_CELL_AREA_RATIO for Flash)
bit-line      C_BL V^2 per cell; with ``envm_cells="table"`` the cell table's read energy for ReRAM,
              PCM, MRAM cells (``"table_area"``/``"table"``: their area ratio from the cell table too)
============  ============================================  ===============================================

Three count corrections follow from the chip's structure, not from fitting:

* an ADC converts the C_C columns it combines once: ADC energy and area / C_C;
* an input drives its row once for all C columns sharing an ADC (the column results are held and
  converted in turn), while an invocation converts C_C of them: DAC energy x C_C / C;
* every AIMC bank cell carries its compute devices: multiplier area over all N_row x N_col cells (the
  paper's one NAND per cell).

Audit of this mapping against the source's derived columns (used for checking only, never as inputs):
the op count 2 N N_ADC B_x B_w equals the source's N_1b on all 66 modeled rows, and ops / (1b TOPS/W) equals
its E_core (energy of one invocation) on 61 of them (the other five rows' E_core is off by exactly 2x or 4x
from their own N_1b x E_OP1: a bookkeeping slip of the source, not of the mapping). Tried and measured with
nested leave-one-chip-out CV (``benchmarks/bench_validation.py --variants``), and not kept because they did
not generalise better: rows driven = R_C (cells computed R_C x C_C) instead of N, the DAC without the C_C / C
share, ADC energy ~2^(kB) for k = 0, 0.5 and 1 instead of the paper's k5 B + k6 4^B (in a free fit k came out
slightly negative: in this data the energy per conversion does not grow with B_ADC), a pulse-width input time, a fixed periphery area, node exponents on the ADC. Why the issue's
targets are out of reach on this file: ``benchmarks/bench_validation.py --floor``.

The model is the paper's (Sun et al., ICCAD 2023) unchanged; a :class:`~imcbench.validation.factors.
Calibration` only multiplies its components (see :func:`~imcbench.validation.factors.apply_calibration`).

Two ways to predict TOPS/mm2 (both reported, never mixed):

* **from the architecture** (``tops_per_mm2_model``, the honest prediction of a new design): clock period
  AND area come from the model; only the row's architecture parameters are used;
* **given the reported T_core** (``tops_per_mm2_given_tcore_model``): the invocation latency is taken from the
  row (a reported figure, like TOPS/W) and only the model's AREA is tested,
  ``ops / T_core / A_bank``. NaN where T_core is not reported.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imcbench import results as vocab
from imcbench.celltech import DEFAULT_CELL, CellTechnology, get_cell
from imcbench.errors import ImcbenchError
from imcbench.macro import model
from imcbench.macro.cells import cell_array_area
from imcbench.macro.components import adc_bits_paper_rule
from imcbench.tech import Technology
from imcbench.validation.chips import PublishedChip
from imcbench.validation.factors import Calibration, apply_calibration, interval_factor

REF_CELL_TRANSISTORS = 6  # the CACTI cell array of the paper is a 6T SRAM
NVM_CELL_AREA_RATIO = 0.25  # 1T1R / 1T1MTJ / flash cell vs a 6T SRAM cell: ~30-40 F2 vs ~120-150 F2 (IRDS 2020 tables)
# eNVM families of the chip file that the cell table (imcbench.celltech) describes; others keep the constants
CELL_TABLE_OF_FAMILY = {"ReRAM": "rram", "PCM": "pcm", "MRAM": "mram"}
# How eNVM rows (ReRAM, PCM, MRAM) are modeled: "constants" (NVM_CELL_AREA_RATIO, the SRAM bit-line C_BL V^2;
# the default, which the packaged calibration was fitted with), "table_area" (cell area from imcbench.celltech)
# or "table" (area and compute read energy from the cell table). Flash rows keep the constants in all three.
# Measured on chips_train.csv (paper model, the 14 ReRAM/PCM/MRAM rows; benchmarks/bench_envm_cells.py): geo-mean
# TOPS/W ratio 0.83 (constants) vs 0.18 (table: the table's read energies, derived from memory-read conditions,
# over-predict these macros' energy); TOPS/mm2 median error 0.77 (constants) vs 0.82 (table areas). Calibrated and
# held out (benchmarks/bench_validation.py --envm-cells: the issue 14 comparison, calibration refitted per fold),
# TOPS/W median error on the 19 IS rows / all 66 rows: constants 93.7 % / 60.4 %, table_area the same (its areas
# do not enter TOPS/W), table 98.9 % / 60.8 %; TOPS/mm2 all rows 81.5 % (constants) vs 82.3 % (both table models):
# the cell table does not help on held-out chips, so the default stays 'constants'.
ENVM_CELL_MODELS = ("constants", "table_area", "table")
DEFAULT_ENVM_CELL_MODEL = "constants"
CAPACITOR_TRANSISTOR_EQUIV = 1.0  # a compute capacitor over a cell counted as one transistor of area (assumption)
LOGIC_CELL_EXTRA = "+D"  # cell-type suffix of DIMC cells with local logic (counted by the model's multipliers)


@dataclass(frozen=True)
class ChipComponents:
    """The uncalibrated macro model of many chip rows, one bank invocation each, by component.

    ``energy_pj`` per invocation, ``area_mm2`` of the bank, ``delay_ns`` of the invocation (the
    model's clock period), ``ops`` one-bit operations per invocation. Arrays share one shape (rows).
    """

    rows: np.ndarray  # PublishedChip.row of each entry
    kind: np.ndarray  # 'aimc' / 'dimc'
    compute_model: np.ndarray  # IS, QS, QR, QS-QR, DIMC
    cell_family: np.ndarray  # SRAM, eDRAM, ReRAM, PCM, MRAM, Flash, ...
    node_nm: np.ndarray
    imc_processor: np.ndarray  # bool: the figures are those of a whole IMC processor
    is_sram: np.ndarray  # bool: SRAM-based IMC (PublishedChip.is_sram)
    t_core_ns: np.ndarray  # reported invocation latency, ns (NaN: not reported or not positive)
    ops: np.ndarray
    energy_pj: dict[str, np.ndarray]
    area_mm2: dict[str, np.ndarray]
    delay_ns: dict[str, np.ndarray]
    adc_bits: np.ndarray  # used (given or by the paper's rule); NaN for DIMC
    adc_bits_from_rule: np.ndarray  # True where B_ADC was blank

    def take(self, keep: np.ndarray) -> "ChipComponents":
        """The entries selected by ``keep`` (boolean mask or indices)."""
        pick = lambda d: {k: v[keep] for k, v in d.items()}  # noqa: E731
        arrays = {name: getattr(self, name)[keep] for name in self.__dataclass_fields__
                  if name not in ("energy_pj", "area_mm2", "delay_ns")}
        return ChipComponents(**arrays, energy_pj=pick(self.energy_pj), area_mm2=pick(self.area_mm2),
                              delay_ns=pick(self.delay_ns))


def table_cell(family: str) -> CellTechnology | None:
    """The cell-table entry of an eNVM cell family of the chip file (ReRAM -> rram, ...), or None."""
    name = CELL_TABLE_OF_FAMILY.get(family)
    return None if name is None else get_cell(name)


def cell_read_fj(family: str) -> float:
    """Compute-mode read energy per cell, fJ, of a table eNVM family; NaN (the SRAM bit-line model) otherwise."""
    cell = table_cell(family)
    return np.nan if cell is None else cell.read_energy_fj_per_bit


def cell_area_ratio(cell_type: str, family: str, envm_cells: str = DEFAULT_ENVM_CELL_MODEL) -> float:
    """Area of one bit-cell relative to the 6T SRAM cell of CACTI, unitless.

    SRAM / eDRAM cells: transistor count / 6, a capacitor counted as CAPACITOR_TRANSISTOR_EQUIV
    transistors ('10T1C' -> 11/6; '6T+D' -> 1: the '+D' logic is the model's multiplier area).
    eNVM cells (ReRAM, PCM, MRAM, Flash): NVM_CELL_AREA_RATIO; with ``envm_cells`` "table_area" or "table",
    ReRAM, PCM and MRAM take area_f2 / area_f2(sram6t) of the cell table (imcbench.celltech). Unknown text: 1.
    """
    cell = table_cell(family)
    if cell is not None and envm_cells != "constants":
        return cell.area_f2 / get_cell(DEFAULT_CELL).area_f2
    if family in ("ReRAM", "PCM", "MRAM", "Flash"):
        return NVM_CELL_AREA_RATIO
    text = cell_type.upper().replace(" ", "").split(LOGIC_CELL_EXTRA)[0]
    transistors = sum(float(n) for n in re.findall(r"(\d+)T", text))
    capacitors = sum(float(n) for n in re.findall(r"(\d+)C", text))
    if transistors <= 0:
        return 1.0
    return (transistors + CAPACITOR_TRANSISTOR_EQUIV * capacitors) / REF_CELL_TRANSISTORS


def fitted_cell_terms(cell: str, envm_cells: str = DEFAULT_ENVM_CELL_MODEL) -> dict[str, float] | None:
    """How chip predictions under ``envm_cells`` model a macro of cell ``cell`` (an imcbench.celltech name):
    the ``cell_area_ratio`` and ``cell_read_fj`` of :class:`~imcbench.macro.model.MacroParams`, or None for cells
    they model as the macro does (SRAM-like cells). A calibration fitted under ``envm_cells`` scales these terms.
    """
    family = {v: k for k, v in CELL_TABLE_OF_FAMILY.items()}.get(get_cell(cell).name)
    if family is None:
        return None
    read = cell_read_fj(family) if envm_cells == "table" else np.nan
    return {"cell_area_ratio": cell_area_ratio("", family, envm_cells), "cell_read_fj": read}


def chip_components(chips: list[PublishedChip], envm_cells: str = DEFAULT_ENVM_CELL_MODEL,
                    adc_model: str = "paper") -> ChipComponents:
    """The paper's macro model evaluated for the modelable AIMC / DIMC rows of ``chips`` (vectorized).

    ``envm_cells``: how eNVM cells are modeled, one of ENVM_CELL_MODELS (see there). ``adc_model``: the
    macro model's ADC option (:mod:`imcbench.converters`): 'paper', 'survey_median' or 'survey_envelope'."""
    if envm_cells not in ENVM_CELL_MODELS:
        raise ImcbenchError(f"envm_cells {envm_cells!r}: use one of {', '.join(ENVM_CELL_MODELS)}")
    from_table = envm_cells == "table"
    use = [c for c in chips if c.modelable and c.kind in ("aimc", "dimc")]
    f = pd.DataFrame([{"row": c.row, "kind": c.kind, "cm": c.compute_model, "family": c.cell_family,
                       "proc": c.imc_processor, "sram": c.is_sram, "t_core": c.t_core_ns, "node": c.node_nm,
                       "vdd": c.vdd, "n_row": c.rows,
                       "n_col": c.cols, "bx": c.input_bits, "bw": c.weight_bits, "adc": c.adc_bits,
                       "n": c.dot_length, "r": c.rows_per_adc, "cc": c.cols_per_cycle, "c": c.cols_per_adc,
                       "n_adc": c.n_adc,
                       "cell_ratio": cell_area_ratio(c.cell_type, c.cell_family, envm_cells),
                       "cell_read_fj": cell_read_fj(c.cell_family) if from_table else np.nan} for c in use])
    if f.empty:
        return _no_components()
    aimc = (f.kind == "aimc").to_numpy()
    n = f.n.to_numpy(float)
    bx, bw = f.bx.to_numpy(float), f.bw.to_numpy(float)
    n_adc = f.n_adc.to_numpy(float)
    # AIMC: C_C columns per conversion (default 1); bit-line of R cells (default N_row, at least N)
    cc = np.where(aimc, np.nan_to_num(f.cc.to_numpy(float), nan=1.0).clip(min=1.0), 1.0)
    shared_cols = np.fmax(np.nan_to_num(f.c.to_numpy(float), nan=1.0), cc)  # C >= C_C columns per ADC
    r = np.fmax(np.where(np.isfinite(f.r), f.r, f.n_row).astype(float), n)
    rule = aimc & ~np.isfinite(f.adc.to_numpy(float))
    adc_bits = np.where(rule, adc_bits_paper_rule(bx, n), f.adc.to_numpy(float))
    tech = Technology(f.node.to_numpy(float), f.vdd.to_numpy(float))
    cells_area = cell_array_area(f.n_row.to_numpy(float), f.n_col.to_numpy(float), tech) * f.cell_ratio.to_numpy()
    p = model.MacroParams(
        is_aimc=aimc, rows=np.where(aimc, r, n), weight_cols=np.where(aimc, n_adc * cc, n_adc),
        weight_bits=np.where(aimc, 1.0, bw), input_bits=bx, bits_per_cycle=bx,
        adc_bits=np.where(aimc, adc_bits, 0.0), cells_area_mm2=cells_area,
        cell_read_fj=f.cell_read_fj.to_numpy(float), tech=tech, adc_model=adc_model)
    energy = model.energy_per_cycle(p, rows_used=n)
    area = model.area_by_component(p)
    delay = model.delay_by_component(p)
    energy["adc"] = energy["adc"] / cc
    energy["dac"] = energy["dac"] * cc / shared_cols
    area["adc"] = area["adc"] / cc
    bank_cells = f.n_row.to_numpy(float) * f.n_col.to_numpy(float)
    area["multipliers"] = np.where(aimc, area["multipliers"] * bank_cells / (r * n_adc * cc), area["multipliers"])
    return ChipComponents(rows=f.row.to_numpy(int), kind=f.kind.to_numpy(str), compute_model=f.cm.to_numpy(str),
                          cell_family=f.family.to_numpy(str), node_nm=f.node.to_numpy(float),
                          imc_processor=f.proc.to_numpy(bool), is_sram=f.sram.to_numpy(bool),
                          t_core_ns=np.where(f.t_core.to_numpy(float) > 0, f.t_core.to_numpy(float), np.nan),
                          ops=2 * n * n_adc * bx * bw,
                          energy_pj=energy, area_mm2=area, delay_ns=delay,
                          adc_bits=np.where(aimc, adc_bits, np.nan), adc_bits_from_rule=rule)


def _no_components() -> ChipComponents:
    empty = np.zeros(0)
    text = empty.astype(str)
    return ChipComponents(rows=empty.astype(int), kind=text, compute_model=text, cell_family=text, node_nm=empty,
                          imc_processor=empty.astype(bool), is_sram=empty.astype(bool), t_core_ns=empty, ops=empty,
                          energy_pj={}, area_mm2={}, delay_ns={},
                          adc_bits=empty, adc_bits_from_rule=empty.astype(bool))


def figures_of(comp: ChipComponents, energy_pj: dict, area_mm2: dict, delay_ns: dict) -> tuple[np.ndarray, np.ndarray]:
    """1b-normalised (TOPS/W, TOPS/mm2) of ``comp``'s rows from (possibly calibrated) components."""
    if len(comp.ops) == 0:
        return np.zeros(0), np.zeros(0)
    energy = sum(energy_pj.values())
    area = sum(area_mm2.values())
    delay = sum(delay_ns.values())
    return vocab.tops_per_w(comp.ops, energy), vocab.tops_per_mm2(vocab.tops(comp.ops, delay), area)


def density_given_tcore(comp: ChipComponents, area_mm2: dict) -> np.ndarray:
    """1b TOPS/mm2 from the reported invocation latency and the model's bank area: TOPS(ops, T_core) / A.

    Tests the area model alone (the timing is the chip's); NaN where T_core is not reported.
    """
    if len(comp.ops) == 0:
        return np.zeros(0)
    return vocab.tops_per_mm2(vocab.tops(comp.ops, comp.t_core_ns), sum(area_mm2.values()))


@dataclass(frozen=True)
class ChipPrediction(vocab.ResultMixin):
    """Model vs reported figures of one chip row (1b-normalised). ``*_model`` under the chosen calibration,
    ``*_paper`` under the uncalibrated paper model; ``*_factor`` the model's x/÷ uncertainty (NaN: none)."""

    row: int
    index: int | None
    chip_id: str
    title: str
    year: int | None
    node_nm: float
    architecture: str
    compute_model: str
    kind: str
    cell_family: str
    is_sram: bool
    imc_processor: bool
    t_core_ns: float
    tops_per_w_reported: float
    tops_per_w_model: float
    tops_per_w_paper: float
    tops_per_w_factor: float
    tops_per_mm2_reported: float
    tops_per_mm2_model: float
    tops_per_mm2_paper: float
    tops_per_mm2_factor: float
    tops_per_mm2_given_tcore_reported: float  # the reported TOPS/mm2 where T_core is reported, else NaN
    tops_per_mm2_given_tcore_model: float  # model area, reported T_core (see the module docstring)
    tops_per_mm2_given_tcore_paper: float
    adc_bits_used: float
    adc_bits_from_rule: bool
    modeled: bool
    reason: str
    tops_per_w_interval: float = math.nan  # x/÷ factor of the conformal interval (calibration's level; NaN: none)
    tops_per_mm2_interval: float = math.nan

    @property
    def tops_per_w_ratio(self) -> float:
        return self.tops_per_w_model / self.tops_per_w_reported

    @property
    def tops_per_mm2_ratio(self) -> float:
        return self.tops_per_mm2_model / self.tops_per_mm2_reported

    def to_dict(self) -> dict:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["tops_per_w_ratio"] = self.tops_per_w_ratio
        data["tops_per_mm2_ratio"] = self.tops_per_mm2_ratio
        return data


def predict_chips(chips: list[PublishedChip], calibration: Calibration | None = None,
                  envm_cells: str = DEFAULT_ENVM_CELL_MODEL) -> list[ChipPrediction]:
    """Predict every row of ``chips``; rows the model cannot describe come back with ``modeled=False``.

    ``calibration=None`` is the paper's uncalibrated model (then ``*_model == *_paper``);
    ``envm_cells`` as in :func:`chip_components`.
    """
    comp = chip_components(chips, envm_cells)
    paper_w, paper_d = figures_of(comp, comp.energy_pj, comp.area_mm2, comp.delay_ns)
    paper_t = density_given_tcore(comp, comp.area_mm2)
    model_w, model_d, model_t = paper_w, paper_d, paper_t
    spread_w = spread_d = interval_w = interval_d = np.full(len(comp.rows), np.nan)
    if calibration is not None and len(comp.rows):
        cal = apply_calibration(comp.energy_pj, comp.area_mm2, comp.compute_model, calibration,
                                cell_family=comp.cell_family, node_nm=comp.node_nm,
                                imc_processor=comp.imc_processor, delay_by_component=comp.delay_ns)
        model_w, model_d = figures_of(comp, cal.energy_pj, cal.area_mm2, cal.delay_ns)
        model_t = density_given_tcore(comp, cal.area_mm2)
        spread_w = calibration.spread("tops_per_w", comp.compute_model)
        spread_d = calibration.spread("tops_per_mm2", comp.compute_model)
        interval_w = interval_factor(calibration, "tops_per_w", comp.compute_model, comp.is_sram)
        interval_d = interval_factor(calibration, "tops_per_mm2", comp.compute_model, comp.is_sram)
    position = {int(r): i for i, r in enumerate(comp.rows)}
    out = []
    for chip in chips:
        i = position.get(chip.row)
        modeled = i is not None
        pick = (lambda a: float(a[i])) if modeled else (lambda a: math.nan)  # noqa: E731
        reason = chip.reason or ("" if modeled else "not an AIMC or DIMC macro")
        out.append(ChipPrediction(
            row=chip.row, index=chip.index, chip_id=chip.chip_id, title=chip.title, year=chip.year,
            node_nm=chip.node_nm, architecture=chip.architecture, compute_model=chip.compute_model, kind=chip.kind,
            cell_family=chip.cell_family, is_sram=chip.is_sram, imc_processor=chip.imc_processor,
            t_core_ns=chip.t_core_ns, tops_per_w_reported=chip.tops_per_w, tops_per_w_model=pick(model_w),
            tops_per_w_paper=pick(paper_w),
            tops_per_w_factor=pick(spread_w), tops_per_mm2_reported=chip.tops_per_mm2,
            tops_per_mm2_model=pick(model_d), tops_per_mm2_paper=pick(paper_d), tops_per_mm2_factor=pick(spread_d),
            tops_per_mm2_given_tcore_reported=chip.tops_per_mm2 if modeled and chip.t_core_ns > 0 else math.nan,
            tops_per_mm2_given_tcore_model=pick(model_t), tops_per_mm2_given_tcore_paper=pick(paper_t),
            adc_bits_used=pick(comp.adc_bits), adc_bits_from_rule=bool(modeled and comp.adc_bits_from_rule[i]),
            modeled=modeled, reason=reason, tops_per_w_interval=pick(interval_w),
            tops_per_mm2_interval=pick(interval_d)))
    return out


def predictions_frame(predictions: list[ChipPrediction]) -> pd.DataFrame:
    """The predictions as a DataFrame, one row per chip row (the CSV that ``imcbench validate --out`` writes)."""
    columns = list(ChipPrediction.__dataclass_fields__) + ["tops_per_w_ratio", "tops_per_mm2_ratio"]
    return pd.DataFrame([p.to_dict() for p in predictions], columns=columns)
