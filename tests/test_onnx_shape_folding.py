"""Shape arithmetic (Shape -> Gather -> Div -> Concat -> Reshape / Pad / Expand) is folded so that classic
fixed-shape exports load; a dimension that is really symbolic is named in the error (input and axis)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

from imcbench.errors import ImcbenchError
from imcbench.workload.layer import LayerKind
from imcbench.workload.onnx_import import load_onnx
from onnx_helpers import init, output_shape, save, vi


def _ints(name, value):
    return nh.from_array(np.array(value, np.int64), name)


def _head_split(tmp_path, x_shape):
    """GPT-2's head split: q = x W; q.view(b, t, heads, d // heads) with b, t, d read by Shape, d // heads by
    Div (where ONNX data propagation stops); then scores = q_h k_h^T per head."""
    nodes = [
        h.make_node("MatMul", ["x", "wq"], ["q"], name="proj"),
        h.make_node("Shape", ["q"], ["s"]),
        *[h.make_node("Gather", ["s", f"i{i}"], [f"s{i}"], axis=0) for i in range(3)],
        h.make_node("Div", ["s2", "heads"], ["hd"]),
        *[h.make_node("Unsqueeze", [n, "ax0"], [f"{n}u"]) for n in ("s0", "s1", "hd")],
        h.make_node("Concat", ["s0u", "s1u", "headsu", "hdu"], ["shape4"], axis=0),
        h.make_node("Reshape", ["q", "shape4"], ["q4"]),
        h.make_node("Transpose", ["q4"], ["qh"], perm=[0, 2, 1, 3]),
        h.make_node("Transpose", ["q4"], ["kt"], perm=[0, 2, 3, 1]),
        h.make_node("MatMul", ["qh", "kt"], ["scores"], name="qk"),
    ]
    inits = [init("wq", 32, 32), *[_ints(f"i{i}", i) for i in range(3)], _ints("heads", 4), _ints("headsu", [4]),
             _ints("ax0", [0])]
    return save(tmp_path, nodes, [vi("x", T.FLOAT, x_shape)], inits=inits)


def test_head_split_through_div_is_folded(tmp_path):
    path = _head_split(tmp_path, [1, 8, 32])
    batch, tokens, width, heads = 1, 8, 32, 4
    assert output_shape(path, {"x": np.zeros((1, 8, 32), np.float32)}) == (batch, heads, tokens, tokens)
    proj, qk = load_onnx(path)
    assert proj.macs == batch * tokens * width * width
    assert (qk.kind, qk.G, qk.OX, qk.K, qk.C) == (LayerKind.ATTENTION, batch * heads, tokens, tokens, width // heads)
    assert qk.macs == batch * heads * tokens * tokens * (width // heads)


def test_pad_amounts_from_shape_arithmetic(tmp_path):
    # pad a 10x10 image to 16x16 with pads = (16 - size) / 2 computed from its Shape, then a 3x3 conv
    nodes = [
        h.make_node("Shape", ["x"], ["s"], start=2),
        h.make_node("Sub", ["target", "s"], ["gap"]),
        h.make_node("Div", ["gap", "two"], ["half"]),
        h.make_node("Concat", ["zeros", "half", "zeros", "half"], ["pads"], axis=0),
        h.make_node("Pad", ["x", "pads"], ["xp"]),
        h.make_node("Conv", ["xp", "w"], ["y"], name="conv"),
    ]
    inits = [_ints("target", [16, 16]), _ints("two", 2), _ints("zeros", [0, 0]), init("w", 8, 3, 3, 3)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, 10, 10])], inits=inits)
    out = output_shape(path, {"x": np.zeros((1, 3, 10, 10), np.float32)})
    assert out == (1, 8, 14, 14)
    (conv,) = load_onnx(path)
    assert (conv.OY, conv.OX) == out[2:]
    assert conv.macs == 8 * 3 * 3 * 3 * out[2] * out[3]


def test_expand_and_range_sizes_from_shape_arithmetic(tmp_path):
    # ViT's class token expanded to the batch read from Shape, and positions Range(0, tokens + 1) added
    nodes = [
        h.make_node("Shape", ["x"], ["s"]),
        h.make_node("Gather", ["s", "i0"], ["b"], axis=0),
        h.make_node("Gather", ["s", "i1"], ["t"], axis=0),
        h.make_node("Unsqueeze", ["b", "ax0"], ["bu"]),
        h.make_node("Concat", ["bu", "one_d"], ["cls_shape"], axis=0),
        h.make_node("Expand", ["cls", "cls_shape"], ["cls_b"]),
        h.make_node("Concat", ["cls_b", "x"], ["seq"], axis=1),
        h.make_node("Add", ["t", "one"], ["t1"]),
        h.make_node("Range", ["zero", "t1", "one"], ["pos"]),
        h.make_node("Gather", ["table", "pos"], ["pe"], axis=0),
        h.make_node("Add", ["seq", "pe"], ["z"]),
        h.make_node("MatMul", ["z", "w"], ["y"], name="mlp"),
    ]
    inits = [_ints("i0", 0), _ints("i1", 1), _ints("ax0", [0]), _ints("one_d", [1, 16]), _ints("one", 1),
             _ints("zero", 0), init("cls", 1, 1, 16), init("table", 64, 16), init("w", 16, 24)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [2, 5, 16])], inits=inits)
    out = output_shape(path, {"x": np.zeros((2, 5, 16), np.float32)})
    assert out == (2, 6, 24)
    (mlp,) = load_onnx(path)
    assert mlp.macs == 2 * 6 * 16 * 24 and mlp.OX == 6  # B=2 tokens-batches, 6 tokens each


def test_symbolic_dimension_is_named_by_input_and_axis(tmp_path):
    path = _head_split(tmp_path, [1, "sequence", 32])
    with pytest.raises(ImcbenchError, match=r"cannot infer the shape of MAC node 'proj'.*input 'x' axis 1 "
                                            r"\('sequence'\) is symbolic; export the model with fixed input shapes"):
        load_onnx(path)


def test_data_dependent_shape_is_not_blamed_on_the_inputs(tmp_path):
    # all input dims fixed, but the row count comes from NonZero (data dependent): the error names the node
    # where shape inference stops and does not ask for fixed input shapes
    nodes = [h.make_node("NonZero", ["x"], ["nz"], name="find"),
             h.make_node("Transpose", ["nz"], ["rows"]),
             h.make_node("Cast", ["rows"], ["rowsf"], to=T.FLOAT),
             h.make_node("MatMul", ["rowsf", "w"], ["y"], name="mm")]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [4, 8])], inits=[init("w", 2, 3)])
    with pytest.raises(ImcbenchError, match="shape inference stops at NonZero node 'find'") as err:
        load_onnx(path)
    assert "fixed input shapes" not in str(err.value)


def test_folding_does_not_evaluate_large_tensors(tmp_path, monkeypatch):
    # a Reshape target computed from a big constant: above MAX_FOLD_ELEMENTS it is not evaluated (and the
    # shape stays unknown, reported by node); at or below the limit it is folded
    nodes = [h.make_node("ReduceSum", ["big"], ["total"], keepdims=0, name="sum_big"),
             h.make_node("Cast", ["total"], ["n"], to=T.INT64),
             h.make_node("Concat", ["minus1", "nu"], ["shape"], axis=0),
             h.make_node("Unsqueeze", ["n", "ax0"], ["nu"]),
             h.make_node("Reshape", ["x", "shape"], ["xr"]),
             h.make_node("MatMul", ["xr", "w"], ["y"], name="mm")]
    nodes = [nodes[0], nodes[1], nodes[3], nodes[2], nodes[4], nodes[5]]
    inits = [init("big", 2, 2, value=2.0), _ints("minus1", [-1]), _ints("ax0", [0]), init("w", 8, 5)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [4, 2, 4])], inits=inits)  # sum(big) = 8: x -> [4, 8]
    (mm,) = load_onnx(path)
    assert mm.macs == 4 * 8 * 5
    monkeypatch.setattr("imcbench.workload.onnx_fold.MAX_FOLD_ELEMENTS", 3)  # big has 4 elements
    with pytest.raises(ImcbenchError, match="cannot infer the shape of MAC node 'mm'"):
        load_onnx(path)
