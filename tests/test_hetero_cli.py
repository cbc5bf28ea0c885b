"""``imcbench hetero``: JSON shape and values, figures, bad inputs (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hetero_ima.yaml"


@pytest.fixture(scope="module")
def block8_json():
    result = run_cli("hetero", "--network", "mobilenet_v2", "--block", "8", "--system", EXAMPLE, "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


def test_json_lists_the_four_configurations(block8_json):
    configs = block8_json["configurations"]
    assert [c["name"] for c in configs] == ["software", "all_ima", "hybrid", "optimal"]
    for c in configs:
        assert {"latency_ns", "energy_pj", "area_mm2", "gops", "allocation"} <= set(c)
        assert set(c["allocation"]) == {"block8.expand", "block8.dw", "block8.project"}
        # GOPS is 2 x MACs / latency (ns); block 8 has 2 x 4,816,896 (pointwise) + 677,376 (depthwise) MACs
        assert c["gops"] == pytest.approx(2 * (2 * 4_816_896 + 677_376) / c["latency_ns"])
    by_name = {c["name"]: c for c in configs}
    assert set(by_name["software"]["allocation"].values()) == {"cores"}
    assert set(by_name["all_ima"]["allocation"].values()) == {"ima"}
    assert by_name["hybrid"]["allocation"]["block8.dw"] == "cores"
    assert by_name["hybrid"]["latency_ns"] < by_name["software"]["latency_ns"]
    assert by_name["hybrid"]["area_mm2"] < by_name["all_ima"]["area_mm2"]
    assert block8_json["hybrid_vs_all_ima"]["paper"] == {"speedup": 3.0, "area_saving": 0.5}


def test_area_budget_and_objective_reach_the_search(block8_json):
    budget = next(c for c in block8_json["configurations"] if c["name"] == "hybrid")["area_mm2"] + 1e-3
    result = run_cli("hetero", "-n", "mobilenet_v2", "--block", "8", "-s", EXAMPLE, "--objective", "energy",
                     "--area-budget", f"{budget:.6f}", "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    optimal = next(c for c in data["configurations"] if c["name"] == "optimal")
    assert data["objective"] == "energy" and optimal["area_mm2"] <= budget
    least = min(c["energy_pj"] for c in data["configurations"] if c["area_mm2"] <= budget)
    assert optimal["energy_pj"] <= least * (1 + 1e-9)


def test_table_and_figures(tmp_path):
    result = run_cli("hetero", "-n", "mobilenet_v2", "--block", "8", "-s", EXAMPLE, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hybrid" in result.stdout and "paper: 3x" in result.stdout
    for key in ("hetero_gantt_hybrid", "hetero_area", "hetero_tradeoff"):
        assert (tmp_path / f"{key}.png").stat().st_size > 1000
    assert (tmp_path / "hetero.json").exists()


@pytest.mark.parametrize("args, message", [
    (("-n", "mobilenet_v2", "-s", "no_such_system.yaml"), "not found"),
    (("-n", "no_such_network", "-s", str(EXAMPLE)), "no_such_network"),
    (("-n", "mobilenet_v2", "--block", "99", "-s", str(EXAMPLE)), "out of range"),
    (("-n", "resnet18", "--block", "1", "-s", str(EXAMPLE)), "bottleneck blocks"),
    (("-n", "mobilenet_v2", "--block", "8", "-s", str(EXAMPLE), "--area-budget", "-1"), "must be > 0"),
    (("-n", "mobilenet_v2", "--block", "8", "-s", str(EXAMPLE), "--area-budget", "0.05"), "area budget"),
])
def test_bad_inputs_exit_2_with_one_line(args, message):
    result = run_cli("hetero", *args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_system_files(tmp_path):
    misspelt = tmp_path / "typo.yaml"
    misspelt.write_text("imas:\n  - {name: ima, crosbars: 4}\n")
    result = run_cli("hetero", "-n", "mobilenet_v2", "--block", "8", "-s", misspelt)
    assert result.returncode == 2 and "did you mean 'crossbars'" in result.stderr
    no_ima = tmp_path / "no_ima.yaml"
    no_ima.write_text("cores: {count: 8}\n")
    result = run_cli("hetero", "-n", "mobilenet_v2", "--block", "8", "-s", no_ima)
    assert result.returncode == 2 and "no IMA" in result.stderr
