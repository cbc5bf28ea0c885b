"""Hardware descriptions: systems of IMC macros and memories, their YAML formats and presets.

The names below are imported on first use: the cell-cost and memory models (``imcbench.hardware.cell_costs``,
``imcbench.hardware.memory_model``) on the macro path do not pay for the pydantic YAML formats.
"""

from __future__ import annotations

import importlib

_LAZY = {"SystemConfig": "imcbench.hardware.config", "build_system": "imcbench.hardware.config",
         "load_system": "imcbench.hardware.loading", "paper_system": "imcbench.hardware.presets",
         "MemoryLevel": "imcbench.hardware.system", "System": "imcbench.hardware.system",
         "SystemOptions": "imcbench.hardware.system"}

__all__ = ["MemoryLevel", "System", "SystemConfig", "SystemOptions", "build_system", "load_system",
           "paper_system"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'imcbench.hardware' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
