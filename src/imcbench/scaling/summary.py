"""The scaling study in one result: energy-per-op curves, crossover sizes per converter model, and the
published chips against the limit (what ``imcbench scaling`` prints, writes and returns as JSON)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imcbench import results as vocab
from imcbench.scaling.model import MACHINES, crossover_n, scaling_table
from imcbench.scaling.params import CONVERTER_MODELS, DEFAULT_PARAMS, ScalingParams

BEST_CHIPS_IN_JSON = 10  # analog chips closest to the limit listed in the JSON
BEST_CHIPS_SHOWN = 8  # of those, the rows of `imcbench scaling`'s console table (it fits a terminal)
CHIP_COLUMNS = ("chip_id", "label", "row", "node_nm", "n", "input_bits", "weight_bits", "adc_bits", "e_op1_fj",
                "limit_fj", "x_above_limit", "limit_survey_fj", "x_above_survey", "model_fj", "holds_back",
                "holds_back_share")


@dataclass(frozen=True)
class ScalingSummary(vocab.ResultMixin):
    """Curves (``table``: machine, bits, n, e_op_pj, tops_per_w, ...), crossover rows and chips vs the limit."""

    bits: tuple[int, ...]
    array_size: int
    converter_model: str
    table: pd.DataFrame
    crossover: tuple[dict, ...]
    chips: pd.DataFrame | None = None  # imcbench.scaling.bridge.chips_vs_limit; None without a chip file

    def to_dict(self) -> dict:
        """The JSON of ``imcbench scaling --json``."""
        curves = []
        for machine in MACHINES:
            for b in self.bits:
                part = self.table[(self.table.machine == machine) & (self.table.bits == b)]
                curves.append({"machine": machine, "bits": int(b), "array_size": int(self.array_size),
                               "n": [int(v) for v in part["n"]], "e_op_pj": [float(v) for v in part["e_op_pj"]]})
        data = {"curves": curves, "converter_model": self.converter_model, "crossover": list(self.crossover)}
        if self.chips is not None:
            from imcbench.scaling.bridge import best_chips

            best = best_chips(self.chips, "aimc", BEST_CHIPS_IN_JSON)
            data["best_chips"] = [vocab.plain(row, non_finite="none")
                                  for row in best[list(CHIP_COLUMNS)].to_dict("records")]
        return data

    def to_frame(self) -> pd.DataFrame:
        """The curves, one row per (machine, bits, n)."""
        return self.table


def scaling_summary(n_grid, bits, array_size: int, params: ScalingParams = DEFAULT_PARAMS,
                    chips=None) -> ScalingSummary:
    """Energy per op of every machine over ``n_grid`` x ``bits`` at ``array_size``, the N where analog
    (weights resident) beats digital IMC under each converter model, and ``chips`` (published chips,
    optional) against the analog limit."""
    chip_frame = None
    if chips is not None:
        from imcbench.scaling.bridge import chips_vs_limit

        chip_frame = chips_vs_limit(chips, params=params)
    return ScalingSummary(tuple(bits), array_size, params.converter_model,
                          scaling_table(n_grid, bits, array_size, params=params),
                          tuple(crossover_rows(bits, array_size)), chip_frame)


def crossover_rows(bits, array_size: int) -> list[dict]:
    """Per precision and converter model: the crossover N, unbounded and within ``array_size`` (None: never)."""
    rows = []
    for model in CONVERTER_MODELS:
        p = DEFAULT_PARAMS.with_(converter_model=model)
        unbounded = crossover_n(np.array(bits, dtype=float), p)
        for b, n_star in zip(bits, unbounded):
            rows.append({"bits": b, "converter_model": model, "n_unbounded": vocab.finite_or_none(n_star),
                         "n_at_array_size": vocab.finite_or_none(n_star) if n_star <= array_size else None})
    return rows
