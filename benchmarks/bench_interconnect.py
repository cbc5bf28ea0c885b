"""What the links cost: networks on the 16-macro, 4-chip AIMC example with ideal links and with its
mesh + die-to-die links, and the same macros on one chip.

Prints, per objective, network and link setting: energy, latency, the interconnect's share of the energy, its stall
cycles and the macros the layers use on average (the mapper trades splits for link traffic), plus the
time each evaluation took.

    python benchmarks/bench_interconnect.py [--networks resnet18 bert_tiny] [--objectives energy latency]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from imcbench.evaluation import evaluate
from imcbench.hardware.loading import load_system
from imcbench.interconnect import Interconnect

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "multi_chip_aimc.yaml"


def settings(system):
    link = system.interconnect
    one_chip = replace(link, macros_per_chip=None, chip_link_pj_per_bit=0.0, chip_link_gbps=None,
                       chip_link_bandwidth_bits_per_cycle=None)
    return {"ideal links": replace(system, interconnect=Interconnect()),
            "mesh, one chip": replace(system, interconnect=one_chip),
            "mesh, 4 chips": system}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", default=["resnet8", "resnet18", "bert_tiny"])
    parser.add_argument("--objectives", nargs="+", default=["energy", "latency"])
    args = parser.parse_args()
    system = load_system(EXAMPLE)
    print(f"hardware: {EXAMPLE.name} ({system.macro.n_macros} macros)")
    print(f"{'objective':9s} {'network':10s} {'links':15s} {'energy uJ':>10s} {'latency us':>11s} {'links %':>8s} "
          f"{'link stall cyc':>15s} {'mean macros':>12s} {'time s':>7s}")
    for objective, network in ((o, n) for o in args.objectives for n in args.networks):
        for label, variant in settings(system).items():
            start = time.perf_counter()
            result = evaluate(network, variant, objective)
            seconds = time.perf_counter() - start
            share = result.energy_by_group_pj()["interconnect"] / result.energy_pj
            stall = result.cycle_breakdown.get("interconnect_stall", 0.0)
            macros = sum(layer.mapping["macros_used"] for layer in result.layers) / len(result.layers)
            print(f"{objective:9s} {network:10s} {label:15s} {result.energy_pj / 1e6:10.3f} "
                  f"{result.latency_ns / 1e3:11.2f} {100 * share:7.1f}% {stall:15,.0f} {macros:12.2f} {seconds:7.1f}")


if __name__ == "__main__":
    main()
