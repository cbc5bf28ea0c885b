"""The AIMC / DIMC macro model (energy, clock period, area) of the IMC paper, vectorized."""

from imcbench.macro.model import (AREA_COMPONENTS, DELAY_COMPONENTS, ENERGY_COMPONENTS, MacroParams,
                                  PeakArrays, peak)
from imcbench.macro.spec import MacroResult, MacroSpec, evaluate_macros, invalid_reasons

__all__ = ["AREA_COMPONENTS", "DELAY_COMPONENTS", "ENERGY_COMPONENTS", "MacroParams", "MacroResult",
           "MacroSpec", "PeakArrays", "evaluate_macros", "invalid_reasons", "peak"]
