"""Operand distributions, their fixed-point codes and bit slices, as the moments the noise model needs.

An operand (a layer's input activations or its weights) is described by a distribution of real values;
the macro sees it quantized to integer codes and split into digits: inputs into bit-serial slices of
``bits_per_cycle`` bits (DAC resolution), weights into cells of ``bits_per_cell`` bits (1 for SRAM).
The analytical SQNR (``imcbench.accuracy.noise``) needs only first and second moments of those codes
and digits, so a distribution is a discrete measure (values, probabilities): a fine quadrature grid for
the parametric models, equal weights for samples taken from a real network.

Conventions (integer codes, units of one quantization step):
* inputs are unsigned (post-ReLU): code X = clip(round(x / s), 0, 2^B - 1), s = clip / (2^B - 1);
* weights are signed and symmetric: W = clip(round(w / s), -(2^(B-1) - 1), 2^(B-1) - 1),
  s = clip / (2^(B-1) - 1), stored in the cells as the offset-binary code W + 2^(B-1); the digital
  back end subtracts 2^(B-1) * sum(X) exactly. (For 1-bit cells this is two's complement with the MSB
  column inverted: the column statistics are the same for symmetric weights.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from imcbench.errors import ImcbenchError

QUADRATURE_POINTS = 40001  # grid points of a parametric distribution: >= 10 per step of a 12-bit code
GAUSSIAN_SPAN = 8.0  # the grid covers +-8 sigma (tail mass beyond: 1e-15)
MAX_CODE_BITS = 12  # the quadrature grid resolves codes up to 12 bits
DISTRIBUTION_KINDS = ("relu_gaussian", "gaussian", "empirical")


@dataclass(frozen=True, eq=False)
class Distribution:
    """A real-valued operand distribution as a discrete measure (``values``, ``probs`` summing to 1).

    ``kind`` says how to draw fresh samples (:meth:`sample`): ``relu_gaussian`` (a fraction ``density``
    of non-zeros, half-normal magnitudes of unit scale), ``gaussian`` (unit normal), ``empirical``
    (resampling ``values``).
    """

    kind: str
    values: np.ndarray
    probs: np.ndarray
    density: float = 1.0

    @staticmethod
    def relu_gaussian(density: float = 0.5) -> "Distribution":
        """ReLU activations: 0 with probability 1 - density, else |N(0, 1)|."""
        if not 0.0 < density <= 1.0:
            raise ImcbenchError(f"input density {density!r} must be in (0, 1]")
        edges = np.linspace(0.0, GAUSSIAN_SPAN, QUADRATURE_POINTS)
        mid = 0.5 * (edges[1:] + edges[:-1])
        weights = np.exp(-0.5 * mid**2) * (edges[1] - edges[0])
        probs = np.concatenate([[1.0 - density], density * weights / weights.sum()])
        return Distribution("relu_gaussian", np.concatenate([[0.0], mid]), probs, density)

    @staticmethod
    def gaussian() -> "Distribution":
        """Weights: N(0, 1)."""
        edges = np.linspace(-GAUSSIAN_SPAN, GAUSSIAN_SPAN, QUADRATURE_POINTS)
        mid = 0.5 * (edges[1:] + edges[:-1])
        weights = np.exp(-0.5 * mid**2)
        return Distribution("gaussian", mid, weights / weights.sum())

    @staticmethod
    def from_samples(samples) -> "Distribution":
        """The empirical distribution of ``samples`` (e.g. a trained layer's weights or activations)."""
        values = np.ravel(np.asarray(samples, dtype=float))
        if values.size == 0 or not np.isfinite(values).all():
            raise ImcbenchError("operand samples must be a non-empty array of finite numbers")
        return Distribution("empirical", values, np.full(values.size, 1.0 / values.size),
                            float(np.mean(values != 0)))

    def sample(self, rng: np.random.Generator, shape) -> np.ndarray:
        """Fresh draws of this distribution, of the given shape."""
        if self.kind == "relu_gaussian":
            magnitude = np.abs(rng.standard_normal(shape))
            return np.where(rng.random(shape) < self.density, magnitude, 0.0)
        if self.kind == "gaussian":
            return rng.standard_normal(shape)
        return rng.choice(self.values, size=shape)

    def quantile(self, q: float) -> float:
        """The value below which a fraction ``q`` of the mass lies."""
        order = np.argsort(self.values)
        cdf = np.cumsum(self.probs[order])
        return float(self.values[order][min(np.searchsorted(cdf, q), cdf.size - 1)])


def code_scale(clip: float, bits: int, signed: bool) -> float:
    """Real value of one code step: clip / (2^B - 1) unsigned, clip / (2^(B-1) - 1) signed."""
    steps = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    if steps < 1:
        raise ImcbenchError(f"a signed operand needs at least 2 bits (got {bits})")
    if not clip > 0:
        raise ImcbenchError(f"quantization clip {clip!r} must be positive")
    return clip / steps


def quantize(x: np.ndarray, clip: float, bits: int, signed: bool) -> np.ndarray:
    """Integer codes (as floats) of ``x``: round to the step of :func:`code_scale`, then saturate."""
    scale = code_scale(clip, bits, signed)
    top = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    return np.clip(np.rint(x / scale), -top if signed else 0, top)


def stored_offset(bits: int, signed: bool) -> int:
    """Offset added to a code before it is stored in unsigned cells (offset binary for signed)."""
    return 1 << (bits - 1) if signed else 0


def n_digits(bits, digit_bits):
    """Digits (slices or cells) per operand: ceil(bits / digit_bits)."""
    return -(-np.asarray(bits) // np.asarray(digit_bits))


def split_digits(stored: np.ndarray, bits: int, digit_bits: int) -> np.ndarray:
    """Digits of unsigned codes, least significant first: shape (J, *stored.shape), base 2^digit_bits."""
    codes = stored.astype(np.int64)
    shifts = digit_bits * np.arange(int(n_digits(bits, digit_bits)))
    shifts = shifts.reshape((-1,) + (1,) * codes.ndim)
    return ((codes[None] >> shifts) & ((1 << digit_bits) - 1)).astype(float)


@dataclass(frozen=True, eq=False)
class QuantizedOperand:
    """Moments of one quantized operand, in code units (see the module docstring for the codes).

    ``C`` is the signed code, ``r`` = value / scale the real value in code units, ``d_j`` the stored
    code's digits (least significant first). All expectations are over the operand distribution.
    """

    bits: int
    digit_bits: int
    signed: bool
    scale: float
    offset: int
    place: np.ndarray  # (J,) place value of digit j: 2^(digit_bits * j)
    digit_pmf: np.ndarray  # (J, 2^digit_bits) P(d_j = v)
    digit_mean: np.ndarray  # (J,) E[d_j]
    digit_cross: np.ndarray  # (J, J) E[d_j d_k]
    digit_code: np.ndarray  # (J,) E[d_j C]
    digit_real: np.ndarray  # (J,) E[d_j r]
    code_mean: float  # E[C]
    code_sq: float  # E[C^2]
    real_mean: float  # E[r]
    real_sq: float  # E[r^2]
    code_real: float  # E[C r]
    extra: dict = field(default_factory=dict)

    @property
    def n_digits(self) -> int:
        return self.place.size


@lru_cache(maxsize=256)
def _quantized_cached(dist: Distribution, clip: float, bits: int, digit_bits: int,
                      signed: bool) -> QuantizedOperand:
    # a Distribution hashes by identity (eq=False), so the cache key is the object itself
    return _quantized(dist, clip, bits, digit_bits, signed)


def quantized_operand(dist: Distribution, clip: float, bits: int, digit_bits: int,
                      signed: bool) -> QuantizedOperand:
    """The code and digit moments of ``dist`` quantized to ``bits`` over [-clip, clip] or [0, clip]."""
    bits, digit_bits = int(bits), int(digit_bits)
    if not 1 <= bits <= MAX_CODE_BITS:
        raise ImcbenchError(f"operand precision {bits} bits is outside 1..{MAX_CODE_BITS}")
    if not 1 <= digit_bits <= bits:
        raise ImcbenchError(f"digit width {digit_bits} bits must be in 1..{bits} (the operand precision)")
    return _quantized_cached(dist, float(clip), bits, digit_bits, bool(signed))


def _quantized(dist: Distribution, clip: float, bits: int, digit_bits: int, signed: bool) -> QuantizedOperand:
    scale = code_scale(clip, bits, signed)
    p = dist.probs
    real = dist.values / scale
    code = quantize(dist.values, clip, bits, signed)
    offset = stored_offset(bits, signed)
    digits = split_digits(code + offset, bits, digit_bits)  # (J, points)
    weighted = digits * p
    return QuantizedOperand(
        bits=bits, digit_bits=digit_bits, signed=signed, scale=scale, offset=offset,
        place=2.0 ** (digit_bits * np.arange(digits.shape[0])),
        digit_pmf=np.stack([np.bincount(d.astype(np.int64), weights=p, minlength=1 << digit_bits)
                            for d in digits]),
        digit_mean=weighted.sum(axis=1), digit_cross=weighted @ digits.T,
        digit_code=weighted @ code, digit_real=weighted @ real,
        code_mean=float(p @ code), code_sq=float(p @ code**2), real_mean=float(p @ real),
        real_sq=float(p @ real**2), code_real=float(p @ (code * real)))


@dataclass(frozen=True, eq=False)
class OperandModel:
    """The statistics of a layer's operands: input and weight distributions and their clip values.

    Clips are in the distributions' own units (for the default, multiples of the Gaussian sigma).
    """

    inputs: Distribution
    weights: Distribution
    input_clip: float
    weight_clip: float

    @staticmethod
    def default(input_density: float = 0.5, input_clip: float = 4.0,
                weight_clip: float = 4.0) -> "OperandModel":
        """ReLU-Gaussian inputs (half of them zero) and Gaussian weights, both clipped at 4 sigma."""
        return OperandModel(_relu(input_density), _gauss(), input_clip, weight_clip)

    @staticmethod
    def from_samples(inputs, weights, input_quantile: float = 0.999) -> "OperandModel":
        """Empirical statistics of a trained layer: inputs clipped at a quantile, weights at max |w|."""
        x = Distribution.from_samples(inputs)
        w = Distribution.from_samples(weights)
        if (x.values < 0).any():
            raise ImcbenchError("layer inputs must be non-negative (the macro's DAC drives unsigned codes)")
        clip = x.quantile(input_quantile)
        return OperandModel(x, w, clip if clip > 0 else float(x.values.max() or 1.0),
                            float(np.abs(w.values).max() or 1.0))

    def input_moments(self, bits: int, bits_per_cycle: int) -> QuantizedOperand:
        return quantized_operand(self.inputs, self.input_clip, bits, bits_per_cycle, signed=False)

    def weight_moments(self, bits: int, bits_per_cell: int) -> QuantizedOperand:
        return quantized_operand(self.weights, self.weight_clip, bits, bits_per_cell, signed=True)


@lru_cache(maxsize=8)
def _relu(density: float) -> Distribution:
    return Distribution.relu_gaussian(density)


@lru_cache(maxsize=1)
def _gauss() -> Distribution:
    return Distribution.gaussian()
