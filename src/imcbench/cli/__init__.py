"""Command-line interface: ``imcbench <command>``; ``main`` turns user errors into one line + exit 2."""

from __future__ import annotations

import sys

from imcbench.cli.app import app, err_console
from imcbench.errors import ImcbenchError

# Each module registers its subcommand(s) on `app` when imported.
from imcbench.cli import macro_cmd, workload_cmd, scaling_cmd, evaluate_cmd, validate_cmd, accuracy_cmd, study_cmd, sweep_cmd, results_cmd, hetero_cmd, llm_cmd  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``imcbench`` command.

    Typer runs in standalone mode, so usage errors (unknown option, a value of the wrong type) print
    the usage and exit with 2; our own errors print one line and exit with 2; no traceback either way.
    """
    try:
        app(args=argv, prog_name="imcbench")
    except ImcbenchError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted: results already written are kept", highlight=False)
        sys.exit(130)
