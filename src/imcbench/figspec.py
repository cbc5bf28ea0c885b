"""One description of a figure, two renderers: plotly (interactive HTML) and matplotlib (PNG, SVG).

Every feature that draws (the study, validation, scaling, accuracy, hetero) builds `FigureSpec`s from its
own numbers; the report embeds the plotly rendering and writes the static files beside it. A figure is
therefore defined once and looks the same in the browser and in a paper.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Sequence

LEGEND_INSIDE_MAX = 8  # more legend entries than this are drawn outside the plot area
LOG_TICKS_MIN_INSIDE = 3  # a log axis gets finer ticks (1-2-5, then 1 to 9 per decade) until this many fall in the data
PALETTE = {"aimc": "#d62728", "dimc": "#1f77b4", "digital": "#7f7f7f", "model": "#2ca02c"}
_CYCLE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf"]


@dataclass
class Series:
    """One trace: a line, markers, bars, or horizontal segments. ``text`` labels points on hover (HTML) only.

    ``kind="segments"`` draws one horizontal bar per point from ``x`` to ``x_end`` on the category row
    ``y`` (a Gantt chart: y = engine, x = start, x_end = end); segment rows are listed top-down in the order
    they first appear.
    """

    name: str
    x: Sequence
    y: Sequence
    kind: Literal["line", "scatter", "bar", "segments"] = "line"
    color: str | None = None
    dash: bool = False
    marker: str = "o"
    text: Sequence[str] | None = None
    size: float = 7.0
    show_legend: bool = True
    x_end: Sequence | None = None


@dataclass
class FigureSpec:
    """A 2-D chart. ``barmode='stack'`` stacks the bar series; ``ref_lines`` draws (x, y, label) guides."""

    key: str
    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    x_log: bool = False
    y_log: bool = False
    barmode: Literal["group", "stack"] = "group"
    ref_lines: list[tuple[Sequence, Sequence, str]] = field(default_factory=list)
    caption: str = ""
    width: int = 760
    height: int = 460


def _colors(spec: FigureSpec) -> list[str]:
    return [s.color or _CYCLE[i % len(_CYCLE)] for i, s in enumerate(spec.series)]


def to_plotly(spec: FigureSpec):
    """The figure as a plotly ``go.Figure``."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for s, color in zip(spec.series, _colors(spec)):
        common = dict(name=s.name, x=list(s.x), y=list(s.y), showlegend=s.show_legend,
                      hovertext=list(s.text) if s.text is not None else None)
        if s.kind == "bar":
            fig.add_trace(go.Bar(marker_color=color, **common))
        elif s.kind == "segments":
            common.update(x=[e - b for b, e in zip(s.x, s.x_end)], base=list(s.x))
            fig.add_trace(go.Bar(marker_color=color, orientation="h", offsetgroup="segments", **common))
        else:
            mode = "lines+markers" if s.kind == "line" else "markers"
            fig.add_trace(go.Scatter(mode=mode, line=dict(color=color, dash="dash" if s.dash else None),
                                     marker=dict(color=color, size=s.size), **common))
    for x, y, label in spec.ref_lines:
        fig.add_trace(go.Scatter(x=list(x), y=list(y), mode="lines", name=label,
                                 line=dict(color="#999999", dash="dot", width=1), hoverinfo="skip"))
    fig.update_layout(title=spec.title, barmode=spec.barmode, width=spec.width, height=spec.height,
                      template="plotly_white", legend=dict(font=dict(size=11)),
                      margin=dict(l=60, r=20, t=60, b=55))
    fig.update_xaxes(title_text=spec.x_label, type="log" if spec.x_log else None)
    fig.update_yaxes(title_text=spec.y_label, type="log" if spec.y_log else None)
    for axis, is_log, update in (("x", spec.x_log, fig.update_xaxes), ("y", spec.y_log, fig.update_yaxes)):
        values = _axis_values(spec, axis) if is_log else []
        if values:  # explicit ticks: plotly's default log labels are bare digits ("5" standing for 0.005)
            ticks, labels = log_ticks(values)
            update(tickmode="array", tickvals=ticks, ticktext=labels)
    rows = _segment_rows(spec)
    if rows:  # first row on top, as in a Gantt chart
        fig.update_yaxes(categoryorder="array", categoryarray=rows[::-1])
    return fig


def log_ticks(values) -> tuple[list[float], list[str]]:
    """Tick positions and their plain-number labels ('0.005', '30') for a log axis covering ``values``:
    the coarsest of one per decade, 1-2-5 or 1 to 9 per decade that puts at least
    :data:`LOG_TICKS_MIN_INSIDE` ticks inside the data."""
    import math

    positive = [float(v) for v in values if v is not None and math.isfinite(float(v)) and float(v) > 0]
    if not positive:
        return [], []
    low, high = min(positive), max(positive)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for steps in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [float(f"{m}e{e}") for e in range(first, last + 1) for m in steps]
        if sum(low <= t <= high for t in ticks) >= LOG_TICKS_MIN_INSIDE:
            break
    return ticks, [f"{t:g}" for t in ticks]


def _axis_values(spec: FigureSpec, axis: str) -> list:
    """The numbers drawn along ``axis`` ('x' or 'y'): data of every series (not bar categories), guides."""
    values: list = []
    for s in spec.series:
        if axis == "y" and s.kind != "segments":
            values += list(s.y)
        elif axis == "x" and s.kind not in ("bar",):
            values += list(s.x) + (list(s.x_end) if s.x_end is not None else [])
    for x, y, _ in spec.ref_lines:
        values += list(x if axis == "x" else y)
    return [v for v in values if isinstance(v, numbers.Real) and not isinstance(v, bool)]


def _static_log_ticks(ax, axis: str, values: list) -> None:
    """The same plain-number ticks as the interactive figure, without moving the axis limits."""
    from matplotlib.ticker import NullFormatter

    ticks, labels = log_ticks(values)
    if not ticks:
        return
    target = ax.xaxis if axis == "x" else ax.yaxis
    limits = ax.get_xlim() if axis == "x" else ax.get_ylim()
    target.set_ticks(ticks, labels)
    target.set_minor_formatter(NullFormatter())
    (ax.set_xlim if axis == "x" else ax.set_ylim)(limits)


def _segment_rows(spec: FigureSpec) -> list:
    """Category rows of the segment series, in order of first appearance."""
    rows: list = []
    for s in spec.series:
        if s.kind == "segments":
            for y in s.y:
                if y not in rows:
                    rows.append(y)
    return rows


def save_static(spec: FigureSpec, folder: Path | str) -> list[Path]:
    """Write ``<key>.png`` and ``<key>.svg`` into ``folder`` with matplotlib; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(spec.width / 100, spec.height / 100), dpi=100)
    bars = [s for s in spec.series if s.kind == "bar"]
    categories: list = []
    for s in bars:
        for x in s.x:
            if x not in categories:
                categories.append(x)
    position = {c: i for i, c in enumerate(categories)}
    bottoms = np.zeros(len(categories))
    width = 0.8 / (1 if spec.barmode == "stack" or not bars else len(bars))
    bar_index = 0
    for s, color in zip(spec.series, _colors(spec)):
        label = s.name if s.show_legend else None
        if s.kind == "bar":
            xs = np.array([position[x] for x in s.x], dtype=float)
            ys = np.asarray(s.y, dtype=float)
            if spec.barmode == "stack":
                base = bottoms[xs.astype(int)]
                ax.bar(xs, ys, 0.8, bottom=base, color=color, label=label)
                bottoms[xs.astype(int)] += ys
            else:
                ax.bar(xs - 0.4 + width * (bar_index + 0.5), ys, width, color=color, label=label)
            bar_index += 1
        elif s.kind == "segments":
            rows = _segment_rows(spec)
            ys = [len(rows) - 1 - rows.index(y) for y in s.y]
            ax.barh(ys, [e - b for b, e in zip(s.x, s.x_end)], 0.6, left=list(s.x), color=color, label=label)
        elif s.kind == "line":
            ax.plot(list(s.x), list(s.y), marker=s.marker, linestyle="--" if s.dash else "-", color=color,
                    label=label, markersize=s.size * 0.7)
        else:
            ax.scatter(list(s.x), list(s.y), marker=s.marker, color=color, label=label, s=s.size ** 2,
                       alpha=0.8)
    for x, y, label in spec.ref_lines:
        ax.plot(list(x), list(y), linestyle=":", color="#999999", linewidth=1, label=label)
    if bars:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories],
                      rotation=30 if len(categories) > 6 else 0)
    rows = _segment_rows(spec)
    if rows:
        ax.set_yticks(range(len(rows)), [str(r) for r in rows[::-1]])
    for axis, is_log, scale in (("x", spec.x_log, ax.set_xscale), ("y", spec.y_log, ax.set_yscale)):
        if is_log:
            scale("log")
            _static_log_ticks(ax, axis, _axis_values(spec, axis))
    ax.set_xlabel(spec.x_label)
    ax.set_ylabel(spec.y_label)
    ax.set_title(spec.title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    entries = sum(s.show_legend for s in spec.series) + len(spec.ref_lines)
    if entries > LEGEND_INSIDE_MAX:  # many series: the legend goes beside the axes, not over the data
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    elif entries:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    paths = [folder / f"{spec.key}.png", folder / f"{spec.key}.svg"]
    # no date and a fixed id salt: the same figure gives the same SVG bytes on every run (diffable outputs)
    with plt.rc_context({"svg.hashsalt": spec.key}):
        fig.savefig(paths[0])
        fig.savefig(paths[1], metadata={"Date": None})
    plt.close(fig)
    return paths
