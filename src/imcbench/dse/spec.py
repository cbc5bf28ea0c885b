"""The sweep specification (YAML, validated with pydantic).

Example (``examples/paper_sweep.yaml``)::

    name: paper_sweep
    networks: [resnet8, ds_cnn, mobilenet_v1, deepautoencoder]   # built-in names or .onnx/.yaml paths
    objective: energy                  # what the mapper minimises per layer: energy | latency | edp
    hardware: {preset: paper}          # or {file: my_hw.yaml} (relative to this file)
    fixed: {cols: same_as_rows}        # applied to every point
    grid:                              # cartesian product; a list of such mappings is their union
      kind: [aimc, dimc]
      rows: [32, 64, 128, 256, 512, 1024]
    points:                            # optional explicit points, added to the grid
      - {kind: aimc, rows: 256, adc_bits: 4}
    constraints: {max_area_mm2: 5, max_latency_ns: 2.0e6}

A ``search:`` block replaces ``grid``/``points`` by NSGA-II over ranges (see :class:`SearchSpec`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from imcbench.dse.constraints import check_constraint_names
from imcbench.dse.parameters import HardwareBase, canonical_name, coerce
from imcbench.errors import ImcbenchError
from imcbench.hardware.config import SystemConfig
from imcbench.yamlio import StrictModel, read_yaml, validate

MAX_DESIGN_POINTS = 1_000_000  # expansion holds every point in memory (about 1 KB each)
# parameter values pass .inf/.nan on to the hardware configuration, which refuses them per design point
Value = Union[StrictBool, StrictInt, Annotated[StrictFloat, Field(allow_inf_nan=True)], StrictStr, None]
Values = Union[Value, list[Value]]
METRIC_DIRECTIONS = ("max", "min")


class HardwareSpec(StrictModel):
    """The base hardware the parameters modify: the paper preset or an imcbench hardware file."""

    preset: Optional[Literal["paper"]] = None
    file: Optional[str] = None

    @model_validator(mode="after")
    def _one_source(self) -> "HardwareSpec":
        if (self.preset is None) == (self.file is None):
            raise ValueError("give exactly one of preset: paper or file: PATH.yaml")
        return self


class RangeSpec(StrictModel):
    """A search range: integers with ``step`` (default 1 for integer parameters), powers of two with
    ``log2: true``, otherwise continuous."""

    min: float
    max: float
    step: Optional[float] = Field(None, gt=0)
    log2: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> "RangeSpec":
        if self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        if self.log2 and self.min <= 0:
            raise ValueError("log2 ranges need min > 0")
        return self


class SearchSpec(StrictModel):
    """NSGA-II (pymoo) over ``space``; each design is scored by its metrics aggregated over the networks."""

    space: dict[str, Union[RangeSpec, list[Value]]] = Field(min_length=1)
    objectives: list[str] = Field(default_factory=lambda: ["tops_per_w:max", "tops_per_mm2:max"], min_length=1)
    aggregate: Literal["geomean", "mean", "max", "min"] = "geomean"
    population: int = Field(24, ge=4, le=100_000)
    generations: int = Field(10, ge=1, le=100_000)
    seed: int = 1


class SweepSpec(StrictModel):
    name: str = "sweep"
    description: str = ""
    networks: list[str] = Field(min_length=1)
    objective: Literal["energy", "latency", "edp"] = "energy"
    hardware: HardwareSpec = HardwareSpec(preset="paper")
    fixed: dict[str, Value] = Field(default_factory=dict)
    grid: Union[dict[str, Values], list[dict[str, Values]], None] = None
    points: Optional[list[dict[str, Value]]] = None
    search: Optional[SearchSpec] = None
    # a non-finite limit passes here to get check_constraint_names' own message (remove it for no limit)
    constraints: dict[str, Annotated[float, Field(allow_inf_nan=True)]] = Field(default_factory=dict)
    store_layers: bool = True
    batch_size: Optional[int] = Field(None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _one_mode(self) -> "SweepSpec":
        if self.search is not None and (self.grid is not None or self.points is not None):
            raise ValueError("search: replaces grid:/points:; give one or the other (use fixed: for constants)")
        if self.search is None and self.grid is None and self.points is None:
            raise ValueError("give grid:, points: or search: (what to sweep)")
        return self

    @property
    def mode(self) -> str:
        return "search" if self.search is not None else "grid"

    def grids(self) -> list[dict[str, list]]:
        """The grid as a list of mappings name -> list of values (scalars become one-value lists)."""
        if self.grid is None:
            return []
        grids = self.grid if isinstance(self.grid, list) else [self.grid]
        return [{k: v if isinstance(v, list) else [v] for k, v in g.items()} for g in grids]


@dataclass(frozen=True)
class NetworkRef:
    """A network of the sweep: its label (the ``network`` column), what workers load, its identity."""

    label: str
    source: str  # a built-in name or an absolute path
    key: str  # the name, or the file name + content digest


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with its base hardware and networks resolved (paths made absolute)."""

    spec: SweepSpec
    hardware: HardwareBase
    networks: tuple[NetworkRef, ...]
    source: str

    @property
    def spec_hash(self) -> str:
        """Identity of what the sweep computes: the spec without its name, description and batching,
        with the base hardware and networks by content."""
        data = self.spec.model_dump(exclude={"name", "description", "batch_size", "hardware", "networks"})
        data |= {"hardware": self.hardware.key, "networks": [n.key for n in self.networks]}
        return _digest(json.dumps(data, sort_keys=True, default=str))


def load_spec(path: str | Path) -> LoadedSpec:
    """Read and check a sweep spec; every problem is one :class:`ImcbenchError` naming the file."""
    path = Path(path)
    data = read_yaml(path, "sweep spec")
    if not isinstance(data, dict):
        raise ImcbenchError(f"{path}: a sweep spec must be a YAML mapping with networks: and grid: (or search:)")
    spec = validate(SweepSpec, data, str(path))
    try:
        return resolve_spec(spec, base_dir=path.parent, source=str(path))
    except ImcbenchError as exc:
        raise ImcbenchError(f"{path}: {exc}") from None


def resolve_spec(spec: SweepSpec, base_dir: Path = Path("."), source: str = "<spec>") -> LoadedSpec:
    """Check parameter names and values, read the base hardware and find the networks."""
    spec = spec.model_copy(update={
        "fixed": _canonical_values(spec.fixed),
        "grid": None if spec.grid is None else [_canonical_values(g) for g in spec.grids()],
        "points": None if spec.points is None else [_canonical_values(p) for p in spec.points],
    })
    if spec.search is not None:
        space = {canonical_name(k): _canonical_space(canonical_name(k), v) for k, v in spec.search.space.items()}
        for objective in spec.search.objectives:
            parse_metric(objective)
        spec = spec.model_copy(update={"search": spec.search.model_copy(update={"space": space})})
    check_constraint_names(spec.constraints)
    _check_size(spec)
    hardware = _hardware_base(spec.hardware, base_dir)
    networks = tuple(_network_ref(entry, base_dir) for entry in spec.networks)
    labels = [n.label for n in networks]
    if len(set(labels)) != len(labels):
        raise ImcbenchError(f"networks: {labels} has duplicates; list each network once")
    return LoadedSpec(spec, hardware, networks, source)


def parse_metric(text: str, default_direction: str | None = None) -> tuple[str, str]:
    """``'tops_per_w:max'`` -> ``('tops_per_w', 'max')``; without a direction, the metric's natural one."""
    from imcbench.dse.pareto import natural_direction

    name, _, direction = text.partition(":")
    name = name.strip()
    direction = direction.strip() or default_direction or natural_direction(name)
    if direction not in METRIC_DIRECTIONS or not name:
        raise ImcbenchError(f"metric {text!r}: write NAME:max or NAME:min (e.g. tops_per_w:max)")
    return name, direction


def _check_size(spec: SweepSpec) -> None:
    """Refuse a grid too large to expand, from the lengths of its lists alone."""
    count = len(spec.points or [])
    for grid in spec.grids():
        count += math.prod(len(values) for values in grid.values())
    if count > MAX_DESIGN_POINTS:
        raise ImcbenchError(f"the grid has {count:,} combinations, above the limit of {MAX_DESIGN_POINTS:,} design "
                            "points per spec: split it into several specs, or explore it with search: (NSGA-II)")


def _canonical_values(mapping: dict) -> dict:
    out = {}
    for key, value in mapping.items():
        name = canonical_name(key)
        if name in out:
            raise ImcbenchError(f"parameter {name} is given twice (as {key!r} and another spelling)")
        out[name] = [coerce(name, v) for v in value] if isinstance(value, list) else coerce(name, value)
        if isinstance(value, list) and not value:
            raise ImcbenchError(f"parameter {name}: the list of values is empty")
    return out


def _canonical_space(name: str, value):
    if isinstance(value, list):
        if not value:
            raise ImcbenchError(f"search.space.{name}: the list of choices is empty")
        return [coerce(name, v) for v in value]
    return value


def _hardware_base(hardware: HardwareSpec, base_dir: Path) -> HardwareBase:
    if hardware.preset is not None:
        return HardwareBase("preset")
    path = Path(hardware.file)
    path = path if path.is_absolute() else base_dir / path
    data = read_yaml(path, "hardware file")
    if not isinstance(data, dict) or "operational_array" in data:
        raise ImcbenchError(f"hardware file {path}: a sweep needs an imcbench hardware YAML (macro:, memories:); "
                            "ZigZag files cannot be swept")
    config = validate(SystemConfig, data, str(path))
    dumped = config.model_dump()
    if "interconnect" not in data:  # ideal links: the base (and every point id) stays as before links existed
        dumped.pop("interconnect")
    return HardwareBase("file", json.dumps(dumped, sort_keys=True))


def _network_ref(entry: str, base_dir: Path) -> NetworkRef:
    from imcbench.workload import load_workload
    from imcbench.workload import zoo

    candidate = Path(entry) if Path(entry).is_absolute() else base_dir / entry
    if not zoo.is_builtin(entry) and candidate.is_file():
        digest = hashlib.blake2b(candidate.read_bytes(), digest_size=10).hexdigest()
        ref = NetworkRef(candidate.stem, str(candidate.resolve()), f"{candidate.name}#{digest}")
    else:
        ref = NetworkRef(entry, entry, entry)
    load_workload(ref.source)  # a typo or an unreadable file stops the sweep before it starts
    return ref


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
