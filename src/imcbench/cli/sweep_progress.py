"""Progress display of ``imcbench sweep``: a rich bar in a terminal, plain lines in logs."""

from __future__ import annotations

import sys
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.progress import TimeRemainingColumn
from rich.text import Text

from imcbench.cli.app import err_console
from imcbench.dse import runner

LOG_INTERVAL_S = 2.0  # without a terminal (logs, CI), one progress line at most this often


class RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} eval/s" if speed else "-- eval/s")


class BarProgress(runner.Progress):
    """A rich progress bar on stderr: evaluations done, rate, elapsed time, ETA."""

    def __init__(self):
        super().__init__()
        self._bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                             TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err_console)
        self._task = None

    def show(self, output) -> None:
        if self._task is None:
            self._bar.start()
            self._task = self._bar.add_task("sweep", total=self.total, completed=self.done)
        elif output is None:  # search: a generation adds evaluations
            self._bar.update(self._task, total=self.total, completed=self.done)
        else:
            self._bar.advance(self._task, output.n_jobs)

    def stop(self) -> None:
        self._bar.stop()


class LogProgress(runner.Progress):
    """Plain progress lines on stderr (for logs): at the first finished batch, then every few seconds."""

    def __init__(self):
        super().__init__()
        self.start_time = time.monotonic()
        self.last = None

    def show(self, output) -> None:
        if output is None:
            return
        now = time.monotonic()
        if self.last is None or now - self.last >= LOG_INTERVAL_S or self.done >= self.total:
            self.last = now
            rate = self.new / max(now - self.start_time, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("nan")
            sys.stderr.write(f"sweep: {self.done}/{self.total} evaluations, {rate:.1f}/s, ETA {eta:.0f} s\n")
            sys.stderr.flush()
