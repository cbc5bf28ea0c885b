"""ONNX local functions (model.functions) are inlined: the layers inside them are counted."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import AttributeProto
from onnx import TensorProto as T
from onnx import helper as h

from imcbench.errors import ImcbenchError
from imcbench.workload.onnx_import import load_onnx
from onnx_helpers import init, output_shape, save, vi

LOCAL = "local.blocks"


def _conv_block():
    """A function ConvBlock(x, w) = Relu(Conv(x, w, pads=1, strides=<attribute stride>))."""
    stride = h.make_attribute_ref("strides", AttributeProto.INTS)
    conv = h.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1])
    conv.attribute.append(stride)
    return h.make_function(LOCAL, "ConvBlock", ["x", "w"], ["y"], [conv, h.make_node("Relu", ["c"], ["y"])],
                           [h.make_opsetid("", 17)], attributes=["strides"])


def _two_blocks():
    """A nested function: TwoBlocks(x, w1, w2) = ConvBlock(ConvBlock(x, w1, stride 2), w2, stride 1)."""
    nodes = [h.make_node("ConvBlock", ["x", "w1"], ["a"], domain=LOCAL, strides=[2, 2]),
             h.make_node("ConvBlock", ["a", "w2"], ["y"], domain=LOCAL, strides=[1, 1])]
    return h.make_function(LOCAL, "TwoBlocks", ["x", "w1", "w2"], ["y"], nodes,
                           [h.make_opsetid("", 17), h.make_opsetid(LOCAL, 1)])


def _conv_macs(c_in, c_out, size_out, k=3):
    return c_in * c_out * size_out * size_out * k * k


def test_layers_inside_nested_functions_are_counted(tmp_path):
    # x [1, 3, 32, 32] -> TwoBlocks (3->8 stride 2: 16x16, 8->8: 16x16) -> ConvBlock (8->16 stride 2: 8x8)
    #   -> GlobalAveragePool -> Flatten -> Gemm 16->10
    nodes = [h.make_node("TwoBlocks", ["x", "w1", "w2"], ["a"], domain=LOCAL, name="stem"),
             h.make_node("ConvBlock", ["a", "w3"], ["b"], domain=LOCAL, strides=[2, 2], name="down"),
             h.make_node("GlobalAveragePool", ["b"], ["g"]), h.make_node("Flatten", ["g"], ["f"]),
             h.make_node("Gemm", ["f", "wfc"], ["y"], transB=1, name="fc")]
    inits = [init("w1", 8, 3, 3, 3), init("w2", 8, 8, 3, 3), init("w3", 16, 8, 3, 3), init("wfc", 10, 16)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, 32, 32])], inits=inits,
                extra_opsets=[(LOCAL, 1)], functions=[_conv_block(), _two_blocks()])
    expected = _conv_macs(3, 8, 16) + _conv_macs(8, 8, 16) + _conv_macs(8, 16, 8) + 16 * 10
    # the reference evaluator runs the functions: its output shape confirms the sizes used above
    assert output_shape(path, {"x": np.zeros((1, 3, 32, 32), np.float32)}) == (1, 10)

    net = load_onnx(path)
    assert net.total_macs == expected
    assert len(net) == 4 and not net.skipped
    assert [layer.kind.value for layer in net] == ["conv", "conv", "conv", "fc"]
    convs = list(net)[:3]
    assert [layer.stride for layer in convs] == [(2, 2), (1, 1), (2, 2)]  # the attribute reached each call
    assert net[1].inputs == (net[0].name,) and net[3].inputs == (net[2].name,)  # producer links survive


def test_function_node_count_limit(tmp_path, monkeypatch):
    # a function called many times expands beyond the node limit: refused before inlining, naming the limit
    nodes = [h.make_node("ConvBlock", ["x" if i == 0 else f"a{i - 1}", "w"], [f"a{i}"], domain=LOCAL,
                         strides=[1, 1]) for i in range(6)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 4, 8, 8])], inits=[init("w", 4, 4, 3, 3)],
                extra_opsets=[(LOCAL, 1)], functions=[_conv_block()])
    assert load_onnx(path).total_macs == 6 * _conv_macs(4, 4, 8)
    monkeypatch.setattr("imcbench.workload.onnx_import.MAX_ONNX_NODES", 10)  # 6 calls x 2 nodes = 12
    with pytest.raises(ImcbenchError, match="inlining the local functions gives 12 nodes"):
        load_onnx(path)
