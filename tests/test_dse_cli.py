"""``imcbench sweep / results / pareto`` end to end: resume, exports, Pareto queries, bad files and specs,
local vs Dask executors, and sweeps killed mid-way (a worker, then the parent) resumed to the same results."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import run_cli
from imcbench.cli import main
from imcbench.dse.runner import RunOptions, run_sweep
from imcbench.dse.spec import load_spec
from imcbench.dse.store import open_results
from imcbench.errors import ImcbenchError

TINY = """
networks: [deepautoencoder, ds_cnn]
fixed: {cols: same_as_rows}
grid: {kind: [aimc, dimc], rows: [64, 128]}
"""
# 36 designs x DS-CNN, one design per task: 36 tasks, so the sweep can be stopped after the first
KILLABLE = """
name: killable
networks: [ds_cnn]
fixed: {cols: same_as_rows}
grid: {kind: [aimc, dimc], rows: [64, 128, 256], vdd: [0.8, 0.9, 1.0], node_nm: [22, 28]}
"""
KILLABLE_POINTS = 36
PROGRESS = re.compile(r"sweep: (\d+)/(\d+) evaluations")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def table(path: Path, name: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny sweep, run once in this process (local worker processes)."""
    folder = tmp_path_factory.mktemp("tiny")
    spec = write(folder, "tiny.yaml", TINY)
    out = folder / "tiny.duckdb"
    summary = run_sweep(load_spec(spec), out, RunOptions(executor="local", workers=2))
    return spec, out, summary.to_dict()


def imcbench(capsys, *args) -> str:
    """Run a command in this process (no interpreter start-up) and return its stdout; it must succeed."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    assert stop.value.code in (0, None), captured.err
    return captured.out


@pytest.fixture(scope="module")
def killable_reference(tmp_path_factory):
    """The uninterrupted run of the killable sweep (in this process)."""
    folder = tmp_path_factory.mktemp("killable")
    spec = write(folder, "killable.yaml", KILLABLE)
    out = folder / "reference.duckdb"
    run_sweep(load_spec(spec), out, RunOptions(executor="serial"))
    return spec, out


def test_sweep_then_resume_does_nothing(tiny):
    spec, out, first = tiny
    assert (first["designs"], first["evaluations"], first["evaluated"], first["stored"]) == (4, 8, 8, 8)
    again = run_cli("sweep", spec, "--out", out, "--json")
    assert again.returncode == 0, again.stderr
    assert (again.json()["evaluated"], again.json()["already_done"]) == (0, 8)
    results = table(out, "results")
    assert len(results) == results.point_id.nunique() == 8
    assert set(results.network) == {"deepautoencoder", "ds_cnn"}


def test_export_query_and_pareto(tiny, tmp_path, capsys):
    _, out, _ = tiny
    for suffix in ("parquet", "csv"):
        target = tmp_path / f"r.{suffix}"
        assert "wrote 8 rows" in imcbench(capsys, "results", out, "--export", target)
        back = duckdb.sql(f"SELECT * FROM '{target}'").df()  # DuckDB reads both formats by suffix
        assert len(back) == 8 and {"network", "kind", "rows", "cols", "tops_per_w", "tops_per_mm2"} <= set(back.columns)
    query = imcbench(capsys, "results", out, "--query", "SELECT kind, count(*) AS n FROM results GROUP BY kind "
                                                         "ORDER BY kind", "--json")
    assert json.loads(query) == [{"kind": "aimc", "n": 4}, {"kind": "dimc", "n": 4}]
    rows = json.loads(imcbench(capsys, "pareto", out, "--metrics", "tops_per_w:max,area_mm2:min",
                               "--network", "ds_cnn", "--json"))["rows"]
    every = table(out, "results").query("network == 'ds_cnn'")[["tops_per_w", "area_mm2"]].to_numpy()
    on_front = {(r["tops_per_w"], r["area_mm2"]) for r in rows}
    for tw, area in every:  # a row is on the front exactly when nothing beats it on both metrics
        beaten = ((every[:, 0] >= tw) & (every[:, 1] <= area) & ((every[:, 0] > tw) | (every[:, 1] < area))).any()
        assert ((tw, area) in on_front) == (not beaten)
    text = imcbench(capsys, "results", out, "--pareto", "tops_per_w,tops_per_mm2")
    assert "Pareto front" in text and "ds_cnn" in text


def test_export_of_layers_for_one_network(tiny, tmp_path, capsys):
    _, out, _ = tiny
    results, layers = table(out, "results"), table(out, "layers")
    ds_cnn_points = set(results.query("network == 'ds_cnn'").point_id)
    expected = layers[layers.point_id.isin(ds_cnn_points)]
    assert 0 < len(expected) < len(layers)  # the other network's layers must be left out
    target = tmp_path / "ds_cnn_layers.csv"
    text = imcbench(capsys, "results", out, "--export", target, "--table", "layers", "--network", "ds_cnn")
    assert f"wrote {len(expected)} rows" in text
    back = duckdb.sql(f"SELECT * FROM '{target}' ORDER BY point_id, layer_index").df()
    assert set(back.point_id) == ds_cnn_points
    assert back.layer_index.tolist() == expected.sort_values(["point_id", "layer_index"]).layer_index.tolist()
    # the other tables keep filtering on their own network column
    skipped = tmp_path / "skipped.csv"
    imcbench(capsys, "results", out, "--export", skipped, "--table", "skipped", "--network", "ds_cnn")
    assert skipped.exists()


def test_dask_local_cluster_gives_identical_results(tiny, tmp_path):
    pytest.importorskip("dask.distributed")
    _, local_out, _ = tiny
    out = tmp_path / "dask.duckdb"
    # a LocalCluster whose worker is a thread of this process, reached over TCP on loopback
    summary = run_sweep(load_spec(tiny[0]), out, RunOptions(executor="dask", workers=1, dask_processes=False))
    assert summary.executor == "dask" and summary.stored == 8
    for name in ("results", "layers"):
        pd.testing.assert_frame_equal(table(out, name), table(local_out, name))


def test_foreign_and_corrupt_files_are_refused_untouched(tiny, tmp_path):
    spec, out, _ = tiny
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(os.urandom(5000))
    before = junk.read_bytes()
    result = run_cli("sweep", spec, "--out", junk, "--force")
    assert result.returncode == 2 and "not a DuckDB database" in result.stderr and "Traceback" not in result.stderr
    assert junk.read_bytes() == before
    foreign = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    result = run_cli("results", foreign)
    assert result.returncode == 2 and "not an imcbench sweep results file" in result.stderr
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(out.read_bytes()[:20000])
    with pytest.raises(ImcbenchError, match="damaged|cannot be opened"):
        con, _ = open_results(damaged)
        con.execute("SELECT * FROM layers").fetchall()


def test_database_of_another_spec_needs_force(tiny, tmp_path):
    spec, out, _ = tiny
    other = write(tmp_path, "other.yaml", TINY.replace("rows: [64, 128]", "rows: [64]"))
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(out.read_bytes())
    refused = run_cli("sweep", other, "--out", copy)
    assert refused.returncode == 2 and "another sweep spec" in refused.stderr and "--force" in refused.stderr
    assert len(table(copy, "results")) == 8
    forced = run_sweep(load_spec(other), copy, RunOptions(executor="serial", force=True))
    assert forced.evaluated == 4 and len(table(copy, "results")) == 4


@pytest.mark.parametrize("text, message", [
    ("networks: [resnet8]\ngrid: {kind: [aimc], rowz: [64]}\n", "did you mean 'rows'"),
    ("networks: [resnet9]\ngrid: {kind: [aimc], rows: [64]}\n", "resnet9"),
])
def test_bad_specs_exit_2_with_one_line(tmp_path, text, message):
    result = run_cli("sweep", write(tmp_path, "bad.yaml", text), "--out", tmp_path / "x.duckdb")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


# --- interrupted sweeps ----------------------------------------------------------------------------
def start_sweep(spec: Path, out: Path) -> tuple[subprocess.Popen, queue.Queue]:
    proc = subprocess.Popen([sys.executable, "-m", "imcbench", "sweep", str(spec), "--out", str(out),
                             "--workers", "2", "--batch-size", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    return proc, lines


def wait_mid_way(lines: queue.Queue, timeout: float = 60) -> None:
    """Block until the sweep reports a finished batch while work remains."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = PROGRESS.search(lines.get(timeout=deadline - time.monotonic()))
        if match and 0 < int(match.group(1)) < int(match.group(2)):
            return
    raise AssertionError("the sweep never reported progress")


def children(pid: int) -> list[int]:
    psutil = pytest.importorskip("psutil")
    return [c.pid for c in psutil.Process(pid).children()]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def assert_same_results(out: Path, reference: Path) -> None:
    results = table(out, "results")
    assert len(results) == results.point_id.nunique() == KILLABLE_POINTS  # every point exactly once
    for name in ("results", "layers"):
        pd.testing.assert_frame_equal(table(out, name), table(reference, name))


def test_killed_worker_is_replaced_and_the_sweep_completes(killable_reference, tmp_path):
    spec, reference = killable_reference
    out = tmp_path / "w.duckdb"
    proc, lines = start_sweep(spec, out)
    try:
        wait_mid_way(lines)
        os.kill(children(proc.pid)[0], signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        stop(proc)
    assert proc.returncode == 0, proc.stdout.read()
    assert_same_results(out, reference)


def test_killed_parent_resumes_to_the_same_results(killable_reference, tmp_path):
    psutil = pytest.importorskip("psutil")
    spec, reference = killable_reference
    out = tmp_path / "p.duckdb"
    proc, lines = start_sweep(spec, out)
    try:
        wait_mid_way(lines)
        workers = children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in workers):
            assert time.monotonic() < deadline, "workers outlived their killed parent"
            time.sleep(0.05)
    finally:
        stop(proc)
    resumed = run_cli("sweep", spec, "--out", out, "--workers", "2", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = resumed.json()
    assert summary["already_done"] > 0 and summary["evaluated"] > 0
    assert summary["already_done"] + summary["evaluated"] == KILLABLE_POINTS
    assert_same_results(out, reference)
