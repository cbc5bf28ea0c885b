"""Interactive figures: readable log axes and one Pareto front per network in the all-design-points figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imcbench.figspec import FigureSpec, Series, log_ticks, to_plotly
from imcbench.report.study_figures import pareto_figure


@pytest.mark.parametrize("low, high", [(0.003, 40.0), (0.004, 0.03), (1.2, 7.0), (1e-4, 1e4)])
def test_log_axes_have_explicit_plain_number_ticks(low, high):
    spec = FigureSpec("f", "t", "x", "y", [Series("s", [low, high], [high, low], kind="scatter")],
                      x_log=True, y_log=True)
    layout = to_plotly(spec).layout
    for axis in (layout.xaxis, layout.yaxis):
        assert axis.type == "log" and axis.tickmode == "array"
        ticks, labels = list(axis.tickvals), list(axis.ticktext)
        # every label is the number it marks (no bare "5" standing for 0.005 or "3" for 30)
        assert [float(label) for label in labels] == pytest.approx(ticks)
        visible = [t for t in ticks if low <= t <= high]
        assert len(visible) >= 3  # at least three labelled ticks inside the data
        assert min(ticks) <= low and max(ticks) >= high


def test_log_ticks_thin_out_over_many_decades():
    ticks, _ = log_ticks([1e-4, 1e4])
    assert ticks == pytest.approx([10.0 ** e for e in range(-4, 5)])
    ticks, _ = log_ticks([0.012, 0.09])  # within one decade: 1 to 9
    assert 0.02 in ticks and 0.05 in ticks and 0.03 in ticks
    ticks, _ = log_ticks([0.3, 2.0])  # 1-2-5 leaves only 0.5, 1 and 2 inside: enough
    assert [t for t in ticks if 0.3 <= t <= 2.0] == pytest.approx([0.5, 1, 2])


def test_linear_axes_keep_automatic_ticks():
    spec = FigureSpec("f", "t", "x", "y", [Series("s", [1, 2], [3, 4])])
    assert to_plotly(spec).layout.xaxis.tickmode is None


def test_pareto_figure_has_one_front_per_network():
    rng = np.random.default_rng(3)
    frames = []
    for network, scale in (("big", 10.0), ("small", 0.1)):  # one network dominates the other everywhere
        frames.append(pd.DataFrame({"network": network, "kind": rng.choice(["aimc", "dimc"], 12),
                                    "rows": np.arange(12), "tops_per_w": scale * rng.uniform(1, 5, 12),
                                    "tops_per_mm2": scale * rng.uniform(1, 5, 12)}))
    points = pd.concat(frames, ignore_index=True)
    spec = pareto_figure(points)
    fronts = {s.name: s for s in spec.series if s.name.startswith("front: ")}
    assert set(fronts) == {"front: big", "front: small"}
    for network in ("big", "small"):
        sub = points[points.network == network]
        values = sub[["tops_per_mm2", "tops_per_w"]].to_numpy()
        expected = {(a, b) for a, b in values if not ((values[:, 0] >= a) & (values[:, 1] >= b)
                                                    & ((values[:, 0] > a) | (values[:, 1] > b))).any()}
        front = fronts[f"front: {network}"]
        assert set(zip(front.x, front.y)) == expected and len(expected) >= 1


def test_static_figures_are_byte_identical_across_runs(tmp_path):
    """Two saves of one figure give the same PNG and SVG bytes (no date, fixed SVG ids): outputs can be diffed."""
    from imcbench.figspec import save_static

    spec = FigureSpec("f", "t", "x", "y", [Series("s", [1, 2, 3], [3, 4, 2]), Series("b", [1, 2], [1, 1], kind="scatter")])
    first = [p.read_bytes() for p in save_static(spec, tmp_path / "a")]
    second = [p.read_bytes() for p in save_static(spec, tmp_path / "b")]
    assert first == second
    assert b"<dc:date>" not in first[1]
