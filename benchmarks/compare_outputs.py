"""Compare two folders written by ``benchmarks/dump_outputs.sh``: every JSON and CSV file byte for byte, with
the run-time fields (``wall_s``, ``eval_s``) masked. Exit status 1 when a file differs.

    python3.11 benchmarks/compare_outputs.py OLD_OUTDIR NEW_OUTDIR
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

TIMING_FIELDS = ("wall_s", "eval_s")  # seconds a run took: differ between any two runs
TIMING_JSON = re.compile(r'"(' + "|".join(TIMING_FIELDS) + r')": [0-9.eE+-]+')


def normalised(path: Path) -> str:
    """The file's text with the timing fields masked (JSON values, CSV columns)."""
    text = path.read_text()
    if path.suffix == ".json":
        return TIMING_JSON.sub(r'"\1": X', text)
    rows = list(csv.reader(io.StringIO(text)))
    keep = [i for i, name in enumerate(rows[0]) if name not in TIMING_FIELDS] if rows else []
    return "\n".join(",".join(row[i] for i in keep if i < len(row)) for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args()
    files = sorted(p.relative_to(args.old) for p in args.old.rglob("*") if p.suffix in (".json", ".csv"))
    if not files:
        print(f"error: no JSON or CSV files in {args.old}", file=sys.stderr)
        return 2
    differ = [f for f in files if not (args.new / f).exists() or normalised(args.old / f) != normalised(args.new / f)]
    for f in differ:
        print(f"differs: {f}")
    print(f"{len(files) - len(differ)} of {len(files)} data files identical (run times masked)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
