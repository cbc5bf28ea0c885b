"""The link model: hop counts against brute force, hand-computed link energies, the default costing
nothing, the mapper seeing the links, the YAML checks and the sweep store's new column."""

from __future__ import annotations

import math
from dataclasses import replace

import duckdb
import numpy as np
import pytest

from imcbench.errors import ImcbenchError
from imcbench.evaluation import ENERGY_GROUPS, evaluate
from imcbench.hardware.loading import load_system
from imcbench.hardware.presets import paper_system
from imcbench.interconnect import Interconnect, mean_on_chip_hops, mesh_port_hops, remote_share
from imcbench.mapping.cost import evaluate_candidates
from imcbench.mapping.mapper import map_layer, search_space
from imcbench.workload import Layer, Network

PJ = 0.3  # pJ per bit per hop in the hand-computed cases
CHIP_PJ = 2.0  # pJ per bit per chip crossing


def brute_port_hops(m: int) -> float:
    """1 + x + y averaged over m macros placed row by row in a ceil(sqrt(m))-wide block."""
    width = math.ceil(math.sqrt(m))
    return sum(1 + i % width + i // width for i in range(m)) / m


def brute_chip_hops(m: int, per_chip: int) -> tuple[float, float]:
    """(mean on-chip hops, share of macros off the first chip), macro by macro."""
    chips = [min(per_chip, m - start) for start in range(0, m, per_chip)]
    hops = sum(n * brute_port_hops(n) for n in chips) / m
    return hops, (m - chips[0]) / m


def test_mesh_port_hops_match_brute_force_on_small_meshes():
    m = np.arange(1, 70)
    assert mesh_port_hops(m) == pytest.approx([brute_port_hops(int(k)) for k in m], rel=1e-12)
    assert mesh_port_hops(4) == pytest.approx(2.0)  # 2 x 2 block: 1, 2, 2, 3 hops
    assert mesh_port_hops(0) == 0.0


@pytest.mark.parametrize("per_chip", [1, 3, 4, 16])
def test_chip_hops_and_remote_share_match_brute_force(per_chip):
    link = Interconnect("mesh", 1.0, macros_per_chip=per_chip, chip_link_pj_per_bit=1.0)
    for m in range(1, 40):
        hops, remote = brute_chip_hops(m, per_chip)
        assert mean_on_chip_hops(link, m) == pytest.approx(hops, rel=1e-12)
        assert remote_share(link, m) == pytest.approx(remote, rel=1e-12)


# --- a hand-computed layer: FC 64 -> 32 on four 64-row macros (8 weight columns each) --------------
FC = Layer("fc", "fc", K=32, C=64)


def _k_split_costs(link: Interconnect):
    """The costs of the mapping that puts the four K tiles of FC on four macros (nothing else split)."""
    system = replace(paper_system("aimc", 64, n_macros=4), interconnect=link)
    cand = search_space(FC, system)
    pick = np.flatnonzero((cand.mk == 4) & (cand.mr == 1) & (cand.mox == 1) & (cand.n_chunk == 1)
                          & (cand.order == 0) & (cand.ku == 8) & (cand.cu == 64))
    assert len(pick) == 1
    costs = evaluate_candidates(FC, system, cand.take(pick))
    return {k: float(v[0]) for k, v in costs.energy_breakdown.items()}, costs, system


# each of the 4 macros receives all 64 8-bit inputs; its 64 x 8 8-bit weights; sends 8 8-bit outputs
INPUT_COPIES_BITS = 64 * 8 * 4
WEIGHT_BITS = 64 * 32 * 8
OUTPUT_BITS = 32 * 8


def test_fc_split_over_four_macros_on_a_bus_pays_every_copy_once():
    energy, _, _ = _k_split_costs(Interconnect("bus", PJ))
    assert energy["interconnect.I"] == pytest.approx(INPUT_COPIES_BITS * PJ)
    assert energy["interconnect.W"] == pytest.approx(WEIGHT_BITS * PJ)
    assert energy["interconnect.O"] == pytest.approx(OUTPUT_BITS * PJ)


def test_fc_split_on_a_mesh_over_two_chips():
    # 2 x 2 mesh: 1 + (0 + 1 + 1 + 2) / 4 = 2 hops; two chips of two: 1.5 hops, half the macros remote
    energy, _, _ = _k_split_costs(Interconnect("mesh", PJ))
    assert energy["interconnect.I"] == pytest.approx(INPUT_COPIES_BITS * 2.0 * PJ)
    energy, _, _ = _k_split_costs(Interconnect("mesh", PJ, macros_per_chip=2, chip_link_pj_per_bit=CHIP_PJ))
    assert energy["interconnect.I"] == pytest.approx(INPUT_COPIES_BITS * 1.5 * PJ)
    assert energy["interconnect.chip.I"] == pytest.approx(INPUT_COPIES_BITS * 0.5 * CHIP_PJ)
    assert energy["interconnect.chip.W"] == pytest.approx(WEIGHT_BITS * 0.5 * CHIP_PJ)


def test_a_narrow_link_sets_the_latency():
    ideal = _k_split_costs(Interconnect())[1]
    bandwidth = 4.0  # bits per cycle: far below what the memories need
    narrow = _k_split_costs(Interconnect("bus", PJ, bandwidth_bits_per_cycle=bandwidth))[1]
    link_cycles = (INPUT_COPIES_BITS + WEIGHT_BITS + OUTPUT_BITS) / bandwidth
    # the link outlasts compute and memories: the layer takes the weight-loading stall plus the link time
    assert narrow.cycles[0] == pytest.approx(ideal.cycle_breakdown["weight_loading"][0] + link_cycles)
    assert narrow.cycles[0] == pytest.approx(sum(v[0] for v in narrow.cycle_breakdown.values()))
    assert narrow.cycle_breakdown["interconnect_stall"][0] > 0


# --- the default costs nothing and changes nothing -------------------------------------------------
@pytest.mark.parametrize("network", ["resnet8", "ds_cnn"])
def test_ideal_links_contribute_exactly_zero(network):
    system = paper_system("aimc", 64, n_macros=4)
    result = evaluate(network, system)
    assert not any(k.startswith("interconnect") for k in result.energy_breakdown_pj)
    assert "interconnect_stall" not in result.cycle_breakdown
    assert result.energy_by_group_pj()["interconnect"] == 0.0
    assert result.energy_pj == pytest.approx(sum(result.energy_breakdown_pj.values()), rel=1e-12)
    # links priced at zero with no bandwidth limit: the same mappings, energies and cycles to the bit
    free = evaluate(network, replace(system, interconnect=Interconnect("mesh", 0.0)))
    assert [layer.energy_pj for layer in free.layers] == [layer.energy_pj for layer in result.layers]
    assert [layer.latency_cycles for layer in free.layers] == [layer.latency_cycles for layer in result.layers]
    assert free.energy_by_group_pj()["interconnect"] == 0.0


def test_links_are_their_own_energy_group():
    system = replace(paper_system("aimc", 64, n_macros=4), interconnect=Interconnect("mesh", PJ))
    result = evaluate("resnet8", system)
    groups = result.energy_by_group_pj()
    assert set(groups) == set(ENERGY_GROUPS)
    links = sum(v for k, v in result.energy_breakdown_pj.items() if k.startswith("interconnect."))
    assert links > 0 and groups["interconnect"] == pytest.approx(links)
    assert sum(groups.values()) == pytest.approx(result.energy_pj)


# --- the mapper sees the links -------------------------------------------------------------------------
def test_expensive_links_make_the_mapper_use_fewer_macros():
    layer = Layer("conv", "conv", K=64, C=64, OY=8, OX=8, FY=3, FX=3, padding=(1, 1, 1, 1))
    system = paper_system("aimc", 256, n_macros=16)
    free = map_layer(layer, system)
    costly = replace(system, interconnect=Interconnect("mesh", 50.0))
    priced = map_layer(layer, costly)
    assert free.macros_used > 1
    assert priced.macros_used < free.macros_used
    # the mapping chosen without links, priced with them, is no better than the one chosen with them
    cand = search_space(layer, costly)
    costs = evaluate_candidates(layer, costly, cand)
    unroll = free.mapping.macro_unroll
    same = ((cand.ku == free.mapping.ku) & (cand.cu == free.mapping.cu) & (cand.fyu == free.mapping.fyu)
            & (cand.fxu == free.mapping.fxu) & (cand.oxu == free.mapping.oxu) & (cand.gu == free.mapping.gu)
            & (cand.mk == unroll["K"]) & (cand.mr == unroll["R"]) & (cand.mg == unroll["G"])
            & (cand.mox == unroll["OX"]) & (cand.moy == unroll["OY"]) & (cand.mb == unroll["B"])
            & (cand.n_chunk == free.mapping.n_chunk))
    assert costs.energy_pj[same].min() > priced.energy_pj


# --- configuration --------------------------------------------------------------------------------------
HARDWARE = """
name: linked
macro: {kind: aimc, rows: 64, cols: 64, count: 4}
memories:
  - {name: input_regs, kind: register, operands: [I], per: row, size_bits: 8}
  - {name: output_regs, kind: register, operands: [O], per: column, size_bits: 16}
  - {name: l2, kind: sram, operands: [I, O], size_kb: 64, bandwidth_bits: 2048}
  - {name: dram, kind: dram, operands: [W, I, O], size_mb: 16, bandwidth_bits: 64}
"""


def _load(tmp_path, block: str):
    path = tmp_path / "hw.yaml"
    path.write_text(HARDWARE + block)
    return load_system(path)


def test_yaml_interconnect_block_builds_the_link(tmp_path):
    system = _load(tmp_path, "interconnect: {topology: mesh, pj_per_bit_per_hop: 0.1, bandwidth_bits_per_cycle: 256,"
                             " macros_per_chip: 2, chip_link_pj_per_bit: 0.5}\n")
    assert system.interconnect == Interconnect("mesh", 0.1, 256.0, 2, 0.5, None)
    assert _load(tmp_path, "").interconnect == Interconnect()


@pytest.mark.parametrize("block, words", [
    ("interconnect: {topology: ring, pj_per_bit_per_hop: 0.1}", ["interconnect.topology"]),
    ("interconnect: {topology: bus, pj_per_bit_per_hop: -1}", ["pj_per_bit_per_hop"]),
    ("interconnect: {topology: mesh, pj_per_bit_per_hop: 0.1, macros_per_chip: 0}", ["macros_per_chip"]),
    ("interconnect: {topology: mesh, pj_per_bit_per_hop: 0.1, bandwidth_bits_per_cycle: 0}", ["bandwidth"]),
    ("interconnect: {topology: mesh, pj_per_bit_per_hop: 0.1, chip_link_pj_per_bit: 1}", ["macros_per_chip"]),
    ("interconnect: {topology: none, pj_per_bit_per_hop: 0.1}", ["topology", "none"]),
    ("interconnect: {topology: mesh}", ["pj_per_bit_per_hop"]),
    ("interconnect: {topology: mesh, pj_per_hop: 0.1}", ["pj_per_bit_per_hop"]),  # misspelt: suggestion
    ("interconnect: {topology: bus, bandwidth_gbps: 8, bandwidth_bits_per_cycle: 8}", ["not both"]),
])
def test_bad_interconnect_values_are_rejected_in_one_line(tmp_path, block, words):
    with pytest.raises(ImcbenchError) as info:
        _load(tmp_path, block + "\n")
    message = str(info.value)
    assert "\n" not in message and "interconnect" in message
    assert all(word in message for word in words)


def test_link_dataclass_checks_its_values():
    for bad in (dict(topology="ring"), dict(pj_per_bit_per_hop=float("nan")), dict(macros_per_chip=0),
                dict(chip_link_bandwidth_bits_per_cycle=-1.0)):
        with pytest.raises(ImcbenchError):
            Interconnect(**bad)


# --- the sweep store -------------------------------------------------------------------------------
def test_a_database_written_before_the_interconnect_group_resumes(tmp_path):
    from imcbench.dse.store import SweepStore

    path = tmp_path / "old.duckdb"
    SweepStore.open_for_sweep(path, spec_hash="abc", meta={}, extra_columns={}).close()
    con = duckdb.connect(str(path))  # make it look like a database of the previous schema, with one result
    for table in ("results", "layers"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN energy_interconnect_pj")
    con.execute("INSERT INTO results (point_id, design_id, network, energy_pj) VALUES ('old', 'd', 'n', 1.0)")
    con.close()
    store = SweepStore.open_for_sweep(path, spec_hash="abc", meta={}, extra_columns={})
    try:
        rows = store.con.execute("SELECT point_id, energy_interconnect_pj FROM results").fetchall()
        assert rows == [("old", 0.0)]
        layer_columns = {r[0] for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'layers'").fetchall()}
        assert "energy_interconnect_pj" in layer_columns
        assert store.done_ids() == {"old"}
    finally:
        store.close()


def test_sweep_base_without_links_keeps_its_identity(tmp_path):
    from imcbench.dse.spec import _hardware_base
    from imcbench.dse.parameters import HardwareBase

    (tmp_path / "hw.yaml").write_text(HARDWARE)
    base = _hardware_base(type("H", (), {"preset": None, "file": "hw.yaml"})(), tmp_path)
    assert isinstance(base, HardwareBase) and "interconnect" not in base.config_dict()
    (tmp_path / "hw.yaml").write_text(HARDWARE + "interconnect: {topology: bus, pj_per_bit_per_hop: 0.1}\n")
    linked = _hardware_base(type("H", (), {"preset": None, "file": "hw.yaml"})(), tmp_path)
    assert linked.config_dict()["interconnect"]["topology"] == "bus" and linked.key != base.key


def test_bandwidth_in_gbps_uses_the_clock_period():
    from imcbench.interconnect import link_cycles

    link = Interconnect("bus", PJ, bandwidth_gbps=8.0, macros_per_chip=2, chip_link_gbps=2.0)
    # 8 Gb/s at 2 ns per cycle = 16 bits per cycle; half of 4 macros remote: 512 bits at 4 bits per cycle
    assert link_cycles(link, 1024.0, 4, tclk_ns=2.0) == pytest.approx(max(1024 / 16, 512 / 4))
    ideal = _k_split_costs(Interconnect())[1]
    _, narrow, system = _k_split_costs(Interconnect("bus", PJ, bandwidth_gbps=0.5))
    tclk = evaluate(Network("one", (FC,)), system).tclk_ns
    bits = INPUT_COPIES_BITS + WEIGHT_BITS + OUTPUT_BITS
    assert narrow.cycles[0] == pytest.approx(ideal.cycle_breakdown["weight_loading"][0] + bits / (0.5 * tclk))


@pytest.mark.parametrize("layer", [
    Layer("conv", "conv", K=48, C=24, OY=10, OX=10, FY=3, FX=3, padding=(1, 1, 1, 1)),
    Layer("strided", "conv", K=32, C=16, OY=6, OX=6, FY=3, FX=3, stride=(2, 2), padding=(1, 1, 1, 1)),
    Layer("dw", "depthwise", G=32, OY=8, OX=8, FY=3, FX=3, padding=(1, 1, 1, 1)),
    Layer("fc", "fc", K=100, C=300, B=3),
])
def test_links_add_their_energy_and_nothing_else_on_every_candidate(layer):
    system = paper_system("dimc", 64, n_macros=8)
    cand = search_space(layer, system)
    ideal = evaluate_candidates(layer, system, cand)
    link = Interconnect("mesh", PJ, macros_per_chip=2, chip_link_pj_per_bit=CHIP_PJ)
    linked = evaluate_candidates(layer, replace(system, interconnect=link), cand)
    for key, value in ideal.energy_breakdown.items():
        assert np.array_equal(linked.energy_breakdown[key], value), key
    links = {k: v for k, v in linked.energy_breakdown.items() if k.startswith("interconnect.")}
    assert set(links) == {f"interconnect{chip}.{op}" for chip in ("", ".chip") for op in "IWO"}
    ok = ideal.feasible
    assert np.allclose(linked.energy_pj[ok] - ideal.energy_pj[ok], sum(links.values())[ok], rtol=1e-9)
    assert np.array_equal(linked.cycles[ok], ideal.cycles[ok])  # no bandwidth given: no stall
    # every weight is written into some macro's cells once at least; every output leaves the macros once
    hops = mean_on_chip_hops(link, ideal.macros_used)
    assert np.all(links["interconnect.W"] / (hops * PJ) >= layer.weights * layer.weight_bits * (1 - 1e-9))
    assert np.all(links["interconnect.O"][ok] / (hops[ok] * PJ)
                  >= layer.output_elements * layer.out_bits * (1 - 1e-9))
    # the chip link carries the remote macros' share of the same bits
    remote = remote_share(link, ideal.macros_used)
    assert np.allclose(links["interconnect.chip.I"], links["interconnect.I"] / (hops * PJ) * remote * CHIP_PJ)


def test_sweeps_can_set_link_parameters():
    from imcbench.dse.parameters import HardwareBase, build_design, canonical_name

    params = {"kind": "aimc", "rows": 64, "n_macros": 4, canonical_name("interconnect.topology"): "bus",
              canonical_name("interconnect.pj_per_bit_per_hop"): 0.2}
    assert build_design(HardwareBase("preset"), params).interconnect == Interconnect("bus", 0.2)
    with pytest.raises(ImcbenchError, match="interconnect"):
        canonical_name("interconnect.pj_per_hop")
