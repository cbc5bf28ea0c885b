"""Start-up stays light: ``import imcbench``, ``imcbench --help`` and ``imcbench macro`` load no heavy library.

Each check runs in a fresh interpreter (this test process has imported everything already) and lists the
heavy top-level packages present in ``sys.modules``; the speed itself is measured by
benchmarks/bench_startup.py, not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import imcbench
from imcbench.cli.app import app
from imcbench.macro import MacroSpec

SRC = Path(imcbench.__file__).resolve().parents[1]
# libraries that only some commands need (tables, stores, ONNX, figures, fits): never loaded to start
HEAVY = ("pandas", "duckdb", "onnx", "onnxruntime", "plotly", "matplotlib", "sklearn", "scipy", "dask")
REPORT = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & HEAVY)))"
RUN_CLI = ("import runpy\n"
           "sys.argv = ['imcbench', *json.loads(sys.argv[2])]\n"
           "try:\n"
           "    runpy.run_module('imcbench', run_name='__main__')\n"
           "except SystemExit as exc:\n"
           "    assert not exc.code, exc.code\n")


def _fresh_python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", code, json.dumps(HEAVY), *args], capture_output=True, text=True,
                          env=env, check=True, timeout=120)


def _heavy_after(code: str, *args: str) -> tuple[list[str], str]:
    """The heavy packages loaded after ``code`` ran in a fresh interpreter, and what it printed before."""
    out = _fresh_python(f"import json, sys\nHEAVY = set(json.loads(sys.argv[1]))\n{code}\n{REPORT}",
                        *args).stdout.rstrip().rsplit("\n", 1)
    return json.loads(out[-1]), (out[0] if len(out) > 1 else "")


def test_importing_the_package_and_the_cli_loads_no_heavy_library():
    loaded, _ = _heavy_after("import imcbench\nimport imcbench.cli\nimport imcbench.hardware\nimport imcbench.macro")
    assert loaded == []


def test_the_check_sees_a_heavy_library_when_one_is_imported():
    # guards the test above: evaluate_macros builds a DataFrame, so pandas must show up after it
    loaded, _ = _heavy_after("from imcbench.macro import evaluate_macros\nevaluate_macros('aimc', 256, 256)")
    assert "pandas" in loaded


def test_help_lists_every_command_without_heavy_imports():
    loaded, text = _heavy_after(RUN_CLI, json.dumps(["--help"]))
    assert loaded == []
    names = [command.name for command in app.registered_commands]
    assert {"macro", "peak", "workload", "evaluate", "sweep", "results", "study", "validate"} <= set(names)
    for name in names:
        assert f" {name} " in text, name


def test_the_macro_command_loads_no_heavy_library_and_prints_the_model():
    loaded, printed = _heavy_after(RUN_CLI, json.dumps(["macro", "aimc", "--rows", "256", "--cols", "256",
                                                        "--json"]))
    assert loaded == []
    expected = MacroSpec("aimc", 256, 256).evaluate()
    data = json.loads(printed)
    assert data["tclk_ns"] == expected.tclk_ns
    assert data["tops_per_w"] == expected.tops_per_w


def test_lazy_names_resolve_to_the_defining_modules():
    from imcbench.hardware import SystemConfig, load_system
    from imcbench.hardware.config import SystemConfig as defined_config
    from imcbench.hardware.loading import load_system as defined_load
    from imcbench.workload.network import Network

    assert imcbench.Network is Network
    assert (SystemConfig, load_system) == (defined_config, defined_load)
    assert {"Layer", "Network", "load_workload", "evaluate"} <= set(dir(imcbench))
    assert {"System", "load_system", "paper_system"} <= set(dir(imcbench.hardware))
