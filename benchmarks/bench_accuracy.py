"""Analytic SQNR against Monte Carlo over a wide grid, the rare-event regime with large samples, and speed.

Prints, per regime, the largest and median |analytic - simulated| (dB); the noise-free +-4 sigma points
again with 64x more simulated outputs (rare saturation of the top input slice); and the time per design
of the analytic model (the sweep path) against one Monte Carlo point.

    python benchmarks/bench_accuracy.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from imcbench.accuracy import MvmConfig, layer_sqnr_db
from imcbench.accuracy.montecarlo import monte_carlo_sqnr_db

REGIMES = {"fixed full scale": ("fixed", 4.0), "calibrated +-4 sigma": ("calibrated", 4.0),
           "calibrated +-2 sigma (clipping)": ("calibrated", 2.0)}


def grid_check(rows_list, adc_list, noise_list, outputs_per_point: int) -> None:
    print("regime                            points  max|diff| dB  median  worst point (rows, ADC b, noise)")
    for label, (mode, k) in REGIMES.items():
        diffs, worst = [], None
        for rows, adc, noise in itertools.product(rows_list, adc_list, noise_list):
            config = MvmConfig(rows=rows, adc_bits=adc, read_noise=noise, adc_range=mode, clip_sigma=k)
            sim = monte_carlo_sqnr_db(rows, config, trials=max(32, outputs_per_point // 64), outputs=64, seed=1)
            diff = config.sqnr_db(rows) - sim
            diffs.append(abs(diff))
            if worst is None or abs(diff) > abs(worst[0]):
                worst = (diff, rows, adc, noise)
        print(f"{label:33s} {len(diffs):6d}  {max(diffs):12.2f}  {np.median(diffs):6.2f}  "
              f"{worst[0]:+.2f} dB at {worst[1:]}")


def rare_event_check(points, outputs: int) -> None:
    print(f"\nnoise-free, calibrated +-4 sigma, {outputs} simulated outputs per seed")
    for rows, adc in points:
        config = MvmConfig(rows=rows, adc_bits=adc)
        sims = [monte_carlo_sqnr_db(rows, config, trials=outputs // 64, outputs=64, seed=s) for s in range(3)]
        print(f"  rows {rows:5d}, {adc} b: analytic {config.sqnr_db(rows):6.2f} dB, simulated "
              + ", ".join(f"{s:6.2f}" for s in sims))


def speed() -> None:
    rows, adc, bc, noise = (np.array(a, dtype=float).ravel() for a in np.meshgrid(
        [32, 64, 128, 256, 512, 1024], np.arange(2, 11), [1, 2, 4], [0.0, 0.3], indexing="ij"))
    start = time.perf_counter()
    layer_sqnr_db(144, rows, adc, bc.astype(int), noise=noise)
    analytic = time.perf_counter() - start
    start = time.perf_counter()
    monte_carlo_sqnr_db(144, MvmConfig(rows=256, adc_bits=6), trials=128, outputs=64)
    mc = time.perf_counter() - start
    print(f"\nanalytic: {rows.size} designs of a 144-long layer in {analytic:.2f} s "
          f"({1e3 * analytic / rows.size:.1f} ms/design, partial-sum pmfs built on the way); "
          f"Monte Carlo: {mc:.2f} s for one design (8192 outputs): {mc / (analytic / rows.size):.0f}x per design")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller grid and samples")
    args = parser.parse_args()
    if args.quick:
        grid_check((16, 256), (3, 7), (0.0, 1.0), 8192)
        rare_event_check([(64, 9)], 1 << 17)
    else:
        grid_check((16, 64, 256, 1024), (3, 5, 7, 9), (0.0, 0.5, 2.0), 16384)
        rare_event_check([(16, 9), (64, 9), (256, 7), (256, 10)], 1 << 19)
    speed()


if __name__ == "__main__":
    main()
