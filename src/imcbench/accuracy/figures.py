"""Figures of the energy-accuracy trade-off (``FigureSpec``s, rendered by ``imcbench.figspec``).

* ``accuracy_energy_sqnr``: peak TOPS/W against the worst-layer SQNR of a network, one line per macro
  size across ADC resolutions (AIMC, 2 b/cycle), DIMC points at their input/weight limit;
* ``accuracy_digits_adc``: digits accuracy against ADC bits (calibrated and fixed ADC range), with the
  floating-point accuracy and aihwkit's published MLP points;
* ``accuracy_energy_digits``: TOPS/W against digits accuracy on one macro size, points labelled by
  ADC bits, DIMC for reference.
"""

from __future__ import annotations

import numpy as np

from imcbench.accuracy.digits import (AIHWKIT_MLP_ACCURACY, AIHWKIT_MLP_FLOAT_ACCURACY, AccuracyPoint,
                                      accuracy_vs_adc_bits, float_accuracies)
from imcbench.accuracy.explore import DEFAULT_ROWS, design_grid, network_sqnr
from imcbench.accuracy.noise import MvmConfig
from imcbench.figspec import PALETTE, FigureSpec, Series

FIGURE_BITS_PER_CYCLE = 2  # the paper's AIMC choice (2-bit DAC)
MODEL_COLORS = {"mlp": "#9467bd", "cnn": "#ff7f0e"}


def energy_sqnr_figure(layers, network_name: str, *, rows=DEFAULT_ROWS, adc_bits=range(2, 11),
                       noise: float = 0.0) -> FigureSpec:
    """TOPS/W vs worst-layer SQNR across ADC bits (lines: macro sizes) and DIMC."""
    grid = design_grid(rows=rows, adc_bits=adc_bits, bits_per_cycle=(FIGURE_BITS_PER_CYCLE,))
    sqnr = network_sqnr(grid, layers, noise=noise)["min_sqnr_db"].to_numpy()
    spec = FigureSpec("accuracy_energy_sqnr", f"Energy efficiency vs SQNR of the worst layer ({network_name})",
                      "worst-layer SQNR (dB)", "macro peak TOPS/W", y_log=True,
                      caption=("AIMC, 2 b/cycle, square macros: each point one ADC resolution "
                               f"({min(adc_bits)}..{max(adc_bits)} b, left to right); read noise {noise:g} LSB, "
                               "calibrated ADC range per layer. DIMC is exact: its SQNR is the 8-bit "
                               "input/weight limit."))
    shades = np.linspace(0.35, 1.0, len(rows))
    for size, shade in zip(rows, shades):
        sel = ((grid["kind"] == "aimc") & (grid["rows"] == size)).to_numpy()
        spec.series.append(Series(f"AIMC {size} rows", sqnr[sel], grid["tops_per_w"].to_numpy()[sel],
                                  color=_shade(PALETTE["aimc"], shade),
                                  text=[f"{b:g} b ADC" for b in grid["adc_bits"].to_numpy()[sel]]))
    dimc = (grid["kind"] == "dimc").to_numpy()
    spec.series.append(Series("DIMC (all sizes)", sqnr[dimc], grid["tops_per_w"].to_numpy()[dimc], kind="scatter",
                              color=PALETTE["dimc"], marker="s",
                              text=[f"{r} rows" for r in grid["rows"].to_numpy()[dimc]]))
    return spec


def digits_accuracy_figure(points: list[AccuracyPoint], floats: dict[str, float]) -> FigureSpec:
    """Digits accuracy vs ADC bits per model and ADC range, float lines and aihwkit's MLP points."""
    rows = sorted({p.rows for p in points})
    spec = FigureSpec("accuracy_digits_adc", "Digits accuracy vs ADC resolution", "ADC bits", "test accuracy",
                      caption=(f"Every layer's MVMs through an AIMC macro of {', '.join(map(str, rows))} rows, "
                               "8-bit inputs/weights, 2 b/cycle, 1 bit per cell. Solid: ADC range calibrated "
                               "to the partial sums; dashed: fixed full scale. Crosses: IBM aihwkit 1.2 MLP "
                               "(PCM, 1 h after programming), float accuracy 0.95."))
    for model in sorted({p.model for p in points}):
        for adc_range, dash in (("calibrated", False), ("fixed", True)):
            sel = [p for p in points if p.model == model and p.adc_range == adc_range]
            if sel:
                spec.series.append(Series(f"{model} ({adc_range} range)", [p.adc_bits for p in sel],
                                          [p.accuracy for p in sel], color=MODEL_COLORS.get(model), dash=dash))
        if model in floats:
            bits = [p.adc_bits for p in points]
            spec.ref_lines.append(([min(bits), max(bits)], [floats[model]] * 2, f"{model} float"))
    spec.series.append(Series("aihwkit MLP (published)", list(AIHWKIT_MLP_ACCURACY),
                              list(AIHWKIT_MLP_ACCURACY.values()), kind="scatter", color="#000000", marker="x",
                              size=9, text=[f"float {AIHWKIT_MLP_FLOAT_ACCURACY}"] * len(AIHWKIT_MLP_ACCURACY)))
    return spec


def energy_accuracy_figure(points: list[AccuracyPoint], floats: dict[str, float], rows: int = 256) -> FigureSpec:
    """TOPS/W of a ``rows``-row macro vs digits accuracy, one point per ADC resolution; DIMC too."""
    grid = design_grid(rows=(rows,), adc_bits=sorted({p.adc_bits for p in points}),
                       bits_per_cycle=(FIGURE_BITS_PER_CYCLE,))
    tops = {float(b): t for b, t in zip(grid["adc_bits"], grid["tops_per_w"]) if np.isfinite(b)}
    dimc_tops = float(grid.loc[grid["kind"] == "dimc", "tops_per_w"].iloc[0])
    spec = FigureSpec("accuracy_energy_digits", f"Energy efficiency vs digits accuracy ({rows}-row macro)",
                      "test accuracy", "macro peak TOPS/W", y_log=True,
                      caption=("Each AIMC point is one ADC resolution (labels on hover), calibrated range; "
                               "DIMC computes exactly, so it keeps the quantized network's accuracy."))
    for model in sorted({p.model for p in points}):
        sel = [p for p in points if p.model == model and p.rows == rows and p.adc_range == "calibrated"]
        spec.series.append(Series(f"AIMC, {model}", [p.accuracy for p in sel], [tops[float(p.adc_bits)] for p in sel],
                                  color=MODEL_COLORS.get(model), text=[f"{p.adc_bits} b ADC" for p in sel]))
        if model in floats:
            spec.series.append(Series(f"DIMC, {model}", [floats[model]], [dimc_tops], kind="scatter",
                                      color=PALETTE["dimc"], marker="s", show_legend=model == "mlp"))
    return spec


def digits_points(rows: int = 256, adc_bits=range(2, 11), *, read_noise: float = 0.0, seed: int = 0,
                  test_images: int | None = None, ranges=("calibrated", "fixed")) -> list[AccuracyPoint]:
    """Accuracy of both digits models vs ADC bits for each ADC range (Monte Carlo, seeded)."""
    points: list[AccuracyPoint] = []
    for adc_range in ranges:
        config = MvmConfig(rows=rows, read_noise=read_noise, adc_range=adc_range)
        points += accuracy_vs_adc_bits(config, adc_bits, seed=seed, test_images=test_images)
    return points


def accuracy_figures(network=None, *, network_name: str | None = None, rows=DEFAULT_ROWS, adc_bits=range(2, 11),
                     noise: float = 0.0, digits_rows: int = 256, points: list[AccuracyPoint] | None = None,
                     seed: int = 0) -> list[FigureSpec]:
    """The study report's accuracy figures. ``network``: a Network or built-in name (default resnet8);
    ``points``: precomputed digits accuracies (else simulated, about 10 s)."""
    from imcbench.workload import load_workload

    network = load_workload(network or "resnet8") if network is None or isinstance(network, str) else network
    points = points if points is not None else digits_points(digits_rows, adc_bits, read_noise=noise, seed=seed)
    floats = float_accuracies(sorted({p.model for p in points}))
    return [energy_sqnr_figure(network.layers, network_name or network.name, rows=rows, adc_bits=adc_bits,
                               noise=noise),
            digits_accuracy_figure(points, floats),
            energy_accuracy_figure(points, floats, digits_rows)]


def _shade(hex_color: str, strength: float) -> str:
    """``hex_color`` mixed with white: strength 1 keeps it, 0 gives white."""
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    mixed = 255 - (255 - rgb) * strength
    return "#" + "".join(f"{int(round(c)):02x}" for c in mixed)
