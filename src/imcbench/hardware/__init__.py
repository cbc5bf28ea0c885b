"""Hardware descriptions: systems of IMC macros and memories, their YAML formats and presets."""

from imcbench.hardware.config import SystemConfig, build_system, load_system
from imcbench.hardware.presets import paper_system
from imcbench.hardware.system import MemoryLevel, System, SystemOptions
from imcbench.hardware.system_peak import SystemPeakArrays, system_peak

__all__ = ["MemoryLevel", "System", "SystemConfig", "SystemOptions", "SystemPeakArrays", "build_system",
           "load_system", "paper_system", "system_peak"]
