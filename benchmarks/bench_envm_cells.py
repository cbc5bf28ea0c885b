"""eNVM rows of chips_train.csv under the three eNVM cell models of imcbench.validation.predict.

constants: NVM_CELL_AREA_RATIO and the SRAM bit-line (the default); table_area: cell areas from the cell table
(imcbench.celltech); table: areas and compute read energies from the cell table. Paper (uncalibrated) model and
the packaged calibration (fitted with 'constants'). Run: PYTHONPATH=src python3.11 benchmarks/bench_envm_cells.py
"""

from __future__ import annotations

from pathlib import Path

from imcbench.validation.calibration import load_calibration
from imcbench.validation.chips import load_chips
from imcbench.validation.predict import ENVM_CELL_MODELS, predict_chips
from imcbench.validation.stats import ratio_stats

CHIPS = Path(__file__).resolve().parents[1].parent / "shared" / "imc_data" / "chips_train.csv"
FAMILIES = ("ReRAM", "PCM", "MRAM")


def main() -> None:
    chips = load_chips(CHIPS)
    print("| cells | calibration | rows | metric | median abs error | within 1.5x | within 2x | geo-mean ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for calibration in ("paper", "default"):
        for envm in ENVM_CELL_MODELS:
            preds = [p for p in predict_chips(chips, load_calibration(calibration), envm_cells=envm) if p.modeled]
            rows = [p for p in preds if p.cell_family in FAMILIES]
            for metric in ("tops_per_w", "tops_per_mm2"):
                s = ratio_stats([getattr(p, f"{metric}_model") for p in rows],
                                [getattr(p, f"{metric}_reported") for p in rows])
                print(f"| {envm} | {calibration} | {s['n']} | {metric} | {s['median_abs_error']:.3f} | "
                      f"{s['within_1_5x']:.3f} | {s['within_2x']:.3f} | {s['geo_mean_ratio']:.3f} |")


if __name__ == "__main__":
    main()
