"""Workloads: layers, networks, ONNX import and the built-in networks."""

from imcbench.workload.layer import LOOP_DIMS, Layer, LayerKind, infer_kind
from imcbench.workload.network import Network
from imcbench.workload.loader import load_workload

__all__ = ["LOOP_DIMS", "Layer", "LayerKind", "Network", "infer_kind", "load_workload"]
