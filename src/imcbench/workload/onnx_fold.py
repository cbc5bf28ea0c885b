"""Static shapes of an ONNX graph whose sizes come from shape arithmetic (Shape -> Gather -> Concat -> ...).

Classic ``torch.onnx.export`` graphs compute the target sizes of ``Reshape``, ``Expand``, ``Slice``, ``Pad``
... from ``Shape`` nodes at run time. ONNX shape inference (even with ``data_prop=True``) stops at many of
these, and every MAC node downstream then has unknown shapes although the input shapes are fixed.

:func:`infer_folded_shapes` evaluates those small constant computations and re-runs shape inference until
nothing more is learnt: in each round, every node of a shape-arithmetic operator (:data:`FOLDABLE_OPS`,
default domain) whose inputs are known values and whose outputs have static inferred shapes of at most
:data:`~imcbench.limits.MAX_FOLD_ELEMENTS` elements is evaluated; ``Shape`` and ``Size`` of a tensor with a
static inferred shape are known without its data. The values become initializers of a working copy (whose
large initializers are emptied, so that each round is cheap) and shape inference runs again, at most
:data:`~imcbench.limits.MAX_FOLD_ROUNDS` times.

ONNX shape inference knows no onnxruntime contrib operator (``com.microsoft``: QOperator quantization,
fused graph optimizations), so every shape after the first one would be lost. In the working copy each
of those with a standard equivalent for shapes is replaced by it (:func:`_stand_in`): ``QLinearAdd`` by
``Add`` of its two data inputs, ``FusedConv`` by ``Conv``, ``SkipLayerNormalization`` by ``Identity`` ...;
this is the ONNX shape inference of the equivalent operator, not a second implementation of it.

Why ``onnx.reference`` evaluates the nodes: it is the ONNX project's own implementation of every operator's
semantics (negative indices, ``Reshape`` zeros, ``Slice`` clamping, broadcasting ...) and ships with the
``onnx`` package imcbench already needs, so there is no new dependency and no second implementation of
the operator rules to keep right. The work is bounded by the two limits above and by evaluating only
small tensors; weights (large initializers, external data) are never read. Only the shapes are used: the
importer keeps the original nodes, so layer names and constness do not change.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from imcbench.limits import MAX_FOLD_ELEMENTS, MAX_FOLD_ROUNDS

# Default-domain operators of shape arithmetic (no MACs; outputs no larger than their static shapes say).
FOLDABLE_OPS = frozenset({
    "Constant", "Identity", "Cast", "CastLike", "Gather", "GatherElements", "GatherND", "Concat", "Slice",
    "Squeeze", "Unsqueeze", "Reshape", "Flatten", "Transpose", "Expand", "Tile", "ConstantOfShape", "Range",
    "Add", "Sub", "Mul", "Div", "Mod", "Pow", "Neg", "Abs", "Floor", "Ceil", "Sqrt", "Reciprocal", "Sign",
    "Max", "Min", "Sum", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or",
    "Xor", "Where", "ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin", "Split", "Trilu", "CumSum", "Pad",
    "Clip", "Round",
})
_DEFAULT_DOMAINS = ("", "ai.onnx")


def infer_folded_shapes(model):
    """The shape-inferred copy of ``model`` after folding its shape arithmetic (see the module docstring).

    Only ``graph.input``, ``graph.value_info``, ``graph.output`` and the initializer dims of the result are
    meant to be read (its large initializers are empty). Raises what ``onnx.shape_inference`` raises when
    the very first inference fails.
    """
    import onnx

    work = onnx.ModelProto()
    work.CopyFrom(model)
    values = _small_initializer_values(work.graph)
    _replace_contrib_ops(work.graph)
    candidates = _candidates(work.graph)
    needed = {name for c in candidates  # the tensors whose static shapes folding reads
              for name in (*c.outputs, *(c.inputs[:1] if c.node.op_type in ("Shape", "Size") else ()))}
    inferred = onnx.shape_inference.infer_shapes(work, data_prop=True)
    for _ in range(MAX_FOLD_ROUNDS):
        candidates = [c for c in candidates if not all(o in values for o in c.outputs)]
        folded = _fold_round(inferred, values, candidates, needed)
        if not folded:
            break
        folded = _replace_with_initializers(work.graph, folded, list_as_inputs=work.ir_version < 4)
        if not folded:
            break
        values.update(folded)
        try:
            inferred = onnx.shape_inference.infer_shapes(work, data_prop=True)
        except Exception:  # keep what the previous round inferred
            break
    return inferred


def _candidates(graph) -> list["_Candidate"]:
    """The nodes that may fold: ``Shape`` / ``Size`` and the foldable operators whose inputs can all become
    values (initializers, ``Constant``, ``Shape`` ... downstream of nothing else); the rest of the graph
    (activations) is never looked at again."""
    nodes = [_Candidate(node, tuple(n for n in node.input if n), tuple(o for o in node.output if o))
             for node in graph.node if node.domain in _DEFAULT_DOMAINS and any(node.output)
             and node.op_type in FOLDABLE_OPS | {"Shape", "Size"}]
    derivable = {t.name for t in graph.initializer}
    chosen: dict[int, _Candidate] = {}
    grew = True
    while grew:  # a fixpoint, so that a graph listed out of topological order is handled too
        grew = False
        for i, c in enumerate(nodes):
            if i not in chosen and (c.node.op_type in ("Shape", "Size") or all(n in derivable for n in c.inputs)):
                chosen[i] = c
                derivable.update(c.outputs)
                grew = True
    return [chosen[i] for i in sorted(chosen)]


def _small_initializer_values(graph) -> dict[str, np.ndarray]:
    """Values of the small embedded initializers; the data of the large ones is cleared (only dims stay)."""
    from onnx import numpy_helper

    values = {}
    for tensor in graph.initializer:
        external = tensor.data_location == 1  # TensorProto.EXTERNAL: data not loaded
        if not external and math.prod(tensor.dims) <= MAX_FOLD_ELEMENTS:
            try:
                values[tensor.name] = numpy_helper.to_array(tensor)
            except Exception:  # an exotic or damaged tensor: not a shape constant we need
                pass
        else:
            for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data",
                          "string_data", "external_data"):
                tensor.ClearField(field)
            tensor.data_location = 0
    return values


class _Candidate(NamedTuple):
    """A node of a foldable operator with its (non-empty) input and output names, read once."""

    node: object  # onnx.NodeProto
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def _static_shapes(inferred, needed: set[str]) -> dict[str, tuple[int, ...]]:
    """The ``needed`` names whose inferred shape is fully static."""
    shapes = {}
    graph = inferred.graph
    for vi in (*graph.input, *graph.value_info, *graph.output):
        if vi.name not in needed:
            continue
        t = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if t is not None and t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            shapes[vi.name] = tuple(d.dim_value for d in t.shape.dim)
    for tensor in graph.initializer:
        if tensor.name in needed:
            shapes[tensor.name] = tuple(tensor.dims)
    return shapes


def _fold_round(inferred, values: dict[str, np.ndarray], candidates: list[_Candidate],
                needed: set[str]) -> dict[str, np.ndarray]:
    """New values of one round, in waves: each wave evaluates at once every foldable node whose inputs are
    known and whose outputs are known to be small (from the inferred shapes, or bounded from the input
    values by :func:`_output_bound`); ``Shape`` and ``Size`` are read from static shapes or known values."""
    shapes = _static_shapes(inferred, needed)
    pending = candidates
    new: dict[str, np.ndarray] = {}
    while pending:
        known = values | new
        wave, in_wave, direct, waiting = [], set(), {}, []
        for candidate in pending:
            node, inputs, outs = candidate
            if node.op_type in ("Shape", "Size"):
                source = inputs[0] if inputs else ""
                shape = shapes.get(source) or (known[source].shape if source in known else None)
                value = _shape_value(node, shape)
                if value is not None:
                    direct[outs[0]] = value
                else:
                    waiting.append(candidate)
                continue
            ready = all(name in known or name in in_wave for name in inputs)
            small = all(o in shapes and math.prod(shapes[o]) <= MAX_FOLD_ELEMENTS for o in outs)
            if ready and (small or (all(name in known for name in inputs)
                                    and _output_bound(node, known) <= MAX_FOLD_ELEMENTS)):
                wave.append(node)
                in_wave.update(outs)
            else:
                waiting.append(candidate)
        found = direct | _evaluate(wave, known | direct, inferred)
        if not found:
            break
        new.update(found)
        pending = [c for c in waiting if not all(o in new for o in c.outputs)]
        # (a wave node the reference could not run is not retried)
    return new


def _output_bound(node, known: dict[str, np.ndarray]) -> int:
    """An upper bound of the elements ``node`` outputs, from its input values (all known)."""
    ins = [known[name] for name in node.input if name]
    op = node.op_type
    try:
        if op == "ConstantOfShape":
            return int(np.prod(ins[0])) if ins else 1
        if op == "Expand":
            return int(np.prod(np.broadcast_shapes(ins[0].shape, tuple(int(v) for v in ins[1]))))
        if op == "Tile":
            return int(np.prod(np.array(ins[0].shape) * ins[1]))
        if op == "Range":
            start, limit, delta = (float(v) for v in ins[:3])
            return max(0, math.ceil((limit - start) / delta))
        if op == "Pad":
            return int(np.prod(np.array(ins[0].shape) + np.reshape(ins[1], (2, -1)).sum(axis=0)))
        if op == "Concat":
            return sum(v.size for v in ins)
        if op == "Gather":
            return ins[1].size * ins[0].size // max(1, ins[0].shape[_axis(node)] if ins[0].ndim else 1)
        if op in ("GatherElements", "GatherND"):
            return ins[1].size * max(1, ins[0].size)
        if len(ins) > 1:  # elementwise with broadcasting
            return int(np.prod(np.broadcast_shapes(*(v.shape for v in ins))))
        return ins[0].size if ins else MAX_FOLD_ELEMENTS + 1
    except (ValueError, TypeError, IndexError, ZeroDivisionError, OverflowError):
        return MAX_FOLD_ELEMENTS + 1  # not computable: not folded


def _axis(node) -> int:
    return next((a.i for a in node.attribute if a.name == "axis"), 0)


def _shape_value(node, shape: tuple[int, ...] | None) -> np.ndarray | None:
    """The output of a ``Shape`` (``start``/``end`` attributes) or ``Size`` node on a static shape."""
    if shape is None:
        return None
    if node.op_type == "Size":
        return np.array(math.prod(shape), dtype=np.int64)
    attrs = {a.name: a.i for a in node.attribute}
    rank = len(shape)
    start, end = attrs.get("start", 0), attrs.get("end", rank)
    start, end = (max(0, min(rank, v + rank if v < 0 else v)) for v in (start, end))
    return np.array(shape[start:end], dtype=np.int64)


def _evaluate(nodes: list, values: dict[str, np.ndarray], inferred) -> dict[str, np.ndarray]:
    """Outputs of ``nodes`` (topologically ordered, inputs in ``values`` or made by earlier ones) by
    ``onnx.reference``; a round where the reference cannot run a node folds the nodes one by one."""
    if not nodes:
        return {}
    try:
        return _run(nodes, values, inferred)
    except Exception:
        results: dict[str, np.ndarray] = {}
        for node in nodes:
            if all(name in values or name in results for name in node.input if name):
                try:
                    results.update(_run([node], values | results, inferred))
                except Exception:  # not foldable (an op the reference lacks, bad data): left to inference
                    pass
        return results


def _run(nodes: list, values: dict[str, np.ndarray], inferred) -> dict[str, np.ndarray]:
    """Evaluate ``nodes`` as one graph with ``onnx.reference.ReferenceEvaluator``."""
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    produced = {o for node in nodes for o in node.output if o}
    feeds = {name: values[name] for node in nodes for name in node.input if name and name not in produced}
    outputs = sorted(produced)
    graph = helper.make_graph(nodes, "fold", [helper.make_empty_tensor_value_info(n) for n in feeds],
                              [helper.make_empty_tensor_value_info(n) for n in outputs])
    opsets = {o.domain: o.version for o in inferred.opset_import}
    opsets = {"": opsets.get("", opsets.get("ai.onnx", 17))}
    results = ReferenceEvaluator(graph, opsets=opsets).run(None, feeds)
    folded = {}
    for name, value in zip(outputs, results):
        array = np.asarray(value)
        if array.size > MAX_FOLD_ELEMENTS:  # the inferred shape said otherwise: do not trust it
            continue
        folded[name] = array
    return folded


def _replace_with_initializers(graph, folded: dict[str, np.ndarray], list_as_inputs: bool) -> dict[str, np.ndarray]:
    """Drop the nodes whose outputs were all folded and make those outputs initializers of ``graph`` (and
    graph inputs when ``list_as_inputs``); returns the values used (a node folded in part stays, so that no
    name is defined twice)."""
    from onnx import helper, numpy_helper

    keep, used = [], {}
    for node in graph.node:
        outs = [o for o in node.output if o]
        if outs and all(o in folded for o in outs):
            used.update((o, folded[o]) for o in outs)
        else:
            keep.append(node)
    del graph.node[:]
    graph.node.extend(keep)
    for name, value in used.items():
        tensor = numpy_helper.from_array(value, name)
        graph.initializer.append(tensor)
        if list_as_inputs:  # IR < 4: shape inference reads only the initializers that are graph inputs
            graph.input.append(helper.make_tensor_value_info(name, tensor.data_type, value.shape))
    return used


# onnxruntime contrib operators -> (standard operator, data input slots, attributes kept) with the same
# output 0 shape; None slots mean "all inputs". Attention is handled in _stand_in (its output width).
_MS = "com.microsoft"
_CONTRIB_STAND_INS = {
    "FusedConv": ("Conv", (0, 1, 2), ("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides")),
    "FusedGemm": ("Gemm", (0, 1, 2), ("alpha", "beta", "transA", "transB")),
    "QGemm": ("Gemm", (0, 3), ("transA", "transB")),
    "DynamicQuantizeMatMul": ("MatMul", (0, 1), ()),
    "MatMulIntegerToFloat": ("MatMul", (0, 1), ()),
    "QLinearAdd": ("Add", (0, 3), ()),
    "QLinearMul": ("Mul", (0, 3), ()),
    "QLinearGlobalAveragePool": ("GlobalAveragePool", (0,), ()),
    "QLinearAveragePool": ("AveragePool", (0,), ("auto_pad", "ceil_mode", "count_include_pad", "kernel_shape",
                                                 "pads", "strides")),
    "QLinearReduceMean": ("ReduceMean", (0,), ("axes", "keepdims")),
    "EmbedLayerNormalization": ("Gather", (2, 0), ()),  # word embedding [V, H] gathered by ids [B, S]
    "MultiHeadAttention": ("Identity", (0,), ()),  # [B, S, D]: the value width taken equal to the query's
}
_CONTRIB_SAME_SHAPE = frozenset({  # output 0 has the shape of input 0
    "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax", "QuickGelu", "Gelu", "FastGelu", "BiasGelu",
    "BiasAdd", "BiasSoftmax", "BiasDropout", "SkipLayerNormalization", "SkipSimplifiedLayerNormalization",
    "SimplifiedLayerNormalization", "LayerNormalization", "RotaryEmbedding", "QuantizeLinear",
    "DequantizeLinear", "FusedMatMulActivation",
})


def _replace_contrib_ops(graph) -> None:
    """Put the standard stand-in of every known contrib node in its place (shapes only, see the docstring)."""
    dims = {t.name: tuple(t.dims) for t in graph.initializer}
    nodes = []
    for node in graph.node:
        nodes.extend(_stand_in(node, dims, graph) if node.domain == _MS else [node])
    del graph.node[:]
    graph.node.extend(nodes)


def _stand_in(node, dims: dict[str, tuple[int, ...]], graph) -> list:
    """The standard nodes with the shape of ``node``'s output 0 (``node`` itself when there are none)."""
    from onnx import TensorProto, helper

    op, out = node.op_type, node.output[0] if node.output else ""
    if op == "QLinearConv":  # NHWC form (channels_last) or the plain one: same inputs as the standard op
        if any(a.name == "channels_last" and a.i for a in node.attribute):
            return [node]
        return [helper.make_node("QLinearConv", node.input, node.output, name=node.name,
                                 **{a.name: helper.get_attribute_value(a) for a in node.attribute})]
    if op == "QLinearConcat":  # inputs: Y scale, Y zero point, then (X, scale, zero point) per operand
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        return [helper.make_node("Concat", list(node.input[2::3]), [out], axis=axis)]
    if op == "FusedMatMul":
        return _fused_matmul_stand_in(node)
    if op == "Attention" and len(node.input) > 1 and node.input[1] in dims:  # [B, S, In] x [In, Dq + Dk + Dv]
        weight = dims[node.input[1]]
        sizes = next((list(a.ints) for a in node.attribute if a.name == "qkv_hidden_sizes"), None)
        width = sizes[2] if sizes else weight[1] // 3
        fake = f"{out}__imcbench_v_weight"
        tensor = TensorProto(name=fake, data_type=TensorProto.FLOAT)  # dims only: shapes need no data
        tensor.dims.extend([weight[0], width])
        graph.initializer.append(tensor)
        return [helper.make_node("MatMul", [node.input[0], fake], [out])]
    if op == "MatMulNBits":  # A [..., K] x packed int-N weight -> [..., N]: a MatMul with a K x N stand-in
        attrs = {a.name: a.i for a in node.attribute if a.type == 2}
        if attrs.get("K", 0) >= 1 and attrs.get("N", 0) >= 1 and node.input:
            fake = f"{out}__imcbench_nbits_weight"
            tensor = TensorProto(name=fake, data_type=TensorProto.FLOAT)  # dims only: shapes need no data
            tensor.dims.extend([attrs["K"], attrs["N"]])
            graph.initializer.append(tensor)
            return [helper.make_node("MatMul", [node.input[0], fake], [out])]
        return [node]
    if op in _CONTRIB_SAME_SHAPE and node.input and node.input[0]:
        return [helper.make_node("Identity", [node.input[0]], [out])]
    if op in _CONTRIB_STAND_INS:
        std, slots, kept = _CONTRIB_STAND_INS[op]
        inputs = [node.input[i] if i < len(node.input) else "" for i in slots]
        while inputs and not inputs[-1]:
            inputs.pop()
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute if a.name in kept}
        return [helper.make_node(std, inputs, [out], **attrs)]
    return [node]


def _fused_matmul_stand_in(node) -> list:
    """``FusedMatMul`` as MatMul of operands whose last two dims are swapped where asked (an Einsum)."""
    from onnx import helper

    attrs = {a.name: a.i for a in node.attribute if a.type == 2}  # ints
    inputs, nodes = list(node.input[:2]), []
    for slot, flag in ((0, "transA"), (1, "transB")):
        if attrs.get(flag):
            swapped = f"{node.output[0]}__imcbench_t{slot}"
            nodes.append(helper.make_node("Einsum", [inputs[slot]], [swapped], equation="...ij->...ji"))
            inputs[slot] = swapped
    return [*nodes, helper.make_node("MatMul", inputs, [node.output[0]])]
