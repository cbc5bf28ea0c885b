"""``imcbench evaluate``: a network on a hardware description, layer by layer."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, print_json
from imcbench.cli.stages import Stages
from imcbench.safeio import atomic_path, ensure_writable

if TYPE_CHECKING:
    from imcbench.evaluation import NetworkResult


class ObjectiveChoice(str, Enum):
    energy = "energy"
    latency = "latency"
    edp = "edp"


@app.command("evaluate")
def evaluate_command(
    network: str = typer.Option(..., "--network", "-n", help="built-in network name or ONNX / YAML file"),
    hardware: str = typer.Option(..., "--hardware", "-H",
                                 help="hardware YAML (imcbench or ZigZag format) or a preset like paper-aimc-256"),
    objective: ObjectiveChoice = typer.Option(ObjectiveChoice.energy, "--objective", help="what the mapper minimises"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    csv: Optional[Path] = typer.Option(None, "--csv", help="also write the per-layer table to this CSV file"),
    force: bool = typer.Option(False, "--force", help="overwrite the --csv file if it exists"),
    zigzag_compatible: bool = typer.Option(
        False, "--zigzag-compatible",
        help="ZigZag's mapping space and conventions (no diagonal or group packing, adjacent-only activation "
             "reuse, DIMC multipliers charged on the full array), for side-by-side comparisons"),
) -> None:
    """Map every layer of a network on a system and report energy, latency and area, layer by layer."""
    from imcbench.evaluation import evaluate  # here, not at the top: `imcbench --help` does not load the mapper
    from imcbench.hardware import load_system
    from imcbench.hardware.presets import ZIGZAG_COMPATIBLE
    from imcbench.workload import load_workload

    if csv is not None:
        ensure_writable(csv, force, option="--csv")  # before the work, not after it
    system = load_system(hardware)
    if zigzag_compatible:
        system = system.with_options(**ZIGZAG_COMPATIBLE)
    net = load_workload(network)
    with Stages("evaluate").counter("layer", len(net.layers)) as layers:  # large systems take minutes
        result = evaluate(net, system, objective.value, on_layer=layers)
    if csv is not None:
        with atomic_path(csv) as tmp:
            result.to_dataframe().to_csv(tmp, index=False)
    if as_json:
        print_json(result.to_dict())
        return
    _print_result(result)


def _print_result(result: NetworkResult) -> None:
    table = Table(title=f"{result.network} on {result.system} (objective: {result.objective}); mapping: "
                        "rows | columns; loop order over K-tiles, Row-tiles, Pixels (outer > inner)")
    for header in ("layer", "kind", "MACs", "energy (nJ)", "cycles", "util", "TOPS/W", "mapping"):
        table.add_column(header, justify="left" if header in ("layer", "kind", "mapping") else "right",
                         overflow="fold")
    for layer in result.layers:
        table.add_row(layer.name[-28:], layer.kind, f"{layer.macs:,}", f"{layer.energy_pj / 1e3:,.1f}",
                      f"{layer.latency_cycles:,.0f}", f"{layer.spatial_utilization:.0%}", f"{layer.tops_per_w:.2f}",
                      layer.mapping["short"])
    console.print(table)
    from imcbench.evaluation import OPTIONAL_ENERGY_GROUPS

    groups = {g: v for g, v in result.energy_by_group_pj().items()
              if v or g not in OPTIONAL_ENERGY_GROUPS}  # ideal links, no leakage (the defaults): no zeros listed
    total = result.energy_pj
    summary = Table(show_header=False, box=None)
    summary.add_row("energy", f"{total / 1e6:,.3f} uJ  (" + ", ".join(
        f"{name} {100 * value / total:.0f}%" for name, value in groups.items()) + ")")
    summary.add_row("latency", f"{result.latency_cycles:,.0f} cycles x {result.tclk_ns:.3f} ns = "
                               f"{result.latency_ns / 1e3:,.2f} us")
    if "interconnect_stall" in result.cycle_breakdown:  # the system models its links
        summary.add_row("links", f"{groups.get('interconnect', 0.0) / 1e6:,.3f} uJ, "
                                 f"{result.cycle_breakdown['interconnect_stall']:,.0f} stall cycles")
    summary.add_row("area", f"{result.area_mm2:.4f} mm2")
    summary.add_row("efficiency", f"{result.tops_per_w:.3f} TOPS/W, {result.tops:.4f} TOPS, "
                                  f"{result.tops_per_mm2:.4f} TOPS/mm2 ({result.macs:,} MACs)")
    coverage = result.coverage_text()
    if coverage is not None:  # the totals above miss MACs of the source model: say so
        summary.add_row("coverage", coverage)
    console.print(summary)
