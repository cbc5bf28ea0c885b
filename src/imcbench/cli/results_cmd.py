"""``imcbench results`` (summary, SQL queries, exports) and ``imcbench pareto`` (Pareto fronts) on a sweep
results database."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np
import typer
from rich.table import Table

from imcbench.cli.app import app, console, print_json
from imcbench.errors import ImcbenchError
from imcbench.safeio import ensure_writable

if TYPE_CHECKING:  # pandas comes with the result store (imcbench.dse.store), when a command runs
    import pandas as pd

HEADLINE = ["energy_pj", "latency_ns", "area_mm2", "tops_per_w", "tops_per_mm2"]
DEFAULT_METRICS = "tops_per_w:max,tops_per_mm2:max"
AGGREGATE_NAMES = "geomean, mean, max, min"  # imcbench.dse.pareto.AGGREGATES (not imported at start-up)


class TableChoice(str, Enum):
    results = "results"
    layers = "layers"
    skipped = "skipped"


@app.command("results")
def results_command(
    file: Path = typer.Argument(..., help="results database written by 'imcbench sweep'"),
    query: Optional[str] = typer.Option(None, "--query", "-q",
                                        help="SQL on the tables results, layers, skipped, meta (read-only)"),
    pareto: Optional[str] = typer.Option(None, "--pareto",
                                         help="only the Pareto front of these metrics, e.g. tops_per_w,tops_per_mm2 "
                                              "(each NAME or NAME:max / NAME:min), per network"),
    network: Optional[str] = typer.Option(None, "--network", "-n", help="only this network"),
    sort: Optional[str] = typer.Option(None, "--sort", help="order by this metric (NAME, NAME:max or NAME:min)"),
    top: int = typer.Option(20, "--top", min=1, help="rows to print"),
    export_to: Optional[Path] = typer.Option(None, "--export",
                                             help="write the rows (all of them) to a .parquet or .csv file"),
    table: TableChoice = typer.Option(TableChoice.results, "--table", help="the table --export writes without --query"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    force: bool = typer.Option(False, "--force", help="overwrite the --export file if it exists"),
) -> None:
    """Summary of a results database, its rows, a SQL query, or an export to Parquet/CSV."""
    if export_to is not None:
        ensure_writable(export_to, force, option="--export")
    from imcbench.dse import query as db
    from imcbench.dse.pareto import pareto_front
    from imcbench.dse.spec import parse_metric
    from imcbench.dse.store import export, open_results

    con, meta = open_results(file)
    try:
        db.require_network(con, file, network)
        if export_to is not None:
            sql = query or db.select_sql(table.value, network)
            count = export(con, sql, export_to)
            console.print(f"wrote {count:,} rows to {export_to}")
            return
        if query:
            frame = db.read_sql(con, query)
            title = "query"
        else:
            frame = everything = db.read_sql(con, db.select_sql("results", network))
            if pareto:
                metrics = [parse_metric(m) for m in pareto.split(",")]
                frame, everything = pareto_front(frame, metrics), frame
            elif sort:
                name, direction = parse_metric(sort)
                db.require_columns(frame, [name])
                frame = frame.sort_values(name, ascending=direction == "min", kind="stable")
            title = f"{meta.get('name')}: " + ("Pareto front" if pareto else "results")
        if as_json:
            print_json({"meta": _public_meta(meta), "rows": db.records(frame.head(top))} if not query
                       else db.records(frame.head(top)))
            return
        if not query:
            _print_overview(db.summary(con), meta)
        print_frame(frame if query else display_frame(frame, like=everything), title=title, top=top)
    finally:
        con.close()


@app.command("pareto")
def pareto_command(
    file: Path = typer.Argument(..., help="results database written by 'imcbench sweep'"),
    metrics: str = typer.Option(DEFAULT_METRICS, "--metrics", "-m",
                                help="comma-separated NAME:max or NAME:min (a bare NAME takes its natural direction)"),
    network: Optional[str] = typer.Option(None, "--network", "-n", help="only this network"),
    across: Optional[str] = typer.Option(None, "--across-networks",
                                         help=f"one front over designs, metrics combined over the networks: "
                                              f"{AGGREGATE_NAMES}"),
    where: Optional[str] = typer.Option(None, "--where", help="SQL condition on results rows, e.g. \"kind = 'aimc'\""),
    top: int = typer.Option(50, "--top", min=1, help="rows to print"),
    as_json: bool = typer.Option(False, "--json", help="print the front as JSON"),
) -> None:
    """Pareto front(s) of a results database over any metrics, one per network (or across networks)."""
    from imcbench.dse import query as db
    from imcbench.dse.pareto import aggregate_networks, pareto_front
    from imcbench.dse.spec import parse_metric
    from imcbench.dse.store import open_results

    parsed = [parse_metric(m) for m in metrics.split(",") if m.strip()]
    if not parsed:
        raise ImcbenchError("--metrics: give at least one NAME:max or NAME:min")
    con, meta = open_results(file)
    try:
        db.require_network(con, file, network)
        frame = db.read_sql(con, db.select_sql("results", network, where))
    finally:
        con.close()
    db.require_columns(frame, [m for m, _ in parsed])
    if across:
        frame = aggregate_networks(frame, [m for m, _ in parsed], across, len(json.loads(meta.get("networks", "[]"))))
    front = pareto_front(frame, parsed)
    if as_json:
        print_json({"metrics": [f"{m}:{d}" for m, d in parsed], "rows": db.records(front)})
        return
    label = " ".join(f"{m} ({d})" for m, d in parsed)
    print_frame(display_frame(front, [m for m, _ in parsed], like=frame), top=top,
                title=f"{meta.get('name')}: Pareto front of {label}: {len(front)} of {len(frame)} rows")


def print_frame(frame: pd.DataFrame, title: str = "", top: int = 50) -> None:
    """A DataFrame as a rich table (numbers with 4 significant digits), at most ``top`` rows."""
    from pandas.api.types import is_numeric_dtype

    table = Table(title=title or None)
    for column in frame.columns:
        numeric = is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left", overflow="fold")
    for row in frame.head(top).itertuples(index=False):
        table.add_row(*(_format(v) for v in row))
    console.print(table)
    if len(frame) > top:
        console.print(f"... {len(frame) - top:,} more rows (--top N to see more)")


def _print_overview(counts: dict, meta: dict) -> None:
    summary = Table(show_header=False, box=None)
    summary.add_row("sweep", f"{meta.get('name')} ({meta.get('mode')}, objective {meta.get('objective')}, spec hash "
                             f"{meta.get('spec_hash')}, imcbench {meta.get('imcbench_version')}, created "
                             f"{meta.get('created_utc')})")
    summary.add_row("networks", ", ".join(json.loads(meta.get("networks", "[]"))))
    summary.add_row("results", f"{counts['results']:,} rows ({counts['design_points']:,} design points)")
    for reason, count in counts["skipped"]:
        summary.add_row("skipped", f"{count:,} x {reason}")
    console.print(summary)


def display_frame(frame: pd.DataFrame, metrics: list[str] = (), like: pd.DataFrame | None = None) -> pd.DataFrame:
    """The columns worth reading: network, the design parameters that vary (in ``like``, by default in
    ``frame`` itself), swept extras, headline metrics."""
    from imcbench.dse.query import is_metric
    from imcbench.dse.store import DESIGN_COLUMNS, RESULT_KEYS

    if frame.empty:
        return frame
    like = frame if like is None else like
    design = [c for c in DESIGN_COLUMNS if c in frame and (c in ("kind", "rows", "cols") or
                                                           like[c].nunique(dropna=False) > 1)]
    known = set(RESULT_KEYS) | set(DESIGN_COLUMNS)
    extras = [c for c in frame.columns if c not in known and not is_metric(c)]
    shown = [c for c in ("network", *design, *extras, *HEADLINE, *metrics) if c in frame.columns]
    return frame[list(dict.fromkeys(shown))]


def _format(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def _public_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k != "spec"}
