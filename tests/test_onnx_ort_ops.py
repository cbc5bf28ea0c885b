"""Files processed by onnxruntime: QOperator quantization (QLinearConv, QLinearMatMul and com.microsoft
QLinearAdd / QLinearGlobalAveragePool) and graph optimizations (FusedConv, FusedMatMul,
SkipLayerNormalization, com.microsoft Attention) load with exact MACs."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

from imcbench.errors import ImcbenchError
from imcbench.workload.onnx_import import WorkloadWarning, load_onnx
from onnx_helpers import init, save, vi

MS = "com.microsoft"


def _q(name, dtype=np.uint8):
    """A (scale, zero point) pair of initializers named name_s, name_z."""
    return [nh.from_array(np.array(0.05, np.float32), f"{name}_s"), nh.from_array(np.array(0, dtype), f"{name}_z")]


def test_qoperator_model(tmp_path):
    # x -> Quantize -> QLinearConv 3x3 (3->8) -> QLinearConv 1x1 (8->8) ; QLinearAdd(both) -> QLinearGlobalAveragePool
    #   -> Reshape -> QLinearMatMul (8->10) -> Dequantize
    nodes = [
        h.make_node("QuantizeLinear", ["x", "a_s", "a_z"], ["xq"]),
        h.make_node("QLinearConv", ["xq", "a_s", "a_z", "w1", "w_s", "w_z", "a_s", "a_z"], ["c1"], name="conv1",
                    pads=[1, 1, 1, 1]),
        h.make_node("QLinearConv", ["c1", "a_s", "a_z", "w2", "w_s", "w_z", "a_s", "a_z"], ["c2"], name="conv2"),
        h.make_node("QLinearAdd", ["c1", "a_s", "a_z", "c2", "a_s", "a_z", "a_s", "a_z"], ["sum"], domain=MS),
        h.make_node("QLinearGlobalAveragePool", ["sum", "a_s", "a_z", "a_s", "a_z"], ["pool"], domain=MS,
                    channels_last=0),
        h.make_node("Reshape", ["pool", "flat"], ["f"]),
        h.make_node("QLinearMatMul", ["f", "a_s", "a_z", "wfc", "w_s", "w_z", "a_s", "a_z"], ["yq"], name="fc"),
        h.make_node("DequantizeLinear", ["yq", "a_s", "a_z"], ["y"]),
    ]
    inits = [*_q("a"), *_q("w", np.int8), init("w1", 8, 3, 3, 3, dtype=np.int8), init("w2", 8, 8, 1, 1, dtype=np.int8),
             init("wfc", 8, 10, dtype=np.int8), nh.from_array(np.array([1, 8], np.int64), "flat")]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, 12, 12])], inits=inits, extra_opsets=[(MS, 1)])
    net = load_onnx(path)
    assert [layer.name for layer in net] == ["conv1", "conv2", "fc"]
    assert net["conv1"].macs == 8 * 3 * 9 * 12 * 12 and net["conv2"].macs == 8 * 8 * 12 * 12
    assert net["fc"].macs == 8 * 10 and net["fc"].inputs == ("conv1", "conv2")  # through QLinearAdd
    assert {layer.weight_bits for layer in net} == {8} and not net.skipped


def test_ort_optimized_transformer_block(tmp_path):
    # onnxruntime's transformer fusions: Attention (packed QKV projection + heads), SkipLayerNormalization,
    # FusedMatMul with transB, and a FusedConv front end
    batch, seq, hidden, heads, ff = 1, 6, 16, 4, 24
    nodes = [
        h.make_node("FusedConv", ["img", "wc", "bc"], ["feat"], domain=MS, name="stem", activation="Relu",
                    kernel_shape=[1, 3], pads=[0, 1, 0, 1]),
        h.make_node("Reshape", ["feat", "tokens_shape"], ["ft"]),  # [1, 16, 1, 6] -> [1, 16, 6]
        h.make_node("Transpose", ["ft"], ["x"], perm=[0, 2, 1]),  # [1, 6, 16]
        h.make_node("Attention", ["x", "wqkv", "bqkv"], ["att"], domain=MS, name="attn", num_heads=heads),
        h.make_node("SkipLayerNormalization", ["att", "x", "g", "b"], ["n1"], domain=MS),
        h.make_node("FusedMatMul", ["n1", "wff"], ["u"], domain=MS, name="ff", transB=1),  # wff [ff, hidden]
        h.make_node("MatMul", ["u", "wout"], ["y"], name="out"),
    ]
    inits = [init("wc", hidden, 3, 1, 3), init("bc", hidden), nh.from_array(np.array([1, hidden, seq], np.int64),
             "tokens_shape"), init("wqkv", hidden, 3 * hidden), init("bqkv", 3 * hidden), init("g", hidden),
             init("b", hidden), init("wff", ff, hidden), init("wout", ff, hidden)]
    path = save(tmp_path, nodes, [vi("img", T.FLOAT, [batch, 3, 1, seq])], inits=inits, extra_opsets=[(MS, 1)])
    net = load_onnx(path)
    assert [layer.name for layer in net] == ["stem", "attn.qkv", "attn.qk", "attn.av", "ff", "out"]
    head = hidden // heads
    assert net["stem"].macs == hidden * 3 * 3 * seq
    assert net["attn.qkv"].macs == batch * seq * hidden * 3 * hidden
    assert net["attn.qk"].macs == batch * heads * seq * seq * head
    assert net["attn.av"].macs == batch * heads * seq * seq * head
    assert (net["ff"].K, net["ff"].C, net["ff"].OX) == (ff, hidden, seq)  # transB: [ff, hidden] used as [hidden, ff]
    assert net["out"].macs == seq * ff * hidden and net["out"].inputs == ("ff",)
    assert net["ff"].inputs == ("stem", "attn.av")  # SkipLayerNormalization adds the residual x (layer order)
    assert not net.skipped


def test_unknown_contrib_operator_is_recorded_not_dropped(tmp_path):
    # an operator imcbench does not know (custom domain) is listed as skipped with unknown MACs
    nodes = [h.make_node("MatMul", ["x", "w"], ["a"], name="mm"),
             h.make_node("MysteryOp", ["a"], ["b"], domain="vendor.ops"),
             h.make_node("Relu", ["b"], ["y"])]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 4])], inits=[init("w", 4, 4)], extra_opsets=[("vendor.ops", 1)])
    with pytest.warns(WorkloadWarning, match="1 vendor.ops.MysteryOp node is an unknown operator"):
        net = load_onnx(path)
    assert [(s.op, s.count, s.macs) for s in net.skipped] == [("unknown vendor.ops.MysteryOp", 1, None)]


def _small_cnn(tmp_path):
    """conv 3x3 (3->8) + Relu -> conv 1x1 (8->8) + Relu, Add residual -> GlobalAveragePool -> Flatten -> Gemm 8->10."""
    rng = np.random.default_rng(0)
    weights = {"w1": (8, 3, 3, 3), "b1": (8,), "w2": (8, 8, 1, 1), "b2": (8,), "wfc": (10, 8), "bfc": (10,)}
    inits = [nh.from_array(rng.standard_normal(shape).astype(np.float32), name) for name, shape in weights.items()]
    nodes = [h.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]), h.make_node("Relu", ["c1"], ["r1"]),
             h.make_node("Conv", ["r1", "w2", "b2"], ["c2"]), h.make_node("Relu", ["c2"], ["r2"]),
             h.make_node("Add", ["r1", "r2"], ["s"]), h.make_node("GlobalAveragePool", ["s"], ["g"]),
             h.make_node("Flatten", ["g"], ["f"]), h.make_node("Gemm", ["f", "wfc", "bfc"], ["y"], transB=1)]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 3, 12, 12])], inits=inits, opset=17, name="float")
    return path, 8 * 3 * 9 * 144 + 8 * 8 * 144 + 8 * 10


def test_files_written_by_onnxruntime(tmp_path):
    # the real tools: onnxruntime's extended graph optimizations (FusedConv) and QOperator static quantization
    ort = pytest.importorskip("onnxruntime")
    quantization = pytest.importorskip("onnxruntime.quantization")
    path, macs = _small_cnn(tmp_path)
    optimized = tmp_path / "optimized.onnx"
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(optimized)
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    class Calibration(quantization.CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"x": np.random.default_rng(i).random((1, 3, 12, 12), np.float32)} for i in range(4)])

        def get_next(self):
            return next(self.batches, None)

    quantized = tmp_path / "qop.onnx"
    quantization.quantize_static(str(path), str(quantized), Calibration(), quant_format=quantization.QuantFormat.QOperator)
    ops = {p: {n.op_type for n in onnx.load(str(p)).graph.node} for p in (optimized, quantized)}
    assert "FusedConv" in ops[optimized] and "QLinearConv" in ops[quantized]  # the forms under test
    for file in (path, optimized, quantized):
        net = load_onnx(file)
        assert net.total_macs == macs and not net.skipped


def test_blocked_layout_of_ort_enable_all_is_refused_by_name(tmp_path):
    # ORT_ENABLE_ALL writes com.microsoft.nchwc operators (channels padded to the vector width): an error that
    # names the operator and the optimization level to use instead, never a silent or wrong count
    nodes = [h.make_node("Conv", ["x", "w"], ["y"], domain="com.microsoft.nchwc", name="blocked_conv",
                         kernel_shape=[3, 3])]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [1, 8, 8, 8])], inits=[init("w", 8, 8, 3, 3)],
                extra_opsets=[("com.microsoft.nchwc", 1)])
    with pytest.raises(ImcbenchError, match="operator com.microsoft.nchwc.Conv \\(node 'blocked_conv'\\).*"
                                            "ORT_ENABLE_EXTENDED"):
        load_onnx(path)


def test_int4_matmul_nbits_is_a_layer_of_its_logical_shape(tmp_path):
    """onnxruntime's MatMulNBits (block-quantized int4 LLM weights, packed as uint8 [N, K/block, block/2])
    is a K x N weight layer; an activation MatMul after it needs its output shape (was 'shape unknown')."""
    seq, k, n, block = 16, 64, 96, 32
    nodes = [h.make_node("MatMulNBits", ["x", "wq", "scales"], ["y"], domain=MS, K=k, N=n, bits=4,
                         block_size=block),
             h.make_node("Transpose", ["y"], ["yt"], perm=[0, 2, 1]),
             h.make_node("MatMul", ["y", "yt"], ["scores"])]
    inits = [init("wq", n, k // block, block // 2, dtype=np.uint8), init("scales", n * (k // block))]
    path = save(tmp_path, nodes, [vi("x", T.FLOAT, [1, seq, k])], inits=inits, extra_opsets=[(MS, 1)])
    network = load_onnx(path)
    proj, scores = network.layers
    assert (proj.K, proj.C, proj.OX, proj.weight_bits) == (n, k, seq, 4)
    assert (scores.K, scores.C, scores.OX) == (seq, n, seq)
    assert network.total_macs == seq * k * n + seq * n * seq
