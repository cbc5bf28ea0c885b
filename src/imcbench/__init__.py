"""imcbench: benchmark analog and digital in-memory-computing accelerators for DNN inference."""

from __future__ import annotations

from imcbench.errors import ImcbenchError
from imcbench.workload import Layer, LayerKind, Network, load_workload

__version__ = "0.1.0"

__all__ = ["ImcbenchError", "Layer", "LayerKind", "Network", "load_workload", "__version__"]
