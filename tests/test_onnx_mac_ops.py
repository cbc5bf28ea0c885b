"""ConvTranspose, 3-D Conv and the opset-23 Attention operator are layers with exact MACs."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto as T
from onnx import helper as h

from imcbench.workload.layer import LayerKind
from imcbench.workload.onnx_import import load_onnx
from onnx_helpers import init, output_shape, save, vi


@pytest.mark.parametrize("group", [1, 2])
def test_conv_transpose_macs(tmp_path, group):
    n, c_in, c_out, size, k, stride = 1, 4, 6, 5, 3, 2
    nodes = [h.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", strides=[stride, stride], pads=[1, 1, 1, 1],
                         output_padding=[1, 1], group=group),
             h.make_node("Conv", ["y", "w2"], ["z"], name="after")]
    inits = [init("w", c_in, c_out // group, k, k), init("w2", 2, c_out, 1, 1)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [n, c_in, size, size])], inits=inits)
    up_size = (size - 1) * stride - 2 + k + 1  # (in - 1) s - pads + k + output_padding = 10
    if group == 1:  # onnx's reference ConvTranspose fails on groups (a reshape bug); checked ungrouped
        assert output_shape(path, {"x": np.zeros((n, c_in, size, size), np.float32)}) == (n, 2, up_size, up_size)

    up, after = load_onnx(path)
    # every input pixel meets every kernel tap once (fvcore/thop count): N x C_in x H x W x C_out/G x k x k
    assert up.macs == n * c_in * size * size * (c_out // group) * k * k
    assert up.weights == c_in * (c_out // group) * k * k
    assert up.G == group and up.input_elements == n * c_in * size * size
    assert (after.OY, after.OX) == (up_size, up_size) and after.inputs == ("up",)


def test_conv3d_is_folded_with_exact_macs(tmp_path):
    n, c_in, c_out, d, size, kd, k = 2, 3, 8, 6, 9, 3, 3
    nodes = [h.make_node("Conv", ["x", "w"], ["y"], name="c3d", strides=[1, 2, 2], pads=[1, 0, 0, 1, 0, 0])]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [n, c_in, d, size, size])], inits=[init("w", c_out, c_in, kd, k, k)])
    out = output_shape(path, {"x": np.zeros((n, c_in, d, size, size), np.float32)})
    assert out == (n, c_out, 6, 4, 4)
    (layer,) = load_onnx(path)
    assert layer.macs == int(np.prod(out)) * c_in * kd * k * k
    assert layer.weights == c_out * c_in * kd * k * k
    assert (layer.B, layer.C, layer.OY, layer.OX, layer.FY, layer.stride) == (n * 6, c_in * kd, 4, 4, k, (2, 2))


@pytest.mark.parametrize("layout", ["4d", "3d"])
def test_attention_op23_is_two_activation_matmuls(tmp_path, layout):
    batch, q_heads, kv_heads, q_seq, kv_seq, head, v_head = 2, 4, 2, 5, 7, 8, 6
    if layout == "4d":
        shapes = {"q": [batch, q_heads, q_seq, head], "k": [batch, kv_heads, kv_seq, head],
                  "v": [batch, kv_heads, kv_seq, v_head]}
        attrs = {}
    else:
        shapes = {"q": [batch, q_seq, q_heads * head], "k": [batch, kv_seq, kv_heads * head],
                  "v": [batch, kv_seq, kv_heads * v_head]}
        attrs = {"q_num_heads": q_heads, "kv_num_heads": kv_heads}
    nodes = [*[h.make_node("MatMul", [f"x{n}", f"w{n}"], [n], name=f"proj_{n}") for n in "qkv"],
             h.make_node("Attention", ["q", "k", "v"], ["y"], name="attn", **attrs)]
    inputs = [vi(f"x{n}", T.FLOAT, [*shape[:-1], 3]) for n, shape in shapes.items()]
    inits = [init(f"w{n}", 3, shape[-1]) for n, shape in shapes.items()]
    path = save(tmp_path, nodes, inputs, inits=inits, opset=23)
    out = output_shape(path, {f"x{n}": np.zeros([*s[:-1], 3], np.float32) for n, s in shapes.items()})
    assert out == ((batch, q_heads, q_seq, v_head) if layout == "4d" else (batch, q_seq, q_heads * v_head))

    net = load_onnx(path)
    qk, av = net["attn.qk"], net["attn.av"]
    assert qk.kind is LayerKind.ATTENTION and av.kind is LayerKind.ATTENTION
    assert qk.macs == batch * q_heads * q_seq * kv_seq * head  # Q K^T per query head
    assert av.macs == batch * q_heads * q_seq * kv_seq * v_head  # scores x V
    assert qk.inputs == ("proj_q", "proj_k") and av.inputs == ("attn.qk", "proj_v")
