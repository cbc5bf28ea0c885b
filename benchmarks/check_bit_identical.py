"""Dump every layer result of a fixed set of workloads x systems x objectives to JSON (floats as repr), to
prove a refactoring of the mapper or the cost model leaves every number bit-identical.

    PYTHONPATH=$PWD/src python3.11 benchmarks/check_bit_identical.py before.json   # on the old code
    PYTHONPATH=$PWD/src python3.11 benchmarks/check_bit_identical.py after.json    # on the new code
    cmp before.json after.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from imcbench import evaluate_many, load_workload
from imcbench.hardware.loading import load_system
from imcbench.hardware.presets import ZIGZAG_COMPATIBLE, preset
from imcbench.mapping.cost import price
from imcbench.mapping.mapper import search_blocks
from imcbench.mapping.placement import place_activations
from imcbench.mapping.traffic import layer_traffic

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ("resnet8", "ds_cnn", "mobilenet_v1", "deepautoencoder", "mobilenet_v2", "bert_tiny", "gpt2:decode:L=128")
MAX_LAYERS = {"mobilenet_v2": 12}  # the first layers are enough (slow network)
ALL_CANDIDATE_LAYERS = 4  # per network and system, the first layers' every candidate (first block) is hashed
BLOCK = 4096
LAYER_FIELDS = ("name", "energy_pj", "latency_cycles", "energy_breakdown_pj", "cycle_breakdown", "mapping",
                "spatial_utilization")


def systems() -> dict:
    aimc = preset("paper-aimc-256")
    return {"paper-aimc-256": aimc, "paper-dimc-64": preset("paper-dimc-64"),
            "multi_macro_dimc": load_system(ROOT / "examples/multi_macro_dimc.yaml"),
            "multi_chip_aimc": load_system(ROOT / "examples/multi_chip_aimc.yaml"),
            "paper-aimc-256-zigzag": aimc.with_options(**ZIGZAG_COMPATIBLE)}


def _exact(value):
    """Floats as their repr (exact round trip); containers recursively."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _exact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_exact(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _exact(value.item())
    return value


def dump() -> dict:
    out = {}
    named = systems()
    for name in NETWORKS:
        network = load_workload(name)
        if name in MAX_LAYERS:
            network = type(network)(network.name, network.layers[:MAX_LAYERS[name]])
        for objective in ("energy", "latency"):
            results = evaluate_many(network, list(named.values()), objective)
            for system_name, result in zip(named, results):
                out[f"{name}|{system_name}|{objective}"] = [{f: _exact(getattr(layer, f)) for f in LAYER_FIELDS}
                                                            for layer in result.layers]
    return out


def _digest(arrays: dict) -> str:
    """SHA-256 of arrays (bytes and shapes), in key order."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        value = np.asarray(arrays[key])
        h.update(key.encode() + str(value.shape).encode() + str(value.dtype).encode())
        h.update(value.tobytes() if value.dtype != object else repr(value.tolist()).encode())
    return h.hexdigest()


def candidate_hashes() -> dict:
    """Every Traffic field and every priced array of all candidates (first block), hashed per layer."""
    out = {}
    for name in NETWORKS:
        network = load_workload(name)
        for system_name, system in systems().items():
            homes = place_activations(network, system)
            for layer in network.layers[:ALL_CANDIDATE_LAYERS]:
                cand = next(iter(search_blocks(layer, system, BLOCK)))
                traffic = layer_traffic(layer, system, cand, homes[layer.name])
                fields = {f: getattr(traffic, f) for f in traffic.__dataclass_fields__
                          if f not in ("charges", "level_bits", "link_bits")}
                fields |= {f"level_bits.{k}": v for k, v in traffic.level_bits.items()}
                fields |= {f"link_bits.{k}": v for k, v in traffic.link_bits.items()}
                fields |= {f"charge{i}.{c.key}.{c.level}.{c.write}": c.bits for i, c in enumerate(traffic.charges)}
                costs = price(traffic, [system])
                fields |= {"energy": costs.energy_pj, "cycles": costs.cycles}
                fields |= {f"E.{k}": v for k, v in costs.energy_breakdown.items()}
                fields |= {f"C.{k}": v for k, v in costs.cycle_breakdown.items()}
                out[f"{name}|{system_name}|{layer.name}"] = _digest(fields)
    return out


if __name__ == "__main__":
    result = {"candidates": candidate_hashes(), "optima": dump()}
    Path(sys.argv[1]).write_text(json.dumps(result, indent=1, sort_keys=True))
