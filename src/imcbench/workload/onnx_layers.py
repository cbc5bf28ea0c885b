"""ONNX operators as layer fields: the builders of the importer (:mod:`imcbench.workload.onnx_import`).

Operators that carry multiply-accumulates become layers:

* ``Conv`` / ``ConvInteger`` / ``QLinearConv`` and onnxruntime's ``FusedConv`` (1-D, 2-D and 3-D, any
  group count, strides, dilations, explicit pads or ``auto_pad``). A 3-D convolution is folded onto the
  2-D loop nest with exact MACs and weights: the kernel depth joins the input channels (C = C_in/G x FZ)
  and the output depth joins the batch (B = N x OZ); the input traffic then counts each input plane FZ
  times (no reuse along the depth).
* ``ConvTranspose`` (1-D to 3-D): every input pixel meets every kernel tap once, so it is the pointwise
  layer C_in/G -> C_out/G x prod(kernel) over the input pixels, followed by an overlap-add without MACs
  (the scatter form). MACs = N x C_in x prod(input spatial) x C_out/G x prod(kernel), the usual count
  (fvcore, thop); the equivalent conv on the zero-upsampled input would add stride^2 times as many
  products with inserted zeros.
* ``Gemm`` (``transA`` / ``transB``), ``MatMul`` / ``MatMulInteger`` / ``QLinearMatMul`` and onnxruntime's
  ``FusedMatMul``, ``FusedGemm``, ``QGemm``, ``DynamicQuantizeMatMul``, ``MatMulIntegerToFloat``.
* ``LSTM`` / ``GRU`` / ``RNN`` (and onnxruntime's ``DynamicQuantizeLSTM``): one weight-stationary layer
  per node, the gate GEMMs of every step: [x_t, h_(t-1)] (C = input + hidden) times [W; R]
  (K = gates x hidden: 4 for LSTM, 3 for GRU, 1 for RNN), over the steps (OX = sequence) and batch
  (B), one group per direction (G). The step-to-step dependency of h is not modelled (latency assumes
  the steps can be pipelined); peephole products (3 x hidden per step) are elementwise and not counted.
* ``Attention`` (opset 23) and onnxruntime's ``MultiHeadAttention``: two ``attention`` layers (Q K^T,
  then scores x V) with G = batch x query heads; onnxruntime's ``Attention`` adds the packed QKV
  projection (a ``matmul`` layer) before them.

A matrix product is a constant-weight layer (``fc`` for one input row, ``matmul`` for many rows,
rows in OX) when one operand is constant, and an ``attention`` layer when both operands are
activations. An operand is *constant* when it does not depend on the data input: an initializer, a
``Constant`` node, a name that nothing produces (a stripped initializer), a graph input other than
the first one (``torch.onnx.export(..., export_params=False)`` and hand-built graphs turn weights
into graph inputs), or the output of a non-MAC operator whose inputs are all constant (so
``Transpose(W)``, ``Reshape(W)``, ``DequantizeLinear(W_int8)`` stay constant).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from imcbench.errors import ImcbenchError
from imcbench.workload.layer import LayerKind, infer_kind
from imcbench.workload.onnx_graph import (MS, GraphInfo, attributes, check_positive, need, op_key, op_label,
                                          precision)

# Operators that become layers, by (domain, op_type) with "" the default domain:
# (activation slot, weight slot).
CONV_OPS = {("", "Conv"): (0, 1), ("", "ConvInteger"): (0, 1), ("", "QLinearConv"): (0, 3),
             (MS, "FusedConv"): (0, 1)}


MATMUL_OPS = {("", "MatMul"): (0, 1), ("", "MatMulInteger"): (0, 1), ("", "QLinearMatMul"): (0, 3),
               ("", "Gemm"): (0, 1), (MS, "FusedMatMul"): (0, 1), (MS, "FusedGemm"): (0, 1),
               (MS, "QGemm"): (0, 3), (MS, "DynamicQuantizeMatMul"): (0, 1),
               (MS, "MatMulIntegerToFloat"): (0, 1), (MS, "MatMulNBits"): (0, 1)}


_GEMM_OPS = frozenset({"Gemm", "FusedGemm", "QGemm"})  # 2-D operands, transA / transB


CONV_TRANSPOSE_OPS = {("", "ConvTranspose"): (0, 1)}


RECURRENT_GATES = {("", "LSTM"): 4, ("", "GRU"): 3, ("", "RNN"): 1,  # gate GEMMs per step
                    (MS, "DynamicQuantizeLSTM"): 4}  # onnxruntime's int8 LSTM: W [dirs, input, 4 hidden]


ATTENTION_OPS = frozenset({("", "Attention"), (MS, "MultiHeadAttention"), (MS, "Attention")})


# What a malformed MAC node (wrong attribute types, missing inputs ...) raises inside the layer builders;
# it becomes one error naming the node
_MALFORMED_NODE_ERRORS = (IndexError, KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError)


@dataclass(frozen=True)
class Part:
    """One layer of a node: name suffix, Layer fields, the activation tensors it reads, and the earlier
    parts of the same node it reads (attention: the scores layer reads Q K^T)."""

    suffix: str
    spec: dict
    operands: tuple[str, ...]
    after: tuple[int, ...] = ()


@dataclass(frozen=True)
class Skip:
    """A node left out: the operator label and its MACs (None when they cannot be computed)."""

    op: str
    macs: int | None = None


def is_layer_op(node) -> bool:
    """True for the operators that become layers (see the module docstring)."""
    key = op_key(node)
    return (key in CONV_OPS or key in MATMUL_OPS or key in CONV_TRANSPOSE_OPS or key in RECURRENT_GATES
            or key in ATTENTION_OPS)


def layers_of(node, label: str, info: GraphInfo) -> list[Part] | Skip:
    """The builder's answer for a layer node; a node whose inputs or attributes make no sense is reported by
    name instead of failing inside the builder."""
    key = op_key(node)
    slots = CONV_OPS.get(key) or MATMUL_OPS.get(key) or CONV_TRANSPOSE_OPS.get(key)
    if slots is not None:
        a_slot, b_slot = slots
        if len(node.input) <= b_slot or not node.input[a_slot] or not node.input[b_slot]:
            plural = "" if len(node.input) == 1 else "s"
            raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} has {len(node.input)} input{plural} but needs "
                                f"its operands at inputs {a_slot} and {b_slot}; the model is malformed")
    try:
        if key in CONV_OPS:
            built = _conv_layer(node, label, info)
        elif key in MATMUL_OPS:
            built = _matmul_layer(node, label, info)
        elif key in CONV_TRANSPOSE_OPS:
            built = _conv_transpose_layer(node, label, info)
        elif key in RECURRENT_GATES:
            return _recurrent_layer(node, label, info)
        else:
            return _attention_layers(node, label, info)
    except ImcbenchError:
        raise
    except _MALFORMED_NODE_ERRORS as exc:
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} is malformed ({type(exc).__name__}: "
                            f"{str(exc)[:120]}); the model cannot be imported") from None
    if isinstance(built, Skip):
        return built
    spec, operands = built
    return [Part("", spec, tuple(operands))]


def skipped_macs(node, info: GraphInfo) -> int | None:
    """MACs of a left-out operator where the shapes give them (two-operand Einsum, DeformConv)."""
    try:
        if node.op_type == "Einsum" and len(node.input) == 2:
            return _einsum_macs(node, info)
        if node.op_type == "DeformConv":
            w, out = info.shape(node.input[1]), info.shape(node.output[0])
            if w and out and None not in w and None not in out:
                return math.prod(out) * math.prod(w[1:])  # each output: C/G x kernel products
    except _MALFORMED_NODE_ERRORS:
        return None
    return None


def _einsum_macs(node, info: GraphInfo) -> int | None:
    """MACs of a two-operand Einsum: the product of the sizes of all its distinct indices."""
    equation = attributes(node).get("equation", b"")
    equation = (equation.decode() if isinstance(equation, bytes) else str(equation)).replace(" ", "")
    operands = equation.split("->")[0].split(",")
    if "." in equation or len(operands) != 2:
        return None
    sizes: dict[str, int] = {}
    for letters, name in zip(operands, node.input):
        shape = info.shape(name)
        if shape is None or None in shape or len(shape) != len(letters):
            return None
        for letter, size in zip(letters, shape):
            sizes[letter] = max(sizes.get(letter, 1), size)
    return math.prod(sizes.values())


def _check_conv_attrs(attrs: dict, n_spatial: int, label: str, info: GraphInfo) -> None:
    """Conv attributes of the right length and sign (pads >= 0, the others >= 1), else a node-naming error."""
    for key, count, minimum in (("kernel_shape", n_spatial, 1), ("strides", n_spatial, 1),
                                ("dilations", n_spatial, 1), ("pads", 2 * n_spatial, 0)):
        value = attrs.get(key)
        if value is not None and not (isinstance(value, (list, tuple)) and len(value) == count
                                      and all(isinstance(v, int) and v >= minimum for v in value)):
            raise ImcbenchError(f"{info.path}: Conv node {label!r}: attribute {key} = {value!r} must be {count} "
                                f"integers >= {minimum} for a {n_spatial}-D convolution; the model is malformed")
    if not isinstance(attrs.get("group", 1), int):
        raise ImcbenchError(f"{info.path}: Conv node {label!r}: attribute group = {attrs['group']!r} must be an "
                            "integer; the model is malformed")


def _conv_layer(node, label: str, info: GraphInfo):
    """(layer fields, activation operands) of a Conv-like node, or a :class:`Skip` for an unmodelled form.
    A 3-D convolution is folded onto the 2-D loop nest (see the module docstring)."""
    x_slot, w_slot = CONV_OPS[op_key(node)]
    x_name, w_name = node.input[x_slot], node.input[w_slot]
    attrs = attributes(node)
    x_shape = need(info.shape(x_name), info, label, f"input {x_name!r} shape", x_name)
    n_spatial = len(x_shape) - 2
    if n_spatial not in (1, 2, 3):
        return Skip(f"{op_label(node)} ({n_spatial}-D)", _conv_macs_from_shapes(info, node, x_shape, w_name))
    _check_conv_attrs(attrs, n_spatial, label, info)
    if x_name not in info.producer and x_name not in info.graph_inputs and x_name not in info.initializers:
        raise ImcbenchError(f"{info.path}: Conv node {label!r} reads {x_name!r}, which no node produces and which is "
                            "neither a graph input nor an initializer; the graph is broken (dangling input)")
    w_shape = info.shape(w_name)
    out_shape = info.shape(node.output[0])
    group = int(attrs.get("group", 1))

    kernel = tuple(attrs["kernel_shape"]) if "kernel_shape" in attrs else (
        tuple(w_shape[2:]) if w_shape is not None else None)
    kernel = need(kernel, info, label, f"kernel of weight {w_name!r}", w_name)
    if len(kernel) != n_spatial:
        raise ImcbenchError(f"{info.path}: Conv node {label!r}: kernel {kernel} does not match the {n_spatial}-D "
                            "input; the model is malformed")
    m = w_shape[0] if w_shape is not None and w_shape[0] is not None else (
        out_shape[1] if out_shape is not None and len(out_shape) > 1 else None)
    m = need(m, info, label, f"output channels (weight {w_name!r})", w_name)
    batch, c_in, spatial_in = x_shape[0], x_shape[1], x_shape[2:]
    if group < 1 or c_in % group or m % group:
        raise ImcbenchError(f"{info.path}: Conv node {label!r}: group={group} does not divide the "
                            f"{c_in} input and {m} output channels; the model is malformed")

    strides = tuple(attrs.get("strides", (1,) * n_spatial))
    dilations = tuple(attrs.get("dilations", (1,) * n_spatial))
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else str(auto_pad)
    begin, end, out_spatial = [], [], []
    for axis in range(n_spatial):
        size, k, s, d = spatial_in[axis], kernel[axis], strides[axis], dilations[axis]
        span = (k - 1) * d + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            out = math.ceil(size / s)
            total = max(0, (out - 1) * s + span - size)
            small, large = total // 2, total - total // 2
            b, e = (small, large) if auto_pad == "SAME_UPPER" else (large, small)
        elif auto_pad == "VALID":
            b = e = 0
            out = (size - span) // s + 1
        else:
            pads = attrs.get("pads", (0,) * (2 * n_spatial))
            b, e = pads[axis], pads[axis + n_spatial]
            out = (size + b + e - span) // s + 1
        begin.append(int(b))
        end.append(int(e))
        out_spatial.append(out)
    if out_shape is not None and len(out_shape) == len(x_shape) and None not in out_shape[2:]:
        out_spatial = list(out_shape[2:])  # shape inference is the reference when it answered

    depth_out, depth_kernel = 1, 1
    if n_spatial == 3:  # fold the depth: output depth into the batch, kernel depth into the channels
        depth_out, depth_kernel = out_spatial[0], kernel[0]
        out_spatial, kernel, strides, dilations = out_spatial[1:], kernel[1:], strides[1:], dilations[1:]
        begin, end = begin[1:], end[1:]
    if n_spatial == 1:  # a 1-D convolution runs along X
        oy, ox, fy, fx = 1, out_spatial[0], 1, kernel[0]
        stride, dilation = (1, int(strides[0])), (1, int(dilations[0]))
        padding = (0, begin[0], 0, end[0])
    else:
        oy, ox = out_spatial
        fy, fx = kernel
        stride, dilation = (int(strides[0]), int(strides[1])), (int(dilations[0]), int(dilations[1]))
        padding = (begin[0], begin[1], end[0], end[1])
    dims = {"B": batch * depth_out, "K": m // group, "C": c_in // group * depth_kernel, "G": group, "OY": oy,
            "OX": ox, "FY": fy, "FX": fx}
    dims = {k: int(v) for k, v in dims.items()}
    check_positive(info, label, dims)
    if any(v < 0 for v in padding):
        raise ImcbenchError(f"{info.path}: Conv node {label!r} has negative pads {padding}; the model "
                            "is malformed")
    kind = infer_kind(**dims)
    spec = {"kind": kind, **dims, "stride": stride, "dilation": dilation, "padding": padding,
            **precision(info, node, x_name, w_name)}
    return spec, [x_name]


def _conv_macs_from_shapes(info: GraphInfo, node, x_shape, w_name: str) -> int | None:
    """MACs of a convolution from static shapes: output elements x (C_in / G x kernel)."""
    w_shape, out_shape = info.shape(w_name), info.shape(node.output[0])
    if not w_shape or not out_shape or None in w_shape or None in out_shape:
        return None
    return math.prod(out_shape) * math.prod(w_shape[1:])


def _matmul_layer(node, label: str, info: GraphInfo):
    """(layer fields, activation operands) of a MatMul / Gemm-like node."""
    a_slot, b_slot = MATMUL_OPS[op_key(node)]
    a_name, b_name = node.input[a_slot], node.input[b_slot]
    a_shape = need(info.shape(a_name), info, label, f"operand {a_name!r} shape", a_name)
    if node.op_type == "MatMulNBits":  # block-quantized weight, packed: its logical shape is K x N
        b_shape = _nbits_weight_shape(node, label, info)
    else:
        b_shape = need(info.shape(b_name), info, label, f"operand {b_name!r} shape", b_name)
    a, b = list(a_shape), list(b_shape)
    attrs = attributes(node) if node.op_type in _GEMM_OPS or node.op_type == "FusedMatMul" else {}
    if node.op_type in _GEMM_OPS:
        if len(a) != 2 or len(b) != 2:
            raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} needs 2-D operands, got {a_shape} "
                                f"and {b_shape}; the model is malformed")
    if attrs.get("transBatchA", 0) or attrs.get("transBatchB", 0):
        return Skip(f"{op_label(node)} (transBatch)", None)
    if attrs.get("transA", 0) and len(a) >= 2:  # the last two dims (Gemm: the only two)
        a[-2:] = a[-1], a[-2]
    if attrs.get("transB", 0) and len(b) >= 2:
        b[-2:] = b[-1], b[-2]
    if not a or not b:
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} has a scalar operand; the model "
                            "is malformed")
    if len(a) == 1:  # numpy matmul rules: a vector is one row / one column
        a = [1, *a]
    if len(b) == 1:
        b = [*b, 1]
    rows, inner_a = a[-2], a[-1]
    inner_b, cols = b[-2], b[-1]
    if inner_a != inner_b:
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r}: inner dimensions differ "
                            f"({a_shape} x {b_shape}); the model is malformed")
    lead_a, lead_b = a[:-2], b[:-2]
    width = max(len(lead_a), len(lead_b))
    lead_a = [1] * (width - len(lead_a)) + lead_a
    lead_b = [1] * (width - len(lead_b)) + lead_b
    for x, y in zip(lead_a, lead_b):
        if x != y and 1 not in (x, y):
            raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r}: batch dimensions do not "
                                f"broadcast ({a_shape} x {b_shape}); the model is malformed")

    a_const, b_const = a_name in info.constant, b_name in info.constant
    if b_const or not a_const:
        # Activation rows times a matrix (the usual case); both-activation products are attention.
        weight_lead, act, weight = lead_b, a_name, b_name
        K, C, OX = cols, inner_a, rows
    else:  # a constant matrix times activation columns: weight rows are the output channels
        weight_lead, act, weight = lead_a, b_name, a_name
        K, C, OX = rows, inner_a, cols
    if a_const or b_const:
        # Leading dims where the weight differs per index are groups; shared-weight dims are batch.
        G = math.prod(max(x, y) for x, y, w in zip(lead_a, lead_b, weight_lead) if w > 1)
        B = math.prod(max(x, y) for x, y, w in zip(lead_a, lead_b, weight_lead) if w == 1)
        kind = LayerKind.FC if OX == 1 else LayerKind.MATMUL
        operands = [] if (a_const and b_const) else [act]
    else:  # both activations: batch and heads all index a different "weight" (K^T or V)
        G = math.prod(max(x, y) for x, y in zip(lead_a, lead_b))
        B = 1
        kind = LayerKind.ATTENTION
        operands = [a_name, b_name]
    dims = {"B": B, "K": K, "C": C, "G": G, "OY": 1, "OX": OX, "FY": 1, "FX": 1}
    dims = {k: int(v) for k, v in dims.items()}
    check_positive(info, label, dims)
    spec = {"kind": kind, **dims, **precision(info, node, act, weight)}
    if node.op_type == "MatMulNBits":
        spec["weight_bits"] = int(attributes(node).get("bits", NBITS_DEFAULT_BITS))
    return spec, operands


NBITS_DEFAULT_BITS = 4  # MatMulNBits' default weight width (onnxruntime contrib operator spec)


def _nbits_weight_shape(node, label: str, info: GraphInfo) -> tuple[int, int]:
    """The logical K x N weight of an onnxruntime ``MatMulNBits`` node, from its K and N attributes."""
    attrs = attributes(node)
    k, n = attrs.get("K"), attrs.get("N")
    if not isinstance(k, int) or not isinstance(n, int) or k < 1 or n < 1:
        raise ImcbenchError(f"{info.path}: MatMulNBits node {label!r} needs integer attributes K and N >= 1 "
                            f"(got K={k!r}, N={n!r}); the model is malformed")
    return k, n


def _conv_transpose_layer(node, label: str, info: GraphInfo):
    """(layer fields, activation operands) of a ConvTranspose node in the scatter form (module docstring):
    a pointwise layer C_in/G -> C_out/G x prod(kernel) over the input pixels (3-D: depth in the batch)."""
    x_name, w_name = node.input[0], node.input[1]
    x_shape = need(info.shape(x_name), info, label, f"input {x_name!r} shape", x_name)
    w_shape = need(info.shape(w_name), info, label, f"weight {w_name!r} shape", w_name)
    n_spatial = len(x_shape) - 2
    group = int(attributes(node).get("group", 1))
    if n_spatial not in (1, 2, 3) or len(w_shape) != len(x_shape):
        macs = math.prod(x_shape) * math.prod(w_shape[1:]) if n_spatial >= 1 and len(w_shape) == len(x_shape) else None
        return Skip(f"ConvTranspose ({n_spatial}-D)", macs)
    batch, c_in, spatial = x_shape[0], x_shape[1], list(x_shape[2:])
    if group < 1 or c_in % group or w_shape[0] != c_in:
        raise ImcbenchError(f"{info.path}: ConvTranspose node {label!r}: weight {tuple(w_shape)} and group={group} "
                            f"do not match the {c_in} input channels; the model is malformed")
    depth = spatial.pop(0) if n_spatial == 3 else 1
    oy, ox = (1, spatial[0]) if n_spatial == 1 else spatial
    dims = {"B": batch * depth, "K": w_shape[1] * math.prod(w_shape[2:]), "C": c_in // group, "G": group,
            "OY": oy, "OX": ox, "FY": 1, "FX": 1}
    dims = {k: int(v) for k, v in dims.items()}
    check_positive(info, label, dims)
    spec = {"kind": infer_kind(**dims), **dims, **precision(info, node, x_name, w_name)}
    return spec, [x_name]


def _recurrent_layer(node, label: str, info: GraphInfo) -> list[Part]:
    """The gate GEMMs of an LSTM / GRU / RNN node as one weight-stationary layer (module docstring)."""
    gates = RECURRENT_GATES[op_key(node)]
    if len(node.input) < 3 or not all(node.input[:3]):
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} needs inputs X, W and R; the model is "
                            "malformed")
    x_name, w_name, r_name = node.input[:3]
    x_shape = need(info.shape(x_name), info, label, f"input {x_name!r} shape", x_name)
    w_shape = need(info.shape(w_name), info, label, f"weight {w_name!r} shape", w_name)
    attrs = attributes(node)
    if len(x_shape) != 3 or len(w_shape) != 3:
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} needs a 3-D input and weight, got "
                            f"{x_shape} and {w_shape}; the model is malformed")
    seq, batch = (x_shape[1], x_shape[0]) if attrs.get("layout", 0) else (x_shape[0], x_shape[1])
    directions, gate_rows, width = w_shape
    if node.op_type == "DynamicQuantizeLSTM":  # onnxruntime keeps W transposed: [dirs, input, 4 x hidden]
        width, gate_rows = gate_rows, width
    hidden = attrs.get("hidden_size") or gate_rows // gates
    if gate_rows != gates * hidden or width != x_shape[2]:
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r}: weight {w_shape} does not hold {gates} "
                            f"gates of hidden size {hidden} for input width {x_shape[2]}; the model is malformed")
    dims = {"B": batch, "K": gates * hidden, "C": width + hidden, "G": directions, "OY": 1, "OX": seq,
            "FY": 1, "FX": 1}
    dims = {k: int(v) for k, v in dims.items()}
    check_positive(info, label, dims)
    kind = LayerKind.FC if dims["OX"] == 1 else LayerKind.MATMUL
    initial_state = [name for name in node.input[5:7] if name]  # initial_h, initial_c
    spec = {"kind": kind, **dims, **precision(info, node, x_name, w_name)}
    return [Part("", spec, (x_name, *initial_state))]


def _attention_layers(node, label: str, info: GraphInfo) -> list[Part] | Skip:
    """Q K^T and scores x V of an attention node as two ``attention`` layers; onnxruntime's ``Attention``
    first projects its input to packed Q, K, V with a ``matmul`` layer."""
    attrs = attributes(node)
    inputs = list(node.input) + [""] * 8
    if op_key(node) == ("", "Attention"):  # opset 23: Q, K, V, attn_mask, past_key, past_value
        q, k, v = (need(info.shape(n), info, label, f"input {n!r} shape", n) for n in inputs[:3])
        past = info.shape(inputs[4]) if inputs[4] else None
        q_heads, kv_heads = attrs.get("q_num_heads"), attrs.get("kv_num_heads")
        if len(q) == 4:  # [batch, heads, sequence, head size]
            batch, q_heads, q_seq, head = q
            kv_seq, v_head = k[2], v[3]
        else:  # [batch, sequence, heads x head size]
            batch, q_seq = q[0], q[1]
            head, kv_seq, v_head = q[2] // q_heads, k[1], v[2] // kv_heads
        operands, projection = (inputs[0], inputs[1], inputs[2]), None
    elif node.op_type == "MultiHeadAttention":  # query [B, S, D], key and value [B, L, D] or [B, N, L, H]
        if not inputs[1] or not inputs[2]:
            return Skip(f"{op_label(node)} (packed QKV)", None)
        q, k, v = (need(info.shape(n), info, label, f"input {n!r} shape", n) for n in inputs[:3])
        q_heads = attrs["num_heads"]
        batch, q_seq, head = q[0], q[1], q[2] // q_heads
        kv_seq, v_head = (k[1], v[2] // q_heads) if len(k) == 3 else (k[2], v[3])
        past = info.shape(inputs[6]) if inputs[6] else None
        operands, projection = (inputs[0], inputs[1], inputs[2]), None
    else:  # com.microsoft Attention: input [B, S, In] x weights [In, Dq + Dk + Dv], past [2, B, N, P, H]
        x = need(info.shape(inputs[0]), info, label, f"input {inputs[0]!r} shape", inputs[0])
        w = need(info.shape(inputs[1]), info, label, f"weights {inputs[1]!r} shape", inputs[1])
        q_heads = attrs["num_heads"]
        dq, dk, dv = attrs.get("qkv_hidden_sizes") or [w[1] // 3] * 3
        batch, q_seq, kv_seq = x[0], x[1], x[1]
        head, v_head = dq // q_heads, dv // q_heads
        past_all = info.shape(inputs[4]) if inputs[4] else None
        past = past_all[1:] if past_all else None
        proj = {"B": batch, "K": dq + dk + dv, "C": x[2], "G": 1, "OY": 1, "OX": q_seq, "FY": 1, "FX": 1}
        projection = {"kind": LayerKind.FC if q_seq == 1 else LayerKind.MATMUL, **proj,
                      **precision(info, node, inputs[0], inputs[1])}
        operands = (inputs[0],)
    if past is not None:
        past = need(past, info, label, "past key shape", inputs[4])
        kv_seq += past[2]
    common = {"B": 1, "G": batch * q_heads, "OY": 1, "OX": q_seq, "FY": 1, "FX": 1}
    scores = {k_: int(v_) for k_, v_ in {**common, "K": kv_seq, "C": head}.items()}
    mixed = {k_: int(v_) for k_, v_ in {**common, "K": v_head, "C": kv_seq}.items()}
    parts = []
    if projection is not None:
        check_positive(info, label, {d: projection[d] for d in ("B", "K", "C", "G", "OY", "OX", "FY", "FX")})
        parts.append(Part(".qkv", projection, operands))
        operands, first = (), (0,)
    else:
        first = ()
    bits = precision(info, node, inputs[0], inputs[1])
    for dims in (scores, mixed):
        check_positive(info, label, dims)
    parts.append(Part(".qk", {"kind": LayerKind.ATTENTION, **scores, **bits}, operands[:2], first))
    parts.append(Part(".av", {"kind": LayerKind.ATTENTION, **mixed, **bits}, operands[2:], (len(parts) - 1, *first)))
    return parts
