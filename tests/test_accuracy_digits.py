"""Digits networks through the macro model, and the accuracy-aware exploration and figures."""

from __future__ import annotations

import numpy as np
import pytest

from imcbench.accuracy import MvmConfig
from imcbench.accuracy import digits as dg
from imcbench.accuracy.explore import (adc_bit_energy, cheapest_for_sqnr, design_grid, network_sqnr,
                                       sqnr_constraint_mask)
from imcbench.accuracy.figures import accuracy_figures
from imcbench.macro.components import ADC_CAP_PER_BIT_FF
from imcbench.figspec import save_static
from imcbench.workload import Layer, load_workload


@pytest.fixture(scope="module")
def models():
    return dg.train_mlp(), dg.train_cnn()


def test_both_models_learn_digits(models):
    for model in models:
        assert model.float_accuracy >= 0.93, model.name


def test_im2col_and_col2im_are_adjoint():
    rng = np.random.default_rng(0)
    maps, grads = rng.standard_normal((2, 8, 8, 3)), rng.standard_normal((2 * 64, 27))
    assert np.sum(dg.im2col(maps) * grads) == pytest.approx(np.sum(maps * dg._col2im(grads, 2, 3)), rel=1e-12)


def test_dimc_keeps_the_float_accuracy(models):
    for model in models:
        acc = dg.analog_accuracy(model, MvmConfig(kind="dimc", rows=256, bits_per_cycle=1))
        assert acc >= model.float_accuracy - 0.02, model.name


def test_accuracy_collapses_at_2_adc_bits_and_saturates_by_8(models):
    mlp = models[0]
    low = dg.analog_accuracy(mlp, MvmConfig(rows=256, adc_bits=2))
    high = dg.analog_accuracy(mlp, MvmConfig(rows=256, adc_bits=8))
    assert low < mlp.float_accuracy - 0.3
    assert high >= mlp.float_accuracy - 0.01


def test_fixed_full_scale_wastes_resolution_on_partly_used_arrays(models):
    """64-input layers on 256 rows use a quarter of a fixed full scale: 5 bits act like 3."""
    mlp = models[0]
    fixed = dg.analog_accuracy(mlp, MvmConfig(rows=256, adc_bits=5, adc_range="fixed"))
    calibrated = dg.analog_accuracy(mlp, MvmConfig(rows=256, adc_bits=5))
    assert fixed < calibrated - 0.2


def test_adc_bit_energy_step_is_the_adc_model_amortised_over_rows():
    """Per MAC one extra ADC bit costs (Bi/Bc) Bw k5 V^2 / rows = 4 * 8 * 81 fJ / 256 = 10.1 fJ, plus
    wider place-value adders and accumulators (under 0.6 fJ at 4 bits)."""
    table = adc_bit_energy(rows=256, adc_bits=[3, 4])
    adc_only = 4 * 8 * ADC_CAP_PER_BIT_FF * 0.9**2 / 256
    assert adc_only < table["extra_fj_per_mac_for_this_bit"].iloc[1] < adc_only + 0.6


def test_constraint_mask_and_cheapest_design():
    grid = design_grid(rows=(64, 256), adc_bits=(3, 5, 7), bits_per_cycle=(2,))
    layer = Layer("c", "conv", K=32, C=16, OY=8, OX=8, FY=3, FX=3)
    mask = sqnr_constraint_mask(grid, layer, 25.0)
    assert mask.dtype == bool and mask.shape == (len(grid),)
    dimc = (grid["kind"] == "dimc").to_numpy()
    assert mask[dimc].all() and not sqnr_constraint_mask(grid, layer, 45.0)[dimc].any()  # 8-bit limit ~39 dB
    aimc3 = ((grid["kind"] == "aimc") & (grid["adc_bits"] == 3)).to_numpy()
    assert not mask[aimc3].any()
    layers = load_workload("resnet8").layers[:3]
    loose, tight = cheapest_for_sqnr(layers, 10.0, grid=grid), cheapest_for_sqnr(layers, 25.0, grid=grid)
    assert loose.cheapest_aimc["min_sqnr_db"] >= 10.0 and tight.cheapest_aimc["min_sqnr_db"] >= 25.0
    assert tight.cheapest_aimc["energy_per_mac_fj"] > loose.cheapest_aimc["energy_per_mac_fj"]
    sqnr = network_sqnr(grid, layers)["min_sqnr_db"]
    feasible = grid[(grid["kind"] == "aimc") & (sqnr >= 25.0)]
    assert tight.cheapest_aimc["energy_per_mac_fj"] == pytest.approx(feasible["energy_per_mac_fj"].min())


def test_accuracy_figures_from_given_points(tmp_path):
    points = [dg.AccuracyPoint(m, b, a, 256, 0.0, "calibrated")
              for m in ("mlp", "cnn") for b, a in ((2, 0.3), (4, 0.9), (6, 0.97))]
    figs = accuracy_figures("resnet8", rows=(64, 256), adc_bits=range(3, 8), points=points)
    assert [f.key for f in figs] == ["accuracy_energy_sqnr", "accuracy_digits_adc", "accuracy_energy_digits"]
    aimc256 = next(s for s in figs[0].series if s.name == "AIMC 256 rows")
    assert np.all(np.diff(aimc256.x) > 0) and np.all(np.diff(aimc256.y) < 0)  # more bits: SQNR up, TOPS/W down
    paths = save_static(figs[1], tmp_path)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
