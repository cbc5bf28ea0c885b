"""Import an ONNX model as a :class:`~imcbench.workload.network.Network` of MAC layers.

Before anything else, local functions (``model.functions``, e.g. torch's export with modules kept as
functions) are inlined with ``onnx.inliner`` (onnx >= 1.16, the floor in pyproject), so that no layer is
hidden inside a function call. Shapes come from ONNX shape inference after folding the shape arithmetic
of the graph (:mod:`imcbench.workload.onnx_fold`).

The operators that become layers, and how, are described in :mod:`imcbench.workload.onnx_layers`.

Every other operator (activations, normalisation, pooling, reshapes, ``Add`` ...) is passed
through: a layer's ``inputs`` are the nearest MAC layers found by walking back through them.
Operators that carry MACs but are not modelled (``Einsum``, ``DeformConv``, quantized attention ...),
operators imcbench does not know (a custom domain) and subgraphs with MACs are left out, warned about
(:class:`WorkloadWarning`) and recorded in ``Network.skipped`` with their MACs where the shapes give them,
so that the covered share of the model's MACs is reported.
"""

from __future__ import annotations

import heapq
import warnings
from pathlib import Path
from typing import Sequence

from imcbench.errors import ImcbenchError
from imcbench.limits import MAX_ONNX_BYTES, MAX_ONNX_NODES, check_layer_count
from imcbench.workload.coverage import SkippedOperator
from imcbench.workload.layer import Layer
from imcbench.workload.network import Network
from imcbench.workload.onnx_graph import MS, GraphInfo, op_key, op_label
from imcbench.workload.onnx_layers import Part, Skip, is_layer_op, layers_of, skipped_macs


class WorkloadWarning(UserWarning):
    """Something in a workload was skipped or assumed (the result is still usable)."""


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
        raise ImcbenchError(f"{path}: cannot inline the model's local functions ({reason}); export the model without "
                            "functions (torch.onnx.export(..., export_modules_as_functions=False))") from None
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


def _graph_info(model, shaped, path: Path) -> GraphInfo:
    """Collect shapes (from the shape-inferred ``shaped``), element types, constness and producers of
    ``model``; sort nodes topologically."""
    graph = model.graph
    nodes, labels = _topological(graph, path)
    info = GraphInfo(path=path, nodes=nodes, labels=labels, graph_inputs={vi.name for vi in graph.input},
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


def _is_unknown_op(node) -> bool:
    """True for an operator imcbench does not know: it may carry MACs that would be lost."""
    import onnx

    domain, op = op_key(node)
    if domain == "":
        return not onnx.defs.has(op)
    return not (domain == MS and op in _MS_WITHOUT_MACS)


def _carries_macs(node) -> bool:
    """True for a node that does (or may) hold MACs: a layer operator, a known unmodelled one, an unknown
    operator, or a subgraph with any of these."""
    return (is_layer_op(node) or node.op_type in _UNSUPPORTED_MAC_OPS
            or (node.op_type in _SUBGRAPH_OPS and _has_mac_subgraph(node))
            or (node.op_type not in _SUBGRAPH_OPS and _is_unknown_op(node)))


def _has_mac_subgraph(node) -> bool:
    """True when an If/Loop/Scan body (at any depth) contains a node that carries MACs."""
    for attr in node.attribute:
        for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
            if any(_carries_macs(inner) for inner in sub.node):
                return True
    return False


def _build_layers(info: GraphInfo) -> tuple[list[Layer], tuple[SkippedOperator, ...]]:
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
        if isinstance(built, Skip):
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


def _warn_skipped(info: GraphInfo, skipped: dict[str, list]) -> None:
    """One WorkloadWarning per operator left out."""
    for op, (count, macs) in sorted(skipped.items()):
        one = count == 1
        amount = f" ({macs:,} MACs)" if macs else ""
        if op.startswith("unknown "):
            what = "node is an unknown operator" if one else "nodes are unknown operators"
            text = (f"{count} {op[len('unknown '):]} {what}; any MACs {'it carries are' if one else 'they carry are'} "
                    "left out")
        else:
            text = (f"{count} {op} {'node carries' if one else 'nodes carry'} MACs{amount} but {'is' if one else 'are'} "
                    f"not supported; {'it is' if one else 'they are'} left out")
        if MS in op:  # onnxruntime wrote it: the exporter's file has the standard operators
            text += "; to count them, benchmark the model as exported, before onnxruntime's optimizations"
        warnings.warn(f"{info.path.name}: {text}", WorkloadWarning, stacklevel=4)


def _node_layers(node, label: str, info: GraphInfo) -> list[Part] | Skip | None:
    """The layers of one node, a :class:`Skip` for MACs left out, or None for a node without MACs."""
    if is_layer_op(node):
        return layers_of(node, label, info)
    if node.op_type in _UNSUPPORTED_MAC_OPS:
        return Skip(op_label(node), skipped_macs(node, info))
    if node.op_type in _SUBGRAPH_OPS:
        return Skip(f"{node.op_type} (MACs inside a subgraph)") if _has_mac_subgraph(node) else None
    if _is_unknown_op(node):
        return Skip(f"unknown {op_label(node)}")
    return None


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name_1``, ``name_2`` ... when taken (exporters may repeat node names)."""
    candidate, n = name, 1
    while candidate in used:
        candidate = f"{name}_{n}"
        n += 1
    used.add(candidate)
    return candidate
