"""The results vocabulary: one formula per figure, the same names across result types, to_dict/to_frame."""

import json
import math

import numpy as np
import pytest

from imcbench import results as vocab
from imcbench.dse.store import result_columns
from imcbench.dse.worker import TOTAL_METRICS
from imcbench.macro import MacroSpec
from imcbench.macro.model import peak


def test_units_of_the_throughput_formulas():
    # 1e6 MACs = 2e6 ops in 2 us: 1e12 ops/s = 1 TOPS; 2e6 ops for 2e6 pJ = 2 uJ: 1e12 ops/J = 1 TOPS/W
    assert vocab.tops(vocab.ops(1e6), 2e3) == pytest.approx(1.0)
    assert vocab.gops(vocab.ops(1e6), 2e3) == pytest.approx(1e3)
    assert vocab.tops_per_w(vocab.ops(1e6), 2e6) == pytest.approx(1.0)
    assert vocab.tops_per_mm2(3.0, 1.5) == pytest.approx(2.0)
    # arrays broadcast: the vectorised macro model goes through the same functions
    assert vocab.tops(np.array([2.0, 4.0]), np.array([1e-3, 1e-3])).tolist() == pytest.approx([2.0, 4.0])


def test_macro_peak_uses_the_formulas_bit_for_bit():
    spec = MacroSpec(kind="aimc", rows=256, cols=256)
    pk, result = peak(spec.params()), spec.evaluate()
    ops = 2 * pk.macs_per_cycle
    assert result.tops == float(ops / pk.t_clk / 1e3)
    assert result.tops_per_w == float(ops / pk.total_energy_pj)
    assert result.tops_per_mm2 == float(result.tops / pk.total_area_mm2)


def test_result_types_share_names_and_give_dict_and_frame():
    from imcbench.evaluation import evaluate
    from imcbench.scaling import energy_per_op

    macro = MacroSpec(kind="dimc", rows=64, cols=64).evaluate()
    network = evaluate("resnet8", "paper-aimc-256")
    layer = network.layers[0]
    for result in (macro, network, layer):
        data = result.to_dict()
        json.dumps(data)  # JSON-safe
        for name in ("area_mm2", "tops", "tops_per_w", "tops_per_mm2"):
            assert data[name] == getattr(result, name), (type(result).__name__, name)
        assert len(result.to_frame()) >= 1
    assert network.tops == pytest.approx(2 * network.macs / network.latency_ns / 1e3)
    assert list(network.to_frame()["name"]) == [layer.name for layer in network.layers]
    assert macro.to_frame().loc[0, "macro.kind"] == "dimc"  # nested dicts flatten to outer.inner columns
    op = energy_per_op("scalar", 64, 8)
    assert op.to_frame().loc[0, "e_op_pj"] == pytest.approx(float(op.total))


def test_results_table_columns_come_from_the_vocabulary():
    assert TOTAL_METRICS == vocab.NETWORK_TOTALS
    columns = list(result_columns({}))
    assert [c for c in columns if c in vocab.NETWORK_TOTALS] == list(vocab.NETWORK_TOTALS)
    assert all(name in vocab.FIGURES for name in vocab.NETWORK_TOTALS)


def test_mixin_default_dict_is_json_safe_and_frame_flattens():
    from dataclasses import dataclass
    from pathlib import Path

    @dataclass(frozen=True)
    class Toy(vocab.ResultMixin):
        energy_pj: np.float64
        curve: np.ndarray
        where: Path
        parts: dict

    toy = Toy(np.float64(2.5), np.array([1.0, 2.0]), Path("out"), {"adc": np.float32(0.5)})
    data = toy.to_dict()
    assert json.loads(json.dumps(data)) == {"energy_pj": 2.5, "curve": [1.0, 2.0], "where": "out",
                                            "parts": {"adc": 0.5}}
    frame = toy.to_frame()
    assert list(frame.columns) == ["energy_pj", "where", "parts.adc"]  # lists have no place in one row


@pytest.mark.parametrize("policy, inf, minus_inf, nan", [("keep", float("inf"), float("-inf"), "nan"),
                                                          ("string", "inf", "-inf", None),
                                                          ("none", None, None, None)])
def test_one_converter_with_an_explicit_non_finite_policy(policy, inf, minus_inf, nan):
    from pathlib import Path

    data = {"py": float("inf"), 3: np.float64("-inf"), "nan": np.float32("nan"), "ok": np.float64(1.5),
            "n": np.int64(7), "flag": np.bool_(True), "yes": True, "curve": np.array([1.0, np.inf]),
            "pair": (np.int32(2), "a"), "where": Path("out"), "none": None}
    out = vocab.plain(data, non_finite=policy)
    assert out["py"] == inf and out["3"] == minus_inf and out["curve"] == [1.0, inf]
    assert math.isnan(out["nan"]) if nan == "nan" else out["nan"] is nan
    # finite values are the same whatever the policy, as Python types
    assert out["ok"] == 1.5 and type(out["ok"]) is float and out["n"] == 7 and type(out["n"]) is int
    assert out["flag"] is True and out["yes"] is True and out["pair"] == [2, "a"] and type(out["pair"][0]) is int
    assert out["where"] == "out" and out["none"] is None
    if policy != "keep":
        json.dumps(out, allow_nan=False)  # strict JSON: no Infinity, no NaN


def test_converter_refuses_an_unknown_policy():
    with pytest.raises(ValueError, match="keep, string, none"):
        vocab.plain(1.0, non_finite="drop")


def test_mapper_and_hetero_search_results_give_dict_and_frame():
    from imcbench.hardware import paper_system
    from imcbench.hetero import CostModel, HeteroSystem, bottleneck, search
    from imcbench.mapping.mapper import map_layer
    from imcbench.workload import load_workload

    layer = load_workload("resnet8").layers[1]
    mapped = map_layer(layer, paper_system("aimc", 64), "energy")
    data = json.loads(json.dumps(mapped.to_dict()))
    assert data["latency_cycles"] == mapped.cycles and "cycles" not in data  # the vocabulary's name
    assert data["energy_pj"] == mapped.energy_pj and data["mapping"]["text"] == mapped.mapping.describe()
    assert mapped.to_frame().loc[0, "energy_breakdown_pj.macro.adc"] == data["energy_breakdown_pj"]["macro.adc"]
    model = CostModel(bottleneck(load_workload("mobilenet_v2"), 8), HeteroSystem())
    found = search(model, "latency", method="exhaustive")
    data = json.loads(json.dumps(found.to_dict()))
    assert data["value"] == found.value and data["method"] == "exhaustive" and data["evaluated"] == found.evaluated
    assert {name: [tuple(p) for p in c["parts"]] for name, c in data["allocation"].items()} == {
        name: list(choice.parts) for name, choice in found.allocation.items()}
    assert found.to_frame().loc[0, "value"] == found.value
