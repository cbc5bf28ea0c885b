"""Figures of the AIMC-vs-DIMC study, as `FigureSpec`s built from the study's tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from imcbench.figspec import PALETTE, FigureSpec, Series
from imcbench.dse.pareto import pareto_front
from imcbench.evaluation import ENERGY_GROUPS
from imcbench.studies.paper_settings import KINDS

GROUP_COLORS = {"macro": "#2ca02c", "weights": "#d62728", "inputs": "#1f77b4", "outputs": "#ff7f0e",
                "interconnect": "#9467bd", "leakage": "#8c564b"}
COMPONENT_COLORS = {"adc": "#d62728", "dac": "#ff9896", "bitline": "#9467bd", "multipliers": "#8c564b",
                    "adder_tree": "#1f77b4", "place_value": "#17becf", "accumulator": "#bcbd22",
                    "precharge": "#7f7f7f", "cells": "#c7c7c7", "regi": "#aec7e8", "rego": "#ffbb78",
                    "l2_to_regi": "#98df8a", "rego_to_l2": "#f7b6d2", "l2": "#dbdb8d"}
NETWORK_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _kind_lines(frame: pd.DataFrame, metric: str, label: str = "", dash: bool = False) -> list[Series]:
    out = []
    for kind in KINDS:
        sub = frame[frame.kind == kind].sort_values("rows")
        out.append(Series(f"{kind.upper()}{label}", sub.rows.tolist(), sub[metric].tolist(), color=PALETTE[kind],
                          dash=dash, marker="o" if kind == "aimc" else "s"))
    return out


def peak_figures(peak: pd.DataFrame) -> list[FigureSpec]:
    """Peak TOPS/W and TOPS/mm2 against size (macro and system), energy and area breakdowns."""
    figs = [
        FigureSpec("peak_tops_per_w", "Peak energy efficiency vs macro size", "macro rows (= columns)", "TOPS/W",
                   _kind_lines(peak, "tops_per_w", " macro") + _kind_lines(peak, "system_tops_per_w", " system",
                                                                           dash=True), x_log=True, y_log=True,
                   caption="AIMC (2 b/cycle, ADC = 2 + 0.5 log2 rows) grows with rows as the ADC is amortised; "
                           "DIMC (bit-serial) is flat: its adder trees cost the same per input at every size. "
                           "Dashed: with input/output registers and the 256 KB L2."),
        FigureSpec("peak_tops_per_mm2", "Peak computational density vs macro size", "macro rows (= columns)",
                   "TOPS/mm2", _kind_lines(peak, "tops_per_mm2", " macro")
                   + _kind_lines(peak, "system_tops_per_mm2", " system", dash=True), x_log=True, y_log=True,
                   caption="DIMC is denser at every size; AIMC's density falls beyond 128 rows as the ADC "
                           "conversion time (proportional to bit-line length) stretches the clock."),
    ]
    figs.append(_stacked(peak, "energy_pj.", "peak_energy_breakdown", "Energy per MAC by component (peak)",
                         "fJ per MAC", per_mac=True,
                         components=("dac", "bitline", "multipliers", "adc", "adder_tree", "place_value",
                                     "accumulator", "regi", "rego", "l2_to_regi", "rego_to_l2")))
    figs.append(_stacked(peak, "area_mm2.", "peak_area_breakdown", "Area by component (macro + registers + L2)",
                         "mm2", components=("cells", "multipliers", "adc", "adder_tree", "place_value",
                                            "accumulator", "regi", "rego", "l2"), y_log=False))
    return figs


def _stacked(frame: pd.DataFrame, prefix: str, key: str, title: str, unit: str, components, per_mac=False,
             y_log=False) -> FigureSpec:
    labels = [f"{r.kind.upper()} {r.rows}" for r in frame.itertuples()]
    series = []
    for comp in components:
        col = prefix + comp
        if col not in frame or not frame[col].fillna(0).any():
            continue
        values = frame[col].fillna(0).to_numpy()
        if per_mac:  # pJ per cycle -> fJ per MAC
            values = values / frame.macs_per_cycle.to_numpy() * 1e3
        series.append(Series(comp, labels, values.tolist(), kind="bar", color=COMPONENT_COLORS.get(comp)))
    return FigureSpec(key, title, "macro", unit, series, barmode="stack", y_log=y_log, width=900)


def layer_type_figures(layers: pd.DataFrame) -> list[FigureSpec]:
    """Per layer type: TOPS/W (macro and system) and TOPS/mm2 vs size; energy per MAC by group."""
    figs = []
    for layer_type, sub in layers.groupby("layer_type", sort=False):
        net, name = sub.network.iloc[0], sub.layer.iloc[0]
        figs.append(FigureSpec(
            f"layer_{layer_type}_tops_per_w", f"{layer_type}: energy efficiency ({net} {name})",
            "macro rows (= columns)", "TOPS/W",
            _kind_lines(sub, "macro_tops_per_w", " macro") + _kind_lines(sub, "tops_per_w", " system", dash=True),
            x_log=True, y_log=True))
        figs.append(FigureSpec(
            f"layer_{layer_type}_tops_per_mm2", f"{layer_type}: computational density ({net} {name})",
            "macro rows (= columns)", "TOPS/mm2", _kind_lines(sub, "tops_per_mm2"), x_log=True, y_log=True))
        labels = [f"{r.kind.upper()} {r.rows}" for r in sub.itertuples()]
        figs.append(FigureSpec(
            f"layer_{layer_type}_energy_split", f"{layer_type}: energy per MAC by part", "macro", "fJ per MAC",
            [Series(g, labels, sub[f"fj_per_mac.{g}"].tolist(), kind="bar", color=GROUP_COLORS[g])
             for g in _present_groups(sub, "fj_per_mac.")], barmode="stack", width=900))
    return figs


def _present_groups(frame: pd.DataFrame, prefix: str) -> list[str]:
    """The energy groups with a non-zero value somewhere in ``frame`` (links and leakage are often off)."""
    return [g for g in ENERGY_GROUPS if (frame[f"{prefix}{g}"] != 0).any()]


def network_figures(networks: pd.DataFrame) -> list[FigureSpec]:
    """Per network: TOPS/W and TOPS/mm2 vs size; energy split at each network's best macro; Pareto."""
    figs = []
    for metric, label in (("tops_per_w", "TOPS/W"), ("tops_per_mm2", "TOPS/mm2")):
        series = []
        for i, (network, sub) in enumerate(networks.groupby("network", sort=False)):
            color = NETWORK_COLORS[i % len(NETWORK_COLORS)]
            for kind in KINDS:
                k = sub[sub.kind == kind].sort_values("rows")
                series.append(Series(f"{network} {kind.upper()}", k.rows.tolist(), k[metric].tolist(), color=color,
                                     dash=kind == "dimc", marker="o" if kind == "aimc" else "s"))
        figs.append(FigureSpec(f"network_{metric}", f"Networks: {label} vs macro size (solid AIMC, dashed DIMC)",
                               "macro rows (= columns)", label, series, x_log=True, y_log=True, width=900,
                               height=520))
    real = networks[networks.network != "geomean"]
    best = real.loc[real.groupby("network", sort=False).tops_per_w.idxmax()]
    labels = [f"{r.network}\n{r.kind.upper()} {r.rows}" for r in best.itertuples()]
    figs.append(FigureSpec(
        "network_energy_split", "Energy split at each network's most efficient macro", "network", "share of energy",
        [Series(g, labels, (best[f"energy_pj.{g}"] / best.energy_pj).tolist(), kind="bar", color=GROUP_COLORS[g])
         for g in _present_groups(best, "energy_pj.")], barmode="stack", width=900))
    figs.append(pareto_figure(real))
    return figs


def pareto_figure(points: pd.DataFrame) -> FigureSpec:
    """Every (network, kind, size) design point, and each network's own Pareto front over TOPS/W and
    TOPS/mm2 (a front across networks would only show the easiest network's points)."""
    series = []
    for kind in KINDS:
        sub = points[points.kind == kind]
        series.append(Series(kind.upper(), sub.tops_per_mm2.tolist(), sub.tops_per_w.tolist(), kind="scatter",
                             color=PALETTE[kind], marker="o" if kind == "aimc" else "s",
                             text=[f"{r.network} {r.kind} {r.rows}" for r in sub.itertuples()]))
    metrics = [("tops_per_mm2", "max"), ("tops_per_w", "max")]
    for i, (network, sub) in enumerate(points.groupby("network", sort=False)):
        front = pareto_front(sub, metrics, by=None).sort_values("tops_per_mm2")
        series.append(Series(f"front: {network}", front.tops_per_mm2.tolist(), front.tops_per_w.tolist(),
                             color=NETWORK_COLORS[i % len(NETWORK_COLORS)], marker="x",
                             text=[f"{r.network} {r.kind} {r.rows}" for r in front.itertuples()]))
    return FigureSpec("pareto_design_points", "All design points: energy efficiency vs density, front per network",
                      "TOPS/mm2", "TOPS/W", series, x_log=True, y_log=True, height=520, width=900)


def chips_figure(peak: pd.DataFrame, chips) -> FigureSpec:
    """Our peak macros (1-bit normalised: x Bi x Bw) among published chips (TOPS/W vs TOPS/mm2)."""
    groups = {"published AIMC": [], "published DIMC": [], "published digital": []}
    for chip in chips:
        if not (chip.tops_per_w and chip.tops_per_mm2) or not np.isfinite(chip.tops_per_w * chip.tops_per_mm2):
            continue
        if not chip.is_imc:
            group = "published digital"
        elif (chip.compute_model or "").upper() == "DIMC":
            group = "published DIMC"
        else:
            group = "published AIMC"
        groups[group].append((chip.tops_per_mm2, chip.tops_per_w, f"{chip.title[:60]} ({chip.year})"))
    colors = {"published AIMC": "#ff9896", "published DIMC": "#aec7e8", "published digital": "#c7c7c7"}
    series = [Series(name, [p[0] for p in pts], [p[1] for p in pts], kind="scatter", color=colors[name], size=6,
                     text=[p[2] for p in pts]) for name, pts in groups.items() if pts]
    scale = 64  # 8b x 8b operations in 1-bit operations, the database's normalisation
    for kind in KINDS:
        sub = peak[peak.kind == kind].sort_values("rows")
        series.append(Series(f"imcbench {kind.upper()} (32..1024 rows)", (sub.tops_per_mm2 * scale).tolist(),
                             (sub.tops_per_w * scale).tolist(), color=PALETTE[kind], size=9,
                             text=[f"{kind} {r}" for r in sub.rows]))
    return FigureSpec("chips_landscape", "Modeled macros among published IMC chips (1-bit normalised)",
                      "TOPS/mm2 x Bx x Bw", "TOPS/W x Bx x Bw", series, x_log=True, y_log=True, height=540,
                      caption="Published values from the UIUC IMC benchmarking subset (chips_train.csv).")


def mapping_space_figure(networks: pd.DataFrame, spaces) -> FigureSpec:
    """Per network, the best AIMC macro's figure over the best DIMC macro's (above 1: AIMC wins) on TOPS/W
    and TOPS/mm2, in each mapping space: where the bars of two spaces sit on both sides of 1, the
    conclusion depends on the space."""
    order = list(dict.fromkeys(networks.network))
    series = []
    colors = {"tops_per_w": ("#2ca02c", "#98df8a", "#1b5e20"), "tops_per_mm2": ("#9467bd", "#c5b0d5", "#4a2373")}
    for metric, label in (("tops_per_w", "TOPS/W"), ("tops_per_mm2", "TOPS/mm2")):
        for i, space in enumerate(spaces):
            sub = networks[networks.mapping_space == space]
            best = sub.groupby(["network", "kind"])[metric].max().unstack("kind")
            ratio = [float(best.loc[n, "aimc"] / best.loc[n, "dimc"]) if n in best.index else np.nan for n in order]
            series.append(Series(f"{label}, {space} space", order, ratio, kind="bar",
                                 color=colors[metric][i % len(colors[metric])]))
    return FigureSpec("mapping_space_aimc_over_dimc", "Best AIMC over best DIMC per network, per mapping space",
                      "network", "AIMC / DIMC (above 1: AIMC better)", series, y_log=True, width=900,
                      caption="A network whose bars for one metric fall on both sides of 1 changes its AIMC-vs-"
                              "DIMC conclusion with the mapping space (e.g. TOPS/mm2 of depthwise-heavy networks: "
                              "imcbench packs depthwise groups side by side, ZigZag's space does not).")
