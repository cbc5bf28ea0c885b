"""A `System`: IMC macros and the memory hierarchy that feeds them.

Operands follow ZigZag's names: ``W`` weights (held in the IMC cells), ``I`` input activations,
``O`` outputs (partial sums on their way up). Memory levels are listed from the array outwards; each
level serves a set of operands and is instantiated once per macro row (``per: row``, e.g. the input
registers broadcast along the word line), once per weight column (``per: column``, output registers),
once per macro (``per: macro``) or once for the whole system (``per: shared``).

A level's energy is given per access of ``bandwidth_bits`` (ZigZag's convention; the energy per bit is
``read_pj / bandwidth_bits``), and transfers are rounded up to ``min_access_bits``. Units: bits, pJ, mm2.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from imcbench.design_limits import MIN_MEMORY_BITS
from imcbench.errors import ImcbenchError
from imcbench.interconnect import Interconnect
from imcbench.macro import MacroSpec

OPERANDS = ("W", "I", "O")
MemoryKind = Literal["register", "sram", "dram"]
Instancing = Literal["row", "column", "macro", "shared"]


@dataclass(frozen=True)
class MemoryLevel:
    """One memory level. ``size_bits``, bandwidths, energies and area are per instance."""

    name: str
    kind: MemoryKind
    operands: frozenset[str]
    size_bits: float
    bandwidth_bits: float
    read_pj: float
    write_pj: float
    per: Instancing = "shared"
    min_access_bits: float | None = None
    area_mm2: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "operands", frozenset(self.operands))
        unknown = set(self.operands) - set(OPERANDS)
        if unknown or not self.operands:
            raise ImcbenchError(f"memory {self.name!r}: operands {sorted(self.operands)} must be a non-empty "
                                "subset of W (weights), I (inputs), O (outputs)")
        for label in ("size_bits", "bandwidth_bits"):
            value = getattr(self, label)
            if not np.isfinite(value) or value < MIN_MEMORY_BITS:
                raise ImcbenchError(f"memory {self.name!r}: {label} = {value!r} must be at least {MIN_MEMORY_BITS} bit")
        for label in ("read_pj", "write_pj", "area_mm2"):
            value = getattr(self, label)
            if not np.isfinite(value) or value < 0:
                raise ImcbenchError(f"memory {self.name!r}: {label} = {value!r} must be >= 0")
        if self.min_access_bits is None:
            object.__setattr__(self, "min_access_bits", float(self.bandwidth_bits))
        if not 0 < self.min_access_bits <= self.bandwidth_bits:
            raise ImcbenchError(f"memory {self.name!r}: min_access_bits {self.min_access_bits!r} must be in "
                                f"(0, bandwidth_bits = {self.bandwidth_bits}]")

    @property
    def read_pj_per_bit(self) -> float:
        return self.read_pj / self.bandwidth_bits

    @property
    def write_pj_per_bit(self) -> float:
        return self.write_pj / self.bandwidth_bits


@dataclass(frozen=True)
class SystemOptions:
    """Modeling choices a user can change.

    * ``partial_sum_bits``: precision of partial sums moved between levels (ZigZag: 16).
    * ``cell_write_pj_per_bit``: energy to write one weight bit into the IMC cells.
    * ``weight_rows_per_cycle``: rows of one macro written per clock when weights load (the paper
      writes one row per cycle).
    * ``weights_preloaded``: the whole network's weights stay in the cells between inferences (only
      allowed when they fit); otherwise every layer loads its weights from their top memory.
    * ``diagonal_mapping``: allow the paper's OX/FX diagonal mapping (convolutions with stride 1).
    * ``activation_placement``: ``liveness`` keeps a tensor in the on-chip buffer whenever it fits for
      its whole lifetime; ``adjacent`` only when its sole consumer is the next layer (zigzag-dse's rule).
    * ``pack_groups``: allow several groups of a grouped/depthwise convolution side by side on the array.
    * ``dimc_multipliers_full_array``: charge DIMC multipliers on all rows, as zigzag-dse >= 3.8 does.
    * ``cell_leakage``: charge the leakage (or refresh) power of the macro's cells over each layer's latency
      (``leakage.cells``; off by default, as the paper charges none).
    * ``act_act``, ``kv_cache``: for LLM steps (:mod:`imcbench.llm_eval`), where the act x act matmuls run
      (``array``, ``aimc_write``, ``dimc_write``, ``digital_unit``, ``digital_core``) and where the KV cache
      lives (``dram``, ``sram``, ``imc``). :func:`imcbench.evaluation.evaluate` models neither: it refuses
      a network with attention layers when they are not the defaults.
    """

    partial_sum_bits: int = 16
    cell_write_pj_per_bit: float = 0.0
    weight_rows_per_cycle: float = 1.0
    weights_preloaded: bool = False
    diagonal_mapping: bool = True
    pack_groups: bool = True
    dimc_multipliers_full_array: bool = False
    activation_placement: Literal["liveness", "adjacent"] = "liveness"
    cell_leakage: bool = False
    act_act: str = "array"
    kv_cache: str = "dram"


@dataclass(frozen=True)
class System:
    """IMC macros (``macro.n_macros`` identical ones) and memory levels ordered from the array outwards;
    ``interconnect``: the links between the shared memories and the macros (default: ideal, free)."""

    name: str
    macro: MacroSpec
    memories: tuple[MemoryLevel, ...]
    options: SystemOptions = field(default_factory=SystemOptions)
    interconnect: Interconnect = field(default_factory=Interconnect)

    def __post_init__(self) -> None:
        object.__setattr__(self, "memories", tuple(self.memories))
        names = [m.name for m in self.memories]
        if len(set(names)) != len(names):
            raise ImcbenchError(f"system {self.name!r}: memory names must be unique, got {names}")
        for operand, label in (("W", "weights"), ("I", "inputs"), ("O", "outputs")):
            if not self.levels(operand):
                raise ImcbenchError(f"system {self.name!r}: no memory level holds operand {operand} ({label}); "
                                    f"add it to the operands of a level (for example the DRAM)")
        if self.options.partial_sum_bits < 1:
            raise ImcbenchError("partial_sum_bits must be >= 1")
        if self.options.weight_rows_per_cycle <= 0:
            raise ImcbenchError("weight_rows_per_cycle must be > 0")

    def levels(self, operand: str) -> tuple[MemoryLevel, ...]:
        """The levels that hold ``operand``, from the array outwards."""
        return tuple(m for m in self.memories if operand in m.operands)

    def instances(self, level: MemoryLevel) -> int:
        """How many copies of ``level`` the system has."""
        macro = self.macro
        per_macro = {"row": macro.rows, "column": macro.weight_cols, "macro": 1}.get(level.per)
        return 1 if per_macro is None else per_macro * macro.n_macros

    def with_macro(self, **changes) -> "System":
        return replace(self, macro=replace(self.macro, **changes))

    def with_options(self, **changes) -> "System":
        return replace(self, options=replace(self.options, **changes))

    # -- area -----------------------------------------------------------------------------------
    def area_mm2_by_component(self) -> dict[str, float]:
        """Macro area by component (all macros) plus each memory's area (all instances), mm2."""
        result = self.macro.evaluate()
        areas = {f"macro.{k}": v for k, v in result.area_mm2_by_component.items()}
        return areas | self.memory_area_mm2()

    def memory_area_mm2(self) -> dict[str, float]:
        """Each memory's area (all instances), mm2."""
        return {f"mem.{level.name}": level.area_mm2 * self.instances(level) for level in self.memories}

    @property
    def area_mm2(self) -> float:
        return float(sum(self.area_mm2_by_component().values()))
