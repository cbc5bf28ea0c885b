"""Accuracy-aware sweeps: the ``min_sqnr_db`` constraint keeps only designs whose worst layer is accurate enough."""

from __future__ import annotations

import pytest

from imcbench.accuracy import layer_sqnr_db
from imcbench.dse.runner import RunOptions, run_sweep
from imcbench.dse.spec import SweepSpec, resolve_spec
from imcbench.dse.store import open_results
from imcbench.workload import load_workload


def test_min_sqnr_constraint_skips_inaccurate_aimc_designs(tmp_path):
    spec = SweepSpec(name="sqnr", networks=["resnet8"], hardware={"preset": "paper"}, fixed={"cols": "same_as_rows"},
                     grid={"kind": ["aimc", "dimc"], "rows": [32, 1024]}, constraints={"min_sqnr_db": 22})
    run_sweep(resolve_spec(spec), tmp_path / "s.duckdb", RunOptions(executor="serial"))
    con, _ = open_results(tmp_path / "s.duckdb")
    stored = set(con.execute("SELECT kind, rows FROM results").fetchall())
    skipped = con.execute("SELECT reason, detail FROM skipped").fetchall()
    con.close()
    # the paper's ADC rule gives 4.5 bits at 32 rows: ResNet-8's worst layer is far below 22 dB there
    worst_32 = min(float(layer_sqnr_db(layer, 32, 4.5, 2)) for layer in load_workload("resnet8"))
    assert worst_32 < 22
    assert stored == {("aimc", 1024), ("dimc", 32), ("dimc", 1024)}  # DIMC is exact: always kept
    assert len(skipped) == 1 and "min_sqnr_db" in skipped[0][0] and f"{worst_32:.1f} dB" in skipped[0][1]


def test_unknown_constraint_is_named():
    from imcbench.errors import ImcbenchError

    spec = SweepSpec(name="x", networks=["resnet8"], grid={"kind": ["aimc"], "rows": [32]},
                     constraints={"min_sqnr": 22})
    with pytest.raises(ImcbenchError, match="min_sqnr_db"):
        resolve_spec(spec)
