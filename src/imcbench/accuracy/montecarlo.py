"""Monte Carlo simulation of a matrix-vector product on an AIMC / DIMC macro (numpy, vectorized, seeded).

The same structure as the analytical model (:mod:`imcbench.accuracy.noise`), computed sample by
sample: quantize inputs and weights, slice the input codes into Bc-bit cycles and the stored weight
codes into cells, form every column's analog partial sum over its group of activated rows (with the
cells' static conductance variation, conductance drift with one exponent per cell, and fresh read noise
per conversion), convert it with the ADC (saturating at its range), and shift-add the conversions digitally. It is the forward pass of the
digits networks too (:mod:`imcbench.accuracy.digits`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from imcbench.accuracy.cellnoise import column_read_noise
from imcbench.accuracy.noise import MvmConfig, adc_levels, calibrated_range, full_scale
from imcbench.accuracy.operands import (OperandModel, code_scale, quantize, split_digits,
                                        stored_offset)
from imcbench.errors import ImcbenchError

CHUNK_ELEMENTS = 1 << 22  # partial sums held at once (x 8 bytes): bounds memory on large batches


@dataclass(frozen=True, eq=False)
class ProgrammedMatrix:
    """A weight matrix (N inputs x K outputs) written into macros, ready to multiply input batches.

    ``conductance``: (J, G, n, K) cell digits times their static variation (1 + cell_sigma eps),
    zero on padding rows; ``codes``: (N, K) signed weight codes; ``adc_lo``/``adc_hi``: (S, J) ADC
    range per input slice and cell column (None until calibrated, for the calibrated range).
    """

    config: MvmConfig
    conductance: np.ndarray
    codes: np.ndarray
    input_clip: float
    weight_scale: float
    adc_lo: np.ndarray | None = None
    adc_hi: np.ndarray | None = None

    @property
    def dot_length(self) -> int:
        return self.codes.shape[0]

    @property
    def input_scale(self) -> float:
        return code_scale(self.input_clip, self.config.input_bits, signed=False)


def program(w: np.ndarray, config: MvmConfig, *, input_clip: float, weight_clip: float | None = None,
            rng: np.random.Generator) -> ProgrammedMatrix:
    """Quantize ``w`` (N x K; clip default max |w|) and write it into cells, drawing their variation."""
    w = np.asarray(w, dtype=float)
    if w.ndim != 2:
        raise ImcbenchError("the weight matrix must be 2-D (inputs x outputs)")
    weight_clip = float(np.abs(w).max() or 1.0) if weight_clip is None else weight_clip
    c = config
    codes = quantize(w, weight_clip, c.weight_bits, signed=True)
    digits = split_digits(codes + stored_offset(c.weight_bits, True), c.weight_bits, c.bits_per_cell)
    n_dot, k_out = w.shape
    groups = -(-n_dot // c.rows)
    per_group = -(-n_dot // groups)
    padded = np.zeros((digits.shape[0], groups * per_group, k_out))
    padded[:, :n_dot] = digits
    conductance = padded.reshape(digits.shape[0], groups, per_group, k_out)
    if c.cell_sigma > 0:
        conductance = conductance * (1.0 + c.cell_sigma * rng.standard_normal(conductance.shape))
    if c.is_aimc and (c.drift_nu > 0 or c.drift_nu_std > 0) and c.drift_time_ratio > 1:
        nu = c.drift_nu + c.drift_nu_std * rng.standard_normal(conductance.shape)  # one exponent per cell
        conductance = conductance * c.drift_time_ratio ** -nu
    return ProgrammedMatrix(c, conductance, codes, float(input_clip),
                            code_scale(weight_clip, c.weight_bits, signed=True))


def _input_slices(pm: ProgrammedMatrix, codes: np.ndarray) -> np.ndarray:
    """(S, G, T, n) input slices per group of rows (padding rows are zero)."""
    c = pm.config
    slices = split_digits(codes, c.input_bits, c.bits_per_cycle)  # (S, T, N)
    groups, per_group = pm.conductance.shape[1:3]
    padded = np.zeros(slices.shape[:2] + (groups * per_group,))
    padded[:, :, :codes.shape[1]] = slices
    return padded.reshape(slices.shape[0], slices.shape[1], groups, per_group).transpose(0, 2, 1, 3)


def _column_signals(pm: ProgrammedMatrix, slices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Analog column values (S, J, G, T, K): partial sums through the cells plus read noise."""
    n_slices, groups, trials, rows = slices.shape
    n_cells, _, _, outputs = pm.conductance.shape
    # one GEMM per row group: (S*T, n) @ (n, J*K), then back to (S, J, G, T, K)
    lhs = slices.transpose(1, 0, 2, 3).reshape(groups, n_slices * trials, rows)
    rhs = pm.conductance.transpose(1, 2, 0, 3).reshape(groups, rows, n_cells * outputs)
    v = np.matmul(lhs, rhs).reshape(groups, n_slices, trials, n_cells, outputs).transpose(1, 3, 0, 2, 4)
    sigma = float(column_read_noise(pm.config.read_noise, pm.config.read_noise_per_row, rows))
    if sigma > 0:
        v = v + sigma * rng.standard_normal(v.shape)
    return v


def calibrate(pm: ProgrammedMatrix, x: np.ndarray, rng: np.random.Generator) -> ProgrammedMatrix:
    """Set the ADC range of each (input slice, cell column) from a calibration batch ``x`` (T x N).

    ``fixed``: [0, full scale]; ``calibrated``: mean -+ clip_sigma sigma of the column values seen.
    """
    c = pm.config
    full = float(full_scale(c.rows, c.bits_per_cycle, c.bits_per_cell)) * c.drift.factor  # range tracks drift
    n_slices, n_cells = -(-c.input_bits // c.bits_per_cycle), pm.conductance.shape[0]
    if c.adc_range == "fixed":
        return replace(pm, adc_lo=np.zeros((n_slices, n_cells)), adc_hi=np.full((n_slices, n_cells), full))
    codes = quantize(np.asarray(x, dtype=float), pm.input_clip, c.input_bits, signed=False)
    v = _column_signals(pm, _input_slices(pm, codes), rng)
    lo, hi = calibrated_range(v.mean(axis=(2, 3, 4)), v.std(axis=(2, 3, 4)), full, c.clip_sigma)
    return replace(pm, adc_lo=lo, adc_hi=hi)


def matvec(pm: ProgrammedMatrix, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The macro's estimate of ``x @ w`` (T x K, real units) for a batch ``x`` (T x N, x >= 0)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != pm.dot_length:
        raise ImcbenchError(f"input batch of shape {x.shape} does not match {pm.dot_length} weight rows")
    c = pm.config
    codes = quantize(x, pm.input_clip, c.input_bits, signed=False)
    scale = pm.input_scale * pm.weight_scale
    if not c.is_aimc:
        return (codes @ pm.codes) * scale  # DIMC: exact integer arithmetic
    if pm.adc_lo is None:
        raise ImcbenchError("calibrate the ADC range first (imcbench.accuracy.montecarlo.calibrate)")
    n_out = pm.codes.shape[1]
    per_sample = pm.adc_lo.size * pm.conductance.shape[1] * n_out
    chunk = max(1, CHUNK_ELEMENTS // per_sample)
    out = np.concatenate([_analog_chunk(pm, codes[i:i + chunk], rng)
                          for i in range(0, codes.shape[0], chunk)], axis=0)
    return out * scale


def _analog_chunk(pm: ProgrammedMatrix, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    c = pm.config
    v = _column_signals(pm, _input_slices(pm, codes), rng)  # (S, J, G, T, K)
    lo, hi = pm.adc_lo[:, :, None, None, None], pm.adc_hi[:, :, None, None, None]
    levels = adc_levels(c.adc_bits)
    step = np.where(hi > lo, (hi - lo) / (levels - 1), 1.0)
    converted = lo + np.clip(np.rint((v - lo) / step), 0, levels - 1) * step
    place = (2.0 ** (c.bits_per_cycle * np.arange(v.shape[0])))[:, None] \
        * (2.0 ** (c.bits_per_cell * np.arange(v.shape[1])))[None, :]
    total = np.einsum("sj,sjgtk->tk", place, converted) / c.drift.factor  # on the programmed scale
    exact = total - stored_offset(c.weight_bits, True) * codes.sum(axis=1, keepdims=True)
    return exact * c.drift.gain  # uncompensated drift keeps the gain f (accuracy.cellnoise)


def monte_carlo_sqnr_db(dot_length: int, config: MvmConfig, operands: OperandModel | None = None, *,
                        trials: int = 256, outputs: int = 64, seed: int = 0) -> float:
    """SQNR (dB) of ``trials`` x ``outputs`` simulated dot products against the float result.

    Inputs and weights are drawn from ``operands``; the ADC range is calibrated on the same batch.
    """
    operands = operands or OperandModel.default()
    rng = np.random.default_rng(seed)
    x = operands.inputs.sample(rng, (trials, dot_length))
    w = operands.weights.sample(rng, (dot_length, outputs))
    pm = program(w, config, input_clip=operands.input_clip, weight_clip=operands.weight_clip, rng=rng)
    pm = calibrate(pm, x, rng)
    y = x @ w
    err = matvec(pm, x, rng) - y
    return float(10 * np.log10(np.sum(y**2) / np.sum(err**2)))
