"""Accuracy-aware exploration: the cheapest AIMC design that meets an SQNR or accuracy constraint,
next to the best DIMC design, with energy and area from the macro model (``evaluate_macros``).

"Cheapest" is the lowest energy per MAC (highest peak TOPS/W); ties go to the higher TOPS/mm2. Macros
are square (physical columns = rows, the paper's sweep). A DIMC macro computes exactly, so its SQNR is
the input/weight quantization limit and its digits accuracy that of the quantized network.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from imcbench.accuracy.noise import CLIP_SIGMA_CHOICES, MvmConfig, dot_length, layer_sqnr_db
from imcbench.accuracy.operands import OperandModel
from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.macro import evaluate_macros

DEFAULT_ROWS = (32, 64, 128, 256, 512, 1024)  # the paper's square macro sizes
DEFAULT_ADC_BITS = tuple(range(2, 11))
DEFAULT_BITS_PER_CYCLE = (1, 2, 4)
DIMC_BITS_PER_CYCLE = 1  # the paper's bit-serial DIMC
DESIGN_COLUMNS = ("kind", "rows", "adc_bits", "bits_per_cycle", "input_bits", "weight_bits")


def design_grid(rows=DEFAULT_ROWS, adc_bits=DEFAULT_ADC_BITS, bits_per_cycle=DEFAULT_BITS_PER_CYCLE, *,
                input_bits: int = 8, weight_bits: int = 8, node_nm: float = 28.0, vdd: float = 0.9) -> pd.DataFrame:
    """AIMC designs (rows x ADC bits x bits per cycle) and DIMC designs (rows), with peak figures."""
    bc = [b for b in bits_per_cycle if b <= input_bits]
    aimc = np.array(list(itertools.product(rows, adc_bits, bc)), dtype=float).reshape(-1, 3)
    kinds = np.array(["aimc"] * len(aimc) + ["dimc"] * len(rows))
    sizes = np.concatenate([aimc[:, 0], np.asarray(rows, dtype=float)])
    return evaluate_macros(kinds, sizes.astype(int), sizes.astype(int), input_bits=input_bits,
                           weight_bits=weight_bits,
                           bits_per_cycle=np.concatenate([aimc[:, 2], np.full(len(rows), DIMC_BITS_PER_CYCLE)]),
                           adc_bits=np.concatenate([aimc[:, 1], np.full(len(rows), np.nan)]),
                           node_nm=node_nm, vdd=vdd)


def layer_sqnr_for_designs(design_frame: pd.DataFrame, layer, *, noise=None, cell_sigma: float = 0.0,
                           adc_range: str = "calibrated", clip_sigma=CLIP_SIGMA_CHOICES,
                           operands: OperandModel | None = None) -> np.ndarray:
    """SQNR (dB) of ``layer`` (a Layer or its C*FY*FX) on every design of a frame (one per row).

    The frame needs the columns of ``DESIGN_COLUMNS`` (as ``evaluate_macros`` gives them); the read
    noise comes from a ``read_noise`` column when present, else from ``noise`` (default 0).
    ``clip_sigma``: the calibrated ADC range in sigmas, or several: each layer keeps the best (the
    best range shrinks with fewer ADC bits: the classic clipping-vs-granular trade-off).
    """
    missing = [c for c in DESIGN_COLUMNS if c not in design_frame.columns]
    if missing:
        raise ImcbenchError(f"design frame lacks column(s) {', '.join(missing)}")
    f = design_frame
    read = f["read_noise"].to_numpy(float) if "read_noise" in f.columns and noise is None else (noise or 0.0)
    return layer_sqnr_db(layer, f["rows"].to_numpy(), f["adc_bits"].to_numpy(float),
                         f["bits_per_cycle"].to_numpy(), f["input_bits"].to_numpy(), f["weight_bits"].to_numpy(),
                         read, kind=f["kind"].to_numpy(str), cell_sigma=cell_sigma, adc_range=adc_range,
                         clip_sigma=clip_sigma, operands=operands)


def sqnr_constraint_mask(design_frame: pd.DataFrame, layer, min_sqnr_db: float, **model) -> np.ndarray:
    """Boolean array: which designs of the frame reach ``min_sqnr_db`` on ``layer`` (see above)."""
    return layer_sqnr_for_designs(design_frame, layer, **model) >= min_sqnr_db


def network_sqnr(design_frame: pd.DataFrame, layers, **model) -> pd.DataFrame:
    """SQNR (dB) of every layer (columns, by name) on every design (rows), plus ``min_sqnr_db``."""
    table = {}
    for layer in layers:
        name = getattr(layer, "name", f"N={dot_length(layer)}")
        table[name] = layer_sqnr_for_designs(design_frame, layer, **model)
    out = pd.DataFrame(table, index=design_frame.index)
    out["min_sqnr_db"] = out.min(axis=1)
    return out


@dataclass(frozen=True)
class ExplorationResult(vocab.ResultMixin):
    """The cheapest AIMC design meeting ``constraint`` and the best DIMC design (dicts of design rows)."""

    constraint: str
    cheapest_aimc: dict | None
    best_dimc: dict | None
    feasible_aimc: int
    aimc_designs: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"constraint": self.constraint, "cheapest_aimc": self.cheapest_aimc, "best_dimc": self.best_dimc,
                "feasible_aimc": self.feasible_aimc, "aimc_designs": self.aimc_designs, "notes": list(self.notes)}


SUMMARY_COLUMNS = ("kind", "rows", "cols", "adc_bits", "bits_per_cycle", "tops_per_w", "tops_per_mm2",
                   "energy_per_mac_fj", "area_mm2")


def _summary(row: pd.Series, extra: dict) -> dict:
    data = {c: row[c] for c in SUMMARY_COLUMNS}
    data = {k: (v.item() if hasattr(v, "item") else v) for k, v in data.items()}
    if data["kind"] == "dimc":
        data["adc_bits"] = None
    return {**data, **extra}


def _by_cost(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["energy_per_mac_fj", "tops_per_mm2"], ascending=[True, False], kind="stable")


def cheapest_for_sqnr(layers, min_sqnr_db: float, *, grid: pd.DataFrame | None = None, **model) -> ExplorationResult:
    """The lowest-energy AIMC design whose worst layer reaches ``min_sqnr_db``, and the best DIMC."""
    grid = design_grid() if grid is None else grid
    sqnr = network_sqnr(grid, layers, **model)["min_sqnr_db"]
    feasible = grid[(grid["kind"] == "aimc") & (sqnr >= min_sqnr_db)]
    dimc = grid[(grid["kind"] == "dimc") & (sqnr >= min_sqnr_db)]
    best = lambda f: None if f.empty else _summary(_by_cost(f).iloc[0], {"min_sqnr_db": float(sqnr[_by_cost(f).index[0]])})
    notes = [] if not dimc.empty else ["no DIMC design reaches the SQNR: the input/weight precision limits it"]
    return ExplorationResult(f"min layer SQNR >= {min_sqnr_db:g} dB", best(feasible), best(dimc),
                             int(len(feasible)), int((grid["kind"] == "aimc").sum()), notes)


def cheapest_for_accuracy(model_name: str, max_drop: float, *, grid: pd.DataFrame | None = None,
                          read_noise: float = 0.0, cell_sigma: float = 0.0, adc_range: str = "calibrated",
                          seed: int = 0, test_images: int | None = None) -> ExplorationResult:
    """The lowest-energy AIMC design whose digits accuracy is within ``max_drop`` of float, and the best DIMC.

    AIMC designs are simulated in increasing energy order until one qualifies, so the first feasible
    one is the cheapest and most of the grid is never simulated.
    """
    from imcbench.accuracy.digits import analog_accuracy, trained_model

    model = trained_model(model_name)
    grid = design_grid(rows=(64, 256, 1024), adc_bits=range(2, 9), bits_per_cycle=(1, 2)) if grid is None else grid
    target = model.float_accuracy - max_drop
    aimc = _by_cost(grid[grid["kind"] == "aimc"])
    simulated, chosen = 0, None
    for _, row in aimc.iterrows():  # stops at the first design that qualifies
        config = MvmConfig(rows=int(row["rows"]), adc_bits=float(row["adc_bits"]),
                           bits_per_cycle=int(row["bits_per_cycle"]), input_bits=int(row["input_bits"]),
                           weight_bits=int(row["weight_bits"]), read_noise=read_noise, cell_sigma=cell_sigma,
                           adc_range=adc_range)
        acc = analog_accuracy(model, config, seed=seed, test_images=test_images)
        simulated += 1
        if acc >= target:
            chosen = _summary(row, {"accuracy": acc})
            break
    dimc_rows = _by_cost(grid[grid["kind"] == "dimc"])
    best_dimc = None
    if not dimc_rows.empty:
        row = dimc_rows.iloc[0]
        config = MvmConfig(kind="dimc", rows=int(row["rows"]), input_bits=int(row["input_bits"]),
                           weight_bits=int(row["weight_bits"]), bits_per_cycle=1)
        best_dimc = _summary(row, {"accuracy": analog_accuracy(model, config, seed=seed, test_images=test_images)})
    return ExplorationResult(f"{model_name} accuracy drop <= {max_drop:g} (float {model.float_accuracy:.3f})",
                             chosen, best_dimc, int(chosen is not None), int(len(aimc)),
                             [f"simulated {simulated} AIMC designs in increasing energy order"])


def adc_bit_energy(rows: int = 256, adc_bits=range(2, 11), bits_per_cycle: int = 2) -> pd.DataFrame:
    """Energy per MAC (fJ) and TOPS/W by ADC resolution for one AIMC macro size, with the step per bit."""
    frame = evaluate_macros("aimc", rows, rows, bits_per_cycle=bits_per_cycle, adc_bits=np.asarray(list(adc_bits), float))
    out = frame[["rows", "adc_bits", "energy_per_mac_fj", "tops_per_w", "tops_per_mm2", "area_mm2"]].copy()
    out["extra_fj_per_mac_for_this_bit"] = out["energy_per_mac_fj"].diff()
    return out.reset_index(drop=True)
