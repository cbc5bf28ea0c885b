"""The macro model against the paper's 12 macros, ZigZag's shipped files, and hand-worked values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imcbench.errors import ImcbenchError
from imcbench.hardware.system_peak import system_peak
from imcbench.macro import MacroSpec, evaluate_macros
from imcbench.macro import components as cmp
from imcbench.tech import TECH_28NM, Technology

from conftest import shared_path

SIZES = [32, 64, 128, 256, 512, 1024]


def _reference_specs(frame: pd.DataFrame, kind_col: str, delay_model: str) -> list[MacroSpec]:
    kinds = np.where(frame[kind_col].str.startswith("aimc"), "aimc", "dimc")
    return [MacroSpec(k, int(r), int(c), delay_model=delay_model)
            for k, r, c in zip(kinds, frame.rows, frame.cols)]


@pytest.mark.parametrize("delay_model", ["zigzag", "paper"])
def test_twelve_macros_match_reference(delay_model):
    ref = pd.read_csv(shared_path("reference", "macro_peak_zigzag_vs_paper.csv"))
    results = [s.evaluate() for s in _reference_specs(ref, "kind", delay_model)]
    got = pd.DataFrame({"tclk": [r.tclk_ns for r in results], "area": [r.area_mm2 for r in results],
                        "topsw": [r.tops_per_w for r in results], "tops": [r.tops for r in results]})
    np.testing.assert_allclose(got.tclk, ref[f"tclk_ns_{delay_model}"], rtol=5e-3)
    np.testing.assert_allclose(got.area, ref[f"area_mm2_{delay_model}"], rtol=5e-3)
    np.testing.assert_allclose(got.topsw, ref[f"TOPS_per_W_{delay_model}"], rtol=5e-3)
    np.testing.assert_allclose(got.tops, ref[f"TOPS_{delay_model}"], rtol=5e-3)


def test_component_breakdowns_match_paper_data():
    ref = pd.read_csv(shared_path("reference", "peak_vs_macro_size.csv"))
    specs = _reference_specs(ref, "imc_type", "paper")
    macro = [s.evaluate() for s in specs]
    system = [system_peak(s.params()) for s in specs]
    aimc = ref.imc_type.str.startswith("aimc").to_numpy()

    def check(column, values, mask=None):
        mask = np.ones(len(ref), bool) if mask is None else mask
        np.testing.assert_allclose(np.asarray(values, float)[mask], ref[column].to_numpy()[mask],
                                   rtol=1e-2, err_msg=column)

    e = lambda key: [m.energy_per_cycle_pj[key] for m in macro]  # noqa: E731
    a = lambda key: [m.area_mm2_by_component[key] for m in macro]  # noqa: E731
    check("energy_bank", e("bitline"))
    check("energy_mults", e("multipliers"))
    check("energy_adders", np.add(e("adder_tree"), e("place_value")))
    check("energy_accumulators", e("accumulator"))
    check("adc_energy_pj", e("adc"), aimc)
    check("dac_energy_pj", e("dac"), aimc)
    check("area_bank", a("cells"))
    check("area_mults", a("multipliers"))
    check("area_adders", np.add(a("adder_tree"), a("place_value")))
    check("area_accumulators", a("accumulator"))
    check("area_adc", a("adc"), aimc)
    check("tclk_macro", [m.tclk_ns for m in macro])
    check("topsmm2_macro", [m.tops_per_mm2 for m in macro])
    check("area_cache", [float(s.area_mm2["l2"]) for s in system])
    check("area_regi", [float(s.area_mm2["regi"]) for s in system])
    check("area_rego", [float(s.area_mm2["rego"]) for s in system])
    check("energy_regi_load_pj", [float(s.energy_pj["regi"]) for s in system])
    check("energy_rego_load_pj", [float(s.energy_pj["rego"]) for s in system])
    check("energy_cache2regi_pj", [float(s.energy_pj["l2_to_regi"]) for s in system])
    check("energy_rego2cache_pj", [float(s.energy_pj["rego_to_l2"]) for s in system])
    check("topsw_system", [float(s.tops_per_w) for s in system])
    check("topsmm2_system", [float(s.tops_per_mm2) for s in system])
    check("area_system", [float(s.total_area_mm2) for s in system])


def test_zigzag_shipped_files_clock_and_area():
    # aimc.yaml / dimc.yaml: D1 = D2 = 128 (1024 physical columns), cell area 0 in the files
    aimc = MacroSpec("aimc", 128, 1024, bits_per_cycle=2, adc_bits=8, cells_area_mm2=0.0).evaluate()
    dimc = MacroSpec("dimc", 128, 1024, bits_per_cycle=1, cells_area_mm2=0.0).evaluate()
    assert aimc.tclk_ns == pytest.approx(14.07244, rel=1e-6)
    assert aimc.area_mm2 == pytest.approx(2.28781, rel=1e-5)
    assert dimc.tclk_ns == pytest.approx(3.75708, rel=1e-6)
    assert dimc.area_mm2 == pytest.approx(0.80181, rel=1e-5)
    # ADCs are 93 % of the AIMC area, adder trees 87 % of the DIMC area (zigzag-dse 3.9.1's own test expectations
    # for its shipped aimc.yaml / dimc.yaml)
    assert aimc.area_mm2_by_component["adc"] / aimc.area_mm2 == pytest.approx(0.933, abs=0.005)
    assert dimc.area_mm2_by_component["adder_tree"] / dimc.area_mm2 == pytest.approx(0.868, abs=0.005)


def test_hand_worked_aimc_256():
    # 256 rows x 256 columns: D1 = 32, D2 = 256, Bc = 2, B_ADC = 2 + 0.5*8 = 6, V = 0.9 V
    r = MacroSpec("aimc", 256, 256).evaluate()
    v2 = 0.81
    assert r.energy_per_cycle_pj["dac"] == pytest.approx(256 * 50 * 2 * v2 / 1e3)  # 20.7 pJ
    assert r.energy_per_cycle_pj["adc"] == pytest.approx(256 * (600 + 0.001 * 4 ** 6) * v2 / 1e3)
    # N_pv = 6*7 + 8*2.5 = 62 adders per weight column, E_FA = 4.2 fF * 0.81
    assert r.energy_per_cycle_pj["place_value"] == pytest.approx(32 * 62 * 4.2 * v2 / 1e3)
    # accumulator 8 + 8 + 6 = 22 bits of (FA + DFF)
    assert r.energy_per_cycle_pj["accumulator"] == pytest.approx(32 * 22 * (4.2 + 2.1) * v2 / 1e3)
    assert r.macs_per_cycle == 32 * 256 * 2 / 8
    assert r.tops_per_w == pytest.approx(21.1677, rel=1e-4)


def test_dimc_efficiency_is_flat_and_aimc_grows_with_rows():
    df = evaluate_macros(["aimc"] * 6 + ["dimc"] * 6, SIZES * 2, SIZES * 2)
    aimc, dimc = df[df.kind == "aimc"], df[df.kind == "dimc"]
    assert np.all(np.diff(aimc.tops_per_w) > 0)
    assert dimc.tops_per_w.max() / dimc.tops_per_w.min() < 1.06  # ~7.2-7.6 TOPS/W
    assert (dimc.tops_per_mm2.to_numpy() > aimc.tops_per_mm2.to_numpy()).all()


def test_vectorized_equals_scalar():
    rng = np.random.default_rng(1)
    n = 200
    kind = rng.choice(["aimc", "dimc"], n)
    rows = 2 ** rng.integers(4, 11, n)
    cols = 8 * 2 ** rng.integers(1, 8, n)
    node = rng.choice([7.0, 16.0, 22.0, 28.0, 65.0], n)
    vdd = rng.uniform(0.6, 1.1, n)
    bc = np.where(kind == "aimc", rng.choice([1, 2, 4], n), rng.choice([1, 2], n))
    df = evaluate_macros(kind, rows, cols, bits_per_cycle=bc, node_nm=node, vdd=vdd)
    for i in range(0, n, 17):
        r = MacroSpec(kind[i], int(rows[i]), int(cols[i]), bits_per_cycle=int(bc[i]), node_nm=node[i],
                      vdd=vdd[i]).evaluate()
        assert df.tops_per_w[i] == pytest.approx(r.tops_per_w, rel=1e-12)
        assert df.area_mm2[i] == pytest.approx(r.area_mm2, rel=1e-12)
        assert df.tclk_ns[i] == pytest.approx(r.tclk_ns, rel=1e-12)


def test_technology_scaling_rules():
    base = MacroSpec("dimc", 128, 1024).evaluate()
    low_v = MacroSpec("dimc", 128, 1024, vdd=0.7).evaluate()
    small = MacroSpec("dimc", 128, 1024, node_nm=14).evaluate()
    # digital energy ~ C V^2: at 0.7 V the energy per MAC falls by (0.7/0.9)^2
    assert low_v.energy_per_mac_fj / base.energy_per_mac_fj == pytest.approx((0.7 / 0.9) ** 2)
    assert low_v.tclk_ns > base.tclk_ns  # slower at lower supply (alpha-power law)
    # capacitance law C = 0.019 node + 0.168 fF; area ~ node^2 (cell array too)
    assert small.energy_per_mac_fj / base.energy_per_mac_fj == pytest.approx((0.019 * 14 + 0.168) / 0.7)
    assert small.area_mm2 / base.area_mm2 == pytest.approx(0.25)
    assert small.tclk_ns / base.tclk_ns == pytest.approx(0.5)


def test_adc_components_and_rule():
    tech = TECH_28NM
    assert float(cmp.adc_energy(6, tech)) == pytest.approx(489.3, rel=1e-3)
    assert float(cmp.adc_area(6, tech)) == pytest.approx(618, rel=2e-3)
    assert float(cmp.adc_delay(6, 256, tech)) == pytest.approx(13.87, rel=1e-3)
    assert float(cmp.adc_area(1, tech)) == 0.0
    assert float(cmp.dac_energy(1, tech)) == 0.0
    assert float(cmp.adc_bits_paper_rule(2, 32)) == 4.5  # never rounded
    assert MacroSpec("aimc", 32, 32).resolved_adc_bits == 4.5
    assert MacroSpec("dimc", 32, 32).resolved_adc_bits is None


def test_partial_dimc_tree_energy():
    from imcbench.macro.model import energy_per_cycle, tree_energy_partial

    p = MacroSpec("dimc", 256, 256).params()
    full = float(tree_energy_partial(np.array(256.0), p))
    assert full == pytest.approx((256 * 9 - 17) * 3.402, rel=1e-9)
    # 9 active rows (a 3x3 depthwise kernel): level 1 has 4 full adders of 8 bits + 1 pass-through,
    # level 2: 2 full (9 b) + 1 pass, level 3: 1 full (10 b) + 1 pass, level 4: 1 full (11 b),
    # levels 5..8: a single live input passed on (12..15 b) half-activated.
    e_fa, e_half = 3.402, 1.701
    expected = (4 * 8 * e_fa + 8 * e_half) + (2 * 9 * e_fa + 9 * e_half) + (10 * e_fa + 10 * e_half) \
        + 11 * e_fa + (12 + 13 + 14 + 15) * e_half
    assert float(tree_energy_partial(np.array(9.0), p)) == pytest.approx(expected, rel=1e-9)
    used = energy_per_cycle(p, rows_used=9.0, cols_used=1.0)
    assert used["adder_tree"] == pytest.approx(expected / 1e3)
    assert used["multipliers"] == pytest.approx(9 * 32 * 8 * 0.2835 / 1e3)


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "aimc", "rows": 256, "cols": 256, "bits_per_cycle": 9}, "bits_per_cycle must not exceed"),
    ({"kind": "aimc", "rows": 0, "cols": 256}, "rows must be"),
    ({"kind": "dimc", "rows": 64, "cols": 60}, "multiple of weight_bits"),
    ({"kind": "aimc", "rows": 64, "cols": 64, "adc_bits": -1}, "adc_bits"),
    ({"kind": "xmc", "rows": 64, "cols": 64}, "aimc"),
    ({"kind": "dimc", "rows": 64, "cols": 64, "vdd": -0.9}, "vdd"),
])
def test_invalid_macros_are_rejected_clearly(kwargs, match):
    with pytest.raises(ImcbenchError, match=match):
        MacroSpec(**kwargs)


def test_evaluate_macros_drop_and_raise():
    with pytest.raises(ImcbenchError, match="index 1"):
        evaluate_macros(["aimc", "aimc"], [64, 64], [64, 64], bits_per_cycle=[2, 16])
    df = evaluate_macros(["aimc", "aimc"], [64, 64], [64, 64], bits_per_cycle=[2, 16], on_invalid="drop")
    assert len(df) == 1


def test_technology_rejects_subthreshold_supply():
    with pytest.raises(ImcbenchError, match="threshold"):
        Technology(28, 0.3)
