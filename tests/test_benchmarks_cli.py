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


def test_compare_outputs_masks_run_times_and_names_a_changed_number(tmp_path):
    """benchmarks/compare_outputs.py: a run time may differ, a result may not (exit 1, the file named)."""
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, wall, energy in ((old, 1.5, "4930636.025199208"), (new, 2.25, "4930636.025199208")):
        (folder / "study").mkdir(parents=True)
        (folder / "llm.json").write_text(f'{{"wall_s": {wall}, "energy_pj": {energy}}}')
        (folder / "study" / "t.csv").write_text(f"network,eval_s,energy_pj\nresnet8,{wall},{energy}\n")
    compare = [sys.executable, str(ROOT / "benchmarks" / "compare_outputs.py"), str(old), str(new)]
    same = subprocess.run(compare, capture_output=True, text=True, timeout=60)
    assert same.returncode == 0 and "2 of 2 data files identical" in same.stdout
    (new / "study" / "t.csv").write_text("network,eval_s,energy_pj\nresnet8,9,4930636.025199209\n")
    changed = subprocess.run(compare, capture_output=True, text=True, timeout=60)
    assert changed.returncode == 1 and "differs: study/t.csv" in changed.stdout and "1 of 2" in changed.stdout
