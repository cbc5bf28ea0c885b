"""LSTM, GRU and RNN nodes are layers: the gate GEMMs [x_t, h_(t-1)] x [W; R] of every step and direction."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto as T
from onnx import helper as h

from imcbench.workload.layer import LayerKind
from imcbench.workload.onnx_import import load_onnx
from onnx_helpers import init, output_shape, save, vi

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}  # gate matrices per step (ONNX operator definitions)


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("directions", [1, 2])
@pytest.mark.parametrize("layout", [0, 1])
def test_recurrent_layer_macs(tmp_path, op, directions, layout):
    seq, batch, width, hidden = 7, 3, 10, 6
    gates = GATES[op]
    x_shape = [seq, batch, width] if layout == 0 else [batch, seq, width]
    direction = "bidirectional" if directions == 2 else "forward"
    nodes = [h.make_node(op, ["x", "w", "r"], ["y"], name="rnn", hidden_size=hidden, direction=direction,
                         layout=layout)]
    inits = [init("w", directions, gates * hidden, width), init("r", directions, gates * hidden, hidden)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, x_shape)], inits=inits, opset=14)
    y = output_shape(path, {"x": np.zeros(x_shape, np.float32)})  # the reference run confirms the layout
    assert y == ((seq, directions, batch, hidden) if layout == 0 else (batch, seq, directions, hidden))

    (layer,) = load_onnx(path)
    # per step, direction and sequence in the batch: gates x hidden outputs, each from width + hidden inputs
    assert layer.macs == directions * seq * batch * gates * hidden * (width + hidden)
    assert layer.weights == directions * gates * hidden * (width + hidden)  # W and R, biases are not MACs
    assert (layer.kind, layer.OX, layer.B, layer.G) == (LayerKind.MATMUL, seq, batch, directions)


def test_lstm_links_and_states(tmp_path):
    # a Gemm embeds the tokens, the LSTM reads it (and its initial state from another Gemm), a MatMul reads Y_h
    seq, batch, width, hidden = 5, 1, 8, 4
    nodes = [h.make_node("MatMul", ["x", "we"], ["e"], name="embed"),
             h.make_node("MatMul", ["z", "wz"], ["h0"], name="state"),
             h.make_node("LSTM", ["e", "w", "r", "", "", "h0"], ["y", "y_h"], name="lstm", hidden_size=hidden),
             h.make_node("MatMul", ["y_h", "wo"], ["out"], name="head")]
    inits = [init("we", 3, width), init("wz", 2, hidden), init("w", 1, 4 * hidden, width),
             init("r", 1, 4 * hidden, hidden), init("wo", hidden, 2)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [seq, batch, 3]), vi("z", T.FLOAT, [1, batch, 2])],
                inits=inits)
    net = load_onnx(path)
    assert [layer.name for layer in net] == ["embed", "state", "lstm", "head"]
    assert net["lstm"].inputs == ("embed", "state") and net["head"].inputs == ("lstm",)
    assert net["lstm"].macs == seq * batch * 4 * hidden * (width + hidden)
