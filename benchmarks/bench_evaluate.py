"""Time full-network evaluation against zigzag-dse's CPU time on the same inputs.

Runs the 4 MLPerf Tiny networks and ResNet-18 on ZigZag's shipped aimc.yaml / dimc.yaml (read as ZigZag
files) and prints imcbench's wall time next to zigzag-dse 3.9.1's CPU seconds from
../shared/reference/zigzag_dse_runs.csv. When zigzag-dse is importable (``pip install zigzag-dse six``)
or ZIGZAG_PYTHON points at an interpreter that has it, ZigZag also runs on DS-CNN here and the measured
ratio is printed.

    python benchmarks/bench_evaluate.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from imcbench.evaluation import evaluate
from imcbench.hardware import load_system
from imcbench.workload import load_workload

from _shared import SHARED, require_shared

MLPERF_TINY = ["resnet8", "ds_cnn", "mobilenet_v1", "deepautoencoder"]
ZIGZAG_RESNET18_CPU_S = 184.0  # zigzag-dse 3.9.1, ResNet-18 on aimc.yaml (issue text; not in the CSV)
ZIGZAG_SCRIPT = """
import sys, time
import zigzag.stages.results.visualization as vis
vis.print_mapping = lambda cme: None  # zigzag-dse 3.9.1 crashes printing some mappings
from zigzag import api
hw, onnx_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.process_time()
energy, latency, *_ = api.get_hardware_performance_zigzag(
    workload=onnx_path, accelerator=hw, mapping=sys.argv[4], opt="energy", dump_folder=out,
    pickle_filename=out + "/cmes.pickle", in_memory_compute=True, loma_show_progress_bar=False)
print(time.process_time() - start, energy, latency)
"""


def best_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ref = pd.read_csv(require_shared("reference", "zigzag_dse_runs.csv"))
    zz_cpu = {(r.hardware, r.workload): r.user_cpu_s for r in ref.itertuples() if pd.notna(r.user_cpu_s)}
    networks = {name: load_workload(name) for name in MLPERF_TINY + ["resnet18"]}
    systems = {hw: load_system(SHARED / "reference" / "zigzag_hw" / f"{hw}.yaml") for hw in ("aimc", "dimc")}
    evaluate(networks["resnet8"], systems["aimc"])  # warm-up (imports, caches)

    print(f"{'hardware':8s} {'network':16s} {'imcbench s':>11s} {'zigzag CPU s':>13s} {'ratio':>8s}")
    tiny_total, tiny_zz = 0.0, 0.0
    for hw, system in systems.items():
        for name in MLPERF_TINY + ["resnet18"]:
            seconds = best_time(lambda: evaluate(networks[name], system), args.repeat)
            reference = zz_cpu.get((hw, name), ZIGZAG_RESNET18_CPU_S if name == "resnet18" else None)
            ratio = f"{reference / seconds:8.0f}x" if reference else "       -"
            print(f"{hw:8s} {name:16s} {seconds:11.3f} {reference or float('nan'):13.2f} {ratio}")
            if name in MLPERF_TINY:
                tiny_total += seconds
                tiny_zz += reference
    print(f"\n8 MLPerf Tiny runs together: {tiny_total:.3f} s (target < 1 s); zigzag-dse {tiny_zz:.0f} s CPU "
          f"-> {tiny_zz / tiny_total:,.0f}x faster")
    print("ResNet-18 targets: < 0.2 s per hardware (zigzag-dse: 184 s CPU, reference file)")
    run_zigzag_side_by_side(networks["ds_cnn"], systems["aimc"])


def run_zigzag_side_by_side(network, system) -> None:
    """DS-CNN through zigzag-dse in this run, when it is installed."""
    python = os.environ.get("ZIGZAG_PYTHON", sys.executable)
    probe = subprocess.run([python, "-c", "import zigzag"], capture_output=True)
    if probe.returncode != 0:
        print("\nzigzag-dse not installed: `pip install zigzag-dse six` (or set ZIGZAG_PYTHON) to time it here")
        return
    onnx_path = SHARED / "workloads" / "zigzag_imc" / "ds_cnn.onnx"
    hw = SHARED / "reference" / "zigzag_hw" / "aimc.yaml"
    mapping = SHARED / "reference" / "zigzag_hw" / "default_imc_mapping.yaml"
    ours = best_time(lambda: evaluate(network, system), 3)
    with tempfile.TemporaryDirectory() as out:
        # zigzag-dse writes one file per layer named after the layer; DS-CNN's TFLite names are too long
        # for the file system, so give it a copy with short node names
        short = Path(out) / "ds_cnn.onnx"
        _shorten_names(onnx_path, short)
        proc = subprocess.run([python, "-c", ZIGZAG_SCRIPT, str(hw), str(short), out, str(mapping)],
                              capture_output=True, text=True)
    if proc.returncode != 0:
        print("\nzigzag-dse failed on DS-CNN:", proc.stderr.strip().splitlines()[-1:])
        return
    cpu, energy, latency = map(float, proc.stdout.split()[-3:])
    print(f"\nmeasured here, DS-CNN on aimc.yaml: zigzag-dse {cpu:.2f} s CPU, imcbench {ours:.4f} s "
          f"-> {cpu / ours:,.0f}x; energy zigzag {energy:.4g} pJ, latency {latency:.0f} cycles")


def _shorten_names(src: Path, dst: Path) -> None:
    import onnx

    model = onnx.load(str(src), load_external_data=False)
    for i, node in enumerate(model.graph.node):
        node.name = f"{node.op_type}_{i}"
    onnx.save(model, str(dst))


if __name__ == "__main__":
    main()
