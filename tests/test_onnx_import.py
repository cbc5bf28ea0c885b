"""ONNX import: MAC totals of the shared models, layer mapping rules, producer links, errors."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

from conftest import shared_path
from imcbench.errors import ImcbenchError
from imcbench.workload.layer import LayerKind
from imcbench.workload.onnx_import import WorkloadWarning, load_onnx

# Exact Conv/Gemm/MatMul MACs at batch 1 (README: 12.50M, 2.66M, 7.49M, 0.26M, 300.77M, 1814.07M, 58.72M).
EXPECTED = {
    ("zigzag_imc", "resnet8.onnx"): (12_501_632, 10),
    ("generated", "resnet8_onnxhelper.onnx"): (12_501_632, 10),
    ("zigzag_imc", "ds_cnn.onnx"): (2_656_768, 10),
    ("zigzag_imc", "mobilenet_v1.onnx"): (7_489_664, 28),
    ("zigzag_imc", "deepautoencoder.onnx"): (264_192, 10),
    ("zigzag_imc", "mobilenetv2.onnx"): (300_774_272, 53),
    ("generated", "mobilenet_v2_tv.onnx"): (300_774_272, 53),
    ("zigzag_imc", "resnet18.onnx"): (1_814_073_344, 21),
    ("generated", "resnet18_tv.onnx"): (1_814_073_344, 21),
    ("generated", "bert_tiny_hf.onnx"): (58_720_256, 16),
    ("zigzag_imc", "alexnet.onnx"): (654_560_384, 8),  # caffe2 AlexNet: grouped convs, 54x54 conv1
}


def _load_shared(folder: str, name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error", WorkloadWarning)  # the shared models import without warnings
        return load_onnx(shared_path("workloads", folder, name))


@pytest.mark.parametrize(("folder", "name"), list(EXPECTED), ids=[n for _, n in EXPECTED])
def test_shared_model_mac_totals(folder, name):
    net = _load_shared(folder, name)
    macs, n_layers = EXPECTED[(folder, name)]
    assert net.total_macs == macs
    assert len(net) == n_layers


def test_kinds_of_shared_models():
    kinds = lambda net: Counter(layer.kind.value for layer in net)  # noqa: E731
    assert kinds(_load_shared("zigzag_imc", "mobilenet_v1.onnx")) == {
        "conv": 1, "depthwise": 13, "pointwise": 13, "fc": 1}
    assert kinds(_load_shared("zigzag_imc", "ds_cnn.onnx")) == {
        "conv": 1, "depthwise": 4, "pointwise": 4, "fc": 1}
    assert kinds(_load_shared("generated", "mobilenet_v2_tv.onnx")) == {
        "conv": 1, "depthwise": 17, "pointwise": 34, "fc": 1}
    assert kinds(_load_shared("zigzag_imc", "deepautoencoder.onnx")) == {"fc": 10}


def test_alexnet_grouped_convolutions():
    net = _load_shared("zigzag_imc", "alexnet.onnx")
    conv2 = net[1]
    assert (conv2.kind, conv2.G, conv2.K, conv2.C, conv2.OY, conv2.FY) == (LayerKind.CONV, 2, 128, 48, 26, 5)
    assert conv2.padding == (2, 2, 2, 2)
    assert net[0].stride == (4, 4) and net[0].OY == 54
    assert [layer.kind for layer in net][-3:] == [LayerKind.FC] * 3
    assert net[5].C == 9216  # fc6 reads the flattened 256x6x6 pool output


def test_ds_cnn_first_conv_asymmetric_padding():
    conv1 = _load_shared("zigzag_imc", "ds_cnn.onnx")[0]
    assert conv1.dims == {"B": 1, "K": 64, "C": 1, "G": 1, "OY": 25, "OX": 5, "FY": 10, "FX": 4}
    assert conv1.stride == (2, 2) and conv1.padding == (4, 1, 5, 1)


def test_bert_tiny_attention_layers():
    net = _load_shared("generated", "bert_tiny_hf.onnx")
    attention = [layer for layer in net if layer.kind is LayerKind.ATTENTION]
    assert len(attention) == 4
    scores, context = attention[0], attention[1]
    # Q K^T per head: 128 tokens x 64 head dim x 128 keys; scores V: 128 x 128 x 64; heads in G.
    assert (scores.G, scores.OX, scores.C, scores.K, scores.B) == (2, 128, 64, 128, 1)
    assert (context.G, context.OX, context.C, context.K) == (2, 128, 128, 64)
    assert all(layer.weights == 0 and layer.macs == 2_097_152 for layer in attention)
    matmuls = [layer for layer in net if layer.kind is LayerKind.MATMUL]
    assert len(matmuls) == 12 and all(layer.OX == 128 for layer in matmuls)
    assert sorted({(m.C, m.K) for m in matmuls}) == [(128, 128), (128, 512), (512, 128)]
    assert net.total_weights == 2 * (4 * 128 * 128 + 2 * 128 * 512)
    # producers: scores read Q then K; context reads the scores (through Softmax) then V
    names = [layer.name for layer in net]
    assert scores.inputs == (names[0], names[1])
    assert context.inputs == (names[3], names[2])


def test_resnet8_residual_producer_links():
    net = _load_shared("zigzag_imc", "resnet8.onnx")
    names = [layer.name for layer in net]
    links = [tuple(names.index(p) for p in layer.inputs) for layer in net]
    # 0 conv1 | 1,2 block1 | 3 conv_a, 4 conv_b, 5 shortcut | 6, 7, 8 | 9 fc
    assert links == [(), (0,), (1,), (0, 2), (3,), (0, 2), (4, 5), (6,), (4, 5), (7, 8)]
    assert net.consumers(names[2]) == (names[3], names[5])
    assert net[5].kind is LayerKind.POINTWISE and net[5].stride == (2, 2)
    assert net[3].padding == (0, 0, 1, 1)  # TFLite SAME padding on the stride-2 conv


def test_weight_free_exports_keep_weights_as_constants():
    # torchvision export_params=False: weights are graph inputs; the first input is the data.
    net = _load_shared("generated", "resnet18_tv.onnx")
    assert net[0].dims == {"B": 1, "K": 64, "C": 3, "G": 1, "OY": 112, "OX": 112, "FY": 7, "FX": 7}
    assert net[-1].kind is LayerKind.FC and (net[-1].K, net[-1].C) == (1000, 512)
    assert net.total_weights == 11_678_912  # conv + fc weights of ResNet-18 (no BN, no biases)


# -- synthetic models ---------------------------------------------------------------------------
vi = h.make_tensor_value_info


def _save(tmp_path, nodes, inputs, outputs=None, inits=(), value_info=(), name="m", opset=17):
    outputs = outputs or [vi(nodes[-1].output[0], T.FLOAT, None)]
    graph = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits), value_info=list(value_info))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def _init(name, *shape, dtype=np.float32):
    return nh.from_array(np.zeros(shape, dtype), name)


def test_pass_through_ops_link_to_nearest_mac_layers(tmp_path):
    nodes = [
        h.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        h.make_node("BatchNormalization", ["c1", "s", "b", "m", "v"], ["bn"]),
        h.make_node("Relu", ["bn"], ["r"]),
        h.make_node("Conv", ["r", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        h.make_node("Clip", ["c2"], ["c2c"]),
        h.make_node("Add", ["c2c", "r"], ["sum"]),  # residual: two producers
        h.make_node("MaxPool", ["sum"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        h.make_node("GlobalAveragePool", ["p"], ["g"]),
        h.make_node("Flatten", ["g"], ["f"]),
        h.make_node("Gemm", ["f", "wfc"], ["y"], name="fc", transB=1),
        h.make_node("Softmax", ["y"], ["prob"]),
    ]
    inits = [_init("w1", 8, 3, 3, 3), _init("w2", 8, 8, 3, 3), _init("wfc", 10, 8),
             *[_init(n, 8) for n in "sbmv"]]
    net = load_onnx(_save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, 16, 16])], inits=inits))
    assert [layer.name for layer in net] == ["conv1", "conv2", "fc"]
    assert net["conv2"].inputs == ("conv1",)
    assert net["fc"].inputs == ("conv1", "conv2")
    assert net["fc"].kind is LayerKind.FC and (net["fc"].K, net["fc"].C) == (10, 8)
    assert net.total_macs == 8 * 3 * 9 * 256 + 8 * 8 * 9 * 256 + 80


def test_unsupported_mac_operators_warn_with_count(tmp_path):
    # Einsum is not modelled (ConvTranspose, used here before, now is): a channel mix n c h w x k c
    nodes = [
        h.make_node("Conv", ["x", "w1"], ["a"], name="head"),
        h.make_node("Einsum", ["a", "wt"], ["b"], equation="nchw,kc->nkhw"),
        h.make_node("Relu", ["b"], ["br"]),
        h.make_node("Einsum", ["br", "wt2"], ["c"], equation="nchw,kc->nkhw"),
        h.make_node("Conv", ["c", "w2"], ["y"], name="tail"),
    ]
    inits = [_init("w1", 4, 3, 1, 1), _init("wt", 4, 4), _init("wt2", 4, 4), _init("w2", 5, 4, 1, 1)]
    path = _save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, 8, 8])], inits=inits)
    einsum_macs = 2 * (4 * 4 * 8 * 8)  # two einsums, each n c h w k = 1 * 4 * 8 * 8 * 4
    with pytest.warns(WorkloadWarning, match=f"2 Einsum nodes carry MACs \\({einsum_macs:,} MACs\\) but are not supported"):
        net = load_onnx(path)
    assert [layer.name for layer in net] == ["head", "tail"]
    assert net["tail"].OY == 8 and net["tail"].inputs == ("head",)  # linked through the skipped ops


def test_gemm_transposes_and_matmul_weight_forms(tmp_path):
    nodes = [
        # Gemm with transA: A is [C=16, rows=4] -> 4 rows, so kind matmul with tokens in OX
        h.make_node("Gemm", ["xt", "wg"], ["g"], name="gemm", transA=1),  # wg [16, 24] -> K=24
        # MatMul whose weight comes from Constant -> Transpose (torch-style)
        h.make_node("Constant", [], ["wc"], value=_init("wc_value", 32, 24)),
        h.make_node("Transpose", ["wc"], ["wct"]),  # [24, 32]
        h.make_node("MatMul", ["g", "wct"], ["m1"], name="mm_const_node"),  # [4, 24] @ [24, 32]
        # constant matrix on the left: W [8, 32] @ m1^T [32, 4]
        h.make_node("Transpose", ["m1"], ["m1t"]),
        h.make_node("MatMul", ["wl", "m1t"], ["m2"], name="mm_left"),
        # weight as a second graph input (torch export_params=False)
        h.make_node("MatMul", ["m2", "w_in"], ["y"], name="mm_input_weight"),  # [8, 4] @ [4, 6]
    ]
    path = _save(tmp_path, nodes, [vi("xt", T.FLOAT, [16, 4]), vi("w_in", T.FLOAT, [4, 6])],
                 inits=[_init("wg", 16, 24), _init("wl", 8, 32)])
    net = load_onnx(path)
    g, m1, m2, m3 = net
    assert (g.kind, g.K, g.C, g.OX) == (LayerKind.MATMUL, 24, 16, 4)
    assert (m1.kind, m1.K, m1.C, m1.OX, m1.weights) == (LayerKind.MATMUL, 32, 24, 4, 768)
    assert (m2.kind, m2.K, m2.C, m2.OX) == (LayerKind.MATMUL, 8, 32, 4)
    assert (m3.kind, m3.K, m3.C, m3.OX, m3.weights) == (LayerKind.MATMUL, 6, 4, 8, 24)
    assert [layer.inputs for layer in net] == [(), ("gemm",), ("mm_const_node",), ("mm_left",)]


def test_batched_matmuls_batch_versus_groups(tmp_path):
    nodes = [
        h.make_node("MatMul", ["x", "w"], ["a"], name="shared"),      # [3, 5, 8] @ [8, 16]: weight shared
        h.make_node("MatMul", ["a", "wg"], ["b"], name="per_group"),  # [3, 5, 16] @ [3, 16, 2]: one per group
        h.make_node("Transpose", ["x"], ["xt"], perm=[0, 2, 1]),
        h.make_node("MatMul", ["x", "xt"], ["d"], name="self_attn"),  # [3, 5, 8] @ [3, 8, 5]: two activations
    ]
    path = _save(tmp_path, nodes, [vi("x", T.FLOAT, [3, 5, 8])], inits=[_init("w", 8, 16), _init("wg", 3, 16, 2)])
    shared, per_group, attn = load_onnx(path)
    assert (shared.B, shared.G, shared.OX, shared.C, shared.K, shared.weights) == (3, 1, 5, 8, 16, 128)
    assert (per_group.B, per_group.G, per_group.K, per_group.weights) == (1, 3, 2, 96)
    assert (attn.kind, attn.G, attn.B, attn.OX, attn.C, attn.K) == (LayerKind.ATTENTION, 3, 1, 5, 8, 5)
    assert attn.macs == 3 * 5 * 8 * 5 and attn.weights == 0 and attn.inputs == ()


def test_conv_variants_depthwise_grouped_auto_pad_dilation_1d(tmp_path):
    nodes = [
        h.make_node("Conv", ["x", "wd"], ["a"], name="dw", group=8, auto_pad="SAME_UPPER", strides=[2, 2]),
        h.make_node("Conv", ["a", "wm"], ["b"], name="dw_mult2", group=8, pads=[1, 1, 1, 1]),
        h.make_node("Conv", ["b", "wg"], ["c"], name="grouped", group=4, dilations=[2, 2],
                    auto_pad="SAME_LOWER"),
        h.make_node("Conv", ["c", "wv"], ["d"], name="valid", auto_pad="VALID", kernel_shape=[3, 3]),
    ]
    inits = [_init("wd", 8, 1, 3, 3), _init("wm", 16, 1, 3, 3), _init("wg", 8, 4, 3, 3), _init("wv", 2, 8, 3, 3)]
    dw, mult, grouped, valid = load_onnx(_save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 8, 15, 15])], inits=inits))
    assert (dw.kind, dw.G, dw.K, dw.C, dw.OY) == (LayerKind.DEPTHWISE, 8, 1, 1, 8)
    assert dw.padding == (1, 1, 1, 1) and dw.stride == (2, 2)  # SAME_UPPER: ceil(15/2)=8, total pad 2
    assert (mult.kind, mult.G, mult.K, mult.C) == (LayerKind.CONV, 8, 2, 1)
    assert (grouped.kind, grouped.G, grouped.K, grouped.C) == (LayerKind.CONV, 4, 2, 4)
    assert grouped.dilation == (2, 2) and grouped.padding == (2, 2, 2, 2) and grouped.OY == 8
    assert valid.padding == (0, 0, 0, 0) and (valid.OY, valid.OX, valid.K) == (6, 6, 2)

    conv1d = [h.make_node("Conv", ["s", "w1d"], ["o"], name="c1d", strides=[2], pads=[1, 2])]
    (layer,) = load_onnx(_save(tmp_path, conv1d, [vi("s", T.FLOAT, [1, 4, 20])],
                               inits=[_init("w1d", 6, 4, 5)], name="c1d"))
    assert layer.dims == {"B": 1, "K": 6, "C": 4, "G": 1, "OY": 1, "OX": 10, "FY": 1, "FX": 5}  # (20+1+2-5)//2+1
    assert layer.stride == (1, 2) and layer.padding == (0, 1, 0, 2)


def test_quantized_operators_set_precision(tmp_path):
    u8, i8 = T.UINT8, T.INT8
    scalar = lambda n, t, v: nh.from_array(np.array(v, dtype=t), n)  # noqa: E731
    inits = [scalar("xs", np.float32, 0.1), scalar("xz", np.uint8, 0), scalar("ws", np.float32, 0.1),
             scalar("wz", np.int8, 0), scalar("ys", np.float32, 0.1), scalar("yz", np.uint8, 0),
             nh.from_array(np.zeros((4, 3, 3, 3), np.int8), "w"),
             nh.from_array(np.zeros((36, 5), np.int8), "wm")]
    nodes = [
        h.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["c"], name="qconv",
                    pads=[1, 1, 1, 1]),
        h.make_node("Reshape", ["c", "shape"], ["flat"]),
        h.make_node("MatMulInteger", ["flat", "wm", "yz", "wz"], ["y"], name="qmm"),
    ]
    inits.append(nh.from_array(np.array([1, -1], np.int64), "shape"))
    path = _save(tmp_path, nodes, [vi("x", u8, [1, 3, 3, 3])], outputs=[vi("y", T.INT32, None)], inits=inits)
    qconv, qmm = load_onnx(path)
    assert (qconv.K, qconv.C, qconv.OY, qconv.FY) == (4, 3, 3, 3)
    assert (qconv.act_bits, qconv.weight_bits, qconv.out_bits) == (8, 8, 8)
    assert (qmm.kind, qmm.K, qmm.C, qmm.inputs) == (LayerKind.FC, 5, 36, ("qconv",))


def test_qdq_int4_weight_sets_weight_bits(tmp_path):
    # QDQ models: Conv reads DequantizeLinear(int4 weight); the weight stays constant and 4-bit.
    nodes = [h.make_node("DequantizeLinear", ["w4", "s"], ["wf"]), h.make_node("Conv", ["x", "wf"], ["y"], name="c")]
    inits = [h.make_tensor("w4", T.INT4, [4, 3, 3, 3], [1] * 108), nh.from_array(np.array(0.1, np.float32), "s")]
    (layer,) = load_onnx(_save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, 8, 8])], inits=inits, opset=21))
    assert (layer.kind, layer.K, layer.OY, layer.weight_bits, layer.act_bits) == (LayerKind.CONV, 4, 6, 4, 8)


def test_symbolic_batch_is_taken_as_one(tmp_path):
    nodes = [h.make_node("Conv", ["x", "w"], ["y"], name="c")]
    path = _save(tmp_path, nodes, [vi("x", T.FLOAT, ["batch", 3, 8, 8])], inits=[_init("w", 4, 3, 3, 3)])
    with pytest.warns(WorkloadWarning, match="symbolic batch dimension of input 'x' \\(batch\\) taken as 1"):
        (layer,) = load_onnx(path)
    assert (layer.B, layer.OY) == (1, 6)


def test_names_are_unique_and_default_to_op_type(tmp_path):
    nodes = [h.make_node("MatMul", ["x", "w"], ["a"], name="dense"),
             h.make_node("MatMul", ["a", "w"], ["b"], name="dense"),
             h.make_node("MatMul", ["b", "w"], ["c"])]
    net = load_onnx(_save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 4])], inits=[_init("w", 4, 4)]))
    assert [layer.name for layer in net] == ["dense", "dense_1", "MatMul_2"]


def test_stripped_initializer_with_stored_shape_is_a_weight(tmp_path):
    # weight-stripped export: the weight name is produced by nothing, its shape kept in value_info
    nodes = [h.make_node("Relu", ["x"], ["r"]), h.make_node("MatMul", ["r", "gone"], ["y"], name="mm")]
    path = _save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 7, 4])], value_info=[vi("gone", T.FLOAT, [4, 9])])
    (layer,) = load_onnx(path)
    assert (layer.kind, layer.K, layer.C, layer.OX) == (LayerKind.MATMUL, 9, 4, 7)


# -- errors -------------------------------------------------------------------------------------
def test_unknown_shape_names_the_node(tmp_path):
    nodes = [h.make_node("Conv", ["x", "w"], ["y"], name="the_conv")]
    path = _save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, "height", "width"])], inits=[_init("w", 4, 3, 3, 3)])
    with pytest.raises(ImcbenchError, match="cannot infer the shape of MAC node 'the_conv'"):
        load_onnx(path)


def test_graph_without_mac_layers_is_an_error(tmp_path):
    path = _save(tmp_path, [h.make_node("Relu", ["x"], ["y"])], [vi("x", T.FLOAT, [1, 4])])
    with pytest.raises(ImcbenchError, match="no supported MAC operators"):
        load_onnx(path)


def test_zero_dimension_is_an_error(tmp_path):
    nodes = [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")]
    path = _save(tmp_path, nodes, [vi("x", T.FLOAT, [0, 4])], inits=[_init("w", 4, 4)])
    with pytest.raises(ImcbenchError, match="'mm' has a zero or negative dimension"):
        load_onnx(path)


@pytest.mark.parametrize("content", [b"", b"\x00\xff garbage \x13\x37" * 50, b"name: not onnx\n"])
def test_unreadable_files(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(ImcbenchError, match="bad.onnx: not"):
        load_onnx(path)


def test_truncated_and_missing_files(tmp_path):
    real = shared_path("workloads", "zigzag_imc", "ds_cnn.onnx").read_bytes()
    half = tmp_path / "half.onnx"
    half.write_bytes(real[: len(real) // 2])
    with pytest.raises(ImcbenchError, match="not a readable ONNX model"):
        load_onnx(half)
    with pytest.raises(ImcbenchError, match="no such file"):
        load_onnx(tmp_path / "absent.onnx")
