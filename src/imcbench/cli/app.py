"""The `imcbench` Typer application and its error boundary.

Subcommands live in their own modules (``imcbench.cli.<name>_cmd``) and register on ``app``. A run imports
only the module of the command it runs (start-up time: each module pulls in its own libraries, and typer
builds a command's options when the command is built); ``COMMANDS`` says where each command lives.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

import typer
import typer.main
from rich.console import Console
from typer.core import TyperGroup


class CommandEntry(NamedTuple):
    module: str  # imcbench.cli.<module> registers the command on `app` when imported
    summary: str  # first paragraph of the command's docstring: the root --help lists it without the import
    matrix_free: bool = False  # multiplies no matrices: numpy may load without its BLAS thread pool


# In the order the root --help lists them; tests/test_lazy_imports.py checks the table against the commands.
COMMANDS: dict[str, CommandEntry] = {
    "macro": CommandEntry("macro_cmd", "Peak energy, clock period, area and throughput of one AIMC or DIMC macro.",
                          matrix_free=True),
    "peak": CommandEntry("macro_cmd", "The paper's peak comparison: AIMC (2 b/cycle, paper ADC rule) vs DIMC "
                                      "(bit-serial), square macros.", matrix_free=True),
    "workload": CommandEntry("workload_cmd", "List the MAC layers of a network: loop dimensions, stride, MACs, "
                                             "weights, producers."),
    "scaling": CommandEntry("scaling_cmd", "Fundamental limits: e_op of scalar, digital IMC and analog IMC "
                                           "(resident, rewritten, MMM) vs N and bits."),
    "evaluate": CommandEntry("evaluate_cmd", "Map every layer of a network on a system and report energy, "
                                             "latency and area, layer by layer."),
    "validate": CommandEntry("validate_cmd", "Model vs reported TOPS/W and TOPS/mm2 of published chips, "
                                             "calibrated beside the paper's model."),
    "calibrate": CommandEntry("validate_cmd", "Fit the macro model's factors on a chip CSV (robust log least "
                                              "squares, nested leave-one-chip-out CV)."),
    "accuracy": CommandEntry("accuracy_cmd", "SQNR of every layer of a network and digits accuracy, against the "
                                             "ADC resolution of an AIMC macro."),
    "study": CommandEntry("study_cmd", "Run the AIMC-vs-DIMC study (peak, layer types, networks) and write "
                                       "report.html with its figures."),
    "sweep": CommandEntry("sweep_cmd", "Evaluate every design point of SPEC on its networks and store the "
                                       "results; re-run to resume."),
    "results": CommandEntry("results_cmd", "Summary of a results database, its rows, a SQL query, or an export "
                                           "to Parquet/CSV."),
    "pareto": CommandEntry("results_cmd", "Pareto front(s) of a results database over any metrics, one per "
                                          "network (or across networks)."),
    "hetero": CommandEntry("hetero_cmd", "Compare software only, all layers on IMAs, the hybrid (depthwise on "
                                         "the cores) and the searched optimum."),
    "llm": CommandEntry("llm_cmd", "Energy per token, tokens/s, area, weights regime, KV-cache share and cell "
                                   "lifetime of one LLM step."),
}


def build_command(name: str) -> typer.core.TyperCommand:
    """The click command ``name``, built from its module's registration on ``app`` (imported here)."""
    if COMMANDS[name].matrix_free:
        load_numpy_single_threaded()
    importlib.import_module(f"imcbench.cli.{COMMANDS[name].module}")
    info = next(info for info in app.registered_commands if info.name == name)
    return typer.main.get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                            rich_markup_mode=app.rich_markup_mode)


def load_numpy_single_threaded() -> None:
    """Import numpy with a one-thread OpenBLAS, unless it is loaded already or the user set the thread count.

    OpenBLAS starts its thread pool when numpy loads, and the idle threads spin for a while: ~50 ms of CPU
    (and of wall time on a busy machine) that a command without matrix products never uses. Elementwise
    numpy does not use BLAS, so results are the same. The variable is only read at load: it is removed again.
    """
    if "numpy" in sys.modules or "OPENBLAS_NUM_THREADS" in os.environ:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        import numpy  # noqa: F401
    finally:
        del os.environ["OPENBLAS_NUM_THREADS"]


class _LazyCommands(MutableMapping):
    """Name -> click command; every name of COMMANDS is present, its command built on first access."""

    def __init__(self, built: dict) -> None:
        self._built = dict(built)

    def __getitem__(self, name: str):
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = build_command(name)
        return self._built[name]

    def __setitem__(self, name: str, command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._built]))

    def __contains__(self, name: object) -> bool:  # without building the command
        return name in COMMANDS or name in self._built

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._built))


class LazyGroup(TyperGroup):
    """The root command: lists every command of COMMANDS, imports and builds one when it is run."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _LazyCommands(self.commands)
        self._listing = False

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)

    def load(self, args: list[str]) -> None:
        """Import and build the command ``args`` run (root options are --help only: it is the first word)."""
        if args and args[0] in self.commands:
            self.commands[args[0]]

    def get_command(self, ctx, cmd_name: str):
        if self._listing and cmd_name in COMMANDS:  # the root --help shows names and summaries only
            return typer.core.TyperCommand(cmd_name, help=COMMANDS[cmd_name].summary)
        return self.commands.get(cmd_name)

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="imcbench",
    cls=LazyGroup,
    help="Benchmark analog (AIMC) and digital (DIMC) in-memory-computing accelerators for DNN inference.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def root_command() -> LazyGroup:
    """The click group of ``app`` (typer's own ``app()`` needs every command registered beforehand)."""
    return typer.main.get_group(app)


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
