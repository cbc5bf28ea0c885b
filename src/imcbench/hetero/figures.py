"""Figures of the heterogeneous-cluster study, as `FigureSpec`s (``imcbench hetero --out``, the study report)."""

from __future__ import annotations

from imcbench.hetero.compare import CONFIGURATIONS, Comparison
from imcbench.hetero.costing import HeteroResult
from imcbench.figspec import PALETTE, FigureSpec, Series

KIND_COLORS = {"pointwise": "#1f77b4", "depthwise": "#d62728", "conv": "#2ca02c", "fc": "#9467bd",
               "matmul": "#8c564b", "attention": "#e377c2", "program": "#ff7f0e"}
CONFIG_LABELS = {"software": "software", "all_ima": "all-IMA", "hybrid": "hybrid (dw on cores)",
                 "optimal": "optimal"}
AREA_COLORS = {"cluster": "#7f7f7f", "ima": PALETTE["aimc"], "accelerators": "#ff7f0e"}
GANTT_MAX_TASKS = 4000  # beyond this the timeline keeps the first tasks only (a readable figure)


DEFAULT_BLOCK = 8  # MobileNetV2 block 8: 14x14x64 -> 384 -> 64, stride 1 (the paper's exact block is unknown)


def hetero_figures(comparison: Comparison | None = None,
                   timelines: tuple[str, ...] = ("hybrid", "optimal", "all_ima")) -> list[FigureSpec]:
    """Gantt timelines of the chosen configurations, area bars, latency/energy bars and the throughput-area
    trade-off of the all-IMA variants against the hybrid. Without a comparison: MobileNetV2 block 8 on the
    default cluster (8 cores + 1 IMA)."""
    if comparison is None:
        from imcbench.hetero.cluster import HeteroSystem
        from imcbench.hetero.compare import bottleneck, compare
        from imcbench.workload import load_workload

        comparison = compare(bottleneck(load_workload("mobilenet_v2"), DEFAULT_BLOCK), HeteroSystem())
    kinds = {layer["name"]: layer["kind"] for layer in comparison.shapes}
    figures = [gantt_figure(comparison.results[name], kinds) for name in timelines]
    figures += [area_figure(comparison), performance_figure(comparison), tradeoff_figure(comparison)]
    return figures


def gantt_figure(result: HeteroResult, kinds: dict[str, str]) -> FigureSpec:
    """Per-engine timeline: one bar per row tile, coloured by layer kind; programming tasks in orange."""
    sched = result.schedule
    n = min(len(sched.end_ns), GANTT_MAX_TASKS)
    by_kind: dict[str, list[int]] = {}
    for i in range(n):
        kind = "program" if sched.kind[i] == "program" else kinds.get(sched.layer[i], "conv")
        by_kind.setdefault(kind, []).append(i)
    series = [Series(kind, [sched.start_ns[i] / 1e3 for i in idx], [sched.engine[i] for i in idx],
                     kind="segments", x_end=[sched.end_ns[i] / 1e3 for i in idx], color=KIND_COLORS.get(kind),
                     text=[f"{sched.layer[i]} tile {sched.tile[i]}" for i in idx]) for kind, idx in by_kind.items()]
    busy = ", ".join(f"{e} {t / 1e3:,.1f} us" for e, t in result.busy_ns.items())
    return FigureSpec(
        key=f"hetero_gantt_{result.name}", title=f"{result.network}: {CONFIG_LABELS.get(result.name, result.name)} "
                                                 f"configuration, timeline ({result.latency_ns / 1e3:,.1f} us)",
        x_label="time (us)", y_label="engine", series=series, height=300 + 20 * len(result.busy_ns),
        caption=(f"Each bar is one row tile of a layer on one engine. Busy time: {busy}. Consecutive layers on "
                 "different engines overlap: a tile starts as soon as the producer tiles holding its input rows "
                 "have ended (plus a hand-off)."))


def area_figure(comparison: Comparison) -> FigureSpec:
    """Area of each configuration: cluster (cores, L1, overhead), IMA crossbars, other accelerators."""
    groups = {name: _area_groups(comparison.results[name]) for name in CONFIGURATIONS}
    if comparison.similar_all_ima.area_mm2 != comparison.results["all_ima"].area_mm2:
        groups["all_ima_similar"] = _area_groups(comparison.similar_all_ima)
    labels = {**CONFIG_LABELS, "all_ima_similar": "all-IMA >= hybrid"}
    series = [Series(part, [labels[n] for n in groups], [groups[n][part] for n in groups], kind="bar",
                     color=AREA_COLORS[part]) for part in ("cluster", "ima", "accelerators")]
    return FigureSpec(
        key="hetero_area", title=f"{comparison.network}: area by configuration", x_label="configuration",
        y_label="area (mm2)", series=series, barmode="stack",
        caption=(f"Hybrid saves {100 * comparison.area_saving:.0f}% of the area of the smallest all-IMA "
                 f"configuration at least as fast (its latency is {comparison.similar_latency_ratio:.2f}x the "
                 "hybrid's); the paper reports 50% against an all-IMA of similar performance. Depthwise layers packed diagonally use 9 rows + 1 column per channel, "
                 "so a 256x256 crossbar holds only 28 channels."))


def _area_groups(result: HeteroResult) -> dict[str, float]:
    groups = {"cluster": 0.0, "ima": 0.0, "accelerators": 0.0}
    for key, value in result.area_breakdown_mm2.items():
        part = "cluster" if key in ("cores", "l1", "cluster") else ("ima" if key in result.crossbars else "accelerators")
        groups[part] += value
    return groups


def performance_figure(comparison: Comparison) -> FigureSpec:
    """Speed-up over software and energy efficiency (TOPS/W) of the four configurations."""
    names = [CONFIG_LABELS[n] for n in CONFIGURATIONS]
    return FigureSpec(
        key="hetero_performance", title=f"{comparison.network}: speed-up and efficiency", x_label="configuration",
        y_label="speed-up vs software (x) | TOPS/W",
        series=[Series("speed-up vs software", names, [comparison.speedup(n) for n in CONFIGURATIONS], kind="bar"),
                Series("TOPS/W", names, [comparison.results[n].tops_per_w for n in CONFIGURATIONS], kind="bar")],
        caption="Latency is the pipelined schedule's makespan; energy excludes leakage (idle engines clock-gated).")


def tradeoff_figure(comparison: Comparison) -> FigureSpec:
    """Latency against area: the all-IMA variants (fewer crossbars = reprogramming) and the other configurations."""
    variants = comparison.all_ima_variants
    series = [Series("all-IMA variants", [v.area_mm2 for v in variants], [v.latency_ns / 1e3 for v in variants],
                     kind="line", color=PALETTE["aimc"], text=[f"{v.name}: {sum(v.crossbars.values())} crossbars"
                                                                for v in variants])]
    for name, color in zip(("software", "hybrid", "optimal"), ("#7f7f7f", "#1f77b4", "#2ca02c")):
        r = comparison.results[name]
        series.append(Series(CONFIG_LABELS[name], [r.area_mm2], [r.latency_ns / 1e3], kind="scatter", color=color,
                             size=11))
    return FigureSpec(
        key="hetero_tradeoff", title=f"{comparison.network}: latency vs area", x_label="area (mm2)",
        y_label="latency (us)", series=series, y_log=True,
        caption=("All-IMA with fewer crossbars than its weights need must reprogram them every inference "
                 "(1 us per 8 weights): far slower. Weight-stationary crossbars buy throughput with area."))
