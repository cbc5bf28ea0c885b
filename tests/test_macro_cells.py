"""The macro, weight loading and leakage read the macro's cell technology."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import assert_user_error, run_cli
from imcbench.celltech import get_cell
from imcbench.errors import ImcbenchError
from imcbench.evaluation import evaluate
from imcbench.hardware import cell_costs
from imcbench.hardware import memory_model as mem
from imcbench.hardware.presets import paper_system
from imcbench.macro import MacroSpec, evaluate_macros
from imcbench.macro.cells import FIT_AREA_PER_LINE_MM2, cell_array_area
from imcbench.tech import Technology
from imcbench.workload import Layer, Network


def test_sram6t_is_the_default_and_unchanged():
    default, explicit = MacroSpec("aimc", 256, 256), MacroSpec("aimc", 256, 256, cell="SRAM6T")
    assert explicit.cell == "sram6t" and default.cell == "sram6t"
    assert default.evaluate().to_dict() | {"macro": None} == explicit.evaluate().to_dict() | {"macro": None}
    # the paper's array: CACTI area and the 0.35 fF bit-line load per cell
    res = default.evaluate()
    assert res.area_mm2_by_component["cells"] == pytest.approx(float(cell_array_area(256, 256, Technology())))
    assert res.energy_per_cycle_pj["bitline"] == pytest.approx(32 * 8 * 256 * 0.35 * 0.81 / 1e3)


@pytest.mark.parametrize("name", ["rram", "pcm", "mram", "fefet"])
def test_nvm_bitline_energy_is_the_cell_read_energy(name):
    cell = get_cell(name)
    res = MacroSpec("aimc", 256, 256, cell=name).evaluate()
    sram = MacroSpec("aimc", 256, 256).evaluate()
    assert res.energy_per_cycle_pj["bitline"] == pytest.approx(256 * 256 * cell.read_energy_fj_per_bit / 1e3)
    for component in ("dac", "adc", "multipliers", "place_value", "accumulator"):  # only the array changes
        assert res.energy_per_cycle_pj[component] == sram.energy_per_cycle_pj[component]
    assert res.tclk_ns == sram.tclk_ns


@pytest.mark.parametrize("name,size", [("rram", 256), ("pcm", 64), ("sram8t", 128), ("rram", 2048)])
def test_cell_array_area_scales_the_cell_part_by_cell_size(name, size):
    tech = Technology()
    ratio = get_cell(name).area_f2 / get_cell("sram6t").area_f2
    sram = float(cell_array_area(size, size, tech))
    periphery = FIT_AREA_PER_LINE_MM2 / 2 * 2 * size
    area = MacroSpec("aimc", size, size, cell=name).evaluate().area_mm2_by_component["cells"]
    assert area == pytest.approx(periphery + ratio * (sram - periphery))
    assert (area < sram) == (ratio < 1)


def test_vectorized_path_matches_one_macro_per_cell():
    cells = np.array(["sram6t", "rram", "pcm", "gain_cell_edram"])
    frame = evaluate_macros("aimc", 128, 128, cell=cells)
    assert list(frame["cell"]) == list(cells)
    for name, row in zip(cells, frame.itertuples()):
        one = MacroSpec("aimc", 128, 128, cell=name).evaluate()
        assert row.tops_per_w == pytest.approx(one.tops_per_w, rel=1e-12)
        assert row.area_mm2 == pytest.approx(one.area_mm2, rel=1e-12)


def test_dimc_needs_a_digital_cell():
    assert MacroSpec("dimc", 64, 64, cell="gain_cell_edram").cell == "gain_cell_edram"
    with pytest.raises(ImcbenchError, match="non-volatile"):
        MacroSpec("dimc", 64, 64, cell="rram")
    frame = evaluate_macros(["dimc", "dimc", "aimc"], 64, 64, cell=["sram6t", "pcm", "pcm"], on_invalid="drop")
    assert list(zip(frame["kind"], frame["cell"])) == [("dimc", "sram6t"), ("aimc", "pcm")]
    with pytest.raises(ImcbenchError, match="known cells"):
        evaluate_macros("aimc", 64, 64, cell="flash")


def test_weight_writes_follow_the_cell():
    sram, rram = paper_system("aimc", 256), paper_system("aimc", 256, cell="rram")
    tech = Technology()
    assert sram.options.cell_write_pj_per_bit == pytest.approx(
        float(mem.sram_write_energy(256 * 256, 256, tech)) / 256)  # today's SRAM estimate, unchanged
    assert sram.options.weight_rows_per_cycle == 1.0
    tclk = rram.macro.evaluate().tclk_ns
    assert rram.options.cell_write_pj_per_bit == get_cell("rram").write_energy_pj_per_bit
    assert rram.options.weight_rows_per_cycle == pytest.approx(tclk / get_cell("rram").write_latency_ns)
    write = cell_costs.array_write(rram.macro)
    assert write["energy_pj"] == pytest.approx(256 * 256 * get_cell("rram").write_energy_pj_per_bit)
    assert write["time_ns"] == pytest.approx(256 * get_cell("rram").write_latency_ns)


def _small_network() -> Network:
    return Network("two_fc", (Layer("fc1", "fc", K=64, C=256), Layer("fc2", "fc", K=32, C=64, inputs=("fc1",))))


def test_weight_loading_energy_and_time_in_a_network():
    net = _small_network()
    sram, pcm = (evaluate(net, paper_system("aimc", 256, cell=c)) for c in ("sram6t", "pcm"))
    weight_bits = sum(layer.weights * layer.weight_bits for layer in net)
    assert pcm.energy_breakdown_pj["weights.cell_write"] == pytest.approx(
        weight_bits * get_cell("pcm").write_energy_pj_per_bit)
    assert pcm.cycle_breakdown["weight_loading"] > 10 * sram.cycle_breakdown["weight_loading"]


def test_leakage_is_charged_over_the_latency_only_when_asked():
    net = _small_network()
    for cell in ("sram6t", "gain_cell_edram", "rram"):
        system = paper_system("aimc", 256, cell=cell)
        off = evaluate(net, system)
        assert "leakage.cells" not in off.energy_breakdown_pj and off.energy_by_group_pj()["leakage"] == 0
        leaky = dataclasses.replace(system, options=dataclasses.replace(system.options, cell_leakage=True))
        on = evaluate(net, leaky)
        expected = sum(cell_costs.leakage_pw(system.macro) * layer.latency_ns * 1e-9 for layer in on.layers)
        assert on.energy_breakdown_pj.get("leakage.cells", 0.0) == pytest.approx(expected)
        assert on.energy_by_group_pj()["leakage"] == pytest.approx(expected)
        assert on.energy_pj == pytest.approx(off.energy_pj + expected)
        assert (expected > 0) == get_cell(cell).volatile


def test_hardware_yaml_cell(tmp_path):
    path = tmp_path / "hw.yaml"
    base = ("macro: {kind: aimc, rows: 64, cols: 64, cell: CELL}\n"
            "memories:\n  - {name: dram, kind: dram, operands: [W, I, O], size_mb: 1, bandwidth_bits: 64}\n"
            "options: {cell_leakage: true}\n")
    path.write_text(base.replace("CELL", "mram"))
    from imcbench.hardware.loading import load_system

    system = load_system(path)
    assert system.macro.cell == "mram" and system.options.cell_leakage
    assert system.options.cell_write_pj_per_bit == get_cell("mram").write_energy_pj_per_bit
    path.write_text(base.replace("CELL", "flash3d"))
    assert_user_error(run_cli("evaluate", "-n", "ds-cnn", "-H", str(path)), "unknown cell technology 'flash3d'",
                      "sram6t", "rram", "pcm", "gain_cell_edram")


def test_macro_cli_cell():
    result = run_cli("macro", "aimc", "--rows", "64", "--cols", "64", "--cell", "pcm", "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["macro"]["cell"] == "pcm" and data["cell"]["name"] == "pcm"
    assert data["cell"]["array_write_energy_pj"] == pytest.approx(64 * 64 * 50.0)
    assert_user_error(run_cli("macro", "aimc", "--rows", "64", "--cols", "64", "--cell", "nand"),
                      "unknown cell technology 'nand'", "fefet", "mram")


def test_sweep_over_cells(tmp_path):
    import duckdb

    from imcbench.dse.runner import RunOptions, run_sweep
    from imcbench.dse.spec import load_spec

    spec = tmp_path / "cells.yaml"
    spec.write_text("networks: [ds_cnn]\nfixed: {cols: same_as_rows, kind: aimc, rows: 64}\n"
                    "grid: {cell: [sram6t, pcm]}\n")
    out = tmp_path / "cells.duckdb"
    run_sweep(load_spec(spec), out, RunOptions(executor="serial"))
    con = duckdb.connect(str(out), read_only=True)
    try:
        rows = con.execute("SELECT cell, energy_pj, energy_leakage_pj FROM results ORDER BY cell").fetchall()
    finally:
        con.close()
    direct = {c: evaluate("ds-cnn", paper_system("aimc", 64, cell=c)).energy_pj for c in ("sram6t", "pcm")}
    assert [r[0] for r in rows] == ["pcm", "sram6t"]
    for cell, energy, leakage in rows:
        assert energy == pytest.approx(direct[cell], rel=1e-12) and leakage == 0.0


@pytest.mark.parametrize("leakage", [False, True])
def test_evaluate_lists_leakage_only_when_modeled(tmp_path, leakage):
    """The energy line names the leakage group when the system charges it, not as 'leakage 0%' otherwise."""
    path = tmp_path / "hw.yaml"
    path.write_text("macro: {kind: aimc, rows: 64, cols: 64, cell: sram6t}\n"
                    "memories:\n  - {name: dram, kind: dram, operands: [W, I, O], size_mb: 1, bandwidth_bits: 64}\n"
                    f"options: {{cell_leakage: {str(leakage).lower()}}}\n")
    result = run_cli("evaluate", "-n", "deepautoencoder", "-H", str(path))
    assert result.returncode == 0, result.stderr
    energy_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("energy"))
    assert ("leakage" in energy_line) == leakage and "interconnect" not in energy_line
