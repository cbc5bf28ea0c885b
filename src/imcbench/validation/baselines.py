"""Reference predictors a model must beat, evaluated by the same leave-one-chip-out folds.

* **trivial**: the median reported figure of the training rows with the same memory architecture and
  compute model (fewer than :data:`MIN_TRIVIAL_ROWS` such rows: same compute model; then all rows). It knows
  nothing of the design: a model that loses to it adds no information.
* **regression**: a generic ridge regression of the log figure on the row's inputs (log of every count,
  bits as they are, compute-model, cell-family and processor indicators), standardised features and a fixed
  ridge :data:`REGRESSION_RIDGE`. Not physics: it says how much a flexible fit of the same inputs learns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_TRIVIAL_ROWS = 2  # training rows needed in an (architecture, compute model) cell to use its median
REGRESSION_RIDGE = 3.0  # ridge weight on standardised features (fixed, not tuned on held-out rows)
COUNT_INPUTS = ("node_nm", "vdd", "rows", "cols", "n_adc", "dot_length", "rows_per_adc")
BIT_INPUTS = ("input_bits", "weight_bits", "adc_bits")
CATEGORIES = {"compute_model": ("IS", "QS", "QR", "QS-QR", "DIMC"),
              "cell_family": ("SRAM", "eDRAM", "ReRAM", "PCM", "MRAM", "Flash")}


def trivial_loco(reported, chip_id, architecture, compute_model) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-chip-out trivial predictions and the level used per row ('arch+cm', 'cm' or 'all')."""
    reported = np.asarray(reported, dtype=float)
    chip_id = np.asarray(chip_id, dtype=str)
    arch, cm = np.asarray(architecture, dtype=str), np.asarray(compute_model, dtype=str)
    log_rep = np.where(reported > 0, np.log(np.where(reported > 0, reported, 1.0)), np.nan)
    predicted = np.full(reported.size, np.nan)
    level = np.full(reported.size, "", dtype=object)
    for i in range(reported.size):
        train = (chip_id != chip_id[i]) & np.isfinite(log_rep)
        for name, pool in (("arch+cm", train & (arch == arch[i]) & (cm == cm[i])), ("cm", train & (cm == cm[i])),
                           ("all", train)):
            if pool.sum() >= MIN_TRIVIAL_ROWS or name == "all":
                predicted[i] = np.exp(np.median(log_rep[pool])) if pool.any() else np.nan
                level[i] = name
                break
    return predicted, level.astype(str)


def design_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Features of the generic regression from a frame of chip fields (PublishedChip.to_dict columns)."""
    columns = []
    for name in COUNT_INPUTS:
        v = frame[name].to_numpy(float)
        columns.append(np.log(np.where(np.isfinite(v) & (v > 0), v, np.nan)))
    for name in BIT_INPUTS:
        columns.append(frame[name].to_numpy(float))
    x = np.column_stack(columns)
    x = np.where(np.isfinite(x), x, np.nanmedian(x, axis=0))  # a missing input: the median row's value
    dummies = [(frame[field].astype(str).to_numpy() == value).astype(float)
               for field, values in CATEGORIES.items() for value in values]
    dummies.append(frame["imc_processor"].to_numpy(bool).astype(float))
    return np.column_stack([x, *dummies])


def regression_loco(design: np.ndarray, log_target, chip_id, ridge: float = REGRESSION_RIDGE) -> np.ndarray:
    """Leave-one-chip-out predictions (log units) of a ridge regression on standardised ``design``."""
    y = np.asarray(log_target, dtype=float)
    chip_id = np.asarray(chip_id, dtype=str)
    out = np.full(y.size, np.nan)
    for cid in dict.fromkeys(chip_id.tolist()):
        test = chip_id == cid
        train = ~test & np.isfinite(y)
        mean, scale = design[train].mean(axis=0), design[train].std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        a = (design[train] - mean) / scale
        b = y[train] - y[train].mean()
        w = np.linalg.solve(a.T @ a + ridge * np.eye(a.shape[1]), a.T @ b)
        out[test] = (design[test] - mean) / scale @ w + y[train].mean()
    return out
