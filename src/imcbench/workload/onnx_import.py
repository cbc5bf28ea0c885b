"""Import an ONNX model as a :class:`~imcbench.workload.network.Network` of MAC layers.

Only operators that carry multiply-accumulates become layers:

* ``Conv`` / ``ConvInteger`` / ``QLinearConv`` (1-D and 2-D, any group count, strides, dilations,
  explicit pads or ``auto_pad``);
* ``Gemm`` (``transA`` / ``transB``), ``MatMul`` / ``MatMulInteger`` / ``QLinearMatMul``.

A matrix product is a constant-weight layer (``fc`` for one input row, ``matmul`` for many rows,
rows in OX) when one operand is constant, and an ``attention`` layer when both operands are
activations. An operand is *constant* when it does not depend on the data input: an initializer, a
``Constant`` node, a name that nothing produces (a stripped initializer), a graph input other than
the first one (``torch.onnx.export(..., export_params=False)`` and hand-built graphs turn weights
into graph inputs), or the output of a non-MAC operator whose inputs are all constant (so
``Transpose(W)``, ``Reshape(W)``, ``DequantizeLinear(W_int8)`` stay constant).

Every other operator (activations, normalisation, pooling, reshapes, ``Add`` ...) is passed
through: a layer's ``inputs`` are the nearest MAC layers found by walking back through them.
Operators that do carry MACs but are not modelled (``ConvTranspose``, ``LSTM``, ``Einsum``, fused
attention ...) are left out with a :class:`WorkloadWarning` that names them.
"""

from __future__ import annotations

import heapq
import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from imcbench.errors import ImcbenchError
from imcbench.limits import MAX_ONNX_BYTES, MAX_ONNX_NODES, check_layer_count, check_layer_size
from imcbench.workload.layer import Layer, LayerKind, infer_kind
from imcbench.workload.network import Network


class WorkloadWarning(UserWarning):
    """Something in a workload was skipped or assumed (the result is still usable)."""


# Supported MAC operators (default ONNX domain): (activation slot, weight slot).
_CONV_OPS = {"Conv": (0, 1), "ConvInteger": (0, 1), "QLinearConv": (0, 3)}
_MATMUL_OPS = {"MatMul": (0, 1), "MatMulInteger": (0, 1), "QLinearMatMul": (0, 3), "Gemm": (0, 1)}
_DEFAULT_DOMAINS = ("", "ai.onnx")

# Operators that carry MACs but are not turned into layers (any domain). Listed so that the user
# hears about the work that is missing from the totals instead of silently losing it.
_UNSUPPORTED_MAC_OPS = frozenset({
    "ConvTranspose", "DeformConv", "Einsum", "LSTM", "GRU", "RNN", "Attention",
    "MultiHeadAttention", "GroupQueryAttention", "QAttention", "FusedConv", "FusedGemm",
    "FusedMatMul", "QGemm", "NhwcConv", "QLinearConvTranspose", "ConvTransposeWithDynamicPads",
    "DynamicQuantizeLSTM", "DynamicQuantizeMatMul", "MatMulNBits", "MatMulIntegerToFloat",
    "MatMulFpQ4", "GemmFastGelu", "QOrderedMatMul", "QOrderedAttention", "DecoderAttention",
    "LongformerAttention", "PackedAttention", "SparseAttention",
})
_SUBGRAPH_OPS = frozenset({"If", "Loop", "Scan"})

# Bits of integer element types (onnx.TensorProto.DataType values): a quantized operand sets the
# layer precision; float operands leave the 8-bit default.
_INT_TYPE_BITS = {2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 12: 32, 21: 4, 22: 4, 25: 2, 26: 2}
DEFAULT_BITS = 8

# What a malformed MAC node (wrong attribute types, missing inputs ...) raises inside the layer builders;
# it becomes one error naming the node
_MALFORMED_NODE_ERRORS = (IndexError, KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError)


@dataclass
class _GraphInfo:
    """What the importer knows about one (shape-inferred) ONNX graph."""

    path: Path
    nodes: list  # onnx.NodeProto in topological order
    labels: list[str]  # a printable name per node (same order)
    shapes: dict[str, tuple[int | None, ...] | None] = field(default_factory=dict)
    elem_types: dict[str, int] = field(default_factory=dict)
    constant: set[str] = field(default_factory=set)
    producer: dict[str, object] = field(default_factory=dict)  # tensor name -> NodeProto
    graph_inputs: set[str] = field(default_factory=set)
    initializers: set[str] = field(default_factory=set)

    def shape(self, name: str) -> tuple[int | None, ...] | None:
        """Static dims of tensor ``name`` (None entries for symbolic dims); None when unknown."""
        return self.shapes.get(name)


def load_onnx(path: str | Path, *, name: str | None = None) -> Network:
    """Read the ONNX model at ``path`` and return its MAC layers as a :class:`Network`.

    External tensor data is never read (only shapes matter). Shapes come from
    ``onnx.shape_inference.infer_shapes(model, data_prop=True)``; a symbolic batch dimension on a
    graph input is taken as 1 (with a :class:`WorkloadWarning`). Precisions default to 8/8/8 bits
    unless an operand is an integer tensor (quantized models). ``name`` defaults to the file stem.

    Raises :class:`ImcbenchError` for a missing or unreadable file, a graph without MAC layers, or a
    MAC node whose shapes cannot be inferred.
    """
    path = Path(path)
    model = _read_model(path)
    _fix_symbolic_batch(model, path)
    model = _infer_shapes(model, path)
    info = _graph_info(model, path)
    try:
        layers = _build_layers(info)
        check_layer_count(len(layers), str(path))
        if not layers:
            raise ImcbenchError(
                f"{path}: the graph has no supported MAC operators (Conv, Gemm, MatMul and their quantized "
                "forms), so there is nothing to benchmark; check that this is the model you meant")
        return Network(name or path.stem, tuple(layers))
    except ImcbenchError as exc:  # Layer and Network checks do not know the file
        message = str(exc)
        raise ImcbenchError(message if message.startswith(f"{path}:") else f"{path}: {message}") from None


# -- reading -----------------------------------------------------------------------------------
def _read_model(path: Path):
    """Load the ModelProto without external data; every failure becomes one ImcbenchError line."""
    import onnx

    if not path.exists():
        raise ImcbenchError(f"{path}: no such file; give the path of an .onnx model")
    if not path.is_file():
        raise ImcbenchError(f"{path}: is not a file; give the path of an .onnx model")
    size = path.stat().st_size
    if size > MAX_ONNX_BYTES:
        raise ImcbenchError(f"{path}: {size} bytes is above the limit of {MAX_ONNX_BYTES} bytes "
                            "(imcbench.limits.MAX_ONNX_BYTES); export the weights as external data")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # DecodeError for garbage or truncated bytes, OSError, onnx errors
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise ImcbenchError(
            f"{path}: not a readable ONNX model ({reason}); the file may be truncated or not ONNX, "
            "export it again") from None
    # Some non-ONNX bytes decode as an (almost) empty protobuf message instead of failing.
    if not model.HasField("graph") or len(model.graph.node) == 0:
        raise ImcbenchError(
            f"{path}: not an ONNX model (no graph nodes found); the file may be truncated or not ONNX, "
            "export it again")
    if len(model.graph.node) > MAX_ONNX_NODES:
        raise ImcbenchError(f"{path}: {len(model.graph.node)} nodes is above the limit of {MAX_ONNX_NODES} "
                            "(imcbench.limits.MAX_ONNX_NODES); check the file")
    _check_names_are_text(model.graph, path)
    return model


def _check_names_are_text(graph, path: Path) -> None:
    """Refuse names that are not UTF-8 text: protobuf hands them over as bytes (a damaged file)."""
    names = [*(n.name for n in graph.node), *(t for n in graph.node for t in (*n.input, *n.output)),
             *(v.name for v in (*graph.input, *graph.output, *graph.value_info)), *(t.name for t in graph.initializer)]
    bad = next((name for name in names if not isinstance(name, str)), None)
    if bad is not None:
        raise ImcbenchError(f"{path}: the name {bad[:60]!r} is not valid UTF-8 text; the file is damaged, export "
                            "it again")


def _data_inputs(graph) -> list:
    """Graph inputs that are not initializers (old IR versions list initializers as inputs too)."""
    init_names = {t.name for t in graph.initializer}
    return [vi for vi in graph.input if vi.name not in init_names]


def _fix_symbolic_batch(model, path: Path) -> None:
    """Pin a symbolic leading (batch) dimension of the graph inputs to 1, in memory only."""
    fixed = []
    for vi in _data_inputs(model.graph):
        ttype = vi.type.tensor_type
        if not ttype.HasField("shape") or len(ttype.shape.dim) < 2:
            continue
        dim = ttype.shape.dim[0]
        if not dim.HasField("dim_value"):
            fixed.append(f"{vi.name!r} ({dim.dim_param or '?'})")
            dim.Clear()
            dim.dim_value = 1
    if fixed:
        warnings.warn(f"{path.name}: symbolic batch dimension of input {', '.join(fixed)} taken as 1",
                      WorkloadWarning, stacklevel=3)


def _infer_shapes(model, path: Path):
    """Run ONNX shape inference with data propagation; keep the stored shapes if it fails."""
    import onnx

    try:
        return onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:  # a broken or exotic graph: shapes stored in the file may still do
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        warnings.warn(f"{path.name}: ONNX shape inference failed ({reason}); using the shapes stored "
                      "in the file", WorkloadWarning, stacklevel=3)
        return model


def _dims_of(type_proto) -> tuple[int | None, ...] | None:
    """Static dims of a tensor type (None for a symbolic dim); None when the rank is unknown."""
    if not type_proto.HasField("tensor_type"):
        return None
    ttype = type_proto.tensor_type
    if not ttype.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in ttype.shape.dim)


def _graph_info(model, path: Path) -> _GraphInfo:
    """Collect shapes, element types, constness and producers; sort nodes topologically."""
    graph = model.graph
    nodes, labels = _topological(graph, path)
    info = _GraphInfo(path=path, nodes=nodes, labels=labels, graph_inputs={vi.name for vi in graph.input},
                      initializers={t.name for t in graph.initializer})

    for vi in [*graph.input, *graph.value_info, *graph.output]:
        info.shapes[vi.name] = _dims_of(vi.type)
        if vi.type.HasField("tensor_type"):
            info.elem_types[vi.name] = vi.type.tensor_type.elem_type
    for tensor in graph.initializer:  # authoritative, even when the data itself is external
        info.shapes[tensor.name] = tuple(tensor.dims)
        info.elem_types[tensor.name] = tensor.data_type
    for node in nodes:
        for out in node.output:
            if out:
                info.producer[out] = node
        if node.op_type == "Constant" and node.output:
            for attr in node.attribute:
                if attr.name == "value" and attr.HasField("t"):
                    info.shapes.setdefault(node.output[0], tuple(attr.t.dims))
                    info.elem_types.setdefault(node.output[0], attr.t.data_type)

    # Constness: see the module docstring. The first non-initializer graph input is the data.
    const = {t.name for t in graph.initializer}
    const.update(vi.name for vi in _data_inputs(graph)[1:])
    graph_inputs = {vi.name for vi in graph.input}
    for node in nodes:
        for name in node.input:
            if name and name not in info.producer and name not in graph_inputs:
                const.add(name)  # a stripped initializer: nothing produces it
    for node in nodes:
        if _is_mac_op(node) or node.op_type in _UNSUPPORTED_MAC_OPS or node.op_type in _SUBGRAPH_OPS:
            continue
        if all(name in const for name in node.input if name):
            const.update(out for out in node.output if out)
    info.constant = const
    return info


def _topological(graph, path: Path) -> tuple[list, list[str]]:
    """Nodes in a topological order (stable: the file order when it already is one) and labels."""
    nodes = list(graph.node)
    producer_index = {out: i for i, node in enumerate(nodes) for out in node.output if out}
    deps = [{producer_index[name] for name in node.input if name in producer_index} - {i}
            for i, node in enumerate(nodes)]
    users: list[list[int]] = [[] for _ in nodes]
    for i, dep in enumerate(deps):
        for j in dep:
            users[j].append(i)
    waiting = [len(dep) for dep in deps]
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in users[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    if len(order) != len(nodes):
        stuck = next(i for i in range(len(nodes)) if waiting[i] > 0)
        raise ImcbenchError(f"{path}: the graph has a cycle through node "
                            f"{_label(nodes[stuck], stuck)!r}; it is not a valid ONNX model")
    return [nodes[i] for i in order], [_label(nodes[i], i) for i in order]


def _label(node, index: int) -> str:
    """The node name, or ``<op_type>_<index>`` for the many exporters that leave it empty."""
    return node.name or f"{node.op_type}_{index}"


def _is_mac_op(node) -> bool:
    """True for the supported MAC operators of the default ONNX domain."""
    return node.domain in _DEFAULT_DOMAINS and (node.op_type in _CONV_OPS or node.op_type in _MATMUL_OPS)


def _has_mac_subgraph(node) -> bool:
    """True when an If/Loop/Scan body (at any depth) contains a MAC operator."""
    for attr in node.attribute:
        for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
            for inner in sub.node:
                if (_is_mac_op(inner) or inner.op_type in _UNSUPPORTED_MAC_OPS
                        or (inner.op_type in _SUBGRAPH_OPS and _has_mac_subgraph(inner))):
                    return True
    return False


# -- building layers -------------------------------------------------------------------------
def _build_layers(info: _GraphInfo) -> list[Layer]:
    """One pass in topological order: MAC nodes become layers, the rest pass producers through."""
    layers: list[Layer] = []
    index_of: dict[str, int] = {}
    producers: dict[str, tuple[str, ...]] = {}  # tensor -> nearest MAC layers that made it
    used_names: set[str] = set()
    skipped: Counter[str] = Counter()

    def merged(names: Sequence[str]) -> tuple[str, ...]:
        """MAC layers that produced any of the tensors ``names``, in layer order."""
        found = {p for name in names if name for p in producers.get(name, ())}
        return tuple(sorted(found, key=index_of.__getitem__))

    for node, label in zip(info.nodes, info.labels):
        built = None
        if _is_mac_op(node):
            built = _mac_layer(node, label, info)
            if isinstance(built, str):  # a form of the operator that is not modelled
                skipped[built] += 1
                built = None
        elif node.op_type in _UNSUPPORTED_MAC_OPS:
            skipped[node.op_type] += 1
        elif node.op_type in _SUBGRAPH_OPS and _has_mac_subgraph(node):
            skipped[f"{node.op_type} (MACs inside a subgraph)"] += 1

        if built is None:  # pass-through (unsupported MAC operators included)
            source = merged(node.input)
            for out in node.output:
                if out:
                    producers[out] = source
            continue

        spec, activation_operands = built
        inputs: list[str] = []
        for operand in activation_operands:  # operand order first (Q before K^T), then layer order
            for p in merged([operand]):
                if p not in inputs:
                    inputs.append(p)
        layer_name = _unique(label, used_names)
        layers.append(Layer(name=layer_name, inputs=tuple(inputs), **spec))
        index_of[layer_name] = len(layers) - 1
        for out in node.output:
            if out:
                producers[out] = (layer_name,)

    for op, count in sorted(skipped.items()):
        verb = "node carries" if count == 1 else "nodes carry"
        warnings.warn(f"{info.path.name}: {count} {op} {verb} MACs but {'is' if count == 1 else 'are'} "
                      f"not supported; {'it is' if count == 1 else 'they are'} left out",
                      WorkloadWarning, stacklevel=3)
    return layers


def _mac_layer(node, label: str, info: _GraphInfo):
    """The builder's answer for a MAC node; a node whose inputs or attributes make no sense is reported by
    name instead of failing inside the builder."""
    a_slot, b_slot = _CONV_OPS.get(node.op_type) or _MATMUL_OPS[node.op_type]
    if len(node.input) <= b_slot or not node.input[a_slot] or not node.input[b_slot]:
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} has {len(node.input)} input{'' if len(node.input) == 1 else 's'} but needs "
                            f"its operands at inputs {a_slot} and {b_slot}; the model is malformed")
    try:
        return _conv_layer(node, label, info) if node.op_type in _CONV_OPS else _matmul_layer(node, label, info)
    except ImcbenchError:
        raise
    except _MALFORMED_NODE_ERRORS as exc:
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} is malformed ({type(exc).__name__}: "
                            f"{str(exc)[:120]}); the model cannot be imported") from None


def _check_conv_attrs(attrs: dict, n_spatial: int, label: str, info: _GraphInfo) -> None:
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


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name_1``, ``name_2`` ... when taken (exporters may repeat node names)."""
    candidate, n = name, 1
    while candidate in used:
        candidate = f"{name}_{n}"
        n += 1
    used.add(candidate)
    return candidate


def _attrs(node) -> dict:
    """The node attributes as plain Python values."""
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _need(value, info: _GraphInfo, label: str, what: str):
    """``value`` if it is known, else the one-line error for a MAC node without static shapes."""
    if value is None or (isinstance(value, tuple) and any(v is None for v in value)):
        raise ImcbenchError(
            f"{info.path}: cannot infer the shape of MAC node {label!r} ({what} unknown); export the "
            "model with fixed input shapes")
    return value


def _check_positive(info: _GraphInfo, label: str, dims: dict[str, int]) -> None:
    """Raise the node-naming error for a zero or negative loop bound, or sizes above imcbench.limits."""
    bad = {k: v for k, v in dims.items() if v < 1}
    if bad:
        text = ", ".join(f"{k}={v}" for k, v in bad.items())
        raise ImcbenchError(f"{info.path}: MAC node {label!r} has a zero or negative dimension ({text}); "
                            "check the model's input shapes")
    check_layer_size(dims, f"{info.path}: MAC node {label!r}")


def _bits(info: _GraphInfo, tensor: str) -> int | None:
    """Bits of an integer operand, looking through one DequantizeLinear (QDQ models)."""
    bits = _INT_TYPE_BITS.get(info.elem_types.get(tensor, 0))
    if bits is None:
        node = info.producer.get(tensor)
        if node is not None and node.op_type == "DequantizeLinear" and node.input:
            bits = _INT_TYPE_BITS.get(info.elem_types.get(node.input[0], 0))
    return bits


def _precision(info: _GraphInfo, node, act: str, weight: str) -> dict[str, int]:
    """Operand precisions of a MAC node: integer tensor widths where known, else 8 bits."""
    act_bits = _bits(info, act) or DEFAULT_BITS
    weight_bits = _bits(info, weight) or DEFAULT_BITS
    out_bits = DEFAULT_BITS
    if node.op_type.startswith("QLinear") and len(node.input) > 7 and node.input[7]:
        out_bits = _bits(info, node.input[7]) or DEFAULT_BITS  # y_zero_point carries the out type
    elif node.op_type.startswith("QLinear") or node.op_type.endswith("Integer"):
        out_bits = act_bits  # the int32 accumulator is requantized to the activation width
    return {"act_bits": act_bits, "weight_bits": weight_bits, "out_bits": out_bits}


def _conv_layer(node, label: str, info: _GraphInfo):
    """(layer fields, activation operands) of a Conv-like node, or the label of an unmodelled form."""
    x_slot, w_slot = _CONV_OPS[node.op_type]
    x_name, w_name = node.input[x_slot], node.input[w_slot]
    attrs = _attrs(node)
    x_shape = _need(info.shape(x_name), info, label, f"input {x_name!r} shape")
    n_spatial = len(x_shape) - 2
    if n_spatial not in (1, 2):
        return f"{node.op_type} ({n_spatial}-D)"
    _check_conv_attrs(attrs, n_spatial, label, info)
    if x_name not in info.producer and x_name not in info.graph_inputs and x_name not in info.initializers:
        raise ImcbenchError(f"{info.path}: Conv node {label!r} reads {x_name!r}, which no node produces and which is "
                            "neither a graph input nor an initializer; the graph is broken (dangling input)")
    w_shape = info.shape(w_name)
    out_shape = info.shape(node.output[0])
    group = int(attrs.get("group", 1))

    kernel = tuple(attrs["kernel_shape"]) if "kernel_shape" in attrs else (
        tuple(w_shape[2:]) if w_shape is not None else None)
    kernel = _need(kernel, info, label, f"kernel of weight {w_name!r}")
    if len(kernel) != n_spatial:
        raise ImcbenchError(f"{info.path}: Conv node {label!r}: kernel {kernel} does not match the {n_spatial}-D "
                            "input; the model is malformed")
    m = w_shape[0] if w_shape is not None and w_shape[0] is not None else (
        out_shape[1] if out_shape is not None and len(out_shape) > 1 else None)
    m = _need(m, info, label, f"output channels (weight {w_name!r})")
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

    if n_spatial == 1:  # a 1-D convolution runs along X
        oy, ox, fy, fx = 1, out_spatial[0], 1, kernel[0]
        stride, dilation = (1, int(strides[0])), (1, int(dilations[0]))
        padding = (0, begin[0], 0, end[0])
    else:
        oy, ox = out_spatial
        fy, fx = kernel
        stride, dilation = (int(strides[0]), int(strides[1])), (int(dilations[0]), int(dilations[1]))
        padding = (begin[0], begin[1], end[0], end[1])
    dims = {"B": batch, "K": m // group, "C": c_in // group, "G": group, "OY": oy, "OX": ox,
            "FY": fy, "FX": fx}
    dims = {k: int(v) for k, v in dims.items()}
    _check_positive(info, label, dims)
    if any(v < 0 for v in padding):
        raise ImcbenchError(f"{info.path}: Conv node {label!r} has negative pads {padding}; the model "
                            "is malformed")
    kind = infer_kind(**dims)
    spec = {"kind": kind, **dims, "stride": stride, "dilation": dilation, "padding": padding,
            **_precision(info, node, x_name, w_name)}
    return spec, [x_name]


def _matmul_layer(node, label: str, info: _GraphInfo):
    """(layer fields, activation operands) of a MatMul / Gemm-like node."""
    a_slot, b_slot = _MATMUL_OPS[node.op_type]
    a_name, b_name = node.input[a_slot], node.input[b_slot]
    a_shape = _need(info.shape(a_name), info, label, f"operand {a_name!r} shape")
    b_shape = _need(info.shape(b_name), info, label, f"operand {b_name!r} shape")
    a, b = list(a_shape), list(b_shape)
    if node.op_type == "Gemm":
        attrs = _attrs(node)
        if len(a) != 2 or len(b) != 2:
            raise ImcbenchError(f"{info.path}: Gemm node {label!r} needs 2-D operands, got {a_shape} "
                                f"and {b_shape}; the model is malformed")
        if attrs.get("transA", 0):
            a.reverse()
        if attrs.get("transB", 0):
            b.reverse()
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
    _check_positive(info, label, dims)
    spec = {"kind": kind, **dims, **_precision(info, node, act, weight)}
    return spec, operands
