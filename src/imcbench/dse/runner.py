"""Run a sweep: expand the spec, skip what the database already holds, batch the rest, execute, store.

The parent process alone writes the database, one transaction per finished batch, so stopping a sweep
at any moment loses at most the batches in flight, and running the same command again resumes:
points whose id is already stored are not evaluated again.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from imcbench import results as vocab
from imcbench.dse.executors import Executor, make_executor
from imcbench.dse.parameters import column_name, value_type
from imcbench.dse.points import DesignPoint, expand, point_digest
from imcbench.dse.spec import LoadedSpec
from imcbench.dse.store import DESIGN_COLUMNS, SweepStore
from imcbench.dse.worker import BatchOutput, BatchTask, DesignTask, Job
from imcbench.errors import ImcbenchError

BATCHES_PER_WORKER = 8  # enough batches to balance the load and to lose little work on an interruption
MAX_BATCH_DESIGNS = 128  # a batch of 128 designs of one structure x 4 networks runs about a second
MIN_SHARED = 16  # designs of one structure evaluated together: their traffic analysis is shared
PRICING_PARAMS = frozenset({"kind", "adc_bits", "node_nm", "vdd", "dram_pj_per_bit", "delay_model"})
SQL_TYPES = {int: "BIGINT", float: "DOUBLE", bool: "BOOLEAN", str: "VARCHAR"}


@dataclass
class SweepSummary(vocab.ResultMixin):
    """What a run did: counts per outcome, time, speed."""

    out: str
    spec_hash: str
    executor: str
    workers: int
    requested: int = 0
    designs: int = 0
    invalid: dict[str, int] = field(default_factory=dict)
    evaluations: int = 0
    already_done: int = 0
    evaluated: int = 0
    stored: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_example: dict[str, str] = field(default_factory=dict)  # reason -> the detail of one case
    seconds: float = 0.0
    worker_cpu_seconds: float = 0.0
    batches: int = 0

    @property
    def evaluations_per_second(self) -> float:
        return self.evaluated / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return asdict(self) | {"evaluations_per_second": self.evaluations_per_second}


class Progress:
    """Counts of evaluations (``total``, ``done`` including earlier runs, ``new`` in this run) and hooks
    the CLI overrides to draw them (``show``)."""

    def __init__(self):
        self.total = self.done = self.new = 0
        self.planned = False

    def plan(self, total: int) -> None:
        """The whole run's evaluations are known up front (a search: population x generations x
        networks): ``start`` then counts toward this total instead of adding to it."""
        self.total, self.planned = total, True
        self.show(None)

    def start(self, total: int, done: int) -> None:
        """A set of ``total`` evaluations begins, ``done`` of them already stored (called once per
        grid sweep, once per generation of a search)."""
        if not self.planned:
            self.total += total
        self.done += done
        self.show(None)

    def skip(self, count: int) -> None:
        """``count`` planned evaluations that will not run (impossible or repeated designs of a search)."""
        self.done += count
        self.show(None)

    def finish(self) -> None:
        """The run ended with fewer evaluations than planned (pymoo proposed fewer designs)."""
        self.total = self.done
        self.show(None)

    def advance(self, output: BatchOutput) -> None:
        self.done += output.n_jobs
        self.new += output.n_jobs
        self.show(output)

    def show(self, output: BatchOutput | None) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass(frozen=True)
class RunOptions:
    executor: str = "local"
    workers: int | None = None
    scheduler: str | None = None
    batch_size: int | None = None
    force: bool = False
    dask_processes: bool = True


def run_sweep(loaded: LoadedSpec, out: str | Path, options: RunOptions = RunOptions(),
              progress: Progress | None = None) -> SweepSummary:
    """Evaluate every design point of a grid/list spec on every network into the database ``out``."""
    if loaded.spec.mode == "search":
        raise ImcbenchError("this spec has a search: block; run it with run_search (imcbench sweep does)")
    expansion = expand(loaded)
    require_valid_designs(expansion.requested, len(expansion.points), expansion.skipped)
    executor = make_executor(options.executor, options.workers, options.scheduler, options.dask_processes)
    store = None
    try:
        store = open_store(loaded, out, expansion.points, options.force)
        summary = SweepSummary(str(out), loaded.spec_hash, executor.name, executor.workers,
                               requested=expansion.requested, designs=len(expansion.points),
                               invalid=dict(expansion.skipped))
        execute(loaded, expansion.points, store, executor, summary, options.batch_size, progress)
        return summary
    finally:
        executor.close()
        if store is not None:
            store.close()


def require_valid_designs(requested: int, valid: int, invalid: dict[str, int]) -> None:
    """A sweep without one valid design point is an error that lists why the points are impossible."""
    if valid:
        return
    reasons = "; ".join(f"{count:,} x {reason}" for reason, count in sorted(invalid.items(), key=lambda kv: -kv[1]))
    raise ImcbenchError(f"no valid design point among the {requested:,} requested ({reasons or 'none requested'}): "
                        "nothing to evaluate; change the grid, points or search space")


def open_store(loaded: LoadedSpec, out: str | Path, points: Iterable[DesignPoint], force: bool,
               names: Iterable[str] = ()) -> SweepStore:
    """The results database of this spec (created, resumed or refused; see `SweepStore.open_for_sweep`)."""
    meta = {"spec": json.dumps(loaded.spec.model_dump(), sort_keys=True, default=str), "name": loaded.spec.name,
            "mode": loaded.spec.mode, "objective": loaded.spec.objective, "source": loaded.source,
            "networks": json.dumps([n.label for n in loaded.networks])}
    columns = param_columns(points, names)
    return SweepStore.open_for_sweep(out, spec_hash=loaded.spec_hash, meta=meta, force=force,
                                     extra_columns={c: t for _, c, t in columns})


def param_columns(points: Iterable[DesignPoint], names: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(parameter, column, SQL type) of the swept parameters not among the standard macro columns."""
    seen = dict.fromkeys(names)
    for point in points:
        seen.update(dict.fromkeys(point.params))
    out = []
    for name in seen:
        column = column_name(name)
        if column not in DESIGN_COLUMNS:
            out.append((name, column, SQL_TYPES[value_type(name)]))
    return out


def execute(loaded: LoadedSpec, points: tuple[DesignPoint, ...], store: SweepStore, executor: Executor,
            summary: SweepSummary, batch_size: int | None = None, progress: Progress | None = None) -> None:
    """Evaluate the points' jobs that ``store`` does not hold yet, writing each finished batch."""
    progress = progress or Progress()
    start = time.perf_counter()
    designs, total = pending_designs(loaded, points, store.done_ids())
    summary.evaluations += total
    summary.already_done += total - sum(len(d.jobs) for d in designs)
    tasks = make_batches(loaded, designs, batch_size or loaded.spec.batch_size, executor.workers,
                         param_columns(points))
    progress.start(total, total - sum(t.n_jobs for t in tasks))
    skipped = Counter(summary.skipped)
    outputs = executor.run(tasks)
    try:
        for output in outputs:
            check_version(output)
            store.write(output)
            summary.batches += 1
            summary.worker_cpu_seconds += output.cpu_seconds
            summary.evaluated += output.n_jobs
            summary.stored += len(output.results.get("point_id", ()))
            for category, reason, detail in zip(*(output.skipped.get(k, ())
                                                  for k in ("category", "reason", "detail"))):
                skipped[f"{category}: {reason}"] += 1
                summary.skipped_example.setdefault(f"{category}: {reason}", detail)
            progress.advance(output)
    finally:
        outputs.close()  # stopped early (Ctrl-C, an error): the executor drops the batches still queued now
        summary.skipped = dict(skipped)
        summary.seconds += time.perf_counter() - start


def pending_designs(loaded: LoadedSpec, points: Iterable[DesignPoint], done: set[str]) -> tuple[list[DesignTask], int]:
    """The designs with at least one (network) evaluation not yet stored, and the number of evaluations."""
    objective = loaded.spec.objective
    designs, total = [], 0
    for point in points:
        jobs = []
        for i, net in enumerate(loaded.networks):
            point_id = point_digest(point.design_id, net.key, objective)
            total += 1
            if point_id not in done:
                jobs.append(Job(point_id, i))
        if jobs:
            designs.append(DesignTask(point.design_id, point.index, point.params, tuple(jobs)))
    return designs, total


def make_batches(loaded: LoadedSpec, designs: list[DesignTask], batch_size: int | None, workers: int,
                 columns: list[tuple[str, str, str]]) -> list[BatchTask]:
    """Group designs into tasks. Designs of one structure (:func:`structure_hint`) go together, since a
    worker evaluates them in one pass; ``batch_size`` designs per task, or about 8 tasks per worker
    when not given, without splitting a structure into pieces smaller than :data:`MIN_SHARED`."""
    if not designs:
        return []
    target = batch_size or min(MAX_BATCH_DESIGNS, math.ceil(len(designs) / (workers * BATCHES_PER_WORKER)))
    groups: dict[str, list[DesignTask]] = {}
    for design in designs:
        groups.setdefault(structure_hint(design.params), []).append(design)
    chunks = []
    for group in groups.values():
        size = target if batch_size else max(target, min(MIN_SHARED, len(group)))
        pieces = math.ceil(len(group) / size)
        chunks += [group[i * len(group) // pieces:(i + 1) * len(group) // pieces] for i in range(pieces)]
    batches, current = [], []
    for chunk in chunks:  # small groups share a task until it reaches the target size
        if current and len(current) + len(chunk) > target:
            batches.append(current)
            current = []
        current = current + chunk
    batches.append(current)
    spec = loaded.spec
    common = dict(hardware=loaded.hardware, networks=tuple((n.label, n.source) for n in loaded.networks),
                  objective=spec.objective, constraints=tuple(spec.constraints.items()),
                  param_columns=tuple((n, c) for n, c, _ in columns), store_layers=spec.store_layers)
    return [BatchTask(batch_id=i, designs=tuple(batch), **common) for i, batch in enumerate(batches)]


def structure_hint(params: dict) -> str:
    """Designs with equal hints have the same traffic structure (they differ only in parameters that
    price it: kind, ADC, technology, energies); ``bits_per_cycle`` left to its per-kind default is
    spelt out. A heuristic for batching only: results never depend on it."""
    shaped = {k: v for k, v in params.items() if k not in PRICING_PARAMS}
    if "bits_per_cycle" not in params or params["bits_per_cycle"] is None:
        shaped["bits_per_cycle"] = params.get("kind")
    return json.dumps(shaped, sort_keys=True, default=str)


def check_version(output: BatchOutput) -> None:
    import imcbench

    if output.version != imcbench.__version__:
        raise ImcbenchError(f"a worker runs imcbench {output.version} and this process {imcbench.__version__}: "
                            "install the same version on every worker")

