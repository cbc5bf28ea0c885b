"""Pydantic field types of the design quantities, built from the ranges of :mod:`imcbench.design_limits`.

The YAML formats (hardware systems, ZigZag files, heterogeneous clusters) declare their fields with these
types, so a file is refused with pydantic's message naming the bound, e.g. ``field macro.rows: Input should
be less than or equal to 65536``, the same bound ``MacroSpec`` and the sweep apply.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from imcbench import design_limits as lim

Rows = Annotated[int, Field(ge=lim.MIN_ROWS, le=lim.MAX_ROWS)]
Cols = Annotated[int, Field(ge=lim.MIN_COLS, le=lim.MAX_COLS)]
CellsPerMult = Annotated[int, Field(ge=1, le=lim.MAX_CELLS_PER_MULT)]
MacroCount = Annotated[int, Field(ge=1, le=lim.MAX_MACROS)]
OperandBits = Annotated[int, Field(ge=lim.MIN_OPERAND_BITS, le=lim.MAX_OPERAND_BITS)]
DacBits = Annotated[int, Field(ge=1, le=lim.MAX_DAC_BITS)]
AdcBits = Annotated[int, Field(ge=lim.MIN_ADC_BITS, le=lim.MAX_ADC_BITS)]  # a whole number of bits
PartialSumBits = Annotated[int, Field(ge=1, le=lim.MAX_PARTIAL_SUM_BITS)]
NodeNm = Annotated[float, Field(ge=lim.MIN_NODE_NM, le=lim.MAX_NODE_NM)]
SupplyV = Annotated[float, Field(gt=lim.MIN_VDD_V_EXCLUSIVE, le=lim.MAX_VDD_V)]
ClockMhz = Annotated[float, Field(gt=0, le=lim.MAX_CLOCK_MHZ)]
