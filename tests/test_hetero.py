"""Heterogeneous cluster: engine costs by hand, crossbar arithmetic, schedule dependencies, search vs brute force,
the MobileNetV2 bottleneck result's direction."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import pytest

from imcbench.errors import ImcbenchError
from imcbench.hetero import (Choice, CostModel, DigitalAccel, HeteroSystem, ImaSpec, bottleneck, choices_for, compare,
                             load_hetero_system, search)
from imcbench.hetero.allocate import surrogate_area, surrogate_optimum, surrogate_value
from imcbench.hetero.engines import CONV_MACS_PER_CYCLE, MacroAccel
from imcbench.hetero.schedule import Part, last_producer_tile, schedule, tile_bounds
from imcbench.workload import Layer, Network, load_workload

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mbv2() -> Network:
    return load_workload("mobilenet_v2")


@pytest.fixture(scope="module")
def block8(mbv2) -> Network:
    return bottleneck(mbv2, 8)


# -- engines ------------------------------------------------------------------------------------------------
def test_block8_shapes(block8):
    expand, dw, project = block8.layers
    assert (expand.C, expand.K, expand.OY, dw.G, dw.stride, project.K) == (64, 384, 14, 384, (1, 1), 64)
    assert expand.inputs == () and dw.inputs == ("block8.expand",) and project.inputs == ("block8.dw",)


def test_depthwise_diagonal_packing_28_channels_per_crossbar(block8):
    tiles = ImaSpec().tiles(block8["block8.dw"], 1.0)
    # 384 channels, 9 rows + 1 column each: 13 full crossbars of 28 channels, then 20 channels
    assert len(tiles) == 14
    assert tiles[0] == (252, 28) and tiles[-1] == (180, 20)


def test_mobilenet_v2_crossbar_count_matches_reference(mbv2):
    """Crossbar counts derived by hand on MobileNetV2 (Sandler et al., CVPR 2018, Table 2): 106 dense +
    263 depthwise 256x256 arrays; 55 + 136 at 512x512."""
    for spec, dense, depthwise in ((ImaSpec(), 106, 263), (ImaSpec(rows=512, cols=512), 55, 136)):
        counts = {kind: sum(len(spec.tiles(l, 1.0)) for l in mbv2 if (l.kind.value == "depthwise") == kind)
                  for kind in (False, True)}
        assert counts == {False: dense, True: depthwise}


def test_ima_time_of_expand_by_hand(block8):
    s = HeteroSystem()
    cost = s.imas[0].cost(block8["block8.expand"], 1.0, s.clock_mhz, s.memory, s.cores)
    # per pixel at 500 MHz: 6 job-overhead cycles + ceil(130 ns / 2 ns) + 1 = 66 MVM cycles,
    # 64 input bytes / 64 B per cycle = 1, 256 + 128 ADC bytes out = 6 cycles -> 79 cycles x 196 pixels
    assert cost.crossbars == 2 and cost.time_ns == pytest.approx(79 * 196 * 2.0)
    assert cost.program_words == (64 * 256 + 64 * 128) // 8


def test_ima_partial_sums_for_two_row_tiles(block8):
    s = HeteroSystem()
    cost = s.imas[0].cost(block8["block8.project"], 1.0, s.clock_mhz, s.memory, s.cores)
    assert cost.psum_adds_per_pixel == 64  # 2 row tiles (256 + 128 inputs): one add per output channel
    assert cost.out_bytes_per_pixel == 128


def test_cores_time_and_energy_by_hand(block8):
    s = HeteroSystem()
    layer = block8["block8.expand"]
    cost = s.cores.cost(layer, 1.0, s.clock_mhz, s.memory)
    cycles = layer.macs / (8 * CONV_MACS_PER_CYCLE)
    assert cost.time_ns == pytest.approx(cycles * 2.0)
    assert cost.energy_pj["cores"] == pytest.approx(cycles * 8 * s.cores.pj_per_cycle)
    half = s.cores.cost(layer, 0.5, s.clock_mhz, s.memory)
    assert half.time_ns == pytest.approx(cost.time_ns / 2)


def test_ima_mvm_energy_scales_with_active_lines():
    ima = ImaSpec()
    assert ima.mvm_energy_pj(256, 256) == pytest.approx(ima.mvm_pj)
    assert ima.mvm_energy_pj(252, 28) == pytest.approx(ima.mvm_pj * 280 / 512)
    # a full-array program at 1 us per 8 weights takes 8.2 ms (GVSOC ima_v1: 1000 ns per 32-bit word)
    assert 256 * 256 / ima.weights_per_word * ima.program_ns_per_word == pytest.approx(8.192e6)


def test_macro_accelerator_uses_the_mapper():
    from imcbench.hardware import paper_system
    from imcbench.macro import peak
    from imcbench.mapping.cost import Pricing
    from imcbench.mapping.mapper import map_layer

    system = paper_system("dimc", 64)
    layer = Layer("pw", "pointwise", K=32, C=32, OY=4, OX=4)
    accel = MacroAccel("dimc", system)
    cost = accel.cost(layer, 1.0, 500.0, HeteroSystem().memory)
    mapped = map_layer(layer, system, "latency")
    tclk = float(peak(Pricing.of([system]).params(1)).t_clk[0, 0])
    assert cost.time_ns == pytest.approx(mapped.cycles * tclk)
    assert cost.total_energy_pj == pytest.approx(mapped.energy_pj)


# -- schedule -----------------------------------------------------------------------------------------------
def test_last_producer_tile_receptive_field():
    producer = Layer("p", "pointwise", K=8, C=8, OY=14, OX=14)
    dw = Layer("d", "depthwise", G=8, OY=14, OX=14, FY=3, FX=3, padding=(1, 1, 1, 1), inputs=("p",))
    b = tile_bounds(producer, 7)  # 7 tiles of 2 rows
    # dw tile 0 (rows 0-1) reads input rows up to 2 -> producer tile 1; the last tile reads row 13
    assert last_producer_tile(dw, producer, tile_bounds(dw, 7), b).tolist() == [1, 2, 3, 4, 5, 6, 6]
    dw2 = Layer("d2", "depthwise", G=8, OY=7, OX=7, FY=3, FX=3, stride=(2, 2), padding=(1, 1, 1, 1), inputs=("p",))
    # stride 2: output row r reads input rows up to 2r + 1
    assert last_producer_tile(dw2, producer, tile_bounds(dw2, 7), b).tolist() == [0, 1, 2, 3, 4, 5, 6]
    fc = Layer("f", "fc", K=4, C=8, inputs=("p",))  # after a global pool: needs every row
    assert last_producer_tile(fc, producer, tile_bounds(fc, 7), b).tolist() == [6]


def _check_schedule(network: Network, sched, parts, row_tiles: int, handoff: float) -> None:
    """No tile starts before the producer tiles it reads have ended; no engine runs two tasks at once."""
    ends = {}
    for engine, layer, tile, end, kind in zip(sched.engine, sched.layer, sched.tile, sched.end_ns, sched.kind):
        if kind == "compute":
            ends[(layer, engine, int(tile))] = end
    for layer in network:
        mine = [i for i, name in enumerate(sched.layer) if name == layer.name and sched.kind[i] == "compute"]
        for p in layer.inputs:
            hi = last_producer_tile(layer, network[p], tile_bounds(layer, row_tiles), tile_bounds(network[p], row_tiles))
            for i in mine:
                for part in parts[p]:
                    gap = handoff if part.engine != sched.engine[i] else 0.0
                    assert sched.start_ns[i] >= ends[(p, part.engine, int(hi[sched.tile[i]]))] + gap - 1e-6
    for engine in set(sched.engine):
        idx = [i for i, e in enumerate(sched.engine) if e == engine]
        order = np.argsort(sched.start_ns[idx])
        starts, stops = sched.start_ns[idx][order], sched.end_ns[idx][order]
        assert np.all(starts[1:] >= stops[:-1] - 1e-6)


def test_schedule_respects_dependencies_on_random_allocations(block8, mbv2):
    rng = random.Random(3)
    system = HeteroSystem(imas=(ImaSpec(name="ima0"), ImaSpec(name="ima1")), split_fractions=(0.5,))
    network = Network("head", mbv2.layers[:12])  # residual edges included (block4 reads block2 and block3)
    for net in (block8, network):
        model = CostModel(net, system)
        for _ in range(5):
            allocation = {l.name: rng.choice(choices_for(l, system)) for l in net}
            parts, _, _ = model.parts_and_energy(allocation, model.provision(allocation))
            sched = schedule(net, parts, system.row_tiles, 100.0)
            _check_schedule(net, sched, parts, system.row_tiles, 100.0)


def test_schedule_overlaps_engines_but_not_one_engine():
    a = Layer("a", "pointwise", K=8, C=8, OY=8, OX=8)
    b = Layer("b", "pointwise", K=8, C=8, OY=8, OX=8, inputs=("a",))
    net = Network("chain", (a, b))
    two = schedule(net, {"a": [Part("x", 800.0)], "b": [Part("y", 800.0)]}, 8, 0.0)
    one = schedule(net, {"a": [Part("x", 800.0)], "b": [Part("x", 800.0)]}, 8, 0.0)
    assert one.makespan_ns == pytest.approx(1600.0)
    assert two.makespan_ns == pytest.approx(900.0)  # b's tile j follows a's tile j: one tile of delay
    assert two.busy_ns() == {"x": pytest.approx(800.0), "y": pytest.approx(800.0)}
    programmed = schedule(net, {"a": [Part("x", 800.0, program_ns=500.0)], "b": [Part("y", 800.0)]}, 8, 0.0)
    assert programmed.makespan_ns == pytest.approx(1400.0) and "program" in programmed.kind


# -- search against brute force --------------------------------------------------------------------------------
def _random_network(rng: random.Random, n: int, dag: bool) -> Network:
    layers: list[Layer] = []
    c, size = rng.choice([16, 32, 64]), rng.choice([4, 8, 14])
    for i in range(n):
        inputs = (layers[-1].name,) if layers else ()
        if dag and i >= 2 and rng.random() < 0.5:
            inputs = (layers[rng.randrange(0, i - 1)].name, *inputs)
        kind = rng.choice(["pointwise", "depthwise", "conv", "pointwise"])
        if kind == "depthwise":
            layers.append(Layer(f"l{i}", kind, G=c, OY=size, OX=size, FY=3, FX=3, padding=(1,) * 4, inputs=inputs))
            continue
        k = rng.choice([16, 32, 96, 192, 384])
        f = 3 if kind == "conv" else 1
        layers.append(Layer(f"l{i}", kind, K=k, C=c, OY=size, OX=size, FY=f, FX=f, padding=(f // 2,) * 4,
                            inputs=inputs))
        c = k
    return Network("random", tuple(layers))


def _cases(count: int):
    rng = random.Random(11)
    for trial in range(count):
        net = _random_network(rng, rng.choice([3, 4]), dag=trial % 2 == 1)
        digital = (DigitalAccel("dwe", {"depthwise": 16.0}, area_mm2=0.05),) if trial % 3 == 0 else ()
        yield net, HeteroSystem(imas=(ImaSpec(),), digital=digital, split_fractions=(0.5,)), trial


def _brute_force(model: CostModel, objective: str, budget: float | None) -> float:
    options = [choices_for(l, model.system) for l in model.network]
    best = math.inf
    for combo in itertools.product(*options):
        latency, energy, area = model.quick({l.name: c for l, c in zip(model.network, combo)})
        if budget is None or area <= budget:
            best = min(best, {"latency": latency, "energy": energy, "edp": latency * energy}[objective])
    return best


def test_exhaustive_search_equals_brute_force_with_area_budget():
    for net, system, trial in _cases(6):
        model = CostModel(net, system)
        budget = 2.0 if trial % 2 else None
        for objective in ("latency", "energy", "edp"):
            found = search(model, objective, budget, method="exhaustive")
            assert found.value == pytest.approx(_brute_force(model, objective, budget), rel=1e-12)
            assert budget is None or model.quick(found.allocation)[2] <= budget


def test_heuristic_close_to_brute_force_on_small_graphs():
    ratios = []
    for net, system, trial in _cases(16):
        model = CostModel(net, system)
        budget = 3.0 if trial % 4 >= 2 else None
        for objective in ("latency", "energy", "edp"):
            exact = _brute_force(model, objective, budget)
            ratios.append(search(model, objective, budget, method="heuristic").value / exact)
    ratios = np.array(ratios)
    assert ratios.min() >= 1 - 1e-12  # never better than the optimum (it is an optimum over the same set)
    assert np.mean(ratios <= 1 + 1e-9) >= 0.9 and ratios.max() <= 1.15


def test_ilp_surrogate_is_exact_against_brute_force():
    for net, system, trial in _cases(8):
        model = CostModel(net, system)
        options = {l.name: choices_for(l, system) for l in net}
        budget = 2.0 if trial % 2 else None
        for objective in ("latency", "energy"):
            allocation = surrogate_optimum(model, options, objective, budget)
            best = min(surrogate_value(model, a, objective)
                       for a in ({l.name: c for l, c in zip(net, combo)} for combo in itertools.product(*options.values()))
                       if budget is None or surrogate_area(model, a) <= budget + 1e-9)
            assert surrogate_value(model, allocation, objective) == pytest.approx(best, rel=1e-9)


def test_search_rejects_a_budget_below_the_cluster(block8):
    with pytest.raises(ImcbenchError, match="area budget"):
        search(CostModel(block8, HeteroSystem()), "latency", area_budget=0.1)


# -- configurations and the paper's result -------------------------------------------------------------------------
def test_bottleneck_direction_hybrid_faster_than_software_smaller_than_all_ima(block8):
    result = compare(block8, HeteroSystem())
    sw, hybrid, all_ima = (result.results[n] for n in ("software", "hybrid", "all_ima"))
    assert hybrid.allocation == {"block8.expand": "ima", "block8.dw": "cores", "block8.project": "ima"}
    assert hybrid.latency_ns < sw.latency_ns and result.speedup("hybrid") > 2
    assert hybrid.area_mm2 < all_ima.area_mm2 and result.area_saving > 0.3
    assert hybrid.crossbars == {"ima": 4} and all_ima.crossbars == {"ima": 18}  # 2 + 14 diagonal + 2
    # the hybrid overlaps the IMA and the cores: faster than running its layers one after another
    assert hybrid.latency_ns < hybrid.sequential_ns
    assert result.results["optimal"].latency_ns <= min(r.latency_ns for r in result.results.values()) + 1e-6


def test_optimal_respects_area_budget_and_beats_hybrid(block8):
    base = compare(block8, HeteroSystem())
    budget = base.results["hybrid"].area_mm2 * 1.5
    result = compare(block8, HeteroSystem(), area_budget=budget)
    optimal = result.results["optimal"]
    assert optimal.area_mm2 <= budget and optimal.latency_ns <= base.results["hybrid"].latency_ns


def test_too_few_crossbars_means_reprogramming_every_inference(block8):
    allocation = {l.name: Choice.single("ima") for l in block8}
    model = CostModel(block8, HeteroSystem().with_ima("ima", crossbars=4))
    result = model.evaluate(allocation)
    words = sum(model.part_cost(l, "ima", 1.0).program_words for l in block8)
    assert result.reprogrammed == {"ima": True} and result.crossbars == {"ima": 4}
    assert result.latency_ns >= words * 1000.0
    assert result.energy_breakdown_pj["ima.program"] == pytest.approx(words * 8 * 100.0)


def test_example_systems_load():
    one = load_hetero_system(ROOT / "examples" / "hetero_ima.yaml")
    assert [i.name for i in one.imas] == ["ima"] and one.imas[0].crossbars is None and one.cores.count == 8
    many = load_hetero_system(ROOT / "examples" / "hetero_multi_ima.yaml")
    assert len(many.imas) == 4 and many.digital[0].macs_per_cycle == {"depthwise": 16.0}


def test_segments_figures_render(block8, tmp_path):
    from imcbench.hetero.figures import hetero_figures
    from imcbench.figspec import save_static, to_plotly

    figures = hetero_figures(compare(block8, HeteroSystem()))
    gantt = figures[0]
    assert gantt.series[0].kind == "segments"
    fig = to_plotly(gantt)
    assert fig.data[0].orientation == "h" and fig.data[0].base is not None
    assert list(fig.layout.yaxis.categoryarray) == ["cores", "ima"]  # ima first from the top
    paths = save_static(gantt, tmp_path)
    assert all(p.stat().st_size > 1000 for p in paths)


def test_yaml_macro_and_digital_accelerators(tmp_path, block8):
    path = tmp_path / "cluster.yaml"
    path.write_text("imas: [{name: ima, crossbars: 6, parallel_crossbars: 1}]\n"
                    "accelerators:\n"
                    "  - {name: dimc, type: macro, system: paper-dimc-64}\n"
                    "  - {name: dwe, type: digital, macs_per_cycle: {depthwise: 16}, area_mm2: 0.05}\n")
    system = load_hetero_system(path)
    assert system.engine_names == ("cores", "ima", "dwe", "dimc")
    assert system.imas[0].crossbars == 6 and system.imas[0].parallel_crossbars == 1
    assert system.macros[0].system.macro.kind == "dimc"
    dw = block8["block8.dw"]
    labels = [c.label for c in choices_for(dw, system)]
    assert "dwe" in labels and "dimc" in labels and "cores:50%+dwe:50%" in labels
    # the digital engine runs depthwise only: 16 MACs/cycle at 500 MHz
    cost = system.engine("dwe").cost(dw, 1.0, system.clock_mhz, system.memory)
    assert cost.time_ns == pytest.approx(dw.macs / 16 * 2.0)
    assert "dwe" not in [c.label for c in choices_for(block8["block8.expand"], system)]


def test_block_numbers_and_shapes(mbv2):
    from imcbench.hetero.compare import block_numbers

    assert block_numbers(mbv2) == list(range(1, 18))
    first = bottleneck(mbv2, 1)  # expansion 1: no pw-expand
    assert [l.kind.value for l in first] == ["depthwise", "pointwise"]
    b14 = bottleneck(mbv2, 14)  # 14x14x96 -> 576, stride 2 -> 7x7x160
    assert [(l.kind.value, l.OY) for l in b14] == [("pointwise", 14), ("depthwise", 7), ("pointwise", 7)]
    assert b14.layers[1].stride == (2, 2) and b14.layers[2].K == 160
