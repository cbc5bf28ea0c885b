"""Design-space exploration, in process: Pareto fronts, grid expansion and skips, parameters applied to
hardware, constraints, stored results against direct evaluation, NSGA-II search, resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imcbench.dse.parameters import HardwareBase, build_design
from imcbench.dse.pareto import aggregate_networks, pareto_front, pareto_mask, pareto_ranks
from imcbench.dse.points import DUPLICATE, expand
from imcbench.dse.runner import RunOptions, run_sweep
from imcbench.dse.spec import SweepSpec, resolve_spec
from imcbench.dse.store import open_results
from imcbench.errors import ImcbenchError
from imcbench.evaluation import evaluate
from imcbench.hardware import paper_system
from imcbench.workload import load_workload

SERIAL = RunOptions(executor="serial")


def spec(**fields):
    return resolve_spec(SweepSpec.model_validate({"networks": ["deepautoencoder"], **fields}))


def brute_force_front(values: np.ndarray, maximize) -> np.ndarray:
    """O(n^2) definition: not dominated by any other row; rows with NaN excluded."""
    s = values * np.where(maximize, 1.0, -1.0)
    ok = np.isfinite(s).all(axis=1)
    front = np.zeros(len(s), dtype=bool)
    for i in np.flatnonzero(ok):
        others = s[ok]
        dominated = ((others >= s[i]).all(axis=1) & (others > s[i]).any(axis=1)).any()
        front[i] = not dominated
    return front


# --- Pareto ------------------------------------------------------------------------------------------
def test_pareto_mask_hand_example_with_ties_and_nan():
    values = np.array([[1, 5], [2, 4], [3, 3], [2, 2], [3, 3], [np.nan, 9], [0, 5]], dtype=float)
    mask = pareto_mask(values, [True, True])
    # (2,2) is beaten by (2,4); (0,5) by (1,5); the duplicate (3,3) points do not dominate each other
    assert mask.tolist() == [True, True, True, False, True, False, False]
    # minimising the first metric instead: (0,5) is at least as good as every other point, better on one
    assert pareto_mask(values, [False, True]).tolist() == [False, False, False, False, False, False, True]


@pytest.mark.parametrize("seed", range(5))
def test_pareto_mask_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, size=(300, 3)).astype(float)  # small integers: many ties
    values[rng.random(300) < 0.05, 1] = np.nan
    maximize = [True, False, True]
    assert np.array_equal(pareto_mask(values, maximize), brute_force_front(values, maximize))


def test_pareto_ranks_peel_fronts():
    rng = np.random.default_rng(7)
    values = rng.random((200, 2))
    ranks = pareto_ranks(values, [True, True])
    assert np.array_equal(ranks == 0, brute_force_front(values, np.array([True, True])))
    for r in range(1, ranks.max() + 1):  # rank r = the front once ranks < r are removed
        rest = ranks >= r
        assert np.array_equal((ranks == r)[rest], brute_force_front(values[rest], np.array([True, True])))


def test_pareto_front_per_network_and_geomean_aggregate():
    frame = pd.DataFrame({"design_id": ["a", "b", "a", "b", "c"], "network": ["x", "x", "y", "y", "x"],
                          "tops_per_w": [1.0, 4.0, 9.0, 1.0, 2.0], "kind": ["aimc", "dimc", "aimc", "dimc", "aimc"],
                          "rows": [64, 128, 64, 128, 32], "energy_pj": [2.0, 1.0, 8.0, 1.0, 5.0]})
    front = pareto_front(frame, [("tops_per_w", "max")])
    assert sorted(zip(front.network, front.design_id)) == [("x", "b"), ("y", "a")]
    combined = aggregate_networks(frame, ["tops_per_w"], "geomean", networks=2)
    # c lacks network y: left out; a = sqrt(1 * 9) = 3, b = sqrt(4 * 1) = 2
    assert dict(zip(combined.design_id, combined.tops_per_w)) == pytest.approx({"a": 3.0, "b": 2.0})
    # the other figures are combined too (not taken from one network); parameters are kept
    assert dict(zip(combined.design_id, combined.energy_pj)) == pytest.approx({"a": 4.0, "b": 1.0})
    assert dict(zip(combined.design_id, combined.rows)) == {"a": 64, "b": 128}


# --- expansion and parameters -------------------------------------------------------------------------
def test_expansion_counts_invalid_combinations_per_reason_and_merges_dimc_adc():
    loaded = spec(fixed={"cols": "same_as_rows", "input_bits": 2},
                  grid={"kind": ["aimc", "dimc"], "rows": [64, 128], "bits_per_cycle": [1, 2, 4],
                        "adc_bits": [4, 6]})
    e = expand(loaded)
    assert e.requested == 2 * 2 * 3 * 2
    # bits_per_cycle 4 > input_bits 2: 2 kinds x 2 sizes x 2 ADC values
    assert e.skipped["bits_per_cycle must not exceed input_bits"] == 8
    # DIMC ignores adc_bits: of its 2 x 2 x 2 valid combinations, half repeat a design
    assert e.skipped[DUPLICATE] == 4
    assert len(e.points) == 24 - 8 - 4
    assert all(p.params["cols"] == p.params["rows"] for p in e.points)
    assert not any("adc_bits" in p.params for p in e.points if p.params["kind"] == "dimc")


def test_design_ids_do_not_depend_on_spelling_or_order():
    a = expand(spec(grid={"kind": ["aimc"], "rows": [256, 64], "macros": [2], "cols": ["same_as_rows"]}))
    b = expand(spec(grid={"cols": "same_as_rows", "macro.count": 2.0, "rows": [64.0, 256], "macro.kind": "aimc"}))
    assert {p.design_id for p in a.points} == {p.design_id for p in b.points}
    c = expand(spec(grid={"kind": ["aimc"], "rows": [64, 256], "n_macros": [2], "cols": [128]}))
    assert not {p.design_id for p in a.points} & {p.design_id for p in c.points}


def test_parameters_reach_the_system_in_preset_and_file_mode(tmp_path):
    preset = HardwareBase("preset")
    system = build_design(preset, {"kind": "dimc", "rows": 128, "cols": 64, "n_macros": 2, "l2_kb": 64,
                                   "dram_pj_per_bit": 1.5, "options.partial_sum_bits": 24})
    assert (system.macro.rows, system.macro.cols, system.macro.n_macros) == (128, 64, 2)
    l2, dram = system.memories[2], system.memories[3]
    assert l2.size_bits == 64 * 8 * 1024 and dram.read_pj_per_bit == pytest.approx(1.5)
    assert system.options.partial_sum_bits == 24
    hw = tmp_path / "hw.yaml"
    hw.write_text((Path(__file__).parents[1] / "examples" / "paper_aimc_256.yaml").read_text())
    loaded = resolve_spec(SweepSpec.model_validate({"networks": ["deepautoencoder"], "hardware": {"file": str(hw)},
                                                    "grid": {"memories.l2.size_kb": [32], "rows": [128],
                                                             "vdd": [0.8]}}))
    system = build_design(loaded.hardware, expand(loaded).points[0].params)
    assert system.memories[2].size_bits == 32 * 8 * 1024
    assert (system.macro.rows, system.macro.cols, system.macro.vdd) == (128, 256, 0.8)  # cols from the file


@pytest.mark.parametrize("fields, message", [
    ({"grid": {"rowz": [64]}}, "did you mean 'rows'"),
    ({"grid": {"macro.rowss": [64]}}, "did you mean 'rows'"),
    ({"grid": {"memories.l2.sise_kb": [64]}}, "did you mean 'size_kb'"),
    ({"grid": {"rows": ["big"]}}, "should be a number"),
    ({"grid": {"kind": ["aimc"], "rows": [64]}, "constraints": {"max_aera_mm2": 1}}, "did you mean 'max_area_mm2'"),
    ({"grid": {"kind": ["aimc"]}}, "the paper preset needs rows"),
])
def test_bad_parameters_are_clear_errors(fields, message):
    with pytest.raises(ImcbenchError, match=message):
        expand(spec(**fields))


def test_a_grid_too_large_to_expand_is_refused_from_its_list_lengths():
    huge = {name: list(range(1, 11)) for name in ("rows", "cols", "n_macros", "input_bits", "weight_bits", "l2_kb")}
    spec(grid=huge)  # 10^6 combinations: at the limit, accepted (not expanded here)
    with pytest.raises(ImcbenchError, match="2,000,000 combinations, above the limit of 1,000,000"):
        spec(grid=huge | {"vdd": [0.8, 0.9]})


def test_a_spec_must_say_what_to_sweep():
    with pytest.raises(ValueError, match="give grid:, points: or search:"):
        SweepSpec.model_validate({"networks": ["resnet8"]})


# --- running --------------------------------------------------------------------------------------------
def test_stored_results_equal_direct_evaluation(tmp_path):
    loaded = resolve_spec(SweepSpec.model_validate({
        "networks": ["deepautoencoder", "ds_cnn"], "fixed": {"cols": "same_as_rows"},
        "grid": {"kind": ["aimc", "dimc"], "rows": [64, 256], "vdd": [0.8]}}))
    summary = run_sweep(loaded, tmp_path / "r.duckdb", SERIAL)
    assert (summary.designs, summary.evaluated, summary.stored) == (4, 8, 8)
    con, meta = open_results(tmp_path / "r.duckdb")
    rows = con.execute("SELECT network, kind, rows, energy_pj, latency_ns, area_mm2, tops_per_mm2 FROM results").df()
    layers = con.execute("SELECT count(*) FROM layers l JOIN results r USING (point_id) "
                         "WHERE r.network = 'ds_cnn'").fetchone()[0]
    con.close()
    assert meta["spec_hash"] == loaded.spec_hash and json.loads(meta["networks"]) == ["deepautoencoder", "ds_cnn"]
    for r in rows.itertuples():
        direct = evaluate(load_workload(r.network), paper_system(r.kind, r.rows, vdd=0.8))
        assert (r.energy_pj, r.latency_ns, r.area_mm2) == (direct.energy_pj, direct.latency_ns, direct.area_mm2)
        assert r.tops_per_mm2 == pytest.approx(direct.tops_per_mm2, rel=1e-12)
    assert layers == 4 * len(load_workload("ds_cnn").layers)


def test_a_sweep_over_the_delay_model_prices_each_point_with_its_own(tmp_path):
    """The points share one structure and one batch; each is priced with its own delay model (the batch
    used to be priced with its first point's delay model, storing one latency for all)."""
    from dataclasses import replace

    loaded = resolve_spec(SweepSpec.model_validate({
        "networks": ["deepautoencoder"], "hardware": {"preset": "paper"}, "fixed": {"kind": "aimc", "rows": 256},
        "grid": {"macro.delay_model": ["zigzag", "paper"], "adc_bits": [5, 6]}}))
    run_sweep(loaded, tmp_path / "m.duckdb", RunOptions(executor="serial", batch_size=4))
    con, _ = open_results(tmp_path / "m.duckdb")
    rows = con.execute("SELECT delay_model, adc_bits, energy_pj, latency_ns FROM results").fetchall()
    con.close()
    assert len(rows) == 4
    base = paper_system("aimc", 256)
    for delay, adc_bits, energy, latency in rows:
        direct = evaluate(load_workload("deepautoencoder"),
                          replace(base, macro=replace(base.macro, delay_model=delay, adc_bits=adc_bits)))
        assert (energy, latency) == pytest.approx((direct.energy_pj, direct.latency_ns), rel=1e-12)
    assert len({latency for *_, latency in rows}) == 4  # two delay models x two ADC resolutions


def test_constraints_skip_points_with_their_reason(tmp_path):
    sizes = [32, 128, 512]
    areas = {r: paper_system("aimc", r).area_mm2 for r in sizes}
    budget = (areas[128] + areas[512]) / 2  # 512 rows is over budget
    latency = {r: evaluate(load_workload("deepautoencoder"), paper_system("aimc", r)).latency_ns for r in sizes}
    limit = float(np.median(list(latency.values())))  # the slowest size is over the latency budget
    loaded = spec(fixed={"kind": "aimc", "cols": "same_as_rows"}, grid={"rows": sizes},
                  constraints={"max_area_mm2": budget, "max_latency_ns": limit})
    summary = run_sweep(loaded, tmp_path / "c.duckdb", SERIAL)
    con, _ = open_results(tmp_path / "c.duckdb")
    kept = sorted(r[0] for r in con.execute("SELECT rows FROM results").fetchall())
    reasons = dict(con.execute("SELECT reason, count(*) FROM skipped GROUP BY reason").fetchall())
    con.close()
    expected = [r for r in sizes if areas[r] <= budget and latency[r] <= limit]
    assert kept == expected and len(reasons) == 2  # each constraint removed a size
    assert reasons.get("max_area_mm2", 0) == sum(areas[r] > budget for r in sizes)
    assert reasons.get("max_latency_ns", 0) == sum(areas[r] <= budget and latency[r] > limit for r in sizes)
    assert sum(summary.skipped.values()) == len(sizes) - len(expected)


def test_resume_skips_stored_points_and_extends_nothing_twice(tmp_path):
    loaded = spec(fixed={"cols": "same_as_rows"}, grid={"kind": ["aimc", "dimc"], "rows": [32, 64, 128]})
    out = tmp_path / "s.duckdb"
    first = run_sweep(loaded, out, RunOptions(executor="serial", batch_size=2))
    again = run_sweep(loaded, out, SERIAL)
    assert (first.evaluated, again.evaluated, again.already_done) == (6, 0, 6)
    con, _ = open_results(out)
    assert con.execute("SELECT count(*), count(DISTINCT point_id) FROM results").fetchone() == (6, 6)
    con.close()


def test_search_finds_a_front_and_replays_from_the_database(tmp_path):
    pytest.importorskip("pymoo")
    from imcbench.dse.search import run_search

    loaded = spec(fixed={"cols": "same_as_rows"},
                  search={"space": {"kind": ["aimc", "dimc"], "rows": {"min": 32, "max": 256, "log2": True},
                                    "vdd": {"min": 0.8, "max": 1.0}},
                          "objectives": ["tops_per_w:max", "area_mm2:min"], "population": 6, "generations": 2})
    out = tmp_path / "n.duckdb"
    summary, front = run_search(loaded, out, SERIAL)
    assert summary.evaluated > 0 and len(front) >= 1
    assert set(front["rows"]) <= {32, 64, 128, 256} and front["vdd"].between(0.8, 1.0).all()
    con, _ = open_results(out)
    every = con.execute("SELECT tops_per_w, area_mm2 FROM results").df().to_numpy()
    con.close()
    # nothing stored beats a front member on both objectives
    for tw, area in front[["tops_per_w", "area_mm2"]].to_numpy():
        assert not ((every[:, 0] >= tw) & (every[:, 1] <= area) & ((every[:, 0] > tw) | (every[:, 1] < area))).any()
    replay, _ = run_search(loaded, out, SERIAL)  # same seed: same generations, all in the database
    assert replay.evaluated == 0 and replay.already_done == summary.evaluations


def test_every_alias_reaches_the_paper_preset():
    """Each alias the preset mode passes on is a parameter of paper_system_config (a missing one ended a
    sweep over adc_model with a TypeError traceback)."""
    import inspect

    from imcbench.dse.parameters import ALIASES
    from imcbench.hardware.presets import paper_system_config

    accepted = set(inspect.signature(paper_system_config).parameters)
    assert {a.preset_kwarg for a in ALIASES.values() if a.preset_kwarg is not None} <= accepted
    loaded = spec(hardware={"preset": "paper"}, fixed={"kind": "aimc", "rows": 64},
                  grid={"adc_model": ["paper", "survey_envelope"]})
    systems = [build_design(loaded.hardware, p.params) for p in expand(loaded).points]
    assert [s.macro.adc_model for s in systems] == ["paper", "survey_envelope"]
