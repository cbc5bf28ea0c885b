"""The layer order of :mod:`imcbench.layers` holds: no module imports a layer above its own or a sibling
package of its layer, and there is no import cycle, between packages or between modules.

Imports are read from the source with ``ast`` at every depth (a lazy import inside a function, or one
under ``if TYPE_CHECKING``, is still a dependency), so the check needs no import of imcbench.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from imcbench.layers import LAYERS, ROOT_MODULES, component, layer_index

SRC = Path(__file__).resolve().parents[1] / "src"

# Edges (importer module, imported module) that break the order today, each with why it is not fixed
# yet. The test fails on any other violation, and on an entry here that no longer occurs.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}

# Module-level import cycles inside one package that are not untangled yet: frozenset of modules -> why.
KNOWN_MODULE_CYCLES: dict[frozenset[str], str] = {}


def module_files(src: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of the ``imcbench`` package under ``src``."""
    modules = {}
    for path in sorted((src / "imcbench").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_edges(src: Path) -> dict[str, set[str]]:
    """Importer -> imported imcbench modules, from every ``import`` anywhere in each module's source.

    ``from P import name`` depends on the module ``P.name`` when it exists, else on ``P``.
    """
    modules = module_files(src)
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package[:len(package) - (node.level - 1)]
                    base = ".".join(parent + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            edges[name].update(t for t in targets if t.split(".")[0] == "imcbench" and t != name)
    return edges


def layer_violations(src: Path) -> dict[tuple[str, str], str]:
    """(importer, imported) -> what is wrong, for every import against the order of LAYERS."""
    found = {}
    for importer, targets in import_edges(src).items():
        if importer in ROOT_MODULES:
            continue
        for target in targets:
            if target in ROOT_MODULES or component(target) == component(importer):
                continue
            low, high = layer_index(importer), layer_index(target)
            if high is None:
                found[(importer, target)] = f"{target} is in no layer of imcbench.layers.LAYERS"
            elif high > low:
                found[(importer, target)] = f"layer {low} imports layer {high}"
            elif high == low:
                found[(importer, target)] = f"sibling packages of layer {low} must be independent"
    return found


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    nodes = set(graph) | {t for ts in graph.values() for t in ts}
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component_nodes = set()
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component_nodes.add(top)
                        if top == node:
                            break
                    if len(component_nodes) > 1:
                        found.append(frozenset(component_nodes))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def package_graph(edges: dict[str, set[str]], skip=()) -> dict[str, set[str]]:
    """Top-level package (``imcbench.macro``) -> the top-level packages it imports (without the ``skip`` edges)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, targets in edges.items():
        if importer in ROOT_MODULES:
            continue
        for target in targets:
            if (importer, target) in skip:
                continue
            a, b = ".".join(importer.split(".")[:2]), ".".join(target.split(".")[:2])
            if a != b and target not in ROOT_MODULES:
                graph[a].add(b)
    return graph


def module_graph(src: Path) -> dict[str, set[str]]:
    """Module -> modules it imports, without the package ``__init__``s (they re-export their modules)."""
    edges = import_edges(src)
    packages = {m for m, p in module_files(src).items() if p.name == "__init__.py"}
    return {m: {t for t in ts if t not in packages} for m, ts in edges.items() if m not in packages}


def test_every_module_is_in_a_layer():
    unplaced = [m for m in module_files(SRC) if m not in ROOT_MODULES and component(m) is None]
    assert not unplaced, f"add these modules to imcbench.layers.LAYERS: {unplaced}"


def test_layers_name_each_package_once():
    entries = [entry for layer in LAYERS for entry in layer]
    assert len(entries) == len(set(entries))


def test_no_import_goes_up_or_sideways():
    found = layer_violations(SRC)
    new = {edge: why for edge, why in found.items() if edge not in KNOWN_VIOLATIONS}
    assert not new, "imports against imcbench.layers:\n" + "\n".join(
        f"  {a} -> {b}: {why}" for (a, b), why in sorted(new.items()))
    stale = set(KNOWN_VIOLATIONS) - set(found)
    assert not stale, f"fixed, remove from KNOWN_VIOLATIONS: {sorted(stale)}"


def test_no_cycle_between_packages():
    found = cycles(package_graph(import_edges(SRC), skip=KNOWN_VIOLATIONS))
    assert not found, f"import cycles between packages: {[sorted(c) for c in found]}"


def test_no_cycle_between_modules():
    found = cycles(module_graph(SRC))
    new = [sorted(c) for c in found if c not in KNOWN_MODULE_CYCLES]
    assert not new, f"import cycles between modules: {new}"
    stale = set(KNOWN_MODULE_CYCLES) - set(found)
    assert not stale, f"untangled, remove from KNOWN_MODULE_CYCLES: {[sorted(c) for c in stale]}"


def _write(root: Path, name: str, text: str) -> None:
    path = root.joinpath(*name.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def toy_src(tmp_path: Path) -> Path:
    """A tiny imcbench tree: the macro imports the report lazily, the report imports the macro, the
    workload imports the hardware beside it, two validation modules import each other (one lazily)."""
    _write(tmp_path, "imcbench.__init__", "")
    _write(tmp_path, "imcbench.macro.__init__", "")
    _write(tmp_path, "imcbench.report.__init__", "")
    _write(tmp_path, "imcbench.macro.model", "def f():\n    from imcbench.report import html\n    return html\n")
    _write(tmp_path, "imcbench.report.html", "from ..macro import model\n")
    _write(tmp_path, "imcbench.workload.net", "from imcbench.hardware.system import System\n")
    _write(tmp_path, "imcbench.hardware.system", "System = 1\n")
    _write(tmp_path, "imcbench.validation.fit", "from imcbench.validation.predict import predict\n")
    _write(tmp_path, "imcbench.validation.predict", "def predict():\n    from . import fit\n    return fit\n")
    return tmp_path


def test_the_check_sees_lazy_relative_and_sideways_imports(toy_src):
    found = layer_violations(toy_src)
    assert set(found) == {("imcbench.macro.model", "imcbench.report.html"),
                          ("imcbench.workload.net", "imcbench.hardware.system")}
    assert "sibling" in found[("imcbench.workload.net", "imcbench.hardware.system")]
    assert cycles(package_graph(import_edges(toy_src))) == [frozenset({"imcbench.macro", "imcbench.report"})]
    validation = frozenset({"imcbench.validation.fit", "imcbench.validation.predict"})
    assert validation in cycles(module_graph(toy_src))
