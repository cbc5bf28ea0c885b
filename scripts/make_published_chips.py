"""Write ``src/imcbench/data/published_chips.csv``: the chip facts imcbench uses, shipped with the package.

Run from the repository: ``python scripts/make_published_chips.py [CHIPS.csv] [OUT.csv]``
(defaults: ``../shared/imc_data/chips_train.csv`` and ``src/imcbench/data/published_chips.csv``).

The file keeps the benchmarking format's column names (so ``imcbench.validation.load_chips`` and
``imcbench validate --chips`` read it like the original) but only the columns the code uses: paper index,
title and year, node, supply, array and bit parameters, compute model, cell type, the reported invocation
latency and the 1b-normalised TOPS/W and TOPS/mm2. Cells hold the numbers the loader parses (units and notes
dropped: '0.75 (Digital); 0.95 (SRAM)' -> 0.75), blanks where the source has none. Rows keep their order, so
row numbers match the source file (exact repeats included: the loader marks them).

The facts come from the UIUC IMC benchmarking database (Shanbhag and Roy, CICC 2022; MIT licence, see
``src/imcbench/data/published_chips_LICENSE.txt``).
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from imcbench.validation.chips import PACKAGED_CHIPS_COLUMNS, PACKAGED_CHIPS_FILE, load_chips  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "imc_data" / "chips_train.csv"


def cell(value) -> str:
    """One CSV cell: '' for a missing number, integers without '.0', other numbers as Python prints them."""
    if isinstance(value, bool):
        return "Y" if value else ""
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)
    return str(value)


def write(source: Path, out: Path) -> int:
    """Write the facts of ``source`` to ``out``; returns the number of rows."""
    chips = load_chips(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PACKAGED_CHIPS_COLUMNS.values())
        for chip in chips:
            writer.writerow(cell(getattr(chip, field)) for field in PACKAGED_CHIPS_COLUMNS)
    return len(chips)


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    out = Path(argv[1]) if len(argv) > 1 else PACKAGED_CHIPS_FILE
    count = write(source, out)
    print(f"wrote {count} rows of {source.name} to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
