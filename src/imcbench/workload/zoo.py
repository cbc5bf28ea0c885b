"""Built-in networks, written out as layer tables (no files are read).

Each network reproduces, layer by layer, the ONNX export it is named after (same order, loop
dimensions, strides, padding and producer links):

==================  ==========================================================================
``resnet8``         MLPerf Tiny image classification, CIFAR-10 32x32 (TFLite "SAME" padding:
                    stride-2 3x3 convolutions pad only bottom/right)
``ds_cnn``          MLPerf Tiny keyword spotting, 49x10 MFCC input
``mobilenet_v1``    MLPerf Tiny visual wake words: MobileNetV1 width 0.25, 96x96
``deepautoencoder`` MLPerf Tiny anomaly detection (ToyCar), 640 inputs
``mobilenet_v2``    torchvision MobileNetV2 (width 1.0), 224x224
``resnet18``        torchvision ResNet-18, 224x224
``bert_tiny``       BERT-tiny encoder: 2 layers, hidden 128, 2 heads, sequence 128, FFN 512
==================  ==========================================================================

All layers are batch 1 with 8-bit operands.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Callable, Sequence

from imcbench.errors import ImcbenchError
from imcbench.workload.layer import Layer, LayerKind, infer_kind
from imcbench.workload.network import Network

Pad = int | tuple[int, int, int, int]
TF_SAME_S2: tuple[int, int, int, int] = (0, 0, 1, 1)  # TF "SAME", stride 2, even input: pad bottom/right


class _Table:
    """Accumulates layers; each method appends one layer and returns its name (for ``inputs``)."""

    def __init__(self, name: str):
        """An empty table for the network ``name``."""
        self.name = name
        self.layers: list[Layer] = []

    def conv(self, name: str, *, K: int, C: int, OY: int, OX: int, F: int | tuple[int, int] = 1,
             stride: int = 1, pad: Pad = 0, G: int = 1, inputs: Sequence[str] = ()) -> str:
        """A convolution with an F x F (or (FY, FX)) kernel; the kind follows from the dims."""
        fy, fx = (F, F) if isinstance(F, int) else F
        padding = (pad,) * 4 if isinstance(pad, int) else pad
        dims = {"K": K, "C": C, "G": G, "OY": OY, "OX": OX, "FY": fy, "FX": fx}
        self.layers.append(Layer(name=name, kind=infer_kind(**dims), **dims, stride=(stride, stride),
                                 padding=padding, inputs=tuple(inputs)))
        return name

    def depthwise(self, name: str, *, channels: int, OY: int, OX: int, F: int = 3, stride: int = 1,
                  pad: Pad = 1, inputs: Sequence[str] = ()) -> str:
        """A depthwise convolution: one input and one output channel per group."""
        return self.conv(name, K=1, C=1, G=channels, OY=OY, OX=OX, F=F, stride=stride, pad=pad,
                         inputs=inputs)

    def fc(self, name: str, *, K: int, C: int, inputs: Sequence[str] = ()) -> str:
        """A fully connected layer: one input vector of C times a K x C matrix."""
        self.layers.append(Layer(name=name, kind=LayerKind.FC, K=K, C=C, inputs=tuple(inputs)))
        return name

    def matmul(self, name: str, *, K: int, C: int, tokens: int, inputs: Sequence[str] = ()) -> str:
        """A constant-weight matrix product over ``tokens`` rows (tokens in OX)."""
        self.layers.append(Layer(name=name, kind=LayerKind.MATMUL, K=K, C=C, OX=tokens,
                                 inputs=tuple(inputs)))
        return name

    def attention(self, name: str, *, K: int, C: int, tokens: int, heads: int,
                  inputs: Sequence[str] = ()) -> str:
        """A product of two activations per head (heads in G): Q K^T or scores V."""
        self.layers.append(Layer(name=name, kind=LayerKind.ATTENTION, K=K, C=C, OX=tokens, G=heads,
                                 inputs=tuple(inputs)))
        return name

    def network(self) -> Network:
        """The finished network (Network checks names and producer order)."""
        return Network(self.name, tuple(self.layers))


def _ordered(t: _Table, names: Sequence[str]) -> tuple[str, ...]:
    """Producer names in layer order, without repeats (as the ONNX importer reports them)."""
    order = {layer.name: i for i, layer in enumerate(t.layers)}
    return tuple(sorted(set(names), key=order.__getitem__))


# -- MLPerf Tiny --------------------------------------------------------------------------
def resnet8() -> Network:
    """MLPerf Tiny ResNet-8 (CIFAR-10): 3 stages of one residual block, 16/32/64 channels."""
    t = _Table("resnet8")
    x = (t.conv("conv1", K=16, C=3, OY=32, OX=32, F=3, pad=1),)
    size, c_in = 32, 16
    for stage, c_out in enumerate((16, 32, 64), start=1):
        stride = 1 if stage == 1 else 2
        size //= stride
        prefix = f"stage{stage}.block0"
        a = t.conv(f"{prefix}.conv_a", K=c_out, C=c_in, OY=size, OX=size, F=3, stride=stride,
                   pad=1 if stride == 1 else TF_SAME_S2, inputs=x)
        b = t.conv(f"{prefix}.conv_b", K=c_out, C=c_out, OY=size, OX=size, F=3, pad=1, inputs=(a,))
        if stride == 1:  # identity shortcut: the Add also reads the block input
            x = _ordered(t, (b, *x))
        else:
            s = t.conv(f"{prefix}.shortcut", K=c_out, C=c_in, OY=size, OX=size, stride=2, inputs=x)
            x = _ordered(t, (b, s))
        c_in = c_out
    t.fc("fc", K=10, C=64, inputs=x)
    return t.network()


def ds_cnn() -> Network:
    """MLPerf Tiny DS-CNN (keyword spotting): a 10x4 stride-2 conv, 4 depthwise-separable blocks."""
    t = _Table("ds_cnn")
    x = t.conv("conv1", K=64, C=1, OY=25, OX=5, F=(10, 4), stride=2, pad=(4, 1, 5, 1))
    for i in range(1, 5):
        x = t.depthwise(f"dw{i}", channels=64, OY=25, OX=5, inputs=(x,))
        x = t.conv(f"pw{i}", K=64, C=64, OY=25, OX=5, inputs=(x,))
    t.fc("fc", K=12, C=64, inputs=(x,))
    return t.network()


def mobilenet_v1() -> Network:
    """MLPerf Tiny visual wake words MobileNetV1 (width 0.25, 96x96x3 input, 2 classes)."""
    t = _Table("mobilenet_v1")
    x = t.conv("conv1", K=8, C=3, OY=48, OX=48, F=3, stride=2, pad=TF_SAME_S2)
    # (output channels of the pointwise conv, stride of the depthwise conv) for the 13 blocks
    blocks = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), *[(128, 1)] * 5, (256, 2), (256, 1)]
    size, c = 48, 8
    for i, (c_out, stride) in enumerate(blocks, start=1):
        size //= stride
        x = t.depthwise(f"dw{i}", channels=c, OY=size, OX=size, stride=stride,
                        pad=1 if stride == 1 else TF_SAME_S2, inputs=(x,))
        x = t.conv(f"pw{i}", K=c_out, C=c, OY=size, OX=size, inputs=(x,))
        c = c_out
    t.fc("fc", K=2, C=256, inputs=(x,))
    return t.network()


def deepautoencoder() -> Network:
    """MLPerf Tiny deep autoencoder (anomaly detection): 640-128-128-128-128-8-128-128-128-128-640."""
    t = _Table("deepautoencoder")
    widths = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
    inputs: tuple[str, ...] = ()
    for i, (c, k) in enumerate(zip(widths, widths[1:]), start=1):
        inputs = (t.fc(f"fc{i}", K=k, C=c, inputs=inputs),)
    return t.network()


# -- torchvision ------------------------------------------------------------------------------
def mobilenet_v2() -> Network:
    """torchvision MobileNetV2 (width 1.0, 224x224): 17 inverted-residual blocks, 1280-wide head."""
    t = _Table("mobilenet_v2")
    x: tuple[str, ...] = (t.conv("conv1", K=32, C=3, OY=112, OX=112, F=3, stride=2, pad=1),)
    # (expansion t, output channels c, repeats n, first stride s), as in the MobileNetV2 paper
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]
    size, c_in, block = 112, 32, 0
    for expansion, c_out, repeats, first_stride in settings:
        for r in range(repeats):
            block += 1
            stride = first_stride if r == 0 else 1
            hidden = c_in * expansion
            prefix = f"block{block}"
            h = x
            if expansion != 1:
                h = (t.conv(f"{prefix}.expand", K=hidden, C=c_in, OY=size, OX=size, inputs=h),)
            size //= stride
            h = (t.depthwise(f"{prefix}.dw", channels=hidden, OY=size, OX=size, stride=stride, inputs=h),)
            p = t.conv(f"{prefix}.project", K=c_out, C=hidden, OY=size, OX=size, inputs=h)
            x = _ordered(t, (p, *x)) if stride == 1 and c_in == c_out else (p,)
            c_in = c_out
    x = (t.conv("conv_last", K=1280, C=c_in, OY=size, OX=size, inputs=x),)
    t.fc("fc", K=1000, C=1280, inputs=x)
    return t.network()


def resnet18() -> Network:
    """torchvision ResNet-18 (224x224): 7x7 stem, 4 stages of 2 basic blocks, 1000-way fc."""
    t = _Table("resnet18")
    x: tuple[str, ...] = (t.conv("conv1", K=64, C=3, OY=112, OX=112, F=7, stride=2, pad=3),)
    size, c_in = 56, 64  # after the 3x3 stride-2 max pool
    for stage, c_out in enumerate((64, 128, 256, 512), start=1):
        for blk in range(2):
            stride = 2 if stage > 1 and blk == 0 else 1
            size //= stride
            prefix = f"stage{stage}.block{blk}"
            a = t.conv(f"{prefix}.conv_a", K=c_out, C=c_in, OY=size, OX=size, F=3, stride=stride,
                       pad=1, inputs=x)
            b = t.conv(f"{prefix}.conv_b", K=c_out, C=c_out, OY=size, OX=size, F=3, pad=1, inputs=(a,))
            if stride == 1 and c_in == c_out:
                x = _ordered(t, (b, *x))
            else:
                s = t.conv(f"{prefix}.shortcut", K=c_out, C=c_in, OY=size, OX=size, stride=stride,
                           inputs=x)
                x = _ordered(t, (b, s))
            c_in = c_out
    t.fc("fc", K=1000, C=512, inputs=x)
    return t.network()


# -- transformers -----------------------------------------------------------------------------
def bert_tiny(layers: int = 2, hidden: int = 128, heads: int = 2, seq: int = 128,
              ffn: int = 512) -> Network:
    """BERT-tiny encoder (no embeddings' MACs, no pooler): per layer Q, K, V, Q K^T, scores V,
    output projection and the two FFN matmuls; tokens are in OX, heads in G for attention."""
    t = _Table("bert_tiny")
    head_dim = hidden // heads
    x: tuple[str, ...] = ()  # the embeddings carry no MACs
    for i in range(layers):
        p = f"layer{i}"
        q = t.matmul(f"{p}.attn.q", K=hidden, C=hidden, tokens=seq, inputs=x)
        k = t.matmul(f"{p}.attn.k", K=hidden, C=hidden, tokens=seq, inputs=x)
        v = t.matmul(f"{p}.attn.v", K=hidden, C=hidden, tokens=seq, inputs=x)
        s = t.attention(f"{p}.attn.scores", K=seq, C=head_dim, tokens=seq, heads=heads, inputs=(q, k))
        c = t.attention(f"{p}.attn.context", K=head_dim, C=seq, tokens=seq, heads=heads, inputs=(s, v))
        o = t.matmul(f"{p}.attn.out", K=hidden, C=hidden, tokens=seq, inputs=(c,))
        x = _ordered(t, (o, *x))  # residual Add + LayerNorm
        up = t.matmul(f"{p}.ffn.up", K=ffn, C=hidden, tokens=seq, inputs=x)
        down = t.matmul(f"{p}.ffn.down", K=hidden, C=ffn, tokens=seq, inputs=(up,))
        x = _ordered(t, (down, *x))
    return t.network()


# -- lookup -----------------------------------------------------------------------------------
_BUILDERS: dict[str, Callable[[], Network]] = {
    "resnet8": resnet8,
    "ds_cnn": ds_cnn,
    "mobilenet_v1": mobilenet_v1,
    "deepautoencoder": deepautoencoder,
    "mobilenet_v2": mobilenet_v2,
    "resnet18": resnet18,
    "bert_tiny": bert_tiny,
}

# Extra spellings (compared after lower-casing and dropping '-', '_', '.', spaces).
_ALIASES = {
    "ic": "resnet8", "dscnn": "ds_cnn", "kws": "ds_cnn", "vww": "mobilenet_v1",
    "mobilenetv1025": "mobilenet_v1", "ad": "deepautoencoder", "autoencoder": "deepautoencoder",
    "bert": "bert_tiny",
}


def _key(name: str) -> str:
    """Lookup key of a name: lower case without separators, so mobilenet-v2 == mobilenetv2."""
    return re.sub(r"[\s_\-.]+", "", name.strip().lower())


_LOOKUP = {**{_key(n): n for n in _BUILDERS}, **_ALIASES}


def list_builtin_networks() -> list[str]:
    """Canonical names of the built-in networks."""
    return list(_BUILDERS)


def is_builtin(name: str) -> bool:
    """True when ``name`` (or an alias such as ``mobilenet-v2``) names a built-in network."""
    return _key(name) in _LOOKUP


@lru_cache(maxsize=None)
def _build(canonical: str) -> Network:
    """Build (once) the built-in network with this canonical name."""
    return _BUILDERS[canonical]()  # Network and Layer are frozen, so sharing one copy is safe


def builtin_network(name: str) -> Network:
    """The built-in network ``name`` (aliases such as ``mobilenetv2`` or ``bert-tiny`` work too).

    Unknown names raise :class:`ImcbenchError` listing the valid names and the closest match.
    """
    canonical = _LOOKUP.get(_key(name))
    if canonical is None:
        close = difflib.get_close_matches(_key(name), list(_LOOKUP), n=1, cutoff=0.6)
        hint = f"did you mean {_LOOKUP[close[0]]!r}? " if close else ""
        raise ImcbenchError(f"unknown built-in network {name!r}; {hint}valid names: "
                            f"{', '.join(_BUILDERS)} (or give the path of a .onnx or .yaml file)")
    return _build(canonical)
