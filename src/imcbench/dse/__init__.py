"""Design-space exploration: sweep specs, design points, executors, the results database, Pareto fronts,
NSGA-II search (see ``imcbench sweep``, ``imcbench results``, ``imcbench pareto``)."""

from imcbench.dse.pareto import pareto_front, pareto_mask, pareto_ranks
from imcbench.dse.spec import LoadedSpec, SweepSpec, load_spec

__all__ = ["LoadedSpec", "SweepSpec", "load_spec", "pareto_front", "pareto_mask", "pareto_ranks"]
