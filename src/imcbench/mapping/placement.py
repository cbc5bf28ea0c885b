"""Where each activation tensor lives between layers: on chip (SRAM) or in the top memory (DRAM).

Layers run one after another. A layer's output stays in the lowest non-register memory that serves
inputs and outputs (the "buffer") when it fits there for its whole lifetime, from the producing layer
to its last consumer, next to every other tensor kept there meanwhile (greedy in production order).
Otherwise it is written to the top memory and read from there by its consumers. Skip connections of
residual networks are the typical case: the skipped tensor occupies the buffer while the block runs.
The network's input comes from the top memory (where the sensor or host left it). zigzag-dse makes the
same kind of decision with its inter-layer data-locality stages, without liveness: it sends every tensor
with a consumer beyond the next layer to DRAM (``activation_placement: adjacent`` reproduces that rule);
the default ``liveness`` keeps a tensor on chip whenever it really fits.
A tensor takes partial-sum precision while it is produced (the outputs accumulate in place), its own after.
"""

from __future__ import annotations

from dataclasses import dataclass

from imcbench.hardware.system import MemoryLevel, System
from imcbench.workload import Layer, Network


@dataclass(frozen=True)
class Homes:
    """Index, in ``system.levels(operand)``, of the level holding a layer's input and output tensors."""

    inputs: int
    outputs: int


def buffer_level(system: System) -> MemoryLevel | None:
    """The lowest non-register level serving both inputs and outputs (None if there is none)."""
    for level in system.memories:
        if level.kind != "register" and {"I", "O"} <= level.operands:
            return level
    return None


def place_activations(network: Network, system: System) -> dict[str, Homes]:
    """Homes of every layer's input and output tensors (see the module docstring)."""
    buffer = buffer_level(system)
    i_levels, o_levels = system.levels("I"), system.levels("O")
    top_i, top_o = len(i_levels) - 1, len(o_levels) - 1
    if buffer is None:
        return {layer.name: Homes(top_i, top_o) for layer in network}
    capacity = buffer.size_bits * system.instances(buffer)
    index = {layer.name: k for k, layer in enumerate(network)}
    last_use = {layer.name: k for k, layer in enumerate(network)}
    for k, layer in enumerate(network):
        for producer in layer.inputs:
            last_use[producer] = max(last_use[producer], k)
    occupancy = [0.0] * len(network)
    resident: set[str] = set()
    adjacent_only = system.options.activation_placement == "adjacent"
    for layer in network:
        start, end = index[layer.name], last_use[layer.name]
        if adjacent_only and end > start + 1:
            continue  # zigzag-dse's rule: a tensor read beyond the next layer goes to the top memory
        producing, stored = tensor_bits(layer, system)
        need = [producing] + [stored] * (end - start)
        if all(occupancy[start + k] + need[k] <= capacity for k in range(len(need))):
            resident.add(layer.name)
            for k in range(len(need)):
                occupancy[start + k] += need[k]
    buffer_i = i_levels.index(buffer)
    buffer_o = o_levels.index(buffer)
    homes = {}
    for layer in network:
        inputs_on_chip = bool(layer.inputs) and all(p in resident for p in layer.inputs)
        homes[layer.name] = Homes(buffer_i if inputs_on_chip else top_i,
                                  buffer_o if layer.name in resident else top_o)
    return homes


def tensor_bits(layer: Layer, system: System) -> tuple[float, float]:
    """Size of a layer's output tensor in the buffer while produced (partial sums) and afterwards, bits."""
    return (layer.output_elements * max(layer.out_bits, system.options.partial_sum_bits),
            layer.output_elements * layer.out_bits)
