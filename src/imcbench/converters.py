"""ADC energy and area from the ADC survey fit (pure functions; units in each name).

Three ADC models are offered to the macro model (``MacroSpec.adc_model``):

* ``paper`` (the default): the IMC paper's fit on three 28 nm AIMC chips, ``(k5 B + k6 4^B) V^2``
  (Sun et al., ICCAD 2023; zigzag-dse 3.9.1 ``ImcArray.get_adc_cost``;
  :func:`imcbench.macro.components.adc_energy`). It stays the
  default because the paper's figures and the packaged calibration are made with it, and because on
  the published chips the survey trend did not predict better once calibrated
  (``benchmarks/bench_validation.py --adc``, leave-one-chip-out, SRAM rows: TOPS/W median error 39 %
  paper vs 36 % survey median, TOPS/mm2 77 % vs 86 %). IMC column ADCs are small converters embedded
  in the array, which the survey of stand-alone ADCs (with their reference buffers, pads and
  calibration logic) does not sample: the survey's median 6-bit SAR is ~20x the area of the paper's.
  Uncalibrated, the survey area is the better start (SRAM TOPS/mm2 median error 88 % vs 339 %);
* ``survey_median``: the median published Nyquist-rate converter of the same ENOB, node and rate;
* ``survey_envelope``: the best 10 % of published converters (an optimistic, state-of-the-art ADC).

Survey constants: ``imcbench/data/adc_survey_fit.yaml``, fitted by ``scripts/fit_adc_survey.py`` to
B. Murmann, "ADC Performance Survey 1997-2025" (BSD-3-Clause; the notice is in the file), with the
forms of :mod:`imcbench.adc_survey`. Assumptions, stated once:

* ENOB = nominal bits - :data:`ENOB_DEFICIT_BITS` (a real B-bit converter loses about half a bit);
* below the survey's lowest ENOB (about 3 bits) the 2^ENOB Walden term is extrapolated: a 1-4 bit
  converter costs W 2^ENOB, the same energy per conversion step as the measured 4-6 bit converters;
* the survey energy does not scale with the macro's supply (each survey point is at its own supply);
  it scales with the node as fitted (alpha ~ 2) and with the conversion rate (beta ~ 0.4-0.6).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from imcbench.errors import ImcbenchError

SURVEY_FIT_FILE = Path(__file__).resolve().parent / "data" / "adc_survey_fit.yaml"
SURVEY_FIT_FORMAT = "imcbench-adc-survey-fit/1"
ADC_MODELS = ("paper", "survey_median", "survey_envelope")
DEFAULT_ADC_MODEL = "paper"
DEFAULT_ADC_ARCHITECTURE = "sar"  # IMC column ADCs are mostly SAR (flash below ~4 bits); a parameter
ENOB_DEFICIT_BITS = 0.5  # bits; nominal resolution - ENOB of a typical converter (assumption)
MIN_ENOB = 0.5  # bits; ENOB below this is clipped (a 1-bit sense amplifier still converts once)
PJ_TO_FJ = 1e3
MM2_TO_UM2 = 1e6


@lru_cache(maxsize=4)
def survey_fit(path: str | None = None) -> dict:
    """The fitted constants (the packaged file unless ``path`` is given)."""
    from imcbench.yamlio import read_yaml  # here: yamlio brings pydantic, which the paper's ADC model does not need

    path = Path(path) if path else SURVEY_FIT_FILE
    data = read_yaml(path, "ADC survey fit")
    if not isinstance(data, dict) or data.get("format") != SURVEY_FIT_FORMAT:
        raise ImcbenchError(f"{path}: not an ADC survey fit (expected 'format: {SURVEY_FIT_FORMAT}'); "
                            "make it with scripts/fit_adc_survey.py")
    return data


def _trend(adc_model: str) -> str:
    if adc_model not in ADC_MODELS or adc_model == "paper":
        raise ImcbenchError(f"ADC model {adc_model!r} is not a survey model; use one of {', '.join(ADC_MODELS[1:])}")
    return adc_model.removeprefix("survey_")


def enob_of_bits(bits) -> np.ndarray:
    """ENOB of a converter of ``bits`` nominal bits: bits - ENOB_DEFICIT_BITS, at least MIN_ENOB."""
    return np.maximum(np.asarray(bits, dtype=float) - ENOB_DEFICIT_BITS, MIN_ENOB)


def survey_energy_pj(enob, node_nm, rate_hz, adc_model: str = "survey_median",
                     architecture: str = DEFAULT_ADC_ARCHITECTURE) -> np.ndarray:
    """Energy of one conversion, pJ: W_arch 2^ENOB (node/28)^alpha (f/100 MHz)^beta + T 4^ENOB (survey fit)."""
    part = survey_fit()["energy"][_trend(adc_model)]
    enob = np.asarray(enob, dtype=float)
    walden = (_fitted(part, "walden_pj_per_step", architecture) * 2.0 ** enob
              * _node_rate_scale(part, node_nm, rate_hz))
    return walden + part["thermal_pj"] * 4.0 ** enob


def survey_area_mm2(enob, node_nm, rate_hz, adc_model: str = "survey_median",
                    architecture: str = DEFAULT_ADC_ARCHITECTURE) -> np.ndarray:
    """Area of one converter, mm2: a_arch 2^(b ENOB) (node/28)^gamma (f/100 MHz)^delta (survey fit)."""
    part = survey_fit()["area"][_trend(adc_model)]
    return (_fitted(part, "area_mm2_at_enob0", architecture)
            * 2.0 ** (part["enob_exponent"] * np.asarray(enob, dtype=float))
            * _node_rate_scale(part, node_nm, rate_hz))


def _fitted(part: dict, table: str, architecture: str) -> float:
    """The fitted coefficient of ``architecture`` in ``part[table]``; an unfitted architecture raises."""
    if architecture not in part[table]:
        raise ImcbenchError(f"ADC architecture {architecture!r} is not fitted; use one of {', '.join(part[table])}")
    return part[table][architecture]


def _node_rate_scale(part: dict, node_nm, rate_hz) -> np.ndarray:
    """(node / reference node)^node_exponent x (rate / reference rate)^rate_exponent of one fitted trend."""
    ref = survey_fit()["reference"]
    return ((np.asarray(node_nm, dtype=float) / ref["node_nm"]) ** part["node_exponent"]
            * (np.asarray(rate_hz, dtype=float) / ref["rate_hz"]) ** part["rate_exponent"])


def adc_energy_fj(bits, node_nm, rate_hz, adc_model: str) -> np.ndarray:
    """Survey ADC energy per conversion of a ``bits``-bit converter, fJ (see the module's assumptions)."""
    return survey_energy_pj(enob_of_bits(bits), node_nm, rate_hz, adc_model) * PJ_TO_FJ


def adc_area_um2(bits, node_nm, rate_hz, adc_model: str) -> np.ndarray:
    """Survey ADC area of a ``bits``-bit converter, um2; 0 for B <= 1 (a sense amplifier, as the paper)."""
    bits = np.asarray(bits, dtype=float)
    area = survey_area_mm2(enob_of_bits(bits), node_nm, rate_hz, adc_model) * MM2_TO_UM2
    return np.where(bits > 1, area, 0.0)


def check_adc_model(name: str) -> str:
    """``name`` if it is a known ADC model, else an ImcbenchError listing them."""
    if name not in ADC_MODELS:
        raise ImcbenchError(f"ADC model {name!r} is not known; use one of {', '.join(ADC_MODELS)}")
    return name


__all__ = ["ADC_MODELS", "DEFAULT_ADC_MODEL", "ENOB_DEFICIT_BITS", "adc_area_um2", "adc_energy_fj",
           "check_adc_model", "enob_of_bits", "survey_area_mm2", "survey_energy_pj", "survey_fit"]
