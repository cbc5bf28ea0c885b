"""The `imcbench` Typer application and its error boundary.

Subcommands live in their own modules (``imcbench.cli.<name>_cmd``) and register on ``app``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

app = typer.Typer(
    name="imcbench",
    help="Benchmark analog (AIMC) and digital (DIMC) in-memory-computing accelerators for DNN inference.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PIPE_WIDTH = 200  # a pipe or file gets wide tables (rich would assume 80 columns); a terminal keeps its width

console = Console()
if not console.is_terminal:
    console = Console(width=PIPE_WIDTH, no_color=True)
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (plain, so it can be piped)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")
