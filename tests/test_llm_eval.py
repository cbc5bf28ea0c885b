"""LLM steps on IMC systems: KV traffic per token, act x act policies, weights regime, batch amortization,
lifetime of non-volatile cells."""

from __future__ import annotations

import math

import pytest

from imcbench.errors import ImcbenchError
from imcbench.hardware.config import build_system
from imcbench.hardware.presets import paper_system_config
from imcbench.llm_eval import (LLMPolicy, digital_mac_energy_pj, evaluate_llm, weight_capacity,
                               weights_regime)
from imcbench.workload.llm import LLMConfig, llm_decode, llm_prefill

TINY = LLMConfig("tiny", hidden=128, layers=2, heads=4, kv_heads=2, ffn=256, vocab=512, context=256)
DRAM_PJ_PER_BIT = 3.7  # the paper system's DRAM


def system(kind="aimc", cell="sram6t", rows=64, count=1):
    return build_system(paper_system_config(kind, rows, n_macros=count, cell=cell))


def part(result, prefix):
    return sum(v for k, v in result.result.energy_breakdown_pj.items() if k.startswith(prefix))


def test_kv_cache_in_dram_is_read_whole_and_appended_per_token():
    work = llm_decode(TINY, kv_length=100, batch=3)
    r = evaluate_llm(work, system(), LLMPolicy("array", "dram"))
    cache_bits = 2 * TINY.layers * (TINY.kv_heads * TINY.head_dim) * 100 * 3 * 8
    new_bits = 2 * TINY.layers * (TINY.kv_heads * TINY.head_dim) * 1 * 3 * 8
    assert part(r, "kv_cache.read") == pytest.approx(cache_bits * DRAM_PJ_PER_BIT)
    assert part(r, "kv_cache.append") == pytest.approx(new_bits * DRAM_PJ_PER_BIT)
    # the array policy writes the whole cache of each layer into the cells every step
    price = system().options.cell_write_pj_per_bit
    assert part(r, "kv_cache.cell_write") == pytest.approx(cache_bits * price)
    assert r.kv_cache_pj == pytest.approx(part(r, "kv_cache."))


def test_kv_cache_in_imc_writes_only_new_entries_and_adds_macros():
    work = llm_decode(TINY, kv_length=100)
    sys_ = system()
    r = evaluate_llm(work, sys_, LLMPolicy("array", "imc"))
    new_bits = 2 * TINY.layers * TINY.kv_heads * TINY.head_dim * 8
    assert part(r, "kv_cache.read") == 0
    assert part(r, "kv_cache.cell_write") == pytest.approx(new_bits * sys_.options.cell_write_pj_per_bit)
    cache_bits = 2 * TINY.layers * TINY.kv_heads * TINY.head_dim * 100 * 8
    macros = math.ceil(cache_bits / (64 * 64))  # a 64 x 64 macro holds 4096 bits
    assert r.extra_area_mm2["kv_cache.imc_macros"] == pytest.approx(macros * sys_.macro.evaluate().area_mm2)
    dram = evaluate_llm(work, sys_, LLMPolicy("array", "dram"))
    assert r.area_mm2 > dram.area_mm2 and r.kv_cache_pj < dram.kv_cache_pj


def test_digital_unit_energy_and_throughput():
    work = llm_prefill(TINY, tokens=32)
    sys_ = system("aimc")
    r = evaluate_llm(work, sys_, LLMPolicy("digital_unit", "sram", digital_unit_macs_per_cycle=64))
    attention = [l for l in work.network if not l.weight_is_constant]
    macs = sum(l.macs for l in attention)
    e_mac = digital_mac_energy_pj(8, 8, sys_.macro.technology)
    assert 0.1 < e_mac < 1.0  # Horowitz ISSCC 2014: 8b mult + add ~0.23 pJ at 45 nm
    assert part(r, "act_act.digital_unit") - part(r, "act_act.digital_unit.operands") == pytest.approx(macs * e_mac)
    compute = sum(l.cycle_breakdown["compute"] for l in r.result.layers if l.kind == "attention")
    assert compute == pytest.approx(macs / 64)
    assert "act_act.digital_unit" in r.extra_area_mm2
    core = evaluate_llm(work, sys_, LLMPolicy("digital_core", "sram"))
    assert part(core, "act_act.digital_core") > part(r, "act_act.digital_unit")


def test_companion_dimc_macro_on_an_aimc_system():
    work = llm_decode(TINY, kv_length=64)
    own = evaluate_llm(work, system("aimc"), LLMPolicy("aimc_write", "dram"))
    companion = evaluate_llm(work, system("aimc"), LLMPolicy("dimc_write", "dram"))
    assert "act_act.companion_macro" not in own.extra_area_mm2
    assert companion.extra_area_mm2["act_act.companion_macro"] == pytest.approx(
        system("dimc").macro.evaluate().area_mm2)
    # the constant-weight layers are untouched by the act x act policy
    for a, b in zip(own.result.layers, companion.result.layers):
        if a.kind != "attention":
            assert a.energy_pj == b.energy_pj


def test_weights_regime():
    work = llm_decode(TINY, kv_length=16)
    weights = work.network.total_weights
    small = system()
    assert weight_capacity(small) == 64 * 8
    assert weights_regime(weights, small) == "streamed"
    assert weights_regime(weights, system(cell="rram")) == "reprogrammed"
    count = math.ceil(weights / (64 * 8))
    big = system(count=count)
    assert weights_regime(weights, big) == "resident"
    resident = evaluate_llm(work, big)
    assert resident.weight_load_pj == 0 and resident.regime == "resident"
    streamed = evaluate_llm(work, small)
    assert streamed.weight_load_share > 0.5  # decode at batch 1: weight loading dominates


def test_batch_shares_one_weight_load():
    one = evaluate_llm(llm_decode(TINY, 64, batch=1), system(cell="rram"), LLMPolicy("digital_unit", "sram"))
    many = evaluate_llm(llm_decode(TINY, 64, batch=16), system(cell="rram"), LLMPolicy("digital_unit", "sram"))
    # one weight (re)load per step whatever the batch: the weight energy per token falls as 1/B
    assert many.cell_bits_written == pytest.approx(one.cell_bits_written, rel=0.05)
    per_token_one = one.weight_load_pj / one.workload.tokens
    per_token_many = many.weight_load_pj / many.workload.tokens
    assert per_token_many == pytest.approx(per_token_one / 16, rel=0.05)
    # so the cells last ~16 times longer at the same token rate
    at_rate = dict(token_rate=100.0)
    life_one = evaluate_llm(one.workload, system(cell="rram"), LLMPolicy("digital_unit", "sram", **at_rate))
    life_many = evaluate_llm(many.workload, system(cell="rram"), LLMPolicy("digital_unit", "sram", **at_rate))
    assert life_many.lifetime_years / life_one.lifetime_years == pytest.approx(16, rel=0.05)


def test_lifetime():
    from imcbench.celltech import get_cell

    work = llm_decode(TINY, 32)
    sram = evaluate_llm(work, system(), LLMPolicy(token_rate=10.0))
    assert sram.lifetime_years == math.inf
    rram = evaluate_llm(work, system(cell="rram"), LLMPolicy(token_rate=10.0))
    # every weight bit and every KV bit of the step is written once into a 64 x 64 array of 4096 cells
    bits = work.network.total_weights * 8 + work.kv_cache_elements * 8
    assert rram.cell_bits_written == pytest.approx(bits, rel=0.05)
    writes_per_cell_per_s = bits / 4096 * 10.0
    years = get_cell("rram").endurance_writes / writes_per_cell_per_s / (365.25 * 86400)
    assert rram.lifetime_years == pytest.approx(years, rel=0.05)
    slower = evaluate_llm(work, system(cell="rram"), LLMPolicy(token_rate=1.0))
    assert slower.lifetime_years == pytest.approx(10 * rram.lifetime_years)


@pytest.mark.parametrize("kwargs,needle", [
    (dict(act_act="tensor_core"), "act x act policy"), (dict(kv_cache="hbm"), "KV-cache placement"),
    (dict(act_act="digital_unit", kv_cache="imc"), "kv_cache 'imc'"), (dict(token_rate=0.0), "token rate")])
def test_bad_policy(kwargs, needle):
    with pytest.raises(ImcbenchError, match=needle):
        LLMPolicy(**kwargs)


def test_kv_writes_wear_the_cells_they_land_in():
    work = llm_decode(TINY, 32)
    rram = system(cell="rram")
    rate = dict(token_rate=10.0)
    weights_only = evaluate_llm(work, rram, LLMPolicy("digital_unit", "dram", **rate))
    on_sram_companion = evaluate_llm(work, rram, LLMPolicy("dimc_write", "dram", **rate))
    in_the_array = evaluate_llm(work, rram, LLMPolicy("array", "dram", **rate))
    # a DIMC companion computes on SRAM cells: the KV writes wear nothing, the RRAM sees the weights only
    assert on_sram_companion.lifetime_years == pytest.approx(weights_only.lifetime_years)
    # written into the RRAM array itself, the whole KV cache of every layer adds to the weights' writes
    kv_bits = work.kv_cache_elements * 8
    ratio = (work.network.total_weights * 8 + kv_bits) / (work.network.total_weights * 8)
    assert weights_only.lifetime_years / in_the_array.lifetime_years == pytest.approx(ratio, rel=0.05)
    # kept in KV macros, only the new token's entries are written, into cells of their own
    kv = evaluate_llm(work, rram, LLMPolicy("array", "imc", **rate))
    population = {name: (written, cells) for name, written, cells, _ in kv.wear}
    assert population["kv macros"] == pytest.approx((kv_bits / 32, kv_bits))


def test_policy_from_the_hardware_yaml(tmp_path):
    from imcbench.evaluation import evaluate
    from imcbench.hardware import load_system
    from imcbench.workload import load_workload

    path = tmp_path / "hw.yaml"
    path.write_text("macro: {kind: aimc, rows: 64, cols: 64}\n"
                    "memories:\n"
                    "  - {name: l2, kind: sram, operands: [I, O], size_kb: 64, bandwidth_bits: 512}\n"
                    "  - {name: dram, kind: dram, operands: [W, I, O], size_mb: 100, bandwidth_bits: 64}\n"
                    "options: {act_act: digital_unit, kv_cache: sram}\n")
    sys_ = load_system(path)
    work = llm_decode(TINY, 16)
    from_options = evaluate_llm(work, sys_)
    explicit = evaluate_llm(work, sys_, LLMPolicy("digital_unit", "sram"))
    assert (from_options.policy.act_act, from_options.policy.kv_cache) == ("digital_unit", "sram")
    assert from_options.energy_pj == pytest.approx(explicit.energy_pj)
    assert "kv_cache.sram_banks" in from_options.extra_area_mm2
    # the plain network evaluation does not model these options: it says so instead of ignoring them
    with pytest.raises(ImcbenchError, match="only LLM steps"):
        evaluate(load_workload("bert_tiny"), sys_)
    evaluate(load_workload("resnet8"), sys_)  # no attention layers: nothing to refuse


def test_leakage_of_act_act_layers_when_charged():
    work = llm_decode(TINY, 32)
    on = system(cell="sram6t").with_options(cell_leakage=True)
    r = evaluate_llm(work, on, LLMPolicy("digital_unit", "dram"))
    from imcbench.hardware import cell_costs

    for layer in r.result.layers:
        if layer.kind == "attention":
            expected = cell_costs.leakage_pw(on.macro) * layer.latency_cycles * layer.tclk_ns * 1e-9
            assert layer.energy_breakdown_pj["leakage.cells"] == pytest.approx(expected)
