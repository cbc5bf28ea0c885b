"""ADC survey fit (imcbench.adc_survey), its packaged constants (imcbench.converters) and the macro's ADC option."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imcbench import converters
from imcbench.adc_survey import (ENVELOPE_QUANTILE, area_model_log, architecture_class, energy_model_log,
                                 read_survey, ARCHITECTURES)
from imcbench.errors import ImcbenchError
from imcbench.macro.spec import MacroSpec, evaluate_macros
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def survey():
    return read_survey(shared_path("adc_survey", "adc_survey.csv"))


def _log_residuals(survey, quantity: str, trend: str):
    fit = converters.survey_fit()[quantity][trend]
    f = survey.frame
    if quantity == "energy":
        model = np.array([converters.survey_energy_pj(e, n, r, f"survey_{trend}", a)
                          for e, n, r, a in zip(f.enob, f.node_nm, f.rate_hz, f.architecture)])
        return np.log(f.energy_pj.to_numpy() / model), fit
    has = f.area_mm2.notna()
    model = np.array([converters.survey_area_mm2(e, n, r, f"survey_{trend}", a) for e, n, r, a in
                      zip(f.enob[has], f.node_nm[has], f.rate_hz[has], f.architecture[has])])
    return np.log(f.area_mm2[has].to_numpy() / model), fit


@pytest.mark.parametrize("quantity", ["energy", "area"])
def test_packaged_median_trend_splits_the_survey_in_half(survey, quantity):
    resid, _ = _log_residuals(survey, quantity, "median")
    assert abs(np.median(resid)) < 0.1  # log units: within 10 % of the survey's median converter
    assert 0.45 <= np.mean(resid > 0) <= 0.55


@pytest.mark.parametrize("quantity", ["energy", "area"])
def test_packaged_envelope_lies_below_about_90_percent(survey, quantity):
    resid, _ = _log_residuals(survey, quantity, "envelope")
    above = np.mean(resid > 0)
    assert 0.85 <= above <= 0.95, above
    assert 1 - ENVELOPE_QUANTILE - 0.05 <= above


def test_energy_grows_with_enob_and_node_and_the_thermal_term_takes_over(survey):
    e = converters.survey_energy_pj(np.array([2.0, 6.0, 16.0, 18.0]), 28.0, 1e8)
    assert np.all(np.diff(np.log2(e)) > 0)
    # low ENOB: about x2 per bit (Walden); high ENOB: x4 per bit (thermal)
    assert 1.9 < (e[1] / e[0]) ** (1 / 4) < 2.2
    assert 3.5 < (e[3] / e[2]) ** (1 / 2) <= 4.0
    assert converters.survey_energy_pj(6.0, 65.0, 1e8) > converters.survey_energy_pj(6.0, 28.0, 1e8)
    assert converters.survey_energy_pj(6.0, 28.0, 1e8, "survey_envelope") < converters.survey_energy_pj(6.0, 28.0, 1e8)


def test_architecture_classes():
    assert architecture_class("SAR, TI") == "sar"
    assert architecture_class("Folding") == "flash"
    assert architecture_class("Pipe, SAR") == "pipeline"
    assert architecture_class("VCO") == "other"
    assert set(converters.survey_fit()["energy"]["median"]["walden_pj_per_step"]) == set(ARCHITECTURES)


def test_model_forms_are_the_documented_equations():
    p = np.log([1e-2, 2e-2, 3e-2, 4e-2]).tolist() + [2.0, 0.5, math.log(1e-6)]
    got = energy_model_log(np.array(p), np.array([0]), np.array([6.0]), np.array([56.0]), np.array([4e8]))
    want = math.log(1e-2 * 64 * 2 ** 2 * 4 ** 0.5 + 1e-6 * 4 ** 6)
    assert got[0] == pytest.approx(want)
    q = np.array([math.log(1e-3)] * 4 + [0.5, 1.0, 0.0])
    assert math.exp(area_model_log(q, np.array([1]), np.array([4.0]), np.array([14.0]), np.array([1e8]))[0]) == \
        pytest.approx(1e-3 * 2 ** 2 * 0.5)


def test_damaged_survey_rows_are_skipped_with_reasons(tmp_path, survey):
    source = pd.read_csv(shared_path("adc_survey", "adc_survey.csv"), dtype=str, keep_default_na=False)
    damaged = source.head(40).copy()
    nq = damaged.index[damaged.TYPE == "NQ"]
    damaged.loc[nq[0], "P/fsnyq [pJ]"] = "n/a"
    damaged.loc[nq[1], "TECHNOLOGY"] = ""
    damaged.loc[nq[2], "SNDR_plot [dB]"] = "-3"
    path = tmp_path / "survey.csv"
    damaged.to_csv(path, index=False)
    data = read_survey(path)
    reasons = dict((row, why) for row, why in data.skipped)
    assert "P/fsnyq [pJ]" in reasons[nq[0] + 2]
    assert "TECHNOLOGY" in reasons[nq[1] + 2]
    assert "SNDR_plot" in reasons[nq[2] + 2]
    assert len(data.frame) + len(data.skipped) == 40
    damaged.drop(columns=["fsnyq [Hz]"]).to_csv(path, index=False)
    with pytest.raises(ImcbenchError, match="fsnyq"):
        read_survey(path)


def test_macro_adc_option_changes_adc_energy_in_the_expected_direction():
    paper = MacroSpec("aimc", 256, 256).evaluate()
    median = MacroSpec("aimc", 256, 256, adc_model="survey_median").evaluate()
    envelope = MacroSpec("aimc", 256, 256, adc_model="survey_envelope").evaluate()
    assert envelope.energy_per_cycle_pj["adc"] < median.energy_per_cycle_pj["adc"]
    assert envelope.tops_per_w > median.tops_per_w
    # only the ADC changes
    for key in ("dac", "bitline", "accumulator"):
        assert median.energy_per_cycle_pj[key] == paper.energy_per_cycle_pj[key]
    # the ADC term equals the converter function at the macro's ADC rate
    rate = 1e9 / paper.tclk_ns_by_component["adc"]
    bits = MacroSpec("aimc", 256, 256).resolved_adc_bits
    per_conv = converters.adc_energy_fj(bits, 28.0, rate, "survey_median") / 1e3
    assert median.energy_per_cycle_pj["adc"] == pytest.approx(per_conv * 256)
    frame = evaluate_macros("aimc", 256, 256, adc_model="survey_envelope")
    assert frame["energy_pj.adc"].iloc[0] == pytest.approx(envelope.energy_per_cycle_pj["adc"])


def test_unknown_adc_model_is_a_clear_error():
    with pytest.raises(ImcbenchError, match="survey_median"):
        MacroSpec("aimc", 64, 64, adc_model="survey")


def test_macro_cli_and_hardware_file_take_the_adc_model(tmp_path):
    from imcbench.hardware.loading import load_system
    from tests.conftest import run_cli

    paper = run_cli("macro", "aimc", "--rows", "256", "--cols", "256", "--json").json()
    envelope = run_cli("macro", "aimc", "--rows", "256", "--cols", "256", "--adc-model", "survey_envelope",
                       "--json").json()
    assert envelope["energy_per_cycle_pj"]["adc"] < paper["energy_per_cycle_pj"]["adc"]
    assert envelope["energy_per_cycle_pj"]["dac"] == paper["energy_per_cycle_pj"]["dac"]
    text = (Path(__file__).resolve().parents[1] / "examples" / "paper_aimc_256.yaml").read_text()
    path = tmp_path / "hw.yaml"
    path.write_text(text.replace("adc_bits: paper", "adc_bits: paper\n  adc_model: survey_median"))
    assert load_system(path).macro.adc_model == "survey_median"
