"""What the ONNX importer knows about one graph, and the helpers every layer builder uses.

:class:`GraphInfo` holds the static shapes (from shape inference after folding, see
:mod:`imcbench.workload.onnx_fold`), element types, constness and producers of the tensors. :func:`need`
returns a shape or raises the one-line error that says why it is unknown: a symbolic input dimension
(named by input and axis; only then "export the model with fixed input shapes"), or the node where shape
inference stops. :func:`check_positive` and :func:`precision` check loop bounds and read operand widths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imcbench.errors import ImcbenchError
from imcbench.limits import check_layer_size

MS = "com.microsoft"  # onnxruntime's contrib operators (quantization and graph optimizations)


DEFAULT_DOMAINS = ("", "ai.onnx")


# Bits of integer element types (onnx.TensorProto.DataType values): a quantized operand sets the
# layer precision; float operands leave the 8-bit default.
_INT_TYPE_BITS = {2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 12: 32, 21: 4, 22: 4, 25: 2, 26: 2}


DEFAULT_BITS = 8


@dataclass
class GraphInfo:
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


def op_key(node) -> tuple[str, str]:
    """(domain, op_type) with the default domain spelled ""."""
    return ("" if node.domain in DEFAULT_DOMAINS else node.domain, node.op_type)


def op_label(node) -> str:
    """``op_type``, prefixed by its domain outside the default one (``com.microsoft.QAttention``)."""
    domain, op = op_key(node)
    return f"{domain}.{op}" if domain else op


def attributes(node) -> dict:
    """The node attributes as plain Python values."""
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def need(value, info: GraphInfo, label: str, what: str, tensor: str | None = None):
    """``value`` if it is known, else the one-line error for a MAC node without static shapes: it names the
    symbolic input dimension behind it, or the node where shape inference stops."""
    if value is None or (isinstance(value, tuple) and any(v is None for v in value)):
        reason = _why_unknown(info, tensor) if tensor else None
        raise ImcbenchError(f"{info.path}: cannot infer the shape of MAC node {label!r} ({what} unknown); "
                            f"{reason or 'the model does not give it and shape inference cannot find it'}")
    return value


def _why_unknown(info: GraphInfo, tensor: str) -> str | None:
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


def _upstream(info: GraphInfo, tensor: str) -> tuple[set[str], tuple | None]:
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


def check_positive(info: GraphInfo, label: str, dims: dict[str, int]) -> None:
    """Raise the node-naming error for a zero or negative loop bound, or sizes above imcbench.limits."""
    bad = {k: v for k, v in dims.items() if v < 1}
    if bad:
        text = ", ".join(f"{k}={v}" for k, v in bad.items())
        raise ImcbenchError(f"{info.path}: MAC node {label!r} has a zero or negative dimension ({text}); "
                            "check the model's input shapes")
    check_layer_size(dims, f"{info.path}: MAC node {label!r}")


def _bits(info: GraphInfo, tensor: str) -> int | None:
    """Bits of an integer operand, looking through one DequantizeLinear (QDQ models)."""
    bits = _INT_TYPE_BITS.get(info.elem_types.get(tensor, 0))
    if bits is None:
        node = info.producer.get(tensor)
        if node is not None and node.op_type == "DequantizeLinear" and node.input:
            bits = _INT_TYPE_BITS.get(info.elem_types.get(node.input[0], 0))
    return bits


def precision(info: GraphInfo, node, act: str, weight: str) -> dict[str, int]:
    """Operand precisions of a MAC node: integer tensor widths where known, else 8 bits."""
    act_bits = _bits(info, act) or DEFAULT_BITS
    weight_bits = _bits(info, weight) or DEFAULT_BITS
    out_bits = DEFAULT_BITS
    if node.op_type.startswith("QLinear") and len(node.input) > 7 and node.input[7]:
        out_bits = _bits(info, node.input[7]) or DEFAULT_BITS  # y_zero_point carries the out type
    elif node.op_type.startswith("QLinear") or node.op_type.endswith("Integer"):
        out_bits = act_bits  # the int32 accumulator is requantized to the activation width
    return {"act_bits": act_bits, "weight_bits": weight_bits, "out_bits": out_bits}
