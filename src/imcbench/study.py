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
on the space. The findings test the paper's claims (:data:`PAPER_CLAIMS`, written as data) with this
run's numbers, in each space; figures within :data:`TIE_RELATIVE` of each other are ties. Pure functions
returning DataFrames; :mod:`imcbench.report.study_report` writes the files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.evaluation import ENERGY_GROUPS, energy_groups
from imcbench.hardware.presets import MAPPING_SPACES, paper_system
from imcbench.hardware.system_peak import system_peak
from imcbench.macro import MacroSpec
from imcbench.mapping.mapper import map_layer
from imcbench.mapping.placement import Homes, buffer_level
from imcbench.study_defaults import BEYOND_PAPER, DEFAULT_MAPPING_SPACES, MLPERF_TINY, PAPER_SIZES  # noqa: F401
from imcbench.workload import load_workload

KINDS = ("aimc", "dimc")
FULL_OPTIONS = tuple(MAPPING_SPACES["full"])  # the SystemOptions fields that tell the mapping spaces apart
# the totals of each network point, by their names in the results vocabulary, in per_network.csv's order
NETWORK_FIGURES = ("macs", "energy_pj", "latency_ns", "area_mm2", "tops", "tops_per_w", "tops_per_mm2")
TIE_RELATIVE = vocab.TIE_RELATIVE  # the studies' one tie rule (imcbench.results.is_tie)
# representative layers: (network, layer name) per layer type
REPRESENTATIVE_LAYERS = {
    "conv": ("resnet8", "stage2.block0.conv_b"),  # 3x3, 32 -> 32 channels, 16x16
    "pointwise": ("mobilenet_v1", "pw7"),  # 1x1, 128 -> 128 channels, 6x6
    "depthwise": ("ds_cnn", "dw1"),  # 3x3 depthwise, 64 channels, 25x5
    "fully_connected": ("deepautoencoder", "fc2"),  # 128 x 128
}
# The paper's peak results (Fig. 7/8; zigzag-imc b0f0319
# paper_data/peak_vs_macro_size.csv): (kind, rows) ->
# (macro TOPS/W, macro TOPS/mm2, system TOPS/W)
PAPER_PEAK = {
    ("aimc", 32): (4.01, 0.889, 2.35), ("dimc", 32): (7.19, 1.381, 3.18),
    ("aimc", 64): (7.14, 1.065, 4.61), ("dimc", 64): (7.39, 1.315, 4.71),
    ("aimc", 128): (12.51, 1.124, 9.93), ("dimc", 128): (7.49, 1.235, 6.48),
    ("aimc", 256): (21.17, 1.019, 18.81), ("dimc", 256): (7.54, 1.156, 7.22),
    ("aimc", 512): (33.80, 0.780, 31.44), ("dimc", 512): (7.57, 1.074, 7.45),
    ("aimc", 1024): (49.77, 0.534, 48.10), ("dimc", 1024): (7.59, 1.010, 7.55),
}


@dataclass(frozen=True)
class StudySettings:
    """What the study sweeps. Defaults are the paper's setup."""

    networks: tuple[str, ...] = MLPERF_TINY
    extended_networks: tuple[str, ...] = BEYOND_PAPER
    sizes: tuple[int, ...] = PAPER_SIZES
    input_bits: int = 8
    weight_bits: int = 8
    aimc_bits_per_cycle: int = 2
    dimc_bits_per_cycle: int = 1
    node_nm: float = 28.0
    vdd: float = 0.9
    objective: str = "energy"
    min_sqnr_db: float | None = None  # accuracy constraint on the worst layer of each network (AIMC)
    layers: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(REPRESENTATIVE_LAYERS))
    mapping_spaces: tuple[str, ...] = DEFAULT_MAPPING_SPACES

    def __post_init__(self) -> None:
        if not self.sizes or any(s < 8 or s % self.weight_bits for s in self.sizes):
            raise ImcbenchError(f"macro sizes {self.sizes} must be multiples of the weight bits "
                                f"({self.weight_bits}) and at least 8")
        if self.aimc_bits_per_cycle > self.input_bits or self.dimc_bits_per_cycle > self.input_bits:
            raise ImcbenchError("bits per cycle cannot exceed the input bits")
        unknown = [m for m in self.mapping_spaces if m not in MAPPING_SPACES]
        if unknown or not self.mapping_spaces or len(set(self.mapping_spaces)) != len(self.mapping_spaces):
            raise ImcbenchError(f"mapping spaces {self.mapping_spaces}: give one or more of "
                                f"{', '.join(MAPPING_SPACES)}, each once")

    def system(self, kind: str, size: int, mapping_space: str = "full"):
        bc = self.aimc_bits_per_cycle if kind == "aimc" else self.dimc_bits_per_cycle
        system = paper_system(kind, size, input_bits=self.input_bits, weight_bits=self.weight_bits,
                              bits_per_cycle=bc, node_nm=self.node_nm, vdd=self.vdd)
        return system.with_options(**MAPPING_SPACES[mapping_space])

    def macro(self, kind: str, size: int) -> MacroSpec:
        return self.system(kind, size).macro

    def to_dict(self) -> dict:
        return asdict(self)


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
def network_points(settings: StudySettings, extended: bool = True) -> list[dict]:
    """The design points of the network experiment: every (mapping space, kind, size), with its input bits
    per cycle; the mapping space as the ``options.*`` settings it stands for."""
    return [{"kind": k, "rows": s, "bits_per_cycle": settings.aimc_bits_per_cycle if k == "aimc"
             else settings.dimc_bits_per_cycle, **{f"options.{o}": v for o, v in MAPPING_SPACES[space].items()}}
            for space, s, k in _space_size_kind(settings)]


def mapping_space_of(options: dict) -> str:
    """The name of the mapping space whose settings ``options`` (name -> value, without 'options.') are."""
    for name, settings in MAPPING_SPACES.items():
        if all(options.get(k) == v for k, v in settings.items()):
            return name
    raise ImcbenchError(f"options {options} match no mapping space ({', '.join(MAPPING_SPACES)})")


def sweep_spec(settings: StudySettings, extended: bool = True):
    """The network experiment as a sweep spec (run by :mod:`imcbench.dse`: resumable, results in DuckDB)."""
    from imcbench.dse.spec import SweepSpec

    networks = list(settings.networks) + (list(settings.extended_networks) if extended else [])
    return SweepSpec(name="imcbench_study", networks=networks, objective=settings.objective,
                     hardware={"preset": "paper"},
                     fixed={"cols": "same_as_rows", "input_bits": settings.input_bits,
                            "weight_bits": settings.weight_bits, "node_nm": settings.node_nm, "vdd": settings.vdd},
                     points=network_points(settings, extended))


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


# --- findings --------------------------------------------------------------------------------
HOLDS, FAILS, TIE, HOLDS_ONLY = "holds", "does not hold", "tie", "holds only for"
NOT_TESTED, MEASURED = "not tested", "measured"


@dataclass(frozen=True)
class PaperClaim:
    """A claim of the paper and how this run's numbers test it."""

    text: str  # the paper's claim
    source: str  # where the paper makes it
    test: str  # the comparison made with this run's numbers


PAPER_CLAIMS = {
    "dimc_density": PaperClaim(
        "DIMC generally has a higher computational density (TOPS/mm2) than AIMC",
        "abstract; Fig. 8, DIMC denser at every size (zigzag-imc paper_data/peak_vs_macro_size.csv)",
        "DIMC's TOPS/mm2 above AIMC's at every macro size: macro peak, and the geometric mean of the paper's "
        "networks"),
    "aimc_large_conv_pw": PaperClaim(
        "AIMC with large macros can be more energy-efficient than DIMC on convolutional and pointwise layers, "
        "which exploit high spatial unrolling", "abstract",
        "best AIMC TOPS/W at >= 256 rows above the best DIMC TOPS/W at any size, on the conv and the pointwise "
        "layer, at macro level (array and periphery) and system level (with weight, input, output traffic)"),
    "dimc_small_depthwise": PaperClaim(
        "DIMC with small macros beats AIMC on depthwise layers, which offer little spatial unrolling inside a "
        "macro", "abstract",
        "best DIMC TOPS/W at <= 128 rows above the best AIMC TOPS/W at any size on the depthwise layer, at macro "
        "and system level"),
    "energy_dominance": PaperClaim(
        "at system level the memory accesses, above all the weights loaded from DRAM, dominate the energy",
        "attributed to the paper's system-level results by earlier versions of this study; not in its abstract",
        "at each network's most energy-efficient macro, the weights are the largest of the energy parts "
        "(macro, weights, inputs, outputs)"),
    "best_macro_size": PaperClaim(
        "no single macro is best for every network: the best IMC design depends on the workload "
        "(workload-hardware co-design)", "the paper's overview: workload-hardware co-design insight",
        "no macro is the most energy-efficient (within the tie margin) on every network"),
}


@dataclass(frozen=True)
class Finding(vocab.ResultMixin):
    """One tested statement: its status and agreement with the paper are computed from ``numbers``."""

    key: str
    statement: str
    status: str  # holds | does not hold | tie | holds only for ... | measured | not tested
    numbers: dict
    paper: str = ""  # the paper's claim; "" when the finding goes beyond the paper
    mapping_space: str = "full"

    @property
    def holds(self) -> bool:
        return self.status == HOLDS

    @property
    def agreement(self) -> str:
        """How this run's status compares with the paper's claim (which predicts 'holds')."""
        if not self.paper:
            return "beyond the paper"
        if self.status == HOLDS:
            return "agrees with the paper"
        if self.status.startswith(HOLDS_ONLY):
            return "agrees with the paper only in part"
        if self.status == TIE:
            return "a tie: neither confirms nor contradicts the paper"
        if self.status == NOT_TESTED:
            return "not tested"
        return "disagrees with the paper"

    @property
    def agrees_with_paper(self) -> bool | None:
        return (self.status == HOLDS) if self.paper and self.status != NOT_TESTED else None

    def to_dict(self) -> dict:
        return asdict(self) | {"holds": self.holds, "agreement": self.agreement,
                               "agrees_with_paper": self.agrees_with_paper}

    def sentence(self) -> str:
        return f"{self.statement}: {self.status} ({self.agreement})."


def outcome(claimed: float, other: float) -> str:
    """'yes' when ``claimed`` beats ``other`` by more than :data:`TIE_RELATIVE` of the larger, 'tie' within
    it, else 'no'."""
    if vocab.is_tie(claimed, other):
        return "tie"
    return "yes" if claimed > other else "no"


def claim_status(cases: dict[str, dict[str, str]], unit: str = "") -> str:
    """The status of a claim tested case by case: ``cases`` maps a scope ('' for none) to {case: outcome}.
    Holds when every case is 'yes', a tie when every case is a tie, does not hold when none is 'yes',
    else 'holds only for' the cases that are 'yes' (never an empty list)."""
    outcomes = [o for scope in cases.values() for o in scope.values()]
    if not outcomes:
        return NOT_TESTED
    if all(o == "yes" for o in outcomes):
        return HOLDS
    if all(o == "tie" for o in outcomes):
        return TIE
    if "yes" not in outcomes:
        return FAILS
    parts = []
    for scope, items in cases.items():
        yes = [item for item, o in items.items() if o == "yes"]
        if yes:
            parts.append(f"{scope} {', '.join(yes)}{unit}".strip())
    return f"{HOLDS_ONLY} {'; '.join(parts)}"


def _claim(key: str) -> str:
    claim = PAPER_CLAIMS[key]
    return f"{claim.text} ({claim.source})"


def findings(peak: pd.DataFrame, layers: pd.DataFrame, networks: pd.DataFrame, settings: StudySettings,
             mapping_space: str | None = None) -> list[Finding]:
    """The paper's claims tested with this run's numbers in one mapping space (default: the settings'
    first), plus what goes beyond the paper (attention, the accuracy constraint)."""
    space = mapping_space or settings.mapping_spaces[0]
    layers, networks = _in_space(layers, space), _in_space(networks, space)
    out = [_density_finding(peak, networks), _large_aimc_finding(layers, settings),
           _small_dimc_finding(layers, settings), _best_size_finding(networks), _dominance_finding(networks)]
    if "attention_energy_pj" in networks and (networks.attention_energy_pj.fillna(0) > 0).any():
        out.append(_attention_finding(networks))
    if settings.min_sqnr_db is not None:
        out.append(_accuracy_finding(networks, settings.min_sqnr_db))
    return [replace(f, mapping_space=space) for f in out]


def findings_by_space(peak, layers, networks, settings: StudySettings) -> dict[str, list[Finding]]:
    """:func:`findings` in every mapping space of the settings."""
    return {space: findings(peak, layers, networks, settings, space) for space in settings.mapping_spaces}


def _in_space(frame: pd.DataFrame, space: str) -> pd.DataFrame:
    if "mapping_space" not in frame:
        return frame
    return frame[frame.mapping_space == space].reset_index(drop=True)


def _pivot(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame.pivot_table(index="rows", columns="kind", values=metric)


def _density_finding(peak: pd.DataFrame, networks: pd.DataFrame) -> Finding:
    macro = _pivot(peak, "tops_per_mm2")
    geo = _pivot(networks[networks.network == "geomean"], "tops_per_mm2")
    cases = {"macro peak at": {f"{s}": outcome(macro.loc[s, "dimc"], macro.loc[s, "aimc"]) for s in macro.index},
             "networks (geomean) at": {f"{s}": outcome(geo.loc[s, "dimc"], geo.loc[s, "aimc"]) for s in geo.index}}
    cases = {scope: items for scope, items in cases.items() if items}
    return Finding("dimc_density", "DIMC has a higher computational density (TOPS/mm2) than AIMC",
                   claim_status(cases, " rows"), {"macro_tops_per_mm2": macro.round(4).to_dict(),
                                         "network_geomean_tops_per_mm2": geo.round(5).to_dict(),
                                         "dimc_denser": cases}, _claim("dimc_density"))


def _large_aimc_finding(layers: pd.DataFrame, settings: StudySettings) -> Finding:
    large = [s for s in settings.sizes if s >= 256] or [max(settings.sizes)]
    numbers, cases = {"large_sizes": large}, {}
    for level, metric in (("macro", "macro_tops_per_w"), ("system", "tops_per_w")):
        for layer_type in ("conv", "pointwise"):
            sub = layers[layers.layer_type == layer_type]
            aimc = float(sub[(sub.kind == "aimc") & sub.rows.isin(large)][metric].max())
            dimc = float(sub[sub.kind == "dimc"][metric].max())
            numbers[f"{level}.{layer_type}"] = {"best_aimc_tops_per_w_large": round(aimc, 3),
                                                "best_dimc_tops_per_w": round(dimc, 3)}
            cases.setdefault(f"{level} level:", {})[layer_type] = outcome(aimc, dimc)
    numbers["aimc_better"] = cases
    return Finding("aimc_large_conv_pw", "AIMC with large macros is more energy-efficient than DIMC on conv and "
                   "pointwise layers", claim_status(cases), numbers, _claim("aimc_large_conv_pw"))


def _small_dimc_finding(layers: pd.DataFrame, settings: StudySettings) -> Finding:
    small = [s for s in settings.sizes if s <= 128] or [min(settings.sizes)]
    sub = layers[layers.layer_type == "depthwise"]
    numbers, cases = {"small_sizes": small}, {"": {}}
    for level, metric in (("macro", "macro_tops_per_w"), ("system", "tops_per_w")):
        dimc = float(sub[(sub.kind == "dimc") & sub.rows.isin(small)][metric].max())
        aimc = float(sub[sub.kind == "aimc"][metric].max())
        numbers[level] = {"best_dimc_tops_per_w_small": round(dimc, 3), "best_aimc_tops_per_w": round(aimc, 3),
                          "by_size": _pivot(sub, metric).round(3).to_dict()}
        cases[""][f"{level} level"] = outcome(dimc, aimc)
    numbers["dimc_better"] = cases[""]
    return Finding("dimc_small_depthwise", "DIMC with small macros beats AIMC on depthwise layers",
                   claim_status(cases), numbers, _claim("dimc_small_depthwise"))


def best_macros(sub: pd.DataFrame, metric: str) -> list[str]:
    """The macros ('aimc 256') within :data:`TIE_RELATIVE` of the best ``metric`` of ``sub``, best first."""
    ranked = sub.sort_values(metric, ascending=False)
    top = float(ranked[metric].iloc[0])
    near = ranked[ranked[metric] >= top * (1 - TIE_RELATIVE)]
    return [f"{r.kind} {int(r.rows)}" for r in near.itertuples()]


def describe_best(macros: list[str]) -> str:
    """'aimc 512', 'aimc 128 = dimc 128 (tie)' (tied macros in kind and size order: the same tie reads the
    same whatever the order of its figures) or '12 macros tie'."""
    if len(macros) == 1:
        return macros[0]
    if len(macros) <= 3:
        ordered = sorted(macros, key=lambda m: (m.split()[0], int(m.split()[1])))
        return " = ".join(ordered) + " (tie)"
    return f"{len(macros)} macros tie (within {TIE_RELATIVE:.0%})"


def _best_size_finding(networks: pd.DataFrame) -> Finding:
    best, near = {}, {}
    for network, sub in networks.groupby("network", sort=False):
        entry = {}
        for kind in KINDS:
            k = sub[sub.kind == kind]
            entry[kind] = {"best_rows_tops_per_w": int(k.loc[k.tops_per_w.idxmax(), "rows"]),
                           "tops_per_w": round(float(k.tops_per_w.max()), 3),
                           "best_rows_tops_per_mm2": int(k.loc[k.tops_per_mm2.idxmax(), "rows"]),
                           "tops_per_mm2": round(float(k.tops_per_mm2.max()), 4)}
        near[network] = best_macros(sub, "tops_per_w")
        entry["most_efficient"] = describe_best(near[network])
        entry["within_tie_of_best"] = near[network]
        best[network] = entry
    real = [n for n in near if n != "geomean"]
    common = set.intersection(*(set(near[n]) for n in real)) if real else set()
    status = NOT_TESTED if len(real) < 2 else FAILS if common else HOLDS
    best["best_on_every_network"] = sorted(common)
    text = "; ".join(f"{n}: {near_text}" for n, near_text in ((n, describe_best(near[n])) for n in near))
    return Finding("best_macro_size", f"No single macro is the most energy-efficient for every network ({text})",
                   status, best, _claim("best_macro_size"))


OPTIONAL_GROUPS = ("interconnect", "leakage")  # zero unless the system models links / cell leakage: not listed then


def _dominance_finding(networks: pd.DataFrame) -> Finding:
    shares, cases = {}, {"": {}}
    for network, sub in networks[networks.network != "geomean"].groupby("network", sort=False):
        best = sub.loc[sub.tops_per_w.idxmax()]
        parts = {g: float(best[f"energy_pj.{g}"]) for g in ENERGY_GROUPS}
        total = sum(parts.values())
        top = max(parts.values())
        largest = [g for g in ENERGY_GROUPS if parts[g] >= top * (1 - TIE_RELATIVE)]
        shares[network] = {"at": f"{best.kind} {int(best.rows)}", "largest": largest,
                           "shares": {g: round(v / total, 3) for g, v in parts.items()
                                      if v or g not in OPTIONAL_GROUPS}}
        cases[""][network] = outcome(parts["weights"], max(v for g, v in parts.items() if g != "weights"))
    largest = "; ".join(f"{n}: {' = '.join(v['largest'])}" for n, v in shares.items())
    return Finding("energy_dominance", "At system level the weights loaded from DRAM are the largest part of the "
                   f"energy (largest part at each network's most efficient macro: {largest})",
                   claim_status(cases), shares | {"weights_largest": cases[""]}, _claim("energy_dominance"))


def _attention_finding(networks: pd.DataFrame) -> Finding:
    sub = networks[networks.attention_energy_pj.fillna(0) > 0]
    numbers = {}
    for _, row in sub.iterrows():
        numbers[f"{row.network} {row.kind} {int(row.rows)}"] = {
            "attention_share_of_energy": round(row.attention_energy_pj / row.energy_pj, 3),
            "weight_writing_share_of_attention": round(row.attention_weight_write_pj / row.attention_energy_pj, 3)}
    share = float(np.median([v["weight_writing_share_of_attention"] for v in numbers.values()]))
    return Finding("attention_weight_writing",
                   f"Writing the attention operands into the array costs a median {share:.0%} of the attention "
                   "layers' energy", MEASURED, numbers)


def _accuracy_finding(networks: pd.DataFrame, min_sqnr_db: float) -> Finding:
    """Most efficient AIMC macro whose worst layer keeps ``min_sqnr_db``, against the best DIMC."""
    numbers, cases = {}, {"": {}}
    for network, sub in networks[networks.network != "geomean"].groupby("network", sort=False):
        ok = sub[(sub.kind == "aimc") & (sub.min_layer_sqnr_db >= min_sqnr_db)]
        dimc = sub[sub.kind == "dimc"]
        best_dimc = dimc.loc[dimc.tops_per_w.idxmax()]
        entry = {"best_dimc": {"rows": int(best_dimc.rows), "tops_per_w": round(float(best_dimc.tops_per_w), 3)}}
        if ok.empty:
            entry["best_aimc"] = None
            cases[""][network] = "no"
        else:
            best = ok.loc[ok.tops_per_w.idxmax()]
            entry["best_aimc"] = {"rows": int(best.rows), "tops_per_w": round(float(best.tops_per_w), 3),
                                  "min_layer_sqnr_db": round(float(best.min_layer_sqnr_db), 1)}
            cases[""][network] = outcome(float(best.tops_per_w), float(best_dimc.tops_per_w))
        numbers[network] = entry
    numbers["aimc_better"] = cases[""]
    return Finding("accuracy_constrained", f"With every layer at or above {min_sqnr_db:g} dB SQNR, AIMC is more "
                   "energy-efficient than DIMC", claim_status(cases), numbers)


# --- the two mapping spaces side by side -------------------------------------------------------------
def finding_differences(found: dict[str, list[Finding]]) -> pd.DataFrame:
    """One row per finding: its status in each mapping space and whether they differ."""
    spaces = list(found)
    keys = list(dict.fromkeys(f.key for fs in found.values() for f in fs))
    status = {(f.mapping_space, f.key): f.status for fs in found.values() for f in fs}
    rows = [{"finding": key, **{space: status.get((space, key), "") for space in spaces}} for key in keys]
    return _with_differs(pd.DataFrame(rows), spaces)


def network_conclusions(networks: pd.DataFrame, spaces: tuple[str, ...]) -> pd.DataFrame:
    """Per network (and the geometric mean), each conclusion in each mapping space and whether they differ:
    the most efficient and the densest macro, AIMC against DIMC per size on TOPS/W and TOPS/mm2, and the
    largest energy part at the most efficient macro."""
    rows = []
    for network in dict.fromkeys(networks.network):
        here = networks[networks.network == network]
        per_space = {s: _conclusions(_in_space(here, s)) for s in spaces}
        for conclusion in per_space[spaces[0]]:
            rows.append({"network": network, "conclusion": conclusion,
                         **{s: per_space[s].get(conclusion, "") for s in spaces}})
    return _with_differs(pd.DataFrame(rows), list(spaces))


def _conclusions(sub: pd.DataFrame) -> dict[str, str]:
    if sub.empty:
        return {}
    out = {"most energy-efficient macro": describe_best(best_macros(sub, "tops_per_w")),
           "densest macro (TOPS/mm2)": describe_best(best_macros(sub, "tops_per_mm2")),
           "AIMC vs DIMC on TOPS/W": _winner_by_size(sub, "tops_per_w"),
           "AIMC vs DIMC on TOPS/mm2": _winner_by_size(sub, "tops_per_mm2")}
    if "energy_pj.weights" in sub and sub["energy_pj.weights"].notna().all():
        best = sub.loc[sub.tops_per_w.idxmax()]
        parts = {g: float(best[f"energy_pj.{g}"]) for g in ENERGY_GROUPS}
        out["largest energy part at the most efficient macro"] = " = ".join(
            g for g in ENERGY_GROUPS if parts[g] >= max(parts.values()) * (1 - TIE_RELATIVE))
    return out


def _winner_by_size(sub: pd.DataFrame, metric: str) -> str:
    """'AIMC better at 128, 256; DIMC better at 32; tie at 64' (ties within TIE_RELATIVE)."""
    table = _pivot(sub, metric)
    groups = {"AIMC better at": [], "DIMC better at": [], "tie at": []}
    for size in table.index:
        result = outcome(table.loc[size, "aimc"], table.loc[size, "dimc"])
        groups[{"yes": "AIMC better at", "no": "DIMC better at", "tie": "tie at"}[result]].append(str(size))
    return "; ".join(f"{label} {', '.join(sizes)}" for label, sizes in groups.items() if sizes)


def _with_differs(frame: pd.DataFrame, spaces: list[str]) -> pd.DataFrame:
    frame["differs"] = frame[spaces].nunique(axis=1) > 1 if len(spaces) > 1 else False
    return frame
