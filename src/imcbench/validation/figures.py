"""Figures of the validation against published chips, as `FigureSpec`s (rendered by imcbench.figspec).

* model vs reported TOPS/W and TOPS/mm2 (log-log, the 1:1 line and the 1.5x and 2x bands);
* median error by technology node and by compute model, calibrated model beside the paper's;
* the published-chip landscape: reported TOPS/W vs TOPS/mm2, AIMC vs DIMC vs digital, by year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imcbench.errors import ImcbenchError
from imcbench.figspec import PALETTE, FigureSpec, Series
from imcbench.validation.predict import ChipPrediction, predictions_frame
from imcbench.validation.stats import METRICS, ratio_stats

METRIC_LABELS = {"tops_per_w": "TOPS/W (1b-normalised)", "tops_per_mm2": "TOPS/mm2 (1b-normalised)"}
COMPUTE_MODEL_COLORS = {"IS": "#9467bd", "QS": "#d62728", "QR": "#ff7f0e", "QS-QR": "#8c564b",
                        "DIMC": PALETTE["dimc"]}
NODE_BINS = ((0, 10, "<=10 nm"), (10, 20, "12-16 nm"), (20, 30, "22-28 nm"), (30, 60, "40-55 nm"),
             (60, 100, "65-90 nm"), (100, 1e9, ">=130 nm"))
YEAR_PERIODS = ((2018, 2019, "2018-19", "o"), (2020, 2021, "2020-21", "s"), (2022, 2024, "2022-24", "^"))
BANDS = ((1.0, "1:1"), (1.5, "1.5x"), (2.0, "2x"))
# How the model's errors were obtained; every figure title and caption says which
SAMPLES = {"in-sample": "in-sample: the calibration was fitted on these rows",
           "held-out": "held-out: each row predicted by a fit that never saw its chip",
           "uncalibrated": "uncalibrated: the paper's constants, fitted on none of these rows",
           "other file": "the calibration was fitted on another chip file",
           "unstated": "in-sample or held-out not stated"}


def validation_figures(predictions: list[ChipPrediction] | pd.DataFrame | None = None, *,
                       model_label: str = "calibrated", sample: str = "unstated",
                       held_out: dict | None = None) -> list[FigureSpec]:
    """The validation figures of ``predictions`` (from `predict_chips`, or its DataFrame).

    ``sample`` (a key of :data:`SAMPLES`) says how the model's errors were obtained; ``held_out`` (a
    calibration's ``cross_validation["leave_one_chip_out"]["groups"]``) adds the held-out errors to the
    captions. ``None``: the training chips of ../shared under the packaged default calibration, which was
    fitted on them: in-sample, with the calibration's nested leave-one-chip-out errors beside them.
    """
    if predictions is None:
        from imcbench.validation.calibration import load_calibration
        from imcbench.validation.chips import load_chips
        from imcbench.validation.predict import predict_chips

        calibration = load_calibration("default")
        predictions = predict_chips(load_chips(), calibration)
        sample, held_out = "in-sample", calibration.cross_validation["leave_one_chip_out"]["groups"]
    if sample not in SAMPLES:
        raise ImcbenchError(f"sample {sample!r}: use one of {', '.join(SAMPLES)}")
    frame = predictions if isinstance(predictions, pd.DataFrame) else predictions_frame(predictions)
    modeled = frame[frame.modeled.astype(bool)]
    figures = [model_vs_reported(modeled, metric, model_label, sample, held_out) for metric in METRICS]
    figures.append(error_by(modeled, "node", model_label, sample))
    figures.append(error_by(modeled, "compute_model", model_label, sample))
    figures.append(chip_landscape(frame))
    return figures


def model_vs_reported(frame: pd.DataFrame, metric: str, model_label: str = "calibrated", sample: str = "unstated",
                      held_out: dict | None = None) -> FigureSpec:
    """Log-log scatter of model vs reported, one series per compute model, the paper's model in grey."""
    reported = frame[f"{metric}_reported"].to_numpy(float)
    ok = np.isfinite(reported) & (reported > 0) & np.isfinite(frame[f"{metric}_model"].to_numpy(float))
    part = frame[ok]
    series = [Series("paper model", part[f"{metric}_reported"], part[f"{metric}_paper"], kind="scatter",
                     color="#bbbbbb", marker="x", size=6, text=_labels(part))]
    for cm, group in part.groupby("compute_model", sort=True):
        series.append(Series(f"{cm} ({model_label}, {sample})", group[f"{metric}_reported"], group[f"{metric}_model"],
                             kind="scatter", color=COMPUTE_MODEL_COLORS.get(cm), text=_labels(group)))
    values = np.concatenate([part[f"{metric}_reported"], part[f"{metric}_model"], part[f"{metric}_paper"]])
    values = values[np.isfinite(values) & (values > 0)]
    low, high = (values.min() / 2, values.max() * 2) if values.size else (1e-3, 1e4)
    span = np.array([low, high])
    ref_lines = [(span, span * k, label if k == 1 else f"{label} band") for k, label in BANDS[:1]]
    for k, label in BANDS[1:]:
        ref_lines += [(span, span * k, f"{label} band"), (span, span / k, f"1/{label}")]
    stats = ratio_stats(part[f"{metric}_model"], part[f"{metric}_reported"])
    caption = (f"{stats['n']} rows; {model_label} ({SAMPLES[sample]}): median |model/reported - 1| = "
               f"{_pct(stats['median_abs_error'])}, {_pct(stats['within_2x'])} within 2x" if stats["n"]
               else "no comparable rows") + _held_out_text(held_out, metric)
    name = METRIC_LABELS[metric]
    return FigureSpec(key=f"validation_{metric}", title=f"Model vs published chips ({sample}): {name}",
                      x_label=f"reported {name}", y_label=f"model {name}", series=series, x_log=True, y_log=True,
                      ref_lines=ref_lines, caption=caption)


def _held_out_text(held_out: dict | None, metric: str) -> str:
    """The held-out (nested leave-one-chip-out) errors of ``metric`` over all rows and the SRAM rows."""
    if not held_out:
        return ""
    parts = []
    for group in ("all", "SRAM"):
        stats = held_out.get(group, {}).get(metric, {}).get("model")
        if stats:
            parts.append(f"{group} {stats['n']} rows: median {_pct(stats['median_abs_error'])}, "
                         f"{_pct(stats['within_2x'])} within 2x")
    return ". Held-out (nested leave-one-chip-out, from the calibration): " + "; ".join(parts) if parts else ""


def error_by(frame: pd.DataFrame, by: str, model_label: str = "calibrated", sample: str = "unstated") -> FigureSpec:
    """Grouped bars: median |model/reported - 1| per node bin or per compute model, both metrics, both models."""
    keys = _node_bins(frame.node_nm.to_numpy(float)) if by == "node" else frame.compute_model.to_numpy(str)
    order = [b[2] for b in NODE_BINS] if by == "node" else sorted(set(keys))
    categories = [k for k in order if np.any(keys == k)]
    series = []
    for metric, short in (("tops_per_w", "TOPS/W"), ("tops_per_mm2", "TOPS/mm2")):
        for model, label, color in (("model", f"{model_label} ({sample})", None), ("paper", "paper", None)):
            errors = []
            for category in categories:
                part = frame[keys == category]
                err = ratio_stats(part[f"{metric}_{model}"], part[f"{metric}_reported"])["median_abs_error"]
                errors.append(np.nan if err is None else 100 * err)
            series.append(Series(f"{short}, {label}", categories, errors, kind="bar", color=color))
    title = "technology node" if by == "node" else "compute model"
    return FigureSpec(key=f"validation_error_by_{by}", title=f"Model error by {title} ({sample})",
                      x_label=title, y_label="median |model/reported - 1| (%)", series=series, y_log=True,
                      caption="median absolute error of the model against the published figures, per group; "
                              f"{model_label}: {SAMPLES[sample]}")


def chip_landscape(frame: pd.DataFrame) -> FigureSpec:
    """Reported TOPS/W vs TOPS/mm2 of all published rows: AIMC, DIMC and digital accelerators by year."""
    ok = (frame.tops_per_w_reported > 0) & (frame.tops_per_mm2_reported > 0)
    part = frame[ok]
    family = np.where(part.kind == "dimc", "dimc", np.where(part.kind == "digital", "digital", "aimc"))
    series = []
    for cls, label in (("aimc", "AIMC"), ("dimc", "DIMC"), ("digital", "digital")):
        for first, last, period, marker in YEAR_PERIODS:
            year = part.year.astype(float).to_numpy()
            sel = (family == cls) & (year >= first) & (year <= last)
            if sel.any():
                group = part[sel]
                series.append(Series(f"{label} {period}", group.tops_per_mm2_reported, group.tops_per_w_reported,
                                     kind="scatter", color=PALETTE[cls], marker=marker, text=_labels(group)))
    return FigureSpec(key="chip_landscape", title="Published IMC macros and digital accelerators",
                      x_label="TOPS/mm2 (1b-normalised)", y_label="TOPS/W (1b-normalised)", series=series,
                      x_log=True, y_log=True,
                      caption=f"{len(part)} reported operating points (Shanbhag and Roy, CICC 2022 database)")


def _labels(frame: pd.DataFrame) -> list[str]:
    return [f"#{i} {str(t)[:60]} ({cm or kind}, {n:g} nm)" for i, t, cm, kind, n in
            zip(frame["index"], frame.title, frame.compute_model, frame.kind, frame.node_nm)]


def _node_bins(node: np.ndarray) -> np.ndarray:
    out = np.full(node.shape, "", dtype=object)
    for low, high, label in NODE_BINS:
        out[(node > low) & (node <= high)] = label
    return out


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"
