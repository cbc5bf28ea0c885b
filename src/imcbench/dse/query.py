"""Reading a sweep's results database (written by :mod:`imcbench.dse.store`): the rows of one table for a
network and a condition, the networks present, the summary counts. ``imcbench results`` and ``imcbench
pareto`` print what these return."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from imcbench.errors import ImcbenchError

METRIC_PREFIXES = ("energy", "latency", "tclk", "area", "tops", "macs")  # result columns that are figures


def select_sql(table: str, network: str | None = None, where: str | None = None) -> str:
    """SQL for the rows of ``table`` (results, layers, skipped) of one ``network`` and a SQL condition."""
    conditions = []
    if network:
        quoted = "'" + network.replace("'", "''") + "'"
        # a layers row has no network column: it belongs to the network of its result (point_id)
        conditions.append(f"point_id IN (SELECT point_id FROM results WHERE network = {quoted})" if table == "layers"
                          else f"network = {quoted}")
    if where:
        conditions.append(f"({where})")
    order = " ORDER BY design_index, network" if table == "results" else ""
    return f"SELECT * FROM {table}" + (" WHERE " + " AND ".join(conditions) if conditions else "") + order


def read_sql(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """The rows of a query; a failing query raises :class:`ImcbenchError` with DuckDB's first line."""
    try:
        return con.execute(sql).df()
    except duckdb.Error as exc:
        raise ImcbenchError(f"SQL failed: {str(exc).splitlines()[0]} (tables: results, layers, skipped, meta)") from None


def networks(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The networks with results, sorted."""
    return [r[0] for r in con.execute("SELECT DISTINCT network FROM results ORDER BY network").fetchall()]


def require_network(con: duckdb.DuckDBPyConnection, file: Path, network: str | None) -> None:
    """``network`` must name a network of the database (else a selection would be an empty table)."""
    if network is None:
        return
    present = networks(con)
    if network not in present:
        listed = ", ".join(present) if present else "none yet (the results table is empty)"
        raise ImcbenchError(f"--network {network!r}: no results for this network in {file}; networks present: "
                            f"{listed}")


def summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Result rows, distinct design points, and the skipped points per category and reason (most first)."""
    rows, points = con.execute("SELECT count(*), count(DISTINCT design_id) FROM results").fetchone()
    skipped = con.execute("SELECT category || ': ' || reason, count(*) FROM skipped GROUP BY 1 ORDER BY 2 DESC").fetchall()
    return {"results": rows, "design_points": points, "skipped": skipped}


def is_metric(column: str) -> bool:
    """Whether a result column holds a figure (energy, latency, area, TOPS, ...) rather than a parameter."""
    return column.startswith(METRIC_PREFIXES)


def require_columns(frame: pd.DataFrame, names: list[str]) -> None:
    """Every name must be a column of ``frame``; the error lists the metric columns there are."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ImcbenchError(f"unknown column(s) {', '.join(missing)}; metrics: "
                            f"{', '.join(c for c in frame.columns if is_metric(c))}")


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with full-precision numbers and None for missing values (JSON-safe)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
