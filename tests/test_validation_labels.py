"""The validation figures say whether their errors are in-sample or held-out (issue 13, item 10)."""

from __future__ import annotations

import pytest

from imcbench.errors import ImcbenchError
from imcbench.validation.calibration import load_calibration
from imcbench.validation.figures import validation_figures
from imcbench.validation.stats import ratio_stats


def test_default_figures_are_labelled_in_sample_with_the_held_out_errors_beside():
    figures = {f.key: f for f in validation_figures()}  # the training chips under the calibration fitted on them
    held_out = load_calibration("default").cross_validation["leave_one_chip_out"]["groups"]
    for key in ("validation_tops_per_w", "validation_tops_per_mm2", "validation_error_by_node",
                "validation_error_by_compute_model"):
        assert "(in-sample)" in figures[key].title and "held-out" not in figures[key].title
        assert "in-sample" in figures[key].caption
    scatter = figures["validation_tops_per_w"]
    calibrated = [s for s in scatter.series if "calibrated" in s.name]
    assert calibrated and all("in-sample" in s.name for s in calibrated)
    in_sample = ratio_stats([y for s in calibrated for y in s.y], [x for s in calibrated for x in s.x])
    stated = held_out["SRAM"]["tops_per_w"]["model"]
    assert f"median |model/reported - 1| = {100 * in_sample['median_abs_error']:.0f}%" in scatter.caption
    assert f"SRAM {stated['n']} rows: median {100 * stated['median_abs_error']:.0f}%" in scatter.caption
    assert "Held-out (nested leave-one-chip-out" in scatter.caption


def test_uncalibrated_predictions_are_not_labelled_in_sample():
    from imcbench.validation.chips import load_chips
    from imcbench.validation.predict import predict_chips, predictions_frame

    frame = predictions_frame(predict_chips(load_chips()))  # no calibration: the paper's constants
    figures = validation_figures(frame, model_label="paper", sample="uncalibrated")
    assert all("(uncalibrated)" in f.title for f in figures[:4])
    assert "in-sample" not in " ".join(f.title + f.caption for f in figures)
    assert "Held-out" not in figures[0].caption  # no calibration, no cross-validation to quote
    with pytest.raises(ImcbenchError, match="sample"):
        validation_figures(frame, sample="cross-checked")
