"""Mapping engine: a hand-computed layer, properties of the search, and bad hardware or layers."""

from __future__ import annotations

import numpy as np
import pytest

from imcbench.errors import ImcbenchError
from imcbench.evaluation import evaluate
from imcbench.hardware import load_system, paper_system
from imcbench.hardware.config import MacroConfig, MemoryConfig, OptionsConfig, SystemConfig, build_system
from imcbench.mapping.mapper import map_layer
from imcbench.workload import Layer, Network

E_FA, E_DFF, E_MULT = 3.402e-3, 1.701e-3, 0.2835e-3  # pJ at 28 nm, 0.9 V (zigzag-dse 3.9.1 ImcUnit)


def hand_system(**options):
    """A 4-row x 2-weight-column DIMC macro with round-number memory energies."""
    return build_system(SystemConfig(
        name="hand", macro=MacroConfig(kind="dimc", rows=4, cols=16, bits_per_cycle=1),
        memories=[
            MemoryConfig(name="in_regs", kind="register", operands=["I"], per="row", size_bits=8,
                         read_pj=0.0, write_pj=0.1),
            MemoryConfig(name="out_regs", kind="register", operands=["O"], per="column", size_bits=16,
                         read_pj=0.0, write_pj=0.2),
            MemoryConfig(name="sram", kind="sram", operands=["I", "O"], size_kb=1, bandwidth_bits=64,
                         min_access_bits=8, read_pj=6.4, write_pj=12.8),
            MemoryConfig(name="dram", kind="dram", operands=["W", "I", "O"], size_mb=1, bandwidth_bits=64,
                         read_pj_per_bit=2.0, write_pj_per_bit=3.0)],
        options=OptionsConfig(cell_write_pj_per_bit=0.05, **options)))


def test_hand_computed_fully_connected_layer():
    # 4 inputs x 2 outputs fill the 4 x 2 array exactly: one activation of Bi / Bc = 8 cycles.
    layer = Layer("fc", "fc", K=2, C=4)
    result = map_layer(layer, hand_system())
    e = result.energy_breakdown_pj
    # DIMC per cycle: multipliers D1 D2 Bc Bw E_mult = 2*4*1*8 * 0.2835 fJ; one adder tree per column of
    # D2 (Bw + 1) - (Bw + log2 D2 + 1) = 36 - 11 = 25 full adders; accumulators of Bi + Bw + log2 D2 = 18
    # bits of (FA + DFF) per column. Eight cycles.
    assert e["macro.multipliers"] == pytest.approx(8 * 2 * 4 * 8 * E_MULT)
    assert e["macro.adder_tree"] == pytest.approx(8 * 2 * 25 * E_FA)
    assert e["macro.accumulator"] == pytest.approx(8 * 2 * 18 * (E_FA + E_DFF))
    # weights: 8 x 8 bits read from DRAM at 2 pJ/bit and written into the cells at 0.05 pJ/bit
    assert e["mem.dram.W"] == pytest.approx(64 * 2.0)
    assert e["weights.cell_write"] == pytest.approx(64 * 0.05)
    # inputs come from DRAM (a layer run alone reads the network input there): 32 bits, charged as one
    # 64-bit DRAM word (2 pJ/bit), written into the SRAM (0.2 pJ/bit) and read out (0.1 pJ/bit), then
    # written into the 4 input registers (0.1 pJ each)
    assert e["mem.dram.I"] == pytest.approx(64 * 2.0)
    assert e["mem.sram.I"] == pytest.approx(32 * 0.2 + 32 * 0.1)
    assert e["mem.in_regs.I"] == pytest.approx(4 * 0.1)
    # outputs: 2 partial sums of 16 bits written into the output registers (0.2 pJ per write), then the
    # 2 final 8-bit outputs written to their home, the SRAM (16 bits x 0.2 pJ/bit); nothing read back
    assert e["mem.out_regs.O"] == pytest.approx(2 * 0.2)
    assert e["mem.sram.O"] == pytest.approx(16 * 0.2)
    macro = 8 * (2 * 4 * 8 * E_MULT + 2 * 25 * E_FA + 2 * 18 * (E_FA + E_DFF))
    assert result.energy_pj == pytest.approx(macro + 128 + 3.2 + 128 + 9.6 + 0.4 + 0.4 + 3.2)
    # cycles: 8 compute + 4 rows written one per cycle before compute (the 64 DRAM bits take 1 cycle)
    assert result.cycles == pytest.approx(12)
    assert result.cycle_breakdown["weight_loading"] == pytest.approx(4)
    assert result.spatial_utilization == pytest.approx(1.0)


def test_weights_reloaded_per_chunk_and_psums_spill_when_buffers_are_small():
    # 8 row tiles and 8 output pixels per tile: the mapper must trade weight reloads against partial sums
    layer = Layer("pw", "pointwise", K=2, C=32, OY=8, OX=8)
    small = map_layer(layer, hand_system())
    assert small.mapping.order in ("KRP", "RKP", "KPR", "PKR", "RPK", "PRK")
    assert small.energy_breakdown_pj["mem.dram.W"] >= 32 * 2 * 8 * 2.0  # every weight at least once


def test_more_macros_are_never_slower():
    net = "ds_cnn"
    one = evaluate(net, paper_system("dimc", 64))
    four = evaluate(net, paper_system("dimc", 64, n_macros=4))
    assert four.latency_cycles < one.latency_cycles
    assert four.area_mm2 > one.area_mm2


@pytest.mark.parametrize("objective", ["energy", "latency", "edp"])
def test_objectives_pick_their_own_optimum(objective):
    layer = Layer("conv", "conv", K=32, C=16, OY=16, OX=16, FY=3, FX=3, padding=(1, 1, 1, 1))
    system = paper_system("aimc", 64)
    chosen = map_layer(layer, system, objective)
    others = [map_layer(layer, system, o) for o in ("energy", "latency", "edp")]
    metric = {"energy": lambda m: m.energy_pj, "latency": lambda m: m.cycles,
              "edp": lambda m: m.energy_pj * m.cycles}[objective]
    assert metric(chosen) <= min(metric(o) for o in others) * (1 + 1e-9)


def test_depthwise_packing_beats_one_channel_per_array():
    layer = Layer("dw", "depthwise", G=64, OY=25, OX=5, FY=3, FX=3, padding=(1, 1, 1, 1))
    system = paper_system("dimc", 256)
    packed = map_layer(layer, system, "latency")
    single = map_layer(layer, system.with_options(pack_groups=False), "latency")
    # several channels of 9 taps share the 256 x 32 array (with the OX diagonal mapping on top)
    assert packed.mapping.gu > 1
    assert packed.cycles < single.cycles / 3


def test_attention_weights_are_written_per_input():
    q_kt = Layer("scores", "attention", B=1, G=2, K=128, C=64, OX=128)
    result = map_layer(q_kt, paper_system("dimc", 256))
    # the "weights" (K^T) are activations: 2 heads x 128 x 64 x 8 bits go into the cells every inference
    assert result.energy_breakdown_pj["weights.cell_write"] > 0
    assert result.energy_breakdown_pj["mem.dram.W"] >= 2 * 128 * 64 * 8 * 3.7 * (1 - 1e-9)


def test_network_activations_stay_on_chip_when_they_fit():
    result = evaluate("resnet8", paper_system("aimc", 256))
    dram_activation = sum(v for k, v in result.energy_breakdown_pj.items() if k in ("mem.dram.I", "mem.dram.O"))
    input_bits = 32 * 32 * 3 * 8  # only the network input comes from DRAM
    assert dram_activation == pytest.approx(input_bits * 3.7)
    adjacent = evaluate("resnet8", paper_system("aimc", 256).with_options(activation_placement="adjacent"))
    assert adjacent.energy_pj > result.energy_pj  # skip connections spilled to DRAM cost more


# --- bad inputs -------------------------------------------------------------------------------------
def test_missing_operand_level_is_named(tmp_path):
    path = tmp_path / "hw.yaml"
    path.write_text("macro: {kind: aimc, rows: 64, cols: 64}\n"
                    "memories:\n  - {name: l2, kind: sram, operands: [I, O], size_kb: 64, bandwidth_bits: 512}\n")
    with pytest.raises(ImcbenchError, match="operand W"):
        load_system(path)


def test_memory_too_small_for_one_tile():
    system = hand_system()
    tiny = system.with_options()  # same system; shrink the output registers below one partial sum
    from dataclasses import replace

    levels = tuple(replace(m, size_bits=4, bandwidth_bits=4, min_access_bits=4) if m.name == "out_regs" else m
                   for m in tiny.memories)
    with pytest.raises(ImcbenchError, match="out_regs.*too small"):
        map_layer(Layer("fc", "fc", K=2, C=4), replace(tiny, memories=levels))


def test_contradictory_precisions():
    with pytest.raises(ImcbenchError, match="16-bit activations"):
        map_layer(Layer("fc", "fc", K=2, C=4, act_bits=16), hand_system())


def test_unknown_key_gets_closest_name(tmp_path):
    path = tmp_path / "hw.yaml"
    path.write_text("macro: {kind: aimc, rows: 64, colls: 64}\nmemories: []\n")
    with pytest.raises(ImcbenchError, match="did you mean 'cols'"):
        load_system(path)


def test_preloaded_weights_must_fit():
    system = paper_system("aimc", 64).with_options(weights_preloaded=True)
    with pytest.raises(ImcbenchError, match="weights_preloaded"):
        evaluate("resnet8", system)
    small = Network("small", (Layer("fc", "fc", K=8, C=64),))
    result = evaluate(small, system)
    assert result.energy_breakdown_pj.get("mem.dram.W", 0.0) == 0.0


def test_cli_evaluate_json_shape(cli):
    out = cli("evaluate", "--network", "ds_cnn", "--hardware", "paper-dimc-64", "--json")
    assert out.returncode == 0, out.stderr
    data = out.json()
    for key in ("energy_pj", "latency_cycles", "tclk_ns", "latency_ns", "area_mm2", "macs", "tops",
                "tops_per_w", "tops_per_mm2", "layers"):
        assert key in data
    layer = data["layers"][0]
    for key in ("energy_pj", "latency_cycles", "macs", "mapping", "energy_breakdown_pj", "cycle_breakdown"):
        assert key in layer
    assert data["macs"] == 2_656_768
    assert np.isclose(sum(x["energy_pj"] for x in data["layers"]), data["energy_pj"])
    assert data["latency_ns"] == pytest.approx(data["latency_cycles"] * data["tclk_ns"])


@pytest.mark.parametrize("args, message", [
    (["--network", "resnet8", "--hardware", "nope.yaml"], "not found"),
    (["--network", "nosuchnet", "--hardware", "paper-aimc-64"], "nosuchnet"),
    (["--network", "resnet8", "--hardware", "paper-aimc-63"], "multiple of 8"),
])
def test_cli_evaluate_bad_inputs(cli, args, message):
    out = cli("evaluate", *args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_evaluate_many_equals_one_at_a_time():
    import itertools

    from imcbench.evaluation import evaluate_many

    systems = [paper_system(kind, rows, node_nm=node, vdd=vdd, adc_bits=adc if kind == "aimc" else "paper",
                            dram_pj_per_bit=dram)
               for kind, rows, node, vdd, adc, dram in itertools.product(
                   ["aimc", "dimc"], [64, 128], [22, 28], [0.8, 0.9], [5, 7], [3.7, 8.0])]
    systems.append(hand_system())  # a structure of its own, in the middle of the list order
    systems = systems[:7] + systems[-1:] + systems[7:-1]
    many = evaluate_many("ds_cnn", systems)
    for system, got in zip(systems, many):
        alone = evaluate("ds_cnn", system)
        assert got.system == system.name
        assert got.energy_pj == pytest.approx(alone.energy_pj, rel=1e-12)
        assert got.latency_cycles == alone.latency_cycles
        assert got.tclk_ns == pytest.approx(alone.tclk_ns, rel=1e-12)
        assert got.area_mm2 == pytest.approx(alone.area_mm2, rel=1e-12)
        assert [layer.mapping["text"] for layer in got.layers] == [layer.mapping["text"] for layer in alone.layers]
    # the technology and the DRAM energy changed the prices, so the results differ across the group
    assert len({round(r.energy_pj) for r in many}) > len(many) // 2


def test_evaluate_many_keeps_each_systems_delay_and_adc_model():
    """Systems of one structure but different delay or ADC models are priced with their own models (the
    first system's delay model used to price the whole group)."""
    from dataclasses import replace

    from imcbench.evaluation import evaluate_many

    base = paper_system("aimc", 256)
    variants = [base, replace(base, macro=replace(base.macro, delay_model="paper")),
                replace(base, macro=replace(base.macro, adc_model="survey_median"))]
    many = evaluate_many("resnet8", variants)
    alone = [evaluate("resnet8", system) for system in variants]
    assert [r.tclk_ns for r in many] == [r.tclk_ns for r in alone]
    assert [r.energy_pj for r in many] == pytest.approx([r.energy_pj for r in alone], rel=1e-12)
    assert many[1].tclk_ns > many[0].tclk_ns  # the paper's delay model has a longer critical path at 256 rows
    assert many[2].energy_pj != pytest.approx(many[0].energy_pj, rel=1e-6)
