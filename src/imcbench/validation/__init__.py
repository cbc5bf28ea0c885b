"""Validation against published silicon: the chip database, prediction, calibration and error statistics."""

from imcbench.validation.calibration import Calibration, apply_calibration, calibrate, load_calibration
from imcbench.validation.chip_validation import ChipValidation, validate_chips
from imcbench.validation.chips import PublishedChip, chips_frame, load_chips
from imcbench.validation.figures import validation_figures
from imcbench.validation.predict import ChipPrediction, predict_chips, predictions_frame

__all__ = ["Calibration", "ChipPrediction", "ChipValidation", "PublishedChip", "apply_calibration", "calibrate",
           "chips_frame",
           "load_calibration", "load_chips", "predict_chips", "predictions_frame", "validate_chips",
           "validation_figures"]
