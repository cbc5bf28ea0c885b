"""Small builders of ONNX test models (onnx.helper), shared by the ONNX import tests."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

vi = h.make_tensor_value_info


def init(name: str, *shape: int, dtype=np.float32, value=0):
    """An initializer of the given shape filled with ``value``."""
    return nh.from_array(np.full(shape, value, dtype), name)


def save(tmp_path, nodes, inputs, *, inits=(), outputs=None, opset=17, extra_opsets=(), functions=(),
         name="m", value_info=()):
    """Save a one-graph model (default-domain ``opset`` plus ``extra_opsets`` like ("com.microsoft", 1))."""
    outputs = outputs or [vi(nodes[-1].output[0], T.FLOAT, None)]
    graph = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits), value_info=list(value_info))
    opsets = [h.make_opsetid("", opset), *(h.make_opsetid(d, v) for d, v in extra_opsets)]
    model = h.make_model(graph, opset_imports=opsets, functions=list(functions))
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def output_shape(path, feeds: dict[str, np.ndarray], name: str | None = None) -> tuple[int, ...]:
    """The shape of an output when the model is run by onnx's reference evaluator (an independent check)."""
    from onnx.reference import ReferenceEvaluator

    model = onnx.load(str(path))
    evaluator = ReferenceEvaluator(model)
    outputs = evaluator.run([name] if name else None, feeds)
    return tuple(np.asarray(outputs[0]).shape)
