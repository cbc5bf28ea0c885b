"""``search:`` mode: NSGA-II (pymoo) over the sweep parameters, for spaces too large for a grid.

Each variable of ``search.space`` is encoded as one real number: a list of choices as an index, a
``log2`` range as an integer exponent, an integer range as a step count, a float range as itself
(rounded where the parameter is discrete). A design's objectives are its metrics aggregated over the
sweep's networks (geometric mean by default). Every design goes through the same executor and
database as a grid sweep, so a search can run on a Dask cluster and, re-run with the same seed,
replays its generations from the database instead of evaluating them again.
Designs that are impossible or violate a constraint are infeasible (one pymoo inequality constraint).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from imcbench.dse.executors import make_executor
from imcbench.dse.parameters import value_type
from imcbench.dse.pareto import aggregate_networks, pareto_front
from imcbench.dse.points import make_points
from imcbench.dse.runner import Progress, RunOptions, SweepSummary, execute, open_store
from imcbench.dse.spec import LoadedSpec, RangeSpec, parse_metric
from imcbench.dse.store import SweepStore
from imcbench.dse.worker import ENERGY_GROUPS, TOTAL_METRICS
from imcbench.errors import ImcbenchError

METRICS = TOTAL_METRICS + tuple(f"energy_{g}_pj" for g in ENERGY_GROUPS)
INFEASIBLE = 1e30  # objective value of a design without results (pymoo needs finite numbers)


@dataclass(frozen=True)
class Variable:
    """One search variable: the real interval pymoo explores and how a value of it becomes a parameter."""

    name: str
    low: float
    high: float
    choices: tuple = ()
    log2: bool = False
    start: float = 0.0
    step: float | None = None  # None: continuous

    def decode(self, x: float):
        if self.choices:
            return self.choices[int(np.clip(round(x), 0, len(self.choices) - 1))]
        if self.log2:
            return int(2 ** round(x))
        if self.step is None:
            return float(np.clip(x, self.low, self.high))
        value = self.start + round(x) * self.step
        return int(round(value)) if value_type(self.name) is int else float(value)


def variables(space: dict) -> list[Variable]:
    """The encoding of every parameter of ``search.space``."""
    out = []
    for name, spec in space.items():
        if isinstance(spec, list):
            out.append(Variable(name, -0.49, len(spec) - 0.51, choices=tuple(spec)))
            continue
        spec = spec if isinstance(spec, RangeSpec) else RangeSpec.model_validate(spec)
        if spec.log2:
            low, high = math.ceil(math.log2(spec.min)), math.floor(math.log2(spec.max))
            if high < low:
                raise ImcbenchError(f"search.space.{name}: no power of two between {spec.min} and {spec.max}")
            out.append(Variable(name, low - 0.49, high + 0.49, log2=True))
            continue
        step = spec.step or (1.0 if value_type(name) is int else None)
        if step is None:
            out.append(Variable(name, spec.min, spec.max))
        else:
            count = math.floor((spec.max - spec.min) / step + 1e-9)
            out.append(Variable(name, -0.49, count + 0.49, start=spec.min, step=step))
    return out


def run_search(loaded: LoadedSpec, out: str | Path, options: RunOptions = RunOptions(),
               progress: Progress | None = None) -> tuple[SweepSummary, pd.DataFrame]:
    """Run NSGA-II; returns the run summary and the Pareto front over every design evaluated."""
    from pymoo.config import Config

    Config.warnings["not_compiled"] = False  # pymoo's pure-Python mode is fast enough here
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.optimize import minimize

    search = loaded.spec.search
    objectives = [parse_metric(o) for o in search.objectives]
    unknown = [m for m, _ in objectives if m not in METRICS]
    if unknown:
        raise ImcbenchError(f"search.objectives: unknown metric(s) {', '.join(unknown)}; use {', '.join(METRICS)}")
    executor = make_executor(options.executor, options.workers, options.scheduler, options.dask_processes)
    store = None
    try:
        store = open_store(loaded, out, (), options.force, names=[*loaded.spec.fixed, *search.space])
        summary = SweepSummary(str(out), loaded.spec_hash, executor.name, executor.workers)
        progress = progress or Progress()
        progress.plan(search.population * search.generations * len(loaded.networks))  # one count, all generations
        problem = _problem(loaded, variables(search.space), objectives, store, executor, summary, options, progress)
        minimize(problem, NSGA2(pop_size=search.population), ("n_gen", search.generations), seed=search.seed,
                 verbose=False)
        progress.finish()
        return summary, front_of(store, loaded, objectives)
    finally:
        executor.close()
        if store is not None:
            store.close()


def _problem(loaded, variables_, objectives, store, executor, summary, options, progress):
    from pymoo.core.problem import Problem

    class SweepProblem(Problem):
        def __init__(self):
            super().__init__(n_var=len(variables_), n_obj=len(objectives), n_ieq_constr=1,
                             xl=np.array([v.low for v in variables_]), xu=np.array([v.high for v in variables_]))
            self.evaluated = 0

        def _evaluate(self, X, out, *args, **kwargs):
            records = [loaded.spec.fixed | {v.name: v.decode(x) for v, x in zip(variables_, row)} for row in X]
            expansion = make_points(records, loaded.hardware, start_index=self.evaluated)
            self.evaluated += len(records)
            summary.requested += expansion.requested
            summary.designs += len(expansion.points)
            for reason, count in expansion.skipped.items():
                summary.invalid[reason] = summary.invalid.get(reason, 0) + count
            execute(loaded, expansion.points, store, executor, summary, options.batch_size, progress)
            progress.skip((len(records) - len(expansion.points)) * len(loaded.networks))  # impossible or repeated
            scores = design_scores(store, loaded, objectives, expansion.points)
            F = np.full((len(records), len(objectives)), INFEASIBLE)
            G = np.ones((len(records), 1))
            for i, design_id in enumerate(expansion.record_ids):
                if design_id in scores.index:
                    F[i] = scores.loc[design_id].to_numpy(float)
                    G[i] = -1.0
            out["F"], out["G"] = F, G

    return SweepProblem()


def design_scores(store: SweepStore, loaded: LoadedSpec, objectives, points) -> pd.DataFrame:
    """Per design id: the objectives aggregated over the networks, signed for minimisation."""
    ids = [p.design_id for p in points]
    if not ids:
        return pd.DataFrame(columns=[m for m, _ in objectives])
    metrics = [m for m, _ in objectives]
    frame = store.con.execute(f"SELECT design_id, network, {', '.join(metrics)} FROM results "
                              "WHERE design_id IN (SELECT unnest(?))", [ids]).df()
    combined = aggregate_networks(frame, metrics, loaded.spec.search.aggregate, len(loaded.networks))
    signs = np.array([-1.0 if d == "max" else 1.0 for _, d in objectives])
    scores = combined.set_index("design_id")[metrics] * signs
    return scores[np.isfinite(scores).all(axis=1)]


def front_of(store: SweepStore, loaded: LoadedSpec, objectives) -> pd.DataFrame:
    """The Pareto front over every design in the database, metrics aggregated over the networks."""
    frame = store.con.execute("SELECT * FROM results").df()
    metrics = [m for m, _ in objectives]
    combined = aggregate_networks(frame, metrics, loaded.spec.search.aggregate, len(loaded.networks))
    return pareto_front(combined, objectives, by=None)
