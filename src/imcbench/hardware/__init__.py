"""Hardware descriptions: systems of IMC macros and memories, their YAML formats and presets."""

from imcbench.hardware.config import SystemConfig, build_system, load_system
from imcbench.hardware.presets import paper_system
from imcbench.hardware.system import MemoryLevel, System, SystemOptions

__all__ = ["MemoryLevel", "System", "SystemConfig", "SystemOptions", "build_system", "load_system",
           "paper_system"]
