"""Size limits of the workloads imcbench reads (ONNX and YAML layer lists).

Every limit is far above any real network, and low enough that a hostile or broken file is refused at
once with a message naming the limit, instead of exhausting memory or time or silently losing precision.
The readers call :func:`check_layer_size` and :func:`check_layer_count`; YAML-specific limits (bytes,
expanded nodes) live in :mod:`imcbench.yamlio`.
"""

from __future__ import annotations

import math

from imcbench.errors import ImcbenchError

MAX_ONNX_BYTES = 2 * 1024**3  # bytes; protobuf's own message limit (larger models keep weights external)
MAX_ONNX_NODES = 500_000  # nodes in the main graph; exported LLMs have tens of thousands
MAX_LAYERS = 10_000  # MAC layers in one network; mapping takes ~1-10 ms per distinct layer
MAX_LOOP_BOUND = 2**24  # one loop dimension (B K C G OY OX FY FX); vocabularies ~2.6e5, contexts ~1e6
MAX_LAYER_MACS = 10**15  # MACs of one layer; the cost model's float64 counts are exact below 2^53 ~ 9.0e15


def check_layer_size(dims: dict[str, int], where: str) -> None:
    """Raise :class:`ImcbenchError` naming ``where`` (file and layer or node) when a loop bound or the
    layer's MAC count is above its limit."""
    big = {name: value for name, value in dims.items() if value > MAX_LOOP_BOUND}
    if big:
        text = ", ".join(f"{name}={value}" for name, value in big.items())
        raise ImcbenchError(f"{where}: dimension {text} is above the limit of {MAX_LOOP_BOUND} "
                            "(imcbench.limits.MAX_LOOP_BOUND); check the dimensions (input shapes)")
    macs = math.prod(dims.values())
    if macs > MAX_LAYER_MACS:
        raise ImcbenchError(f"{where}: {macs:.3g} MACs in one layer is above the limit of {MAX_LAYER_MACS:.0e} "
                            "(imcbench.limits.MAX_LAYER_MACS); check the dimensions (input shapes)")


def check_layer_count(count: int, where: str) -> None:
    """Raise :class:`ImcbenchError` when a network has more MAC layers than :data:`MAX_LAYERS`."""
    if count > MAX_LAYERS:
        raise ImcbenchError(f"{where}: {count} MAC layers is above the limit of {MAX_LAYERS} "
                            "(imcbench.limits.MAX_LAYERS); split the network or check the file")

# Folding of shape arithmetic in ONNX graphs (imcbench.workload.onnx_fold)
MAX_FOLD_ELEMENTS = 2**16  # elements of one folded tensor; shape tensors have <= 8, attention masks ~1e4
MAX_FOLD_ROUNDS = 64  # shape-inference rounds; each unlocks one stage of Shape -> ... -> Reshape chains
# (a Swin-T export needs 17: one per block whose window sizes are read from the previous block's output)
