"""Whole-process start-up cost of the CLI: CPU time (user + sys) of one ``imcbench`` call, best of N.

    python benchmarks/bench_startup.py [N]

Each command runs as a fresh ``python -m imcbench`` process with this checkout's ``src`` first on the path;
its CPU time is read from ``resource.getrusage(RUSAGE_CHILDREN)`` around the run (all threads, including
numpy's BLAS threads). The floors are what any typer CLI using numpy pays: importing numpy, rich and typer,
and running a one-option typer command (typer coerces options with pydantic, so it imports pydantic too).

Two columns: with compiled bytecode cached (an installed package; the cache goes to a temporary
PYTHONPYCACHEPREFIX, filled by a first run) and without it (PYTHONDONTWRITEBYTECODE=1: every imcbench module
is compiled again by every process, as in a checkout run with that variable set).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPEATS = 7
TYPER_FLOOR = ("import numpy, typer\n"
               "app = typer.Typer()\n"
               "@app.command()\n"
               "def run(rows: int = typer.Option(..., '--rows')) -> None:\n"
               "    print(rows)\n"
               "app(['--rows', '256'])\n")
CASES = (
    ("imcbench macro aimc --rows 256 --cols 256", ["-m", "imcbench", "macro", "aimc", "--rows", "256", "--cols", "256"]),
    ("imcbench --help", ["-m", "imcbench", "--help"]),
    ("python -c 'import imcbench'", ["-c", "import imcbench"]),
    ("python -c 'import imcbench.cli'", ["-c", "import imcbench.cli"]),
    ("floor: import numpy, rich, typer", ["-c", "import numpy, rich, typer"]),
    ("floor: a one-option typer command + numpy", ["-c", TYPER_FLOOR]),
    ("floor: python -c pass", ["-c", "pass"]),
)


def environment(pycache: str | None) -> dict[str, str]:
    """This checkout's ``src`` first on the path; bytecode cached under ``pycache``, or not written when None."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                                       os.environ.get("PYTHONPATH")]))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.update({"PYTHONPYCACHEPREFIX": pycache} if pycache else {"PYTHONDONTWRITEBYTECODE": "1"})
    return env


def cpu_seconds(args: list[str], env: dict[str, str]) -> float:
    """User + sys CPU seconds of one ``python ARGS`` process (output discarded; a failure stops the script)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REPEATS
    print(f"whole-process CPU time (user + sys), best of {repeats}, {sys.executable}")
    print("  cached  no cache  (bytecode)")
    with tempfile.TemporaryDirectory() as pycache:
        cached, uncached = environment(pycache), environment(None)
        for label, args in CASES:
            cpu_seconds(args, cached)  # writes the bytecode cache
            best_cached = min(cpu_seconds(args, cached) for _ in range(repeats))
            best_uncached = min(cpu_seconds(args, uncached) for _ in range(repeats))
            print(f"  {best_cached:6.3f}  {best_uncached:6.3f} s  {label}")


if __name__ == "__main__":
    main()
