"""Hostile and broken ONNX files: external data never followed, absurd sizes refused with the limit named,
cyclic, dangling and malformed graphs reported by node, all as one line with exit status 2."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h

from conftest import run_cli
from imcbench import limits
from imcbench.errors import ImcbenchError
from imcbench.evaluation import evaluate
from imcbench.hardware.presets import paper_system
from imcbench.workload import Network
from imcbench.workload.onnx_import import load_onnx


def _conv_model(path, *, x_shape=(1, 3, 8, 8), w_shape=(4, 3, 3, 3), inputs=("x", "w"), attrs=None,
                nodes_before=(), weight_as_input=False):
    """One Conv; the weight is an initializer (zeros) or, for huge shapes, a graph input (shape only)."""
    x = h.make_tensor_value_info("x", T.FLOAT, list(x_shape))
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    graph_inputs, inits = [x], []
    if weight_as_input:
        graph_inputs.append(h.make_tensor_value_info("w", T.FLOAT, list(w_shape)))
    else:
        inits.append(h.make_tensor("w", T.FLOAT, list(w_shape), np.zeros(int(np.prod(w_shape)), np.float32)))
    node = h.make_node("Conv", list(inputs), ["y"], name="conv0", **(attrs or {}))
    onnx.save(h.make_model(h.make_graph([*nodes_before, node], "g", graph_inputs, [y], inits)), path)
    return path


def _user_error(result, *needles):
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("warning")]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_onnx(path)


# --- external data ------------------------------------------------------------------------------------------
def _external_weight_model(path, location):
    """A Conv whose weight bytes are 'stored' at ``location`` (nothing is there): only its shape is in the file."""
    model = onnx.load(str(_conv_model(path)), load_external_data=False)
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.ClearField("float_data")
    weight.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(4 * 3 * 3 * 3 * 4))):
        weight.external_data.add(key=key, value=value)
    path.write_bytes(model.SerializeToString())  # raw bytes: onnx.save would try to write the data itself
    return path


@pytest.mark.parametrize("location", ["weights.bin", "/etc/passwd", "../../secret.bin"])
def test_external_data_is_never_followed(tmp_path, monkeypatch, location):
    """Every function onnx uses to read external data fails loudly here; the import only needs shapes."""
    path = _external_weight_model(tmp_path / "ext.onnx", location)

    def refuse(*args, **kwargs):
        raise AssertionError("external data was followed")

    import onnx.external_data_helper as ext

    for name in ("load_external_data_for_model", "load_external_data_for_tensor", "_open_external_data_fd",
                 "_read_external_data_bytes"):
        if hasattr(ext, name):
            monkeypatch.setattr(ext, name, refuse)
    monkeypatch.setattr(onnx, "load_external_data_for_model", refuse, raising=False)
    net = _load(path)
    assert net.total_macs == 4 * 3 * 9 * 36


def test_external_data_through_the_cli(tmp_path):
    """Following the reference would fail (no such file, outside the folder): the import still succeeds."""
    result = run_cli("workload", _external_weight_model(tmp_path / "ext.onnx", "../../no/such/weights.bin"), "--json")
    assert result.returncode == 0, result.stderr
    assert result.json()["total_macs"] == 4 * 3 * 9 * 36


# --- absurd sizes -------------------------------------------------------------------------------------------
def test_absurd_spatial_dims_are_refused_with_the_limit(tmp_path):
    path = _conv_model(tmp_path / "huge.onnx", x_shape=(1, 3, 2**40, 2**40))
    _user_error(run_cli("workload", path), "huge.onnx", "MAC node 'conv0'", f"limit of {limits.MAX_LOOP_BOUND}")


def test_absurd_mac_count_is_refused(tmp_path):
    path = _conv_model(tmp_path / "macs.onnx", x_shape=(1, 4096, 8192, 8192), w_shape=(4096, 4096, 3, 3),
                       attrs={"pads": [1, 1, 1, 1]}, weight_as_input=True)
    with pytest.raises(ImcbenchError, match=r"MAC node 'conv0': 1.01e\+16 MACs in one layer is above the limit"):
        _load(path)


def test_a_layer_of_a_trillion_macs_is_handled(tmp_path):
    """10^12 MACs in one layer (a 10k x 10k x 10k product): imported and evaluated in bounded memory."""
    a = h.make_tensor_value_info("a", T.FLOAT, [1, 10_000, 10_000])
    w = h.make_tensor_value_info("w", T.FLOAT, [10_000, 10_000])  # a weight given as a graph input: no data
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    graph = h.make_graph([h.make_node("MatMul", ["a", "w"], ["y"], name="big")], "g", [a, w], [y])
    path = tmp_path / "trillion.onnx"
    onnx.save(h.make_model(graph), path)
    net = _load(path)
    assert net.total_macs == 10**12
    result = evaluate(net, paper_system("aimc", 256))
    assert np.isfinite(result.energy_pj) and result.energy_pj > 10**12 * 1e-3  # > 1 fJ per MAC
    assert np.isfinite(result.latency_cycles) and result.latency_cycles >= 10**12 / (256 * 256)


def test_node_and_layer_count_limits(tmp_path, monkeypatch):
    relus = [h.make_node("Relu", ["x" if i == 0 else f"r{i - 1}"], [f"r{i}"]) for i in range(5)]
    path = _conv_model(tmp_path / "deep.onnx", nodes_before=relus, inputs=("r4", "w"))
    monkeypatch.setattr("imcbench.workload.onnx_import.MAX_ONNX_NODES", 5)
    with pytest.raises(ImcbenchError, match=r"deep.onnx: 6 nodes is above the limit of 5 \(imcbench.limits.MAX_ONNX_NODES\)"):
        _load(path)
    monkeypatch.setattr("imcbench.workload.onnx_import.MAX_ONNX_NODES", 100)
    monkeypatch.setattr(limits, "MAX_LAYERS", 0)
    with pytest.raises(ImcbenchError, match="1 MAC layers is above the limit of 0"):
        _load(path)


def test_file_size_limit(tmp_path, monkeypatch):
    path = _conv_model(tmp_path / "m.onnx")
    monkeypatch.setattr("imcbench.workload.onnx_import.MAX_ONNX_BYTES", 10)
    with pytest.raises(ImcbenchError, match=r"m.onnx: \d+ bytes is above the limit of 10 bytes"):
        _load(path)


# --- cyclic, dangling and malformed graphs ----------------------------------------------------------------------
def test_cyclic_graph_names_a_node(tmp_path):
    loop = [h.make_node("Add", ["x", "b"], ["a"], name="add_a"), h.make_node("Relu", ["a"], ["b"], name="relu_b")]
    path = _conv_model(tmp_path / "cycle.onnx", nodes_before=loop, inputs=("b", "w"))
    _user_error(run_cli("workload", path), "cycle.onnx", "the graph has a cycle through node 'add_a'")


def test_dangling_activation_input_names_the_node(tmp_path):
    path = _conv_model(tmp_path / "dangling.onnx", inputs=("nowhere", "w"))
    model = onnx.load(str(path))
    model.graph.value_info.append(h.make_tensor_value_info("nowhere", T.FLOAT, [1, 3, 8, 8]))
    onnx.save(model, str(path))
    _user_error(run_cli("workload", path), "dangling.onnx", "Conv node 'conv0' reads 'nowhere'", "dangling input")


@pytest.mark.parametrize("kwargs, needle", [
    (dict(inputs=("x",)), "Conv node 'conv0' has 1 input but needs its operands at inputs 0 and 1"),
    (dict(inputs=()), "has 0 inputs"),
    (dict(attrs={"strides": [0, 0]}), "attribute strides = [0, 0] must be 2 integers >= 1"),
    (dict(attrs={"strides": [1.5, 1.5]}), "attribute strides = [1.5, 1.5] must be 2 integers >= 1"),
    (dict(attrs={"kernel_shape": [3]}), "attribute kernel_shape = [3] must be 2 integers >= 1"),
    (dict(attrs={"pads": [1]}), "attribute pads = [1] must be 4 integers >= 0"),
    (dict(attrs={"dilations": [1, -1]}), "attribute dilations = [1, -1] must be 2 integers >= 1"),
    (dict(attrs={"group": "two"}), "attribute group = b'two' must be an integer"),
    (dict(w_shape=(4, 3)), "kernel () does not match the 2-D input"),
])
def test_malformed_conv_names_the_node(tmp_path, kwargs, needle):
    """Each of these raised IndexError, ZeroDivisionError or TypeError from inside the importer."""
    path = _conv_model(tmp_path / "bad.onnx", **kwargs)
    with pytest.raises(ImcbenchError) as info:
        _load(path)
    assert str(info.value).startswith(f"{path}: ") and needle in str(info.value), str(info.value)


def test_malformed_node_through_the_cli(tmp_path):
    path = _conv_model(tmp_path / "bad.onnx", attrs={"strides": [0, 0]})
    _user_error(run_cli("workload", path), "bad.onnx", "Conv node 'conv0'", "strides")


def test_imported_network_is_valid(tmp_path):
    """The hardened importer still imports a well-formed model unchanged."""
    net = _load(_conv_model(tmp_path / "ok.onnx", attrs={"pads": [1, 1, 1, 1], "strides": [2, 2]}))
    assert isinstance(net, Network) and len(net) == 1
    layer = net[0]
    assert (layer.K, layer.C, layer.OY, layer.OX, layer.FY, layer.stride) == (4, 3, 4, 4, 3, (2, 2))
