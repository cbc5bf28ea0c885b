"""Shared test fixtures: the location of ../shared and a CLI runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; the calling test is skipped when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared ({path} not found): clone the shared data beside the project")
    return path


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def json(self):
        return json.loads(self.stdout)


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> CliResult:
    """Run ``imcbench ARGS`` in a subprocess (the real entry point, exit codes included)."""
    proc = subprocess.run([sys.executable, "-m", "imcbench", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)
    return CliResult(proc)


def assert_user_error(result: CliResult, *needles: str) -> None:
    """Exit status 2, one line on stderr containing every needle, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture
def cli():
    return run_cli
