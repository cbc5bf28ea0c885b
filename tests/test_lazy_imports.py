"""Start-up stays light: ``import imcbench``, ``imcbench --help`` and ``imcbench macro`` load no heavy library.

Each check runs in a fresh interpreter (this test process has imported everything already) and lists the
heavy top-level packages present in ``sys.modules``; the speed itself is measured by
benchmarks/bench_startup.py, not asserted here. A command's module is imported only when that command runs,
so the root --help lists the commands from the table ``imcbench.cli.app.COMMANDS``, checked here against
the commands the modules really register.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import imcbench
import imcbench.cli
from imcbench.cli.app import COMMANDS, app
from imcbench.macro import MacroSpec

SRC = Path(imcbench.__file__).resolve().parents[1]
# libraries that only some commands need (tables, stores, ONNX, figures, fits): never loaded to start
HEAVY = ("pandas", "duckdb", "onnx", "onnxruntime", "plotly", "matplotlib", "sklearn", "scipy", "dask")
REPORT = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & HEAVY)))"
# what the macro command needs besides the macro model: the argument parsing (typer, which coerces with
# pydantic), the printing (rich) and the cell table (yaml); the other features' packages stay out
MACRO_PATH_OUT = ("imcbench.workload", "imcbench.mapping", "imcbench.evaluation", "imcbench.llm_eval",
                  "imcbench.accuracy", "imcbench.scaling", "imcbench.validation", "imcbench.hetero",
                  "imcbench.dse", "imcbench.studies", "imcbench.report", "imcbench.yamlio")
RUN_CLI = ("import runpy\n"
           "sys.argv = ['imcbench', *json.loads(sys.argv[2])]\n"
           "try:\n"
           "    runpy.run_module('imcbench', run_name='__main__')\n"
           "except SystemExit as exc:\n"
           "    assert not exc.code, exc.code\n")


def _fresh_python(code: str, *args: str, check: bool = True, **env_vars: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    env.update(env_vars)
    return subprocess.run([sys.executable, "-c", code, json.dumps(HEAVY), *args], capture_output=True, text=True,
                          env=env, check=check, timeout=120)


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


def _registered_commands() -> dict:
    """Command name -> typer CommandInfo of every command the ``imcbench.cli`` modules register."""
    for module in pkgutil.iter_modules(imcbench.cli.__path__):
        importlib.import_module(f"imcbench.cli.{module.name}")
    return {info.name: info for info in app.registered_commands}


def test_help_lists_every_command_without_heavy_imports():
    loaded, text = _heavy_after(RUN_CLI, json.dumps(["--help"]))
    assert loaded == []
    names = list(_registered_commands())
    assert {"macro", "peak", "workload", "evaluate", "sweep", "results", "study", "validate"} <= set(names)
    for name in names:
        assert f" {name} " in text, name


def test_the_command_table_names_each_command_its_module_and_its_summary():
    registered = _registered_commands()
    assert set(COMMANDS) == set(registered)
    for name, entry in COMMANDS.items():
        assert registered[name].callback.__module__ == f"imcbench.cli.{entry.module}", name
        assert entry.summary == inspect.getdoc(registered[name].callback).split("\n\n")[0], name


def test_the_root_help_from_the_table_equals_the_help_of_the_built_commands():
    listing = "import sys\nfrom imcbench.cli import main\n{}main(['--help'])"
    from_table = _fresh_python(listing.format(""), check=False)
    built = _fresh_python(listing.format(  # every command imported and built: the group's own listing
        "from imcbench.cli import app as a\na.LazyGroup.get_command = a.TyperGroup.get_command\n"), check=False)
    assert from_table.returncode == built.returncode == 0
    assert "macro" in from_table.stdout and from_table.stdout == built.stdout


@pytest.mark.parametrize("args, command_module", [
    (["macro", "aimc", "--rows", "256", "--cols", "256", "--json"], "imcbench.cli.macro_cmd"),
    (["peak", "--sizes", "64", "--json"], "imcbench.cli.macro_cmd"),
    (["--help"], None),
])
def test_a_run_imports_the_module_of_its_command_only(args, command_module):
    code = f"{RUN_CLI}\nprint(json.dumps(sorted(sys.modules)))"
    loaded, printed = _heavy_after(code, json.dumps(args))
    modules = set(json.loads(printed.rsplit("\n", 1)[-1]))
    commands = {f"imcbench.cli.{entry.module}" for entry in COMMANDS.values()}
    assert loaded == []
    assert commands & modules == ({command_module} if command_module else set())
    assert not [m for m in modules if m.startswith(MACRO_PATH_OUT)]
    assert ("numpy" in modules) == bool(command_module)  # the root --help lists the commands without numpy


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


def _threads_after(code: str, *args: str, **env_vars: str) -> tuple[int, bool]:
    """Threads of a fresh interpreter after ``code`` (numpy's OpenBLAS pool among them), and whether
    OPENBLAS_NUM_THREADS is left in its environment."""
    report = "print(len(os.listdir('/proc/self/task')), 'OPENBLAS_NUM_THREADS' in os.environ)"
    last = _fresh_python(f"import json, os, sys\n{code}\n{report}", *args, **env_vars).stdout.split()[-2:]
    return int(last[0]), last[1] == "True"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2
                    or "OPENBLAS_NUM_THREADS" in os.environ,
                    reason="counts the threads in /proc (Linux), on a multi-core machine without a BLAS setting")
def test_the_macro_command_loads_numpy_without_the_blas_thread_pool():
    macro = json.dumps(["macro", "aimc", "--rows", "64", "--cols", "64", "--json"])
    assert _threads_after("import numpy")[0] > 1  # guard: numpy alone starts OpenBLAS's threads
    assert _threads_after(RUN_CLI, macro) == (1, False)  # one thread, and the variable removed again
    assert _threads_after(RUN_CLI, macro, OPENBLAS_NUM_THREADS="2")[0] > 1  # the user's setting wins


def test_a_ctrl_c_while_the_command_module_loads_ends_as_one_at_start_up():
    code = ("import imcbench.cli.app as app\n"
            "def interrupted(name):\n"
            "    raise KeyboardInterrupt\n"
            "app.build_command = interrupted  # a Ctrl-C that lands while the command's module is imported\n"
            "from imcbench.cli import main\n"
            "main(['macro', 'aimc', '--rows', '64', '--cols', '64'])\n")
    proc = _fresh_python(code, check=False)
    assert (proc.returncode, proc.stderr.strip()) == (130, "interrupted: while starting, nothing was done")
