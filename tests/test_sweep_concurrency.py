"""Two sweeps on one new results file, and Ctrl-C during a sweep (issue 13, items 16 and 17)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from imcbench.dse.runlock import RunLock
from imcbench.errors import ImcbenchError

SPEC = """
name: {name}
networks: [deepautoencoder]
fixed: {{cols: same_as_rows}}
grid: {{kind: [aimc, dimc], rows: {rows}}}
"""
# Both processes import imcbench first, then wait for the same instant, then run the sweep.
AT_ONCE = ("import sys, time\n"
           "from imcbench.cli import main\n"
           "time.sleep(max(0.0, float(sys.argv[1]) - time.time()))\n"
           "main(sys.argv[2:])\n")


def rows_of(out: Path) -> list[tuple]:
    con = duckdb.connect(str(out), read_only=True)
    try:
        return con.execute("SELECT kind, rows, network FROM results ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_two_sweeps_started_together_never_mix_or_lose_rows(tmp_path):
    grids = {"a": [64, 128], "b": [32, 96, 160]}  # spec a: 4 designs; spec b: 6 designs, no row in common
    specs = {}
    for name, rows in grids.items():
        specs[name] = tmp_path / f"{name}.yaml"
        specs[name].write_text(SPEC.format(name=name, rows=rows))
    expected = {name: sorted((k, r, "deepautoencoder") for k in ("aimc", "dimc") for r in rows)
                for name, rows in grids.items()}
    for attempt in range(4):
        out = tmp_path / f"race{attempt}" / "r.duckdb"  # a new file in a new folder, every time
        start = time.time() + 4.0
        procs = {name: subprocess.Popen([sys.executable, "-c", AT_ONCE, str(start), "sweep", str(spec), "--out",
                                         str(out), "--executor", "serial", "--json"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name, spec in specs.items()}
        outcome = {name: (p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for name, p in procs.items()}
        for p in procs.values():
            p.stdout.close()
            p.stderr.close()
        winners = [name for name, (code, _, _) in outcome.items() if code == 0]
        assert winners, outcome
        for name, (code, stdout, stderr) in outcome.items():
            assert "Traceback" not in stderr, stderr
            if code:
                assert code == 2 and ("locked by another run (pid" in stderr or "another sweep spec" in stderr), stderr
            else:
                assert json.loads(stdout)["stored"] == len(expected[name])
        stored = rows_of(out)
        # the file holds one spec's rows, all of them, and that run said it stored them
        assert stored in [expected[name] for name in winners], (stored, outcome)
        assert not list(out.parent.glob(".*lock")) and not list(out.parent.glob("*tmp*"))


def test_the_lock_names_its_owner_and_is_released(tmp_path):
    out = tmp_path / "r.duckdb"
    with RunLock.acquire(out):
        child = subprocess.run([sys.executable, "-c", "from imcbench.dse.runlock import RunLock; import sys; "
                                "RunLock.acquire(sys.argv[1])", str(out)], capture_output=True, text=True)
        assert f"locked by another run (pid {os.getpid()})" in child.stderr
    with RunLock.acquire(out):  # released: free again
        pass


def test_a_killed_owner_leaves_no_stale_lock(tmp_path):
    out = tmp_path / "r.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from imcbench.dse.runlock import RunLock; "
                               "RunLock.acquire(sys.argv[1]); print('held', flush=True); time.sleep(60)", str(out)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ImcbenchError, match=f"pid {holder.pid}"):
            RunLock.acquire(out)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert (tmp_path / ".r.duckdb.lock").exists()  # the dead owner's file is still there ...
    RunLock.acquire(out).release()  # ... and taken over


# --- Ctrl-C ---------------------------------------------------------------------------------------
# 192 cheap designs in batches of one: many database writes, so a Ctrl-C often lands in one of them.
MANY = """
name: many
networks: [deepautoencoder]
fixed: {cols: same_as_rows}
grid: {kind: [aimc, dimc], rows: [32, 64, 128, 256], vdd: [0.8, 0.85, 0.9, 0.95, 1.0, 1.05], node_nm: [16, 22, 28, 40]}
"""
MANY_EVALUATIONS = 192
INTERRUPTED = r"interrupted: (?:([\d,]+) of ([\d,]+) evaluations are stored|before the first evaluation|while starting)"


def stored_count(out: Path) -> int:
    con = duckdb.connect(str(out), read_only=True)
    try:
        return con.execute("SELECT (SELECT count(*) FROM results) + (SELECT count(*) FROM skipped)").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("after_lines, delay", [(0, 0.0), (1, 0.0), (1, 0.05), (1, 0.3), (2, 0.1)])
def test_ctrl_c_is_prompt_clean_and_resumable(tmp_path, after_lines, delay):
    """SIGINT at startup, right after a write, or a moment later: exit 130 within seconds, one
    'interrupted' line and no traceback, every stored row complete, and a re-run finishes the sweep."""
    import re

    spec = tmp_path / "many.yaml"
    spec.write_text(MANY)
    out = tmp_path / "many.duckdb"
    command = [sys.executable, "-m", "imcbench", "sweep", str(spec), "--out", str(out), "--workers", "2",
               "--batch-size", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = [proc.stderr.readline() for _ in range(after_lines)]
    assert all("sweep:" in line for line in seen), seen
    time.sleep(delay if after_lines else 2.5)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the sweep still runs 20 s after Ctrl-C: {proc.communicate()[1]}")
    waited = time.monotonic() - sent
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    if proc.returncode == 0:  # the sweep finished before the signal: nothing to check
        assert stored_count(out) == MANY_EVALUATIONS
        return
    assert proc.returncode == 130, stderr
    assert waited < 10, waited
    match = re.search(INTERRUPTED, stderr.strip().splitlines()[-1])
    assert match, stderr
    stored = stored_count(out) if out.exists() else 0
    if match.group(1):
        assert stored >= int(match.group(1).replace(",", "")) and int(match.group(2)) == MANY_EVALUATIONS
    resumed = subprocess.run(command[:-4] + ["--executor", "serial", "--json"], capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["already_done"] == stored and summary["already_done"] + summary["evaluated"] == MANY_EVALUATIONS
    assert stored_count(out) == MANY_EVALUATIONS
    assert not out.with_name(f".{out.name}.lock").exists()
