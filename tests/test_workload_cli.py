"""``imcbench workload``: table, JSON shape, warnings and one-line errors (real subprocess)."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h

from conftest import run_cli, shared_path

DIMS = {"B", "K", "C", "G", "OY", "OX", "FY", "FX"}


def _assert_user_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_table_for_builtin():
    result = run_cli("workload", "resnet8")
    assert result.returncode == 0, result.stderr
    assert "K16 C3 OY32 OX32 FY3 FX3 G1 B1" in result.stdout
    assert "stage2.block0.shortcut" in result.stdout and "pointwise" in result.stdout
    assert "12,501,632" in result.stdout and "77,360" in result.stdout  # totals row


def test_json_shape_for_onnx_file():
    result = run_cli("workload", shared_path("workloads", "generated", "bert_tiny_hf.onnx"), "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert set(data) >= {"layers", "total_macs", "total_weights"}
    assert data["total_macs"] == 58_720_256 == sum(layer["macs"] for layer in data["layers"])
    assert data["total_weights"] == sum(layer["weights"] for layer in data["layers"])
    for layer in data["layers"]:
        assert {"name", "kind", "dims", "macs", "weights"} <= set(layer)
        assert set(layer["dims"]) == DIMS and all(isinstance(v, int) for v in layer["dims"].values())
    assert [layer["kind"] for layer in data["layers"]].count("attention") == 4


def test_bits_options_reach_the_layers():
    data = run_cli("workload", "ds-cnn", "--json", "--act-bits", "4", "--weight-bits", "2").json()
    assert {(layer["act_bits"], layer["weight_bits"]) for layer in data["layers"]} == {(4, 2)}


def test_unsupported_operator_warning_goes_to_stderr(tmp_path):
    vi = h.make_tensor_value_info
    nodes = [h.make_node("Conv", ["x", "w"], ["a"], name="conv"),  # Einsum is not modelled
             h.make_node("Einsum", ["a", "wt"], ["y"], equation="nchw,kc->nkhw")]
    graph = h.make_graph(nodes, "g", [vi("x", T.FLOAT, [1, 3, 8, 8]), vi("w", T.FLOAT, [4, 3, 1, 1]),
                                      vi("wt", T.FLOAT, [4, 4])], [vi("y", T.FLOAT, None)])
    path = tmp_path / "ct.onnx"
    onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), str(path))
    result = run_cli("workload", path, "--json")
    assert result.returncode == 0
    assert result.json()["total_macs"] == 4 * 3 * 64
    assert "warning:" in result.stderr and "1 Einsum node carries MACs" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file():
    _assert_user_error(run_cli("workload", "no/such/model.onnx"), "no/such/model.onnx", "no such file")


@pytest.mark.parametrize("content", [b"\x8a\xff\x00garbage bytes\xfe" * 40, b"not an onnx model\n"])
def test_garbage_file(tmp_path, content):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(content)
    _assert_user_error(run_cli("workload", path), "garbage.onnx", "not")


def test_truncated_onnx(tmp_path):
    real = shared_path("workloads", "zigzag_imc", "resnet8.onnx").read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(real[: len(real) // 2])
    _assert_user_error(run_cli("workload", path), "truncated.onnx", "not a readable ONNX model")


def test_unknown_builtin():
    _assert_user_error(run_cli("workload", "mobilenet_v9"), "unknown built-in network 'mobilenet_v9'",
                       "did you mean", "valid names:")


def test_invalid_yaml_layer(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("layers:\n  - name: a\n    dims: {K: -3}\n")
    _assert_user_error(run_cli("workload", path), "net.yaml", "layers[0].dims.K")
