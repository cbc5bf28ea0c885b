"""Scaling limits: the shapes the model must have (slopes, caps, MMM terms, crossover per bit), its numbers
against the reconstruction of Bowen et al. (arXiv 2302.06417) and hand derivations, the bridge to macros and chips, and the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from imcbench.errors import ImcbenchError
from imcbench.macro import MacroSpec
from imcbench.scaling import (DEFAULT_PARAMS, FUNDAMENTAL_PARAMS, MACHINES, ScalingParams, adc_energy_pj,
                              crossover_n, dac_energy_pj, energy_per_op, mac_energy_pj, scaling_table,
                              thermal_floor_pj)
from imcbench.scaling.bridge import best_chips, chips_vs_limit, macro_curves
from imcbench.scaling.figures import scaling_figures
from imcbench.scaling.model import weight_write_energy_pj
from imcbench.validation import load_chips

from conftest import run_cli, shared_path

KT_FJ = 1.380649e-23 * 300.0 * 1e15  # kT at 300 K in fJ
P = 256


def slope(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


# --- converters and arithmetic: Walden FOM, Schreier kT floor, Horowitz 2014 -------------------------
def test_converter_energies_match_model_reference_table():
    bits = np.array([4, 6, 8, 10, 12])
    walden = ScalingParams(converter_model="walden")
    np.testing.assert_allclose(adc_energy_pj(bits, walden), [0.08, 0.32, 1.28, 5.1, 20.5], rtol=0.01)
    np.testing.assert_allclose(thermal_floor_pj(bits) * 1e3, [0.013, 0.20, 3.3, 52, 834], rtol=0.03)
    assert dac_energy_pj(8, walden) == pytest.approx(0.3, rel=0.01)
    assert mac_energy_pj(8) == pytest.approx(0.23)
    # 'max' picks the survey figure at 8 bits and the thermal floor once 4^b overtakes 2^b (~16.6 b)
    assert adc_energy_pj(8) == pytest.approx(1.28)
    assert adc_energy_pj(18) == pytest.approx(12 * KT_FJ * 4.0 ** 18 / 1e3)


def test_digital_mac_grows_as_b_squared_and_thermal_as_4_per_bit():
    assert mac_energy_pj(32) / mac_energy_pj(16) == pytest.approx(4, rel=0.05)
    assert thermal_floor_pj(9) / thermal_floor_pj(8) == pytest.approx(4)


# --- the five machines --------------------------------------------------------------------------------
def test_analog_converter_terms_fall_as_one_over_n_below_the_array_size():
    n = 2.0 ** np.arange(2, 9)  # 4 .. 256 = P
    res = energy_per_op("analog_resident", n, 8, P)
    assert slope(n, res.terms["dac"] + res.terms["adc"]) == pytest.approx(-1, abs=1e-9)
    ideal = energy_per_op("analog_resident", n, 8, P, params=DEFAULT_PARAMS.with_(cell_fj=0.0))
    assert slope(n, ideal.total) == pytest.approx(-1, abs=1e-9)  # the paper's ideal array
    assert -1.0 <= slope(n, res.total) < -0.95  # with the array's own line energy as a small floor


def test_analog_is_flat_beyond_the_array_size():
    n = P * np.arange(1, 65)
    res = energy_per_op("analog_resident", n, 8, P)
    converters_and_array = res.terms["dac"] + res.terms["adc"] + res.terms["array"]
    np.testing.assert_allclose(converters_and_array, converters_and_array[0], rtol=1e-12)
    assert res.total.max() / res.total.min() < 1.1  # only the digital partial-sum adds grow
    unbounded = energy_per_op("analog_resident", n, 8, np.inf).total
    assert unbounded[-1] < res.total[-1] / 10  # without the cap it keeps falling


def test_partial_sums_are_added_per_extra_tile():
    res = energy_per_op("analog_resident", 3 * P, 8, P)
    acc_bits = 16 + np.log2(3 * P)
    expected = 2 * 0.03 * acc_bits / 8 / (2 * 3 * P)  # two extra adds per output over 2 N_in ops
    assert float(res.terms["partial_sums"]) == pytest.approx(expected)


def test_rewriting_the_weights_pins_the_energy_to_a_constant():
    n = 2.0 ** np.arange(6, 17)
    rewrite = energy_per_op("analog_rewrite", n, 8, P).total
    resident = energy_per_op("analog_resident", n, 8, np.inf).total
    e_w = 8 * (100 / 64 + 1.701e-3)  # 8 bits read from a 1 MB SRAM (Horowitz) + programmed
    assert weight_write_energy_pj(8) == pytest.approx(e_w)
    assert rewrite.min() >= e_w / 2
    assert rewrite.max() / rewrite.min() < 1.01
    assert resident[0] / resident[-1] > 50  # while resident weights keep gaining (to the array floor)


@pytest.mark.parametrize("dimension, term", [("n_out", "dac"), ("n_in", "adc"), ("vectors", "weights")])
def test_each_mmm_term_is_divided_by_its_own_dimension(dimension, term):
    base = {"n_in": 16.0, "n_out": 16.0, "vectors": 16.0}
    values = np.array([4.0, 16.0, 64.0, 128.0])  # below the array size
    args = {**base, dimension: values}
    res = energy_per_op("analog_mmm", args["n_in"], 8, P, n_out=args["n_out"], vectors=args["vectors"])
    np.testing.assert_allclose(res.terms[term] * values, res.terms[term][0] * values[0], rtol=1e-12)
    for other in ("dac", "adc", "weights", "array"):
        if other != term:
            np.testing.assert_allclose(res.terms[other], res.terms[other][0], rtol=1e-12, err_msg=other)


def test_mmm_and_rewrite_are_the_ends_of_the_weight_reuse_range():
    rewrite = energy_per_op("analog_rewrite", 64, 8, P).total
    resident = energy_per_op("analog_resident", 64, 8, P).total
    assert energy_per_op("analog_mmm", 64, 8, P, vectors=1).total == pytest.approx(rewrite)
    assert energy_per_op("analog_mmm", 64, 8, P, vectors=1e12).total == pytest.approx(resident, rel=1e-6)


def test_digital_imc_is_flat_and_equals_half_a_mac_plus_broadcast():
    n = 2.0 ** np.arange(0, 9)
    res = energy_per_op("digital_imc", n, 8, P).total
    np.testing.assert_allclose(res, (0.23 + 8 * 0.2835e-3) / 2, rtol=1e-12)


def test_scalar_pays_for_weights_moving_from_dram_unless_they_are_reused():
    small = float(energy_per_op("scalar", 16, 8).total)  # 16x16 layer fits in L1
    assert small == pytest.approx(35 + 0.115, rel=0.05)  # (instruction 70 + 8b MAC 0.23 pJ) / 2 ops, Horowitz 2014
    vmm = float(energy_per_op("scalar", 4096, 8).total)  # 16 MB of weights, each used once
    dram_l2_l1 = 8 * (1300 / 64 + 100 / 64 + 20 / 64)  # one weight word per MAC through every level
    assert vmm - small == pytest.approx(dram_l2_l1 / 2, rel=0.05)
    mmm = float(energy_per_op("scalar", 4096, 8, vectors=4096).total)  # blocked reuse from the caches
    assert mmm < 1.2 * small


def test_vectorized_grid_matches_pointwise_calls():
    n, b = np.meshgrid([8.0, 300.0, 5000.0], [3.0, 8.0, 14.0], indexing="ij")
    for machine in MACHINES:
        grid = energy_per_op(machine, n, b, P).total
        assert grid.shape == (3, 3)
        for i in range(3):
            for j in range(3):
                assert grid[i, j] == pytest.approx(float(energy_per_op(machine, n[i, j], b[i, j], P).total))
    table = scaling_table([16, 64], [4, 8], P)
    assert len(table) == len(MACHINES) * 4
    np.testing.assert_allclose(table["tops_per_w"] * table["e_op_pj"], 1.0)


# --- crossover ------------------------------------------------------------------------------------------
def test_crossover_matches_its_closed_form():
    bits = np.arange(12, 21)
    p = FUNDAMENTAL_PARAMS
    digital = mac_energy_pj(bits, p) + bits * p.line_fj_per_bit / 1e3
    closed = (dac_energy_pj(bits, p) + adc_energy_pj(bits, p)) / (digital - p.cell_fj / 1e3)
    np.testing.assert_allclose(crossover_n(bits, p), closed, rtol=1e-6)


def test_crossover_grows_about_4x_per_bit_at_the_thermal_floor_and_2x_with_survey_converters():
    thermal = crossover_n(np.arange(12, 21), FUNDAMENTAL_PARAMS)
    ratios = thermal[1:] / thermal[:-1]
    assert np.all((ratios >= 3) & (ratios <= 5)), ratios
    by_max = crossover_n(np.arange(17, 21), DEFAULT_PARAMS)  # 'max' is thermal-limited above ~16.6 bits
    assert np.all((by_max[1:] / by_max[:-1] >= 3) & (by_max[1:] / by_max[:-1] <= 5))
    walden = crossover_n(np.arange(6, 16), ScalingParams(converter_model="walden"))
    w_ratios = walden[1:] / walden[:-1]
    assert np.all((w_ratios > 1.4) & (w_ratios < 2.0)), w_ratios  # 2 (b/(b+1))^2


def test_crossover_beyond_the_array_size_is_never():
    n_unbounded = float(crossover_n(16, DEFAULT_PARAMS))
    assert n_unbounded > P
    assert crossover_n(16, DEFAULT_PARAMS, array_size=P) == np.inf
    assert crossover_n(8, DEFAULT_PARAMS, array_size=P) == pytest.approx(float(crossover_n(8, DEFAULT_PARAMS)))


# --- bad parameters -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: ScalingParams(converter_model="magic"),
    lambda: ScalingParams(walden_fom_fj=-1.0),
    lambda: ScalingParams(l1_bytes=0.0),
    lambda: energy_per_op("quantum", 16, 8),
    lambda: energy_per_op("analog_resident", 0, 8),
    lambda: energy_per_op("analog_resident", 16, 0),
    lambda: energy_per_op("analog_resident", 16, 8, array_size=0),
    lambda: energy_per_op("analog_mmm", 16, 8, vectors=0.5),
])
def test_bad_parameters_raise_a_user_error(call):
    with pytest.raises(ImcbenchError):
        call()


# --- bridge ---------------------------------------------------------------------------------------------
def test_macro_curves_are_the_macro_model_with_rows_as_n():
    curves = macro_curves([16, 256, 4096], 8)
    aimc = curves[curves.kind == "aimc"].set_index("n")
    dimc = curves[curves.kind == "dimc"].set_index("n")
    assert aimc.at[256.0, "e_op_pj"] == pytest.approx(1 / MacroSpec("aimc", 256, 256).evaluate().tops_per_w)
    assert dimc.at[256.0, "e_op_pj"] == pytest.approx(1 / MacroSpec("dimc", 256, 256).evaluate().tops_per_w)
    terms = ["dac", "adc", "array", "digital"]
    np.testing.assert_allclose(curves[terms].sum(axis=1), curves["e_op_pj"], rtol=1e-12)
    assert aimc["e_op_pj"].is_monotonic_decreasing and aimc.at[16.0, "e_op_pj"] > 10 * aimc.at[4096.0, "e_op_pj"]
    assert dimc["e_op_pj"].max() / dimc["e_op_pj"].min() < 1.2  # digital does not scale with N


CHIP_HEADER = ["Index", "Paper Title", "Authors", "Year", "Tech (nm)", "Architecture", "Cell Type", "N_row",
               "N_col", "Supply V(V)", "B_x", "B_w", "B_ADC", "R_C", "R", "C_C", "C", "N_ADC", "N", "TOPS/W",
               "TOPS/mm2", "Compute Model"]


def _chip_csv(tmp_path, rows):
    path = tmp_path / "chips.csv"
    lines = [",".join(CHIP_HEADER)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_chip_is_placed_against_the_limit_worked_by_hand(tmp_path):
    analog = ["1", "Chip A", "Ann Smith et al.", "2021", "28", "SRAM", "6T", "256", "256", "0.9", "1", "1", "5",
              "256", "256", "1", "1", "256", "256", "100", "10", "QS"]
    digital = ["2", "Chip B", "Bo Li", "2022", "28", "SRAM", "6T", "256", "256", "0.9", "4", "4", "", "256", "256",
               "1", "1", "64", "64", "500", "10", "DIMC"]
    frame = chips_vs_limit(load_chips(_chip_csv(tmp_path, [analog, digital])))
    a = frame[frame.kind == "aimc"].iloc[0]
    assert a["label"] == "Smith'21"
    assert a["e_op1_fj"] == pytest.approx(10.0)  # 1000 / 100 TOPS/W
    # thermal converters (12 kT 4^b) per 2 N ops + half of one cell line charge (0.35 fF x 0.81 V^2)
    limit = 12 * KT_FJ * (4 ** 1 + 4 ** 5) / (2 * 256) + 0.35 * 0.81 / 2
    assert a["limit_fj"] == pytest.approx(limit, rel=1e-3)
    assert a["x_above_limit"] == pytest.approx(10 / limit, rel=1e-3)
    model_terms = [a[f"model_{t}_fj"] for t in ("dac", "adc", "array", "digital", "weights")]
    assert sum(model_terms) == pytest.approx(a["model_fj"])
    assert a["holds_back"] == ("dac", "adc", "array", "digital", "weights")[int(np.argmax(model_terms))]
    b = frame[frame.kind == "dimc"].iloc[0]
    assert np.isnan(b["limit_fj"]) and b["holds_back"] == ""


def test_published_analog_chips_stay_above_the_thermal_limit():
    frame = chips_vs_limit(load_chips(shared_path("imc_data", "chips_train.csv")))
    aimc = frame[frame.kind == "aimc"]
    assert len(aimc) > 30
    assert (aimc["x_above_limit"] >= 1).all(), aimc.loc[aimc["x_above_limit"] < 1, ["label", "x_above_limit"]]
    assert (aimc["limit_survey_fj"] >= aimc["limit_fj"]).all()  # survey converters cost more than the floor
    best = best_chips(frame, "aimc", 5)
    assert best["chip_id"].is_unique and best["e_op1_fj"].is_monotonic_increasing
    modelled = aimc[aimc["model_fj"].notna()]
    assert set(modelled["holds_back"]) <= {"dac", "adc", "array", "digital"}
    assert (modelled["holds_back"] == "adc").mean() > 0.5  # the ADC holds most analog designs back


def test_figures_are_complete_and_plottable_on_log_axes(tmp_path):
    chips = load_chips(_chip_csv(tmp_path, [["1", "Chip A", "Ann Smith", "2021", "28", "SRAM", "6T", "256", "256",
                                             "0.9", "1", "1", "5", "256", "256", "1", "1", "256", "256", "100", "10",
                                             "QS"]]))
    figures = scaling_figures((4, 8), 256, chips=chips)
    keys = [f.key for f in figures]
    assert keys == ["scaling_eop_vs_n_4b", "scaling_eop_vs_n_8b", "scaling_eop_vs_bits", "scaling_crossover_vs_bits",
                    "scaling_vmm_vs_mmm", "scaling_chips", "scaling_chip_terms"]
    for fig in figures:
        assert fig.series, fig.key
        if fig.y_log:
            for s in fig.series:
                y = np.asarray(s.y, dtype=float)
                assert np.all(np.isfinite(y) & (y > 0)), (fig.key, s.name)
    assert [f.key for f in scaling_figures((8,), 256)][-1] == "scaling_vmm_vs_mmm"  # no chips, no chip figures


# --- CLI ------------------------------------------------------------------------------------------------
def test_cli_json_curves():
    result = run_cli("scaling", "--bits", "4,8", "--array-size", "128", "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    curves = data["curves"]
    assert {c["machine"] for c in curves} == set(MACHINES)
    assert {(c["machine"], c["bits"]) for c in curves} == {(m, b) for m in MACHINES for b in (4, 8)}
    for c in curves:
        assert c["array_size"] == 128 and len(c["n"]) == len(c["e_op_pj"]) > 5
    resident = next(c for c in curves if c["machine"] == "analog_resident" and c["bits"] == 8)
    by_n = dict(zip(resident["n"], resident["e_op_pj"]))
    assert by_n[64] / by_n[128] == pytest.approx(2, rel=0.05)  # 1/N below P
    assert by_n[1024] / by_n[128] == pytest.approx(1, rel=0.1)  # flat beyond P
    crossover = {(r["bits"], r["converter_model"]): r for r in data["crossover"]}
    assert crossover[(8, "walden")]["n_unbounded"] > crossover[(4, "walden")]["n_unbounded"]


def test_cli_table_and_figures(tmp_path):
    result = run_cli("scaling", "--bits", "8", "--out", str(tmp_path / "figs"))
    assert result.returncode == 0, result.stderr
    assert "Crossover N" in result.stdout and "analog_resident" in result.stdout
    written = {p.name for p in (tmp_path / "figs").iterdir()}
    assert {"scaling_eop_vs_n_8b.png", "scaling_eop_vs_n_8b.svg", "scaling_vmm_vs_mmm.svg",
            "scaling_crossover_vs_bits.png", "scaling_table.csv"} <= written


@pytest.mark.parametrize("args, needle", [
    (("--bits", "0"), "--bits"), (("--bits", "four"), "--bits"), (("--array-size", "-3"), "--array-size"),
    (("--converter", "magic"), "--converter"),
    (("--chips", "no_such_file.csv"), "not found"),
])
def test_cli_bad_inputs_exit_2_with_one_line(args, needle):
    result = run_cli("scaling", *args, "--json")
    assert result.returncode == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
