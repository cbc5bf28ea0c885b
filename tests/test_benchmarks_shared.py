"""Benchmarks that read ../shared stop with one clear line when it is absent (not a FileNotFoundError)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

NEEDS_SHARED = ["bench_evaluate.py", "zigzag_comparison.py"]  # they cannot run at all without its reference runs


@pytest.mark.parametrize("script", NEEDS_SHARED)
def test_benchmark_without_shared_says_so_in_one_line(tmp_path, script):
    project = tmp_path / "project"  # a checkout with no ../shared beside it
    shutil.copytree(ROOT / "benchmarks", project / "benchmarks")
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, str(project / "benchmarks" / script)], capture_output=True, text=True,
                          cwd=project, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "shared") in lines[0] and "not there" in lines[0], proc.stderr
    assert proc.stdout == ""
