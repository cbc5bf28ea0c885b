"""The architecture of imcbench as an ordered list of layers; ``tests/test_layers.py`` enforces it.

A module may import modules of its own package and of any layer below its own, never above. Packages
in one layer are independent of each other (neither imports the other). A lazy import inside a function
is a dependency like any other. Changing a model therefore touches only the layers above it, and
nothing below a layer has to be read to understand what it uses.

From the bottom up:

* errors (and this map);
* the ranges of the design quantities (design_limits: rows, bits, node, supply, ...), checked by every
  layer above;
* constants and helpers: technology nodes and memory cells, workload limits, the YAML field types of the
  design limits, YAML and safe file I/O, the figure description (data only; its renderers import
  plotly/matplotlib on use), the results vocabulary;
* physics: pure equations of devices shared by every model (converters, interconnect wires and
  links, the ADC survey fit);
* macro: one IMC macro (cells, components, peak figures);
* workload and hardware: a network's layers; a system (macros, memories, interconnect) and its peak figures;
* mapping: where each layer runs and what it moves;
* evaluation, then llm_eval built on it: the engine that costs a network on a system;
* features (accuracy, scaling, validation, hetero): models that use the engine and the macro;
* dse: sweeps over design points (its constraints may use features, e.g. accuracy's SQNR);
* studies: the paper's AIMC-vs-DIMC study and the LLM study, built from sweeps and features, each computed
  into a result (tables, findings, what was left out) with no figure or HTML code;
* report: figures, HTML and output folders of anything below (a study's report renders its result);
* cli: parses, calls, prints.

The package root (``imcbench/__init__.py``, a lazy facade of the entry points) and ``__main__`` stand
outside the layers: importing the root is importing the package.
"""

from __future__ import annotations

ROOT_MODULES = ("imcbench", "imcbench.__main__")  # the facade and the entry point: outside the layers

# Bottom to top. Each entry is a module or package name; a module belongs to the longest entry that
# prefixes its name.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("imcbench.errors", "imcbench.layers"),
    ("imcbench.design_limits",),
    ("imcbench.limits", "imcbench.design_fields", "imcbench.yamlio", "imcbench.safeio", "imcbench.tech",
     "imcbench.celltech", "imcbench.figspec", "imcbench.results"),
    ("imcbench.converters", "imcbench.interconnect", "imcbench.adc_survey"),
    ("imcbench.macro",),
    ("imcbench.workload", "imcbench.hardware"),
    ("imcbench.mapping",),
    ("imcbench.evaluation",),
    ("imcbench.llm_eval",),
    ("imcbench.accuracy", "imcbench.scaling", "imcbench.validation", "imcbench.hetero"),
    ("imcbench.dse",),
    ("imcbench.studies",),
    ("imcbench.report",),
    ("imcbench.cli",),
)


def component(module: str) -> str | None:
    """The LAYERS entry ``module`` belongs to (the longest prefix), or None when it is in no layer."""
    best = None
    for layer in LAYERS:
        for entry in layer:
            if (module == entry or module.startswith(entry + ".")) and (best is None or len(entry) > len(best)):
                best = entry
    return best


def layer_index(module: str) -> int | None:
    """0 for the foundation, counting up; None when ``module`` is in no layer."""
    entry = component(module)
    return None if entry is None else next(i for i, layer in enumerate(LAYERS) if entry in layer)
