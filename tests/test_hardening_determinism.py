"""Determinism: the same inputs give bit-identical results across processes (different hash seeds), calls,
code paths (vectorized vs scalar macro model, evaluate_many vs evaluate) and executors."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, shared_path
from imcbench.errors import ImcbenchError
from imcbench.evaluation import evaluate, evaluate_many
from imcbench.hardware.presets import paper_system
from imcbench.macro.spec import MacroSpec, evaluate_macros


def _evaluate_json(*args: str, hash_seed: str) -> bytes:
    """stdout of ``imcbench evaluate ARGS --json`` in a fresh process with PYTHONHASHSEED=hash_seed."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run([sys.executable, "-m", "imcbench", "evaluate", *args, "--json"], capture_output=True,
                          env=env, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


@pytest.mark.parametrize("network, hardware", [
    ("mobilenet_v1", "paper-aimc-64"),  # built-in network, preset
    ("{onnx}", "examples/multi_macro_dimc.yaml"),  # ONNX file, hardware YAML with several macros
])
def test_evaluate_is_bit_identical_across_processes(network, hardware):
    """Set iteration order changes with the hash seed; no result may depend on it."""
    if network == "{onnx}":
        network = str(shared_path("workloads", "zigzag_imc", "resnet8.onnx"))
    first = _evaluate_json("-n", network, "-H", hardware, hash_seed="1")
    second = _evaluate_json("-n", network, "-H", hardware, hash_seed="4242")
    assert first == second
    assert json.loads(first)["energy_pj"] > 0


def test_evaluate_twice_in_one_process_and_evaluate_many_agree():
    systems = [paper_system("aimc", 64), paper_system("aimc", 64, adc_bits=5.0), paper_system("dimc", 128)]
    alone = [evaluate("ds_cnn", s).to_dict() for s in systems]
    again = [evaluate("ds_cnn", s).to_dict() for s in systems]
    many = [r.to_dict() for r in evaluate_many("ds_cnn", systems)]
    assert alone == again == many  # exact float equality, dict order included
    assert json.dumps(alone) == json.dumps(many)


MACRO_GRID = list(itertools.product(["aimc", "dimc"], [16, 64, 256, 1024], [8, 64, 512], [1, 4, 8], [None, 3.0, 7.5],
                                    [1, 2], [1, 4], [7.0, 28.0, 65.0], [0.6, 0.9]))


@pytest.mark.parametrize("delay_model", ["zigzag", "paper"])
def test_vectorized_macro_model_is_bit_identical_to_the_scalar_one(delay_model):
    """evaluate_macros (one numpy pass over 5184 configurations) vs MacroSpec.evaluate one at a time."""
    names = ["kind", "rows", "cols", "input_bits", "adc_bits", "cells_per_mult", "n_macros", "node_nm", "vdd"]
    columns = {name: list(values) for name, values in zip(names, zip(*MACRO_GRID))}
    columns["adc_bits"] = [np.nan if a is None else a for a in columns["adc_bits"]]
    frame = evaluate_macros(columns.pop("kind"), columns.pop("rows"), columns.pop("cols"), delay_model=delay_model,
                            on_invalid="nan", **columns)
    compared = 0
    for row, (kind, rows, cols, bits, adc, cpm, n, node, vdd) in zip(frame.to_dict("records"), MACRO_GRID):
        try:
            r = MacroSpec(kind, rows, cols, input_bits=bits, adc_bits=adc, cells_per_mult=cpm, n_macros=n,
                          node_nm=node, vdd=vdd, delay_model=delay_model).evaluate()
        except ImcbenchError:
            assert not np.isfinite(row["tops_per_w"])  # invalid in both paths
            continue
        scalar = {"tclk_ns": r.tclk_ns, "area_mm2": r.area_mm2, "tops": r.tops, "tops_per_w": r.tops_per_w,
                  "tops_per_mm2": r.tops_per_mm2, "energy_per_mac_fj": r.energy_per_mac_fj,
                  **{f"energy_pj.{k}": v for k, v in r.energy_per_cycle_pj.items()},
                  **{f"area_mm2.{k}": v for k, v in r.area_mm2_by_component.items()},
                  **{f"tclk_ns.{k}": v for k, v in r.tclk_ns_by_component.items()}}
        assert {k: row[k] for k in scalar} == scalar, (kind, rows, cols, bits, adc, cpm, n, node, vdd)
        compared += 1
    assert compared > 4000  # most of the grid is valid


def test_sweep_results_do_not_depend_on_the_executor(tmp_path):
    """Serial and local-process executors store the same rows, bit for bit (issue 4's sweeps)."""
    pytest.importorskip("imcbench.dse.store", reason="imcbench.dse not available")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: det\nnetworks: [ds_cnn]\nhardware: {preset: paper}\nfixed: {cols: same_as_rows}\n"
                    "grid:\n  kind: [aimc, dimc]\n  rows: [32, 64]\n")
    stored = {}
    for executor in ("serial", "local"):
        out = tmp_path / f"{executor}.duckdb"
        proc = subprocess.run([sys.executable, "-m", "imcbench", "sweep", str(spec), "--out", str(out), "--executor",
                               executor, "--workers", "2"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        stored[executor] = _stored_rows(out)
    assert stored["serial"] == stored["local"]
    assert len(stored["serial"][0]) == 4 and len(stored["serial"][1]) == 4 * 10  # 4 designs x ds_cnn's 10 layers


def _stored_rows(database) -> tuple[list, list]:
    """Every row of the results and layers tables, in key order."""
    from imcbench.dse.store import connect

    con = connect(database)
    try:
        results = con.execute("SELECT * FROM results ORDER BY point_id").fetchall()
        layers = con.execute("SELECT * FROM layers ORDER BY point_id, layer_index").fetchall()
    finally:
        con.close()
    return results, layers
