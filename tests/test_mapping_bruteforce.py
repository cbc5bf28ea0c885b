"""The vectorized mapper against a literal loop-nest simulation of every mapping in the space."""

from __future__ import annotations

import numpy as np
import pytest

from imcbench.hardware.config import MacroConfig, MemoryConfig, SystemConfig, build_system
from imcbench.mapping.cost import evaluate_candidates, standalone_homes
from imcbench.mapping.mapper import best_index, search_space
from imcbench.mapping.simulate import simulate, total
from imcbench.workload import Layer


def tiny_system(kind: str, sram_kb: float = 0.25, cells_per_mult: int = 1):
    """16 rows x 8 weight columns, registers, a tiny SRAM (so chunking matters) and a DRAM."""
    return build_system(SystemConfig(
        name="tiny", macro=MacroConfig(kind=kind, rows=16, cols=64, cells_per_mult=cells_per_mult),
        memories=[
            MemoryConfig(name="in_regs", kind="register", operands=["I"], per="row", size_bits=8),
            MemoryConfig(name="out_regs", kind="register", operands=["O"], per="column", size_bits=16),
            MemoryConfig(name="sram", kind="sram", operands=["I", "O"], size_kb=sram_kb, bandwidth_bits=128),
            MemoryConfig(name="dram", kind="dram", operands=["W", "I", "O"], size_mb=1, bandwidth_bits=64,
                         read_pj_per_bit=3.7, write_pj_per_bit=3.7)]))


# dimensions that split evenly over a 16 x 8 array, so that the model's tile averages are exact
LAYERS = [
    Layer("fc", "fc", K=16, C=48),
    Layer("pw", "pointwise", K=8, C=32, OY=4, OX=4),
    Layer("conv", "conv", K=4, C=3, OY=4, OX=4, FY=3, FX=3),  # valid convolution: no padding
    Layer("dw", "depthwise", G=8, OY=4, OX=4, FY=2, FX=2),
    Layer("strided", "conv", K=4, C=2, OY=2, OX=4, FY=2, FX=2, stride=(2, 2)),
    Layer("batched", "matmul", K=8, C=16, OX=8),
]
SYSTEMS = {"aimc": dict(kind="aimc"), "dimc": dict(kind="dimc"), "aimc-M2": dict(kind="aimc", cells_per_mult=2),
           "dimc-bigsram": dict(kind="dimc", sram_kb=4.0)}


@pytest.mark.parametrize("hw", list(SYSTEMS))
@pytest.mark.parametrize("layer", LAYERS, ids=[layer.name for layer in LAYERS])
def test_vectorized_costs_equal_simulation_and_search_is_exact(layer, hw):
    system = tiny_system(**SYSTEMS[hw])
    cand = search_space(layer, system)
    homes = standalone_homes(layer, system)
    costs = evaluate_candidates(layer, system, cand, homes)
    simulated = np.array([total(simulate(layer, system, cand, i, homes)) for i in range(len(cand))])
    feasible = costs.feasible
    assert feasible.any() and len(cand) >= 6  # orders x chunks x spatial choices
    model, truth = costs.energy_pj[feasible], simulated[feasible]
    if layer.FY * layer.FX == 1:
        # no sliding window: every count of the model is exact
        np.testing.assert_allclose(model, truth, rtol=1e-9)
    else:
        # the reuse model never invents reuse; it may miss the coincidental overlap of consecutive
        # windows that the simulation sees (a level keeps the data when the next tile is the same)
        assert np.all(model >= truth * (1 - 1e-9))
    # the vectorized search returns the brute-force optimum
    best = best_index(costs, "energy")
    assert simulated[best] == pytest.approx(truth.min(), rel=1e-9)
