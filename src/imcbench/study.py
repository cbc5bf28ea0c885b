"""The AIMC-vs-DIMC study of the IMC paper, reproduced and extended (model_reference part 2).

Sun, Houshmand, Verhelst, "Analog or Digital In-memory Computing? Benchmarking through Quantitative
Modeling", ICCAD 2023. Three experiments on square macros of 32 to 1024 rows (AIMC: 2 input bits per
cycle and the paper's ADC rule; DIMC: bit-serial), 8-bit activations and weights, the paper's system
(registers, 256 KB L2, weights from DRAM at 3.7 pJ/bit; :func:`imcbench.hardware.presets.paper_system`):

1. peak figures of the macro and of the system (registers + L2) against macro size;
2. one representative conv, pointwise, depthwise and fully connected layer of the MLPerf Tiny networks,
   with its activations in the L2 as inside a network;
3. whole networks: the four MLPerf Tiny networks and their geometric mean, then MobileNetV2, ResNet-18
   and BERT-tiny (whose attention matmuls write their "weights" into the array for every input).

The findings check the paper's three claims with these numbers. Pure functions returning DataFrames;
:mod:`imcbench.report.study_report` writes the files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from imcbench.errors import ImcbenchError
from imcbench.evaluation import ENERGY_GROUPS, energy_groups
from imcbench.hardware.presets import paper_system
from imcbench.macro import MacroSpec, system_peak
from imcbench.mapping.mapper import map_layer
from imcbench.mapping.placement import Homes, buffer_level
from imcbench.workload import load_workload

PAPER_SIZES = (32, 64, 128, 256, 512, 1024)
MLPERF_TINY = ("resnet8", "ds_cnn", "mobilenet_v1", "deepautoencoder")
BEYOND_PAPER = ("mobilenet_v2", "resnet18", "bert_tiny")
KINDS = ("aimc", "dimc")
# representative layers: (network, layer name) per layer type
REPRESENTATIVE_LAYERS = {
    "conv": ("resnet8", "stage2.block0.conv_b"),  # 3x3, 32 -> 32 channels, 16x16
    "pointwise": ("mobilenet_v1", "pw7"),  # 1x1, 128 -> 128 channels, 6x6
    "depthwise": ("ds_cnn", "dw1"),  # 3x3 depthwise, 64 channels, 25x5
    "fully_connected": ("deepautoencoder", "fc2"),  # 128 x 128
}
# The paper's peak results (Fig. 7/8; model_reference part 2, table 4.2): (kind, rows) ->
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

    def __post_init__(self) -> None:
        if not self.sizes or any(s < 8 or s % self.weight_bits for s in self.sizes):
            raise ImcbenchError(f"macro sizes {self.sizes} must be multiples of the weight bits "
                                f"({self.weight_bits}) and at least 8")
        if self.aimc_bits_per_cycle > self.input_bits or self.dimc_bits_per_cycle > self.input_bits:
            raise ImcbenchError("bits per cycle cannot exceed the input bits")

    def system(self, kind: str, size: int):
        bc = self.aimc_bits_per_cycle if kind == "aimc" else self.dimc_bits_per_cycle
        return paper_system(kind, size, input_bits=self.input_bits, weight_bits=self.weight_bits,
                            bits_per_cycle=bc, node_nm=self.node_nm, vdd=self.vdd)

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
    """Each representative layer on each macro, its activations in the L2 (as inside a network)."""
    rows = []
    for layer_type, (network, name) in settings.layers.items():
        layer = _layer(network, name, settings)
        for size in settings.sizes:
            for kind in KINDS:
                system = settings.system(kind, size)
                buffer = buffer_level(system)
                homes = Homes(system.levels("I").index(buffer), system.levels("O").index(buffer))
                mapped = map_layer(layer, system, settings.objective, homes)
                groups = energy_groups(mapped.energy_breakdown_pj)
                tclk = system.macro.evaluate().tclk_ns
                latency_ns = mapped.cycles * tclk
                tops = 2 * layer.macs / latency_ns / 1e3
                rows.append({"layer_type": layer_type, "network": network, "layer": name, "kind": kind,
                             "rows": size, "cols": size, "macs": layer.macs, "energy_pj": mapped.energy_pj,
                             "latency_ns": latency_ns, "tops_per_w": 2 * layer.macs / mapped.energy_pj,
                             "tops_per_mm2": tops / system.area_mm2,
                             "macro_tops_per_w": 2 * layer.macs / groups["macro"],
                             "spatial_utilization": mapped.spatial_utilization, "mapping": mapped.mapping.short(),
                             **{f"fj_per_mac.{g}": v / layer.macs * 1e3 for g, v in groups.items()}})
    return pd.DataFrame(rows)


def _layer(network: str, name: str, settings: StudySettings):
    net = load_workload(network).with_precision(settings.input_bits, settings.weight_bits)
    try:
        return net[name]
    except KeyError:
        raise ImcbenchError(f"representative layer {name!r} is not in {network!r}") from None


# --- experiment 3: networks ------------------------------------------------------------------
def network_points(settings: StudySettings, extended: bool = True) -> list[dict]:
    """The design points of the network experiment: every (kind, size), with its input bits per cycle."""
    return [{"kind": k, "rows": s, "bits_per_cycle": settings.aimc_bits_per_cycle if k == "aimc"
             else settings.dimc_bits_per_cycle} for s in settings.sizes for k in KINDS]


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
    networks per (kind, size)."""
    frame = pd.DataFrame(results)
    order = {name: i for i, name in enumerate((*settings.networks, *settings.extended_networks))}
    frame = frame.sort_values(["network", "rows", "kind"], key=lambda c: c.map(order) if c.name == "network" else c,
                              ignore_index=True)  # the settings' network order, then size and kind
    frame["min_layer_sqnr_db"] = worst_layer_sqnr(frame, settings)
    tiny = frame[frame.network.isin(settings.networks)]
    geo = (tiny.groupby(["kind", "rows", "cols"], as_index=False)
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
@dataclass(frozen=True)
class Finding:
    key: str
    statement: str
    holds: bool
    numbers: dict
    paper: str
    agrees_with_paper: bool

    def to_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        verdict = "holds" if self.holds else "does NOT hold"
        agree = "" if self.agrees_with_paper else " (this disagrees with the paper)"
        return f"{self.statement}: {verdict}{agree}."


def findings(peak: pd.DataFrame, layers: pd.DataFrame, networks: pd.DataFrame,
             settings: StudySettings) -> list[Finding]:
    """The paper's three findings checked with our numbers, plus best sizes and energy dominance."""
    out = [_density_finding(peak, networks), _large_aimc_finding(layers, settings),
           _small_dimc_finding(layers, settings)]
    out += _best_size_findings(networks, settings)
    out.append(_dominance_finding(networks, settings))
    if "attention_energy_pj" in networks and (networks.attention_energy_pj.fillna(0) > 0).any():
        out.append(_attention_finding(networks))
    if settings.min_sqnr_db is not None:
        out.append(_accuracy_finding(networks, settings.min_sqnr_db))
    return out


def _accuracy_finding(networks: pd.DataFrame, min_sqnr_db: float) -> Finding:
    """Most efficient AIMC macro whose worst layer keeps ``min_sqnr_db``, next to the best DIMC."""
    numbers, wins = {}, 0
    for network, sub in networks[networks.network != "geomean"].groupby("network", sort=False):
        ok = sub[(sub.kind == "aimc") & (sub.min_layer_sqnr_db >= min_sqnr_db)]
        dimc = sub[sub.kind == "dimc"]
        best_dimc = dimc.loc[dimc.tops_per_w.idxmax()]
        entry = {"best_dimc": {"rows": int(best_dimc.rows), "tops_per_w": round(float(best_dimc.tops_per_w), 3)}}
        if ok.empty:
            entry["best_aimc"] = None
        else:
            best = ok.loc[ok.tops_per_w.idxmax()]
            entry["best_aimc"] = {"rows": int(best.rows), "tops_per_w": round(float(best.tops_per_w), 3),
                                  "min_layer_sqnr_db": round(float(best.min_layer_sqnr_db), 1)}
            wins += best.tops_per_w > best_dimc.tops_per_w
        numbers[network] = entry
    return Finding("accuracy_constrained",
                   f"With every layer at or above {min_sqnr_db:g} dB SQNR, AIMC stays the more efficient choice "
                   f"for {wins} of {len(numbers)} networks", True, numbers,
                   "beyond the paper (it has no accuracy model)", True)


def _pivot(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame.pivot_table(index="rows", columns="kind", values=metric)


def _density_finding(peak: pd.DataFrame, networks: pd.DataFrame) -> Finding:
    macro = _pivot(peak, "tops_per_mm2")
    geo = _pivot(networks[networks.network == "geomean"], "tops_per_mm2")
    sizes_dimc_wins = [int(s) for s in macro.index if macro.loc[s, "dimc"] > macro.loc[s, "aimc"]]
    geo_wins = [int(s) for s in geo.index if geo.loc[s, "dimc"] > geo.loc[s, "aimc"]]
    holds = len(sizes_dimc_wins) == len(macro) and len(geo_wins) >= len(geo) / 2
    return Finding(
        "dimc_density", "DIMC has a higher computational density (TOPS/mm2) than AIMC", holds,
        {"macro_tops_per_mm2": macro.round(4).to_dict(), "sizes_where_dimc_denser_macro": sizes_dimc_wins,
         "network_geomean_tops_per_mm2": geo.round(5).to_dict(), "sizes_where_dimc_denser_networks": geo_wins},
        "DIMC generally has a higher computational density than AIMC (paper Fig. 8: at every size)", holds)


def _large_aimc_finding(layers: pd.DataFrame, settings: StudySettings) -> Finding:
    large = [s for s in settings.sizes if s >= 256] or [max(settings.sizes)]
    numbers, verdicts = {"large_sizes": large}, {}
    for level, metric in (("macro", "macro_tops_per_w"), ("system", "tops_per_w")):
        for layer_type in ("conv", "pointwise"):
            sub = layers[layers.layer_type == layer_type]
            aimc = float(sub[(sub.kind == "aimc") & sub.rows.isin(large)][metric].max())
            dimc = float(sub[sub.kind == "dimc"][metric].max())
            numbers[f"{level}.{layer_type}"] = {"best_aimc_tops_per_w_large": round(aimc, 3),
                                                "best_dimc_tops_per_w": round(dimc, 3)}
            verdicts[f"{level}.{layer_type}"] = aimc > dimc
    holds = verdicts["macro.conv"] and verdicts["macro.pointwise"]
    system = verdicts["system.conv"] and verdicts["system.pointwise"]
    numbers["verdicts"] = verdicts
    return Finding("aimc_large_conv_pw",
                   "AIMC with large macros is more energy-efficient than DIMC on conv and pointwise layers "
                   f"(macro level; with the weight, input and output traffic of the system it "
                   f"{'holds too' if system else 'holds only for ' + ', '.join(k.split('.')[1] for k, v in verdicts.items() if k.startswith('system') and v) or 'does not hold'})",
                   holds, numbers, "AIMC with large macros can be more energy-efficient than DIMC on conv and "
                   "pointwise layers, which exploit high spatial unrolling", holds)


def _small_dimc_finding(layers: pd.DataFrame, settings: StudySettings) -> Finding:
    small = [s for s in settings.sizes if s <= 128] or [min(settings.sizes)]
    sub = layers[layers.layer_type == "depthwise"]
    numbers, verdicts = {"small_sizes": small}, {}
    for level, metric in (("macro", "macro_tops_per_w"), ("system", "tops_per_w")):
        dimc = float(sub[(sub.kind == "dimc") & sub.rows.isin(small)][metric].max())
        aimc = float(sub[sub.kind == "aimc"][metric].max())
        numbers[level] = {"best_dimc_tops_per_w_small": round(dimc, 3), "best_aimc_tops_per_w": round(aimc, 3),
                          "by_size": _pivot(sub, metric).round(3).to_dict()}
        verdicts[level] = dimc > aimc
    holds = verdicts["macro"]
    return Finding("dimc_small_depthwise",
                   "DIMC with small macros beats AIMC on depthwise layers (macro level; at system level it "
                   f"{'holds too' if verdicts['system'] else 'does not hold'})", holds,
                   numbers | {"verdicts": verdicts},
                   "DIMC with small macros beats AIMC on depthwise layers, which offer little spatial "
                   "unrolling inside a macro", holds)


def _best_size_findings(networks: pd.DataFrame, settings: StudySettings) -> list[Finding]:
    best = {}
    for network, sub in networks.groupby("network", sort=False):
        entry = {}
        for kind in KINDS:
            k = sub[sub.kind == kind]
            entry[kind] = {"best_rows_tops_per_w": int(k.loc[k.tops_per_w.idxmax(), "rows"]),
                           "tops_per_w": round(float(k.tops_per_w.max()), 3),
                           "best_rows_tops_per_mm2": int(k.loc[k.tops_per_mm2.idxmax(), "rows"]),
                           "tops_per_mm2": round(float(k.tops_per_mm2.max()), 4)}
        winner = max(KINDS, key=lambda kd: entry[kd]["tops_per_w"])
        entry["most_efficient"] = f"{winner} {entry[winner]['best_rows_tops_per_w']}"
        best[network] = entry
    text = "; ".join(f"{n}: {e['most_efficient']} rows" for n, e in best.items())
    return [Finding("best_macro_size", f"Most energy-efficient macro per network ({text})", True, best,
                    "the paper reports AIMC at large sizes best for conv-heavy networks and no single best size",
                    True)]


def _dominance_finding(networks: pd.DataFrame, settings: StudySettings) -> Finding:
    shares = {}
    for network, sub in networks[networks.network != "geomean"].groupby("network", sort=False):
        best = sub.loc[sub.tops_per_w.idxmax()]
        parts = {g: float(best[f"energy_pj.{g}"]) for g in ENERGY_GROUPS}
        total = sum(parts.values())
        top = max(parts, key=parts.get)
        shares[network] = {"at": f"{best.kind} {int(best.rows)}", "dominant": top,
                           "shares": {g: round(v / total, 3) for g, v in parts.items()}}
    counts = pd.Series([v["dominant"] for v in shares.values()]).value_counts()
    dominant = str(counts.index[0])
    return Finding("energy_dominance", f"At system level the energy is dominated by {dominant} "
                   f"({int(counts.iloc[0])} of {len(shares)} networks at their best macro)", True, shares,
                   "the paper notes that memory accesses (weights from DRAM) weigh heavily at system level", True)


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
                   "layers' energy", True, numbers, "beyond the paper (BERT-tiny was not studied)", True)
