"""User-facing macro description and results: one macro (`MacroSpec`) or many at once (`evaluate_macros`).

``cols`` counts physical bit-cell columns, as in the paper's sweep: a macro of C columns holds
C / weight_bits weight columns (output channels). ``cell`` names the memory cell (imcbench.celltech): its
area scales the cell array and, for non-SRAM cells, its read energy is the AIMC bit-line term; one weight bit
per cell whatever the cell's ``levels_per_cell`` (multi-level cells are not modeled in the macro). ``rows`` is the number of multipliers along a
bit-line (adder-tree inputs); with ``cells_per_mult`` M > 1 the array has rows * M cell rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from imcbench import converters
from imcbench import design_limits as lim
from imcbench.celltech import DEFAULT_CELL, CellTechnology, get_cell, list_cells
from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.macro import model
from imcbench.macro.components import adc_bits_paper_rule
from imcbench.tech import Technology

if TYPE_CHECKING:  # pandas is imported by evaluate_macros only: one macro's evaluate() does not need it
    import pandas as pd

MacroKind = Literal["aimc", "dimc"]
MACRO_KINDS = ("aimc", "dimc")
DEFAULT_BITS_PER_CYCLE = {"aimc": 2, "dimc": 1}  # the paper's choices (AIMC 2-bit DAC, DIMC bit-serial)
DIMC_CELLS = tuple(name for name in list_cells() if get_cell(name).volatile)  # digital cells: SRAM, eDRAM


def cell_model_terms(cell: str) -> tuple[float, float]:
    """(cell area / 6T SRAM cell area, compute read energy per cell in fJ or NaN) of the macro model.

    sram6t is the paper's array (ratio 1, bit-line C_BL V^2); SRAM cells keep the bit-line model (NaN);
    other cells read with the cell table's ``read_energy_fj_per_bit`` (imcbench.celltech).
    """
    tech = get_cell(cell)
    ratio = 1.0 if tech.name == DEFAULT_CELL else tech.area_f2 / get_cell(DEFAULT_CELL).area_f2
    return ratio, (np.nan if tech.is_sram else tech.read_energy_fj_per_bit)


@dataclass(frozen=True)
class MacroSpec:
    """One IMC macro. ``adc_bits=None`` applies the paper's rule Bc + 0.5 log2(rows) (AIMC only).

    ``adc_model``: 'paper' (default: the paper's 28 nm ADC fit), 'survey_median' or 'survey_envelope'
    (the ADC survey's median / best-10 % converter; see :mod:`imcbench.converters` for why 'paper' is default).
    """

    kind: MacroKind
    rows: int
    cols: int
    input_bits: int = 8
    weight_bits: int = 8
    bits_per_cycle: int | None = None
    adc_bits: float | None = None
    cells_per_mult: int = 1
    n_macros: int = 1
    node_nm: float = 28.0
    vdd: float = 0.9
    delay_model: model.DelayModel = model.DEFAULT_DELAY_MODEL
    cells_area_mm2: float | None = None
    cell: str = DEFAULT_CELL  # memory-cell technology, a name of imcbench.celltech (sram6t, rram, pcm, ...)
    adc_model: str = converters.DEFAULT_ADC_MODEL

    def __post_init__(self) -> None:
        object.__setattr__(self, "cell", get_cell(self.cell).name)  # raises, listing the cells, on a bad name
        converters.check_adc_model(self.adc_model)
        kind = str(self.kind).lower()
        if kind not in MACRO_KINDS:
            raise ImcbenchError(f"macro kind {self.kind!r} is not known; use 'aimc' or 'dimc'")
        object.__setattr__(self, "kind", kind)
        if kind == "dimc" and self.cell not in DIMC_CELLS:
            raise ImcbenchError(f"invalid macro: a DIMC macro computes on digital cells; cell {self.cell!r} is "
                                f"non-volatile (modeled for AIMC only): use kind aimc or a cell of "
                                f"{', '.join(DIMC_CELLS)}")
        if self.bits_per_cycle is None:
            object.__setattr__(self, "bits_per_cycle", min(DEFAULT_BITS_PER_CYCLE[kind], self.input_bits))
        reasons = invalid_reasons(kind=np.array([kind]), rows=self.rows, cols=self.cols,
                                  input_bits=self.input_bits, weight_bits=self.weight_bits,
                                  bits_per_cycle=self.bits_per_cycle,
                                  adc_bits=np.nan if self.adc_bits is None else self.adc_bits,
                                  cells_per_mult=self.cells_per_mult, n_macros=self.n_macros,
                                  node_nm=self.node_nm, vdd=self.vdd)
        for reason, mask in reasons.items():
            if mask.any():
                raise ImcbenchError(f"invalid macro: {reason}")
        if self.delay_model not in model.DELAY_MODELS:
            raise ImcbenchError(f"delay model {self.delay_model!r} is not known; use 'zigzag' or 'paper'")
        Technology(self.node_nm, self.vdd)  # raises on an impossible node or supply

    @property
    def weight_cols(self) -> int:
        """Weight columns (D1) = physical columns / weight bits."""
        return self.cols // self.weight_bits

    @property
    def resolved_adc_bits(self) -> float | None:
        """ADC resolution in bits (the paper's rule when not given); None for DIMC."""
        if self.kind == "dimc":
            return None
        if self.adc_bits is not None:
            return float(self.adc_bits)
        return float(adc_bits_paper_rule(self.bits_per_cycle, self.rows))

    @property
    def cell_technology(self) -> CellTechnology:
        """The memory cell of the array (imcbench.celltech)."""
        return get_cell(self.cell)

    @property
    def technology(self) -> Technology:
        return Technology(self.node_nm, self.vdd)

    def params(self) -> model.MacroParams:
        """The vectorized model's parameters for this one macro (arrays of shape ())."""
        adc = self.resolved_adc_bits
        area_ratio, read_fj = cell_model_terms(self.cell)
        return model.MacroParams(
            is_aimc=self.kind == "aimc", rows=self.rows, weight_cols=self.weight_cols,
            input_bits=self.input_bits, weight_bits=self.weight_bits, bits_per_cycle=self.bits_per_cycle,
            adc_bits=np.nan if adc is None else adc, cells_per_mult=self.cells_per_mult,
            n_macros=self.n_macros,
            cells_area_mm2=np.nan if self.cells_area_mm2 is None else self.cells_area_mm2,
            cell_area_ratio=area_ratio, cell_read_fj=read_fj, tech=self.technology, delay_model=self.delay_model,
            adc_model=self.adc_model)

    def evaluate(self) -> "MacroResult":
        """Peak energy, clock period, area and throughput of this macro."""
        pk = model.peak(self.params())
        return MacroResult(
            spec=self,
            tclk_ns=float(pk.t_clk), area_mm2=float(pk.total_area_mm2), tops=float(pk.tops),
            tops_per_w=float(pk.tops_per_w), tops_per_mm2=float(pk.tops_per_mm2),
            macs_per_cycle=float(pk.macs_per_cycle), energy_per_mac_fj=float(pk.energy_per_mac_fj),
            energy_per_cycle_pj={k: float(v) for k, v in pk.energy_pj.items()},
            area_mm2_by_component={k: float(v) for k, v in pk.area_mm2.items()},
            tclk_ns_by_component={k: float(v) for k, v in pk.tclk_ns.items()})

    def to_dict(self) -> dict:
        data = asdict(self)
        data["weight_cols"] = self.weight_cols
        data["adc_bits"] = self.resolved_adc_bits
        return data


@dataclass(frozen=True)
class MacroResult(vocab.ResultMixin):
    """Peak figures of one macro. Energies per clock cycle (all ``n_macros``), pJ; area mm2; t_clk ns."""

    spec: MacroSpec
    tclk_ns: float
    area_mm2: float
    tops: float
    tops_per_w: float
    tops_per_mm2: float
    macs_per_cycle: float
    energy_per_mac_fj: float
    energy_per_cycle_pj: dict[str, float] = field(default_factory=dict)
    area_mm2_by_component: dict[str, float] = field(default_factory=dict)
    tclk_ns_by_component: dict[str, float] = field(default_factory=dict)

    @property
    def energy_per_cycle_total_pj(self) -> float:
        return sum(self.energy_per_cycle_pj.values())

    def to_dict(self) -> dict:
        """The JSON shape of ``imcbench macro --json``."""
        return {"macro": self.spec.to_dict(), "tclk_ns": self.tclk_ns, "area_mm2": self.area_mm2,
                "tops": self.tops, "tops_per_w": self.tops_per_w, "tops_per_mm2": self.tops_per_mm2,
                "macs_per_cycle": self.macs_per_cycle, "energy_per_mac_fj": self.energy_per_mac_fj,
                "energy_per_cycle_pj": dict(self.energy_per_cycle_pj),
                "energy_per_cycle_total_pj": self.energy_per_cycle_total_pj,
                "area_mm2_by_component": dict(self.area_mm2_by_component),
                "tclk_ns_by_component": dict(self.tclk_ns_by_component)}


def invalid_reasons(*, kind, rows, cols, input_bits, weight_bits, bits_per_cycle, adc_bits,
                    cells_per_mult=1, n_macros=1, node_nm=28.0, vdd=0.9) -> dict[str, np.ndarray]:
    """For each way a macro configuration can be impossible, a boolean mask of the offending entries.

    ``adc_bits`` NaN means "apply the paper's rule". Used to reject one macro with a clear message and
    to skip invalid points of a sweep with a count per reason. The bounds are :mod:`imcbench.design_limits`.
    """
    kind = np.asarray(kind)
    rows, cols = np.asarray(rows, dtype=float), np.asarray(cols, dtype=float)
    bi, bw = np.asarray(input_bits, dtype=float), np.asarray(weight_bits, dtype=float)
    bc, adc = np.asarray(bits_per_cycle, dtype=float), np.asarray(adc_bits, dtype=float)
    m, nb = np.asarray(cells_per_mult, dtype=float), np.asarray(n_macros, dtype=float)
    node, v = np.asarray(node_nm, dtype=float), np.asarray(vdd, dtype=float)

    def not_int(x):
        return ~np.isfinite(x) | (x != np.round(x))

    def outside(x, low, high):
        return not_int(x) | (x < low) | (x > high)

    aimc = kind == "aimc"
    bits = lim.integer_range(lim.MIN_OPERAND_BITS, lim.MAX_OPERAND_BITS)
    return {
        f"rows must be an integer in {lim.integer_range(lim.MIN_ROWS, lim.MAX_ROWS)}":
            outside(rows, lim.MIN_ROWS, lim.MAX_ROWS),
        f"cols must be an integer in {lim.integer_range(lim.MIN_COLS, lim.MAX_COLS)}":
            outside(cols, lim.MIN_COLS, lim.MAX_COLS),
        f"input_bits and weight_bits must be integers in {bits}":
            outside(bi, lim.MIN_OPERAND_BITS, lim.MAX_OPERAND_BITS)
            | outside(bw, lim.MIN_OPERAND_BITS, lim.MAX_OPERAND_BITS),
        "cols must be a multiple of weight_bits (cols counts physical bit-cell columns)":
            ~not_int(cols) & ~not_int(bw) & (bw >= 1) & ((cols % np.maximum(bw, 1) != 0) | (cols < bw)),
        "bits_per_cycle must be an integer >= 1": not_int(bc) | (bc < 1),
        "bits_per_cycle must not exceed input_bits": bc > bi,
        f"bits_per_cycle of an AIMC macro (its DAC bits) must be at most {lim.MAX_DAC_BITS}":
            aimc & (bc > lim.MAX_DAC_BITS),
        f"adc_bits must be in [{lim.MIN_ADC_BITS}, {lim.MAX_ADC_BITS}]":
            aimc & ~np.isnan(adc) & ~((adc >= lim.MIN_ADC_BITS) & (adc <= lim.MAX_ADC_BITS)),
        f"the paper's ADC rule (bits_per_cycle + log2(rows) / 2) gives more than {lim.MAX_ADC_BITS} bits; "
        "give adc_bits or fewer bits per cycle":
            aimc & np.isnan(adc) & (_paper_rule_bits(bc, rows) > lim.MAX_ADC_BITS),
        f"cells_per_mult must be an integer in {lim.integer_range(1, lim.MAX_CELLS_PER_MULT)}":
            outside(m, 1, lim.MAX_CELLS_PER_MULT),
        f"n_macros must be an integer in {lim.integer_range(1, lim.MAX_MACROS)}": outside(nb, 1, lim.MAX_MACROS),
        f"node_nm must be in [{lim.MIN_NODE_NM:g}, {lim.MAX_NODE_NM:g}] nm":
            ~((node >= lim.MIN_NODE_NM) & (node <= lim.MAX_NODE_NM)),
        f"vdd must be in ({lim.MIN_VDD_V_EXCLUSIVE:g}, {lim.MAX_VDD_V:g}] V":
            ~((v > lim.MIN_VDD_V_EXCLUSIVE) & (v <= lim.MAX_VDD_V)),
    }


def _paper_rule_bits(bits_per_cycle: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The paper's ADC bits where rows and bits per cycle are usable numbers, else 0 (reported apart)."""
    usable = np.isfinite(rows) & (rows >= 1) & np.isfinite(bits_per_cycle)
    return np.where(usable, adc_bits_paper_rule(np.where(usable, bits_per_cycle, 0), np.where(usable, rows, 1)), 0)


def evaluate_macros(kind, rows, cols, *, input_bits=8, weight_bits=8, bits_per_cycle=None,
                    adc_bits=None, cells_per_mult=1, n_macros=1, node_nm=28.0, vdd=0.9,
                    delay_model: model.DelayModel = model.DEFAULT_DELAY_MODEL, on_invalid: str = "raise",
                    cell=DEFAULT_CELL, adc_model: str = converters.DEFAULT_ADC_MODEL) -> pd.DataFrame:
    """Peak figures of many macros at once, one DataFrame row per configuration.

    Arguments broadcast against each other (scalars or arrays). ``bits_per_cycle=None`` takes the
    paper's choice per kind; ``adc_bits`` None or NaN entries take the paper's rule. ``cell`` names the
    memory cell (imcbench.celltech), one name or an array of names; an unknown name raises.
    ``on_invalid="raise"`` stops at the first impossible configuration with its index and reason;
    ``"drop"`` leaves those rows out (see :func:`invalid_reasons` to count them).
    ``adc_model``: 'paper', 'survey_median' or 'survey_envelope' (:mod:`imcbench.converters`).
    Columns: the inputs, ``tclk_ns``, ``area_mm2``, ``tops``, ``tops_per_w``, ``tops_per_mm2``,
    ``energy_per_mac_fj`` and per-component ``energy_pj.*``, ``area_mm2.*``, ``tclk_ns.*``.
    """
    kind = np.char.lower(np.asarray(kind, dtype=str))
    arrays = np.broadcast_arrays(kind, np.asarray(rows), np.asarray(cols), np.asarray(input_bits),
                                 np.asarray(weight_bits),
                                 np.asarray(np.nan if bits_per_cycle is None else bits_per_cycle, dtype=float),
                                 np.asarray(np.nan if adc_bits is None else adc_bits, dtype=float),
                                 np.asarray(cells_per_mult), np.asarray(n_macros), np.asarray(node_nm),
                                 np.asarray(vdd), np.char.lower(np.asarray(cell, dtype=str)))
    kind, rows, cols, bi, bw, bc, adc, m, nb, node, v, cell = (np.ravel(a) for a in arrays)
    terms = {name: cell_model_terms(name) for name in np.unique(cell)}  # raises on an unknown cell
    bi = bi.astype(float)
    bc = np.where(np.isnan(bc), np.minimum(np.where(kind == "aimc", 2.0, 1.0), bi), bc)
    bad_kind = ~np.isin(kind, MACRO_KINDS)
    reasons = invalid_reasons(kind=kind, rows=rows, cols=cols, input_bits=bi, weight_bits=bw,
                              bits_per_cycle=bc, adc_bits=adc, cells_per_mult=m, n_macros=nb,
                              node_nm=node, vdd=v)
    reasons = {"kind must be 'aimc' or 'dimc'": bad_kind, **reasons,
               "a DIMC macro needs a digital (volatile) cell": (kind == "dimc") & ~np.isin(cell, DIMC_CELLS)}
    invalid = np.zeros(kind.shape, dtype=bool)
    for reason, mask in reasons.items():
        if on_invalid == "raise" and mask.any():
            index = int(np.flatnonzero(mask)[0])
            raise ImcbenchError(f"invalid macro configuration at index {index}: {reason}")
        invalid |= mask
    keep = ~invalid
    kind, rows, cols, bi, bw, bc, adc, m, nb, node, v, cell = (
        a[keep] for a in (kind, rows, cols, bi, bw, bc, adc, m, nb, node, v, cell))
    area_ratio = np.array([terms[name][0] for name in cell], dtype=float)
    read_fj = np.array([terms[name][1] for name in cell], dtype=float)
    rows, cols, bw = rows.astype(float), cols.astype(float), bw.astype(float)
    is_aimc = kind == "aimc"
    adc = np.where(np.isnan(adc), adc_bits_paper_rule(bc, rows), adc)
    adc = np.where(is_aimc, adc, np.nan)
    params = model.MacroParams(is_aimc=is_aimc, rows=rows, weight_cols=np.floor(cols / bw), input_bits=bi,
                               weight_bits=bw, bits_per_cycle=bc, adc_bits=np.where(is_aimc, adc, 0.0),
                               cells_per_mult=m, n_macros=nb, cell_area_ratio=area_ratio,
                               cell_read_fj=read_fj, tech=Technology(node, v), delay_model=delay_model,
                               adc_model=adc_model)
    pk = model.peak(params)
    columns = {"kind": kind, "rows": rows.astype(int), "cols": cols.astype(int),
               "input_bits": bi.astype(int), "weight_bits": bw.astype(int),
               "bits_per_cycle": bc.astype(int), "adc_bits": adc, "cells_per_mult": m.astype(int),
               "n_macros": nb.astype(int), "node_nm": node.astype(float), "vdd": v.astype(float), "cell": cell,
               "tclk_ns": pk.t_clk, "area_mm2": pk.total_area_mm2, "tops": pk.tops,
               "tops_per_w": pk.tops_per_w, "tops_per_mm2": pk.tops_per_mm2,
               "energy_per_mac_fj": pk.energy_per_mac_fj}
    columns.update({f"energy_pj.{k}": val for k, val in pk.energy_pj.items()})
    columns.update({f"area_mm2.{k}": val for k, val in pk.area_mm2.items()})
    columns.update({f"tclk_ns.{k}": val for k, val in pk.tclk_ns.items()})
    import pandas as pd

    return pd.DataFrame(columns)
