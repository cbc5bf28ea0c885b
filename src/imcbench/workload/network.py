"""A network: an ordered list of layers with their producer/consumer links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pandas as pd

from imcbench.errors import ImcbenchError
from imcbench.workload.layer import Layer


@dataclass(frozen=True)
class Network:
    """Layers in a topological order; each layer's ``inputs`` name earlier layers."""

    name: str
    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        seen: set[str] = set()
        for layer in self.layers:
            if layer.name in seen:
                raise ImcbenchError(f"network {self.name!r}: two layers are named {layer.name!r}")
            missing = [p for p in layer.inputs if p not in seen]
            if missing:
                raise ImcbenchError(
                    f"network {self.name!r}: layer {layer.name!r} reads {missing[0]!r}, which is not an "
                    "earlier layer (layers must be listed producers first)")
            seen.add(layer.name)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, key: int | str) -> Layer:
        if isinstance(key, str):
            for layer in self.layers:
                if layer.name == key:
                    return layer
            raise KeyError(key)
        return self.layers[key]

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def total_weights(self) -> int:
        return sum(layer.weights for layer in self.layers)

    def consumers(self, name: str) -> tuple[str, ...]:
        """Names of the layers that read the output of layer ``name``."""
        return tuple(layer.name for layer in self.layers if name in layer.inputs)

    def to_dict(self) -> dict:
        """The JSON shape of ``imcbench workload --json``."""
        return {"name": self.name, "layers": [layer.to_dict() for layer in self.layers],
                "total_macs": self.total_macs, "total_weights": self.total_weights}

    def to_dataframe(self) -> pd.DataFrame:
        """One row per layer: name, kind, the eight loop bounds, MACs, weights."""
        rows = [{"name": layer.name, "kind": layer.kind.value, **layer.dims,
                 "macs": layer.macs, "weights": layer.weights} for layer in self.layers]
        return pd.DataFrame(rows)

    def with_precision(self, act_bits: int, weight_bits: int, out_bits: int | None = None) -> "Network":
        """The same network with every layer's operand precisions replaced."""
        from dataclasses import replace
        out = act_bits if out_bits is None else out_bits
        return Network(self.name, tuple(replace(layer, act_bits=act_bits, weight_bits=weight_bits,
                                                out_bits=out) for layer in self.layers))
