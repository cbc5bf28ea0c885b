"""Every entry point applies the same range to a design quantity (imcbench.design_limits).

One out-of-range value is driven through the macro API (``MacroSpec``, ``evaluate_macros``), the macro
CLI, a system YAML file, a sweep spec and, where the quantity exists, a heterogeneous-cluster YAML file:
each must refuse it with one message naming the quantity and the bound. The value at the edge of the
range must be accepted by all of them.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

from conftest import ROOT, run_cli, shared_path
from imcbench import design_limits as lim
from imcbench.dse.parameters import build_design
from imcbench.dse.points import expand
from imcbench.dse.runner import require_valid_designs
from imcbench.dse.spec import load_spec
from imcbench.errors import ImcbenchError
from imcbench.hardware.loading import load_system
from imcbench.hetero.config import load_hetero_system
from imcbench.macro import MacroSpec, evaluate_macros
from imcbench.tech import DEFAULT_VTH_V

BASE_MACRO = {"kind": "aimc", "rows": 256, "cols": 256}
# quantity -> (its key in the macro API and sweeps, in a system YAML file, in a cluster's IMA, CLI option)
NAMES = {
    "rows": ("rows", "macro.rows", "rows", "--rows"),
    "cols": ("cols", "macro.cols", "cols", "--cols"),
    "input_bits": ("input_bits", "macro.input_bits", None, "--input-bits"),
    "weight_bits": ("weight_bits", "macro.weight_bits", "weight_bits", "--weight-bits"),
    "bits_per_cycle": ("bits_per_cycle", "macro.bits_per_cycle", "dac_bits", "--bits-per-cycle"),
    "adc_bits": ("adc_bits", "macro.adc_bits", "adc_bits", "--adc-bits"),
    "cells_per_mult": ("cells_per_mult", "macro.cells_per_mult", None, "--cells-per-mult"),
    "n_macros": ("n_macros", "macro.count", None, "--macros"),
    "node_nm": ("node_nm", "technology.node_nm", None, "--node"),
    "vdd": ("vdd", "technology.vdd", None, "--vdd"),
}
# (quantity, refused value, accepted edge value, the bound the message must name, other macro settings)
CASES = [
    ("rows", lim.MAX_ROWS + 8, lim.MAX_ROWS, lim.MAX_ROWS, {}),
    ("rows", lim.MIN_ROWS - 1, lim.MIN_ROWS, lim.MIN_ROWS, {}),
    ("cols", lim.MAX_COLS + 8, lim.MAX_COLS, lim.MAX_COLS, {}),
    ("input_bits", lim.MAX_OPERAND_BITS + 1, lim.MAX_OPERAND_BITS, lim.MAX_OPERAND_BITS, {}),
    ("weight_bits", lim.MAX_OPERAND_BITS + 1, lim.MAX_OPERAND_BITS, lim.MAX_OPERAND_BITS, {}),
    ("bits_per_cycle", lim.MAX_DAC_BITS + 1, lim.MAX_DAC_BITS, lim.MAX_DAC_BITS,
     {"input_bits": lim.MAX_OPERAND_BITS, "adc_bits": 8}),
    ("adc_bits", lim.MAX_ADC_BITS + 1, lim.MAX_ADC_BITS, lim.MAX_ADC_BITS, {}),
    ("adc_bits", lim.MIN_ADC_BITS - 1, lim.MIN_ADC_BITS, lim.MIN_ADC_BITS, {}),
    ("cells_per_mult", lim.MAX_CELLS_PER_MULT + 1, lim.MAX_CELLS_PER_MULT, lim.MAX_CELLS_PER_MULT, {}),
    ("n_macros", lim.MAX_MACROS + 1, lim.MAX_MACROS, lim.MAX_MACROS, {}),
    ("node_nm", lim.MIN_NODE_NM / 2, lim.MIN_NODE_NM, lim.MIN_NODE_NM, {}),
    ("node_nm", lim.MAX_NODE_NM + 1, lim.MAX_NODE_NM, lim.MAX_NODE_NM, {}),
    ("vdd", lim.MIN_VDD_V_EXCLUSIVE, lim.MIN_VDD_V_EXCLUSIVE + 0.05, lim.MIN_VDD_V_EXCLUSIVE, {}),
    ("vdd", lim.MAX_VDD_V + 0.5, lim.MAX_VDD_V, lim.MAX_VDD_V, {}),
]
IDS = [f"{q}={bad}" for q, bad, *_ in CASES]


def names_limit(message: str, key: str, bound: float) -> bool:
    """The message names the quantity (its last key part) and the bound among its numbers."""
    message = message.rpartition(".yaml: ")[2]  # the file's path holds numbers too
    numbers = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", message)}
    return key.split(".")[-1] in message and float(bound) in numbers


def refusal(call, *args, **kwargs) -> str | None:
    """None when ``call`` accepts its arguments, else its one-line refusal."""
    try:
        call(*args, **kwargs)
    except ImcbenchError as exc:
        return str(exc)
    return None


def macro_api(params: dict) -> str | None:
    """None when both macro APIs accept ``params``, else their (identical) refusal."""
    spec_error = refusal(lambda: MacroSpec(**params).evaluate())
    vector_error = refusal(evaluate_macros, **params)
    spec_error = spec_error and spec_error.removeprefix("invalid macro: ")
    vector_error = vector_error and vector_error.split(": ", 1)[1]
    assert spec_error == vector_error, (spec_error, vector_error)
    return spec_error


def system_yaml(tmp_path, params: dict) -> str | None:
    data = {"name": "t", "technology": {}, "macro": {"kind": "aimc", "rows": 256, "cols": 256},
            "memories": [{"name": "l2", "kind": "sram", "operands": ["W", "I", "O"], "size_kb": 256,
                          "bandwidth_bits": 2048}]}
    for name, value in params.items():
        if name != "kind":
            section, key = NAMES[name][1].split(".")
            data[section][key] = value
    path = tmp_path / "hw.yaml"
    path.write_text(yaml.safe_dump(data))
    return refusal(load_system, path)


def sweep_spec(tmp_path, params: dict) -> str | None:
    """What ``imcbench sweep`` does with one point: expand (refusing a spec without a valid point), then
    build each design as a worker does."""
    point = {k: v for k, v in params.items()}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"networks": ["resnet8"], "hardware": {"preset": "paper"}, "points": [point]}))

    def run() -> None:
        loaded = load_spec(path)
        expansion = expand(loaded)
        require_valid_designs(expansion.requested, len(expansion.points), expansion.skipped)
        for design in expansion.points:
            build_design(loaded.hardware, design.params)

    return refusal(run)


def cluster_yaml(tmp_path, key: str, value) -> str | None:
    data = yaml.safe_load((ROOT / "examples" / "hetero_ima.yaml").read_text())
    data["imas"][0][key] = value
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(data))
    return refusal(load_hetero_system, path)


def macro_cli(params: dict):
    args = ["macro", params["kind"]]
    for name, value in params.items():
        if name != "kind":
            args += [NAMES[name][3], str(value)]
    return run_cli(*args, "--json")


@pytest.mark.parametrize("quantity, bad, edge, bound, others", CASES, ids=IDS)
def test_every_entry_point_refuses_the_same_value_naming_the_limit(tmp_path, quantity, bad, edge, bound, others):
    params = BASE_MACRO | others | {quantity: bad}
    api_key, yaml_key, ima_key, option = NAMES[quantity]
    message = macro_api(params)
    assert message is not None and names_limit(message, api_key, bound), message
    message = system_yaml(tmp_path, params)
    assert message is not None and names_limit(message, yaml_key, bound), message
    message = sweep_spec(tmp_path, params)
    assert message is not None and names_limit(message, api_key, bound), message
    if ima_key is not None:
        message = cluster_yaml(tmp_path, ima_key, int(bad))
        assert message is not None and names_limit(message, ima_key, bound), message
    result = macro_cli(params)
    assert result.returncode == 2 and names_limit(result.stderr, api_key, bound), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("quantity, bad, edge, bound, others", CASES, ids=IDS)
def test_every_entry_point_accepts_the_edge_of_the_range(tmp_path, quantity, bad, edge, bound, others):
    params = BASE_MACRO | others | {quantity: edge}
    assert macro_api(params) is None
    assert system_yaml(tmp_path, params) is None
    assert sweep_spec(tmp_path, params) is None
    ima_key = NAMES[quantity][2]
    if ima_key is not None:
        assert cluster_yaml(tmp_path, ima_key, int(edge)) is None


def test_the_cli_accepts_the_edges_of_every_range():
    """Two macros at the upper and lower edges of every range at once, through the real command."""
    upper = {"kind": "aimc", "rows": lim.MAX_ROWS, "cols": lim.MAX_COLS, "input_bits": lim.MAX_OPERAND_BITS,
             "weight_bits": lim.MAX_OPERAND_BITS, "bits_per_cycle": lim.MAX_DAC_BITS, "adc_bits": lim.MAX_ADC_BITS,
             "cells_per_mult": lim.MAX_CELLS_PER_MULT, "n_macros": lim.MAX_MACROS, "node_nm": lim.MAX_NODE_NM,
             "vdd": lim.MAX_VDD_V}
    lower = {"kind": "aimc", "rows": lim.MIN_ROWS, "cols": lim.MIN_OPERAND_BITS, "input_bits": lim.MIN_OPERAND_BITS,
             "weight_bits": lim.MIN_OPERAND_BITS, "bits_per_cycle": 1, "adc_bits": lim.MIN_ADC_BITS,
             "cells_per_mult": 1, "n_macros": 1, "node_nm": lim.MIN_NODE_NM, "vdd": 0.4}
    for params in (upper, lower):
        result = macro_cli(params)
        assert result.returncode == 0, result.stderr
        macro = result.json()["macro"]
        assert macro["rows"] == params["rows"] and macro["n_macros"] == params["n_macros"]
        assert np.isfinite(result.json()["tops_per_w"])


@pytest.mark.parametrize("size_bits, refused", [(lim.MIN_MEMORY_BITS / 2, True), (lim.MIN_MEMORY_BITS, False)])
def test_a_memory_below_one_bit_is_refused_by_both_hardware_formats(tmp_path, size_bits, refused):
    """imcbench's YAML and a ZigZag file (whose sizes become memory levels directly) share the bound."""
    ours = tmp_path / "hw.yaml"
    ours.write_text(yaml.safe_dump({"macro": {"kind": "aimc", "rows": 256, "cols": 256}, "memories": [
        {"name": "reg", "kind": "register", "operands": ["I"], "per": "row", "size_bits": size_bits},
        {"name": "l2", "kind": "sram", "operands": ["W", "I", "O"], "size_kb": 256, "bandwidth_bits": 2048}]}))
    data = yaml.safe_load(shared_path("reference", "zigzag_hw", "aimc.yaml").read_text())
    register = next(name for name, m in data["memories"].items() if m.get("served_dimensions"))
    data["memories"][register]["size"] = size_bits
    zigzag = tmp_path / "zz.yaml"
    zigzag.write_text(yaml.safe_dump(data))
    for path in (ours, zigzag):
        message = refusal(load_system, path)
        if refused:
            assert message is not None and "at least 1 bit" in message, message
        else:
            assert message is None, message


def test_the_lowest_supply_is_the_delay_models_threshold():
    """Vdd must stay above the alpha-power law's threshold voltage: the two constants are one number."""
    assert lim.MIN_VDD_V_EXCLUSIVE == DEFAULT_VTH_V


def test_an_adc_from_the_papers_rule_is_held_to_the_adc_range(tmp_path):
    """bits_per_cycle + log2(rows) / 2 above MAX_ADC_BITS is refused like an explicit adc_bits above it (the
    rule used to give 24-bit ADCs unchecked); an explicit resolution in range makes the macro valid."""
    too_many = dict(kind="aimc", rows=lim.MAX_ROWS, cols=256, input_bits=16, bits_per_cycle=16)  # 16 + 8 bits
    message = macro_api(too_many)
    assert message is not None and "ADC rule" in message and str(lim.MAX_ADC_BITS) in message
    assert macro_api({**too_many, "adc_bits": 12}) is None
    assert macro_api({**too_many, "bits_per_cycle": 8}) is None  # 8 + 8 = 16 bits: the edge is accepted
    hardware = tmp_path / "hw.yaml"
    hardware.write_text(yaml.safe_dump({"macro": {"kind": "aimc", "rows": lim.MAX_ROWS, "cols": 256, "input_bits": 16,
                                                  "bits_per_cycle": 16},
                                        "memories": [{"name": "l2", "kind": "sram", "operands": ["W", "I", "O"],
                                                      "size_kb": 256, "bandwidth_bits": 2048}]}))
    assert "ADC rule" in (refusal(load_system, hardware) or "")
