"""imcbench's own hardware YAML format (validated with pydantic) and `build_system`.

Example (``examples/paper_aimc_256.yaml``)::

    name: paper_aimc_256
    technology: {node_nm: 28, vdd: 0.9}
    macro: {kind: aimc, rows: 256, cols: 256, bits_per_cycle: 2, adc_bits: paper}
    memories:                       # from the array outwards
      - {name: input_regs, kind: register, operands: [I], per: row, size_bits: 8}
      - {name: output_regs, kind: register, operands: [O], per: column, size_bits: 16}
      - {name: l2, kind: sram, operands: [I, O], size_kb: 256, bandwidth_bits: 2048}
      - {name: dram, kind: dram, operands: [W], size_mb: 100, bandwidth_bits: 256, read_pj_per_bit: 3.7}

An optional ``interconnect:`` block prices the links between the shared memories and the macros
(:mod:`imcbench.interconnect`; left out: ideal links, no cost)::

    interconnect: {topology: mesh, pj_per_bit_per_hop: 0.05, bandwidth_bits_per_cycle: 512,
                   macros_per_chip: 4, chip_link_pj_per_bit: 0.5, chip_link_bandwidth_bits_per_cycle: 128}

Energies left out (or ``auto``) are estimated by :mod:`imcbench.hardware.memory_model`: registers one
flip-flop write per bit (reads free), SRAM from CACTI-derived size/width scaling, DRAM 3.7 pJ/bit.
Reading a file or a preset name is :func:`imcbench.hardware.loading.load_system`.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Annotated, Literal, Optional, Union

from pydantic import Field, PlainValidator, field_validator, model_validator

from imcbench.celltech import DEFAULT_CELL, list_cells
from imcbench.design_fields import (CellsPerMult, Cols, MacroCount, NodeNm, OperandBits, PartialSumBits, Rows,
                                    SupplyV)
from imcbench.design_limits import MAX_ADC_BITS, MIN_ADC_BITS, MIN_MEMORY_BITS
from imcbench.errors import ImcbenchError
from imcbench.hardware import cell_costs
from imcbench.hardware import memory_model as mem
from imcbench.hardware.system import MemoryLevel, System, SystemOptions
from imcbench.interconnect import Interconnect
from imcbench.macro import MacroSpec
from imcbench.macro.model import DEFAULT_DELAY_MODEL
from imcbench.tech import Technology
from imcbench.yamlio import StrictModel

Auto = Literal["auto"]
SRAM_SUBBANKS = 16  # the paper's CACTI L2 has 16 sub-banks: one sub-bank is the smallest access
DRAM_MIN_ACCESS_BITS = 64  # one DRAM word


def _number_or_keyword(value, *, keyword: str, positive: bool = False, allow_none: bool = False):
    """A finite number >= 0 (> 0 if ``positive``) or the ``keyword`` ('auto', 'paper'), or None when allowed:
    one clear error instead of pydantic's one error per union member."""
    if value == keyword or (value is None and allow_none):
        return value
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"give a number or {keyword!r}, not {value!r}") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise ValueError(f"{value!r} must be a finite number {'> 0' if positive else '>= 0'} or {keyword!r}")
    return number


def _adc_bits_or_paper(value):
    """ADC bits in the design range (:mod:`imcbench.design_limits`), or 'paper' for the paper's rule."""
    bits = f"[{MIN_ADC_BITS}, {MAX_ADC_BITS}]"
    try:
        value = _number_or_keyword(value, keyword="paper", positive=True)
    except ValueError as exc:
        raise ValueError(f"{exc} (adc_bits in {bits})") from None
    if value != "paper" and not MIN_ADC_BITS <= value <= MAX_ADC_BITS:
        raise ValueError(f"adc_bits {value:g} must be in {bits} or 'paper'")
    return value


# energies (pJ) and areas (mm2) that may be left to the estimates
AutoPositive = Annotated[Union[float, Auto], PlainValidator(partial(_number_or_keyword, keyword="auto", positive=True))]
AutoNonNegative = Annotated[Union[float, Auto], PlainValidator(partial(_number_or_keyword, keyword="auto"))]
OptionalAutoNonNegative = Annotated[Union[float, Auto, None],
                                    PlainValidator(partial(_number_or_keyword, keyword="auto", allow_none=True))]


class TechnologyConfig(StrictModel):
    node_nm: NodeNm = 28.0
    vdd: SupplyV = 0.9


class MacroConfig(StrictModel):
    kind: Literal["aimc", "dimc"]
    rows: Rows
    cols: Cols
    input_bits: OperandBits = 8
    weight_bits: OperandBits = 8
    bits_per_cycle: Optional[OperandBits] = None  # at most input_bits (and MAX_DAC_BITS for AIMC): MacroSpec
    adc_bits: Annotated[Union[float, Literal["paper"]], PlainValidator(_adc_bits_or_paper)] = "paper"
    cells_per_mult: CellsPerMult = 1
    count: MacroCount = 1
    delay_model: Literal["zigzag", "paper"] = DEFAULT_DELAY_MODEL
    adc_model: Literal["paper", "survey_median", "survey_envelope"] = "paper"  # imcbench.converters
    cells_area_mm2: AutoNonNegative = "auto"
    cell: str = DEFAULT_CELL  # memory-cell technology (imcbench.celltech), e.g. sram6t, rram, pcm

    @field_validator("cell")
    @classmethod
    def _known_cell(cls, value: str) -> str:
        if value.strip().lower() not in list_cells():
            raise ValueError(f"unknown cell technology {value!r}; known cells: {', '.join(list_cells())}")
        return value.strip().lower()


class MemoryConfig(StrictModel):
    name: str
    kind: Literal["register", "sram", "dram"]
    operands: list[Literal["W", "I", "O"]] = Field(min_length=1)
    per: Literal["row", "column", "macro", "shared"] = "shared"
    size_bits: Optional[float] = Field(None, gt=0)
    size_bytes: Optional[float] = Field(None, gt=0)
    size_kb: Optional[float] = Field(None, gt=0)
    size_mb: Optional[float] = Field(None, gt=0)
    bandwidth_bits: Optional[float] = Field(None, ge=MIN_MEMORY_BITS)
    min_access_bits: Optional[float] = Field(None, ge=1)
    read_pj: OptionalAutoNonNegative = None
    write_pj: OptionalAutoNonNegative = None
    read_pj_per_bit: Optional[float] = Field(None, ge=0)
    write_pj_per_bit: Optional[float] = Field(None, ge=0)
    area_mm2: AutoNonNegative = "auto"

    @model_validator(mode="after")
    def _one_size(self) -> "MemoryConfig":
        given = [k for k in ("size_bits", "size_bytes", "size_kb", "size_mb") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of size_bits, size_bytes, size_kb, size_mb (got {given or 'none'})")
        if self.bits < MIN_MEMORY_BITS:
            raise ValueError(f"size of {self.bits:g} bits: a memory holds at least {MIN_MEMORY_BITS} bit")
        if isinstance(self.read_pj, float) and self.read_pj_per_bit is not None:
            raise ValueError("give read_pj (per access) or read_pj_per_bit, not both")
        if isinstance(self.write_pj, float) and self.write_pj_per_bit is not None:
            raise ValueError("give write_pj (per access) or write_pj_per_bit, not both")
        return self

    @property
    def bits(self) -> float:
        scale = {"size_bits": 1, "size_bytes": 8, "size_kb": 8 * 1024, "size_mb": 8 * 1024 * 1024}
        return next(getattr(self, k) * s for k, s in scale.items() if getattr(self, k) is not None)


class OptionsConfig(StrictModel):
    partial_sum_bits: PartialSumBits = 16
    cell_write_pj_per_bit: AutoNonNegative = "auto"
    weight_rows_per_cycle: AutoPositive = "auto"  # auto: from the cell (SRAM 1; NVM t_clk / write latency)
    cell_leakage: bool = False  # charge the cells' leakage over the latency (breakdown 'leakage.cells')
    weights_preloaded: bool = False
    diagonal_mapping: bool = True
    pack_groups: bool = True
    dimc_multipliers_full_array: bool = False
    activation_placement: Literal["liveness", "adjacent"] = "liveness"
    # LLM steps (imcbench llm, imcbench.llm_eval): where act x act matmuls run, where the KV cache lives
    act_act: Literal["array", "aimc_write", "dimc_write", "digital_unit", "digital_core"] = "array"
    kv_cache: Literal["dram", "sram", "imc"] = "dram"


class InterconnectConfig(StrictModel):
    """Links between the shared memories and the macros, and between chips (see imcbench.interconnect)."""

    topology: Literal["none", "bus", "mesh"] = "none"
    pj_per_bit_per_hop: float = Field(0.0, ge=0)
    bandwidth_bits_per_cycle: Optional[float] = Field(None, gt=0)
    macros_per_chip: Optional[MacroCount] = None
    chip_link_pj_per_bit: float = Field(0.0, ge=0)
    chip_link_bandwidth_bits_per_cycle: Optional[float] = Field(None, gt=0)
    bandwidth_gbps: Optional[float] = Field(None, gt=0)
    chip_link_gbps: Optional[float] = Field(None, gt=0)

    @model_validator(mode="after")
    def _priced(self) -> "InterconnectConfig":
        for per_cycle, gbps in (("bandwidth_bits_per_cycle", "bandwidth_gbps"),
                                ("chip_link_bandwidth_bits_per_cycle", "chip_link_gbps")):
            if getattr(self, per_cycle) is not None and getattr(self, gbps) is not None:
                raise ValueError(f"give {per_cycle} or {gbps}, not both")
        bandwidth = self.bandwidth_bits_per_cycle or self.bandwidth_gbps
        if self.topology != "none" and self.pj_per_bit_per_hop == 0 and bandwidth is None:
            raise ValueError(f"topology {self.topology!r} needs pj_per_bit_per_hop and/or a bandwidth "
                             "(or use topology: none for ideal links)")
        chip_given = (self.chip_link_pj_per_bit > 0 or self.chip_link_bandwidth_bits_per_cycle is not None
                      or self.chip_link_gbps is not None)
        if chip_given and self.macros_per_chip is None:
            raise ValueError("chip link costs need macros_per_chip (how many macros one chip holds)")
        if self.topology == "none" and (self.pj_per_bit_per_hop > 0 or chip_given or self.macros_per_chip):
            raise ValueError("topology is 'none' (ideal links) but link costs are given: set topology to bus or mesh")
        return self

    def build(self) -> Interconnect:
        return Interconnect(**self.model_dump())


class SystemConfig(StrictModel):
    name: str = "system"
    technology: TechnologyConfig = TechnologyConfig()
    macro: MacroConfig
    memories: list[MemoryConfig] = Field(min_length=1)
    options: OptionsConfig = OptionsConfig()
    interconnect: InterconnectConfig = InterconnectConfig()


def build_system(config: SystemConfig) -> System:
    """Turn a validated configuration into a `System`, estimating the energies left as ``auto``."""
    tech = Technology(config.technology.node_nm, config.technology.vdd)
    m = config.macro
    macro = MacroSpec(m.kind, m.rows, m.cols, input_bits=m.input_bits, weight_bits=m.weight_bits,
                      bits_per_cycle=m.bits_per_cycle, adc_bits=None if m.adc_bits == "paper" else m.adc_bits,
                      cells_per_mult=m.cells_per_mult, n_macros=m.count, node_nm=tech.node_nm, vdd=tech.vdd,
                      delay_model=m.delay_model, adc_model=m.adc_model,
                      cells_area_mm2=None if m.cells_area_mm2 == "auto" else m.cells_area_mm2, cell=m.cell)
    levels = tuple(_build_level(c, macro, tech) for c in config.memories)
    o = config.options
    cell_write = (cell_costs.cell_write_pj_per_bit(macro, tech) if o.cell_write_pj_per_bit == "auto"
                  else o.cell_write_pj_per_bit)
    rows_per_cycle = (cell_costs.weight_rows_per_cycle(macro) if o.weight_rows_per_cycle == "auto"
                      else o.weight_rows_per_cycle)
    options = SystemOptions(partial_sum_bits=o.partial_sum_bits, cell_write_pj_per_bit=cell_write,
                            weight_rows_per_cycle=rows_per_cycle, cell_leakage=o.cell_leakage,
                            weights_preloaded=o.weights_preloaded, diagonal_mapping=o.diagonal_mapping,
                            pack_groups=o.pack_groups, activation_placement=o.activation_placement,
                            dimc_multipliers_full_array=o.dimc_multipliers_full_array,
                            act_act=o.act_act, kv_cache=o.kv_cache)
    return System(config.name, macro, levels, options, interconnect=config.interconnect.build())


def _build_level(c: MemoryConfig, macro: MacroSpec, tech: Technology) -> MemoryLevel:
    bits = c.bits
    width = c.bandwidth_bits or _default_bandwidth(c, macro)
    read = _energy(c.read_pj, c.read_pj_per_bit, width, lambda: _auto_read(c.kind, bits, width, tech))
    write = _energy(c.write_pj, c.write_pj_per_bit, width, lambda: _auto_write(c.kind, bits, width, tech))
    area = _auto_area(c.kind, bits, width, tech) if c.area_mm2 == "auto" else c.area_mm2
    min_access = c.min_access_bits or _default_min_access(c.kind, width)
    return MemoryLevel(c.name, c.kind, frozenset(c.operands), bits, width, read, write, per=c.per,
                       min_access_bits=min(min_access, width), area_mm2=area)


def _default_min_access(kind: str, width: float) -> float:
    """Smallest access charged: one of 16 SRAM sub-banks (the paper's CACTI L2 organisation), a 64-bit
    DRAM word, a whole register."""
    return {"sram": width / SRAM_SUBBANKS, "dram": DRAM_MIN_ACCESS_BITS}.get(kind, width)


def _default_bandwidth(c: MemoryConfig, macro: MacroSpec) -> float:
    """Registers move their whole content per cycle; other levels need a bandwidth."""
    if c.kind == "register":
        return c.bits
    raise ImcbenchError(f"memory {c.name!r}: bandwidth_bits is required for a {c.kind} level")


def _energy(per_access, per_bit, width, estimate) -> float:
    if isinstance(per_access, (int, float)) and not isinstance(per_access, bool):
        return float(per_access)
    if per_bit is not None:
        return per_bit * width
    return float(estimate())


def _auto_read(kind: str, bits: float, width: float, tech: Technology) -> float:
    if kind == "register":
        return 0.0  # the paper charges register writes only (zigzag-imc b0f0319 peak_eval.py: register loads)
    if kind == "sram":
        return float(mem.sram_read_energy(bits, width, tech))
    return mem.DRAM_ENERGY_PJ_PER_BIT * width


def _auto_write(kind: str, bits: float, width: float, tech: Technology) -> float:
    if kind == "register":
        return float(mem.register_energy_per_bit(tech)) * width
    if kind == "sram":
        return float(mem.sram_write_energy(bits, width, tech))
    return mem.DRAM_ENERGY_PJ_PER_BIT * width


def _auto_area(kind: str, bits: float, width: float, tech: Technology) -> float:
    if kind == "register":
        return float(mem.register_area_per_bit(tech)) * bits
    if kind == "sram":
        return float(mem.sram_area(bits, width, tech))
    return 0.0  # off-chip
