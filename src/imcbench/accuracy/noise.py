"""Analytical signal-to-quantization-and-noise ratio (SQNR) of an AIMC / DIMC matrix-vector product.

The computation modelled is the structure of the macro model (Sun et al., ICCAD 2023; :mod:`imcbench.macro.model`):
a dot product of length N (= C*FY*FX of a layer) is cut into G = ceil(N / rows) groups of n = N / G
activated rows. Inputs are applied bit-serially in S = ceil(Bi / Bc) slices of Bc bits (the DAC);
each weight is stored over J = ceil(Bw / Bcell) cells of Bcell bits (1 for SRAM), one physical column
per cell. In each cycle every physical column forms the analog partial sum

    P[s, j] = sum over the n rows of  x_slice[s] * d[j] * (1 + cell variation)  + read noise

which one ADC conversion quantizes; the digital back end shifts and adds the conversions with place
values a[s, j] = 2^(Bc s) 2^(Bcell j) over slices, cells and groups (and removes the weight offset,
exactly). A DIMC macro computes the same integer sum exactly: only input and weight quantization
remain.

Error model (all in code units of the output, i.e. s_x s_w):
* partial sum P[s, j]: its exact distribution, the n-fold convolution of the per-row pmf of
  x_s d_j (:mod:`imcbench.accuracy.conversion`); cell variation (relative sigma, static per cell)
  adds noise of variance sigma_cell^2 sum(x_s^2 d_j^2); read noise adds sigma_read^2 (unit: one cell
  at input-slice value 1, the partial sum's LSB);
* ADC: round(2^B) levels over [lo, hi] = [0, full scale] (``fixed``: full scale = rows (2^Bc - 1)
  (2^Bcell - 1)) or mean -+ k sigma of the partial sum clamped to it (``calibrated`` to the
  partial-sum distribution, signal and noise); its error e = ADC(P + noise) - P is integrated in
  closed form over the noise for every value of P, then over P's distribution;
* combination: Bussgang decomposition e = beta (P - mu) + bias + r. The correlated part beta (P - mu)
  is summed with the full covariance of the P[s, j] (columns share inputs, slices share weights), the
  residuals r as independent, the biases coherently, plus the correlation of beta (P - mu) with the
  input/weight quantization error and the correlation of a static cell's noise across input slices.
The Monte Carlo simulation (:mod:`imcbench.accuracy.montecarlo`) checks this within 1 dB.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from imcbench.accuracy.conversion import conversion_moments, partial_sum_pmf
from imcbench.accuracy.operands import OperandModel, QuantizedOperand, n_digits
from imcbench.design_limits import MAX_ADC_BITS, MIN_ADC_BITS
from imcbench.errors import ImcbenchError

ADC_RANGES = ("fixed", "calibrated")
DEFAULT_CLIP_SIGMA = 4.0  # calibrated ADC range: mean +- 4 sigma of the partial sum (assumption)
CLIP_SIGMA_CHOICES = (3.0, 4.0, 6.0, 8.0)  # ranges a per-layer calibration picks from (best SQNR kept)
MIN_ADC_LEVELS = 2


@dataclass(frozen=True)
class MvmConfig:
    """How one matrix-vector product is computed by a macro, and its non-idealities.

    ``rows``: rows activated per ADC conversion (the macro's rows); ``adc_bits`` may be fractional
    (the paper's rule gives 4.5 b; the ADC then has round(2^B) levels); ``read_noise`` is the column
    noise sigma in partial-sum LSB (one cell driven by input-slice value 1); ``cell_sigma`` the
    relative conductance sigma of a cell; ``adc_range`` ``fixed`` (full scale) or ``calibrated``
    (mean +- ``clip_sigma`` sigma of the partial sums). ``drift_*``: conductance drift of the cells read
    ``drift_time_ratio`` = t / t0 after programming (:mod:`imcbench.accuracy.cellnoise`);
    :meth:`from_cell` fills the noise and drift from a cell technology.
    """

    kind: str = "aimc"
    rows: int = 256
    adc_bits: float = 6.0
    bits_per_cycle: int = 2
    input_bits: int = 8
    weight_bits: int = 8
    bits_per_cell: int = 1
    read_noise: float = 0.0
    cell_sigma: float = 0.0
    adc_range: str = "calibrated"
    clip_sigma: float = DEFAULT_CLIP_SIGMA
    read_noise_per_row: float = 0.0  # read noise each active row adds (LSB); see accuracy.cellnoise
    drift_nu: float = 0.0  # conductance drift exponent (PCM), G = G0 (t/t0)^-nu; see accuracy.cellnoise
    drift_nu_std: float = 0.0  # device-to-device sigma of nu
    drift_time_ratio: float = 1.0  # t / t0 of the read after programming
    drift_compensated: bool = True  # global drift compensation divides the output by the mean decay

    def __post_init__(self) -> None:
        problems = config_problems(self)
        if problems:
            raise ImcbenchError(f"invalid noise model: {problems[0]}")

    @property
    def is_aimc(self) -> bool:
        return self.kind == "aimc"

    @classmethod
    def from_macro(cls, spec, **noise) -> "MvmConfig":
        """The MVM of a :class:`imcbench.macro.MacroSpec` (rows, bits per cycle, ADC bits, precisions)."""
        adc = spec.resolved_adc_bits
        return cls(kind=spec.kind, rows=spec.rows, adc_bits=6.0 if adc is None else adc,
                   bits_per_cycle=spec.bits_per_cycle, input_bits=spec.input_bits,
                   weight_bits=spec.weight_bits, **noise)

    def with_cell(self, cell, *, t_s: float = 0.0, compensated: bool = True) -> "MvmConfig":
        """This MVM on ``cell`` (a name of imcbench.celltech) read ``t_s`` s after programming."""
        from imcbench.accuracy.cellnoise import cell_noise_settings

        return replace(self, **cell_noise_settings(cell, rows=self.rows, bits_per_cycle=self.bits_per_cycle,
                                                   bits_per_cell=self.bits_per_cell, t_s=t_s,
                                                   compensated=compensated))

    @property
    def drift(self):
        """The :class:`imcbench.accuracy.cellnoise.DriftState` of this read."""
        from imcbench.accuracy.cellnoise import drift_state

        return drift_state(self.drift_nu, self.drift_nu_std, self.drift_time_ratio, self.drift_compensated)

    def with_(self, **changes) -> "MvmConfig":
        return replace(self, **changes)

    def terms(self, dot_length, operands: OperandModel | None = None) -> "SqnrTerms":
        """Signal and error powers of a dot product of ``dot_length`` (see :func:`analytic_terms`); with
        drift, the noise on the compensated scale and, uncompensated, the gain error (accuracy.cellnoise)."""
        from imcbench.accuracy.cellnoise import active_rows, column_read_noise, effective_noise

        drift = self.drift
        column = column_read_noise(self.read_noise, self.read_noise_per_row, active_rows(dot_length, self.rows))
        read_noise, cell_sigma = effective_noise(column, self.cell_sigma, drift)
        terms = analytic_terms(dot_length, rows=self.rows, adc_bits=self.adc_bits,
                               bits_per_cycle=self.bits_per_cycle, input_bits=self.input_bits,
                               weight_bits=self.weight_bits, bits_per_cell=self.bits_per_cell,
                               read_noise=read_noise, cell_sigma=cell_sigma,
                               adc_range=self.adc_range, clip_sigma=self.clip_sigma,
                               is_aimc=self.is_aimc, operands=operands)
        if drift.gain == 1.0 or not self.is_aimc:
            return terms
        g = drift.gain
        return SqnrTerms(terms.signal, g**2 * terms.io, g**2 * terms.adc + (1 - g) ** 2 * terms.signal)

    def sqnr_db(self, dot_length, operands: OperandModel | None = None) -> float:
        return float(self.terms(dot_length, operands).sqnr_db)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def config_problems(c: MvmConfig) -> list[str]:
    """What is wrong with a configuration (empty when it is valid)."""
    checks = [
        (c.kind in ("aimc", "dimc"), f"kind {c.kind!r} must be 'aimc' or 'dimc'"),
        (int(c.rows) == c.rows and c.rows >= 1, f"rows {c.rows!r} must be a positive integer"),
        (np.isfinite(c.adc_bits) and MIN_ADC_BITS <= c.adc_bits <= MAX_ADC_BITS,
         f"adc_bits {c.adc_bits!r} must be in [{MIN_ADC_BITS}, {MAX_ADC_BITS}]"),
        (1 <= c.bits_per_cycle <= c.input_bits, f"bits_per_cycle {c.bits_per_cycle!r} must be in 1..input_bits"),
        (1 <= c.bits_per_cell <= c.weight_bits, f"bits_per_cell {c.bits_per_cell!r} must be in 1..weight_bits"),
        (c.read_noise >= 0 and np.isfinite(c.read_noise), f"read_noise {c.read_noise!r} must be >= 0"),
        (c.read_noise_per_row >= 0 and np.isfinite(c.read_noise_per_row),
         f"read_noise_per_row {c.read_noise_per_row!r} must be >= 0"),
        (c.cell_sigma >= 0 and np.isfinite(c.cell_sigma), f"cell_sigma {c.cell_sigma!r} must be >= 0"),
        (c.adc_range in ADC_RANGES, f"adc_range {c.adc_range!r} must be 'fixed' or 'calibrated'"),
        (c.clip_sigma > 0, f"clip_sigma {c.clip_sigma!r} must be positive"),
        (np.isfinite(c.drift_nu) and 0 <= c.drift_nu < 1, f"drift_nu {c.drift_nu!r} must be in [0, 1)"),
        (np.isfinite(c.drift_nu_std) and c.drift_nu_std >= 0, f"drift_nu_std {c.drift_nu_std!r} must be >= 0"),
        (np.isfinite(c.drift_time_ratio) and c.drift_time_ratio >= 1,
         f"drift_time_ratio {c.drift_time_ratio!r} (t / t0) must be >= 1"),
    ]
    return [message for ok, message in checks if not ok]


@dataclass(frozen=True)
class SqnrTerms:
    """Powers (code units squared, arrays over designs) of the output signal and its error terms.

    ``io``: input and weight quantization; ``adc``: everything the analog column and the ADC add
    (quantization, clipping, read noise, cell variation), with its correlation to ``io``.
    """

    signal: np.ndarray
    io: np.ndarray
    adc: np.ndarray

    @property
    def error(self) -> np.ndarray:
        return self.io + self.adc

    @property
    def sqnr_db(self) -> np.ndarray:
        return 10.0 * np.log10(self.signal / np.maximum(self.error, 1e-300))

    @property
    def io_sqnr_db(self) -> np.ndarray:
        """SQNR of input and weight quantization alone (the DIMC value, the AIMC ceiling)."""
        return 10.0 * np.log10(self.signal / np.maximum(self.io, 1e-300))

    def to_dict(self) -> dict:
        return {"sqnr_db": np.asarray(self.sqnr_db).tolist(), "io_sqnr_db": np.asarray(self.io_sqnr_db).tolist(),
                "signal": np.asarray(self.signal).tolist(), "io_error": np.asarray(self.io).tolist(),
                "adc_error": np.asarray(self.adc).tolist()}


def adc_levels(adc_bits) -> np.ndarray:
    """Levels of a (possibly fractional-bit) ADC: round(2^B), at least 2."""
    return np.maximum(np.rint(2.0 ** np.asarray(adc_bits, dtype=float)), MIN_ADC_LEVELS)


def full_scale(rows, bits_per_cycle, bits_per_cell) -> np.ndarray:
    """Largest column partial sum, LSB: rows (2^Bc - 1)(2^Bcell - 1) (every row at its maximum)."""
    return (np.asarray(rows, dtype=float) * (2.0 ** np.asarray(bits_per_cycle) - 1)
            * (2.0 ** np.asarray(bits_per_cell) - 1))


def calibrated_range(mean, sigma, full, clip_sigma):
    """ADC range [lo, hi] = mean -+ clip_sigma sigma, inside [0, full scale]."""
    lo = np.clip(mean - clip_sigma * sigma, 0.0, full)
    hi = np.clip(mean + clip_sigma * sigma, 0.0, full)
    return lo, hi


# -- the SQNR of a dot product ------------------------------------------------------------------
def analytic_terms(dot_length, *, rows, adc_bits, bits_per_cycle=2, input_bits=8, weight_bits=8,
                   bits_per_cell=1, read_noise=0.0, cell_sigma=0.0, adc_range="calibrated",
                   clip_sigma=DEFAULT_CLIP_SIGMA, is_aimc=True,
                   operands: OperandModel | None = None) -> SqnrTerms:
    """Signal and error powers of dot products of length ``dot_length`` on many designs at once.

    All design arguments broadcast (numpy arrays or scalars; ``adc_range`` an array of 'fixed' /
    'calibrated' strings or one string; ``is_aimc`` False gives the exact DIMC result). Units: powers
    in output code units squared (s_x s_w)^2; noise in partial-sum LSB. ``operands``: the input and
    weight statistics (default :meth:`OperandModel.default`). Source: see the module docstring.
    """
    operands = operands or OperandModel.default()
    args = np.broadcast_arrays(*(np.asarray(a) for a in (dot_length, rows, adc_bits, bits_per_cycle,
                                                          input_bits, weight_bits, bits_per_cell, read_noise,
                                                          cell_sigma, adc_range, clip_sigma, is_aimc)))
    shape = args[0].shape
    (n_dot, rows, adc, bc, bi, bw, bcell, read, cell, rng_mode, k_clip, aimc) = (np.ravel(a) for a in args)
    n_dot, rows = n_dot.astype(float), rows.astype(float)
    bc, bi, bw, bcell = (a.astype(int) for a in (bc, bi, bw, bcell))
    adc, read, cell, k_clip = (a.astype(float) for a in (adc, read, cell, k_clip))
    aimc = aimc.astype(bool)
    if np.any(n_dot < 1) or np.any(rows < 1):
        raise ImcbenchError("dot-product length and rows must be at least 1")
    if not np.all(np.isin(rng_mode, ADC_RANGES)):
        raise ImcbenchError(f"adc_range must be one of {', '.join(ADC_RANGES)}")
    if np.any(aimc & ~((adc >= MIN_ADC_BITS) & (adc <= MAX_ADC_BITS))):
        raise ImcbenchError(f"adc_bits must be in [{MIN_ADC_BITS}, {MAX_ADC_BITS}] for AIMC designs")
    if np.any((bc < 1) | (bc > bi) | (bcell < 1) | (bcell > bw)):
        raise ImcbenchError("bits per cycle must be in 1..input bits and bits per cell in 1..weight bits")

    x = _stacked(operands.input_moments, bi, bc)
    w = _stacked(operands.weight_moments, bw, bcell)
    signal = n_dot * x["real_sq"] * w["real_sq"] + n_dot * (n_dot - 1) * (x["real_mean"] * w["real_mean"]) ** 2
    io_mean = n_dot * (x["code_mean"] * w["code_mean"] - x["real_mean"] * w["real_mean"])
    io_var = n_dot * (x["code_sq"] * w["code_sq"] - 2 * x["code_real"] * w["code_real"]
                      + x["real_sq"] * w["real_sq"]) - io_mean**2 / np.maximum(n_dot, 1)

    groups = np.ceil(n_dot / rows)
    n = np.maximum(np.rint(n_dot / groups), 1.0)  # active rows per conversion (groups balanced)
    adc_err = np.zeros_like(signal)
    if aimc.any():  # each distinct AIMC design once (sweeps repeat them: columns do not matter here)
        fixed = rng_mode == "fixed"
        aimc_idx = np.flatnonzero(aimc)
        table = np.column_stack([a[aimc_idx] for a in (n_dot, rows, adc, bc, bcell, bi, bw, read, cell, fixed, k_clip)])
        _, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
        u = aimc_idx[first]
        adc_err[aimc_idx] = _adc_error(n[u], groups[u], rows[u], adc[u], bc[u], bcell[u], read[u], cell[u],
                                       fixed[u], k_clip[u], _subset(x, u), _subset(w, u), io_mean[u],
                                       lambda *key: _partial_sum_pmfs(operands, *key))[inverse.ravel()]
    return SqnrTerms(signal.reshape(shape), (io_var + io_mean**2).reshape(shape), adc_err.reshape(shape))


def _adc_error(n, groups, rows, adc, bc, bcell, read, cell, fixed, k_clip, x, w, io_mean, pmf_of):
    """Output error power added by the columns and ADCs (and its correlation with the I/O error)."""
    xm, wm = x["digit_mean"][:, :, None], w["digit_mean"][:, None, :]  # (D, S, 1), (D, 1, J)
    x2 = np.diagonal(x["digit_cross"], axis1=1, axis2=2)[:, :, None]
    w2 = np.diagonal(w["digit_cross"], axis1=1, axis2=2)[:, None, :]
    nn = n[:, None, None]
    mean = nn * xm * wm
    var_p = nn * (x2 * w2 - (xm * wm) ** 2)
    cell_per_lsb = np.where(xm * wm > 0, (cell**2)[:, None, None] * x2 * w2 / np.maximum(xm * wm, 1e-300), 0.0)
    var_noise = cell_per_lsb * mean + (read**2)[:, None, None]
    full = full_scale(rows, bc, bcell)[:, None, None] * np.ones_like(mean)
    cal_lo, cal_hi = calibrated_range(mean, np.sqrt(var_p + var_noise), full, k_clip[:, None, None])
    fixed3 = fixed[:, None, None]
    lo, hi = np.where(fixed3, 0.0, cal_lo), np.where(fixed3, full, cal_hi)
    levels = adc_levels(adc)[:, None, None] * np.ones_like(mean)
    read3 = read[:, None, None] * np.ones_like(mean)

    place = x["place"][:, :, None] * w["place"][:, None, :]  # zero on padded slices / cells
    mean_e, sq_e, cov_e = (np.zeros_like(mean) for _ in range(3))
    keys = np.stack([np.rint(n), x["bits"], x["digit_bits"], w["bits"], w["digit_bits"]], axis=1)
    for key in np.unique(keys, axis=0):  # one exact partial-sum distribution per distinct shape
        sel = np.flatnonzero(np.all(keys == key, axis=1))
        pmf = pmf_of(*(int(k) for k in key))  # (S', J', M)
        s_, j_ = pmf.shape[:2]
        box = (sel, slice(0, s_), slice(0, j_))
        parts = conversion_moments(pmf[None], lo[box], hi[box], levels[box], read3[box],
                                             cell_per_lsb[box])
        for out, part in zip((mean_e, sq_e, cov_e), parts):
            out[box] = part

    beta = np.where(var_p > 1e-12, cov_e / np.maximum(var_p, 1e-12), 0.0)
    residual = np.maximum(sq_e - mean_e**2 - beta**2 * var_p, 0.0)
    v = place * beta
    # covariance of x_s d_j with the per-row I/O error  X W - x w  (code units)
    kappa = (x["digit_code"][:, :, None] * w["digit_code"][:, None, :]
             - x["digit_real"][:, :, None] * w["digit_real"][:, None, :]
             - xm * wm * (x["code_mean"] * w["code_mean"] - x["real_mean"] * w["real_mean"])[:, None, None])
    cross = 2 * groups * n * (v * kappa).sum(axis=(1, 2))
    bias = groups * (place * mean_e).sum(axis=(1, 2))
    return (groups * (_quadratic(v, x, w) * n + (place**2 * residual).sum(axis=(1, 2))
                      + _cell_noise_across_slices(n, cell, x, w))
            + cross + (bias + io_mean) ** 2 - io_mean**2)


def _cell_noise_across_slices(n, cell, x, w):
    """Covariance of the cell-variation noise between input slices (one group, output code units).

    A cell's conductance error is static, so it multiplies every input slice of the same row: the
    noise terms of two slices s != s' of one column are correlated, sigma^2 n E[x_s x_s'] E[d_j^2].
    (The per-conversion terms, s = s', are in the residuals.)
    """
    ps, xc = x["place"], x["digit_cross"]
    slices = np.einsum("ds,dst,dt->d", ps, xc, ps) - np.einsum("ds,dss->d", ps**2, xc)
    cells = np.einsum("dj,djj->d", w["place"] ** 2, w["digit_cross"])
    return cell**2 * n * slices * cells


def _quadratic(v, x, w):
    """Per-row variance of sum_sj v_sj x_s d_j: v^T (E[x x^T] (x) E[d d^T] - mean mean^T) v."""
    a = np.einsum("dst,dtj->dsj", x["digit_cross"], v)
    second = (np.einsum("dsj,djk->dsk", a, w["digit_cross"]) * v).sum(axis=(1, 2))
    first = (v * x["digit_mean"][:, :, None] * w["digit_mean"][:, None, :]).sum(axis=(1, 2))
    return second - first**2


def _subset(moments: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in moments.items()}


@lru_cache(maxsize=512)
def _partial_sum_pmfs(operands: OperandModel, rows: int, input_bits: int, bits_per_cycle: int,
                      weight_bits: int, bits_per_cell: int) -> np.ndarray:
    """(S, J, M) pmfs of the column partial sums over ``rows`` rows for every slice and cell."""
    xq = operands.input_moments(input_bits, bits_per_cycle)
    wq = operands.weight_moments(weight_bits, bits_per_cell)
    size = rows * ((1 << bits_per_cycle) - 1) * ((1 << bits_per_cell) - 1) + 1
    table = np.zeros((xq.n_digits, wq.n_digits, size))
    for s, slice_pmf in enumerate(xq.digit_pmf):
        for j, digit_pmf in enumerate(wq.digit_pmf):
            pmf = partial_sum_pmf(slice_pmf, digit_pmf, rows)
            table[s, j, :pmf.size] = pmf
    return table


_SCALARS = ("code_mean", "code_sq", "real_mean", "real_sq", "code_real")
_VECTORS = ("place", "digit_mean", "digit_code", "digit_real")


def _stacked(moments_of, bits: np.ndarray, digit_bits: np.ndarray) -> dict[str, np.ndarray]:
    """Moments for every design, padded to the largest digit count (padding has place value 0)."""
    size = int(n_digits(bits, digit_bits).max())
    out = {k: np.zeros(bits.size) for k in _SCALARS}
    out.update({k: np.zeros((bits.size, size)) for k in _VECTORS})
    out["digit_cross"] = np.zeros((bits.size, size, size))
    out["bits"], out["digit_bits"] = bits.astype(float), digit_bits.astype(float)
    pairs = np.stack([bits, digit_bits], axis=1)
    for b, d in np.unique(pairs, axis=0):  # a handful of precisions, not one per design
        rows = np.all(pairs == (b, d), axis=1)
        q: QuantizedOperand = moments_of(int(b), int(d))
        j = q.n_digits
        for k in _SCALARS:
            out[k][rows] = getattr(q, k)
        for k in _VECTORS:
            out[k][rows, :j] = getattr(q, k)
        out["digit_cross"][rows, :j, :j] = q.digit_cross
    return out


def layer_sqnr_db(layer_or_length, rows, adc_bits, bits_per_cycle, input_bits=8, weight_bits=8,
                  noise=0.0, *, kind="aimc", cell_sigma=0.0, bits_per_cell=1, adc_range="calibrated",
                  clip_sigma=CLIP_SIGMA_CHOICES, operands: OperandModel | None = None) -> np.ndarray:
    """Per-design SQNR (dB) of one layer: arrays of macro parameters in, an array of SQNR out.

    ``layer_or_length``: an :class:`imcbench.workload.Layer` (its dot-product length C*FY*FX) or
    that length; ``noise`` the column read-noise sigma (partial-sum LSB); ``kind`` 'aimc' / 'dimc'
    (array or scalar; DIMC ignores the ADC and noise; NaN ``adc_bits`` are allowed there).
    ``clip_sigma``: the calibrated ADC range in sigmas, or several to pick the best per design (a
    per-layer calibration: the best range narrows as the ADC gets coarser).
    """
    length = dot_length(layer_or_length)
    is_aimc = np.asarray(kind) == "aimc"
    adc = np.where(is_aimc, np.asarray(adc_bits, dtype=float), 8.0)
    if np.any(is_aimc & ~np.isfinite(adc)):
        raise ImcbenchError("adc_bits must be finite for AIMC designs")
    choices = np.atleast_1d(np.asarray(clip_sigma, dtype=float))
    if np.all(np.asarray(adc_range) == "fixed"):
        choices = choices[:1]  # the range is not calibrated: clip_sigma plays no role
    return np.max([analytic_terms(length, rows=rows, adc_bits=adc, bits_per_cycle=bits_per_cycle,
                                  input_bits=input_bits, weight_bits=weight_bits, bits_per_cell=bits_per_cell,
                                  read_noise=noise, cell_sigma=cell_sigma, adc_range=adc_range,
                                  clip_sigma=float(k), is_aimc=is_aimc, operands=operands).sqnr_db
                   for k in choices], axis=0)


def dot_length(layer_or_length) -> int:
    """Length of one output's dot product: C*FY*FX of a Layer, or the number given."""
    if hasattr(layer_or_length, "FY"):
        return int(layer_or_length.C * layer_or_length.FY * layer_or_length.FX)
    return int(layer_or_length)
