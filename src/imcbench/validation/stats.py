"""Error statistics of model vs reported figures, overall and per group of chips.

Definitions (stated in every summary): ratio = model / reported; ``median_abs_error`` = median of
|ratio - 1| (0.25 means a typical row is 25 % off); ``within_1_5x`` / ``within_2x`` = fraction of rows
with 1/1.5 <= ratio <= 1.5 (1/2 <= ratio <= 2); ``geo_mean_ratio`` = exp(mean log ratio), the bias.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFINITION = ("ratio = model / reported; median_abs_error = median(|ratio - 1|); within_1_5x = fraction with "
              "1/1.5 <= ratio <= 1.5; within_2x = fraction with 1/2 <= ratio <= 2; geo_mean_ratio = "
              "exp(mean(log ratio))")
METRICS = ("tops_per_w", "tops_per_mm2")  # the figures: TOPS/mm2 predicted from the architecture alone
GIVEN_TCORE = "tops_per_mm2_given_tcore"  # TOPS/mm2 from the model's area and the reported T_core (area test)
ALL_METRICS = (*METRICS, GIVEN_TCORE)
NVM_FAMILIES = ("ReRAM", "PCM", "MRAM", "Flash")
COMPUTE_MODEL_GROUPS = ("IS", "QS", "QR", "QS-QR", "DIMC")


def ratio_stats(model, reported) -> dict:
    """Statistics of model / reported over the rows where both are positive numbers."""
    model = np.asarray(model, dtype=float)
    reported = np.asarray(reported, dtype=float)
    ok = np.isfinite(model) & np.isfinite(reported) & (model > 0) & (reported > 0)
    ratio = model[ok] / reported[ok]
    if ratio.size == 0:
        return {"n": 0, "median_abs_error": None, "within_1_5x": None, "within_2x": None, "geo_mean_ratio": None}
    return {"n": int(ratio.size),
            "median_abs_error": float(np.median(np.abs(ratio - 1))),
            "within_1_5x": float(np.mean((ratio >= 1 / 1.5) & (ratio <= 1.5))),
            "within_2x": float(np.mean((ratio >= 0.5) & (ratio <= 2))),
            "geo_mean_ratio": float(np.exp(np.mean(np.log(ratio))))}


def group_masks(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row masks of the summary groups: all, SRAM, SRAM macros / processors, eDRAM, eNVM, each compute model.

    'SRAM macros' are the SRAM rows that report a macro; 'SRAM processors' (IMC_Processor = Y) report
    whole-chip figures (other logic, memory, data movement), a different quantity than a macro model predicts.
    """
    cm = frame["compute_model"].to_numpy(str)
    family = frame["cell_family"].to_numpy(str)
    sram = frame["is_sram"].to_numpy(bool)
    processor = frame["imc_processor"].to_numpy(bool) if "imc_processor" in frame else np.zeros(len(frame), bool)
    masks = {"all": np.ones(len(frame), dtype=bool),
             "SRAM": sram,
             "SRAM macros": sram & ~processor,
             "SRAM processors": sram & processor,
             "eDRAM": family == "eDRAM",
             "eNVM": np.isin(family, NVM_FAMILIES)}
    masks.update({m: cm == m for m in COMPUTE_MODEL_GROUPS})
    return masks


def summarise(frame: pd.DataFrame, models=("model", "paper")) -> dict:
    """Per group and metric, the statistics of each model column (``<metric>_<model>``) side by side.

    ``frame`` holds the modeled rows with ``compute_model``, ``cell_family``, ``is_sram`` (and optionally
    ``imc_processor``) and the ``tops_per_w_reported`` / ``tops_per_w_model`` / ``tops_per_w_paper`` columns (same
    for tops_per_mm2 and, where present, tops_per_mm2_given_tcore).
    """
    groups = {}
    for name, mask in group_masks(frame).items():
        if not mask.any():
            continue
        part = frame[mask]
        groups[name] = {metric: {m: ratio_stats(part[f"{metric}_{m}"], part[f"{metric}_reported"]) for m in models}
                        for metric in ALL_METRICS if f"{metric}_reported" in part}
    return {"definition": DEFINITION, "groups": groups}
