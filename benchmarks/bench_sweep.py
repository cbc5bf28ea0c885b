"""Sweep throughput: the paper's sweep and a 10,000-design sweep, with 1 and 2 local workers and Dask.

Targets (issue 4): the paper's sweep (AIMC and DIMC, square macros of 32 to 1024 rows, the 4 MLPerf Tiny
networks = 48 evaluations) in under 2 s on 2 cores; ``examples/big_sweep.yaml`` (10,368 designs x 4
networks = 41,472 evaluations) in under 60 s on 2 cores. Each run writes a fresh DuckDB file, so the
times include expansion, worker start-up, evaluation and storage. The ratio to ZigZag compares CPU
seconds per evaluation with zigzag-dse 3.9.1's user CPU seconds per (hardware, MLPerf Tiny network) run
in ../shared/reference/zigzag_dse_runs.csv (our CPU: the workers' CPU time while running batches plus this
process's, per evaluation; worker start-up is not counted there but is in the wall time).

    python benchmarks/bench_sweep.py                 # paper sweep x3 executors, big sweep x3 executors
    python benchmarks/bench_sweep.py --quick         # big sweep restricted to node_nm 28 (a third)
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from imcbench.dse.runner import RunOptions, run_sweep
from imcbench.dse.spec import load_spec

from _shared import SHARED

ROOT = Path(__file__).resolve().parents[1]
MLPERF_TINY = ("resnet8", "ds_cnn", "mobilenet_v1", "deepautoencoder")
CONFIGS = (("local, 1 worker", RunOptions(executor="local", workers=1)),
           ("local, 2 workers", RunOptions(executor="local", workers=2)),
           ("dask LocalCluster, 2 workers", RunOptions(executor="dask", workers=2)))


def zigzag_cpu_per_evaluation() -> float | None:
    """Mean zigzag-dse CPU seconds of one (hardware, MLPerf Tiny network) evaluation, or None."""
    path = SHARED / "reference" / "zigzag_dse_runs.csv"
    if not path.exists():
        return None
    runs = pd.read_csv(path)
    runs = runs[runs.workload.isin(MLPERF_TINY) & runs.user_cpu_s.notna()]
    return float(runs.user_cpu_s.mean())


def parent_cpu_seconds() -> float:
    """CPU time of this process (expansion, scheduling, database writes), s."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def measure(loaded, options: RunOptions, folder: Path) -> dict:
    out = folder / f"run-{time.monotonic_ns()}.duckdb"
    cpu, start = parent_cpu_seconds(), time.perf_counter()
    summary = run_sweep(loaded, out, options)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "parent_cpu_s": parent_cpu_seconds() - cpu, "worker_cpu_s": summary.worker_cpu_seconds,
            "evaluations": summary.evaluated, "designs": summary.designs, "mb": out.stat().st_size / 1e6}


def report(title: str, loaded, configs, folder: Path, zigzag: float | None, target_s: float) -> None:
    print(f"\n{title}")
    print(f"{'executor':30s} {'wall s':>8s} {'designs/s':>10s} {'evals/s':>9s} {'worker CPU/eval':>16s} "
          f"{'parent CPU s':>13s} {'x ZigZag CPU':>13s} {'DB MB':>6s}")
    for label, options in configs:
        m = measure(loaded, options, folder)
        cpu_per_eval = (m["worker_cpu_s"] + m["parent_cpu_s"]) / m["evaluations"]
        ratio = f"{zigzag / cpu_per_eval:13,.0f}" if zigzag else f"{'-':>13s}"
        flag = "" if options.workers != 2 or options.executor != "local" else (
            "  (target < %.0f s: %s)" % (target_s, "met" if m["wall_s"] < target_s else "MISSED"))
        print(f"{label:30s} {m['wall_s']:8.2f} {m['designs'] / m['wall_s']:10.1f} {m['evaluations'] / m['wall_s']:9.1f} "
              f"{m['worker_cpu_s'] / m['evaluations'] * 1e3:14.2f}ms {m['parent_cpu_s']:13.2f} {ratio} "
              f"{m['mb']:6.1f}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="big sweep at one technology node (a third)")
    args = parser.parse_args()
    zigzag = zigzag_cpu_per_evaluation()
    print(f"CPUs available: {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f} (other processes "
          "slow every figure below); zigzag-dse CPU per MLPerf Tiny evaluation: "
          + (f"{zigzag:.1f} s (mean of {MLPERF_TINY})" if zigzag else "reference file not found"))
    paper = load_spec(ROOT / "examples" / "paper_sweep.yaml")
    big = load_spec(ROOT / "examples" / "big_sweep.yaml")
    if args.quick:
        grids = [g | {"node_nm": [28.0]} for g in big.spec.grids()]
        big = type(big)(big.spec.model_copy(update={"grid": grids}), big.hardware, big.networks, big.source)
    with tempfile.TemporaryDirectory() as folder:
        report("paper sweep: 12 designs x 4 networks = 48 evaluations", paper, CONFIGS, Path(folder), zigzag, 2.0)
        report(f"big sweep{' (quick: node 28 nm only)' if args.quick else ''}", big, CONFIGS, Path(folder), zigzag,
               60.0 / (3 if args.quick else 1))


if __name__ == "__main__":
    main()
