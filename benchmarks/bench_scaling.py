"""Speed of the scaling model: one vectorized call over a large (N, bits, P, M) grid, and the crossover search.

Run: python benchmarks/bench_scaling.py  (prints points per second; no assertions).
"""

from __future__ import annotations

import time

import numpy as np

from imcbench.scaling import MACHINES, crossover_n, energy_per_op


def main() -> None:
    n = 2.0 ** np.arange(0, 17)[:, None, None, None]
    bits = np.arange(1, 17, dtype=float)[None, :, None, None]
    size = np.array([64.0, 256.0, 1024.0, np.inf])[None, None, :, None]
    vectors = np.array([1.0, 16.0, 256.0, 4096.0])[None, None, None, :]
    points = n.size * bits.size * size.size * vectors.size
    for machine in MACHINES:
        start = time.perf_counter()
        total = energy_per_op(machine, n, bits, size, vectors=vectors).total
        elapsed = time.perf_counter() - start
        print(f"{machine:16s} {points} points in {elapsed * 1e3:7.2f} ms  ({points / elapsed:,.0f} points/s), "
              f"shape {total.shape}")
    start = time.perf_counter()
    crossover_n(np.arange(1, 25, dtype=float))
    print(f"crossover for 24 precisions (80 bisection steps): {(time.perf_counter() - start) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
