"""Printing of ``imcbench validate --systems`` (imcbench.validation.systems)."""

from __future__ import annotations

import math

from rich.table import Table

from imcbench.cli.app import console, print_json
from imcbench.validation.systems import METRICS, evaluate_cases


def _fmt(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.3g}"


def print_systems(as_json: bool) -> None:
    rows = evaluate_cases()
    if as_json:
        print_json({"systems": [r.to_dict() for r in rows]})
        return
    table = Table(title="published systems: model vs measured (ratio = paper model / measured)")
    for header in ("system", "figure", "measured boundary", "model boundary", "metric", "measured", "paper model",
                   "ratio", "survey ADC", "calibrated"):
        table.add_column(header, justify="right" if header in ("measured", "paper model", "ratio", "survey ADC",
                                                               "calibrated") else "left")
    for r in rows:
        table.add_row(r.system, r.label, r.boundary, r.model_boundary or "not modeled", METRICS[r.metric],
                      _fmt(r.measured), _fmt(r.paper), _fmt(r.ratio), _fmt(r.survey_adc), _fmt(r.calibrated))
    console.print(table)
    skipped = [r for r in rows if r.note]
    modeled = len(rows) - len(skipped)
    console.print(f"{modeled} of {len(rows)} published figures modeled; {len(skipped)} not:", highlight=False)
    for r in skipped:
        console.print(f"  {r.system} / {r.label}: {r.note}", highlight=False)
    console.print("[dim]A figure measured at a wider boundary (chip) than the model's (macros) includes power the "
                  "model does not count. Assumptions per system: imcbench/data/published_systems.yaml.[/]",
                  highlight=False)
