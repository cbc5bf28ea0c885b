"""Built-in networks (equal to their ONNX exports layer by layer) and load_workload."""

from __future__ import annotations

import warnings

import pytest

from conftest import shared_path
from imcbench.errors import ImcbenchError
from imcbench.workload import load_workload
from imcbench.workload.layer import LayerKind
from imcbench.workload.onnx_import import load_onnx
from imcbench.workload.zoo import builtin_network, list_builtin_networks

TOTALS = {
    "resnet8": 12_501_632,
    "ds_cnn": 2_656_768,
    "mobilenet_v1": 7_489_664,
    "deepautoencoder": 264_192,
    "mobilenet_v2": 300_774_272,
    "resnet18": 1_814_073_344,
    "bert_tiny": 58_720_256,
}

REFERENCES = [
    ("resnet8", "zigzag_imc/resnet8.onnx"),
    ("ds_cnn", "zigzag_imc/ds_cnn.onnx"),
    ("mobilenet_v1", "zigzag_imc/mobilenet_v1.onnx"),
    ("deepautoencoder", "zigzag_imc/deepautoencoder.onnx"),
    ("mobilenet_v2", "generated/mobilenet_v2_tv.onnx"),
    ("mobilenet_v2", "zigzag_imc/mobilenetv2.onnx"),
    ("resnet18", "generated/resnet18_tv.onnx"),
    ("resnet18", "zigzag_imc/resnet18.onnx"),
    ("bert_tiny", "generated/bert_tiny_hf.onnx"),
]


def _signature(net):
    """Everything but the names: kind, loop bounds, geometry, precision, producers by position."""
    position = {layer.name: i for i, layer in enumerate(net)}
    return [(layer.kind, layer.dims, layer.stride, layer.dilation, layer.padding,
             (layer.act_bits, layer.weight_bits, layer.out_bits),
             tuple(position[p] for p in layer.inputs)) for layer in net]


def test_builtin_names():
    assert list_builtin_networks() == list(TOTALS)


@pytest.mark.parametrize("name", list(TOTALS))
def test_builtin_mac_totals(name):
    assert builtin_network(name).total_macs == TOTALS[name]


@pytest.mark.parametrize(("name", "file"), REFERENCES, ids=[f"{n}-{f.split('/')[1]}" for n, f in REFERENCES])
def test_builtin_equals_onnx_import_layer_by_layer(name, file):
    built = builtin_network(name)
    imported = load_onnx(shared_path("workloads", *file.split("/")))
    assert len(built) == len(imported)
    for i, (mine, theirs) in enumerate(zip(_signature(built), _signature(imported))):
        assert mine == theirs, f"layer {i} ({built[i].name} vs {imported[i].name})"
    assert built.total_weights == imported.total_weights


def test_resnet8_onnxhelper_differs_only_in_tf_padding():
    # The onnx.helper ResNet-8 pads stride-2 convs symmetrically; the TFLite export pads bottom/right.
    built = builtin_network("resnet8")
    helper = load_onnx(shared_path("workloads", "generated", "resnet8_onnxhelper.onnx"))
    diffs = [i for i, (a, b) in enumerate(zip(_signature(built), _signature(helper))) if a != b]
    assert diffs == [3, 6]
    assert built[3].padding == (0, 0, 1, 1) and helper[3].padding == (1, 1, 1, 1)


def test_bert_tiny_structure():
    net = builtin_network("bert_tiny")
    kinds = [layer.kind for layer in net]
    assert kinds.count(LayerKind.ATTENTION) == 4 and kinds.count(LayerKind.MATMUL) == 12
    scores = net["layer0.attn.scores"]
    assert (scores.G, scores.OX, scores.C, scores.K, scores.weights) == (2, 128, 64, 128, 0)
    assert scores.inputs == ("layer0.attn.q", "layer0.attn.k")
    assert net["layer1.attn.q"].inputs == ("layer0.attn.out", "layer0.ffn.down")


def test_residual_links_in_builtins():
    r18 = builtin_network("resnet18")
    assert r18["stage2.block0.conv_a"].inputs == (
        "conv1", "stage1.block0.conv_b", "stage1.block1.conv_b")  # identity shortcuts accumulate
    assert r18["stage2.block1.conv_a"].inputs == ("stage2.block0.conv_b", "stage2.block0.shortcut")
    mv2 = builtin_network("mobilenet_v2")
    assert mv2["block3.expand"].inputs == ("block2.project",)
    assert mv2["block4.expand"].inputs == ("block2.project", "block3.project")


@pytest.mark.parametrize(("alias", "canonical"), [
    ("mobilenetv2", "mobilenet_v2"), ("mobilenet-v2", "mobilenet_v2"), ("MobileNet_V2", "mobilenet_v2"),
    ("bert-tiny", "bert_tiny"), ("ds-cnn", "ds_cnn"), ("vww", "mobilenet_v1"), ("ResNet-18", "resnet18"),
])
def test_aliases(alias, canonical):
    assert builtin_network(alias) is builtin_network(canonical)


def test_unknown_builtin_suggests_closest():
    with pytest.raises(ImcbenchError, match=r"did you mean 'resnet18'\?.*valid names: resnet8, ds_cnn"):
        builtin_network("resnet-19")
    with pytest.raises(ImcbenchError, match="unknown built-in network 'zzz'; valid names"):
        builtin_network("zzz")


# -- load_workload ------------------------------------------------------------------------------
def test_load_workload_builtin_file_and_bits():
    assert load_workload("resnet8").total_macs == TOTALS["resnet8"]
    path = shared_path("workloads", "zigzag_imc", "ds_cnn.onnx")
    assert load_workload(str(path)).total_macs == TOTALS["ds_cnn"]
    assert load_workload(path).name == "ds_cnn"
    net = load_workload("ds_cnn", act_bits=4, weight_bits=2)
    assert {(layer.act_bits, layer.weight_bits, layer.out_bits) for layer in net} == {(4, 2, 8)}
    with pytest.raises(ImcbenchError, match="act_bits = 0"):
        load_workload("ds_cnn", act_bits=0)


def test_load_workload_unknown_name_and_missing_file(tmp_path):
    with pytest.raises(ImcbenchError, match="unknown built-in network 'nosuchnet'"):
        load_workload("nosuchnet")
    with pytest.raises(ImcbenchError, match="no such file"):
        load_workload(tmp_path / "absent.onnx")
    with pytest.raises(ImcbenchError, match="no such file"):
        load_workload("absent.yaml")


YAML = """\
name: tiny
bits: {act: 4, weight: 4}
layers:
  - name: conv1
    dims: {K: 16, C: 3, OY: 32, OX: 32, FY: 3, FX: 3}
    padding: 1
  - name: dw
    dims: {G: 16, OY: 16, OX: 16, FY: 3, FX: 3}
    stride: 2
    padding: [0, 0, 1, 1]
  - name: pw
    dims: {K: 32, C: 16, OY: 16, OX: 16}
    bits: {weight: 2}
  - name: head
    kind: fc
    dims: {K: 10, C: 32}
    inputs: [pw, conv1]
"""


def test_yaml_workload(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(YAML)
    net = load_workload(path)
    assert net.name == "tiny"
    assert [layer.kind.value for layer in net] == ["conv", "depthwise", "pointwise", "fc"]
    assert net["dw"].inputs == ("conv1",) and net["conv1"].inputs == ()  # omitted: previous layer
    assert net["head"].inputs == ("pw", "conv1")
    assert net["dw"].stride == (2, 2) and net["dw"].padding == (0, 0, 1, 1)
    assert (net["pw"].act_bits, net["pw"].weight_bits, net["conv1"].weight_bits) == (4, 2, 4)
    assert net.total_macs == 16 * 27 * 1024 + 16 * 9 * 256 + 32 * 16 * 256 + 320


@pytest.mark.parametrize(("text", "message"), [
    ("layers: []\n", "layers: List should have at least 1 item"),
    ("layers:\n  - {name: a, dims: {K: 0}}\n", r"layers\[0\].dims.K: Input should be greater than or equal to 1"),
    ("layers:\n  - {name: a, dims: {Q: 2}}\n", "unknown dimension"),
    ("layers:\n  - {name: a, dims: {K: '4'}}\n", "valid integer"),
    ("layers:\n  - {name: a, dims: {K: 4}, strde: 2}\n", r"layers\[0\].strde: Extra inputs are not permitted"),
    ("layers:\n  - {name: a, dims: {K: 4}, inputs: [b]}\n", "reads 'b', which is not an earlier layer"),
    ("layers:\n  - {name: a, dims: {K: 4}, kind: conv2d}\n", r"layers\[0\].kind"),
    ("layers: [\n", "not valid YAML at line"),
    ("- just a list\n", "expected a mapping"),
    ("layers:\n  - !!python/object:os.system {}\n", "not valid YAML"),  # safe_load refuses tags
])
def test_yaml_errors(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ImcbenchError, match=message):
        load_workload(path)


def test_builtins_import_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in TOTALS:
            builtin_network(name)
