"""The sweep results database: one embedded DuckDB file per sweep spec.

Tables:

* ``results`` -- one row per (design point, network): the design's parameters and the network's
  totals (``network``, ``kind``, ``rows``, ``cols``, ..., ``energy_pj``, ``latency_ns``, ``area_mm2``,
  ``tops_per_w``, ``tops_per_mm2``, energy per group). Key ``point_id``.
* ``layers`` -- one row per layer of each result (key ``point_id``, ``layer_index``).
* ``skipped`` -- (design point, network) pairs not evaluated: impossible designs, violated
  constraints, evaluation errors, with the reason.
* ``meta`` -- key/value: format, schema version, spec hash, the spec, imcbench version.

Only the parent process writes, one transaction per finished batch (``INSERT ... ON CONFLICT DO
NOTHING``, so a point is never stored twice); an interrupted sweep loses at most the batches in flight.
A new file is built under a temporary name and renamed into place. A file that is not an imcbench
results database is never written to.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import duckdb
import pandas as pd

import imcbench
from imcbench.dse.runlock import RunLock
from imcbench.dse.worker import BatchOutput, ENERGY_GROUPS, LAYER_GROUP_COLUMNS, LAYER_METRICS, TOTAL_METRICS
from imcbench.errors import ImcbenchError

FORMAT = "imcbench-sweep"
SCHEMA_VERSION = "1"
DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB file
DESIGN_COLUMNS = {"kind": "VARCHAR", "rows": "BIGINT", "cols": "BIGINT", "n_macros": "BIGINT",
                  "input_bits": "BIGINT", "weight_bits": "BIGINT", "bits_per_cycle": "BIGINT", "adc_bits": "DOUBLE",
                  "cells_per_mult": "BIGINT", "node_nm": "DOUBLE", "vdd": "DOUBLE"}
RESULT_KEYS = {"point_id": "VARCHAR PRIMARY KEY", "design_id": "VARCHAR NOT NULL", "design_index": "BIGINT",
               "network": "VARCHAR NOT NULL", "objective": "VARCHAR", "system": "VARCHAR"}
LAYER_COLUMNS = {"point_id": "VARCHAR NOT NULL", "layer_index": "INTEGER NOT NULL", "layer": "VARCHAR",
                 "layer_kind": "VARCHAR", **{m: "DOUBLE" for m in LAYER_METRICS},
                 **{c: "DOUBLE" for c in LAYER_GROUP_COLUMNS}, "macros_used": "INTEGER",
                 "mapping": "VARCHAR"}
SKIPPED_COLUMNS = {"point_id": "VARCHAR PRIMARY KEY", "design_id": "VARCHAR", "design_index": "BIGINT",
                   "network": "VARCHAR", "category": "VARCHAR", "reason": "VARCHAR", "detail": "VARCHAR"}
TABLES = ("results", "layers", "skipped", "meta")
WRITER_THREADS = 1  # the writer shares the CPUs with the workers; its batches are small


def result_columns(extra: dict[str, str]) -> dict[str, str]:
    """Column -> SQL type of the ``results`` table; ``extra`` holds the swept parameters' columns."""
    metrics = {m: "DOUBLE" for m in TOTAL_METRICS} | {f"energy_{g}_pj": "DOUBLE" for g in ENERGY_GROUPS}
    extra = {k: v for k, v in extra.items() if k not in DESIGN_COLUMNS}
    return RESULT_KEYS | DESIGN_COLUMNS | extra | metrics


class SweepStore:
    """An open results database of one sweep spec (the parent process's writer)."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, lock: RunLock | None = None):
        self.path = path
        self.con = con
        self.lock = lock
        con.execute(f"SET threads = {WRITER_THREADS}")

    @classmethod
    def open_for_sweep(cls, path: str | Path, *, spec_hash: str, meta: dict[str, str], extra_columns: dict[str, str],
                       force: bool = False) -> "SweepStore":
        """Open ``path`` to resume the sweep ``spec_hash``, or create it. A database of another spec is
        refused unless ``force`` (then replaced by a new one); any other file is refused. The run holds
        the lock of ``path`` (:mod:`imcbench.dse.runlock`) until :meth:`close`: a second sweep on the same
        file stops with an error instead of replacing or mixing its rows."""
        utf8_path(path)
        lock = RunLock.acquire(path)
        try:
            store = cls._open_locked(Path(path), spec_hash, meta, extra_columns, force)
        except BaseException:
            lock.release()
            raise
        store.lock = lock
        return store

    @classmethod
    def _open_locked(cls, path: Path, spec_hash: str, meta: dict[str, str], extra_columns: dict[str, str],
                     force: bool) -> "SweepStore":
        if path.exists():
            con = connect(path, read_only=False)
            stored = _meta(con, path)
            if stored.get("spec_hash") == spec_hash and stored.get("schema_version") == SCHEMA_VERSION:
                _add_group_columns(con)
                con.execute("INSERT OR REPLACE INTO meta VALUES ('last_opened_utc', ?)", [_now()])
                return cls(path, con)
            con.close()
            if not force:
                what = (f"results of another sweep spec (spec hash {stored.get('spec_hash')}, this spec "
                        f"{spec_hash})" if stored.get("schema_version") == SCHEMA_VERSION
                        else f"schema version {stored.get('schema_version')} (this imcbench writes {SCHEMA_VERSION})")
                raise ImcbenchError(f"{path} holds {what}: choose another --out, or add --force to replace it")
        _create_atomically(path, meta | {"spec_hash": spec_hash}, extra_columns)
        return cls(path, connect(path, read_only=False))

    def done_ids(self) -> set[str]:
        """Point ids already stored (results and skipped): a resumed sweep does not redo them."""
        rows = self.con.execute("SELECT point_id FROM results UNION ALL SELECT point_id FROM skipped").fetchall()
        return {r[0] for r in rows}

    def write(self, output: BatchOutput) -> None:
        """Store one finished batch in a single transaction (all of it, or nothing when interrupted).

        The rows are registered as views before the transaction: DuckDB's implicit scan of a Python variable
        looks the name up in the caller's frames, and a Ctrl-C during that look-up surfaced as "Table with
        name frame does not exist" instead of an interrupt; views dropped inside an aborted transaction fail,
        hence they are registered and dropped outside it."""
        views = {}
        try:
            for table, columns in (("results", output.results), ("layers", output.layers),
                                   ("skipped", output.skipped)):
                if columns:
                    views[table] = f"{BATCH_VIEW}_{table}"
                    self.con.register(views[table], pd.DataFrame(columns))
            self.con.begin()
            for table, view in views.items():
                self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view} ON CONFLICT DO NOTHING")
            self.con.commit()
        except (duckdb.Error, RuntimeError, KeyboardInterrupt) as exc:
            self._rollback()
            if is_interrupt(exc):
                raise KeyboardInterrupt from None
            if isinstance(exc, RuntimeError):
                raise
            raise ImcbenchError(f"{self.path}: cannot write results ({str(exc).splitlines()[0]}); the batches "
                                "stored before are kept: fix that (e.g. free disk space), then run the same command "
                                "again to resume") from None
        finally:
            self._unregister(views.values())

    def _unregister(self, views) -> None:
        for view in views:
            try:
                self.con.unregister(view)
            except (duckdb.Error, RuntimeError):  # a closed connection: the views went with it
                pass

    def _rollback(self) -> None:
        try:
            self.con.rollback()
        except (duckdb.Error, RuntimeError):  # no transaction open (interrupted in begin()), or a closed connection
            pass

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            if self.lock is not None:
                self.lock.release()


def utf8_path(path: str | Path) -> str:
    """``path`` as DuckDB takes it: UTF-8 text (a file name in another encoding cannot be opened)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise ImcbenchError(f"{shown}: the path is not valid UTF-8 text, which the results database needs; "
                            "rename it or choose another path") from None
    return text


BATCH_VIEW = "imcbench_batch"  # prefix of the views a batch's rows are registered as while they are inserted


def is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C (or SIGTERM) as DuckDB reports it when it arrives during a query: DuckDB catches the
    KeyboardInterrupt and raises its own InterruptException, a RuntimeError 'Query interrupted', or (in
    the scan of a pandas frame) an error whose text is the KeyboardInterrupt's traceback."""
    return (isinstance(exc, (KeyboardInterrupt, duckdb.InterruptException))
            or (isinstance(exc, (RuntimeError, duckdb.Error)) and "interrupt" in str(exc).lower()))


def connect(path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to an existing DuckDB file, or a clear error (not DuckDB, corrupt, in use)."""
    path = Path(path)
    if not path.is_file():
        raise ImcbenchError(f"results database {str(path)!r} not found: run 'imcbench sweep SPEC --out {path}' first")
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head[8:12] != DUCKDB_MAGIC:
        raise ImcbenchError(f"{path} is not a DuckDB database (wrong header): it is left untouched; "
                            "give an imcbench results file, or another --out path")
    try:
        return duckdb.connect(utf8_path(path), read_only=read_only)
    except duckdb.Error as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise ImcbenchError(f"{path} is open in another process (a running sweep writes it): wait for it to "
                                "finish, or read a copy of the file") from None
        if not read_only and ("permission denied" in text.lower() or "read-only" in text.lower()):
            raise ImcbenchError(f"{path} is read-only (the file or its folder): a sweep adds to it; make it "
                                "writable, or give another --out (imcbench results and pareto can read it as it "
                                "is)") from None
        raise ImcbenchError(f"{path} cannot be opened as a DuckDB database (corrupt, or written by another DuckDB "
                            f"version): {text.splitlines()[0]}") from None


def open_results(path: str | Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
    """A read-only connection to an imcbench results database and its metadata."""
    con = connect(path, read_only=True)
    try:
        return con, _meta(con, Path(path))
    except ImcbenchError:
        con.close()
        raise


def _meta(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
    except duckdb.Error as exc:
        raise ImcbenchError(f"{path} is damaged: cannot read its tables ({str(exc).splitlines()[0]})") from None
    if meta.get("format") != FORMAT or not set(TABLES) <= tables:
        raise ImcbenchError(f"{path} is a DuckDB database but not an imcbench sweep results file (no meta table "
                            f"with format {FORMAT!r}): it is left untouched; give another --out path")
    return meta


def _create_atomically(path: Path, meta: dict[str, str], extra_columns: dict[str, str]) -> None:
    """Build the empty database under a temporary name, then rename it to ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        _build(tmp, path, meta, extra_columns)
    except (duckdb.Error, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        raise ImcbenchError(f"cannot create the results database {path} ({reason}): free some disk space or "
                            "give a writable --out") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}.wal")):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)


def _build(tmp: Path, path: Path, meta: dict[str, str], extra_columns: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(utf8_path(tmp))
    try:
        con.execute(_create_table("results", result_columns(extra_columns)))
        con.execute(_create_table("layers", LAYER_COLUMNS, primary_key=("point_id", "layer_index")))
        con.execute(_create_table("skipped", SKIPPED_COLUMNS))
        con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        rows = meta | {"format": FORMAT, "schema_version": SCHEMA_VERSION, "imcbench_version": imcbench.__version__,
                       "created_utc": _now()}
        con.executemany("INSERT INTO meta VALUES (?, ?)", [[k, str(v)] for k, v in rows.items()])
        con.execute("CHECKPOINT")  # into the file itself; a full disk fails here, not silently at close
    finally:
        con.close()
    Path(f"{path}.wal").unlink(missing_ok=True)  # a write-ahead log of the replaced file must not replay
    os.replace(tmp, path)


def _add_group_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Give a database written before an energy group existed (``interconnect``) its column, so that a
    resumed sweep can store new rows. Its rows get 0: the imcbench that wrote them had no such cost
    and read no spec that could set one (the spec hash is unchanged)."""
    for table in ("results", "layers"):
        present = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = ?", [table]).fetchall()}
        for column in LAYER_GROUP_COLUMNS:
            if column not in present:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{column}" DOUBLE DEFAULT 0')


def _create_table(name: str, columns: dict[str, str], primary_key: tuple[str, ...] = ()) -> str:
    body = [f'"{c}" {t}' for c, t in columns.items()]
    if primary_key:
        body.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in primary_key) + ")")
    return f"CREATE TABLE {name} (" + ", ".join(body) + ")"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


GROUP_COLUMNS = dict(zip(ENERGY_GROUPS, LAYER_GROUP_COLUMNS))  # energy group -> its column in results and layers


def read_totals(path: str | Path, columns: Sequence[str], *, layer_kind: str | None = None,
                layer_sums: Sequence[str] = (), order_by: Sequence[str] = ()) -> pd.DataFrame:
    """The ``results`` rows of a sweep database (one per design point and network): their ``columns``,
    then for each of ``layer_sums`` its sum over the point's layers of kind ``layer_kind`` (e.g. the
    attention layers' energy), named ``<layer_kind>_<column>`` and 0 for a point without such layers;
    sorted by ``order_by``. Every name must be a column of its table, else an ImcbenchError names it."""
    con, _ = open_results(path)
    try:
        _require_columns(con, path, "results", [*columns, *order_by])
        _require_columns(con, path, "layers", layer_sums)
        select = [f"r.{_quote(c)}" for c in columns]
        join, params = "", []
        if layer_sums:
            select += [f"coalesce(a.{_quote(c)}, 0) AS {_quote(f'{layer_kind}_{c}')}" for c in layer_sums]
            sums = ", ".join(f"sum({_quote(c)}) AS {_quote(c)}" for c in layer_sums)
            join = (f" LEFT JOIN (SELECT point_id, {sums} FROM layers WHERE layer_kind = ? GROUP BY point_id) a "
                    "USING (point_id)")
            params = [layer_kind]
        order = (" ORDER BY " + ", ".join(f"r.{_quote(c)}" for c in order_by)) if order_by else ""
        return con.execute(f"SELECT {', '.join(select)} FROM results r{join}{order}", params).df()
    finally:
        con.close()


def _require_columns(con: duckdb.DuckDBPyConnection, path: str | Path, table: str, names: Sequence[str]) -> None:
    present = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                         "ORDER BY ordinal_position", [table]).fetchall()]
    missing = [n for n in names if n not in present]
    if missing:
        raise ImcbenchError(f"{path}: the {table} table has no column {', '.join(map(repr, missing))} (it has "
                            f"{', '.join(present)}): read it with the imcbench that wrote it, or run the sweep again")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def export(con: duckdb.DuckDBPyConnection, sql: str, out: str | Path) -> int:
    """Write the rows of ``sql`` to a Parquet or CSV file (by suffix), atomically; returns the row count."""
    out = Path(out)
    formats = {".parquet": "(FORMAT parquet)", ".csv": "(FORMAT csv, HEADER true)"}
    if out.suffix.lower() not in formats:
        raise ImcbenchError(f"--export {out}: the file name must end in .parquet or .csv")
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        count = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
        quoted = str(tmp).replace("'", "''")
        con.execute(f"COPY ({sql}) TO '{quoted}' {formats[out.suffix.lower()]}")
        os.replace(tmp, out)
    except (duckdb.Error, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        raise ImcbenchError(f"export to {out} failed: {reason}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return int(count)
