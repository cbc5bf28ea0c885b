"""``imcbench hetero``: software, all-IMA, hybrid and optimal allocations of a network on a cluster."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, print_json
from imcbench.errors import ImcbenchError
from imcbench.safeio import StagedFolder, check_output_folder

JSON_FILE = "hetero.json"


class HeteroObjective(str, Enum):
    latency = "latency"
    energy = "energy"
    edp = "edp"


@app.command("hetero")
def hetero_command(
    network: str = typer.Option(..., "--network", "-n", help="built-in network name or ONNX / YAML file"),
    system: Path = typer.Option(..., "--system", "-s", help="cluster YAML (see examples/hetero_ima.yaml)"),
    block: Optional[int] = typer.Option(None, "--block", help="only bottleneck block N (pw-expand, dw, pw-project)"),
    objective: HeteroObjective = typer.Option(HeteroObjective.latency, "--objective",
                                              help="what the search for the optimal allocation minimises"),
    area_budget: Optional[float] = typer.Option(None, "--area-budget", help="area budget of the optimum (mm2)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    out: Optional[Path] = typer.Option(None, "--out", help="write figures (PNG, SVG) and the JSON into this folder"),
    force: bool = typer.Option(False, "--force", help="overwrite output files that exist"),
) -> None:
    """Compare software only, all layers on IMAs, the hybrid (depthwise on the cores) and the searched optimum."""
    from imcbench.hetero import bottleneck, compare, load_hetero_system
    from imcbench.workload import load_workload

    if out is not None:  # fail before the work; every file is checked again when it is moved in
        check_output_folder(out, [JSON_FILE], force, option="--out")
    cluster = load_hetero_system(system)
    net = load_workload(network)
    if block is not None:
        net = bottleneck(net, block)
    if area_budget is not None and not area_budget > 0:
        raise ImcbenchError(f"--area-budget {area_budget} must be > 0 (mm2)")
    result = compare(net, cluster, objective.value, area_budget)
    if out is not None:
        _write(result, out, force)
    if as_json:
        print_json(result.to_dict())
        return
    _print(result, out)


def _write(result, out: Path, force: bool) -> None:
    """The JSON and figures, written into ``out`` all at once (imcbench.safeio.StagedFolder)."""
    from imcbench.hetero.figures import hetero_figures
    from imcbench.figspec import save_static

    try:
        with StagedFolder(out, force, option="--out") as stage:
            (stage.path / JSON_FILE).write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
            for spec in hetero_figures(result):
                save_static(spec, stage.path)
    except OSError as exc:
        raise ImcbenchError(f"cannot write into {str(out)!r}: {exc.strerror or exc}") from None


def _print(result, out: Path | None) -> None:
    from imcbench.hetero.compare import CONFIGURATIONS, PAPER_AREA_SAVING, PAPER_SPEEDUP

    shapes = Table(title=f"{result.network}: layers")
    for header in ("layer", "kind", "C", "K", "OYxOX", "F/s", "MACs", "weights"):
        shapes.add_column(header, justify="left" if header in ("layer", "kind") else "right")
    for l in result.shapes:
        shapes.add_row(l["name"], l["kind"], str(l["C"]), str(l["K"]), f"{l['OY']}x{l['OX']}",
                       f"{l['F']}/{l['stride']}", f"{l['macs']:,}", f"{l['weights']:,}")
    if len(result.shapes) <= 12:
        console.print(shapes)
    table = Table(title=f"{result.network} on {result.system} (optimum: {result.objective}"
                        + (f", area <= {result.area_budget:g} mm2" if result.area_budget else "")
                        + f"; {result.search_method} search, {result.evaluated} allocations)")
    for header in ("configuration", "latency (us)", "GOPS", "energy (uJ)", "TOPS/W", "area (mm2)", "crossbars",
                   "speed-up", "busy (us)"):
        table.add_column(header, justify="left" if header in ("configuration", "busy (us)") else "right")
    for name in CONFIGURATIONS:
        r = result.results[name]
        busy = ", ".join(f"{e} {t / 1e3:,.1f}" for e, t in r.busy_ns.items())
        table.add_row(name, f"{r.latency_ns / 1e3:,.1f}", f"{r.gops:,.1f}", f"{r.energy_pj / 1e6:,.2f}",
                      f"{r.tops_per_w:.3f}", f"{r.area_mm2:.2f}", str(sum(r.crossbars.values())),
                      f"{result.speedup(name):.2f}x", busy)
    console.print(table)
    s = result.similar_all_ima
    console.print(f"hybrid: {result.speedup('hybrid'):.2f}x faster than software (paper: {PAPER_SPEEDUP:g}x); "
                  f"{100 * result.area_saving:.0f}% less area (paper: {100 * PAPER_AREA_SAVING:.0f}%) than the "
                  f"smallest all-IMA configuration at least as fast: {s.area_mm2:.2f} mm2, "
                  f"{sum(s.crossbars.values())} crossbars, {result.similar_latency_ratio:.2f}x the hybrid's latency"
                  + ("" if result.similar_within_tolerance else " (no all-IMA configuration reaches the hybrid's "
                                                                "latency: the fastest is shown)"),
                  highlight=False)
    optimal = result.results["optimal"]
    if len(optimal.allocation) <= 12:
        console.print("optimal allocation: " + ", ".join(f"{k} -> {v}" for k, v in optimal.allocation.items()),
                      highlight=False)
    if out is not None:
        console.print(f"figures and hetero.json written to {out}", highlight=False)
