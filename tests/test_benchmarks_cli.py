"""The benchmark scripts' command lines: --help prints usage instead of being taken for an input file."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def run_bench(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_validation.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_bench_validation_help_prints_usage_and_runs_nothing():
    proc = run_bench("--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: bench_validation.py")
    for option in ("--compare", "--adc", "--floor", "--variants", "--envm-cells", "--figures DIR", "chips"):
        assert option in proc.stdout
    assert "load chips" not in proc.stdout and proc.stderr == ""  # nothing was loaded or timed


def test_bench_validation_unknown_option_is_refused_in_one_line():
    proc = run_bench("--compare", "--no-such-option")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith("unrecognized arguments: --no-such-option")
