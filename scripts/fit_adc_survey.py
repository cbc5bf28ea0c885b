"""Write ``src/imcbench/data/adc_survey_fit.yaml``: converter energy and area trends fitted to the ADC survey.

Run from the repository: ``python scripts/fit_adc_survey.py [SURVEY.csv] [OUT.yaml]``
(defaults: ``../shared/adc_survey/adc_survey.csv`` and ``src/imcbench/data/adc_survey_fit.yaml``).

The survey is B. Murmann's "ADC Performance Survey 1997-2025" (BSD-3-Clause, see the notice written into the
output). Only the fitted constants (numbers) are shipped; the fit itself is :func:`imcbench.adc_survey.fit_survey`.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from imcbench.adc_survey import (ENVELOPE_QUANTILE, MEDIAN_QUANTILE, REF_NODE_NM, REF_RATE_HZ,  # noqa: E402
                                 fit_survey, read_survey)
from imcbench.converters import SURVEY_FIT_FILE, SURVEY_FIT_FORMAT  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "adc_survey" / "adc_survey.csv"
NOTICE_HEAD = "Constants fitted to B. Murmann, 'ADC Performance Survey 1997-2025', github.com/bmurmann/ADC-survey."


def main(source: Path = DEFAULT_SOURCE, out: Path = SURVEY_FIT_FILE) -> None:
    data = read_survey(source)
    fit = fit_survey(data)
    document = {
        "format": SURVEY_FIT_FORMAT,
        "description": ("ADC energy per conversion E = W_arch 2^ENOB (node/28 nm)^alpha (f/100 MHz)^beta + T 4^ENOB "
                        "(pJ) and area ln A = a_arch + b ENOB ln2 + gamma ln(node/28) + delta ln(f/100 MHz) (mm2), "
                        f"quantile regression in log space: 'median' (q = {MEDIAN_QUANTILE}) and 'envelope' "
                        f"(q = {ENVELOPE_QUANTILE}); Nyquist-rate converters only. See imcbench.adc_survey."),
        "source": {"file": source.name, "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
                   "license": "BSD-3-Clause",
                   "notice": NOTICE_HEAD + "\n" + (source.parent / "LICENSE.txt").read_text()},
        "reference": {"node_nm": REF_NODE_NM, "rate_hz": REF_RATE_HZ},
        **fit,
    }
    out.write_text(yaml.safe_dump(document, sort_keys=False, width=110))
    print(f"wrote {out}: {fit['data']['rows_fitted']} converters fitted, {fit['data']['rows_skipped']} skipped")


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:3]))
