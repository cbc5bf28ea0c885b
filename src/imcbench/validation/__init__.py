"""Validation against published silicon: the chip database, prediction, calibration and error statistics."""

from imcbench.validation.chips import PublishedChip, chips_frame, load_chips

__all__ = ["PublishedChip", "chips_frame", "load_chips"]
