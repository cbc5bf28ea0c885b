"""Calibration of the paper's macro model on published chips: few multiplicative factors, fitted in log space.

A calibration multiplies components of the macro model (energy, area, clock period), never adds new
ones, so the rest of imcbench can use a calibrated macro through :func:`apply_calibration` (the
parameters, the :class:`Calibration` and its file are in :mod:`imcbench.validation.factors`). Each free
parameter (:data:`PARAMETERS`) is either a factor on some components for some chips, or a node exponent
(the components times (node / 28 nm)^x). Log-space value theta: factor = exp(theta), exponent = theta.

Method (documented in every calibration file):

* residuals r = log(model / reported) over the modelable rows with a reported figure (all cell families:
  the SRAM, eDRAM and eNVM factors are separate). The energy parameters only change TOPS/W and the area
  and delay parameters only TOPS/mm2 (predicted from the architecture: model area AND model clock), so they
  are two independent fits, each on its own figure, each with its own regularisation;
* each fit minimises sum(rho(r)) + ridge / 2 * sum(theta^2): a robust soft-L1 loss
  rho(r) = s^2 (sqrt(1 + (r/s)^2) - 1) (quadratic below the robust scale s, linear above, so a chip
  reported under other conventions does not drag everyone) and a ridge pull toward the paper's values
  (theta = 0); scipy.optimize.least_squares (trust region, analytic Jacobian) solves it;
* ridge and s are chosen per fit from :data:`RIDGE_GRID` x :data:`ROBUST_SCALE_GRID` by an inner
  chip-grouped :data:`INNER_FOLDS`-fold cross-validation on the training rows only: the pair with the least
  mean soft-L1 (scale :data:`SELECTION_SCALE`) of the held-out log errors on the SRAM macro rows
  (processor rows report whole chips, a different quantity);
* the stated errors are nested leave-one-chip-out cross-validation: every chip (all rows of one paper Index
  or title) is predicted by a fit, hyperparameter choice included, that never saw it. Its residuals give
  the reported errors and the uncertainty (x/÷ factor = exp of the robust spread 1.4826 MAD of the log
  residuals, per compute model);
* the same residuals give split-conformal prediction intervals (:func:`conformal_intervals`, level
  :data:`DEFAULT_INTERVAL_LEVEL`) and their honest leave-one-chip-out coverage, and beside them the trivial
  predictor's leave-one-chip-out errors (:mod:`imcbench.validation.baselines`), so a calibration states when it
  does not beat the median of similar chips. Whether fewer factors would do: :mod:`imcbench.validation.compare`
  (nested model-form selection; on chips_train.csv it keeps the full form in 51-52 of 52 outer folds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from imcbench import __version__
from imcbench.errors import ImcbenchError
from imcbench.validation.chips import PublishedChip
# the calibration object and its file live in validation.factors (predict applies them); the fit's users
# find them here too
from imcbench.validation.factors import (DEFAULT_CALIBRATION_FILE, PARAMETER_NAMES, PARAMETERS,  # noqa: F401
                                         Calibration, Parameter, _features, apply_calibration, load_calibration)
from imcbench.validation.predict import ChipComponents, chip_components, predict_chips, predictions_frame

RIDGE_GRID = (0.2, 0.5, 1.0, 2.0)  # candidate pulls toward the paper's values, per unit theta^2 (log units)
ROBUST_SCALE_GRID = (0.3, 0.6)  # candidate soft-L1 scales s, log units (1.35x and 1.8x errors turn linear)
RIDGE = 0.5  # fixed ridge when the caller gives one and no search is wanted (CLI --ridge default)
ROBUST_SCALE = 0.5  # fixed soft-L1 scale likewise
INNER_FOLDS = 5  # chip-grouped folds of the inner (hyperparameter) cross-validation
SELECTION_SCALE = 0.5  # soft-L1 scale of the selection criterion, log units
MIN_SELECTION_ROWS = 5  # fewer SRAM macro rows in a training set: select on all its rows
MAD_TO_SIGMA = 1.4826  # robust standard deviation from the median absolute deviation (normal data)
DEFAULT_INTERVAL_LEVEL = 0.8  # conformal interval level stored with a calibration (imcbench.validation.conformal)
MIN_ROWS_FOR_GROUP_SPREAD = 4  # fewer CV residuals in a compute model: use the spread of all rows
TARGETS = ("tops_per_w", "tops_per_mm2")  # energy parameters fit TOPS/W; area and delay parameters TOPS/mm2


# --- fitting ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Regularisation:
    """Hyperparameters of one fit: ridge weight (per unit theta^2) and soft-L1 scale s (log units)."""

    ridge: float = RIDGE
    robust_scale: float = ROBUST_SCALE

    def to_dict(self) -> dict:
        return {"ridge": self.ridge, "robust_scale": self.robust_scale}


Hyper = dict  # target ('tops_per_w' / 'tops_per_mm2') -> Regularisation
GRID = tuple(Regularisation(r, s) for r in RIDGE_GRID for s in ROBUST_SCALE_GRID)


def fixed_hyper(ridge: float = RIDGE, robust_scale: float = ROBUST_SCALE) -> Hyper:
    """The same regularisation for both fits (no search)."""
    return {t: Regularisation(ridge, robust_scale) for t in TARGETS}


@dataclass(frozen=True)
class FitData:
    """Everything the fit needs, for the modelable rows with a reported figure: components and log targets."""

    comp: ChipComponents
    chip_id: np.ndarray
    log_energy_reported: np.ndarray  # log pJ per invocation (NaN where TOPS/W is not reported)
    log_density_reported: np.ndarray  # log TOPS/mm2 (NaN where not reported)
    features: dict[tuple[str, str], np.ndarray]  # (quantity, component) -> chips x parameters
    parameters: tuple[Parameter, ...] = PARAMETERS  # the free constants (a study may try others)

    @property
    def selection_rows(self) -> np.ndarray:
        """Rows the hyperparameter choice is judged on: SRAM macros (all rows if too few)."""
        macros = self.comp.is_sram & ~self.comp.imc_processor
        return macros if macros.sum() >= MIN_SELECTION_ROWS else np.ones_like(macros)

    def subset(self, keep: np.ndarray) -> "FitData":
        return FitData(self.comp.take(keep), self.chip_id[keep], self.log_energy_reported[keep],
                       self.log_density_reported[keep], {k: v[keep] for k, v in self.features.items()},
                       self.parameters)


def fit_data(chips: list[PublishedChip], *, parameters: tuple[Parameter, ...] = PARAMETERS,
             components: ChipComponents | None = None) -> FitData:
    """The rows a calibration can learn from: modelable AIMC/DIMC rows with a reported TOPS/W or TOPS/mm2.

    ``parameters`` and ``components`` (default: :data:`PARAMETERS` and the paper model of ``chips``) let a
    study try other free constants or extra model terms (benchmarks/bench_validation.py --variants).
    """
    comp = chip_components(chips) if components is None else components
    by_row = {c.row: c for c in chips}
    rows = [by_row[r] for r in comp.rows]
    tops_w = np.array([c.tops_per_w for c in rows], dtype=float)
    density = np.array([c.tops_per_mm2 for c in rows], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_e = np.where(tops_w > 0, np.log(comp.ops / tops_w), np.nan)
        log_d = np.where(density > 0, np.log(density), np.nan)
    keep = np.isfinite(log_e) | np.isfinite(log_d)
    where = dict(compute_model=comp.compute_model, cell_family=comp.cell_family, node_nm=comp.node_nm,
                 imc_processor=comp.imc_processor)
    features = {(q, c): _features(q, c, **where, parameters=parameters)
                for q, parts in (("energy", comp.energy_pj), ("area", comp.area_mm2), ("delay", comp.delay_ns))
                for c in parts}
    data = FitData(comp, np.array([c.chip_id for c in rows], dtype=str), log_e, log_d, features, parameters)
    return data.subset(keep)


def _log_total(data: FitData, quantity: str, parts: dict, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log of the calibrated sum of ``parts`` and its gradient d/d theta (rows x parameters)."""
    total = np.zeros(len(data.chip_id))
    grad = np.zeros((len(data.chip_id), len(theta)))
    for name, value in parts.items():
        features = data.features[(quantity, name)]
        scaled = value * np.exp(features @ theta)
        total += scaled
        grad += scaled[:, None] * features
    return np.log(total), grad / total[:, None]


class LogFigures(NamedTuple):
    """Calibrated log figures of some rows: energy per invocation (pJ), TOPS/mm2, bank area (mm2), clock (ns)."""

    energy: np.ndarray
    density: np.ndarray
    area: np.ndarray
    delay: np.ndarray


def _log_figures(data: FitData, theta: np.ndarray) -> LogFigures:
    c = data.comp
    log_e, _ = _log_total(data, "energy", c.energy_pj, theta)
    log_a, _ = _log_total(data, "area", c.area_mm2, theta)
    log_t, _ = _log_total(data, "delay", c.delay_ns, theta)
    return LogFigures(log_e, np.log(c.ops / 1e3) - log_t - log_a, log_a, log_t)


def _soft_l1(residual: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Residuals r' with r'^2 / 2 = rho(r) = s^2 (sqrt(1 + (r/s)^2) - 1), and dr'/dr.

    Least squares on r' is the soft-L1 fit (r' ~ r for |r| << s, ~ sqrt(2 s |r|) beyond).
    """
    root = np.sqrt(1 + (residual / scale) ** 2)
    transformed = np.sign(residual) * np.sqrt(2 * scale ** 2 * (root - 1))
    small = np.abs(transformed) < 1e-12
    slope = np.where(small, 1.0, residual / root / np.where(small, 1.0, transformed))
    return transformed, slope


def _target_residuals(data: FitData, target: str, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(model / reported) of ``target`` over the rows that report it, and its Jacobian."""
    c = data.comp
    if target == "tops_per_w":
        has = np.isfinite(data.log_energy_reported)
        log_e, grad = _log_total(data, "energy", c.energy_pj, theta)
        return (log_e - data.log_energy_reported)[has], grad[has]  # log E error = -log TOPS/W error
    has = np.isfinite(data.log_density_reported)
    log_a, grad_a = _log_total(data, "area", c.area_mm2, theta)
    log_t, grad_t = _log_total(data, "delay", c.delay_ns, theta)
    log_d = np.log(c.ops / 1e3) - log_t - log_a
    return (log_d - data.log_density_reported)[has], -(grad_a + grad_t)[has]


def fit_theta(data: FitData, hyper: Hyper | None = None) -> np.ndarray:
    """Log-space parameters minimising the robust log error + the ridge toward the paper (see module doc).

    The TOPS/W and TOPS/mm2 parameters are fitted separately, each with ``hyper[target]``
    (default: :data:`RIDGE`, :data:`ROBUST_SCALE`).
    """
    from scipy.optimize import least_squares  # imported here: 0.4 s that other commands need not pay

    hyper = hyper or fixed_hyper()
    parameters = data.parameters
    theta = np.zeros(len(parameters))
    for target in TARGETS:
        free = np.array([p.target == target for p in parameters], dtype=bool)
        if not free.any():  # a model form without parameters for this figure: the paper's values
            continue
        reg = hyper[target]

        def residuals_and_jacobian(values: np.ndarray, free=free, target=target, reg=reg):
            full = np.zeros(len(parameters))
            full[free] = values
            error, jac = _target_residuals(data, target, full)
            robust, slope = _soft_l1(error, reg.robust_scale)
            ridge = math.sqrt(reg.ridge)
            return (np.concatenate([robust, ridge * values]),
                    np.vstack([jac[:, free] * slope[:, None], ridge * np.eye(free.sum())]))

        solution = least_squares(lambda v: residuals_and_jacobian(v)[0], np.zeros(free.sum()),
                                 jac=lambda v: residuals_and_jacobian(v)[1], method="trf")
        theta[free] = solution.x
    return theta


def leave_one_chip_out_folds(chip_id: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) boolean masks: each test fold is ALL rows of one chip, never seen by its training set."""
    return [(chip_id != cid, chip_id == cid) for cid in dict.fromkeys(chip_id.tolist())]


def grouped_folds(chip_id: np.ndarray, k: int = INNER_FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) masks of ``k`` folds of whole chips (chips dealt in turn, in file order); deterministic."""
    chips = list(dict.fromkeys(chip_id.tolist()))
    fold_of = {cid: i % k for i, cid in enumerate(chips)}
    fold = np.array([fold_of[c] for c in chip_id.tolist()])
    return [(fold != j, fold == j) for j in range(min(k, len(chips)))]


def _held_out_log_errors(data: FitData, folds, hyper: Hyper) -> dict[str, np.ndarray]:
    """log(model / reported) of every row of ``data`` predicted by the fit of its fold's training rows."""
    errors = {t: np.full(len(data.chip_id), np.nan) for t in TARGETS}
    for train, test in folds:
        held_out = data.subset(test)
        figures = _log_figures(held_out, fit_theta(data.subset(train), hyper))
        errors["tops_per_w"][test] = figures.energy - held_out.log_energy_reported
        errors["tops_per_mm2"][test] = figures.density - held_out.log_density_reported
    return errors


def select_hyperparameters(data: FitData) -> Hyper:
    """Per target, the grid pair with the least mean soft-L1 held-out log error (inner grouped CV of ``data``)."""
    folds = grouped_folds(data.chip_id)
    rows = data.selection_rows
    scores = {t: [] for t in TARGETS}
    for reg in GRID:
        errors = _held_out_log_errors(data, folds, {t: reg for t in TARGETS})
        for target in TARGETS:
            error = errors[target][rows]
            error = error[np.isfinite(error)]
            loss = SELECTION_SCALE ** 2 * (np.sqrt(1 + (error / SELECTION_SCALE) ** 2) - 1)
            scores[target].append(float(np.mean(loss)) if error.size else math.inf)
    return {t: GRID[int(np.argmin(scores[t]))] for t in TARGETS}


class CrossValidation(NamedTuple):
    """Leave-one-chip-out predictions aligned with the rows of the data, and each fold's hyperparameters."""

    tops_per_w: np.ndarray
    tops_per_mm2: np.ndarray  # from the architecture (model area and clock)
    tops_per_mm2_given_tcore: np.ndarray  # model area, reported T_core (NaN where not reported)
    hyper_by_chip: dict[str, Hyper]


def cross_validate(data: FitData, hyper: Hyper | None = None) -> CrossValidation:
    """Leave-one-chip-out predictions of every row of ``data``.

    ``hyper=None``: nested, each outer fold chooses its hyperparameters by :func:`select_hyperparameters`
    on its own training chips; else the given hyperparameters for every fold.
    """
    n = len(data.chip_id)
    tops_w, density, given = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    chosen = {}
    for train, test in leave_one_chip_out_folds(data.chip_id):
        training = data.subset(train)
        fold_hyper = hyper or select_hyperparameters(training)
        held_out = data.subset(test)
        figures = _log_figures(held_out, fit_theta(training, fold_hyper))
        ops = held_out.comp.ops
        tops_w[test] = ops / np.exp(figures.energy)
        density[test] = np.exp(figures.density)
        given[test] = ops / held_out.comp.t_core_ns / np.exp(figures.area) / 1e3
        chosen[str(data.chip_id[test][0])] = fold_hyper
    return CrossValidation(tops_w, density, given, chosen)


def calibrate(chips: list[PublishedChip], *, source: str | Path | None = None,
              hyper: Hyper | None = None, level: float | None = None) -> Calibration:
    """Fit on all rows and state the nested leave-one-chip-out errors and uncertainty.

    ``hyper=None`` chooses the regularisation by inner cross-validation (module doc); else it is fixed and
    the cross-validation is plain leave-one-chip-out with it.
    """
    from imcbench.validation.stats import summarise

    data = fit_data(chips)
    if len(data.chip_id) < len(PARAMETERS) or len(set(data.chip_id)) < 3:
        raise ImcbenchError(f"only {len(data.chip_id)} modelable rows with reported figures "
                            f"({len(set(data.chip_id))} chips): too few to fit {len(PARAMETERS)} parameters; "
                            "give a chip file with more AIMC/DIMC rows")
    searched = hyper is None
    chosen = select_hyperparameters(data) if searched else hyper
    theta = fit_theta(data, chosen)
    cv = cross_validate(data, hyper)
    frame = cross_validated_frame(chips, data, cv)
    frame = _with_trivial(frame, data.chip_id)
    summary = summarise(frame, models=("model", "paper", "trivial"))
    uncertainty = {m: _spread(frame, m) for m in TARGETS}
    intervals = conformal_intervals(frame, data.chip_id, DEFAULT_INTERVAL_LEVEL if level is None else level)
    provenance = _provenance(source, data, chosen, searched, cv)
    return Calibration(theta=dict(zip(PARAMETER_NAMES, map(float, theta))), uncertainty=uncertainty,
                       provenance=provenance, cross_validation={"leave_one_chip_out": summary}, intervals=intervals,
                       cv_frame=frame)


def cross_validated_frame(chips: list[PublishedChip], data: FitData, cv: CrossValidation):
    """The prediction table (as `predictions_frame`) of the fitted rows with the CV predictions as '*_model'."""
    frame = predictions_frame(predict_chips(chips))
    frame = frame[frame.row.isin(data.comp.rows)].set_index("row").loc[data.comp.rows].reset_index()
    frame["tops_per_w_model"], frame["tops_per_mm2_model"] = cv.tops_per_w, cv.tops_per_mm2
    frame["tops_per_mm2_given_tcore_model"] = cv.tops_per_mm2_given_tcore
    frame["tops_per_w_ratio"] = frame.tops_per_w_model / frame.tops_per_w_reported
    frame["tops_per_mm2_ratio"] = frame.tops_per_mm2_model / frame.tops_per_mm2_reported
    return frame


def _with_trivial(frame, chip_id: np.ndarray):
    """The CV frame with the trivial predictor's leave-one-chip-out figures as '*_trivial' (validation.baselines)."""
    from imcbench.validation.baselines import trivial_loco

    frame = frame.copy()
    for metric in ("tops_per_w", "tops_per_mm2", "tops_per_mm2_given_tcore"):
        if f"{metric}_reported" in frame:
            frame[f"{metric}_trivial"], _ = trivial_loco(frame[f"{metric}_reported"].to_numpy(float), chip_id,
                                                         frame["architecture"], frame["compute_model"])
    return frame


def conformal_intervals(frame, chip_id: np.ndarray, level: float) -> dict:
    """Split-conformal intervals of the leave-one-chip-out predictions (imcbench.validation.conformal).

    ``halfwidth_log``: per metric and interval group, the log half-width h a NEW chip's prediction carries
    ([x e^-h, x e^h]); ``coverage_leave_one_chip_out``: per metric and summary group, the share of rows inside
    an interval built without their own chip (the honest coverage).
    """
    from imcbench.validation import conformal
    from imcbench.validation.stats import group_masks

    group = conformal.interval_group(frame["compute_model"], frame["is_sram"])
    widths, covered = {}, {}
    for metric in TARGETS:
        resid = np.log(frame[f"{metric}_model"] / frame[f"{metric}_reported"]).to_numpy(float)
        widths[metric] = {k: round(v, 4) for k, v in conformal.halfwidths_by_group(resid, group, level).items()}
        loco = conformal.leave_one_chip_out_halfwidths(resid, chip_id, group, level)
        covered[metric] = {name: conformal.coverage(resid[mask], loco[mask])
                           for name, mask in group_masks(frame).items() if mask.any()}
    return {"level": level, "method": "split-conformal on leave-one-chip-out log residuals "
                                      "(imcbench.validation.conformal)",
            "halfwidth_log": widths, "coverage_leave_one_chip_out": covered}


def _spread(frame, metric: str) -> dict[str, float]:
    """x/÷ factor per compute model: exp(1.4826 MAD of the CV log residuals); 'all' over every row."""
    ratio = np.log(frame[f"{metric}_model"] / frame[f"{metric}_reported"]).to_numpy(float)
    cm = frame["compute_model"].to_numpy(str)
    ok = np.isfinite(ratio)

    def factor(mask):
        r = ratio[mask & ok]
        return round(float(np.exp(MAD_TO_SIGMA * np.median(np.abs(r - np.median(r))))), 4)

    table = {"all": factor(np.ones_like(ok))}
    for m in dict.fromkeys(cm.tolist()):
        if np.sum((cm == m) & ok) >= MIN_ROWS_FOR_GROUP_SPREAD:
            table[m] = factor(cm == m)
    return table


def _provenance(source, data: FitData, hyper: Hyper, searched: bool, cv: CrossValidation) -> dict:
    info = {"file": None, "sha256": None}
    if source is not None:
        path = Path(source)
        info = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    counts: dict[str, int] = {}
    for cm in data.comp.compute_model:
        counts[str(cm)] = counts.get(str(cm), 0) + 1
    if searched:
        selection = (f"ridge in {list(RIDGE_GRID)} x robust scale in {list(ROBUST_SCALE_GRID)} chosen per fit by "
                     f"{INNER_FOLDS}-fold chip-grouped inner CV (least mean soft-L1, scale {SELECTION_SCALE}, of "
                     "held-out log errors on SRAM macro rows); errors and uncertainty from NESTED leave-one-chip-out "
                     "CV (each outer fold repeats the choice on its own training chips)")
        fold_choices: dict[str, dict[str, int]] = {t: {} for t in TARGETS}
        for fold_hyper in cv.hyper_by_chip.values():
            for t in TARGETS:
                key = f"ridge {fold_hyper[t].ridge}, scale {fold_hyper[t].robust_scale}"
                fold_choices[t][key] = fold_choices[t].get(key, 0) + 1
    else:
        selection = "fixed by the caller; errors and uncertainty from leave-one-chip-out CV"
        fold_choices = {}
    return {**info, "date": dt.date.today().isoformat(), "imcbench_version": __version__,
            "rows_fitted": int(len(data.chip_id)), "chips": int(len(set(data.chip_id))),
            "rows_by_compute_model": counts,
            "method": ("robust (soft-L1) least squares on log(model/reported) of 1b TOPS/W (energy parameters) and "
                       "of 1b TOPS/mm2 predicted from the architecture (area and delay parameters), ridge toward "
                       "the paper's values (theta = 0), scipy.optimize.least_squares; " + selection),
            "hyperparameters": {t: hyper[t].to_dict() for t in TARGETS},
            "hyperparameters_searched": searched,
            "outer_fold_hyperparameter_choices": fold_choices}
