"""What is not modelled is recorded: skipped operators with their MACs and the covered share of the model's
MACs, in ``Network``, ``imcbench workload`` and ``imcbench evaluate`` (table and --json)."""

from __future__ import annotations

import pytest
from onnx import TensorProto as T
from onnx import helper as h

from conftest import run_cli
from imcbench.evaluation import evaluate
from imcbench.workload import load_workload
from imcbench.workload.coverage import SkippedOperator, covered_share, coverage_text
from imcbench.workload.onnx_import import WorkloadWarning, load_onnx
from onnx_helpers import init, save, vi

CONV_MACS = 8 * 3 * 16 * 16  # 1x1 conv 3 -> 8 on 16x16
EINSUM_MACS = 8 * 8 * 16 * 16  # n c h w, k c -> n k h w with c = k = 8


def _partly_modelled(tmp_path):
    """A conv, then an Einsum channel mix (not modelled, MACs known), then a Loop whose body multiplies
    (not modelled, MACs unknown)."""
    body = h.make_graph([h.make_node("MatMul", ["v", "bw"], ["v2"]), h.make_node("Identity", ["c"], ["c2"])], "body",
                        [vi("i", T.INT64, []), vi("c", T.BOOL, []), vi("v", T.FLOAT, [2, 2])],
                        [vi("c2", T.BOOL, []), vi("v2", T.FLOAT, [2, 2])], initializer=[init("bw", 2, 2)])
    nodes = [h.make_node("Conv", ["x", "w"], ["a"], name="conv"),
             h.make_node("Einsum", ["a", "mix"], ["b"], equation="nchw,kc->nkhw", name="mix"),
             h.make_node("Loop", ["trips", "", "v0"], ["vend"], body=body, name="loop"),
             h.make_node("Relu", ["b"], ["y"])]
    inits = [init("w", 8, 3, 1, 1), init("mix", 8, 8), init("trips", dtype="int64", value=3), init("v0", 2, 2)]
    return save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, 16, 16])], inits=inits,
                outputs=[vi("y", T.FLOAT, None), vi("vend", T.FLOAT, None)])


def test_network_records_skipped_operators(tmp_path):
    with pytest.warns(WorkloadWarning):
        net = load_onnx(_partly_modelled(tmp_path))
    assert net.total_macs == CONV_MACS
    assert {s.op: (s.count, s.macs) for s in net.skipped} == {
        "Einsum": (1, EINSUM_MACS), "Loop (MACs inside a subgraph)": (1, None)}
    assert net.unmodeled_macs == EINSUM_MACS
    assert net.covered_mac_share == pytest.approx(CONV_MACS / (CONV_MACS + EINSUM_MACS))
    with pytest.warns(WorkloadWarning):
        assert load_workload(_partly_modelled(tmp_path), act_bits=4).skipped == net.skipped  # kept by overrides


def test_coverage_text_states_an_upper_bound_when_macs_are_unknown():
    known = (SkippedOperator("Einsum", 2, 300),)
    assert covered_share(100, known) == pytest.approx(0.25)
    assert coverage_text(100, known) == "covers 25.0% of the MACs; not modelled: 2 Einsum (300 MACs)"
    unknown = (*known, SkippedOperator("Loop (MACs inside a subgraph)", 1))
    assert coverage_text(100, unknown).startswith("covers at most 25.0% of the MACs")
    assert coverage_text(100, ()) is None and covered_share(100, ()) == 1.0


def test_workload_cli_reports_coverage(tmp_path):
    path = _partly_modelled(tmp_path)
    share = 100 * CONV_MACS / (CONV_MACS + EINSUM_MACS)
    table = run_cli("workload", path)
    assert table.returncode == 0
    assert f"covers at most {share:.1f}% of the MACs" in table.stdout
    assert f"1 Einsum ({EINSUM_MACS:,} MACs)" in table.stdout and "1 Loop (MACs inside a subgraph) (MACs unknown)" in table.stdout
    data = run_cli("workload", path, "--json").json()
    assert data["total_macs"] == CONV_MACS and data["unmodeled_macs"] == EINSUM_MACS
    assert data["covered_mac_share"] == pytest.approx(share / 100) and data["covered_mac_share_exact"] is False
    assert {"op": "Einsum", "count": 1, "macs": EINSUM_MACS} in data["skipped_operators"]


def test_evaluate_reports_coverage(tmp_path):
    path = _partly_modelled(tmp_path)
    share = CONV_MACS / (CONV_MACS + EINSUM_MACS)
    data = run_cli("evaluate", "-n", path, "-H", "paper-aimc-256", "--json").json()
    assert data["macs"] == CONV_MACS and data["covered_mac_share"] == pytest.approx(share)
    assert [s["op"] for s in data["skipped_operators"]] == ["Einsum", "Loop (MACs inside a subgraph)"]
    table = run_cli("evaluate", "-n", path, "-H", "paper-aimc-256")
    assert table.returncode == 0 and f"covers at most {100 * share:.1f}% of the MACs" in table.stdout


def test_fully_modelled_networks_report_full_coverage():
    net = load_workload("resnet8")
    assert net.skipped == () and net.covered_mac_share == 1.0 and net.to_dict()["skipped_operators"] == []
    result = evaluate(net, "paper-aimc-256")
    assert result.coverage_text() is None and result.to_dict()["covered_mac_share"] == 1.0
    # precision overrides keep the record
    assert load_workload("resnet8", act_bits=4).covered_mac_share == 1.0
