"""The accuracy model reads the cell: read and programming noise, and PCM drift with and without compensation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import assert_user_error, run_cli
from imcbench.accuracy.cellnoise import active_rows, drift_state, row_read_noise_lsb, with_gain_error
from imcbench.accuracy.montecarlo import monte_carlo_sqnr_db
from imcbench.accuracy.noise import MvmConfig
from imcbench.celltech import get_cell
from imcbench.errors import ImcbenchError

DAY_S = 86400.0
BASE = MvmConfig(rows=256, adc_bits=8, bits_per_cycle=2)


def test_sram_cell_leaves_the_model_as_it_was():
    sram = BASE.with_cell("sram6t")
    assert sram.read_noise == 0 and sram.read_noise_per_row == 0 and sram.cell_sigma == 0 and sram.drift.gain == 1.0
    assert sram.sqnr_db(256) == BASE.sqnr_db(256)


def test_cell_noise_comes_from_the_table():
    rram = get_cell("rram")
    cfg = BASE.with_cell("rram")
    assert cfg.cell_sigma == rram.programming_noise_rel
    # uniform 2-bit input slices: E[x^2] = (0 + 1 + 4 + 9) / 4 = 3.5
    assert cfg.read_noise_per_row == pytest.approx(rram.read_noise_rel * math.sqrt(3.5))
    assert row_read_noise_lsb(rram, 1, 2) == pytest.approx(rram.read_noise_rel * 3 * math.sqrt(0.5))
    assert cfg.sqnr_db(256) < BASE.sqnr_db(256) - 3  # noisy cells cost SQNR
    # noise grows with the rows driven: 600 rows run as 3 conversions of 200 rows on a 256-row macro
    assert active_rows(600, 256) == pytest.approx(200.0)
    per_row_only = BASE.with_(read_noise_per_row=cfg.read_noise_per_row)
    as_fixed = BASE.with_(read_noise=cfg.read_noise_per_row * math.sqrt(200.0))
    assert per_row_only.sqnr_db(600) == pytest.approx(as_fixed.sqnr_db(600), rel=1e-12)


def test_drift_state_is_the_lognormal_mean_and_spread():
    state = drift_state(0.05, 0.02, DAY_S, compensated=False)
    nu = np.random.default_rng(1).normal(0.05, 0.02, 400_000)
    g = DAY_S ** -nu
    assert state.factor == pytest.approx(g.mean(), rel=5e-3)
    assert state.spread_sigma == pytest.approx(g.std() / g.mean(), rel=2e-2)
    assert state.gain == state.factor
    assert drift_state(0.05, 0.02, DAY_S, compensated=True).gain == 1.0
    assert drift_state(0.05, 0.02, 0.5, compensated=False).factor == 1.0  # before t0: as programmed


def test_gain_error_formula():
    assert with_gain_error(30.0, 1.0) == pytest.approx(30.0)
    assert with_gain_error(200.0, 0.5) == pytest.approx(-20 * math.log10(0.5), abs=1e-6)  # pure gain error


@pytest.mark.parametrize("compensated", [True, False])
def test_pcm_drift_lowers_sqnr_over_time(compensated):
    pcm = get_cell("pcm")
    one_s = BASE.with_cell("pcm", t_s=1.0, compensated=compensated)
    one_hour = BASE.with_cell("pcm", t_s=3600.0, compensated=compensated)
    one_day = BASE.with_cell("pcm", t_s=DAY_S, compensated=compensated)
    assert one_day.sqnr_db(256) < one_hour.sqnr_db(256) < one_s.sqnr_db(256)
    if not compensated:  # the gain error alone bounds the SQNR
        f = drift_state(pcm.drift_nu, pcm.drift_nu_std, DAY_S / pcm.drift_t0_s, False).factor
        assert one_day.sqnr_db(256) <= -20 * math.log10(1 - f) + 1e-9


def test_compensation_removes_the_gain_error_when_spread_is_small():
    """With no nu spread and no read noise, the ADC range follows the drift (ratiometric) and compensation
    restores the gain: the SQNR stays at the undrifted value; uncompensated, the (1 - f) gain error remains."""
    cfg = BASE.with_(drift_nu=0.05, drift_time_ratio=DAY_S)
    assert cfg.with_(drift_compensated=True).sqnr_db(256) == pytest.approx(BASE.sqnr_db(256))
    assert cfg.with_(drift_compensated=False).sqnr_db(256) < 10.0


@pytest.mark.parametrize("t_s,compensated", [(1.0, True), (DAY_S, True), (DAY_S, False)])
def test_analytic_drift_matches_monte_carlo(t_s, compensated):
    cfg = BASE.with_cell("pcm", t_s=t_s, compensated=compensated)
    mc = monte_carlo_sqnr_db(256, cfg, trials=256, outputs=64, seed=3)
    assert abs(cfg.sqnr_db(256) - mc) < 1.0


def test_bad_drift_input():
    with pytest.raises(ImcbenchError, match="time after programming"):
        BASE.with_cell("pcm", t_s=-5)
    with pytest.raises(ImcbenchError, match="drift_time_ratio"):
        BASE.with_(drift_time_ratio=0.5)


def test_accuracy_cli_cell_and_time():
    args = ("accuracy", "-n", "ds-cnn", "--no-digits", "--adc-bits", "6", "--json", "--cell", "pcm",
            "--no-drift-compensation")
    early, late = (run_cli(*args, "--time", t) for t in ("1", "86400"))
    assert early.returncode == 0 and late.returncode == 0, late.stderr
    early, late = early.json(), late.json()
    assert late["cell"]["name"] == "pcm" and late["macro"]["drift_time_ratio"] == 86400
    for a, b in zip(early["layers"], late["layers"]):
        assert b["sqnr_db"]["6"] < a["sqnr_db"]["6"]
    assert_user_error(run_cli("accuracy", "--no-digits", "--cell", "eeprom"), "unknown cell technology 'eeprom'",
                      "pcm", "rram")
    assert_user_error(run_cli("accuracy", "--no-digits", "--cell", "pcm", "--noise", "1"), "--cell")
