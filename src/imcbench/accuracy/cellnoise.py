"""The accuracy model's non-idealities from a memory cell (imcbench.celltech): read noise, programming
noise and conductance drift.

From the cell table:

* programming noise ``programming_noise_rel`` -> the static relative conductance sigma of a cell
  (``MvmConfig.cell_sigma``; multiplicative on the stored digit, exact for binary cells);
* read noise ``read_noise_rel`` (sigma relative to the full-scale cell conductance, per unit input) -> the
  read noise each ACTIVE row adds to its column, in partial-sum LSB, in proportion to its input slice x:
  ``read_noise_rel (2^Bcell - 1) sqrt(E[x^2])`` with input slices uniform over 0..2^Bc - 1 (assumption),
  E[x^2] = (2^Bc - 1)(2^(Bc+1) - 1) / 6 (``MvmConfig.read_noise_per_row``); a conversion of n active rows
  has sigma sqrt(n) times that (rows without input carry no current);
* drift (PCM): G(t) = G0 (t / t0)^-nu with nu ~ N(drift_nu, drift_nu_std) per cell (Le Gallo & Sebastian,
  J. Phys. D 2020; Joshi et al., Nat. Commun. 2020). The mean conductance falls by f (lognormal mean, see
  :func:`drift_state`); the spread of nu adds a static relative sigma per cell; read noise stays absolute, so
  relative to the drifted signal it grows by 1 / f.

The ADC range is assumed to follow the array's conductance (a ratiometric reference; assumption), so drift
does not push the partial sums out of the range. Without compensation the digital output keeps the drift
gain f, a gain error of power (1 - f)^2 S on top of f^2 times the other errors (cross terms neglected);
with global drift compensation (the output divided by the measured mean decay f, Joshi et al. 2020) the gain
is restored and only the spread and the relatively larger read noise remain. The Monte Carlo simulation
(:mod:`imcbench.accuracy.montecarlo`) draws nu per cell and checks this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imcbench.celltech import CellTechnology, get_cell


@dataclass(frozen=True)
class DriftState:
    """What drift leaves at one read: mean conductance factor, added relative sigma, output gain."""

    factor: float  # f, mean conductance relative to programming (t / t0)^-nu exp(s^2 / 2)
    spread_sigma: float  # relative conductance sigma from the spread of nu, sqrt(exp(s^2) - 1)
    gain: float  # gain of the digital output: f without compensation, 1 with it


def drift_state(nu: float, nu_std: float, time_ratio: float, compensated: bool) -> DriftState:
    """Drift ``time_ratio`` = t / t0 (>= 1) after programming, for exponent ``nu`` +- ``nu_std``.

    With nu ~ N(nu, nu_std) per cell, G / G0 = (t/t0)^-nu is lognormal with log-sigma s = nu_std ln(t/t0):
    mean (t/t0)^-nu exp(s^2 / 2), relative sigma sqrt(exp(s^2) - 1). Compensation divides by that mean
    (what a global drift compensation measures on the array)."""
    ratio = max(float(time_ratio), 1.0)
    s = nu_std * math.log(ratio)
    factor = ratio ** -nu * math.exp(s * s / 2)
    return DriftState(factor=factor, spread_sigma=math.sqrt(math.expm1(s * s)),
                      gain=1.0 if compensated else factor)


def effective_noise(read_noise: float, cell_sigma: float, drift: DriftState) -> tuple[float, float]:
    """(read noise, cell sigma) on the drift-compensated scale: read noise / f, sigmas in quadrature."""
    return read_noise / drift.factor, math.hypot(cell_sigma, drift.spread_sigma)


def with_gain_error(sqnr_db, gain: float):
    """SQNR (dB) when the output keeps a gain ``gain``: E' = (1 - g)^2 S + g^2 E (cross terms neglected)."""
    snr = 10.0 ** (np.asarray(sqnr_db, dtype=float) / 10.0)
    return -10.0 * np.log10((1.0 - gain) ** 2 + gain ** 2 / snr)


def row_read_noise_lsb(cell: CellTechnology, bits_per_cycle: int, bits_per_cell: int = 1) -> float:
    """Read-noise sigma one active row adds to its column, partial-sum LSB: read_noise_rel (2^Bcell - 1)
    sqrt(E[x^2]) (module doc)."""
    top = 2 ** bits_per_cycle - 1
    mean_square_input = top * (2 * top + 1) / 6  # uniform slice over 0..top
    return cell.read_noise_rel * (2 ** bits_per_cell - 1) * math.sqrt(mean_square_input)


def active_rows(dot_length, rows):
    """Rows driven per conversion: a dot product of length N on ``rows`` rows runs in ceil(N / rows) groups
    of N / groups rows."""
    n = np.asarray(dot_length, dtype=float)
    return n / np.ceil(n / np.asarray(rows, dtype=float))


def column_read_noise(read_noise, read_noise_per_row, n_active):
    """Read-noise sigma of one conversion, LSB: the fixed column noise and the active rows' in quadrature."""
    return np.sqrt(np.square(read_noise) + np.square(read_noise_per_row) * np.asarray(n_active, dtype=float))


def cell_noise_settings(cell: str | CellTechnology, *, rows: int, bits_per_cycle: int, bits_per_cell: int = 1,
                        t_s: float = 0.0, compensated: bool = True) -> dict:
    """The :class:`imcbench.accuracy.noise.MvmConfig` noise and drift fields of ``cell`` read ``t_s`` seconds
    after programming (``t_s`` below the cell's t0 reads at t0)."""
    cell = cell if isinstance(cell, CellTechnology) else get_cell(cell)
    cell.drift_factor(t_s)  # validates t_s
    ratio = max(float(t_s), cell.drift_t0_s) / cell.drift_t0_s
    return {"read_noise": 0.0, "read_noise_per_row": row_read_noise_lsb(cell, bits_per_cycle, bits_per_cell),
            "cell_sigma": cell.programming_noise_rel, "drift_nu": cell.drift_nu,
            "drift_nu_std": cell.drift_nu_std, "drift_time_ratio": ratio, "drift_compensated": compensated}
