"""A network's accuracy on an AIMC macro as one result: SQNR of every layer per ADC resolution (cell noise,
drift and gain error included), the DIMC reference, the macro's cost per resolution, and optionally the digits
accuracy and the cheapest designs meeting a constraint (what ``imcbench accuracy`` prints and returns as JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from imcbench import results as vocab
from imcbench.accuracy.cellnoise import active_rows, column_read_noise, effective_noise, with_gain_error
from imcbench.accuracy.explore import ExplorationResult
from imcbench.accuracy.noise import MvmConfig, dot_length, layer_sqnr_db
from imcbench.workload import Network

if TYPE_CHECKING:
    from imcbench.accuracy.digits import AccuracyPoint

LayerCallback = Callable[[int, str], None]  # (layers done, name of the last one): progress display


def bits_key(bits: float) -> str:
    """The JSON key of an ADC resolution: ``4``, ``4.5``."""
    return f"{bits:g}"


@dataclass(frozen=True)
class NetworkAccuracy(vocab.ResultMixin):
    """SQNR per layer and ADC resolution of ``network`` on the macro ``config``; cost of each resolution."""

    config: MvmConfig
    network: str
    adc_bits: tuple[float, ...]
    layers: tuple[dict, ...]  # name, kind, dot_length, conversions_per_output, sqnr_db by bits, dimc_sqnr_db
    cell: str | None
    time_s: float
    energy_per_mac_fj: dict[str, float]
    tops_per_w: dict[str, float]
    digits: tuple[AccuracyPoint, ...] | None = None  # None: not simulated
    float_accuracy: dict[str, float] | None = None
    exploration: tuple[ExplorationResult, ...] | None = None  # None: no constraint searched

    def to_dict(self) -> dict:
        """The JSON of ``imcbench accuracy --json``."""
        bits = list(self.adc_bits)
        drift = self.config.drift
        data = {"macro": {**self.config.to_dict(), "adc_bits": bits}, "network": self.network, "adc_bits": bits,
                "layers": list(self.layers),
                "cell": None if self.cell is None else {"name": self.cell, "time_s": self.time_s,
                                                        "drift_factor": drift.factor,
                                                        "drift_spread_sigma": drift.spread_sigma,
                                                        "output_gain": drift.gain},
                "energy_per_mac_fj": dict(self.energy_per_mac_fj), "tops_per_w": dict(self.tops_per_w)}
        if self.digits is not None:
            data["digits"] = [{"model": p.model, "adc_bits": p.adc_bits, "accuracy": p.accuracy} for p in self.digits]
            data["float_accuracy"] = self.float_accuracy
        if self.exploration is not None:
            data["exploration"] = [e.to_dict() for e in self.exploration]
        return data

    def to_frame(self):
        """One row per (layer, ADC bits): the layer's SQNR and the DIMC reference."""
        import pandas as pd

        return pd.DataFrame([{"network": self.network, "layer": layer["name"], "kind": layer["kind"],
                              "dot_length": layer["dot_length"], "adc_bits": b,
                              "sqnr_db": layer["sqnr_db"][bits_key(b)], "dimc_sqnr_db": layer["dimc_sqnr_db"]}
                             for layer in self.layers for b in self.adc_bits])


def layer_sqnr_rows(network: Network, config: MvmConfig, adc_bits: Sequence[float],
                    on_layer: LayerCallback | None = None) -> list[dict]:
    """Per layer of ``network``: SQNR (dB) at each ADC resolution on ``config`` (its cells' read noise over
    the active rows, drift and gain error included) and the DIMC macro's SQNR."""
    bits_arr = np.asarray(adc_bits, dtype=float)
    rows = []
    for layer in network.layers:
        column = column_read_noise(config.read_noise, config.read_noise_per_row,
                                   active_rows(dot_length(layer), config.rows))
        read_eff, sigma_eff = effective_noise(float(column), config.cell_sigma, config.drift)
        sqnr = with_gain_error(layer_sqnr_db(layer, config.rows, bits_arr, config.bits_per_cycle, config.input_bits,
                                             config.weight_bits, read_eff, cell_sigma=sigma_eff,
                                             adc_range=config.adc_range), config.drift.gain)
        dimc = config.with_(kind="dimc").sqnr_db(dot_length(layer))
        rows.append({"name": layer.name, "kind": str(layer.kind), "dot_length": dot_length(layer),
                     "conversions_per_output": int(np.ceil(dot_length(layer) / config.rows)),
                     "sqnr_db": dict(zip([bits_key(b) for b in adc_bits], sqnr.tolist())), "dimc_sqnr_db": dimc})
        if on_layer is not None:
            on_layer(len(rows), layer.name)
    return rows


def network_accuracy(network: Network, config: MvmConfig, adc_bits: Sequence[float], *, cell: str | None = None,
                     time_s: float = 0.0, on_layer: LayerCallback | None = None) -> NetworkAccuracy:
    """SQNR of every layer of ``network`` at each of ``adc_bits`` on the AIMC macro ``config`` (``cell``: the
    memory cell whose noise and drift ``config`` carries, read ``time_s`` after programming), with the
    macro's energy per MAC (fJ) and peak TOPS/W at each resolution."""
    from imcbench.macro import evaluate_macros

    bits = [float(b) for b in adc_bits]
    layers = layer_sqnr_rows(network, config, bits, on_layer)
    frame = evaluate_macros("aimc", config.rows, config.rows, input_bits=config.input_bits,
                            weight_bits=config.weight_bits, bits_per_cycle=config.bits_per_cycle,
                            adc_bits=np.asarray(bits, dtype=float), cell=cell or "sram6t")
    keys = [bits_key(b) for b in bits]
    return NetworkAccuracy(config, network.name, tuple(bits), tuple(layers), cell, time_s,
                           dict(zip(keys, frame["energy_per_mac_fj"].tolist())),
                           dict(zip(keys, frame["tops_per_w"].tolist())))
