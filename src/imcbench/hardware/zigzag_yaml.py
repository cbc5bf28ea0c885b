"""Read ZigZag IMC hardware files (``memories`` + ``operational_array``) into a `System`.

ZigZag (KU Leuven, zigzag-dse 3.x) describes an IMC core as an ``operational_array`` (``imc_type``
analog/digital, ``input_precision [activation, weight]``, ``bit_serial_precision``, ``adc_resolution``,
``dimensions [D1, D2, D3...]`` with ``sizes``) and named memories with operands I1 (inputs), I2
(weights), O (outputs), per-access costs ``r_cost``/``w_cost`` in pJ at the port's maximum bandwidth,
and ``served_dimensions`` (the array dimensions a memory instance is shared along). The weight memory
served along no dimension (one instance per multiplier unit) is the IMC cell array itself: its
``w_cost`` per ``size`` bits becomes our cell write energy and its ``area`` per instance the cell
array area. Physical columns of the macro = D1 x weight bits; rows = D2; macros = D3 x D4 x ...
"""

from __future__ import annotations

import difflib
import math
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from imcbench.design_limits import MAX_MACROS
from imcbench.errors import ImcbenchError
from imcbench.hardware import memory_model as mem
from imcbench.hardware.system import MemoryLevel, System, SystemOptions
from imcbench.macro import MacroSpec
from imcbench.tech import TECH_28NM
from imcbench.yamlio import validate

ZIGZAG_OPERANDS = {"I1": "I", "I2": "W", "O": "O"}  # ZigZag's default memory_operand_links
ZIGZAG_PSUM_BITS = 16  # ZigZag's ONNX parser moves partial outputs at 16 bits
# ZigZag memories carry no kind; imcbench infers it from the name and the size [assumption, our rule]:
ZIGZAG_DRAM_MIN_BITS = 1e8  # bits (12.5 MB): at least this large = off-chip DRAM (the paper's DRAM is
#   100 MB, its largest on-chip memory the 256 KB = 2.1e6-bit L2; zigzag-dse's shipped dram is 1e10 bits)
ZIGZAG_REGISTER_MAX_BITS = 1024  # bits: at most this large = register file (zigzag-dse's shipped rf_1B /
#   rf_2B are 8 / 16 bits, its smallest SRAM 2 Mbit)


class _Loose(BaseModel):
    # ZigZag files carry keys imcbench does not use (latency, allocation, ...): kept aside, not errors, but
    # checked for typos of the keys it does use (see _check_typos)
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class ZigzagPort(_Loose):
    name: str = ""
    type: str = "read_write"
    bandwidth_min: float = Field(gt=0)
    bandwidth_max: float = Field(gt=0)


class ZigzagMemory(_Loose):
    size: float = Field(gt=0)
    r_cost: float = Field(0.0, ge=0)
    w_cost: float = Field(0.0, ge=0)
    area: float = Field(0.0, ge=0)
    operands: list[Literal["I1", "I2", "O"]] = Field(min_length=1)
    ports: list[ZigzagPort] = Field(default_factory=list)
    r_bw: Optional[float] = Field(None, gt=0)
    w_bw: Optional[float] = Field(None, gt=0)
    served_dimensions: Union[list[str], str] = Field(default_factory=list)
    auto_cost_extraction: bool = False


class ZigzagArray(_Loose):
    is_imc: bool = True
    imc_type: Literal["analog", "digital"]
    input_precision: list[int] = Field(min_length=2, max_length=2)
    bit_serial_precision: int = Field(1, ge=1)
    adc_resolution: Optional[float] = Field(None, gt=0)
    dimensions: list[str] = Field(min_length=2)
    sizes: list[int] = Field(min_length=2)


class ZigzagHardware(_Loose):
    name: str = "zigzag"
    memories: dict[str, ZigzagMemory] = Field(min_length=1)
    operational_array: ZigzagArray


def system_from_zigzag(data: dict, source: str = "ZigZag file") -> System:
    """Convert a parsed ZigZag hardware YAML into a `System` (see the module docstring)."""
    hw = validate(ZigzagHardware, data, source)
    _check_typos(hw, source)
    array = hw.operational_array
    if not array.is_imc:
        raise ImcbenchError(f"{source}: operational_array.is_imc is false; imcbench models IMC arrays only")
    if len(array.sizes) != len(array.dimensions):
        raise ImcbenchError(f"{source}: operational_array.sizes {array.sizes} and dimensions "
                            f"{array.dimensions} differ in length")
    d1, d2, *extra = array.sizes
    bi, bw = array.input_precision
    cells_name, cells = _find_cells(hw, source)
    kind = "aimc" if array.imc_type == "analog" else "dimc"
    if kind == "aimc" and array.adc_resolution is None:
        raise ImcbenchError(f"{source}: an analog operational_array needs adc_resolution")
    n_macros = math.prod(extra) if extra else 1
    if n_macros > MAX_MACROS:
        raise ImcbenchError(f"{source}: operational_array.sizes {array.sizes} make {n_macros} macros beyond D1 x D2; "
                            f"at most {MAX_MACROS} are supported")
    macro = MacroSpec(kind, d2, d1 * bw, input_bits=bi, weight_bits=bw, bits_per_cycle=array.bit_serial_precision,
                      adc_bits=array.adc_resolution if kind == "aimc" else None, n_macros=n_macros,
                      cells_area_mm2=cells.area * d1 * d2 if cells is not None else None)
    levels = tuple(_level(name, m, array.dimensions, source) for name, m in hw.memories.items()
                   if name != cells_name)
    cell_write = cells.w_cost / cells.size if cells is not None else 0.0
    options = SystemOptions(partial_sum_bits=ZIGZAG_PSUM_BITS, cell_write_pj_per_bit=cell_write,
                            dimc_multipliers_full_array=True)
    return System(hw.name, macro, levels, options)


def _check_typos(hw: ZigzagHardware, source: str) -> None:
    """Refuse an unused key that is a near-miss of a used one (``r_cots``): it would silently take the default."""
    parts: list[tuple[str, _Loose]] = [("", hw), ("operational_array.", hw.operational_array)]
    for name, memory in hw.memories.items():
        parts.append((f"memories.{name}.", memory))
        parts += [(f"memories.{name}.ports.{i}.", port) for i, port in enumerate(memory.ports)]
    for prefix, part in parts:
        for key in part.model_extra or {}:
            close = difflib.get_close_matches(str(key), list(type(part).model_fields), n=1, cutoff=0.8)
            if close:
                raise ImcbenchError(f"{source}: field {prefix}{key}: unknown key {key!r}; did you mean {close[0]!r}?")


def _find_cells(hw: ZigzagHardware, source: str) -> tuple[str | None, ZigzagMemory | None]:
    """The weight memory instantiated per multiplier (served along no dimension): the cell array."""
    for name, m in hw.memories.items():
        if m.operands == ["I2"] and not _served(m):
            return name, m
    return None, None


def _served(m: ZigzagMemory) -> list[str]:
    if isinstance(m.served_dimensions, str):
        return [] if m.served_dimensions in ("", "[]") else [m.served_dimensions]
    return list(m.served_dimensions)


def _level(name: str, m: ZigzagMemory, dims: list[str], source: str) -> MemoryLevel:
    served = set(_served(m))
    if not served:
        raise ImcbenchError(f"{source}: memory {name!r} is served along no dimension but holds "
                            f"{m.operands}; only the weight cell array (operands [I2]) may be per-multiplier")
    if served == {dims[0]}:
        per = "row"  # shared along D1 (the word line): one instance per row
    elif served == {dims[1]}:
        per = "column"  # shared along D2 (the bit line): one instance per weight column
    elif served >= set(dims):
        per = "shared"
    elif served >= set(dims[:2]):
        per = "macro"
    else:
        raise ImcbenchError(f"{source}: memory {name!r} served_dimensions {sorted(served)} is not supported "
                            "(use [D1], [D2], [D1, D2] or all dimensions)")
    bandwidth, min_bits = _bandwidth(name, m, source)
    read, write = m.r_cost, m.w_cost
    if m.auto_cost_extraction:
        read = float(mem.sram_read_energy(m.size, bandwidth, TECH_28NM))
        write = float(mem.sram_write_energy(m.size, bandwidth, TECH_28NM))
    kind = "dram" if name.lower().startswith("dram") or m.size >= ZIGZAG_DRAM_MIN_BITS else (
        "register" if m.size <= ZIGZAG_REGISTER_MAX_BITS else "sram")
    operands = frozenset(ZIGZAG_OPERANDS[o] for o in m.operands)
    return MemoryLevel(name, kind, operands, m.size, bandwidth, read, write, per=per,
                       min_access_bits=min_bits, area_mm2=m.area)


def _bandwidth(name: str, m: ZigzagMemory, source: str) -> tuple[float, float]:
    """The widest port's maximum bandwidth and its minimum access width, bits per cycle."""
    if m.ports:
        port = max(m.ports, key=lambda p: p.bandwidth_max)
        if port.bandwidth_min > port.bandwidth_max:
            raise ImcbenchError(f"{source}: memory {name!r} port {port.name!r} has bandwidth_min above "
                                "bandwidth_max")
        return port.bandwidth_max, port.bandwidth_min
    if m.r_bw is not None:
        return m.r_bw, m.r_bw
    raise ImcbenchError(f"{source}: memory {name!r} has neither ports nor r_bw: give its bandwidth")
