"""The error of one ADC conversion of a column partial sum, in closed form over its exact distribution.

A column partial sum P = sum over n rows of t = x_s d_j (input slice times cell digit) is a sum of n
independent non-negative integers, so its distribution is the n-fold convolution of the per-row pmf
(computed exactly with an FFT). The converted value is ADC(P + noise): Gaussian read noise plus the
cells' conductance variation, whose variance given P = i is sigma_cell^2 i E[t^2] / E[t]
(proportional to the current). For every value i the error e = ADC(i + noise) - i is integrated
over the noise in closed form: directly without noise, bin by bin when the noise is below one ADC
step, and as uniform granular noise Delta^2 / 12 plus the two saturating tails when it is above
(Widrow's quantization theorem; Widrow, Kollar, "Quantization Noise", 2008). Units: partial-sum LSB.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

SQRT_2PI = np.sqrt(2.0 * np.pi)
NOISE_SPAN = 8.0  # noise sigmas integrated around each value (mass beyond: 1e-15)
MAX_WINDOW_BINS = 2 * int(NOISE_SPAN) + 2  # ADC bins under +-8 sigma of noise when sigma < one step
PMF_FLOOR = 1e-18  # partial-sum values rarer than this are dropped (their error weight is negligible)
CHUNK_ELEMENTS = 1 << 21  # (design x value x bin) elements evaluated at once


def partial_sum_pmf(slice_pmf: np.ndarray, digit_pmf: np.ndarray, rows: int) -> np.ndarray:
    """pmf of the column partial sum over ``rows`` rows, indexed by its value 0 .. rows*max(t).

    ``slice_pmf[a]`` = P(x_s = a), ``digit_pmf[b]`` = P(d_j = b); rows are independent (exact
    n-fold convolution by FFT; round-off below 1e-16 is clipped to zero).
    """
    values = np.multiply.outer(np.arange(slice_pmf.size), np.arange(digit_pmf.size)).ravel()
    per_row = np.bincount(values, weights=np.multiply.outer(slice_pmf, digit_pmf).ravel())
    size = (per_row.size - 1) * rows + 1
    fft_size = 1 << int(np.ceil(np.log2(max(size, 2))))
    pmf = np.fft.irfft(np.fft.rfft(per_row, fft_size) ** rows, fft_size)[:size]
    pmf = np.where(pmf > 1e-16 * pmf.max(), pmf, 0.0)
    return pmf / pmf.sum()


def _normal_moments(a, b):
    """Partial moments of Z ~ N(0, 1) over (a, b]: P, E[Z; .], E[Z^2; .] (a, b may be infinite)."""
    m0 = np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    pdf_a, pdf_b = np.exp(-0.5 * a * a) / SQRT_2PI, np.exp(-0.5 * b * b) / SQRT_2PI
    with np.errstate(invalid="ignore"):
        a_pdf = np.where(np.isfinite(a), a * pdf_a, 0.0)
        b_pdf = np.where(np.isfinite(b), b * pdf_b, 0.0)
    return m0, pdf_a - pdf_b, m0 + a_pdf - b_pdf


def quantize_levels(v, lo, step, levels):
    """The ADC: nearest of ``levels`` levels lo + k step, saturating at both ends."""
    return lo + np.clip(np.rint((v - lo) / step), 0, levels - 1) * step


def value_error_moments(value, noise_sd, lo, step, levels):
    """E[e], E[e^2] of e = ADC(value + noise) - value, noise ~ N(0, noise_sd^2); arrays broadcast."""
    value, noise_sd, lo, step, levels = np.broadcast_arrays(value, noise_sd, lo, step, levels)
    direct = quantize_levels(value, lo, step, levels) - value
    first, second = direct.copy(), direct**2
    smooth = noise_sd >= step
    if np.any(smooth):
        first[smooth], second[smooth] = _smooth(value[smooth], noise_sd[smooth], lo[smooth], step[smooth],
                                                levels[smooth])
    coarse = (noise_sd > 0) & ~smooth
    if np.any(coarse):
        first[coarse], second[coarse] = _binned(value[coarse], noise_sd[coarse], lo[coarse], step[coarse],
                                                levels[coarse])
    return first, second


def _smooth(value, sd, lo, step, levels):
    """Noise above one step: uniform granular error (variance step^2/12) between the saturation
    thresholds, a constant level beyond them."""
    z_lo = (lo - 0.5 * step - value) / sd
    z_hi = (lo + (levels - 0.5) * step - value) / sd
    lo_m0 = ndtr(z_lo)
    hi_m0 = ndtr(-z_hi)
    gr_m0, gr_m1, gr_m2 = _normal_moments(z_lo, z_hi)
    h_lo, h_hi = lo - value, lo + (levels - 1) * step - value
    first = h_lo * lo_m0 + h_hi * hi_m0 + sd * gr_m1
    second = h_lo**2 * lo_m0 + h_hi**2 * hi_m0 + step**2 / 12 * gr_m0 + sd**2 * gr_m2
    return first, second


def _binned(value, sd, lo, step, levels):
    """Noise below one step: the error summed over the few ADC bins under +-8 sigma of noise."""
    bins = int(min(MAX_WINDOW_BINS, np.ceil(2 * NOISE_SPAN * np.max(sd / step)) + 2))
    chunk = max(1, CHUNK_ELEMENTS // bins)
    first, second = np.empty(value.size), np.empty(value.size)
    for i in range(0, value.size, chunk):
        sl = slice(i, i + chunk)
        first[sl], second[sl] = _bin_window(value[sl], sd[sl], lo[sl], step[sl], levels[sl], bins)
    return first, second


def _bin_window(value, sd, lo, step, levels, bins):
    first_bin = np.clip(np.floor((value - NOISE_SPAN * sd - lo) / step + 0.5), 0, levels - 1)
    k = first_bin[:, None] + np.arange(bins + 1)  # bin indices, one extra for the upper edge
    last = (levels - 1)[:, None]
    edges = (lo[:, None] + (k - 0.5) * step[:, None] - value[:, None]) / sd[:, None]
    cdf = ndtr(edges)
    cdf[:, 0] = np.where(first_bin == 0, 0.0, cdf[:, 0])
    cdf[:, 1:] = np.where(k[:, 1:] > last, 1.0, cdf[:, 1:])  # the top bin extends to +infinity
    mass = np.diff(cdf, axis=1)
    err = lo[:, None] + np.minimum(k[:, :-1], last) * step[:, None] - value[:, None]
    return (mass * err).sum(axis=1), (mass * err**2).sum(axis=1)


def conversion_moments(pmf: np.ndarray, lo, hi, levels, read_sd, cell_var_per_lsb):
    """Error moments of converting partial sums with distribution ``pmf`` (..., M) on value 0..M-1.

    ``lo``/``hi``/``levels``: the ADC (arrays over the leading axes); ``read_sd``: read-noise sigma;
    ``cell_var_per_lsb``: conductance-variation variance per unit of partial sum. The error is
    e = ADC(P + noise) - P. Returns E[e], E[e^2] and Cov(e, P) (LSB, LSB^2).
    """
    values = np.arange(pmf.shape[-1], dtype=float)
    keep = np.flatnonzero(pmf.reshape(-1, pmf.shape[-1]).max(axis=0) > PMF_FLOOR)
    values, pmf = values[keep], pmf[..., keep]
    expand = (lambda a: np.asarray(a, dtype=float)[..., None])
    lo, hi, levels = expand(lo), expand(hi), expand(levels)
    step = np.where(hi > lo, (hi - lo) / (levels - 1), 1.0)
    noise_sd = np.sqrt(expand(read_sd) ** 2 + expand(cell_var_per_lsb) * values)
    g1, g2 = value_error_moments(values, noise_sd, lo, step, levels)
    mean = (pmf * values).sum(axis=-1, keepdims=True)
    return (pmf * g1).sum(axis=-1), (pmf * g2).sum(axis=-1), (pmf * (values - mean) * g1).sum(axis=-1)
