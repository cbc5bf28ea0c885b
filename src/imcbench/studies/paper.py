"""The AIMC-vs-DIMC study of the IMC paper, reproduced and extended (the paper's Fig. 7-12).

Sun, Houshmand, Verhelst, "Analog or Digital In-memory Computing? Benchmarking through Quantitative
Modeling", ICCAD 2023. Three experiments on square macros of 32 to 1024 rows (AIMC: 2 input bits per
cycle and the paper's ADC rule; DIMC: bit-serial), 8-bit activations and weights, the paper's system
(registers, 256 KB L2, weights from DRAM at 3.7 pJ/bit; :func:`imcbench.hardware.presets.paper_system`):

1. peak figures of the macro and of the system (registers + L2) against macro size;
2. one representative conv, pointwise, depthwise and fully connected layer of the MLPerf Tiny networks,
   with its activations in the L2 as inside a network;
3. whole networks: the four MLPerf Tiny networks and their geometric mean, then MobileNetV2, ResNet-18
   and BERT-tiny (whose attention matmuls write their "weights" into the array for every input).

Experiments 2 and 3 run in each mapping space of ``StudySettings.mapping_spaces``: imcbench's full space
and ZigZag's (:data:`imcbench.hardware.presets.MAPPING_SPACES`), so a reader sees which conclusions depend
on the space. The findings (:mod:`imcbench.studies.paper_findings`) test the paper's
claims with this run's numbers, in each space, and :mod:`imcbench.studies.mapping_spaces` shows which
of them change with the space. :func:`paper_study` computes all of it into a :class:`StudyResult`;
:func:`imcbench.report.study_report.run_study` writes its tables, figures and HTML.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from imcbench import results as vocab
from imcbench.dse.runner import Progress
from imcbench.errors import ImcbenchError
from imcbench.evaluation import energy_groups
from imcbench.hardware.presets import MAPPING_SPACES
from imcbench.hardware.system_peak import system_peak
from imcbench.mapping.mapper import map_layer
from imcbench.mapping.placement import Homes, buffer_level
from imcbench.studies.mapping_spaces import finding_differences, network_conclusions
from imcbench.studies.paper_findings import Finding, findings_by_space
from imcbench.studies.paper_settings import FULL_OPTIONS, KINDS, StudySettings, mapping_space_of
from imcbench.workload import load_workload

# the totals of each network point, by their names in the results vocabulary, in per_network.csv's order
NETWORK_FIGURES = ("macs", "energy_pj", "latency_ns", "area_mm2", "tops", "tops_per_w", "tops_per_mm2")
# The paper's peak results (Fig. 7/8; zigzag-imc b0f0319 paper_data/peak_vs_macro_size.csv):
# (kind, rows) -> (macro TOPS/W, macro TOPS/mm2, system TOPS/W)
PAPER_PEAK = {
    ("aimc", 32): (4.01, 0.889, 2.35), ("dimc", 32): (7.19, 1.381, 3.18),
    ("aimc", 64): (7.14, 1.065, 4.61), ("dimc", 64): (7.39, 1.315, 4.71),
    ("aimc", 128): (12.51, 1.124, 9.93), ("dimc", 128): (7.49, 1.235, 6.48),
    ("aimc", 256): (21.17, 1.019, 18.81), ("dimc", 256): (7.54, 1.156, 7.22),
    ("aimc", 512): (33.80, 0.780, 31.44), ("dimc", 512): (7.57, 1.074, 7.45),
    ("aimc", 1024): (49.77, 0.534, 48.10), ("dimc", 1024): (7.59, 1.010, 7.55),
}


# --- experiment 1: peak ------------------------------------------------------------------------
def peak_table(settings: StudySettings) -> pd.DataFrame:
    """Macro and system peak figures with energy (pJ/cycle) and area (mm2) breakdowns, one row per macro."""
    rows = []
    for size in settings.sizes:
        for kind in KINDS:
            spec = settings.macro(kind, size)
            macro = spec.evaluate()
            sys_ = system_peak(spec.params(), out_bits=settings.input_bits)
            row = {"kind": kind, "rows": size, "cols": size, "adc_bits": spec.resolved_adc_bits,
                   "bits_per_cycle": spec.bits_per_cycle, "tclk_ns": macro.tclk_ns, "tops": macro.tops,
                   "tops_per_w": macro.tops_per_w, "tops_per_mm2": macro.tops_per_mm2,
                   "area_mm2": macro.area_mm2, "energy_per_mac_fj": macro.energy_per_mac_fj,
                   "macs_per_cycle": macro.macs_per_cycle,
                   "system_tops_per_w": float(sys_.tops_per_w), "system_tops_per_mm2": float(sys_.tops_per_mm2),
                   "system_area_mm2": float(sys_.total_area_mm2)}
            row.update({f"energy_pj.{k}": v for k, v in macro.energy_per_cycle_pj.items()})
            row.update({f"energy_pj.{k}": float(v) for k, v in sys_.energy_pj.items()})
            row.update({f"area_mm2.{k}": v for k, v in macro.area_mm2_by_component.items()})
            row.update({f"area_mm2.{k}": float(v) for k, v in sys_.area_mm2.items()})
            rows.append(row)
    return pd.DataFrame(rows)


# --- experiment 2: layer types -------------------------------------------------------------------
def layer_type_table(settings: StudySettings) -> pd.DataFrame:
    """Each representative layer on each macro in each mapping space, its activations in the L2 (as
    inside a network)."""
    rows = []
    for layer_type, (network, name) in settings.layers.items():
        layer = _layer(network, name, settings)
        for space, size, kind in _space_size_kind(settings):
            system = settings.system(kind, size, space)
            buffer = buffer_level(system)
            homes = Homes(system.levels("I").index(buffer), system.levels("O").index(buffer))
            mapped = map_layer(layer, system, settings.objective, homes)
            groups = energy_groups(mapped.energy_breakdown_pj)
            tclk = system.macro.evaluate().tclk_ns
            latency_ns = mapped.cycles * tclk
            tops = vocab.tops(vocab.ops(layer.macs), latency_ns)
            rows.append({"mapping_space": space, "layer_type": layer_type, "network": network,
                         "layer": name, "kind": kind,
                         "rows": size, "cols": size, "macs": layer.macs, "energy_pj": mapped.energy_pj,
                         "latency_ns": latency_ns,
                         "tops_per_w": vocab.tops_per_w(vocab.ops(layer.macs), mapped.energy_pj),
                         "tops_per_mm2": vocab.tops_per_mm2(tops, system.area_mm2),
                         "macro_tops_per_w": vocab.tops_per_w(vocab.ops(layer.macs), groups["macro"]),
                         "spatial_utilization": mapped.spatial_utilization, "mapping": mapped.mapping.short(),
                         **{f"fj_per_mac.{g}": v / layer.macs * 1e3 for g, v in groups.items()}})
    return pd.DataFrame(rows)


def _space_size_kind(settings: StudySettings):
    return [(space, size, kind) for space in settings.mapping_spaces for size in settings.sizes for kind in KINDS]


def _layer(network: str, name: str, settings: StudySettings):
    net = load_workload(network).with_precision(settings.input_bits, settings.weight_bits)
    try:
        return net[name]
    except KeyError:
        raise ImcbenchError(f"representative layer {name!r} is not in {network!r}") from None


# --- experiment 3: networks ------------------------------------------------------------------
def study_networks(settings: StudySettings, extended: bool = True) -> list[str]:
    """The networks of the network experiment: the paper's, then (``extended``) those beyond it."""
    return list(settings.networks) + (list(settings.extended_networks) if extended else [])


def network_points(settings: StudySettings) -> list[dict]:
    """The design points of the network experiment: every (mapping space, kind, size), with its input bits
    per cycle; the mapping space as the ``options.*`` settings it stands for."""
    return [{"kind": k, "rows": s, "bits_per_cycle": settings.aimc_bits_per_cycle if k == "aimc"
             else settings.dimc_bits_per_cycle, **{f"options.{o}": v for o, v in MAPPING_SPACES[space].items()}}
            for space, s, k in _space_size_kind(settings)]


def sweep_spec(settings: StudySettings, extended: bool = True):
    """The network experiment as a sweep spec (run by :mod:`imcbench.dse`: resumable, results in DuckDB)."""
    from imcbench.dse.spec import SweepSpec

    return SweepSpec(name="imcbench_study", networks=study_networks(settings, extended),
                     objective=settings.objective, hardware={"preset": "paper"},
                     fixed={"cols": "same_as_rows", "input_bits": settings.input_bits,
                            "weight_bits": settings.weight_bits, "node_nm": settings.node_nm, "vdd": settings.vdd},
                     points=network_points(settings))


def network_table(results: list[dict], settings: StudySettings) -> pd.DataFrame:
    """Per-network rows (with the worst layer's SQNR) plus the geometric mean of the paper's four
    networks per (mapping space, kind, size)."""
    frame = pd.DataFrame(results)
    if "mapping_space" not in frame:
        frame["mapping_space"] = settings.mapping_spaces[0]
    order = {name: i for i, name in enumerate((*settings.networks, *settings.extended_networks))}
    spaces = {name: i for i, name in enumerate(settings.mapping_spaces)}
    frame = frame.sort_values(["mapping_space", "network", "rows", "kind"], ignore_index=True,
                              key=lambda c: c.map(order) if c.name == "network" else
                              c.map(spaces) if c.name == "mapping_space" else c)  # settings' order, size, kind
    frame["min_layer_sqnr_db"] = worst_layer_sqnr(frame, settings)
    tiny = frame[frame.network.isin(settings.networks)]
    geo = (tiny.groupby(["mapping_space", "kind", "rows", "cols"], as_index=False, sort=False)
           .agg(tops_per_w=("tops_per_w", _geomean), tops_per_mm2=("tops_per_mm2", _geomean)))
    geo["network"] = "geomean"
    return pd.concat([frame, geo], ignore_index=True)


def worst_layer_sqnr(frame: pd.DataFrame, settings: StudySettings) -> np.ndarray:
    """SQNR (dB) of each point's worst layer under the analog noise and quantization model (DIMC: exact
    integer arithmetic, limited by the operand precision only). See :mod:`imcbench.accuracy`."""
    from imcbench.accuracy import network_sqnr

    out = np.full(len(frame), np.nan)
    for network, index in frame.groupby("network", sort=False).groups.items():
        sub = frame.loc[index]
        specs = [settings.macro(k, r) for k, r in zip(sub.kind, sub.rows)]
        design = pd.DataFrame({"kind": sub.kind.to_numpy(), "rows": sub.rows.to_numpy(),
                               "adc_bits": [s.resolved_adc_bits if s.kind == "aimc" else np.nan for s in specs],
                               "bits_per_cycle": [s.bits_per_cycle for s in specs],
                               "input_bits": settings.input_bits, "weight_bits": settings.weight_bits})
        layers = load_workload(network).with_precision(settings.input_bits, settings.weight_bits).layers
        out[frame.index.get_indexer(index)] = network_sqnr(design, layers)["min_sqnr_db"].to_numpy()
    return out


def _geomean(values) -> float:
    return float(np.exp(np.mean(np.log(np.asarray(values, dtype=float)))))


# --- the whole study ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StudyResult(vocab.ResultMixin):
    """Everything one run of the study found: its tables, findings and what it left out.

    ``to_frame()`` is the network table (per_network.csv); ``to_dict()`` holds every table as records."""

    settings: StudySettings
    peak: pd.DataFrame  # experiment 1, one row per macro
    layers: pd.DataFrame  # experiment 2, one row per (mapping space, layer type, macro)
    networks: pd.DataFrame  # experiment 3, one row per (mapping space, network or geomean, macro)
    findings: list[Finding]  # every mapping space's findings (Finding.mapping_space says which)
    finding_differences: pd.DataFrame  # the status of each finding per mapping space
    network_conclusions: pd.DataFrame  # each network's conclusions per mapping space
    skipped: dict[str, str] = field(default_factory=dict)  # what was left out -> why
    wall_s: float = 0.0  # s, of the whole run (with the report's figures when it made them)
    out_dir: Path | None = None  # the folder the report wrote, None before

    def to_dict(self) -> dict:
        tables = ("peak", "layers", "networks", "finding_differences", "network_conclusions")
        return vocab.plain({"settings": self.settings.to_dict(), "wall_s": self.wall_s, "out_dir": self.out_dir,
                            "findings": [f.to_dict() for f in self.findings], "skipped": self.skipped,
                            **{name: getattr(self, name).to_dict("records") for name in tables}})

    def to_frame(self) -> pd.DataFrame:
        return self.networks


def paper_study(settings: StudySettings, database: Path | str, *, extended: bool = True, force: bool = False,
                workers: int | None = None, stage: Callable[[str], None] = lambda message: None) -> StudyResult:
    """Run the three experiments (the network points into the sweep ``database``, resumable) and test the
    findings in every mapping space. ``stage`` receives one line per stage."""
    start = time.perf_counter()
    stage("peak figures of the macros")
    peak = peak_table(settings)
    stage(f"representative layers in {len(settings.mapping_spaces)} mapping space(s)")
    layers = layer_type_table(settings)
    networks_run = study_networks(settings, extended)
    stage(f"networks: {len(networks_run)} networks x {2 * len(settings.sizes)} macros x "
          f"{len(settings.mapping_spaces)} mapping space(s)")
    points = run_network_points(settings, extended, Path(database), force=force, workers=workers, stage=stage)
    expected = len(networks_run) * len(network_points(settings))
    skipped = ({"network points": f"{expected - len(points)} of {expected} not evaluated (impossible design or "
                                  f"evaluation error): see the skipped table of {database}"}
               if len(points) < expected else {})
    networks = network_table(points, settings)
    stage(f"findings and conclusions in {len(settings.mapping_spaces)} mapping space(s)")
    by_space = findings_by_space(peak, layers, networks, settings)
    return StudyResult(settings, peak, layers, networks, [f for fs in by_space.values() for f in fs],
                       finding_differences(by_space), network_conclusions(networks, settings.mapping_spaces),
                       skipped, time.perf_counter() - start)


def run_network_points(settings: StudySettings, extended: bool, database: Path, *, force: bool = False,
                       workers: int | None = None, stage: Callable[[str], None] | None = None) -> list[dict]:
    """Evaluate every (network, kind, size) point through the sweep engine into ``database`` (DuckDB):
    an interrupted study resumes where it stopped. Returns one dict per point with the totals, the
    energy groups and the attention layers' energy and weight writing. ``stage`` receives a progress line
    at most every :data:`NETWORK_PROGRESS_INTERVAL_S`."""
    from imcbench.dse.parameters import column_name
    from imcbench.dse.runner import RunOptions, run_sweep
    from imcbench.dse.spec import resolve_spec
    from imcbench.dse.store import GROUP_COLUMNS, read_totals

    loaded = resolve_spec(sweep_spec(settings, extended), source="imcbench study")
    run_sweep(loaded, database, RunOptions(workers=workers, force=force),
              _NetworkProgress(stage) if stage is not None else None)
    option_columns = [column_name(f"options.{o}") for o in FULL_OPTIONS]
    frame = read_totals(database, ["network", "kind", "rows", *option_columns, *NETWORK_FIGURES,
                                   *GROUP_COLUMNS.values()],
                        layer_kind="attention", layer_sums=["energy_pj", GROUP_COLUMNS["weights"]],
                        order_by=["network", "rows", "kind"])
    frame = frame.rename(columns={f"attention_{GROUP_COLUMNS['weights']}": "attention_weight_write_pj"})
    frame["cols"] = frame["rows"]
    frame["mapping_space"] = [mapping_space_of(dict(zip(FULL_OPTIONS, values)))
                              for values in frame[option_columns].itertuples(index=False)]
    frame = frame.drop(columns=option_columns)
    frame = frame.rename(columns={column: f"energy_pj.{g}" for g, column in GROUP_COLUMNS.items()})
    return frame.to_dict("records")


NETWORK_PROGRESS_INTERVAL_S = 5.0  # s, between two progress lines of the network experiment


class _NetworkProgress(Progress):
    """Stage lines while the network points run: evaluations done of the total, now and then."""

    def __init__(self, stage: Callable[[str], None]):
        super().__init__()
        self.stage, self.last = stage, time.perf_counter()

    def show(self, output) -> None:
        now = time.perf_counter()
        if output is not None and (now - self.last >= NETWORK_PROGRESS_INTERVAL_S or self.done == self.total):
            self.last = now
            self.stage(f"networks: {self.done} of {self.total} evaluations")
