"""Time ONNX import (functions inlined, shape arithmetic folded) and check the MACs against a manifest.

Reads every ``*.onnx`` in a folder; when the folder has a ``manifest.json`` with ``{"files": [{"file",
"independent_macs"}, ...]}`` (the real-export corpus in tests/data/exports), prints whether imcbench's
total equals the independent count. Prints the wall time of each import (best of ``--repeat``).

    python benchmarks/bench_onnx_import.py tests/data/exports [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

from imcbench.errors import ImcbenchError
from imcbench.workload.onnx_import import load_onnx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    manifest = args.folder / "manifest.json"
    expected = ({entry["file"]: entry.get("independent_macs") for entry in json.loads(manifest.read_text())["files"]}
                if manifest.exists() else {})
    exact = total = 0
    for path in sorted(args.folder.glob("*.onnx")):
        best, result = float("inf"), None
        for _ in range(args.repeat):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    result = load_onnx(path)
                except ImcbenchError as exc:
                    result = exc
            best = min(best, time.perf_counter() - start)
        want = expected.get(path.name)
        if isinstance(result, ImcbenchError):
            verdict = f"error: {str(result)[len(str(path)) + 2:][:100]}"
        else:
            total += want is not None
            exact += want is not None and result.total_macs == want
            verdict = (f"{result.total_macs:>16,} MACs" + ("" if want is None else "  exact" if result.total_macs == want
                       else f"  independent {want:,} ({result.total_macs / want - 1:+.2%})")
                       + ("" if not result.skipped else f"  covers {100 * result.covered_mac_share:.1f}%"))
        print(f"{path.name:45s} {best:7.2f} s  {verdict}")
    if expected:
        print(f"{exact} of {total} imported files equal the independent MAC count")


if __name__ == "__main__":
    main()
