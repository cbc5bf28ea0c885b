"""Heterogeneous cluster: search speed, heuristic quality, and the MobileNetV2 bottleneck reproduction.

Run: ``python benchmarks/bench_hetero.py`` (about a minute). Prints
1. the time of ``compare`` (four configurations) for a bottleneck, MobileNetV2 and ResNet-18, and how many
   allocations per second the scheduler costs;
2. the heuristic against exhaustive search on random small graphs (how often it is exact, worst ratio);
3. every MobileNetV2 bottleneck: hybrid speed-up over software and area saving against all-IMA, next to the
   paper's 3x and 50% (Ottavi et al., arXiv 2109.01404), and the sensitivity to the assumptions.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from imcbench.hetero import CostModel, DigitalAccel, HeteroSystem, ImaSpec, bottleneck_table, compare, search
from imcbench.hetero.allocate import choices_for
from imcbench.hetero.config import load_hetero_system
from imcbench.workload import load_workload

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def markdown(frame: pd.DataFrame) -> str:
    """A markdown table (floats with 2 decimals), without the optional tabulate dependency."""
    cells = [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def speed() -> None:
    one = load_hetero_system(ROOT / "examples" / "hetero_ima.yaml")
    many = load_hetero_system(ROOT / "examples" / "hetero_multi_ima.yaml")
    mbv2, r18 = load_workload("mobilenet_v2"), load_workload("resnet18")
    from imcbench.hetero import bottleneck

    print("## compare(): four configurations (wall time)")
    for label, net, system in (("MobileNetV2 block 8, 1 IMA", bottleneck(mbv2, 8), one),
                               ("MobileNetV2, 1 IMA", mbv2, one), ("MobileNetV2, 4 IMAs + dw engine", mbv2, many),
                               ("ResNet-18, 4 IMAs + dw engine", r18, many)):
        result, seconds = timed(compare, net, system)
        print(f"{label:34s} {seconds:6.2f} s  ({result.search_method}, {result.evaluated} allocations costed)")
    model = CostModel(mbv2, many)
    allocation = {l.name: choices_for(l, many)[0] for l in mbv2}
    model.quick(allocation)
    _, seconds = timed(lambda: [model.quick(allocation) for _ in range(200)])
    print(f"one MobileNetV2 allocation (53 layers x 8 row tiles) costed and scheduled: {seconds / 200 * 1e3:.2f} ms")


def heuristic_quality(trials: int = 40) -> None:
    from test_hetero import _brute_force, _random_network

    rng = random.Random(5)
    ratios, evaluated, combos = [], 0, 0
    for trial in range(trials):
        net = _random_network(rng, rng.choice([3, 4, 5]), dag=trial % 2 == 1)
        digital = (DigitalAccel("dwe", {"depthwise": 16.0}, area_mm2=0.05),) if trial % 3 == 0 else ()
        system = HeteroSystem(imas=(ImaSpec(),), digital=digital, split_fractions=(0.5,))
        model = CostModel(net, system)
        for objective in ("latency", "energy", "edp"):
            budget = 3.0 if trial % 4 >= 2 else None
            exact = _brute_force(model, objective, budget)
            found = search(model, objective, budget, method="heuristic")
            ratios.append(found.value / exact)
            evaluated += found.evaluated
            combos += len(list(choices_for(net.layers[0], system))) ** len(net)  # order of magnitude
    s = pd.Series(ratios)
    print(f"\n## heuristic vs exhaustive on {len(s)} random chains/DAGs (3-5 layers)")
    print(f"exact in {100 * (s <= 1 + 1e-9).mean():.0f}% of cases; worst {s.max():.3f}x the optimum; "
          f"mean allocations costed {evaluated / len(s):.0f} vs ~{combos / len(s):.0f} combinations")


def reproduction() -> None:
    system = load_hetero_system(ROOT / "examples" / "hetero_ima.yaml")
    network = load_workload("mobilenet_v2")
    columns = ["block", "input", "hidden", "output", "stride", "software_us", "hybrid_us", "all_ima_us",
               "speedup_hybrid", "speedup_hybrid_no_overlap", "hybrid_mm2", "all_ima_mm2", "area_saving",
               "all_ima_latency_vs_hybrid", "crossbars_hybrid", "crossbars_all_ima"]
    table = bottleneck_table(network, system)
    print("\n## MobileNetV2 bottlenecks on 8 cores + 1 IMA (examples/hetero_ima.yaml); paper: 3x, 50%")
    print(markdown(table[columns]))
    variants = {
        "default": system,
        "IMA: one crossbar evaluates at a time (parallel_crossbars: 1)": system.with_ima("ima", parallel_crossbars=1),
        "cores: depthwise 0.28 MAC/cycle/core": replace(system, cores=replace(
            system.cores, macs_per_cycle={**system.cores.macs_per_cycle, "depthwise": 0.28})),
        "cluster area x2 (1.36 mm2)": replace(system, overhead_area_mm2=system.overhead_area_mm2 + 0.68),
        "crossbar area / 2 (0.317 mm2)": system.with_ima("ima", crossbar_area_mm2=system.imas[0].crossbar_area_mm2 / 2),
    }
    rows = []
    for label, variant in variants.items():
        t = bottleneck_table(network, variant).set_index("block")
        rows.append({"variant": label,
                     **{f"block {b} speed-up": t.loc[b, "speedup_hybrid"] for b in (5, 8)},
                     **{f"block {b} area saving": t.loc[b, "area_saving"] for b in (5, 8)},
                     **{f"block {b} all-IMA/hybrid latency": t.loc[b, "all_ima_latency_vs_hybrid"] for b in (5, 8)},
                     "median speed-up (17 blocks)": t["speedup_hybrid"].median(),
                     "median area saving": t["area_saving"].median()})
    print("\n## sensitivity of the reproduction (blocks 5 and 8, medians over all 17)")
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    speed()
    heuristic_quality()
    reproduction()
