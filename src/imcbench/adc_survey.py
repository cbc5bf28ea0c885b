"""Read the ADC performance survey and fit converter energy and area trends to it.

Source: B. Murmann, "ADC Performance Survey 1997-2025" (ISSCC and VLSI Symposium converters),
github.com/bmurmann/ADC-survey, BSD-3-Clause. The survey is read in place (``../shared/adc_survey``);
only the fitted constants are shipped (``imcbench/data/adc_survey_fit.yaml``, written by
``scripts/fit_adc_survey.py``) and used by :mod:`imcbench.converters`.

Model forms (natural logs; E in pJ per conversion = P / f_snyq, A in mm2, f in Hz, node in nm):

* energy: ``E = W_arch 2^ENOB (node / 28)^alpha (f / 100 MHz)^beta + T 4^ENOB``: a Walden-style term
  (one conversion step costs W) set by architecture, node and speed, plus a thermal-noise term (kT/C
  sampling: energy x 4 per added bit) independent of the node (Murmann, "Energy limits in A/D
  converters", 2013: the Schreier FOM envelope at high resolution);
* area: ``ln A = a_arch + b ENOB ln 2 + gamma ln(node / 28) + delta ln(f / 100 MHz)``.

Each is fitted twice by quantile regression in log space (pinball loss): at the 0.5 quantile (the
median trend, a typical published converter) and at the 0.1 quantile (the envelope, the best 10 %).
ENOB = (SNDR - 1.76) / 6.02 with SNDR the survey's ``SNDR_plot`` (dB). Only Nyquist-rate converters
(TYPE NQ) are fitted: oversampling converters are not what an IMC column uses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from imcbench.errors import ImcbenchError

REF_NODE_NM = 28.0  # nm; reference node of the fitted constants
REF_RATE_HZ = 1e8  # Hz; reference Nyquist rate of the fitted constants (100 MS/s)
MEDIAN_QUANTILE = 0.5  # quantile of the median trend
ENVELOPE_QUANTILE = 0.1  # quantile of the envelope (the best 10 % of published converters)
PINBALL_SMOOTHING = 0.02  # log units; smoothing of the pinball loss so a gradient optimiser can use it
DB_PER_BIT = 6.02  # dB of SNDR per bit of ENOB (ideal quantiser)
SNDR_OFFSET_DB = 1.76  # dB; ENOB = (SNDR - 1.76) / 6.02
ARCHITECTURES = ("sar", "flash", "pipeline", "other")
MIN_ROWS_PER_ARCHITECTURE = 15  # fewer Nyquist rows: the architecture joins 'other'
_ARCH_OF_FIRST_TOKEN = {"sar": "sar", "binary search": "sar", "flash": "flash", "folding": "flash",
                        "pipe": "pipeline", "two-step": "pipeline", "subranging": "pipeline",
                        "algorithmic": "pipeline"}
COLUMNS = {"type": "TYPE", "architecture": "ARCHITECTURE", "technology_um": "TECHNOLOGY",
           "sndr_db": "SNDR_plot [dB]", "energy_pj": "P/fsnyq [pJ]", "rate_hz": "fsnyq [Hz]",
           "area_mm2": "AREA [mm^2]"}
_NUMBER = re.compile(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class SurveyData:
    """The usable Nyquist-rate rows of the survey, and every skipped row with its reason."""

    frame: pd.DataFrame  # columns: architecture, node_nm, enob, energy_pj, rate_hz, area_mm2 (NaN: none)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (file row number, reason)

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, reason in self.skipped:
            counts[reason] = counts.get(reason, 0) + 1
        return counts


def architecture_class(text: str) -> str:
    """'SAR, TI' -> 'sar'; 'Flash' / 'Folding' -> 'flash'; pipelined / multi-step -> 'pipeline'; else 'other'."""
    first = str(text).split(",")[0].strip().lower()
    return _ARCH_OF_FIRST_TOKEN.get(first, "other")


def _number(text) -> float:
    """The first number in a cell ('0.18 BiCMOS' -> 0.18); NaN when the cell holds none."""
    match = _NUMBER.search(str(text))
    return float(match.group()) if match else math.nan


def read_survey(path: str | Path) -> SurveyData:
    """Read the survey CSV: Nyquist-rate rows with a numeric node, SNDR, energy and rate.

    A row with a missing or non-numeric needed cell is skipped with its reason (never an error); a file
    without the needed columns raises :class:`ImcbenchError` naming them. Area may be missing (NaN).
    """
    path = Path(path)
    if not path.is_file():
        raise ImcbenchError(f"ADC survey {path} not found; give the path of adc_survey.csv")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ImcbenchError(f"ADC survey {path} is not a readable CSV ({' '.join(str(exc).split())})") from None
    missing = [c for c in COLUMNS.values() if c not in raw.columns]
    if missing:
        raise ImcbenchError(f"ADC survey {path}: missing column(s) {', '.join(map(repr, missing))}; "
                            "expected the columns of Murmann's ADC survey")
    rows, skipped = [], []
    for i, rec in enumerate(raw.to_dict("records"), start=2):  # row 1 is the header
        reason, values = _parse_survey_row(rec)
        if reason:
            skipped.append((i, reason))
        else:
            rows.append(values)
    frame = pd.DataFrame(rows, columns=["architecture", "node_nm", "enob", "energy_pj", "rate_hz", "area_mm2"])
    return SurveyData(frame, skipped)


def _parse_survey_row(rec: dict) -> tuple[str, dict]:
    if "NQ" not in str(rec[COLUMNS["type"]]).upper():
        return "oversampling converter (only Nyquist-rate converters are fitted)", {}
    values = {name: _number(rec[col]) for name, col in COLUMNS.items() if name not in ("type", "architecture")}
    for name in ("technology_um", "sndr_db", "energy_pj", "rate_hz"):
        if not math.isfinite(values[name]) or values[name] <= 0:
            return f"{COLUMNS[name]} missing, not a number or not positive", {}
    area = values["area_mm2"]
    return "", {"architecture": architecture_class(rec[COLUMNS["architecture"]]),
                "node_nm": 1000 * values["technology_um"],
                "enob": (values["sndr_db"] - SNDR_OFFSET_DB) / DB_PER_BIT,
                "energy_pj": values["energy_pj"], "rate_hz": values["rate_hz"],
                "area_mm2": area if math.isfinite(area) and area > 0 else math.nan}


# --- fitting --------------------------------------------------------------------------------------------
def _pinball(residual: np.ndarray, quantile: float) -> float:
    """Smoothed pinball loss of log residuals (observed - model): s softplus(r/s) - (1 - q) r, summed."""
    s = PINBALL_SMOOTHING
    return float(np.sum(s * np.logaddexp(0.0, residual / s) - (1 - quantile) * residual))


def energy_model_log(params: np.ndarray, arch_index: np.ndarray, enob, node_nm, rate_hz) -> np.ndarray:
    """ln E (pJ) of the energy form for parameter vector [ln W_arch..., alpha, beta, ln T]."""
    n_arch = len(ARCHITECTURES)
    log_w = params[:n_arch][arch_index]
    alpha, beta, log_t = params[n_arch:]
    walden = log_w + enob * math.log(2) + alpha * np.log(node_nm / REF_NODE_NM) + beta * np.log(rate_hz / REF_RATE_HZ)
    thermal = log_t + enob * math.log(4)
    return np.logaddexp(walden, thermal)


def area_model_log(params: np.ndarray, arch_index: np.ndarray, enob, node_nm, rate_hz) -> np.ndarray:
    """ln A (mm2) of the area form for parameter vector [a_arch..., b, gamma, delta]."""
    n_arch = len(ARCHITECTURES)
    b, gamma, delta = params[n_arch:]
    return (params[:n_arch][arch_index] + b * enob * math.log(2) + gamma * np.log(node_nm / REF_NODE_NM)
            + delta * np.log(rate_hz / REF_RATE_HZ))


def _fit_quantile(model, start: np.ndarray, arch_index, enob, node, rate, log_observed, quantile) -> np.ndarray:
    from scipy.optimize import minimize

    def loss(params):
        return _pinball(log_observed - model(params, arch_index, enob, node, rate), quantile)

    result = minimize(loss, start, method="L-BFGS-B")
    result = minimize(loss, result.x, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-5, "fatol": 1e-7})
    return result.x


def fit_survey(data: SurveyData) -> dict:
    """Median and envelope fits of energy and area; the constants and their fit quality as a plain dict."""
    f = data.frame
    if len(f) < 4 * len(ARCHITECTURES):
        raise ImcbenchError(f"only {len(f)} usable survey rows: too few to fit the converter trends")
    counts = f.architecture.value_counts()
    merged = [a if counts.get(a, 0) >= MIN_ROWS_PER_ARCHITECTURE else "other" for a in f.architecture]
    arch_index = np.array([ARCHITECTURES.index(a) for a in merged])
    thin = [i for i, a in enumerate(ARCHITECTURES) if counts.get(a, 0) < MIN_ROWS_PER_ARCHITECTURE]
    other = ARCHITECTURES.index("other")
    enob, node, rate = f.enob.to_numpy(float), f.node_nm.to_numpy(float), f.rate_hz.to_numpy(float)
    log_e = np.log(f.energy_pj.to_numpy(float))
    out: dict = {"energy": {}, "area": {}}
    start_e = np.array([math.log(1e-3)] * len(ARCHITECTURES) + [0.5, 0.1, math.log(1e-7)])
    for name, q in (("median", MEDIAN_QUANTILE), ("envelope", ENVELOPE_QUANTILE)):
        p = _fit_quantile(energy_model_log, start_e, arch_index, enob, node, rate, log_e, q)
        p[thin] = p[other]  # a thin architecture takes the constants of 'other'
        resid = log_e - energy_model_log(p, arch_index, enob, node, rate)
        n_arch = len(ARCHITECTURES)
        out["energy"][name] = {
            "quantile": q,
            "walden_pj_per_step": {a: float(math.exp(p[i])) for i, a in enumerate(ARCHITECTURES)},
            "node_exponent": float(p[n_arch]), "rate_exponent": float(p[n_arch + 1]),
            "thermal_pj": float(math.exp(p[n_arch + 2])),
            "quality": _quality(resid, arch_index)}
    has_area = np.isfinite(f.area_mm2.to_numpy(float))
    log_a = np.log(f.area_mm2.to_numpy(float)[has_area])
    start_a = np.array([math.log(0.1)] * len(ARCHITECTURES) + [0.3, 1.0, 0.2])
    for name, q in (("median", MEDIAN_QUANTILE), ("envelope", ENVELOPE_QUANTILE)):
        args = (arch_index[has_area], enob[has_area], node[has_area], rate[has_area])
        p = _fit_quantile(area_model_log, start_a, *args, log_a, q)
        p[thin] = p[other]
        resid = log_a - area_model_log(p, *args)
        n_arch = len(ARCHITECTURES)
        out["area"][name] = {
            "quantile": q,
            "area_mm2_at_enob0": {a: float(math.exp(p[i])) for i, a in enumerate(ARCHITECTURES)},
            "enob_exponent": float(p[n_arch]), "node_exponent": float(p[n_arch + 1]),
            "rate_exponent": float(p[n_arch + 2]), "quality": _quality(resid, arch_index[has_area])}
    out["data"] = {"rows_fitted": int(len(f)), "rows_with_area": int(has_area.sum()),
                   "rows_skipped": len(data.skipped), "skipped_by_reason": data.skipped_by_reason(),
                   "rows_by_architecture": {a: int(np.sum(arch_index == i)) for i, a in enumerate(ARCHITECTURES)},
                   "enob_range": {a: [round(float(enob[arch_index == i].min()), 2),
                                      round(float(enob[arch_index == i].max()), 2)]
                                  for i, a in enumerate(ARCHITECTURES) if np.any(arch_index == i)},
                   "node_nm_range": [float(node.min()), float(node.max())],
                   "rate_hz_range": [float(rate.min()), float(rate.max())]}
    return out


def _quality(resid: np.ndarray, arch_index: np.ndarray) -> dict:
    """Residual summary (observed / model, natural log): median, robust spread, share of points above the fit."""
    def summary(r):
        return {"n": int(r.size), "median_log_residual": round(float(np.median(r)), 4),
                "robust_sd_log": round(float(1.4826 * np.median(np.abs(r - np.median(r)))), 4),
                "fraction_above_fit": round(float(np.mean(r > 0)), 4)}
    table = {"all": summary(resid)}
    table.update({a: summary(resid[arch_index == i]) for i, a in enumerate(ARCHITECTURES) if np.any(arch_index == i)})
    return table
