"""Command-line interface: ``imcbench <command>``; ``main`` turns user errors into one line + exit 2."""

from __future__ import annotations

import sys

from imcbench.cli.app import app, err_console
from imcbench.errors import ImcbenchError

# Each module registers its subcommand(s) on `app` when imported.
from imcbench.cli import macro_cmd, workload_cmd, scaling_cmd  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``imcbench`` command."""
    try:
        app(args=argv, standalone_mode=False)
    except ImcbenchError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted: results already written are kept", highlight=False)
        sys.exit(130)
    except _click_exceptions() as exc:  # usage errors: unknown option, bad value, ...
        _report_click_error(exc)


def _click_exceptions() -> tuple[type[BaseException], ...]:
    import click

    return (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit)


def _report_click_error(exc: BaseException) -> None:
    import click

    if isinstance(exc, click.exceptions.Exit):
        sys.exit(exc.exit_code)
    if isinstance(exc, click.exceptions.Abort):
        err_console.print("aborted", highlight=False)
        sys.exit(130)
    exc.show()  # type: ignore[attr-defined]
    sys.exit(getattr(exc, "exit_code", 2))
