"""imcbench: benchmark analog and digital in-memory-computing accelerators for DNN inference.

The package root holds the main entry points::

    import imcbench
    result = imcbench.evaluate("resnet8", imcbench.paper_system("aimc", 256))

``Layer``, ``Network``, ``load_workload``, ``evaluate``, ``evaluate_many``, ``load_system``, ``paper_system``,
``run_study``, ``run_sweep``, ``evaluate_llm`` and the subpackages (``imcbench.macro``, ``imcbench.dse``, ...)
are imported on first use, so ``import imcbench`` stays fast (the CLI and the sweep
workers import it first).
"""

from __future__ import annotations

from imcbench.errors import ImcbenchError

__version__ = "0.1.0"

_LAZY = {"Layer": "imcbench.workload", "LayerKind": "imcbench.workload", "Network": "imcbench.workload",
         "load_workload": "imcbench.workload",
         "evaluate": "imcbench.evaluation", "evaluate_many": "imcbench.evaluation",
         "NetworkResult": "imcbench.evaluation", "LayerResult": "imcbench.evaluation",
         "load_system": "imcbench.hardware", "paper_system": "imcbench.hardware",
         "run_study": "imcbench.report.study_report", "run_sweep": "imcbench.dse.runner",
         "evaluate_llm": "imcbench.llm_eval"}

__all__ = ["ImcbenchError", "Layer", "LayerKind", "Network", "load_workload", "__version__",
           *(name for name in _LAZY if name not in {"Layer", "LayerKind", "Network", "load_workload"})]


def __getattr__(name: str):
    """The lazy entry points, and subpackages on first use (``imcbench.macro.MacroSpec`` after ``import imcbench``)."""
    import importlib.util

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"imcbench.{name}") is not None:
        return importlib.import_module(f"imcbench.{name}")
    raise AttributeError(f"module 'imcbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
