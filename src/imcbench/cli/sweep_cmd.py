"""``imcbench sweep``: run a sweep spec into a DuckDB results file, with a progress bar; resumable."""

from __future__ import annotations

import signal
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, err_console, print_json


class ExecutorChoice(str, Enum):
    local = "local"
    dask = "dask"
    serial = "serial"


@app.command("sweep")
def sweep_command(
    spec: Path = typer.Argument(..., help="sweep spec YAML (networks, hardware, grid/points or search)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="results database (DuckDB); default: SPEC name with .duckdb"),
    executor: ExecutorChoice = typer.Option(ExecutorChoice.local, "--executor",
                                            help="local processes, a Dask cluster, or serial (this process)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="Dask scheduler address tcp://HOST:PORT (default: a LocalCluster)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: one per CPU)"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1,
                                             help="design points per task (default: about 8 tasks per worker)"),
    force: bool = typer.Option(False, "--force", help="replace an --out database that belongs to another spec"),
    as_json: bool = typer.Option(False, "--json", help="print the run summary as JSON"),
) -> None:
    """Evaluate every design point of SPEC on its networks and store the results; re-run to resume."""
    from imcbench.cli.sweep_progress import BarProgress, LogProgress
    from imcbench.dse import runner
    from imcbench.dse.spec import load_spec
    from imcbench.dse.store import duckdb, is_interrupt

    loaded = load_spec(spec)
    out = out or Path(f"{spec.stem}.duckdb")
    options = runner.RunOptions(executor=executor.value, workers=workers, scheduler=scheduler,
                                batch_size=batch_size, force=force)
    signal.signal(signal.SIGTERM, _interrupt)  # a polite kill stops like Ctrl-C: finished batches are kept
    progress = BarProgress() if err_console.is_terminal else LogProgress()
    try:
        if loaded.spec.mode == "search":
            from imcbench.dse.search import run_search

            summary, front = run_search(loaded, out, options, progress)
        else:
            summary, front = runner.run_sweep(loaded, out, options, progress), None
    except (KeyboardInterrupt, RuntimeError, duckdb.Error) as exc:  # DuckDB reports a Ctrl-C in a query its way
        if not is_interrupt(exc):
            raise
        progress.stop()
        stored = (f"{progress.done:,} of {progress.total:,} evaluations are stored in {out} ({progress.new:,} from "
                  "this run)" if progress.total else "before the first evaluation, nothing new is stored")
        err_console.print(f"interrupted: {stored}; run the same command again to resume", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(130)
    finally:
        progress.stop()
    if loaded.spec.mode == "search":  # a grid without valid designs stops before it starts
        runner.require_valid_designs(summary.requested, summary.designs, summary.invalid)
    if as_json:
        print_json(summary.to_dict() | ({"front": front.to_dict(orient="records")} if front is not None else {}))
    else:
        _print_summary(summary)
    if front is not None and not as_json:
        from imcbench.cli.results_cmd import display_frame, print_frame

        print_frame(display_frame(front), title=f"search: Pareto front of {len(front)} designs (metrics aggregated over networks)")
    _require_some_result(summary)


def _require_some_result(s) -> None:
    """Every evaluation skipped (constraints, errors) and nothing stored before: an error, with the reasons."""
    if s.evaluated and not s.stored and not s.already_done:
        from imcbench.errors import ImcbenchError

        reasons = "; ".join(f"{count:,} x {reason}" for reason, count in sorted(s.skipped.items(), key=lambda kv: -kv[1]))
        raise ImcbenchError(f"no result stored: all {s.evaluated:,} evaluations were skipped ({reasons}); relax the "
                            "constraints or change the designs")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _print_summary(s) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("design points", f"{s.designs:,} valid of {s.requested:,} requested")
    for reason, count in sorted(s.invalid.items(), key=lambda kv: -kv[1]):
        table.add_row("  skipped", f"{count:,} x {reason}")
    table.add_row("evaluations", f"{s.evaluations:,} (design points x networks); {s.already_done:,} already in the "
                                 f"database, {s.evaluated:,} run now")
    for reason, count in sorted(s.skipped.items(), key=lambda kv: -kv[1]):
        table.add_row("  not stored", f"{count:,} x {reason} (e.g. {s.skipped_example.get(reason, '')})")
    rate = f"{s.evaluations_per_second:,.1f} evaluations/s" if s.evaluated else "nothing to do"
    table.add_row("run", f"{s.seconds:.2f} s on {s.workers} {s.executor} worker(s), {s.batches} batches: {rate}")
    table.add_row("results", f"{s.out}  (imcbench results {s.out}; imcbench pareto {s.out})")
    console.print(table)
