"""`imcbench macro` and `imcbench peak` from the command line: JSON shapes, numbers and bad inputs."""

from __future__ import annotations

import pytest


def test_macro_json_shape_and_values(cli):
    out = cli("macro", "aimc", "--rows", "256", "--cols", "256", "--adc-rule", "paper", "--json")
    assert out.returncode == 0, out.stderr
    data = out.json()
    for key in ("tclk_ns", "area_mm2", "tops", "tops_per_w", "tops_per_mm2", "energy_per_cycle_pj",
                "area_mm2_by_component", "tclk_ns_by_component"):
        assert key in data
    assert data["tops_per_w"] == pytest.approx(21.1677, rel=1e-4)  # the paper's 256x256 AIMC macro
    assert data["macro"]["adc_bits"] == 6.0 and data["macro"]["weight_cols"] == 32
    assert sum(data["energy_per_cycle_pj"].values()) == pytest.approx(2 * 2048 / data["tops_per_w"])
    assert sum(data["tclk_ns_by_component"].values()) == pytest.approx(data["tclk_ns"])
    assert sum(data["area_mm2_by_component"].values()) == pytest.approx(data["area_mm2"])


def test_macro_options_change_the_result(cli):
    paper = cli("macro", "dimc", "--rows", "128", "--cols", "128", "--delay-model", "paper", "--json").json()
    zigzag = cli("macro", "dimc", "--rows", "128", "--cols", "128", "--json").json()
    assert paper["tclk_ns"] == pytest.approx(3.8718, rel=1e-4) and zigzag["tclk_ns"] == pytest.approx(3.75708)
    scaled = cli("macro", "dimc", "--rows", "128", "--cols", "128", "--node", "14", "--vdd", "0.7", "--json").json()
    assert scaled["tops_per_w"] > 2 * zigzag["tops_per_w"]  # smaller capacitance and lower supply


def test_peak_table_json(cli):
    data = cli("peak", "--json").json()
    assert len(data["macros"]) == 12
    aimc = {m["rows"]: m["tops_per_w"] for m in data["macros"] if m["kind"] == "aimc"}
    assert aimc[32] == pytest.approx(4.0077, rel=1e-4) and aimc[1024] == pytest.approx(49.7709, rel=1e-4)


@pytest.mark.parametrize("args, message", [
    (["aimc", "--rows", "0", "--cols", "64"], "rows must be"),
    (["aimc", "--rows", "-8", "--cols", "64"], "rows must be"),
    (["aimc", "--rows", "64", "--cols", "64", "--bits-per-cycle", "9"], "bits_per_cycle must not exceed"),
    (["dimc", "--rows", "64", "--cols", "60"], "multiple of weight_bits"),
    (["dimc", "--rows", "64", "--cols", "64", "--adc-bits", "6"], "aimc macros only"),
    (["aimc", "--rows", "64", "--cols", "64", "--adc-bits", "6", "--adc-rule", "paper"], "not both"),
    (["aimc", "--rows", "64", "--cols", "64", "--vdd", "0.2"], "vdd"),
    (["aimc", "--rows", "abc", "--cols", "64"], "--rows"),
    (["xmc", "--rows", "64", "--cols", "64"], "xmc"),
])
def test_macro_bad_inputs(cli, args, message):
    out = cli("macro", *args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("delay_args, tclk", [((), 16.1358), (("--delay-model", "paper"), 16.82412)])
def test_macro_and_peak_print_the_same_clock(cli, delay_args, tclk):
    """One default delay model: `macro` and `peak` agree on the same 256-row AIMC macro, and both take the
    other variant as a named option (clock periods: zigzag-dse 3.9.1 and the paper's
    Fig. 8 data, zigzag-imc b0f0319 paper_data/peak_vs_macro_size.csv)."""
    macro = cli("macro", "aimc", "--rows", "256", "--cols", "256", *delay_args, "--json").json()
    peak = cli("peak", "--sizes", "256", *delay_args, "--json").json()
    aimc = [m for m in peak["macros"] if m["kind"] == "aimc"][0]
    assert macro["tclk_ns"] == pytest.approx(tclk, rel=1e-5)
    assert aimc["tclk_ns"] == pytest.approx(macro["tclk_ns"], rel=1e-12)
