"""Figures of the scaling study, as `FigureSpec`s (rendered by the report or by ``imcbench scaling --out``)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from imcbench.figspec import PALETTE, FigureSpec, Series
from imcbench.scaling.bridge import CHIP_TERMS, best_chips, chips_vs_limit, macro_curves
from imcbench.scaling.model import MACHINES, crossover_n, energy_per_op, scaling_table
from imcbench.scaling.params import CONVERTER_MODELS, DEFAULT_PARAMS, FUNDAMENTAL_PARAMS, ScalingParams

N_GRID = 2.0 ** np.arange(0, 17)  # 1 .. 65536
BITS_GRID = np.arange(1, 21)
MACHINE_LABELS = {"scalar": "scalar (SISD)", "digital_imc": "digital IMC", "analog_resident": "analog, weights resident",
                  "analog_rewrite": "analog, weights rewritten per vector", "analog_mmm": "analog MMM (M = N)"}
MACHINE_COLORS = {"scalar": "#7f7f7f", "digital_imc": PALETTE["dimc"], "analog_resident": PALETTE["aimc"],
                  "analog_rewrite": "#ff7f0e", "analog_mmm": "#9467bd"}
TERM_COLORS = {"dac": "#2ca02c", "adc": "#d62728", "array": "#1f77b4", "digital": "#7f7f7f", "weights": "#ff7f0e"}
CHIP_MAX_BARS = 20


def scaling_figures(bits: Sequence[int] = (4, 8), array_size: float = 256, *,
                    params: ScalingParams = DEFAULT_PARAMS, chips=None) -> list[FigureSpec]:
    """All figures of the study: e_op vs N per precision, vs bits, the crossover, VMM vs MMM, and (when
    ``chips``, a PublishedChip list, is given) the published chips against the limit and their terms."""
    bits = [int(b) for b in bits]
    figures = [eop_vs_n_figure(b, array_size, params) for b in bits]
    figures += [eop_vs_bits_figure(array_size, params), crossover_figure(array_size, params),
                vmm_vs_mmm_figure(bits[-1], array_size, params)]
    if chips is not None:
        frame = chips_vs_limit(chips, params=params)
        figures += [chips_figure(frame, bits[-1], params), chip_terms_figure(frame)]
    return figures


def eop_vs_n_figure(bits: int, array_size: float, params: ScalingParams = DEFAULT_PARAMS) -> FigureSpec:
    """e_op against square layer size N for the five machines (vector-matrix, MMM with M = N)."""
    table = scaling_table(N_GRID, [bits], array_size, params=params)
    series = [Series(MACHINE_LABELS[m], _col(table, m, "n"), _col(table, m, "e_op_pj"), color=MACHINE_COLORS[m])
              for m in MACHINES]
    y_all = table["e_op_pj"]
    return FigureSpec(
        key=f"scaling_eop_vs_n_{bits}b", title=f"Energy per operation vs layer size, {bits}-bit, array {_p(array_size)}",
        x_label="layer size N (N_in = N_out)", y_label="energy per op (pJ)", series=series, x_log=True, y_log=True,
        ref_lines=_array_line(array_size, y_all),
        caption=(f"Y = W X with W of N x N at {bits} bits ({params.converter_model} converters). Analog IMC falls "
                 "as 1/N until N reaches the array size, then stays flat; rewriting the weights for every "
                 "vector pins it to the weight-write energy; programming them once for M = N vectors (MMM) "
                 "restores the fall. Scalar and digital IMC do not improve with N."))


def eop_vs_bits_figure(array_size: float, params: ScalingParams = DEFAULT_PARAMS) -> FigureSpec:
    """e_op against precision at N = array size for the five machines."""
    n = array_size if np.isfinite(array_size) else 256.0
    series = []
    for m in MACHINES:
        res = energy_per_op(m, n, BITS_GRID, array_size, params=params)
        series.append(Series(MACHINE_LABELS[m], BITS_GRID, res.total, color=MACHINE_COLORS[m]))
    return FigureSpec(
        key="scaling_eop_vs_bits", title=f"Energy per operation vs precision at N = {int(n)}",
        x_label="bits (inputs, weights, outputs)", y_label="energy per op (pJ)", series=series, y_log=True,
        caption=("Digital arithmetic grows as b^2; converters grow as 2^b (survey figure of merit) and "
                 "4^b at the thermal floor, so the analog advantage shrinks with precision."))


def crossover_figure(array_size: float, params: ScalingParams = DEFAULT_PARAMS) -> FigureSpec:
    """Crossover N (analog resident beats digital IMC) against bits for the three converter models."""
    series = []
    for model, color in zip(CONVERTER_MODELS, ("#2ca02c", "#d62728", "#000000")):
        n_star = crossover_n(BITS_GRID, params.with_(converter_model=model))
        keep = np.isfinite(n_star) & (n_star > 1)
        series.append(Series(f"{model} converters", BITS_GRID[keep], n_star[keep], color=color,
                             dash=model == "max"))
    ref = []
    if np.isfinite(array_size):
        ref.append(([BITS_GRID[0], BITS_GRID[-1]], [array_size, array_size], f"array size {_p(array_size)}"))
    return FigureSpec(
        key="scaling_crossover_vs_bits", title="Layer size where analog IMC beats digital IMC",
        x_label="bits", y_label="crossover N (unbounded array)", series=series, y_log=True, ref_lines=ref,
        caption=("At the thermal floor the crossover grows about 4x per bit (4^b converters against b^2 "
                 "digital MACs: 4 (b/(b+1))^2, 3.2-3.6x over 8-20 bits); with survey (Walden) converters "
                 "it grows about 2x per bit (2 (b/(b+1))^2). A design wins only if the crossover is below "
                 "its array size."))


def vmm_vs_mmm_figure(bits: int, array_size: float, params: ScalingParams = DEFAULT_PARAMS) -> FigureSpec:
    """Analog VMM (resident, rewritten) against MMM for several M, with the array cap."""
    cases = [("analog_resident", None, "VMM, weights resident"), ("analog_rewrite", None, "VMM, rewritten per vector"),
             ("analog_mmm", 16, "MMM, M = 16"), ("analog_mmm", 256, "MMM, M = 256"), ("analog_mmm", None, "MMM, M = N")]
    colors = ["#d62728", "#ff7f0e", "#bcbd22", "#17becf", "#9467bd"]
    series = [Series(label, N_GRID, energy_per_op(m, N_GRID, bits, array_size, vectors=v, params=params).total,
                     color=c) for (m, v, label), c in zip(cases, colors)]
    y_all = np.concatenate([np.asarray(s.y) for s in series])
    return FigureSpec(
        key="scaling_vmm_vs_mmm", title=f"Vector-matrix vs matrix-matrix, {bits}-bit analog, array {_p(array_size)}",
        x_label="layer size N", y_label="energy per op (pJ)", series=series, x_log=True, y_log=True,
        ref_lines=_array_line(array_size, y_all),
        caption=("The three MMM terms are divided by N_out (DAC), N_in (ADC) and M (weight writes): weight "
                 "reuse M restores the 1/N scaling that rewriting destroys, up to the array size."))


def chips_figure(frame: pd.DataFrame, bits: int, params: ScalingParams = DEFAULT_PARAMS) -> FigureSpec:
    """Published IMC chips at their N against the limits and our macro models (b-bit convention)."""
    scale = bits ** 2 / 1e3  # fJ per 1-bit op -> pJ per b x b op
    series = []
    groups = [("AIMC, SRAM/eDRAM", (frame.kind == "aimc") & frame.cell_family.isin(["SRAM", "eDRAM"]), PALETTE["aimc"], "o"),
              ("AIMC, non-volatile", (frame.kind == "aimc") & ~frame.cell_family.isin(["SRAM", "eDRAM"]), "#ff7f0e", "s"),
              ("DIMC", frame.kind == "dimc", PALETTE["dimc"], "^")]
    for label, mask, color, marker in groups:
        part = frame[mask]
        series.append(Series(f"published {label}", part["n"], part["e_op1_fj"] * scale, kind="scatter",
                             color=color, marker=marker, text=list(part["label"])))
    n = N_GRID[N_GRID >= 2]
    macros = macro_curves(n, bits)
    for kind, color in (("aimc", PALETTE["aimc"]), ("dimc", PALETTE["dimc"])):
        part = macros[macros.kind == kind]
        series.append(Series(f"{kind.upper()} macro model (28 nm)", part["n"], part["e_op_pj"], color=color, dash=True,
                             size=4))
    for label, p, color in (("analog limit, survey converters", params, "#000000"),
                            ("analog limit, thermal floor", FUNDAMENTAL_PARAMS, "#2ca02c")):
        series.append(Series(label, n, energy_per_op("analog_resident", n, bits, params=p).total, color=color, size=3))
    series.append(Series("digital IMC (45 nm arithmetic)", n, energy_per_op("digital_imc", n, bits, params=params).total,
                         color="#7f7f7f", size=3))
    return FigureSpec(
        key="scaling_chips", title=f"Published IMC chips against the limits ({bits}-bit convention)",
        x_label="dot-product length N (rows summed per conversion)", y_label=f"energy per {bits}b x {bits}b op (pJ)",
        series=series, x_log=True, y_log=True, height=520,
        caption=(f"Chips: measured energy per 1-bit operation x {bits}^2 (the benchmark's B_x B_w normalisation) "
                 "at their dot-product length N. Limits: analog IMC with weights resident on an unbounded "
                 "array, converters at the survey figure of merit or the thermal floor. Macro models: our AIMC "
                 "(ADC bits grow with 0.5 log2 N, the paper's rule) and DIMC models with N rows."))


def chip_terms_figure(frame: pd.DataFrame) -> FigureSpec:
    """What holds each AIMC design back: shares of our macro model's terms at the chip's configuration."""
    rows = best_chips(frame[frame["model_fj"].notna()], "aimc", CHIP_MAX_BARS)
    names = [f"{lab} N={int(n)}" for lab, n in zip(rows["label"], rows["n"])]
    series = []
    for term in CHIP_TERMS:
        share = 100 * rows[f"model_{term}_fj"] / rows["model_fj"]
        if share.max() > 0:
            series.append(Series(term, names, share, kind="bar", color=TERM_COLORS[term]))
    return FigureSpec(
        key="scaling_chip_terms", title="What holds each analog design back (our AIMC macro model, best chips first)",
        x_label="chip (first author'year, dot-product length)", y_label="share of energy per op (%)",
        series=series, barmode="stack", width=900, height=480,
        caption=("Our AIMC macro model at each chip's rows (N), columns, precisions, ADC bits, node and supply, "
                 "split into DAC, ADC, array (bit-lines and multipliers) and digital periphery; weights are "
                 "resident in the published peak figures, so weight loading is zero here."))


def _col(table: pd.DataFrame, machine: str, column: str) -> np.ndarray:
    return table.loc[table["machine"] == machine, column].to_numpy()


def _p(array_size: float) -> str:
    return f"P = {int(array_size)}" if np.isfinite(array_size) else "unbounded"


def _array_line(array_size: float, y_values) -> list:
    if not np.isfinite(array_size):
        return []
    y = np.asarray(y_values, dtype=float)
    return [([array_size, array_size], [np.nanmin(y), np.nanmax(y)], f"array size {_p(array_size)}")]
