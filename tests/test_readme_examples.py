"""The README's Python examples run, and print the numbers their comments state.

Every ```python block of README.md is executed statement by statement in a fresh namespace (from the
project root, so ``examples/...`` paths resolve). When an expression statement ends with a comment that
holds numbers (``x.tops_per_w   # 21.17``, ``a, b   # 2.61 TOPS/W, 340.1 us``), the expression's value(s)
must round to the stated digits. Every ``imcbench.NAME`` the README names in backticks must exist.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from numbers import Real

import pytest

from conftest import ROOT

README = ROOT / "README.md"
NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def stated_numbers(comment: str) -> list[str]:
    return [n.replace(",", "") for n in NUMBER.findall(comment)]


def numbers_of(value) -> list[float] | None:
    """The value as a flat list of numbers, or None when it is not a number or a tuple of numbers."""
    items = value if isinstance(value, tuple) else (value,)
    if all(isinstance(v, Real) and not isinstance(v, bool) for v in items):
        return [float(v) for v in items]
    return None


def check_stated(value, comment: str, source: str) -> int:
    """Compare ``value`` with the numbers in ``comment``; returns how many were compared."""
    stated = stated_numbers(comment)
    actual = numbers_of(value)
    if not stated or actual is None:
        return 0
    assert len(stated) == len(actual), f"{source!r} gives {actual}; its comment states {stated}"
    for text, number in zip(stated, actual):
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert round(number, decimals) == float(text), f"{source!r} = {number}; the README says {text}"
    return len(stated)


def run_block(block: str) -> int:
    """Execute a block statement by statement; returns the number of stated numbers checked."""
    lines = block.splitlines()
    namespace: dict = {"__name__": "__readme__"}
    checked = 0
    for node in ast.parse(block).body:
        source = ast.get_source_segment(block, node)
        if isinstance(node, ast.Expr):
            value = eval(compile(ast.Expression(node.value), "README.md", "eval"), namespace)
            last = lines[node.end_lineno - 1]
            comment = last[node.end_col_offset:].partition("#")[2]
            checked += check_stated(value, comment, source)
        else:
            exec(compile(ast.Module([node], type_ignores=[]), "README.md", "exec"), namespace)
    return checked


def test_readme_has_python_examples():
    assert python_blocks(README.read_text())


@pytest.mark.parametrize("index", range(len(python_blocks(README.read_text()))))
def test_readme_python_block_runs_and_states_true_numbers(index, monkeypatch):
    monkeypatch.chdir(ROOT)
    block = python_blocks(README.read_text())[index]
    run_block(block)


def test_the_checker_catches_a_wrong_number():
    assert run_block("1.234  # 1.23\n(2.5, 10)  # 2.5 x, 10 y\n") == 3
    with pytest.raises(AssertionError, match="says 1.24"):
        run_block("1.234  # 1.24\n")
    with pytest.raises(AssertionError, match="states"):
        run_block("(1.0, 2.0)  # 1.0\n")


def test_readme_numbers_are_checked():
    """At least the headline numbers of the Python API section are compared, not skipped."""
    text = README.read_text()
    assert sum(run_block(b) for b in python_blocks(text) if "imcbench.evaluate(" in b) >= 3


@pytest.mark.parametrize("name", sorted(set(re.findall(r"`(imcbench(?:\.[A-Za-z_]\w*)+)", README.read_text()))))
def test_every_api_name_in_the_readme_exists(name):
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):  # the longest importable module, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return
    pytest.fail(f"{name} not found")


def test_root_entry_points_after_import_imcbench():
    """``import imcbench`` alone gives the functions (the module imcbench.evaluate once shadowed one)."""
    code = ("import imcbench, inspect\n"
            "for n in ('evaluate', 'evaluate_many', 'load_system', 'paper_system'):\n"
            "    assert inspect.isfunction(getattr(imcbench, n)), n\n"
            "assert inspect.isclass(imcbench.macro.MacroSpec)\n"
            "import imcbench.evaluation\n"
            "assert inspect.isfunction(imcbench.evaluate)\n"
            "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "ok", proc.stderr
