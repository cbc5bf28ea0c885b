"""Progress of long commands (``accuracy``, ``calibrate``, ``evaluate``) on stderr, so stdout stays clean
for ``--json`` and pipes.

Quick runs print nothing: a stage announces itself only once it has run :data:`DELAY_S`, then says how
long it took; a counted loop (layers of a network) reports every :data:`LOG_INTERVAL_S` as a plain line,
or as a rich bar on a terminal.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Iterator

from imcbench.cli.app import err_console

DELAY_S = 1.0  # a stage or loop shorter than this prints nothing
LOG_INTERVAL_S = 2.0  # without a terminal, one line per loop at most this often


class Stages:
    """Stage lines ``COMMAND: what ...`` / ``COMMAND: what done in T s`` and counted progress."""

    def __init__(self, command: str):
        self.command = command
        self.terminal = err_console.is_terminal
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock:
            sys.stderr.write(f"{self.command}: {text}\n")
            sys.stderr.flush()

    @contextlib.contextmanager
    def stage(self, what: str) -> Iterator[None]:
        """Announce ``what`` if it is still running after DELAY_S; then report its duration."""
        start = time.monotonic()
        shown = threading.Event()

        def announce() -> None:
            shown.set()
            self.line(f"{what} ...")

        timer = threading.Timer(DELAY_S, announce)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            if shown.is_set():
                self.line(f"{what} done in {time.monotonic() - start:.1f} s")

    def counter(self, what: str, total: int) -> "Counter":
        return Counter(self, what, total)


class Counter:
    """``COMMAND: what i/total (detail), T s, ETA E s``; call it after each item with (done, detail)."""

    def __init__(self, stages: Stages, what: str, total: int):
        self.stages, self.what, self.total = stages, what, total
        self.start = time.monotonic()
        self.last: float | None = None
        self._bar = None
        self._task = None

    def __call__(self, done: int, detail: str = "") -> None:
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < DELAY_S and self.last is None:
            return
        if self.stages.terminal:
            self._draw(done, detail)
            return
        if self.last is not None and now - self.last < LOG_INTERVAL_S and done < self.total:
            return
        self.last = now
        eta = elapsed / done * (self.total - done) if done else float("nan")
        self.stages.line(f"{self.what} {done}/{self.total}" + (f" ({detail})" if detail else "")
                         + f", {elapsed:.0f} s, ETA {eta:.0f} s")

    def _draw(self, done: int, detail: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        if self._bar is None:
            self.last = time.monotonic()
            self._bar = Progress(TextColumn(f"{self.stages.command}: {self.what}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.description}"),
                                 console=err_console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(detail, total=self.total)
        self._bar.update(self._task, completed=done, description=detail)
        if done >= self.total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> "Counter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()  # also on an error: a bar left running would keep the terminal's cursor hidden
