"""Side by side on the same rows, by the same leave-one-chip-out folds: the paper model, the calibrated
model (all factors), the calibrated model whose form (number of factors) is chosen by nested CV, a trivial
predictor and a generic regression; each with its median error and the coverage of its conformal intervals.

Model-form selection (:data:`FORMS`, nested leave-one-chip-out): each outer fold scores every form by an
inner chip-grouped :data:`~imcbench.validation.calibration.INNER_FOLDS`-fold CV on its own training chips
(mean soft-L1 of the held-out log errors on SRAM macro rows, the calibration's criterion) and takes the form
with the FEWEST factors whose score is within :data:`SELECTION_TOLERANCE` of the best; separately for the
energy factors (TOPS/W) and the area and delay factors (TOPS/mm2). Fixed regularisation
(:data:`~imcbench.validation.calibration.RIDGE`, :data:`~imcbench.validation.calibration.ROBUST_SCALE`) keeps
this fast. The held-out chip is predicted by the chosen form fitted on the training chips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imcbench.validation import baselines, conformal
from imcbench.validation import calibration as cal
from imcbench.validation.chips import PublishedChip
from imcbench.validation.predict import DEFAULT_ENVM_CELL_MODEL, chip_components
from imcbench.validation.stats import group_masks, ratio_stats

# Nested forms, fewest factors first: (energy factors, area + delay factors). Added in the order of the
# components that dominate the error: the ADC and DIMC logic energy, the cell and processor area first.
ENERGY_FORMS = ((), ("adc_energy", "dimc_logic_energy"),
                ("adc_energy", "dimc_logic_energy", "array_energy_IS", "dac_energy"),
                tuple(p.name for p in cal.PARAMETERS if p.quantity == "energy"))
AREA_FORMS = ((), ("cells_area", "processor_area"),
              ("cells_area", "processor_area", "adc_area", "digital_delay"),
              tuple(p.name for p in cal.PARAMETERS if p.quantity != "energy"))
FORMS = tuple(e + a for e, a in zip(ENERGY_FORMS, AREA_FORMS))
SELECTION_TOLERANCE = 0.05  # a form with more factors must score > 5 % better to be chosen
MODELS = ("paper", "calibrated", "selected", "trivial", "regression")
MODEL_LABELS = {"paper": "paper model", "calibrated": "calibrated (17 factors)",
                "selected": "calibrated, form by nested CV", "trivial": "trivial (median of same arch+cm)",
                "regression": "generic ridge regression"}
MIN_ROWS_FOR_VERDICT = 5  # compute models with fewer rows get no verdict against the trivial predictor


def _form_data(chips, comp, names) -> cal.FitData:
    params = tuple(p for p in cal.PARAMETERS if p.name in names)
    return cal.fit_data(chips, parameters=params, components=comp)


def _form_scores(data: cal.FitData, hyper: cal.Hyper) -> dict[str, float]:
    """Inner-CV score (mean soft-L1 of held-out log errors on the selection rows) of one form, per target."""
    errors = cal._held_out_log_errors(data, cal.grouped_folds(data.chip_id), hyper)
    rows = data.selection_rows
    out = {}
    for target in cal.TARGETS:
        e = errors[target][rows]
        e = e[np.isfinite(e)]
        s = cal.SELECTION_SCALE
        out[target] = float(np.mean(s ** 2 * (np.sqrt(1 + (e / s) ** 2) - 1))) if e.size else math.inf
    return out


def choose_form(scores: list[dict[str, float]]) -> dict[str, int]:
    """Per target, the index of the fewest-factor form within SELECTION_TOLERANCE of the best score."""
    chosen = {}
    for target in cal.TARGETS:
        values = np.array([s[target] for s in scores])
        best = values.min()
        chosen[target] = int(np.flatnonzero(values <= best * (1 + SELECTION_TOLERANCE) + 1e-12)[0])
    return chosen


@dataclass(frozen=True)
class SelectedCV:
    """Nested-CV predictions of the form-selected calibration, and how often each form was chosen."""

    tops_per_w: np.ndarray
    tops_per_mm2: np.ndarray
    chosen_counts: dict[str, dict[str, int]]  # target -> form label -> outer folds


def form_label(index: int, target: str) -> str:
    if target == "tops_per_w":
        return f"{len(ENERGY_FORMS[index])} energy factors"
    return f"{len(AREA_FORMS[index])} area/delay factors"


def select_and_cross_validate(chips: list[PublishedChip], data: cal.FitData) -> SelectedCV:
    hyper = cal.fixed_hyper()
    forms = [_form_data(chips, data.comp, names) for names in FORMS]
    n = len(data.chip_id)
    tops_w, density = np.full(n, np.nan), np.full(n, np.nan)
    counts: dict[str, dict[str, int]] = {t: {} for t in cal.TARGETS}
    for train, test in cal.leave_one_chip_out_folds(data.chip_id):
        chosen = choose_form([_form_scores(f.subset(train), hyper) for f in forms])
        for target, index in chosen.items():
            label = form_label(index, target)
            counts[target][label] = counts[target].get(label, 0) + 1
        for target, index in chosen.items():
            form = forms[index]
            figures = cal._log_figures(form.subset(test), cal.fit_theta(form.subset(train), hyper))
            if target == "tops_per_w":
                tops_w[test] = data.comp.ops[test] / np.exp(figures.energy)
            else:
                density[test] = np.exp(figures.density)
    return SelectedCV(tops_w, density, counts)


@dataclass(frozen=True)
class Comparison:
    frame: pd.DataFrame  # one row per fitted chip row: reported, each model's prediction and interval half-width
    summary: dict  # group -> metric -> model -> stats (+ coverage)
    verdicts: list[dict]  # per compute model (>= MIN_ROWS_FOR_VERDICT rows): calibrated vs trivial on TOPS/W
    level: float
    chosen_forms: dict


def compare_models(chips: list[PublishedChip], level: float = conformal.DEFAULT_LEVEL,
                   nested_hyper: bool = True, envm_cells: str | None = None) -> Comparison:
    """Every model of :data:`MODELS` by leave-one-chip-out on the rows a calibration can fit (module doc).

    ``envm_cells``: how eNVM rows are modeled (imcbench.validation.predict.ENVM_CELL_MODELS); None: the default.
    """
    data = cal.fit_data(chips, components=chip_components(chips, envm_cells or DEFAULT_ENVM_CELL_MODEL))
    comp = data.comp
    by_row = {c.row: c for c in chips}
    fields = pd.DataFrame([by_row[r].to_dict() for r in comp.rows])
    reported = {"tops_per_w": comp.ops / np.exp(data.log_energy_reported),
                "tops_per_mm2": np.exp(data.log_density_reported)}
    paper = cal._log_figures(data, np.zeros(len(cal.PARAMETERS)))
    calibrated = cal.cross_validate(data, None if nested_hyper else cal.fixed_hyper())
    selected = select_and_cross_validate(chips, data)
    design = baselines.design_matrix(fields)
    predictions = {"paper": {"tops_per_w": comp.ops / np.exp(paper.energy), "tops_per_mm2": np.exp(paper.density)},
                   "calibrated": {"tops_per_w": calibrated.tops_per_w, "tops_per_mm2": calibrated.tops_per_mm2},
                   "selected": {"tops_per_w": selected.tops_per_w, "tops_per_mm2": selected.tops_per_mm2},
                   "trivial": {}, "regression": {}}
    for metric in cal.TARGETS:
        predictions["trivial"][metric], _ = baselines.trivial_loco(reported[metric], data.chip_id,
                                                                   fields.architecture, comp.compute_model)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_rep = np.log(reported[metric])
        predictions["regression"][metric] = np.exp(baselines.regression_loco(design, log_rep, data.chip_id))
    frame = pd.DataFrame({"row": comp.rows, "chip_id": data.chip_id, "compute_model": comp.compute_model,
                          "cell_family": comp.cell_family, "architecture": fields.architecture,
                          "is_sram": comp.is_sram, "imc_processor": comp.imc_processor})
    for metric in cal.TARGETS:
        frame[f"{metric}_reported"] = reported[metric]
        for name in MODELS:
            value = predictions[name][metric]
            frame[f"{metric}_{name}"] = value
            with np.errstate(divide="ignore", invalid="ignore"):
                resid = np.log(value / reported[metric])
            frame[f"{metric}_{name}_halfwidth"] = conformal.leave_one_chip_out_halfwidths(
                resid, data.chip_id, conformal.interval_group(comp.compute_model, comp.is_sram), level)
    summary = summarise_comparison(frame)
    return Comparison(frame, summary, verdicts(frame), level, selected.chosen_counts)


def summarise_comparison(frame: pd.DataFrame) -> dict:
    out = {}
    for group, mask in group_masks(frame).items():
        if not mask.any():
            continue
        part = frame[mask]
        out[group] = {}
        for metric in cal.TARGETS:
            out[group][metric] = {}
            for name in MODELS:
                stats = ratio_stats(part[f"{metric}_{name}"], part[f"{metric}_reported"])
                with np.errstate(divide="ignore", invalid="ignore"):
                    resid = np.log(part[f"{metric}_{name}"] / part[f"{metric}_reported"]).to_numpy(float)
                cov = conformal.coverage(resid, part[f"{metric}_{name}_halfwidth"].to_numpy(float))
                out[group][metric][name] = {**stats, "interval_coverage": cov["coverage"],
                                            "interval_median_factor": cov["median_factor"]}
    return out


def verdicts(frame: pd.DataFrame, model: str = "calibrated", metric: str = "tops_per_w") -> list[dict]:
    """Per compute model with >= MIN_ROWS_FOR_VERDICT rows: does ``model`` beat the trivial predictor?"""
    out = []
    for cm in dict.fromkeys(frame.compute_model.tolist()):
        part = frame[frame.compute_model == cm]
        ours = ratio_stats(part[f"{metric}_{model}"], part[f"{metric}_reported"])
        trivial = ratio_stats(part[f"{metric}_trivial"], part[f"{metric}_reported"])
        if ours["n"] < MIN_ROWS_FOR_VERDICT:
            continue
        a, b = ours["median_abs_error"], trivial["median_abs_error"]
        outcome = "beats" if a < b else "loses to" if a > b else "ties with"
        out.append({"compute_model": cm, "n": ours["n"], "model": model, "metric": metric,
                    "model_median_error": a, "trivial_median_error": b, "outcome": outcome})
    return out
