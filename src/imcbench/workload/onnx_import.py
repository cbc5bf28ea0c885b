"""Import an ONNX model as a :class:`~imcbench.workload.network.Network` of MAC layers.

Before anything else, local functions (``model.functions``, e.g. torch's export with modules kept as
functions) are inlined with ``onnx.inliner`` (onnx >= 1.16, the floor in pyproject), so that no layer is
hidden inside a function call. Shapes come from ONNX shape inference after folding the shape arithmetic
of the graph (:mod:`imcbench.workload.onnx_fold`).

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
* ``LSTM`` / ``GRU`` / ``RNN`` (and onnxruntime's ``DynamicQuantizeLSTM``): one weight-stationary layer per node, the gate GEMMs of every step:
  [x_t, h_(t-1)] (C = input + hidden) times [W; R] (K = gates x hidden: 4 for LSTM, 3 for GRU, 1 for
  RNN), over the steps (OX = sequence) and batch (B), one group per direction (G). The step-to-step
  dependency of h is not modelled (latency assumes the steps can be pipelined); peephole products
  (3 x hidden per step) are elementwise and not counted.
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

Every other operator (activations, normalisation, pooling, reshapes, ``Add`` ...) is passed
through: a layer's ``inputs`` are the nearest MAC layers found by walking back through them.
Operators that carry MACs but are not modelled (``Einsum``, ``DeformConv``, quantized attention ...),
operators imcbench does not know (a custom domain) and subgraphs with MACs are left out, warned about
(:class:`WorkloadWarning`) and recorded in ``Network.skipped`` with their MACs where the shapes give them,
so that the covered share of the model's MACs is reported.
"""

from __future__ import annotations

import heapq
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from imcbench.errors import ImcbenchError
from imcbench.limits import MAX_ONNX_BYTES, MAX_ONNX_NODES, check_layer_count, check_layer_size
from imcbench.workload.coverage import SkippedOperator
from imcbench.workload.layer import Layer, LayerKind, infer_kind
from imcbench.workload.network import Network


class WorkloadWarning(UserWarning):
    """Something in a workload was skipped or assumed (the result is still usable)."""


_MS = "com.microsoft"  # onnxruntime's contrib operators (quantization and graph optimizations)
_DEFAULT_DOMAINS = ("", "ai.onnx")

# Operators that become layers, by (domain, op_type) with "" the default domain:
# (activation slot, weight slot).
_CONV_OPS = {("", "Conv"): (0, 1), ("", "ConvInteger"): (0, 1), ("", "QLinearConv"): (0, 3),
             (_MS, "FusedConv"): (0, 1)}
_MATMUL_OPS = {("", "MatMul"): (0, 1), ("", "MatMulInteger"): (0, 1), ("", "QLinearMatMul"): (0, 3),
               ("", "Gemm"): (0, 1), (_MS, "FusedMatMul"): (0, 1), (_MS, "FusedGemm"): (0, 1),
               (_MS, "QGemm"): (0, 3), (_MS, "DynamicQuantizeMatMul"): (0, 1),
               (_MS, "MatMulIntegerToFloat"): (0, 1)}
_GEMM_OPS = frozenset({"Gemm", "FusedGemm", "QGemm"})  # 2-D operands, transA / transB
_CONV_TRANSPOSE_OPS = {("", "ConvTranspose"): (0, 1)}
_RECURRENT_GATES = {("", "LSTM"): 4, ("", "GRU"): 3, ("", "RNN"): 1,  # gate GEMMs per step
                    (_MS, "DynamicQuantizeLSTM"): 4}  # onnxruntime's int8 LSTM: W [dirs, input, 4 hidden]
_ATTENTION_OPS = frozenset({("", "Attention"), (_MS, "MultiHeadAttention"), (_MS, "Attention")})

# Operators that carry MACs but are not turned into layers (any domain). Listed so that the user
# hears about the work that is missing from the totals instead of silently losing it.
_UNSUPPORTED_MAC_OPS = frozenset({
    "DeformConv", "Einsum", "GroupQueryAttention", "QAttention", "NhwcConv", "QLinearConvTranspose",
    "ConvTransposeWithDynamicPads", "MatMulNBits", "MatMulFpQ4", "GemmFastGelu",
    "QOrderedMatMul", "QOrderedAttention", "DecoderAttention", "LongformerAttention", "PackedAttention",
    "PackedMultiHeadAttention", "SparseAttention", "DecoderMaskedMultiHeadAttention",
    "DecoderMaskedSelfAttention", "GatedRelativePositionBias", "QLinearConv", "MatMulBnb4", "GemmFloat8",
})
# onnxruntime contrib operators without MACs (quantized elementwise ops, fused normalizations and
# activations): passed through like the default-domain operators.
_MS_WITHOUT_MACS = frozenset({
    "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearAdd", "QLinearMul",
    "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax", "QLinearGlobalAveragePool", "QLinearAveragePool",
    "QLinearConcat", "QLinearReduceMean", "QLinearWhere", "QuickGelu", "Gelu", "FastGelu", "BiasGelu",
    "BiasAdd", "BiasSoftmax", "BiasDropout", "BiasSplitGelu", "SkipLayerNormalization",
    "SkipSimplifiedLayerNormalization", "SimplifiedLayerNormalization", "LayerNormalization",
    "EmbedLayerNormalization", "RotaryEmbedding", "NhwcMaxPool", "Trilu", "Range", "GatherND", "Crop",
    "ExpandDims", "MaxpoolWithMask", "Rfft", "Irfft", "BitmaskDropout", "Snpe", "QuantizeWithOrder",
    "DequantizeWithOrder", "RemovePadding", "RestorePadding", "Tokenizer", "Unique", "IsAllFinite",
    "MurmurHash3", "GridSample", "Pad", "TorchEmbedding",
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
    dim_params: dict[str, tuple[str | None, ...]] = field(default_factory=dict)  # symbolic dim names
    symbolic_inputs: list[tuple[str, int, str]] = field(default_factory=list)  # (input, axis, dim name)

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
    model = _inline_functions(_read_model(path), path)
    _refuse_blocked_layout(model, path)
    _fix_symbolic_batch(model, path)
    shaped = _infer_shapes(model, path)
    info = _graph_info(model, shaped, path)
    try:
        layers, skipped = _build_layers(info)
        check_layer_count(len(layers), str(path))
        if not layers:
            left_out = f" (left out: {', '.join(s.op for s in skipped)})" if skipped else ""
            raise ImcbenchError(
                f"{path}: the graph has no supported MAC operators (Conv, Gemm, MatMul, LSTM, attention and their "
                f"quantized forms){left_out}, so there is nothing to benchmark; check that this is the model you "
                "meant")
        return Network(name or path.stem, tuple(layers), skipped)
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


def _inline_functions(model, path: Path):
    """``model`` with its local functions inlined (the layers inside them would be invisible otherwise)."""
    if len(model.functions) == 0:
        return model
    expanded = _inlined_node_count(model)
    if expanded > MAX_ONNX_NODES:
        raise ImcbenchError(f"{path}: inlining the local functions gives {expanded} nodes, above the limit of "
                            f"{MAX_ONNX_NODES} (imcbench.limits.MAX_ONNX_NODES); check the file")
    from onnx import inliner

    try:
        inlined = inliner.inline_local_functions(model)
    except Exception as exc:  # a function that does not match its calls: the file is broken
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise ImcbenchError(f"{path}: cannot inline the model's local functions ({reason}); export the model "
                            "without functions (e.g. torch.onnx.export(..., export_modules_as_functions=False))") from None
    _check_names_are_text(inlined.graph, path)
    return inlined


_NCHWC = "com.microsoft.nchwc"  # onnxruntime's ORT_ENABLE_ALL layout operators


def _refuse_blocked_layout(model, path: Path) -> None:
    """Refuse onnxruntime's NCHWc operators: their tensors pad the channels to the CPU vector width, so the
    MACs of the original model cannot be read from them."""
    node = next((n for n in model.graph.node if n.domain == _NCHWC), None)
    if node is not None:
        raise ImcbenchError(
            f"{path}: operator {_NCHWC}.{node.op_type} (node {node.name or node.output[0]!r}) is onnxruntime's blocked "
            "NCHWc layout (ORT_ENABLE_ALL), whose channel counts are padded to the CPU vector width; save the "
            "optimized model with graph_optimization_level=ORT_ENABLE_EXTENDED, or import the model as exported")


def _inlined_node_count(model) -> int:
    """Nodes of the main graph once every (nested) local function call is expanded (before doing it)."""
    functions = {(f.domain, f.name): f for f in model.functions}
    sizes: dict[tuple[str, str], int] = {}

    def size(key, depth=0) -> int:
        if key not in sizes:
            sizes[key] = 1  # a recursive call counts once (the inliner refuses it later)
            if depth < 64:
                sizes[key] = sum(size((n.domain, n.op_type), depth + 1) if (n.domain, n.op_type) in functions
                                 else 1 for n in functions[key].node)
        return sizes[key]

    return sum(size((n.domain, n.op_type)) if (n.domain, n.op_type) in functions else 1 for n in model.graph.node)


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
    """The model with inferred shapes (shape arithmetic folded, see :mod:`imcbench.workload.onnx_fold`);
    the model itself, with the shapes stored in the file, if inference fails."""
    from imcbench.workload.onnx_fold import infer_folded_shapes

    try:
        return infer_folded_shapes(model)
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


def _dim_params(type_proto) -> tuple[str | None, ...]:
    """The names of the symbolic dims of a tensor type (None for static or unnamed dims)."""
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return ()
    return tuple(None if d.HasField("dim_value") else (d.dim_param or None) for d in type_proto.tensor_type.shape.dim)


def _graph_info(model, shaped, path: Path) -> _GraphInfo:
    """Collect shapes (from the shape-inferred ``shaped``), element types, constness and producers of
    ``model``; sort nodes topologically."""
    graph = model.graph
    nodes, labels = _topological(graph, path)
    info = _GraphInfo(path=path, nodes=nodes, labels=labels, graph_inputs={vi.name for vi in graph.input},
                      initializers={t.name for t in graph.initializer})

    shaped_graph = shaped.graph
    for vi in [*shaped_graph.input, *shaped_graph.value_info, *shaped_graph.output]:
        info.shapes[vi.name] = _dims_of(vi.type)
        info.dim_params[vi.name] = _dim_params(vi.type)
        if vi.type.HasField("tensor_type"):
            info.elem_types[vi.name] = vi.type.tensor_type.elem_type
    for tensor in shaped_graph.initializer:  # folded shape arithmetic: the shape of a computed value
        if tensor.name not in info.shapes or None in (info.shapes[tensor.name] or (None,)):
            info.shapes[tensor.name] = tuple(tensor.dims)
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
    for vi in _data_inputs(graph):
        for axis, dim in enumerate(_dim_params(vi.type)):
            if dim is not None or (info.shapes.get(vi.name) and info.shapes[vi.name][axis] is None):
                info.symbolic_inputs.append((vi.name, axis, dim or "?"))

    # Constness: see the module docstring. The first non-initializer graph input is the data.
    const = {t.name for t in graph.initializer}
    const.update(vi.name for vi in _data_inputs(graph)[1:])
    graph_inputs = {vi.name for vi in graph.input}
    for node in nodes:
        for name in node.input:
            if name and name not in info.producer and name not in graph_inputs:
                const.add(name)  # a stripped initializer: nothing produces it
    for node in nodes:
        if node.op_type in _SUBGRAPH_OPS or _carries_macs(node):
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


def _key(node) -> tuple[str, str]:
    """(domain, op_type) with the default domain spelled ""."""
    return ("" if node.domain in _DEFAULT_DOMAINS else node.domain, node.op_type)


def _is_layer_op(node) -> bool:
    """True for the operators that become layers (see the module docstring)."""
    key = _key(node)
    return (key in _CONV_OPS or key in _MATMUL_OPS or key in _CONV_TRANSPOSE_OPS or key in _RECURRENT_GATES
            or key in _ATTENTION_OPS)


def _is_unknown_op(node) -> bool:
    """True for an operator imcbench does not know: it may carry MACs that would be lost."""
    import onnx

    domain, op = _key(node)
    if domain == "":
        return not onnx.defs.has(op)
    return not (domain == _MS and op in _MS_WITHOUT_MACS)


def _carries_macs(node) -> bool:
    """True for a node that does (or may) hold MACs: a layer operator, a known unmodelled one, an unknown
    operator, or a subgraph with any of these."""
    return (_is_layer_op(node) or node.op_type in _UNSUPPORTED_MAC_OPS
            or (node.op_type in _SUBGRAPH_OPS and _has_mac_subgraph(node))
            or (node.op_type not in _SUBGRAPH_OPS and _is_unknown_op(node)))


def _has_mac_subgraph(node) -> bool:
    """True when an If/Loop/Scan body (at any depth) contains a node that carries MACs."""
    for attr in node.attribute:
        for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
            if any(_carries_macs(inner) for inner in sub.node):
                return True
    return False


# -- building layers -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Part:
    """One layer of a node: name suffix, Layer fields, the activation tensors it reads, and the earlier
    parts of the same node it reads (attention: the scores layer reads Q K^T)."""

    suffix: str
    spec: dict
    operands: tuple[str, ...]
    after: tuple[int, ...] = ()


@dataclass(frozen=True)
class _Skip:
    """A node left out: the operator label and its MACs (None when they cannot be computed)."""

    op: str
    macs: int | None = None


def _build_layers(info: _GraphInfo) -> tuple[list[Layer], tuple[SkippedOperator, ...]]:
    """One pass in topological order: MAC nodes become layers, the rest pass producers through.

    Returns the layers and the operators left out (counted, with their MACs where known)."""
    layers: list[Layer] = []
    index_of: dict[str, int] = {}
    producers: dict[str, tuple[str, ...]] = {}  # tensor -> nearest MAC layers that made it
    used_names: set[str] = set()
    skipped: dict[str, list] = {}  # op label -> [count, macs or None]

    def merged(names: Sequence[str]) -> tuple[str, ...]:
        """MAC layers that produced any of the tensors ``names``, in layer order."""
        found = {p for name in names if name for p in producers.get(name, ())}
        return tuple(sorted(found, key=index_of.__getitem__))

    for node, label in zip(info.nodes, info.labels):
        built = _node_layers(node, label, info)
        if isinstance(built, _Skip):
            entry = skipped.setdefault(built.op, [0, 0])
            entry[0] += 1
            entry[1] = None if entry[1] is None or built.macs is None else entry[1] + built.macs
            built = None
        if not built:  # pass-through (left-out MAC operators included)
            source = merged(node.input)
            for out in node.output:
                if out:
                    producers[out] = source
            continue

        names: list[str] = []
        for part in built:
            inputs: list[str] = [names[i] for i in part.after]  # the node's own earlier layers (scores) first
            for operand in part.operands:  # then operand order (Q before K^T), then layer order
                for p in merged([operand]):
                    if p not in inputs:
                        inputs.append(p)
            layer_name = _unique(label + part.suffix, used_names)
            layers.append(Layer(name=layer_name, inputs=tuple(inputs), **part.spec))
            index_of[layer_name] = len(layers) - 1
            names.append(layer_name)
        for out in node.output:
            if out:
                producers[out] = (names[-1],)

    _warn_skipped(info, skipped)
    return layers, tuple(SkippedOperator(op, count, macs) for op, (count, macs) in sorted(skipped.items()))


def _warn_skipped(info: _GraphInfo, skipped: dict[str, list]) -> None:
    """One WorkloadWarning per operator left out."""
    for op, (count, macs) in sorted(skipped.items()):
        one = count == 1
        amount = f" ({macs:,} MACs)" if macs else ""
        if op.startswith("unknown "):
            text = (f"{count} {op[len('unknown '):]} {'node is an unknown operator' if one else 'nodes are unknown operators'}; "
                    f"any MACs {'it carries are' if one else 'they carry are'} left out")
        else:
            text = (f"{count} {op} {'node carries' if one else 'nodes carry'} MACs{amount} but {'is' if one else 'are'} "
                    f"not supported; {'it is' if one else 'they are'} left out")
        if _MS in op:  # onnxruntime wrote it: the exporter's file has the standard operators
            text += "; to count them, benchmark the model as exported, before onnxruntime's optimizations"
        warnings.warn(f"{info.path.name}: {text}", WorkloadWarning, stacklevel=4)


def _node_layers(node, label: str, info: _GraphInfo) -> list[_Part] | _Skip | None:
    """The layers of one node, a :class:`_Skip` for MACs left out, or None for a node without MACs."""
    if _is_layer_op(node):
        return _mac_layer(node, label, info)
    if node.op_type in _UNSUPPORTED_MAC_OPS:
        return _Skip(_op_label(node), _skipped_macs(node, info))
    if node.op_type in _SUBGRAPH_OPS:
        return _Skip(f"{node.op_type} (MACs inside a subgraph)") if _has_mac_subgraph(node) else None
    if _is_unknown_op(node):
        return _Skip(f"unknown {_op_label(node)}")
    return None


def _op_label(node) -> str:
    """``op_type``, prefixed by its domain outside the default one (``com.microsoft.QAttention``)."""
    domain, op = _key(node)
    return f"{domain}.{op}" if domain else op


def _skipped_macs(node, info: _GraphInfo) -> int | None:
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


def _einsum_macs(node, info: _GraphInfo) -> int | None:
    """MACs of a two-operand Einsum: the product of the sizes of all its distinct indices."""
    equation = _attrs(node).get("equation", b"")
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


def _mac_layer(node, label: str, info: _GraphInfo) -> list[_Part] | _Skip:
    """The builder's answer for a layer node; a node whose inputs or attributes make no sense is reported by
    name instead of failing inside the builder."""
    key = _key(node)
    slots = _CONV_OPS.get(key) or _MATMUL_OPS.get(key) or _CONV_TRANSPOSE_OPS.get(key)
    if slots is not None:
        a_slot, b_slot = slots
        if len(node.input) <= b_slot or not node.input[a_slot] or not node.input[b_slot]:
            raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} has {len(node.input)} input{'' if len(node.input) == 1 else 's'} but needs "
                                f"its operands at inputs {a_slot} and {b_slot}; the model is malformed")
    try:
        if key in _CONV_OPS:
            built = _conv_layer(node, label, info)
        elif key in _MATMUL_OPS:
            built = _matmul_layer(node, label, info)
        elif key in _CONV_TRANSPOSE_OPS:
            built = _conv_transpose_layer(node, label, info)
        elif key in _RECURRENT_GATES:
            return _recurrent_layer(node, label, info)
        else:
            return _attention_layers(node, label, info)
    except ImcbenchError:
        raise
    except _MALFORMED_NODE_ERRORS as exc:
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} is malformed ({type(exc).__name__}: "
                            f"{str(exc)[:120]}); the model cannot be imported") from None
    if isinstance(built, _Skip):
        return built
    spec, operands = built
    return [_Part("", spec, tuple(operands))]


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


def _need(value, info: _GraphInfo, label: str, what: str, tensor: str | None = None):
    """``value`` if it is known, else the one-line error for a MAC node without static shapes: it names the
    symbolic input dimension behind it, or the node where shape inference stops."""
    if value is None or (isinstance(value, tuple) and any(v is None for v in value)):
        reason = _why_unknown(info, tensor) if tensor else None
        raise ImcbenchError(f"{info.path}: cannot infer the shape of MAC node {label!r} ({what} unknown); "
                            f"{reason or 'the model does not give it and shape inference cannot find it'}")
    return value


def _why_unknown(info: _GraphInfo, tensor: str) -> str | None:
    """Why ``tensor`` has no static shape: a symbolic graph input dim (named when the dim name matches,
    else the ones upstream), or the first upstream node where shape inference stops."""
    names = {dim for dim in info.dim_params.get(tensor, ()) if dim}
    direct = [s for s in info.symbolic_inputs if s[2] in names]
    upstream, stops = _upstream(info, tensor)
    found = direct or [s for s in info.symbolic_inputs if s[0] in upstream]
    if found:
        text = ", ".join(f"input {name!r} axis {axis} ({dim!r})" for name, axis, dim in found[:3])
        verb = "is" if len(found) == 1 else "are"
        return f"{text} {verb} symbolic; export the model with fixed input shapes"
    if stops is not None:
        node, label = stops
        return (f"shape inference stops at {node.op_type} node {label!r} although the input shapes are fixed; "
                "simplify the model (e.g. onnxsim) or export it again")
    return None


def _upstream(info: _GraphInfo, tensor: str) -> tuple[set[str], tuple | None]:
    """Tensors ``tensor`` depends on, and the earliest upstream (node, label) whose inputs have static
    shapes but whose outputs do not."""
    label_of = {id(node): label for node, label in zip(info.nodes, info.labels)}
    order = {id(node): i for i, node in enumerate(info.nodes)}
    seen, todo, stops = {tensor}, [tensor], []

    def static(name: str) -> bool:
        shape = info.shape(name)
        return shape is not None and None not in shape

    while todo:
        node = info.producer.get(todo.pop())
        if node is None:
            continue
        inputs = [name for name in node.input if name]
        if all(static(name) for name in inputs) and not all(static(o) for o in node.output if o):
            stops.append(node)
        for name in inputs:
            if name not in seen:
                seen.add(name)
                todo.append(name)
    first = min(stops, key=lambda n: order[id(n)]) if stops else None
    return seen, (first, label_of[id(first)]) if first is not None else None


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
    """(layer fields, activation operands) of a Conv-like node, or a :class:`_Skip` for an unmodelled form.
    A 3-D convolution is folded onto the 2-D loop nest (see the module docstring)."""
    x_slot, w_slot = _CONV_OPS[_key(node)]
    x_name, w_name = node.input[x_slot], node.input[w_slot]
    attrs = _attrs(node)
    x_shape = _need(info.shape(x_name), info, label, f"input {x_name!r} shape", x_name)
    n_spatial = len(x_shape) - 2
    if n_spatial not in (1, 2, 3):
        return _Skip(f"{_op_label(node)} ({n_spatial}-D)", _conv_macs_from_shapes(info, node, x_shape, w_name))
    _check_conv_attrs(attrs, n_spatial, label, info)
    if x_name not in info.producer and x_name not in info.graph_inputs and x_name not in info.initializers:
        raise ImcbenchError(f"{info.path}: Conv node {label!r} reads {x_name!r}, which no node produces and which is "
                            "neither a graph input nor an initializer; the graph is broken (dangling input)")
    w_shape = info.shape(w_name)
    out_shape = info.shape(node.output[0])
    group = int(attrs.get("group", 1))

    kernel = tuple(attrs["kernel_shape"]) if "kernel_shape" in attrs else (
        tuple(w_shape[2:]) if w_shape is not None else None)
    kernel = _need(kernel, info, label, f"kernel of weight {w_name!r}", w_name)
    if len(kernel) != n_spatial:
        raise ImcbenchError(f"{info.path}: Conv node {label!r}: kernel {kernel} does not match the {n_spatial}-D "
                            "input; the model is malformed")
    m = w_shape[0] if w_shape is not None and w_shape[0] is not None else (
        out_shape[1] if out_shape is not None and len(out_shape) > 1 else None)
    m = _need(m, info, label, f"output channels (weight {w_name!r})", w_name)
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
    _check_positive(info, label, dims)
    if any(v < 0 for v in padding):
        raise ImcbenchError(f"{info.path}: Conv node {label!r} has negative pads {padding}; the model "
                            "is malformed")
    kind = infer_kind(**dims)
    spec = {"kind": kind, **dims, "stride": stride, "dilation": dilation, "padding": padding,
            **_precision(info, node, x_name, w_name)}
    return spec, [x_name]


def _conv_macs_from_shapes(info: _GraphInfo, node, x_shape, w_name: str) -> int | None:
    """MACs of a convolution from static shapes: output elements x (C_in / G x kernel)."""
    w_shape, out_shape = info.shape(w_name), info.shape(node.output[0])
    if not w_shape or not out_shape or None in w_shape or None in out_shape:
        return None
    return math.prod(out_shape) * math.prod(w_shape[1:])


def _matmul_layer(node, label: str, info: _GraphInfo):
    """(layer fields, activation operands) of a MatMul / Gemm-like node."""
    a_slot, b_slot = _MATMUL_OPS[_key(node)]
    a_name, b_name = node.input[a_slot], node.input[b_slot]
    a_shape = _need(info.shape(a_name), info, label, f"operand {a_name!r} shape", a_name)
    b_shape = _need(info.shape(b_name), info, label, f"operand {b_name!r} shape", b_name)
    a, b = list(a_shape), list(b_shape)
    attrs = _attrs(node) if node.op_type in _GEMM_OPS or node.op_type == "FusedMatMul" else {}
    if node.op_type in _GEMM_OPS:
        if len(a) != 2 or len(b) != 2:
            raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} needs 2-D operands, got {a_shape} "
                                f"and {b_shape}; the model is malformed")
    if attrs.get("transBatchA", 0) or attrs.get("transBatchB", 0):
        return _Skip(f"{_op_label(node)} (transBatch)", None)
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
    _check_positive(info, label, dims)
    spec = {"kind": kind, **dims, **_precision(info, node, act, weight)}
    return spec, operands


def _conv_transpose_layer(node, label: str, info: _GraphInfo):
    """(layer fields, activation operands) of a ConvTranspose node in the scatter form (module docstring):
    a pointwise layer C_in/G -> C_out/G x prod(kernel) over the input pixels (3-D: depth in the batch)."""
    x_name, w_name = node.input[0], node.input[1]
    x_shape = _need(info.shape(x_name), info, label, f"input {x_name!r} shape", x_name)
    w_shape = _need(info.shape(w_name), info, label, f"weight {w_name!r} shape", w_name)
    n_spatial = len(x_shape) - 2
    group = int(_attrs(node).get("group", 1))
    if n_spatial not in (1, 2, 3) or len(w_shape) != len(x_shape):
        macs = math.prod(x_shape) * math.prod(w_shape[1:]) if n_spatial >= 1 and len(w_shape) == len(x_shape) else None
        return _Skip(f"ConvTranspose ({n_spatial}-D)", macs)
    batch, c_in, spatial = x_shape[0], x_shape[1], list(x_shape[2:])
    if group < 1 or c_in % group or w_shape[0] != c_in:
        raise ImcbenchError(f"{info.path}: ConvTranspose node {label!r}: weight {tuple(w_shape)} and group={group} "
                            f"do not match the {c_in} input channels; the model is malformed")
    depth = spatial.pop(0) if n_spatial == 3 else 1
    oy, ox = (1, spatial[0]) if n_spatial == 1 else spatial
    dims = {"B": batch * depth, "K": w_shape[1] * math.prod(w_shape[2:]), "C": c_in // group, "G": group,
            "OY": oy, "OX": ox, "FY": 1, "FX": 1}
    dims = {k: int(v) for k, v in dims.items()}
    _check_positive(info, label, dims)
    spec = {"kind": infer_kind(**dims), **dims, **_precision(info, node, x_name, w_name)}
    return spec, [x_name]


def _recurrent_layer(node, label: str, info: _GraphInfo) -> list[_Part]:
    """The gate GEMMs of an LSTM / GRU / RNN node as one weight-stationary layer (module docstring)."""
    gates = _RECURRENT_GATES[_key(node)]
    if len(node.input) < 3 or not all(node.input[:3]):
        raise ImcbenchError(f"{info.path}: {node.op_type} node {label!r} needs inputs X, W and R; the model is "
                            "malformed")
    x_name, w_name, r_name = node.input[:3]
    x_shape = _need(info.shape(x_name), info, label, f"input {x_name!r} shape", x_name)
    w_shape = _need(info.shape(w_name), info, label, f"weight {w_name!r} shape", w_name)
    attrs = _attrs(node)
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
    _check_positive(info, label, dims)
    kind = LayerKind.FC if dims["OX"] == 1 else LayerKind.MATMUL
    initial_state = [name for name in node.input[5:7] if name]  # initial_h, initial_c
    spec = {"kind": kind, **dims, **_precision(info, node, x_name, w_name)}
    return [_Part("", spec, (x_name, *initial_state))]


def _attention_layers(node, label: str, info: _GraphInfo) -> list[_Part] | _Skip:
    """Q K^T and scores x V of an attention node as two ``attention`` layers; onnxruntime's ``Attention``
    first projects its input to packed Q, K, V with a ``matmul`` layer."""
    attrs = _attrs(node)
    inputs = list(node.input) + [""] * 8
    if _key(node) == ("", "Attention"):  # opset 23: Q, K, V, attn_mask, past_key, past_value
        q, k, v = (_need(info.shape(n), info, label, f"input {n!r} shape", n) for n in inputs[:3])
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
            return _Skip(f"{_op_label(node)} (packed QKV)", None)
        q, k, v = (_need(info.shape(n), info, label, f"input {n!r} shape", n) for n in inputs[:3])
        q_heads = attrs["num_heads"]
        batch, q_seq, head = q[0], q[1], q[2] // q_heads
        kv_seq, v_head = (k[1], v[2] // q_heads) if len(k) == 3 else (k[2], v[3])
        past = info.shape(inputs[6]) if inputs[6] else None
        operands, projection = (inputs[0], inputs[1], inputs[2]), None
    else:  # com.microsoft Attention: input [B, S, In] x weights [In, Dq + Dk + Dv], past [2, B, N, P, H]
        x = _need(info.shape(inputs[0]), info, label, f"input {inputs[0]!r} shape", inputs[0])
        w = _need(info.shape(inputs[1]), info, label, f"weights {inputs[1]!r} shape", inputs[1])
        q_heads = attrs["num_heads"]
        dq, dk, dv = attrs.get("qkv_hidden_sizes") or [w[1] // 3] * 3
        batch, q_seq, kv_seq = x[0], x[1], x[1]
        head, v_head = dq // q_heads, dv // q_heads
        past_all = info.shape(inputs[4]) if inputs[4] else None
        past = past_all[1:] if past_all else None
        proj = {"B": batch, "K": dq + dk + dv, "C": x[2], "G": 1, "OY": 1, "OX": q_seq, "FY": 1, "FX": 1}
        projection = {"kind": LayerKind.FC if q_seq == 1 else LayerKind.MATMUL, **proj,
                      **_precision(info, node, inputs[0], inputs[1])}
        operands = (inputs[0],)
    if past is not None:
        past = _need(past, info, label, "past key shape", inputs[4])
        kv_seq += past[2]
    common = {"B": 1, "G": batch * q_heads, "OY": 1, "OX": q_seq, "FY": 1, "FX": 1}
    scores = {k_: int(v_) for k_, v_ in {**common, "K": kv_seq, "C": head}.items()}
    mixed = {k_: int(v_) for k_, v_ in {**common, "K": v_head, "C": kv_seq}.items()}
    parts = []
    if projection is not None:
        _check_positive(info, label, {d: projection[d] for d in ("B", "K", "C", "G", "OY", "OX", "FY", "FX")})
        parts.append(_Part(".qkv", projection, operands))
        operands, first = (), (0,)
    else:
        first = ()
    bits = _precision(info, node, inputs[0], inputs[1])
    for dims in (scores, mixed):
        _check_positive(info, label, dims)
    parts.append(_Part(".qk", {"kind": LayerKind.ATTENTION, **scores, **bits}, operands[:2], first))
    parts.append(_Part(".av", {"kind": LayerKind.ATTENTION, **mixed, **bits}, operands[2:], (len(parts) - 1, *first)))
    return parts
