"""The ADC survey fit: how well the packaged constants describe the survey, per architecture, and what it costs.

Run: python benchmarks/bench_adc_survey.py [SURVEY.csv]   (default ../shared/adc_survey/adc_survey.csv; no assertions)

Prints, for the median and the envelope trend of energy and area, the residual spread (robust SD of
ln(observed / model): 1.0 = a typical converter is e^1 = 2.7x off the trend) and the share of converters above
the trend (0.5 for the median, about 0.9 for the envelope), then energy per conversion of a SAR ADC at 1 to 8
bits beside the IMC paper's ADC, and the time to read and fit the survey.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from imcbench import converters
from imcbench.adc_survey import fit_survey, read_survey
from imcbench.macro import components
from imcbench.tech import TECH_28NM

DEFAULT_SURVEY = Path(__file__).resolve().parents[2] / "shared" / "adc_survey" / "adc_survey.csv"
RATE_HZ = 7e7  # an IMC column ADC converting every ~14 ns (the paper model's 6-bit ADC at 256 rows)


def main(path: Path = DEFAULT_SURVEY) -> None:
    start = time.perf_counter()
    data = read_survey(path)
    read_ms = 1e3 * (time.perf_counter() - start)
    start = time.perf_counter()
    fit = fit_survey(data)
    fit_ms = 1e3 * (time.perf_counter() - start)
    print(f"read {len(data.frame)} usable converters in {read_ms:.0f} ms (skipped: {data.skipped_by_reason()}); "
          f"fit in {fit_ms:.0f} ms")
    print(f"{'quantity':8s} {'trend':9s} {'group':9s} {'n':>4s} {'median ln':>10s} {'robust SD':>10s} {'above':>6s}")
    for quantity in ("energy", "area"):
        for trend in ("median", "envelope"):
            for group, q in fit[quantity][trend]["quality"].items():
                print(f"{quantity:8s} {trend:9s} {group:9s} {q['n']:4d} {q['median_log_residual']:10.3f} "
                      f"{q['robust_sd_log']:10.3f} {q['fraction_above_fit']:6.2f}")
    print(f"\nSAR ADC energy per conversion at 28 nm, {RATE_HZ / 1e6:.0f} MS/s (packaged constants), fJ:")
    print(f"{'bits':>4s} {'paper (0.9 V)':>14s} {'survey median':>14s} {'survey envelope':>16s}")
    for bits in range(1, 9):
        paper = float(components.adc_energy(bits, TECH_28NM))
        median = float(converters.adc_energy_fj(bits, 28.0, RATE_HZ, "survey_median"))
        envelope = float(converters.adc_energy_fj(bits, 28.0, RATE_HZ, "survey_envelope"))
        print(f"{bits:4d} {paper:14.1f} {median:14.1f} {envelope:16.1f}")


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:2]))
