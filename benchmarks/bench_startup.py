"""Whole-process start-up cost of the CLI: CPU time (user + sys) of one ``imcbench`` call, best of N.

    python benchmarks/bench_startup.py [N]

Each command runs as a fresh ``python -m imcbench`` process with this checkout's ``src`` first on the path;
its CPU time is read from ``resource.getrusage(RUSAGE_CHILDREN)`` around the run (all threads, including
numpy's BLAS threads). The machine may be shared: the minimum of N runs is the cost, the median shows the
noise. The cases run interleaved (one run of each, N times), so a burst of load hits them alike.

The floors are what the libraries cost before imcbench does anything: the interpreter; numpy, with its
OpenBLAS thread pool and with one BLAS thread (as ``imcbench macro`` loads it: it multiplies no matrices);
typer and rich; a one-option typer command (typer coerces every option with pydantic, so running a command
imports pydantic and builds one validator per option); and every library ``imcbench macro`` runs on together.

Two CPU columns: with compiled bytecode cached (an installed package; the cache goes to a temporary
PYTHONPYCACHEPREFIX, filled by a first run) and without it (PYTHONDONTWRITEBYTECODE=1: every imcbench module
is compiled again by every process, as in a checkout run with that variable set).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPEATS = 7
MACRO = ["macro", "aimc", "--rows", "256", "--cols", "256"]
ONE_OPTION_COMMAND = ("import typer\n"
                      "app = typer.Typer()\n"
                      "@app.command()\n"
                      "def run(rows: int = typer.Option(..., '--rows')) -> None:\n"
                      "    print(rows)\n"
                      "app(['--rows', '256'])\n")
MACRO_LIBRARIES = f"import numpy, yaml, rich.console, rich.table\n{ONE_OPTION_COMMAND}"
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1"}
# (label, python arguments, extra environment)
CASES: tuple[tuple[str, list[str], dict[str, str]], ...] = (
    ("imcbench " + " ".join(MACRO), ["-m", "imcbench", *MACRO], {}),
    ("imcbench macro --help", ["-m", "imcbench", "macro", "--help"], {}),
    ("imcbench --help", ["-m", "imcbench", "--help"], {}),
    ("python -c 'import imcbench'", ["-c", "import imcbench"], {}),
    ("python -c 'import imcbench.cli'", ["-c", "import imcbench.cli"], {}),
    ("floor: python -c pass", ["-c", "pass"], {}),
    ("floor: import numpy", ["-c", "import numpy"], {}),
    ("floor: import numpy, one BLAS thread", ["-c", "import numpy"], ONE_BLAS_THREAD),
    ("floor: import typer", ["-c", "import typer"], {}),
    ("floor: import rich.console", ["-c", "import rich.console"], {}),
    ("floor: a one-option typer command", ["-c", ONE_OPTION_COMMAND], {}),
    ("floor: the libraries of imcbench macro (numpy one BLAS thread, yaml, rich, a typer command)",
     ["-c", MACRO_LIBRARIES], ONE_BLAS_THREAD),
)


def environment(pycache: str | None, extra: dict[str, str]) -> dict[str, str]:
    """This checkout's ``src`` first on the path; bytecode cached under ``pycache``, or not written when None."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                                       os.environ.get("PYTHONPATH")]))}
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", *ONE_BLAS_THREAD):
        env.pop(name, None)
    env.update({"PYTHONPYCACHEPREFIX": pycache} if pycache else {"PYTHONDONTWRITEBYTECODE": "1"})
    return {**env, **extra}


def cpu_seconds(args: list[str], env: dict[str, str]) -> float:
    """User + sys CPU seconds of one ``python ARGS`` process (output discarded; a failure stops the script)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REPEATS
    print(f"whole-process CPU time (user + sys) in s, best of {repeats} (median), {sys.executable}")
    print("  cached bytecode   no cache")
    with tempfile.TemporaryDirectory() as pycache:
        runs = [(args, environment(pycache, extra), environment(None, extra)) for _, args, extra in CASES]
        for args, cached, _ in runs:
            cpu_seconds(args, cached)  # writes the bytecode cache
        times: list[tuple[list[float], list[float]]] = [([], []) for _ in CASES]
        for _ in range(repeats):
            for (args, cached, uncached), (with_cache, without) in zip(runs, times):
                with_cache.append(cpu_seconds(args, cached))
                without.append(cpu_seconds(args, uncached))
    for (label, _, _), (with_cache, without) in zip(CASES, times):
        print(f"  {min(with_cache):.3f} ({statistics.median(with_cache):.3f})  "
              f"{min(without):.3f} ({statistics.median(without):.3f})  {label}")


if __name__ == "__main__":
    main()
