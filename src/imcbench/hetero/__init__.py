"""Heterogeneous clusters: RISC-V cores, IMC accelerators and which layer runs where.

``engines`` (cost of a layer share on the cores, an IMA, a digital or an imcbench macro accelerator),
``cluster`` (`HeteroSystem`), ``config`` (the YAML format), ``costing`` (an allocation's latency, energy,
area), ``schedule`` (pipelined row-tile timeline), ``allocate`` (the search), ``compare`` (software /
all-IMA / hybrid / optimal), ``figures``.
"""

from imcbench.hetero.allocate import SearchOutcome, choices_for, search
from imcbench.hetero.cluster import HeteroSystem
from imcbench.hetero.compare import Comparison, bottleneck, bottleneck_table, compare
from imcbench.hetero.config import load_hetero_system
from imcbench.hetero.costing import Choice, CostModel, HeteroResult
from imcbench.hetero.engines import CoreCluster, DigitalAccel, ImaSpec, MacroAccel, SharedMemory

__all__ = ["Choice", "Comparison", "CoreCluster", "CostModel", "DigitalAccel", "HeteroResult", "HeteroSystem",
           "ImaSpec", "MacroAccel", "SearchOutcome", "SharedMemory", "bottleneck", "bottleneck_table",
           "choices_for", "compare", "load_hetero_system", "search"]
