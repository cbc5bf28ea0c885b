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
