"""The work a sweep worker does: evaluate a batch of design points on the sweep's networks.

A task (:class:`BatchTask`) carries only small data -- the base hardware as JSON, the design points'
parameters, the network names or paths -- and the answer (:class:`BatchOutput`) is plain columns, so
batches travel cheaply to local processes or a Dask cluster. Each worker process loads a network once
and keeps it (:func:`network`). Workers never touch the results database: the parent writes.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache

import imcbench
from imcbench.dse.constraints import ConstraintContext, violations
from imcbench.dse.parameters import MACRO_ALIAS_FIELDS, HardwareBase, build_design
from imcbench.errors import ImcbenchError
from imcbench.evaluation import ENERGY_GROUPS, NetworkResult, evaluate, evaluate_many
from imcbench.results import NETWORK_TOTALS
from imcbench.workload import Network, load_workload

TOTAL_METRICS = NETWORK_TOTALS  # the results table's figure columns (imcbench.results)
LAYER_METRICS = ("macs", "energy_pj", "latency_cycles", "latency_ns", "tops_per_w", "spatial_utilization")
LAYER_GROUP_COLUMNS = tuple(f"energy_{g}_pj" for g in ENERGY_GROUPS)
M_MMAP_THRESHOLD = -3  # glibc malloc.h
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # the ceiling of glibc's own dynamic mmap threshold on 64-bit


@dataclass(frozen=True)
class Job:
    """One (design, network) evaluation to do."""

    point_id: str
    network_index: int


@dataclass(frozen=True)
class DesignTask:
    design_id: str
    index: int
    params: dict = field(hash=False)
    jobs: tuple[Job, ...] = ()


@dataclass(frozen=True)
class BatchTask:
    """Design points (each with the networks still to evaluate) and what every evaluation needs."""

    batch_id: int
    hardware: HardwareBase
    networks: tuple[tuple[str, str], ...]  # (label, source) per network index
    objective: str
    designs: tuple[DesignTask, ...]
    constraints: tuple[tuple[str, float], ...] = ()
    param_columns: tuple[tuple[str, str], ...] = ()  # (parameter, column) stored besides the macro columns
    store_layers: bool = True

    @property
    def n_jobs(self) -> int:
        return sum(len(d.jobs) for d in self.designs)


@dataclass
class BatchOutput:
    """Rows for the ``results``, ``layers`` and ``skipped`` tables, as columns (name -> list)."""

    batch_id: int
    results: dict[str, list] = field(default_factory=dict)
    layers: dict[str, list] = field(default_factory=dict)
    skipped: dict[str, list] = field(default_factory=dict)
    n_jobs: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of the worker process while it ran this batch
    pid: int = 0
    version: str = imcbench.__version__


@lru_cache(maxsize=32)
def network(source: str) -> Network:
    """A network loaded once per worker process."""
    return load_workload(source)


def run_batch(task: BatchTask) -> BatchOutput:
    """Evaluate every job of ``task``; impossible designs and violated constraints become skipped rows.

    Per network, all the batch's systems go through :func:`imcbench.evaluation.evaluate_many`, which
    analyses the traffic once per pricing key (array geometry, memory sizes, delay and ADC models;
    :func:`imcbench.mapping.cost.pricing_key`) and prices it for every system: the runner puts designs of
    one structure in the same batch.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    _keep_large_arrays_on_the_heap()
    out = BatchOutput(task.batch_id, n_jobs=task.n_jobs, pid=os.getpid())
    limits = dict(task.constraints)
    systems = {}
    for design in task.designs:
        try:
            system = build_design(task.hardware, design.params)
        except ImcbenchError as exc:
            _skip_all(out, task, design, "invalid", "invalid design", str(exc))
            continue
        broken = violations(limits, "hardware", ConstraintContext(system))
        if broken:
            _skip_all(out, task, design, "constraint", *broken[0])
            continue
        systems[design.design_id] = system
    for index, (label, source) in enumerate(task.networks):
        todo = [(design, job) for design in task.designs if design.design_id in systems
                for job in design.jobs if job.network_index == index]
        if not todo:
            continue
        net = network(source)
        group = [systems[design.design_id] for design, _ in todo]
        for (design, job), system, result in zip(todo, group, _evaluate_all(net, group, task.objective)):
            if isinstance(result, ImcbenchError):
                _skip(out, job, design, label, "error", "evaluation failed", str(result))
                continue
            broken = violations(limits, "result", ConstraintContext(system, net, result))
            if broken:
                _skip(out, job, design, label, "constraint", *broken[0])
                continue
            _add_result(out, task, design, job, label, system, result)
    out.seconds = time.perf_counter() - start
    out.cpu_seconds = time.process_time() - cpu_start
    return out


@lru_cache(maxsize=None)
def _keep_large_arrays_on_the_heap() -> None:
    """Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_`` set, which freezes glibc's mmap
    threshold at 128 KiB: every large numpy temporary of the cost model is then mapped and unmapped,
    and the page faults nearly doubled the CPU time of a batch (measured). Give back the threshold
    glibc would have reached by itself."""
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def _evaluate_all(net: Network, systems: list, objective: str) -> list:
    """The result of each system on ``net``, or the `ImcbenchError` that system raised.

    The network runs at each design's operand precision (a sweep over input or weight bits quantizes
    the network to the macro's bits)."""
    out: list = [None] * len(systems)
    by_precision: dict[tuple[int, int], list[int]] = {}
    for i, system in enumerate(systems):
        by_precision.setdefault((system.macro.input_bits, system.macro.weight_bits), []).append(i)
    for (input_bits, weight_bits), members in by_precision.items():
        quantized = _at_precision(net, input_bits, weight_bits)
        group = [systems[i] for i in members]
        try:
            results = evaluate_many(quantized, group, objective)
        except ImcbenchError:  # find which systems fail; the others still get their results
            results = []
            for system in group:
                try:
                    results.append(evaluate(quantized, system, objective))
                except ImcbenchError as exc:
                    results.append(exc)
        for i, result in zip(members, results):
            out[i] = result
    return out


def _at_precision(net: Network, input_bits: int, weight_bits: int) -> Network:
    if all(layer.act_bits == input_bits and layer.weight_bits == weight_bits for layer in net):
        return net
    return net.with_precision(input_bits, weight_bits)


def _add_result(out: BatchOutput, task: BatchTask, design: DesignTask, job: Job, label: str, system,
                result: NetworkResult) -> None:
    macro = system.macro
    row = {"point_id": job.point_id, "design_id": design.design_id, "design_index": design.index,
           "network": label, "objective": task.objective, "system": system.name}
    row |= {name: getattr(macro, name) for name in MACRO_ALIAS_FIELDS if name != "adc_bits"}
    row["adc_bits"] = macro.resolved_adc_bits
    row |= {column: design.params.get(name) for name, column in task.param_columns}
    row |= {name: float(getattr(result, name)) for name in TOTAL_METRICS}
    groups = result.energy_by_group_pj()
    row |= {f"energy_{g}_pj": groups[g] for g in ENERGY_GROUPS}
    _append(out.results, row)
    if task.store_layers:
        _extend_layers(out.layers, job.point_id, result.layers)


def _extend_layers(columns: dict[str, list], point_id: str, layers) -> None:
    """Append one result's layers column by column (a sweep stores hundreds of thousands of them)."""
    if not columns:
        columns.update({k: [] for k in ("point_id", "layer_index", "layer", "layer_kind", *LAYER_METRICS,
                                        *LAYER_GROUP_COLUMNS, "macros_used", "mapping")})
    n = len(layers)
    columns["point_id"] += [point_id] * n
    columns["layer_index"] += range(n)
    columns["layer"] += [layer.name for layer in layers]
    columns["layer_kind"] += [layer.kind for layer in layers]
    for metric in LAYER_METRICS:
        columns[metric] += [float(getattr(layer, metric)) for layer in layers]
    groups = [layer.energy_by_group_pj() for layer in layers]
    for group, column in zip(ENERGY_GROUPS, LAYER_GROUP_COLUMNS):
        columns[column] += [g[group] for g in groups]
    columns["macros_used"] += [layer.mapping["macros_used"] for layer in layers]
    columns["mapping"] += [layer.mapping["short"] for layer in layers]


def _skip_all(out: BatchOutput, task: BatchTask, design: DesignTask, category: str, reason: str,
              detail: str) -> None:
    for job in design.jobs:
        _skip(out, job, design, task.networks[job.network_index][0], category, reason, detail)


def _skip(out: BatchOutput, job: Job, design: DesignTask, label: str, category: str, reason: str,
          detail: str) -> None:
    _append(out.skipped, {"point_id": job.point_id, "design_id": design.design_id, "design_index": design.index,
                          "network": label, "category": category, "reason": reason, "detail": detail})


def _append(columns: dict[str, list], row: dict) -> None:
    if not columns:
        columns.update({k: [] for k in row})
    for key, value in row.items():
        columns[key].append(value)
