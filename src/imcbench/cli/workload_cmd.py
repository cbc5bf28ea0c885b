"""``imcbench workload NAME_OR_PATH``: show the MAC layers of a workload (table or JSON)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, err_console, print_json

if TYPE_CHECKING:
    from imcbench.workload.layer import Layer

_DIM_ORDER = ("K", "C", "OY", "OX", "FY", "FX", "G", "B")


@app.command("workload")
def workload(
    name_or_path: str = typer.Argument(..., metavar="NAME_OR_PATH",
                                       help="Built-in network name (resnet8, ds_cnn, mobilenet_v1, "
                                            "deepautoencoder, mobilenet_v2, resnet18, bert_tiny), an LLM "
                                            "workload (gpt2:decode:L=1024, llama-3.2-1b-prefill-512, "
                                            "llama-2-7b:decode:L=4096:B=16) or a .onnx / .yaml file."),
    as_json: bool = typer.Option(False, "--json", help="Print the layers as JSON on stdout."),
    act_bits: Optional[int] = typer.Option(None, "--act-bits", help="Override activation precision."),
    weight_bits: Optional[int] = typer.Option(None, "--weight-bits", help="Override weight precision."),
    out_bits: Optional[int] = typer.Option(None, "--out-bits", help="Override output precision."),
    batch: Optional[int] = typer.Option(None, "--batch", help="Batch (sequences for an LLM workload)."),
) -> None:
    """List the MAC layers of a network: loop dimensions, stride, MACs, weights, producers."""
    from imcbench.workload.coverage import coverage_text
    from imcbench.workload.loader import load_workload

    # Import warnings (skipped operators, assumed batch) go to stderr as one line each.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network = load_workload(name_or_path, act_bits=act_bits, weight_bits=weight_bits,
                                out_bits=out_bits, batch=batch)
    for warning in caught:
        err_console.print(f"[yellow]warning:[/] {warning.message}", highlight=False, soft_wrap=True)

    if as_json:
        print_json(network.to_dict())
        return
    index = {layer.name: i for i, layer in enumerate(network.layers)}
    table = Table()
    for column, justify, wrap in (("#", "right", False), ("name", "left", True), ("kind", "left", False),
                                  ("dims", "left", False), ("stride", "left", False),
                                  ("MACs", "right", False), ("weights", "right", False),
                                  ("inputs", "left", True)):
        table.add_column(column, justify=justify, no_wrap=not wrap, overflow="fold")
    for i, layer in enumerate(network.layers):
        table.add_row(str(i), _short(layer.name), layer.kind.value, _dims(layer),
                      f"{layer.stride[0]}x{layer.stride[1]}", f"{layer.macs:,}", f"{layer.weights:,}",
                      " ".join(f"#{index[p]}" for p in layer.inputs) or "-")
    table.add_section()
    table.add_row("", "total", "", "", "", f"{network.total_macs:,}", f"{network.total_weights:,}", "")
    out = console  # wide when piped (see imcbench.cli.app)
    coverage = coverage_text(network.total_macs, network.skipped)  # the MACs the total misses, if any
    out.print(f"{network.name}: {len(network)} MAC layers" + (f"; {coverage}" if coverage else ""), highlight=False,
              soft_wrap=True)
    out.print(table)


def _dims(layer: Layer) -> str:
    """Compact loop bounds, e.g. ``K64 C32 OY16 OX16 FY3 FX3 G1 B1``."""
    return " ".join(f"{d}{getattr(layer, d)}" for d in _DIM_ORDER)


def _short(name: str, limit: int = 48) -> str:
    """Keep the informative tail of very long names (TFLite exports join whole op paths)."""
    return name if len(name) <= limit else "…" + name[-(limit - 1):]
