"""Calibration of the paper's macro model on published chips: few multiplicative factors, fitted in log space.

A calibration multiplies components of the macro model (energy, area, clock period), never adds new
ones, so the rest of imcbench can use a calibrated macro through :func:`apply_calibration`. Each free
parameter (:data:`PARAMETERS`) is either a factor on some components for some chips, or a node exponent
(the components times (node / 28 nm)^x). Log-space value theta: factor = exp(theta), exponent = theta.

Method (documented in every calibration file):

* residuals r = log(model / reported) of TOPS/W and TOPS/mm2 (1-bit normalised) over the modelable
  rows with a reported figure (all cell families: the SRAM, eDRAM and eNVM factors are separate);
* minimise sum(rho(r)) + ridge / 2 * sum(theta^2): a robust soft-L1 loss rho(r) = s^2 (sqrt(1 + (r/s)^2) - 1)
  (quadratic below s = ROBUST_SCALE, linear above, so a chip reported under other conventions does not
  drag everyone) and a ridge pull toward the paper's values (theta = 0) with weight RIDGE;
  scipy.optimize.least_squares (trust region) solves it;
* leave-one-chip-out cross-validation: every chip (all rows of one paper Index or title) is predicted
  by a fit that never saw it. Its residuals give the reported errors and the uncertainty (x/÷ factor =
  exp of the robust spread 1.4826 MAD of the log residuals, per compute model).

RIDGE and ROBUST_SCALE were chosen by that cross-validation on ``chips_train.csv`` (SRAM rows, TOPS/W
and TOPS/mm2) among {0.1, 0.3, 0.5, 1, 2} x {0.3, 0.5, 1} (log units): 0.5 and 0.5 sit in the middle of
the region where the errors change little (a mild selection effect on the stated CV errors).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import yaml

from imcbench import __version__
from imcbench.errors import ImcbenchError
from imcbench.tech import REF_NODE_NM
from imcbench.validation.chips import PublishedChip
from imcbench.validation.predict import ChipComponents, chip_components, figures_of
from imcbench.validation.stats import NVM_FAMILIES
from imcbench.yamlio import read_yaml

RIDGE = 0.5  # weight of the pull toward the paper's values, per unit theta^2 (log units)
ROBUST_SCALE = 0.5  # s of the soft-L1 loss, log units (a 1.65x error is where it turns linear)
MAD_TO_SIGMA = 1.4826  # robust standard deviation from the median absolute deviation (normal data)
MIN_ROWS_FOR_GROUP_SPREAD = 4  # fewer CV residuals in a compute model: use the spread of all rows
FORMAT = "imcbench-calibration/1"
DEFAULT_CALIBRATION_FILE = Path(__file__).resolve().parents[1] / "data" / "calibration_default.yaml"

DIGITAL = ("multipliers", "adder_tree", "place_value", "accumulator")  # DIMC logic (energy, area, delay)
ARRAY = ("bitline", "multipliers")  # AIMC bit-line and in-cell compute energy


@dataclass(frozen=True)
class Parameter:
    """A free constant: multiplies ``components`` of ``quantity`` for the chips ``applies_to`` selects."""

    name: str
    quantity: str  # 'energy', 'area' or 'delay'
    components: tuple[str, ...]
    applies_to: str  # a compute model (IS, QS, QR, QS-QR), 'aimc', 'dimc', 'nvm', 'processor' or 'all'
    kind: str = "factor"  # 'factor' (x exp(theta)) or 'node_exponent' (x (node/28)^theta)
    doc: str = ""


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("array_energy_IS", "energy", ARRAY, "IS",
              doc="bit-line + cell energy of current-summing AIMC (static read current, not C V^2)"),
    Parameter("array_energy_QS", "energy", ARRAY, "QS", doc="bit-line + cell energy of charge-sharing AIMC"),
    Parameter("array_energy_QR", "energy", ARRAY, "QR", doc="bit-line + cell energy of charge-redistribution AIMC"),
    Parameter("array_energy_QS-QR", "energy", ARRAY, "QS-QR", doc="bit-line + cell energy of QS-QR AIMC"),
    Parameter("array_energy_nvm", "energy", ARRAY, "nvm", doc="extra factor for eNVM cells (read current)"),
    Parameter("dac_energy", "energy", ("dac",), "aimc", doc="input drivers / DAC (paper k0)"),
    Parameter("adc_energy", "energy", ("adc",), "aimc", doc="ADC energy (paper k5, k6: the ADC's figure of merit)"),
    Parameter("dimc_logic_energy", "energy", DIGITAL, "dimc", doc="DIMC multipliers and adders"),
    Parameter("dimc_energy_node_exponent", "energy", DIGITAL, "dimc", "node_exponent",
              doc="DIMC logic energy x (node/28)^x on top of the linear capacitance law"),
    Parameter("cells_area", "area", ("cells",), "all", doc="bit-cell array area (CACTI x cell-type ratio)"),
    Parameter("adc_area", "area", ("adc",), "aimc", doc="ADC area (paper k1, k2)"),
    Parameter("aimc_compute_area", "area", ("multipliers",), "aimc", doc="in-cell compute devices of AIMC"),
    Parameter("dimc_logic_area", "area", DIGITAL, "dimc", doc="DIMC multipliers and adders"),
    Parameter("processor_area", "area", ("cells", "dac", "adc", *DIGITAL), "processor",
              doc="whole-processor figures (IMC_Processor = Y): other logic and memory beside the banks"),
    Parameter("adc_delay", "delay", ("adc",), "aimc", doc="ADC conversion time (paper k3, k4)"),
    Parameter("digital_delay", "delay", DIGITAL, "all", doc="multiplier, adder and accumulator delays"),
    Parameter("digital_delay_node_exponent", "delay", DIGITAL, "all", "node_exponent",
              doc="digital delay x (node/28)^x on top of the linear (Dennard) delay law"),
)
PARAMETER_NAMES = tuple(p.name for p in PARAMETERS)


class Calibrated(NamedTuple):
    """Calibrated components: energy (pJ), area (mm2) and, if given, delay (ns), by component."""

    energy_pj: dict[str, np.ndarray]
    area_mm2: dict[str, np.ndarray]
    delay_ns: dict[str, np.ndarray] | None


@dataclass(frozen=True)
class Calibration:
    """Fitted log-space values of :data:`PARAMETERS` (theta), with where they come from and how good they are."""

    theta: dict[str, float]
    uncertainty: dict[str, dict[str, float]] = field(default_factory=dict)  # metric -> group -> x/÷ factor
    provenance: dict = field(default_factory=dict)
    cross_validation: dict = field(default_factory=dict)

    def value(self, name: str) -> float:
        """The parameter as used: a factor exp(theta) or an exponent theta."""
        param = PARAMETERS[PARAMETER_NAMES.index(name)]
        return math.exp(self.theta[name]) if param.kind == "factor" else self.theta[name]

    def factors(self, quantity: str, components, *, compute_model, cell_family="SRAM", node_nm=REF_NODE_NM,
                imc_processor=False) -> dict[str, np.ndarray]:
        """Multiplicative factor of each component of ``quantity`` (arrays broadcast over the chips)."""
        theta = np.array([self.theta.get(p.name, 0.0) for p in PARAMETERS])
        return {c: np.exp(_features(quantity, c, compute_model, cell_family, node_nm, imc_processor) @ theta)
                for c in components}

    def spread(self, metric: str, compute_model) -> np.ndarray:
        """x/÷ uncertainty factor of ``metric`` for each compute model (NaN if the calibration has none)."""
        table = self.uncertainty.get(metric, {})
        default = table.get("all", math.nan)
        return np.array([table.get(str(m), default) for m in np.atleast_1d(compute_model)], dtype=float)

    def to_dict(self) -> dict:
        return {"format": FORMAT,
                "description": "Multiplicative factors on the components of the paper's macro model (Sun et al., "
                               "ICCAD 2023), fitted on published chips; see imcbench.validation.calibration.",
                "provenance": self.provenance,
                "parameters": {p.name: {"value": round(self.value(p.name), 6), "kind": p.kind,
                                        "quantity": p.quantity, "components": list(p.components),
                                        "applies_to": p.applies_to, "doc": p.doc} for p in PARAMETERS},
                "uncertainty_factor": self.uncertainty,
                "cross_validation": self.cross_validation}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(_plain(self.to_dict()), sort_keys=False, width=110))
        return path


def apply_calibration(energy_by_component: dict, area_by_component: dict, compute_model, calib: Calibration | None,
                      *, cell_family="SRAM", node_nm=REF_NODE_NM, imc_processor=False,
                      delay_by_component: dict | None = None) -> Calibrated:
    """Scale macro-model components (from ``imcbench.macro.model``) by a calibration; None = the paper's model.

    ``compute_model`` ('IS', 'QS', 'QR', 'QS-QR' for AIMC, 'DIMC') and the keywords may be arrays broadcast
    against the component arrays. Components the calibration does not name are returned unchanged.
    """
    if calib is None:
        return Calibrated(dict(energy_by_component), dict(area_by_component),
                          None if delay_by_component is None else dict(delay_by_component))
    where = dict(compute_model=compute_model, cell_family=cell_family, node_nm=node_nm, imc_processor=imc_processor)

    def scale(quantity: str, values: dict) -> dict:
        factors = calib.factors(quantity, values, **where)
        return {c: np.asarray(v) * factors[c] for c, v in values.items()}

    delay = None if delay_by_component is None else scale("delay", delay_by_component)
    return Calibrated(scale("energy", energy_by_component), scale("area", area_by_component), delay)


def _selects(applies_to: str, compute_model, cell_family, imc_processor) -> np.ndarray:
    cm = np.asarray(compute_model, dtype=str)
    family = np.asarray(cell_family, dtype=str)
    aimc = np.isin(cm, ("IS", "QS", "QR", "QS-QR"))
    nvm = np.isin(family, NVM_FAMILIES)
    if applies_to == "all":
        return np.ones(np.broadcast(cm, family).shape, dtype=bool)
    if applies_to == "aimc":
        return aimc
    if applies_to == "dimc":
        return cm == "DIMC"
    if applies_to == "nvm":
        return aimc & nvm
    if applies_to == "processor":
        return np.asarray(imc_processor, dtype=bool)
    return (cm == applies_to) & ~nvm  # one AIMC compute model, volatile cells (eNVM has its own factor)


def _features(quantity, component, compute_model, cell_family, node_nm, imc_processor) -> np.ndarray:
    """Matrix (chips x parameters): d log(factor of ``component``) / d theta."""
    shape = np.broadcast(np.asarray(compute_model), np.asarray(cell_family), np.asarray(node_nm),
                         np.asarray(imc_processor)).shape
    log_node = np.log(np.asarray(node_nm, dtype=float) / REF_NODE_NM)
    columns = []
    for p in PARAMETERS:
        if p.quantity != quantity or component not in p.components:
            columns.append(np.zeros(shape))
            continue
        selected = _selects(p.applies_to, compute_model, cell_family, imc_processor)
        value = log_node if p.kind == "node_exponent" else 1.0
        columns.append(np.broadcast_to(np.where(selected, value, 0.0), shape))
    return np.stack(columns, axis=-1)


# --- fitting ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FitData:
    """Everything the fit needs, for the modelable rows with a reported figure: components and log targets."""

    comp: ChipComponents
    chip_id: np.ndarray
    log_energy_reported: np.ndarray  # log pJ per invocation (NaN where TOPS/W is not reported)
    log_density_reported: np.ndarray  # log TOPS/mm2 (NaN where not reported)
    features: dict[tuple[str, str], np.ndarray]  # (quantity, component) -> chips x parameters

    def subset(self, keep: np.ndarray) -> "FitData":
        c = self.comp
        pick = lambda d: {k: v[keep] for k, v in d.items()}  # noqa: E731
        comp = ChipComponents(rows=c.rows[keep], kind=c.kind[keep], compute_model=c.compute_model[keep],
                              cell_family=c.cell_family[keep], node_nm=c.node_nm[keep],
                              imc_processor=c.imc_processor[keep], ops=c.ops[keep], energy_pj=pick(c.energy_pj),
                              area_mm2=pick(c.area_mm2), delay_ns=pick(c.delay_ns), adc_bits=c.adc_bits[keep],
                              adc_bits_from_rule=c.adc_bits_from_rule[keep])
        return FitData(comp, self.chip_id[keep], self.log_energy_reported[keep], self.log_density_reported[keep],
                       pick(self.features))


def fit_data(chips: list[PublishedChip]) -> FitData:
    """The rows a calibration can learn from: modelable AIMC/DIMC rows with a reported TOPS/W or TOPS/mm2."""
    comp = chip_components(chips)
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
    features = {(q, c): _features(q, c, **where)
                for q, parts in (("energy", comp.energy_pj), ("area", comp.area_mm2), ("delay", comp.delay_ns))
                for c in parts}
    data = FitData(comp, np.array([c.chip_id for c in rows], dtype=str), log_e, log_d, features)
    return data.subset(keep)


def _log_figures(data: FitData, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log energy per invocation (pJ) and log TOPS/mm2 of the rows of ``data`` under ``theta``."""
    c = data.comp

    def total(quantity: str, parts: dict) -> np.ndarray:
        return sum(v * np.exp(data.features[(quantity, k)] @ theta) for k, v in parts.items())

    energy, area, delay = total("energy", c.energy_pj), total("area", c.area_mm2), total("delay", c.delay_ns)
    return np.log(energy), np.log(c.ops / delay / area / 1e3)


def _soft_l1(residual: np.ndarray, scale: float) -> np.ndarray:
    """Residuals r' with r'^2 / 2 = s^2 (sqrt(1 + (r/s)^2) - 1): least squares on r' is the soft-L1 fit."""
    rho = scale ** 2 * (np.sqrt(1 + (residual / scale) ** 2) - 1)
    return np.sign(residual) * np.sqrt(2 * rho)


def fit_theta(data: FitData, *, ridge: float = RIDGE, robust_scale: float = ROBUST_SCALE) -> np.ndarray:
    """Log-space parameters minimising the robust log error + the ridge toward the paper (see module doc)."""
    from scipy.optimize import least_squares  # imported here: 0.4 s that other commands need not pay
    has_e = np.isfinite(data.log_energy_reported)
    has_d = np.isfinite(data.log_density_reported)

    def residuals(theta: np.ndarray) -> np.ndarray:
        log_e, log_d = _log_figures(data, theta)
        errors = np.concatenate([(log_e - data.log_energy_reported)[has_e],
                                 (log_d - data.log_density_reported)[has_d]])
        return np.concatenate([_soft_l1(errors, robust_scale), math.sqrt(ridge) * theta])

    return least_squares(residuals, np.zeros(len(PARAMETERS)), method="trf").x


def leave_one_chip_out_folds(chip_id: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) boolean masks: each test fold is ALL rows of one chip, never seen by its training set."""
    return [(chip_id != cid, chip_id == cid) for cid in dict.fromkeys(chip_id.tolist())]


def cross_validate(data: FitData, *, ridge: float = RIDGE, robust_scale: float = ROBUST_SCALE
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-chip-out predictions (TOPS/W, TOPS/mm2) of every row of ``data``, aligned with its rows."""
    tops_w = np.full(len(data.chip_id), np.nan)
    density = np.full(len(data.chip_id), np.nan)
    for train, test in leave_one_chip_out_folds(data.chip_id):
        theta = fit_theta(data.subset(train), ridge=ridge, robust_scale=robust_scale)
        log_e, log_d = _log_figures(data.subset(test), theta)
        tops_w[test] = data.comp.ops[test] / np.exp(log_e)
        density[test] = np.exp(log_d)
    return tops_w, density


def calibrate(chips: list[PublishedChip], *, source: str | Path | None = None, ridge: float = RIDGE,
              robust_scale: float = ROBUST_SCALE) -> Calibration:
    """Fit on all rows, cross-validate leave-one-chip-out for the uncertainty and the error summary."""
    from imcbench.validation.predict import predictions_frame, predict_chips  # the CV rows, as a table
    from imcbench.validation.stats import summarise

    data = fit_data(chips)
    if len(data.chip_id) < len(PARAMETERS) or len(set(data.chip_id)) < 3:
        raise ImcbenchError(f"only {len(data.chip_id)} modelable rows with reported figures "
                            f"({len(set(data.chip_id))} chips): too few to fit {len(PARAMETERS)} parameters; "
                            "give a chip file with more AIMC/DIMC rows")
    theta = fit_theta(data, ridge=ridge, robust_scale=robust_scale)
    cv_w, cv_d = cross_validate(data, ridge=ridge, robust_scale=robust_scale)
    frame = predictions_frame(predict_chips(chips))
    frame = frame[frame.row.isin(data.comp.rows)].set_index("row").loc[data.comp.rows].reset_index()
    frame["tops_per_w_model"], frame["tops_per_mm2_model"] = cv_w, cv_d
    summary = summarise(frame, models=("model", "paper"))
    uncertainty = {m: _spread(frame, m) for m in ("tops_per_w", "tops_per_mm2")}
    provenance = _provenance(source, data, ridge, robust_scale)
    return Calibration(theta=dict(zip(PARAMETER_NAMES, map(float, theta))), uncertainty=uncertainty,
                       provenance=provenance, cross_validation={"leave_one_chip_out": summary})


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


def _provenance(source, data: FitData, ridge: float, robust_scale: float) -> dict:
    info = {"file": None, "sha256": None}
    if source is not None:
        path = Path(source)
        info = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    counts: dict[str, int] = {}
    for cm in data.comp.compute_model:
        counts[str(cm)] = counts.get(str(cm), 0) + 1
    return {**info, "date": dt.date.today().isoformat(), "imcbench_version": __version__,
            "rows_fitted": int(len(data.chip_id)), "chips": int(len(set(data.chip_id))),
            "rows_by_compute_model": counts,
            "method": (f"robust (soft-L1, scale {robust_scale} in log units) least squares on log(model/reported) "
                       f"of 1b TOPS/W and TOPS/mm2, ridge {ridge} toward the paper's values (theta = 0), "
                       "scipy.optimize.least_squares; uncertainty and errors from leave-one-chip-out CV"),
            "ridge": ridge, "robust_scale": robust_scale}


# --- files -----------------------------------------------------------------------------------------------
def load_calibration(spec: str | Path | None = "default") -> Calibration | None:
    """'paper' or None: the uncalibrated model (None); 'default': the packaged calibration; else a YAML path."""
    if spec is None or str(spec).lower() == "paper":
        return None
    path = DEFAULT_CALIBRATION_FILE if str(spec).lower() == "default" else Path(spec)
    data = read_yaml(path, "calibration file")
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("parameters"), dict):
        raise ImcbenchError(f"{path}: not an imcbench calibration (expected 'format: {FORMAT}' and 'parameters'); "
                            "make one with 'imcbench calibrate --chips FILE.csv --out calib.yaml'")
    theta = {}
    for name, entry in data["parameters"].items():
        if name not in PARAMETER_NAMES:
            raise ImcbenchError(f"{path}: unknown parameter {name!r}; known: {', '.join(PARAMETER_NAMES)}")
        value = entry.get("value") if isinstance(entry, dict) else entry
        kind = PARAMETERS[PARAMETER_NAMES.index(name)].kind
        if not isinstance(value, (int, float)) or not math.isfinite(value) or (kind == "factor" and value <= 0):
            raise ImcbenchError(f"{path}: parameter {name!r} must be a {'positive ' if kind == 'factor' else ''}"
                                f"number, got {value!r}")
        theta[name] = math.log(value) if kind == "factor" else float(value)
    return Calibration(theta=theta, uncertainty=data.get("uncertainty_factor") or {},
                       provenance=data.get("provenance") or {}, cross_validation=data.get("cross_validation") or {})


def _plain(value):
    """Numbers and containers as plain Python types for yaml.safe_dump."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
