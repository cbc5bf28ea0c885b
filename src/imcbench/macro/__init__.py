"""The AIMC / DIMC macro model (energy, clock period, area) of the IMC paper, vectorized."""

from imcbench.macro.model import (AREA_COMPONENTS, DELAY_COMPONENTS, ENERGY_COMPONENTS, MacroParams,
                                  PeakArrays, peak)
from imcbench.macro.spec import MacroResult, MacroSpec, evaluate_macros, invalid_reasons
from imcbench.macro.system_peak import SystemPeakArrays, system_peak

__all__ = ["AREA_COMPONENTS", "DELAY_COMPONENTS", "ENERGY_COMPONENTS", "MacroParams", "MacroResult",
           "MacroSpec", "PeakArrays", "SystemPeakArrays", "evaluate_macros", "invalid_reasons", "peak",
           "system_peak"]
