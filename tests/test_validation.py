"""Prediction of published chips, calibration with leave-one-chip-out CV, and the validate/calibrate commands."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imcbench.errors import ImcbenchError
from imcbench.validation import calibration as cal
from imcbench.validation.calibration import (TARGETS, Calibration, Regularisation, apply_calibration, calibrate,
                                             cross_validate, fit_data, fixed_hyper, grouped_folds,
                                             leave_one_chip_out_folds, load_calibration)
from imcbench.validation.chips import load_chips
from imcbench.validation.figures import validation_figures
from imcbench.validation.predict import chip_components, predict_chips
from imcbench.validation.stats import ratio_stats

from conftest import run_cli, shared_path
from test_validation_chips import GOOD, HEADER, with_, write_csv

# A DIMC bank: 28 nm, 0.9 V, 64 x 64 6T cells, 1b inputs, 4b weights, 16 adder trees of 64 inputs.
DIMC_ROW = with_(GOOD, **{"Compute Model": "DIMC", "N_row": "64", "N_col": "64", "B_x": "1", "B_w": "4",
                          "B_ADC": "", "R_C": "64", "R": "64", "C_C": "4", "C": "4", "N_ADC": "16", "N": "64"})
# An AIMC (QS) bank: 28 nm, 0.9 V, 256 x 64 6T cells, 1b x 1b, 64 ADCs of 6 bits, each summing 256 rows.
AIMC_ROW = with_(GOOD, **{"N_row": "256", "N_col": "64", "B_ADC": "6", "R_C": "256", "R": "256", "N_ADC": "64",
                          "N": "256"})


def test_dimc_row_by_hand(tmp_path):
    # Per adder tree (zigzag-dse 3.9.1 ImcArray; E_FA = 3.402 fJ, E_mult = 0.2835 fJ, A_FA = 4.7892 um2,
    # A_ND2 = 0.614 um2):
    #   N_tree = 64 (4+1) - (4 + 6 + 1) = 309 full adders -> 309 x 3.402 = 1051.22 fJ
    #   multipliers 64 rows x 4 bits x 0.2835 = 72.58 fJ; Bc = Bi = 1: no place-value adder, no accumulator
    #   ops = 2 N B_x B_w = 2 x 64 x 1 x 4 = 512 -> TOPS/W = 512 / 1.12380 pJ = 455.6
    # Clock: t_ND2 0.0478 + tree (5 x 0.22944 + 0.2103 + 8 x 0.0956 = 2.1223) = 2.1701 ns
    # Area: cells 64x64 CACTI 0.0019418 + multipliers 16x64x4x0.614 um2 = 0.0025149
    #   + trees 16 x 309 x 4.7892 um2 = 0.0236786 -> 0.0281353 mm2
    #   TOPS = 16 x 512 ops / 2.1701 ns = 3.7749 -> TOPS/mm2 = 134.17
    chip = predict_chips(load_chips(write_csv(tmp_path, [DIMC_ROW])))[0]
    assert chip.modeled and chip.kind == "dimc"
    assert chip.tops_per_w_model == pytest.approx(455.6, rel=1e-3)
    assert chip.tops_per_mm2_model == pytest.approx(134.17, rel=1e-3)
    assert chip.tops_per_w_paper == chip.tops_per_w_model  # no calibration: the paper's model


def test_aimc_row_by_hand_and_the_paper_adc_rule(tmp_path):
    # Per conversion at 0.9 V: ADC 0.81 (100 x 6 + 0.001 x 4^6) = 489.32 fJ; bit-line 256 x 0.35 x 0.81 = 72.58 fJ;
    # cell multipliers 256 x 0.2835 = 72.58 fJ; 1b inputs: no DAC. ops = 2 x 256 -> 512 / 0.63447 = 806.97 TOPS/W.
    # B_ADC blank -> the paper's rule 1 + 0.5 log2(256) = 5 bits: ADC 0.81 (500 + 1.024) = 405.83 fJ -> 929.2 TOPS/W.
    rows = [AIMC_ROW, with_(AIMC_ROW, Index="2", B_ADC="")]
    given, rule = predict_chips(load_chips(write_csv(tmp_path, rows)))
    assert given.tops_per_w_model == pytest.approx(806.97, rel=1e-3)
    assert rule.tops_per_w_model == pytest.approx(929.2, rel=1e-3)
    assert (given.adc_bits_used, given.adc_bits_from_rule) == (6, False)
    assert (rule.adc_bits_used, rule.adc_bits_from_rule) == (5, True)


def test_structure_of_an_aimc_invocation(tmp_path):
    base = with_(AIMC_ROW, B_x="4")
    rows = [base,
            with_(base, Index="2", C="4"),  # 4 columns share an ADC: the input drive is shared by 4 conversions
            with_(base, Index="3", C_C="2", C="2", N_ADC="32")]  # 2 columns combined per conversion
    comp = chip_components(load_chips(write_csv(tmp_path, rows)))
    dac, adc, bitline = comp.energy_pj["dac"], comp.energy_pj["adc"], comp.energy_pj["bitline"]
    assert dac[1] == pytest.approx(dac[0] / 4)
    assert adc[2] == pytest.approx(adc[0] / 2)  # 32 conversions instead of 64
    assert bitline[2] == pytest.approx(bitline[0])  # the same 64 columns of cells are charged
    assert comp.ops[2] == pytest.approx(comp.ops[0] / 2)


def test_rows_the_model_cannot_describe_are_listed_with_their_reason(tmp_path):
    rows = [GOOD, with_(GOOD, Index="2", **{"Compute Model": "", "Architecture": "Digital"}),
            with_(GOOD, Index="3", N_ADC="0")]
    preds = predict_chips(load_chips(write_csv(tmp_path, rows)), load_calibration("default"))
    assert [p.modeled for p in preds] == [True, False, False]
    assert "digital accelerator" in preds[1].reason and "N_ADC = 0" in preds[2].reason
    assert math.isnan(preds[1].tops_per_w_model) and preds[1].tops_per_w_reported == 100


def test_apply_calibration_scales_the_named_components_only():
    theta = {name: 0.0 for name in cal.PARAMETER_NAMES}
    theta["array_energy_QS"] = math.log(2.0)
    theta["dimc_energy_node_exponent"] = -0.5
    calib = Calibration(theta=theta)
    energy = {"bitline": np.ones(4), "multipliers": np.ones(4), "adc": np.ones(4)}
    area = {"cells": np.ones(4)}
    out = apply_calibration(energy, area, np.array(["QS", "QR", "DIMC", "QS"]), calib,
                            cell_family=np.array(["SRAM", "SRAM", "SRAM", "ReRAM"]), node_nm=np.array([28, 28, 7, 28]))
    np.testing.assert_allclose(out.energy_pj["bitline"], [2, 1, 1, 1])  # QS SRAM only (eNVM has its own factor)
    np.testing.assert_allclose(out.energy_pj["multipliers"], [2, 1, 2, 1])  # DIMC at 7 nm: (7/28)^-0.5 = 2
    np.testing.assert_allclose(out.energy_pj["adc"], 1)
    np.testing.assert_allclose(out.area_mm2["cells"], 1)
    assert out.delay_ns is None
    paper = apply_calibration(energy, area, "QS", None)
    np.testing.assert_allclose(paper.energy_pj["bitline"], 1)


def test_calibration_files_round_trip_and_bad_files_are_user_errors(tmp_path):
    theta = {name: 0.1 * i for i, name in enumerate(cal.PARAMETER_NAMES)}
    path = Calibration(theta=theta, provenance={"file": "x.csv"}).save(tmp_path / "c.yaml")
    loaded = load_calibration(path)
    assert loaded.theta == pytest.approx(theta, abs=1e-6)
    assert load_calibration("paper") is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: imcbench-calibration/1\nparameters: {adc_energy: {value: -1}}\n")
    with pytest.raises(ImcbenchError, match="adc_energy"):
        load_calibration(bad)
    bad.write_text("just: text\n")
    with pytest.raises(ImcbenchError, match="not an imcbench calibration"):
        load_calibration(bad)


def test_packaged_default_calibration_is_the_fit_of_the_training_file():
    train = load_chips(shared_path("imc_data", "chips_train.csv"))
    default = load_calibration("default")
    prov = default.provenance
    assert prov["file"] == "chips_train.csv" and prov["rows_fitted"] == 66 and "leave-one-chip-out" in prov["method"]
    assert prov["hyperparameters_searched"] and "NESTED" in prov["method"]
    hyper = {t: Regularisation(**prov["hyperparameters"][t]) for t in TARGETS}
    theta = cal.fit_theta(fit_data(train), hyper)
    np.testing.assert_allclose([default.theta[n] for n in cal.PARAMETER_NAMES], theta, atol=2e-3)
    assert default.spread("tops_per_w", ["QR"])[0] > 1  # an x/÷ uncertainty from the CV residuals


def test_invocation_bookkeeping_matches_the_source_columns():
    # Audit of the row -> model mapping against columns the model does not read: the 1b operations of one
    # bank invocation (2 N N_ADC B_x B_w) are the source's N_1b on every modeled row, and ops / (1b TOPS/W)
    # is its E_core (pJ per invocation), the energy the model's components are compared with, except on five
    # rows whose E_core disagrees with their own N_1b x E_OP1 by exactly 2x or 4x (Index 46, 53: E_core from
    # the MAC count B_core = N_1b / 2; Index 136: 4x). E_core is never a model input; TOPS/W is what is compared.
    import pandas as pd

    path = shared_path("imc_data", "chips_train.csv")
    raw = pd.read_csv(path)
    raw.columns = [c.strip() for c in raw.columns]
    comp = chip_components(load_chips(path))
    assert len(comp.rows) == 66
    source = raw.iloc[comp.rows - 1]
    np.testing.assert_allclose(comp.ops, source["N_1b"].to_numpy(float), rtol=1e-3)
    ratio = comp.ops / source["TOPS/W"].to_numpy(float) / source["E_core (pJ)"].to_numpy(float)
    agree = np.abs(ratio - 1) < 0.03
    assert agree.sum() == 61
    assert sorted(source["Index"][~agree].astype(int)) == [46, 46, 53, 53, 136]
    np.testing.assert_allclose(np.sort(ratio[~agree]), [0.25, 2, 2, 2, 2], rtol=1e-3)


def _sram_rows(train, data):
    by_row = {c.row: c for c in train}
    return by_row, np.array([by_row[r].is_sram for r in data.comp.rows])


def test_calibration_improves_leave_one_chip_out_error_over_the_paper_model():
    # plain leave-one-chip-out with the shipped hyperparameters (fast); the nested CV that also re-chooses them
    # in every fold is what 'imcbench calibrate' and benchmarks/bench_validation.py state
    train = load_chips(shared_path("imc_data", "chips_train.csv"))
    data = fit_data(train)
    by_row, sram = _sram_rows(train, data)
    hyper = {t: Regularisation(**load_calibration("default").provenance["hyperparameters"][t]) for t in TARGETS}
    cv = cross_validate(data, hyper)
    paper = {p.row: p for p in predict_chips(train)}
    for metric, predicted in (("tops_per_w", cv.tops_per_w), ("tops_per_mm2", cv.tops_per_mm2)):
        reported = np.array([getattr(by_row[r], metric) for r in data.comp.rows])[sram]
        baseline = np.array([getattr(paper[r], f"{metric}_paper") for r in data.comp.rows])[sram]
        calibrated, uncalibrated = ratio_stats(predicted[sram], reported), ratio_stats(baseline, reported)
        assert calibrated["n"] >= 45
        assert calibrated["median_abs_error"] < 0.9 * uncalibrated["median_abs_error"], metric
        assert calibrated["within_2x"] > uncalibrated["within_2x"], metric


def _three_chips(tmp_path):
    # chips 1 and 4 share a title: one chip; each chip has two operating points
    rows = []
    for i, title in (("1", "A"), ("2", "B"), ("3", "C"), ("4", "A")):
        for vdd in ("0.9", "0.7"):
            rows.append(with_(GOOD, Index=i, **{"Paper Title": title, "Supply V(V)": vdd}))
    return fit_data(load_chips(write_csv(tmp_path, rows)))


def test_cross_validation_leaves_out_whole_chips(tmp_path, monkeypatch):
    data = _three_chips(tmp_path)
    seen = []
    real_fit = cal.fit_theta
    monkeypatch.setattr(cal, "fit_theta", lambda d, hyper=None: seen.append(set(d.chip_id)) or real_fit(d, hyper))
    cv = cross_validate(data, fixed_hyper())
    folds = leave_one_chip_out_folds(data.chip_id)
    assert len(folds) == len(seen) == 3
    for (train, test), trained_on in zip(folds, seen):
        held_out = set(data.chip_id[test])
        assert len(held_out) == 1 and not held_out & trained_on and not held_out & set(data.chip_id[train])
    assert np.isfinite(cv.tops_per_w).all()


def test_nested_cross_validation_chooses_hyperparameters_without_the_held_out_chip(tmp_path, monkeypatch):
    data = _three_chips(tmp_path)
    seen = []
    real_fit = cal.fit_theta
    monkeypatch.setattr(cal, "fit_theta", lambda d, hyper=None: seen.append(set(d.chip_id)) or real_fit(d, hyper))
    cv = cross_validate(data)  # nested: inner search + final fit per outer fold
    folds = leave_one_chip_out_folds(data.chip_id)
    per_fold = len(seen) // len(folds)
    assert per_fold == len(cal.GRID) * 2 + 1  # 2 training chips -> 2 inner folds per grid point, then the fit
    for k, (_, test) in enumerate(folds):
        held_out = set(data.chip_id[test])
        assert all(not held_out & fit for fit in seen[k * per_fold:(k + 1) * per_fold])
    assert set(cv.hyper_by_chip) == set(data.chip_id) and all(
        h[t] in cal.GRID for h in cv.hyper_by_chip.values() for t in TARGETS)


def test_grouped_folds_keep_chips_whole():
    chip_id = np.array(["a", "a", "b", "c", "c", "d", "e", "f", "g"])
    folds = grouped_folds(chip_id, k=3)
    assert len(folds) == 3
    tested = np.sum([test for _, test in folds], axis=0)
    assert (tested == 1).all()  # every row is held out exactly once
    for train, test in folds:
        assert not set(chip_id[train]) & set(chip_id[test])
    assert [sorted(set(chip_id[t])) for _, t in folds] == [["a", "d", "g"], ["b", "e"], ["c", "f"]]


def test_calibrate_chooses_its_regularisation_and_states_nested_errors(tmp_path):
    rows = []  # 6 chips x 3 operating points of a QS bank, the reported figures scaled per chip
    for chip in range(6):
        for k, vdd in enumerate(("0.9", "0.8", "0.7")):
            rows.append(with_(GOOD, Index=str(chip + 1), **{"Paper Title": f"chip {chip}", "Supply V(V)": vdd,
                                                          "TOPS/W": f"{100 * (1 + 0.2 * chip + 0.1 * k):g}",
                                                          "TOPS/mm2": f"{10 * (1 + 0.1 * chip):g}"}))
    calib = calibrate(load_chips(write_csv(tmp_path, rows)))
    prov = calib.provenance
    assert prov["hyperparameters_searched"] and prov["rows_fitted"] == 18
    assert {t: Regularisation(**prov["hyperparameters"][t]) for t in TARGETS}["tops_per_w"] in cal.GRID
    assert sum(prov["outer_fold_hyperparameter_choices"]["tops_per_w"].values()) == 6  # one choice per chip
    assert calib.cross_validation["leave_one_chip_out"]["groups"]["all"]["tops_per_w"]["model"]["n"] == 18


def test_tops_per_mm2_given_the_reported_tcore_tests_the_area_alone(tmp_path):
    # the DIMC bank of test_dimc_row_by_hand: 8192 ops per invocation, area 0.0281353 mm2, model clock 2.1701 ns.
    # With the reported T_core = 10 ns: 8192 / 10 ns / 0.0281353 mm2 / 1000 = 29.116 TOPS/mm2.
    header = HEADER + ["T_core(ns)", "IMC_Processor"]
    rows = [DIMC_ROW + ["10", ""], with_(DIMC_ROW, Index="2") + ["", "Y"]]
    chips = load_chips(write_csv(tmp_path, rows, header=header))
    timed, untimed = predict_chips(chips)
    assert timed.t_core_ns == 10 and timed.tops_per_mm2_given_tcore_paper == pytest.approx(29.116, rel=1e-3)
    assert timed.tops_per_mm2_paper == pytest.approx(134.17, rel=1e-3)  # the architecture's own clock
    assert timed.tops_per_mm2_given_tcore_reported == timed.tops_per_mm2_reported
    assert math.isnan(untimed.tops_per_mm2_given_tcore_paper) and math.isnan(untimed.tops_per_mm2_given_tcore_reported)
    assert untimed.imc_processor and not timed.imc_processor


def test_validation_figures_have_bands_and_groups(tmp_path):
    preds = predict_chips(load_chips(write_csv(tmp_path, [GOOD, DIMC_ROW, with_(GOOD, Index="9", **{
        "Compute Model": "", "Architecture": "Digital"})])), load_calibration("default"))
    figures = {f.key: f for f in validation_figures(preds)}
    assert set(figures) == {"validation_tops_per_w", "validation_tops_per_mm2", "validation_error_by_node",
                            "validation_error_by_compute_model", "chip_landscape"}
    bands = figures["validation_tops_per_w"].ref_lines
    slopes = sorted(round(float(y[0] / x[0]), 3) for x, y, _ in bands)
    assert slopes == [0.5, 0.667, 1.0, 1.5, 2.0]
    landscape = {s.name for s in figures["chip_landscape"].series}
    assert any(n.startswith("digital") for n in landscape) and any(n.startswith("DIMC") for n in landscape)


# --- command line ------------------------------------------------------------------------------------------
def test_validate_json_shape_and_garbage_rows(tmp_path):
    path = write_csv(tmp_path, [GOOD, DIMC_ROW, with_(GOOD, Index="3", N_row="zero"),
                                with_(GOOD, Index="4", **{"Supply V(V)": "-1"})])
    result = run_cli("validate", "--chips", path, "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert set(data) >= {"rows", "summary"} and len(data["rows"]) == 4
    required = {"index", "title", "tops_per_w_reported", "tops_per_w_model", "tops_per_mm2_reported",
                "tops_per_mm2_model", "modeled", "reason"}
    assert all(required <= set(row) for row in data["rows"])
    assert [r["modeled"] for r in data["rows"]] == [True, True, False, False]
    assert "N_row missing" in data["rows"][2]["reason"] and "must be positive" in data["rows"][3]["reason"]
    assert data["rows"][2]["tops_per_w_model"] is None
    summary = data["summary"]
    assert "median(|ratio - 1|)" in summary["definition"] and summary["calibration"]["in_sample"] is False
    both = summary["groups"]["all"]["tops_per_w"]
    assert both["model"]["n"] == both["paper"]["n"] == 2
    assert summary["groups"]["SRAM macros"]["tops_per_w"]["model"]["n"] == 2 and "SRAM processors" not in summary["groups"]
    assert summary["groups"]["all"]["tops_per_mm2_given_tcore"]["model"]["n"] == 0  # no T_core column in this file


def test_validate_paper_baseline_and_output_files(tmp_path):
    path = write_csv(tmp_path, [GOOD, DIMC_ROW])
    out = tmp_path / "out"
    result = run_cli("validate", "--chips", path, "--calibration", "paper", "--json", "--out", out)
    assert result.returncode == 0, result.stderr
    rows = result.json()["rows"]
    assert all(r["tops_per_w_model"] == r["tops_per_w_paper"] for r in rows)
    names = {p.name for p in out.iterdir()}
    assert {"validation_rows.csv", "validation_tops_per_w.png", "validation_tops_per_w.svg",
            "chip_landscape.svg", "validation_error_by_compute_model.png"} <= names


def test_bad_inputs_exit_2_with_a_clear_message(tmp_path):
    missing = write_csv(tmp_path, [GOOD[:-2]], header=HEADER[:-2], name="missing.csv")
    result = run_cli("validate", "--chips", missing)
    assert result.returncode == 2 and "'TOPS/mm2', 'Compute Model'" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("calibrate", "--chips", write_csv(tmp_path, [GOOD]), "--out", tmp_path / "c.yaml")
    assert result.returncode == 2 and "too few" in result.stderr
    result = run_cli("validate", "--chips", write_csv(tmp_path, [GOOD]), "--calibration", tmp_path / "nope.yaml")
    assert result.returncode == 2 and "not found" in result.stderr


def test_calibrate_command_writes_a_calibration_validate_can_use(tmp_path):
    train = shared_path("imc_data", "chips_train.csv")
    out = tmp_path / "calib.yaml"
    result = run_cli("calibrate", "--chips", train, "--out", out, "--json", "--ridge", "0.2", "--robust-scale", "0.3")
    assert result.returncode == 0, result.stderr
    prov = result.json()["provenance"]
    assert prov["rows_fitted"] == 66 and not prov["hyperparameters_searched"]
    assert prov["hyperparameters"]["tops_per_mm2"] == {"ridge": 0.2, "robust_scale": 0.3}
    check = run_cli("validate", "--chips", train, "--calibration", out, "--json")
    assert check.returncode == 0, check.stderr
    summary = check.json()["summary"]
    assert summary["calibration"]["in_sample"] is True
    sram = summary["groups"]["SRAM"]["tops_per_w"]
    assert sram["model"]["median_abs_error"] < sram["paper"]["median_abs_error"]
    processors = summary["groups"]["SRAM processors"]["tops_per_mm2"]["model"]["n"]
    assert processors == 14 and summary["groups"]["SRAM macros"]["tops_per_mm2"]["model"]["n"] == 45 - processors
