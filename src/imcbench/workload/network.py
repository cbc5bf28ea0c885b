"""A network: an ordered list of layers with their producer/consumer links."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterator

from imcbench.errors import ImcbenchError
from imcbench.workload.coverage import SkippedOperator, covered_share, share_is_exact, unmodeled_macs
from imcbench.workload.layer import Layer

if TYPE_CHECKING:  # pandas is imported by to_dataframe only: loading and evaluating a network do not need it
    import pandas as pd


@dataclass(frozen=True)
class Network:
    """Layers in a topological order; each layer's ``inputs`` name earlier layers.

    ``skipped`` lists the operators of the source model that carry MACs but are not layers (see
    :mod:`imcbench.workload.coverage`); empty for built-in and YAML networks.
    """

    name: str
    layers: tuple[Layer, ...]
    skipped: tuple[SkippedOperator, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "skipped", tuple(self.skipped))
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

    @property
    def unmodeled_macs(self) -> int:
        """MACs of the skipped operators whose MACs are known."""
        return unmodeled_macs(self.skipped)

    @property
    def covered_mac_share(self) -> float:
        """Modelled MACs / (modelled + known skipped MACs); an upper bound when some are unknown."""
        return covered_share(self.total_macs, self.skipped)

    def coverage_dict(self) -> dict:
        """The coverage keys of the JSON outputs (``workload --json`` and ``evaluate --json``)."""
        return {"skipped_operators": [s.to_dict() for s in self.skipped], "unmodeled_macs": self.unmodeled_macs,
                "covered_mac_share": self.covered_mac_share, "covered_mac_share_exact": share_is_exact(self.skipped)}

    def consumers(self, name: str) -> tuple[str, ...]:
        """Names of the layers that read the output of layer ``name``."""
        return tuple(layer.name for layer in self.layers if name in layer.inputs)

    def to_dict(self) -> dict:
        """The JSON shape of ``imcbench workload --json``."""
        return {"name": self.name, "layers": [layer.to_dict() for layer in self.layers],
                "total_macs": self.total_macs, "total_weights": self.total_weights, **self.coverage_dict()}

    def to_dataframe(self) -> pd.DataFrame:
        """One row per layer: name, kind, the eight loop bounds, MACs, weights."""
        rows = [{"name": layer.name, "kind": layer.kind.value, **layer.dims,
                 "macs": layer.macs, "weights": layer.weights} for layer in self.layers]
        import pandas as pd

        return pd.DataFrame(rows)

    def with_precision(self, act_bits: int, weight_bits: int, out_bits: int | None = None) -> "Network":
        """The same network with every layer's operand precisions replaced."""
        out = act_bits if out_bits is None else out_bits
        return replace(self, layers=tuple(replace(layer, act_bits=act_bits, weight_bits=weight_bits,
                                                  out_bits=out) for layer in self.layers))
