"""One validation run as a result: the model's prediction of every published chip row and the error summary
(by group, with the calibration's provenance and whether it was fitted on this very file); what
``imcbench validate`` prints and returns as JSON."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imcbench import results as vocab
from imcbench.validation.chips import PACKAGED_CHIPS_FILE, PublishedChip
from imcbench.validation.predict import ChipPrediction, predict_chips, predictions_frame
from imcbench.validation.stats import DEFINITION, summarise

if TYPE_CHECKING:
    import pandas as pd

    from imcbench.validation import Calibration

JSON_ROW_KEYS = ("row", "index", "chip_id", "title", "year", "node_nm", "architecture", "compute_model",
                 "cell_family", "tops_per_w_reported", "tops_per_w_model", "tops_per_w_paper", "tops_per_w_ratio",
                 "tops_per_w_factor", "tops_per_mm2_reported", "tops_per_mm2_model", "tops_per_mm2_paper",
                 "tops_per_mm2_ratio", "tops_per_mm2_factor", "t_core_ns", "tops_per_mm2_given_tcore_model",
                 "tops_per_mm2_given_tcore_paper", "imc_processor", "adc_bits_used", "adc_bits_from_rule",
                 "tops_per_w_interval", "tops_per_mm2_interval", "modeled", "reason")


@dataclass(frozen=True)
class ChipValidation(vocab.ResultMixin):
    """Predictions of every chip row (modeled or not, with the reason) and their error summary."""

    predictions: tuple[ChipPrediction, ...]
    summary: dict

    @property
    def sample(self) -> str:
        """How the errors were obtained (a key of imcbench.validation.figures.SAMPLES)."""
        if self.summary["model"] == "paper":
            return "uncalibrated"
        return "in-sample" if self.summary["calibration"]["in_sample"] else "other file"

    def to_dict(self) -> dict:
        """The JSON of ``imcbench validate --json`` (without the written files)."""
        return {"rows": [json_row(p) for p in self.predictions], "summary": self.summary}

    def to_frame(self) -> "pd.DataFrame":
        """One row per chip row (imcbench.validation.predict.predictions_frame)."""
        return predictions_frame(list(self.predictions))


def validate_chips(chips: list[PublishedChip], calib: "Calibration | None", calibration_name: str,
                   path: Path) -> ChipValidation:
    """Predict every row of ``chips`` (read from ``path``) with ``calib`` (None: the paper's model) and
    summarise the errors; ``calibration_name`` is how the user named the calibration."""
    predictions = predict_chips(chips, calib)
    return ChipValidation(tuple(predictions), summarise_predictions(predictions, chips, calib, calibration_name, path))


def summarise_predictions(predictions: list[ChipPrediction], chips: list[PublishedChip], calib: "Calibration | None",
                          calibration_name: str, path: Path) -> dict:
    """Errors by group of the modeled rows, rows left out counted by reason, the calibration's provenance."""
    frame = predictions_frame(predictions)
    modeled = frame[frame.modeled]
    stats = summarise(modeled, models=("model", "paper")) if len(modeled) else {"definition": DEFINITION, "groups": {}}
    provenance = calib.provenance if calib is not None else {}
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    reasons = Counter(reason_kind(p.reason) for p in predictions if not p.modeled)
    return {
        "definition": stats["definition"],
        "model": "calibrated" if calib is not None else "paper",
        "calibration": {"name": calibration_name, "provenance": provenance,
                        "in_sample": fitted_on(provenance, digest, path),
                        "note": "'model' is the calibrated model, 'paper' the uncalibrated paper model; when "
                                "in_sample is true the calibration was fitted on this file (see its "
                                "cross_validation for out-of-sample errors)"},
        "rows": {"total": len(chips), "modeled": int(frame.modeled.sum()), "not_modeled": int((~frame.modeled).sum()),
                 "not_modeled_by_reason": dict(reasons)},
        "groups": stats["groups"],
        "intervals": calib.intervals if calib is not None else {},
    }


def fitted_on(provenance: dict, digest: str, path: Path) -> bool:
    """True when the calibration was fitted on this file, or on the training file whose facts the package ships."""
    if provenance.get("sha256") == digest:
        return True
    packaged = path.resolve() == PACKAGED_CHIPS_FILE.resolve()
    return bool(packaged and provenance.get("file") == "chips_train.csv")


def reason_kind(reason: str) -> str:
    """The kind of a not-modeled reason: its text before any detail (``:``, `` (``, ``;``)."""
    return reason.split(":")[0].split(" (")[0].split(";")[0]


def json_row(p: ChipPrediction) -> dict:
    """The JSON keys of one prediction, NaN as None."""
    data = p.to_dict()
    return {k: (None if isinstance(data[k], float) and not math.isfinite(data[k]) else data[k]) for k in JSON_ROW_KEYS}
