"""Conformal intervals, the trivial and regression baselines, the model comparison and the published systems."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from imcbench.errors import ImcbenchError
from imcbench.validation import baselines, conformal
from imcbench.validation.compare import choose_form, verdicts
from imcbench.validation.systems import SYSTEMS_FILE, evaluate_cases, load_cases
from tests.conftest import run_cli


def test_conformal_halfwidth_is_the_finite_sample_quantile():
    scores = np.arange(1, 10, dtype=float)  # n = 9: ceil(10 * 0.8) = 8th smallest
    assert conformal.conformal_halfwidth(scores, 0.8) == 8.0
    assert conformal.conformal_halfwidth(scores[:3], 0.8) == math.inf  # ceil(4 * 0.8) = 4 > 3


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9])
def test_conformal_coverage_on_synthetic_chips_with_known_noise(level):
    rng = np.random.default_rng(1)
    n_chips = 400
    chip_id = np.repeat(np.arange(n_chips).astype(str), 2)
    group = np.where(np.arange(chip_id.size) % 3 == 0, "A", "B")
    sigma = np.where(group == "A", 0.3, 1.2)  # the groups err differently: per-group widths must follow
    resid = rng.normal(0, sigma)
    h = conformal.leave_one_chip_out_halfwidths(resid, chip_id, group, level)
    for g in ("A", "B"):
        cov = conformal.coverage(resid[group == g], h[group == g])["coverage"]
        assert abs(cov - level) < 0.05, (g, cov)
    # the half-width approaches the normal quantile of each group
    z = {0.5: 0.674, 0.8: 1.2816, 0.9: 1.6449}[level]
    assert np.median(h[group == "A"]) == pytest.approx(0.3 * z, rel=0.15)
    assert np.median(h[group == "B"]) == pytest.approx(1.2 * z, rel=0.15)


def test_interval_never_uses_its_own_chip():
    resid = np.array([0.1, 0.1, 5.0, 5.0])
    chip = np.array(["a", "a", "b", "b"])
    h = conformal.leave_one_chip_out_halfwidths(resid, chip, np.full(4, "g"), 0.5, min_group_rows=1)
    assert list(h) == [5.0, 5.0, 0.1, 0.1]


def test_small_groups_use_all_rows():
    resid = np.array([0.1, 0.2, 0.3, 3.0, 3.0, 3.0])
    chip = np.arange(6).astype(str)
    group = np.array(["small", "big", "big", "big", "big", "big"])
    h = conformal.leave_one_chip_out_halfwidths(resid, chip, group, 0.5, min_group_rows=3)
    pooled = conformal.conformal_halfwidth(np.abs(resid[1:]), 0.5)
    assert h[0] == pooled


def test_trivial_predictor_is_the_median_of_the_other_chips_with_the_same_architecture_and_compute_model():
    reported = np.array([1.0, 4.0, 16.0, 100.0, 7.0, 9.0])
    chip = np.array(["a", "b", "c", "d", "e", "e"])
    arch = np.array(["SRAM", "SRAM", "SRAM", "SRAM", "ReRAM", "ReRAM"])
    cm = np.array(["QS", "QS", "QS", "DIMC", "IS", "IS"])
    pred, level = baselines.trivial_loco(reported, chip, arch, cm)
    assert pred[0] == pytest.approx(8.0)  # median of 4 and 16 in log space: sqrt(64)
    assert level[0] == "arch+cm"
    # chip d: no other SRAM DIMC or DIMC row: the median of all other rows (1, 4, 16, 7, 9) = 7
    assert pred[3] == pytest.approx(7.0) and level[3] == "all"
    # chip e (both rows): no other IS row: all other rows 1, 4, 16, 100 -> sqrt(4 * 16) = 8
    assert pred[4] == pytest.approx(8.0) and pred[5] == pytest.approx(8.0)


def test_regression_recovers_a_log_linear_law_and_never_sees_the_held_out_chip():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = 1.0 + x @ np.array([0.5, -1.0, 2.0])
    chip = np.arange(60).astype(str)
    pred = baselines.regression_loco(x, y, chip, ridge=1e-6)
    assert np.max(np.abs(pred - y)) < 1e-3
    y_out = y.copy()
    y_out[0] += 100.0  # an outlier only moves the predictions of the OTHER chips
    assert baselines.regression_loco(x, y_out, chip, ridge=1e-6)[0] == pytest.approx(pred[0], abs=1e-3)


def test_form_choice_prefers_fewer_factors_unless_clearly_better():
    scores = [{"tops_per_w": 1.00, "tops_per_mm2": 1.0}, {"tops_per_w": 0.97, "tops_per_mm2": 0.5},
              {"tops_per_w": 0.96, "tops_per_mm2": 0.49}]
    assert choose_form(scores) == {"tops_per_w": 0, "tops_per_mm2": 1}


def test_verdict_says_when_the_model_loses_to_the_trivial_predictor():
    frame = pd.DataFrame({"compute_model": ["IS"] * 5 + ["QR"] * 5 + ["QS"] * 2,
                          "tops_per_w_reported": [10.0] * 12,
                          "tops_per_w_calibrated": [30.0] * 5 + [11.0] * 5 + [10.0] * 2,
                          "tops_per_w_trivial": [12.0] * 5 + [20.0] * 5 + [50.0] * 2})
    out = {v["compute_model"]: v["outcome"] for v in verdicts(frame)}
    assert out == {"IS": "loses to", "QR": "beats"}  # QS has 2 rows: no verdict


def test_published_systems_name_every_boundary_and_count_the_unmodeled():
    rows = evaluate_cases()
    cases = load_cases()
    assert len(rows) == sum(len(c["measurements"]) for c in cases)
    assert {r.system for r in rows} == {"DIANA", "IBM HERMES 64-core", "Ambrogio 2023", "Axelera Metis"}
    assert all(r.boundary in ("macro", "chip", "digital core", "AI cores") for r in rows)
    skipped = [r for r in rows if r.note]
    assert [r.label for r in skipped] == ["digital core peak"]
    diana = next(r for r in rows if r.system == "DIANA" and r.boundary == "macro")
    # the macro model of DIANA's AIMC core: 2 x 1152 x 512 ops per conversion cycle, a positive finite figure
    assert math.isfinite(diana.paper) and diana.ratio == pytest.approx(diana.paper / 600)
    e2e = next(r for r in rows if r.system == "DIANA" and r.boundary == "chip")
    assert e2e.paper < diana.paper  # a network with memories costs more per op than the macro's peak


def test_validate_systems_cli_prints_each_system_with_its_boundary():
    result = run_cli("validate", "--systems")
    assert result.returncode == 0, result.stderr
    for name in ("DIANA", "HERMES", "Ambrogio", "Metis"):
        assert name in result.stdout
    assert "macro" in result.stdout and "chip" in result.stdout and "AI cores" in result.stdout
    assert "10 of 11 published figures modeled" in result.stdout


def test_damaged_systems_file_is_one_clear_error(tmp_path):
    data = yaml.safe_load(SYSTEMS_FILE.read_text())
    data["systems"][0]["measurements"][0]["value"] = "six hundred"
    path = tmp_path / "systems.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ImcbenchError, match="numeric value"):
        load_cases(path)


def test_compare_models_puts_every_model_on_the_same_rows():
    from imcbench.validation.chips import PACKAGED_CHIPS_FILE, load_chips
    from imcbench.validation.compare import MODELS, compare_models

    result = compare_models(load_chips(PACKAGED_CHIPS_FILE), nested_hyper=False)
    frame, summary = result.frame, result.summary
    for metric in ("tops_per_w", "tops_per_mm2"):
        counts = {m: summary["all"][metric][m]["n"] for m in MODELS}
        assert len(set(counts.values())) == 1, counts  # same rows for every model
        assert counts["paper"] == int(np.sum(frame[f"{metric}_reported"] > 0))
        for m in MODELS:
            assert 0.5 <= summary["all"][metric][m]["interval_coverage"] <= 1.0
    # the trivial column is the trivial predictor of these rows (nothing else leaks in)
    expected, _ = baselines.trivial_loco(frame.tops_per_w_reported, frame.chip_id, frame.architecture,
                                         frame.compute_model)
    np.testing.assert_allclose(frame.tops_per_w_trivial, expected)
    # verdicts follow the summary's numbers
    for v in result.verdicts:
        cell = summary[v["compute_model"]]["tops_per_w"]
        assert v["model_median_error"] == pytest.approx(cell["calibrated"]["median_abs_error"])
        assert (v["outcome"] == "loses to") == (cell["calibrated"]["median_abs_error"] >
                                                cell["trivial"]["median_abs_error"])


@pytest.mark.parametrize("name, hardware", [("IBM HERMES 64-core", "hermes_64core.yaml"),
                                            ("Ambrogio 2023", "ambrogio2023.yaml")])
def test_pcm_systems_are_modeled_with_the_pcm_cell(name, hardware):
    from dataclasses import replace

    from imcbench.celltech import get_cell
    from imcbench.hardware.loading import load_system

    macro = load_system(SYSTEMS_FILE.parent / "systems" / hardware).macro
    assert macro.cell == "pcm"
    pcm, sram = macro.evaluate(), replace(macro, cell="sram6t").evaluate()
    # every cell of every macro is read once per cycle at the cell table's compute read energy
    cells = macro.rows * macro.cols * macro.n_macros
    assert pcm.energy_per_cycle_pj["bitline"] == pytest.approx(cells * get_cell("pcm").read_energy_fj_per_bit / 1e3)
    assert pcm.tops_per_w < sram.tops_per_w  # a PCM read (V^2 G t) costs more than the SRAM bit-line C V^2
    assert pcm.tops == pytest.approx(sram.tops)  # the cell does not change the model's clock
    rows = [r for r in evaluate_cases() if r.system == name and r.metric == "tops_per_w"]
    assert rows and all(r.paper == pytest.approx(pcm.tops_per_w) for r in rows)


def test_calibrated_column_scales_the_cell_terms_the_calibration_was_fitted_on(tmp_path):
    from imcbench.validation.predict import DEFAULT_ENVM_CELL_MODEL, NVM_CELL_AREA_RATIO, fitted_cell_terms

    assert fitted_cell_terms("sram6t") is None
    assert fitted_cell_terms("pcm", "table") == {"cell_area_ratio": pytest.approx(25 / 150), "cell_read_fj": 10.0}
    constants = fitted_cell_terms("pcm", "constants")
    assert constants["cell_area_ratio"] == NVM_CELL_AREA_RATIO and math.isnan(constants["cell_read_fj"])
    # the packaged calibration uses the default eNVM model; under 'constants' a PCM macro's calibrated TOPS/W is
    # that of the SRAM bit-line model its eNVM factor was fitted on, while the paper column reads the PCM cell
    assert DEFAULT_ENVM_CELL_MODEL == "constants"
    case = next(c for c in load_cases() if c["name"] == "IBM HERMES 64-core")
    hardware = yaml.safe_load((SYSTEMS_FILE.parent / case["hardware"]).read_text())
    hardware["macro"]["cell"] = "sram6t"
    (tmp_path / "hermes_sram.yaml").write_text(yaml.safe_dump(hardware))
    pcm = [r for r in evaluate_cases([case]) if r.metric == "tops_per_w"]
    sram = [r for r in evaluate_cases([{**case, "hardware": str(tmp_path / "hermes_sram.yaml")}])
            if r.metric == "tops_per_w"]
    assert pcm[0].calibrated == pytest.approx(sram[0].calibrated)
    assert pcm[0].paper < sram[0].paper


@pytest.mark.parametrize("envm_cells", [None, "table_area", "table"])
def test_compare_models_predicts_with_the_requested_envm_cell_model(monkeypatch, envm_cells):
    from imcbench.validation import compare
    from imcbench.validation.chips import PACKAGED_CHIPS_FILE, load_chips
    from imcbench.validation.predict import DEFAULT_ENVM_CELL_MODEL

    seen = []

    class Stop(Exception):
        pass

    def components(chips, envm_cells="constants", adc_model="paper"):
        seen.append(envm_cells)
        raise Stop

    monkeypatch.setattr(compare, "chip_components", components)
    with pytest.raises(Stop):
        compare.compare_models(load_chips(PACKAGED_CHIPS_FILE), envm_cells=envm_cells)
    assert seen == [envm_cells or DEFAULT_ENVM_CELL_MODEL]
