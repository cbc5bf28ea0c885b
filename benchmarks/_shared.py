"""Where the benchmarks find ../shared (the data beside the project), and one clear line when it is absent.

Scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and they import
``from _shared import SHARED, require_shared``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def require_shared(*parts: str) -> Path:
    """The path ``../shared/PARTS``; without it the script stops with one line and exit status 2."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        script = Path(sys.argv[0]).name or "this benchmark"
        sys.stderr.write(f"{script}: needs {path}, which is not there: clone the shared data beside the "
                         f"project (as {SHARED})\n")
        sys.exit(2)
    return path
