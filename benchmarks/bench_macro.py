"""Macro model speed and accuracy: 100,000 configurations at once, and the paper's 12 macros.

    python benchmarks/bench_macro.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from imcbench.macro import MacroSpec, evaluate_macros

from _shared import SHARED

N = 100_000


def main() -> None:
    rng = np.random.default_rng(0)
    kind = rng.choice(["aimc", "dimc"], N)
    rows = 2 ** rng.integers(4, 12, N)
    cols = 8 * 2 ** rng.integers(1, 9, N)
    node = rng.choice([7.0, 12.0, 16.0, 22.0, 28.0, 40.0, 65.0], N)
    vdd = rng.uniform(0.6, 1.1, N)
    bits_per_cycle = np.where(kind == "aimc", rng.choice([1, 2, 4], N), 1)
    evaluate_macros(kind[:10], rows[:10], cols[:10])  # warm-up
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        frame = evaluate_macros(kind, rows, cols, bits_per_cycle=bits_per_cycle, node_nm=node, vdd=vdd)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    start = time.perf_counter()
    for i in range(1000):
        MacroSpec(kind[i], int(rows[i]), int(cols[i]), bits_per_cycle=int(bits_per_cycle[i]), node_nm=node[i],
                  vdd=vdd[i]).evaluate()
    scalar = (time.perf_counter() - start) / 1000
    print(f"{len(frame):,} macro configurations in {best:.3f} s (best of 5, DataFrame included): "
          f"{len(frame) / best:,.0f} per second; one at a time {scalar * 1e3:.2f} ms each "
          f"({scalar * N / best:,.0f}x slower)")
    reference = SHARED / "reference" / "macro_peak_zigzag_vs_paper.csv"
    if reference.exists():
        ref = pd.read_csv(reference)
        for variant in ("zigzag", "paper"):
            got = [MacroSpec(k, r, c, delay_model=variant).evaluate() for k, r, c in zip(ref.kind, ref.rows, ref.cols)]
            errors = {
                "tclk": max(abs(g.tclk_ns / t - 1) for g, t in zip(got, ref[f"tclk_ns_{variant}"])),
                "area": max(abs(g.area_mm2 / a - 1) for g, a in zip(got, ref[f"area_mm2_{variant}"])),
                "TOPS/W": max(abs(g.tops_per_w / t - 1) for g, t in zip(got, ref[f"TOPS_per_W_{variant}"])),
                "TOPS/mm2": max(abs(g.tops_per_mm2 / t - 1) for g, t in zip(got, ref[f"TOPS_per_mm2_{variant}"])),
            }
            print(f"12 macros vs the {variant} variant, max relative error: "
                  + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()))


if __name__ == "__main__":
    main()
