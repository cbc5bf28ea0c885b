"""Command-line interface: ``imcbench <command>``; ``main`` turns user errors into one line + exit 2."""

from __future__ import annotations

import sys

from imcbench.cli.app import err_console, root_command
from imcbench.errors import ImcbenchError


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``imcbench`` command.

    Typer runs in standalone mode, so usage errors (unknown option, a value of the wrong type) print
    the usage and exit with 2; our own errors and failed file operations (permissions, a full disk) print
    one line and exit with 2; no traceback either way.
    """
    try:
        root = root_command()
        try:
            root.load(sys.argv[1:] if argv is None else list(argv))
        except KeyboardInterrupt:  # while importing the command's module: as in __main__, nothing ran yet
            err_console.print("interrupted: while starting, nothing was done", highlight=False)
            sys.exit(130)
        root(args=argv, prog_name="imcbench")
    except ImcbenchError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a read-only place, a full disk, a vanished folder: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"[bold red]error:[/] {where}{exc.strerror or exc}; check the path, its permissions and the "
                          "free disk space (anything finished before is kept)", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted: results already written are kept", highlight=False)
        sys.exit(130)
