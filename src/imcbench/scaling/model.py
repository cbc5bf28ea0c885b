"""Energy per operation of one linear layer Y = W X on five machines, vectorized over size, bits, array.

Problem: W is N_out x N_in, X holds M input vectors; Ops = 2 N_in N_out M (a MAC is 2 ops) and
TOPS/W = 1 / (e_op in pJ). Machines (our reconstruction of Bowen et al., arXiv 2302.06417,
from its abstract and findings; the paper's own equations were not read):

* ``scalar``: one instruction per MAC, digital multiply-add, operands moved through registers, L1, L2
  and DRAM with the reuse a blocked (tiled) loop nest gets from each level;
* ``digital_imc``: weights stationary in P x P arrays, a digital MAC per weight and the inputs broadcast
  along the rows;
* ``analog_resident``: weights stationary, one DAC conversion per input and row tile, one ADC conversion
  per output and column tile, the array's own line charging per MAC;
* ``analog_rewrite``: the same, with all weights rewritten for every vector (network larger than the
  processor);
* ``analog_mmm``: weights programmed once for M vectors (matrix-matrix product).

Array size P caps the usable N: a layer larger than P is split into ceil(N/P) tiles per dimension and the
ceil(N_in/P) partial sums of an output are added digitally. Every term is returned in pJ per operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.scaling import params as prm
from imcbench.scaling.params import DEFAULT_PARAMS, ScalingParams

MACHINES = ("scalar", "digital_imc", "analog_resident", "analog_rewrite", "analog_mmm")
ANALOG_MACHINES = ("analog_resident", "analog_rewrite", "analog_mmm")
TERMS = ("instruction", "compute", "movement", "dac", "adc", "array", "weights", "partial_sums")
NO_REUSE_WORDS_PER_MAC = 3.0  # words per MAC without any reuse: weight, input, partial sum
CROSSOVER_SEARCH_MAX_N = 1e18  # beyond this N the crossover is reported as never


@dataclass(frozen=True)
class OpEnergy(vocab.ResultMixin):
    """Energy per operation of one machine by term, pJ/op (arrays broadcast over the inputs)."""

    machine: str
    terms: dict[str, np.ndarray]

    @property
    def total(self) -> np.ndarray:
        return sum(self.terms.values())

    @property
    def tops_per_w(self) -> np.ndarray:
        return 1.0 / self.total

    def to_dict(self) -> dict:
        return {"machine": self.machine, "e_op_pj": np.asarray(self.total).tolist(),
                "terms_pj": {k: np.asarray(v).tolist() for k, v in self.terms.items()}}


def energy_per_op(machine: str, n_in, bits, array_size=np.inf, *, n_out=None, vectors=None, adc_bits=None,
                  params: ScalingParams = DEFAULT_PARAMS) -> OpEnergy:
    """Energy per operation of ``machine`` for a layer of ``n_in`` inputs and ``n_out`` outputs, pJ/op.

    ``n_out=None`` makes the layer square (N_out = N_in). ``vectors`` is M; None means M = N_in for
    ``analog_mmm`` (a square matrix-matrix product) and M = 1 (vector-matrix) for the other machines.
    ``array_size`` P (np.inf: unbounded) caps the rows and columns of one array. ``bits`` is the input,
    weight and output precision; ``adc_bits`` (analog machines) overrides the ADC resolution, which is
    otherwise b + ``params.adc_extra_bits_per_log2n`` x log2(rows summed). All arguments broadcast.
    """
    if machine not in MACHINES:
        raise ImcbenchError(f"machine {machine!r} is not known; use one of {', '.join(MACHINES)}")
    n_in = np.asarray(n_in, dtype=float)
    n_out = n_in if n_out is None else np.asarray(n_out, dtype=float)
    bits = np.asarray(bits, dtype=float)
    size = np.asarray(array_size, dtype=float)
    if vectors is None:
        vectors = n_in if machine == "analog_mmm" else 1.0
    m = np.asarray(vectors, dtype=float)
    _check_inputs(n_in, n_out, bits, size, m)
    if adc_bits is not None:
        adc_bits = np.asarray(adc_bits, dtype=float)
        if np.any(~(adc_bits > 0)):
            raise ImcbenchError("ADC resolution must be > 0 bits")
    if machine == "scalar":
        terms = _scalar_terms(n_in, n_out, m, bits, params)
    elif machine == "digital_imc":
        terms = _digital_imc_terms(n_in, n_out, bits, size, params)
    else:
        reloads_per_vector = {"analog_resident": 0.0, "analog_rewrite": 1.0, "analog_mmm": 1.0 / m}[machine]
        terms = _analog_terms(n_in, n_out, bits, size, reloads_per_vector, params, adc_bits)
    shape = np.broadcast_shapes(n_in.shape, n_out.shape, bits.shape, size.shape, m.shape, np.shape(adc_bits))
    full = {name: np.broadcast_to(terms.get(name, 0.0), shape).astype(float) for name in TERMS}
    return OpEnergy(machine, full)


def _check_inputs(n_in, n_out, bits, size, m) -> None:
    checks = {"layer sizes N_in and N_out must be >= 1": (n_in, n_out),
              "bits must be >= 1": (bits,), "array size must be >= 1 (np.inf: unbounded)": (size,),
              "vectors M must be >= 1": (m,)}
    for message, values in checks.items():
        for v in values:
            if np.any(np.isnan(v)) or np.any(v < 1):
                raise ImcbenchError(message)
    if np.any(~np.isfinite(n_in)) or np.any(~np.isfinite(n_out)) or np.any(~np.isfinite(bits)):
        raise ImcbenchError("layer sizes and bits must be finite")


# --- tiling --------------------------------------------------------------------------------------
def _tiles(n, size) -> np.ndarray:
    """Tiles of at most ``size`` along a dimension of ``n``: ceil(n / P) (1 when P is unbounded)."""
    return np.where(np.isfinite(size), np.ceil(n / np.where(np.isfinite(size), size, 1.0)), 1.0)


def _partial_sums_per_op(n_in, bits, size, p: ScalingParams) -> np.ndarray:
    """Digital additions of tile partial sums, pJ/op: (ceil(N_in/P) - 1) adds of 2b + log2 N_in bits per
    output, divided by the 2 N_in ops of that output."""
    extra_adds = _tiles(n_in, size) - 1.0
    acc_bits = 2 * bits + np.log2(n_in)
    return extra_adds * prm.add_energy_pj(acc_bits, p) / (2 * n_in)


# --- machines ------------------------------------------------------------------------------------
def _analog_terms(n_in, n_out, bits, size, reloads_per_vector, p: ScalingParams, adc_bits=None) -> dict:
    """Analog IMC, pJ/op. Per vector: N_in ceil(N_out/P) DAC + N_out ceil(N_in/P) ADC conversions,
    N_in N_out cell energies and N_in N_out e_w x (weight loads per vector); over 2 N_in N_out ops.

    With P unbounded this is the analog MMM energy of Bowen et al. (arXiv 2302.06417; the scaling findings
    1-4 of its arxivlens.com "AI Key Findings" summary; our reconstruction):
    e_op = e_DAC/(2 N_out) + e_ADC/(2 N_in) + e_cell/2 + e_w/(2 M).
    ADC resolution: b + ``adc_extra_bits_per_log2n`` x log2(rows summed per conversion).
    """
    if adc_bits is None:
        adc_bits = bits + p.adc_extra_bits_per_log2n * np.log2(np.minimum(n_in, size))
    ops = 2 * n_in * n_out
    return {
        "dac": n_in * _tiles(n_out, size) * prm.dac_energy_pj(bits, p) / ops,
        "adc": n_out * _tiles(n_in, size) * prm.adc_energy_pj(adc_bits, p) / ops,
        "array": p.cell_fj / prm.FJ_PER_PJ / 2 + 0 * ops,
        "weights": reloads_per_vector * weight_write_energy_pj(bits, p) / 2,
        "partial_sums": _partial_sums_per_op(n_in, bits, size, p),
    }


def weight_write_energy_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """Rewriting one b-bit weight, pJ: fetch b bits from the weight buffer + program b cell bits."""
    bits = np.asarray(bits, dtype=float)
    fetch = prm.sram_bit_energy_pj(p.weight_source_bytes, p)
    return bits * (fetch + p.cell_write_fj_per_bit / prm.FJ_PER_PJ)


def _digital_imc_terms(n_in, n_out, bits, size, p: ScalingParams) -> dict:
    """Digital IMC, pJ/op: a digital b-bit MAC per weight and b input bits broadcast past each cell,
    both per 2 ops; flat in N (Bowen et al., arXiv 2302.06417, our reconstruction)."""
    return {
        "compute": prm.mac_energy_pj(bits, p) / 2 + 0 * n_out,
        "array": bits * p.line_fj_per_bit / prm.FJ_PER_PJ / 2,
        "partial_sums": _partial_sums_per_op(n_in, bits, size, p),
    }


def scalar_words_per_mac(capacity_words, n_in, n_out, m) -> np.ndarray:
    """Words loaded into a memory of ``capacity_words`` per MAC of a blocked matrix product.

    Compulsory traffic (every element once: 1/M + 1/N_out + 1/N_in words per MAC) or the blocked-loop
    traffic 2 / sqrt(S/3) (square tiles of W, X and Y filling S words; Hong and Kung, STOC 1981),
    whichever is larger, and at most 3 (no reuse at all).
    """
    compulsory = 1 / m + 1 / n_out + 1 / n_in
    blocked = 2 / np.sqrt(np.asarray(capacity_words, dtype=float) / 3)
    return np.minimum(NO_REUSE_WORDS_PER_MAC, np.maximum(compulsory, blocked))


def _scalar_terms(n_in, n_out, m, bits, p: ScalingParams) -> dict:
    """Scalar (SISD) machine, pJ/op: (instruction + MAC + operand movement) / 2 (Bowen et al., arXiv
    2302.06417, our reconstruction).

    The layer lives in the smallest level holding W, X and Y (L1, L2 or DRAM); every boundary between
    that level and the registers moves ``scalar_words_per_mac`` words of b bits per MAC.
    """
    footprint_bytes = bits * (n_in * n_out + n_in * m + n_out * m) / 8
    words = lambda capacity_bytes: capacity_bytes * 8 / bits  # noqa: E731
    l1_to_reg = scalar_words_per_mac(p.register_words, n_in, n_out, m) * bits * prm.sram_bit_energy_pj(
        p.l1_bytes, p)
    l2_to_l1 = scalar_words_per_mac(words(p.l1_bytes), n_in, n_out, m) * bits * prm.sram_bit_energy_pj(
        p.l2_bytes, p)
    dram_to_l2 = scalar_words_per_mac(words(p.l2_bytes), n_in, n_out, m) * bits * prm.dram_bit_energy_pj(p)
    movement = (l1_to_reg + np.where(footprint_bytes > p.l1_bytes, l2_to_l1, 0.0)
                + np.where(footprint_bytes > p.l2_bytes, dram_to_l2, 0.0))
    return {
        "instruction": p.digital_scale * p.instruction_pj / 2 + 0 * n_in,
        "compute": prm.mac_energy_pj(bits, p) / 2,
        "movement": movement / 2,
    }


# --- tables and crossover ---------------------------------------------------------------------------
def scaling_table(n, bits, array_size=np.inf, *, vectors=None, machines=MACHINES,
                  params: ScalingParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """Long table of e_op over the grid ``n`` x ``bits`` for each machine (square layers).

    Columns: machine, bits, array_size, n, vectors, e_op_pj, tops_per_w and one column per term (pJ/op).
    ``vectors`` as in :func:`energy_per_op`.
    """
    n_grid, b_grid = np.meshgrid(np.asarray(n, dtype=float), np.asarray(bits, dtype=float), indexing="ij")
    n_grid, b_grid = n_grid.ravel(), b_grid.ravel()
    frames = []
    for machine in machines:
        res = energy_per_op(machine, n_grid, b_grid, array_size, vectors=vectors, params=params)
        m = vectors if vectors is not None else (n_grid if machine == "analog_mmm" else 1.0)
        frame = pd.DataFrame({"machine": machine, "bits": b_grid.astype(int), "array_size": float(array_size),
                              "n": n_grid, "vectors": np.broadcast_to(m, n_grid.shape).astype(float),
                              "e_op_pj": res.total, "tops_per_w": res.tops_per_w})
        for name in TERMS:
            frame[name] = res.terms[name]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def crossover_n(bits, params: ScalingParams = DEFAULT_PARAMS, array_size=np.inf,
                machine: str = "analog_resident", versus: str = "digital_imc") -> np.ndarray:
    """Smallest square layer size N where ``machine`` needs less energy per op than ``versus``.

    Solved by bisection in log N on an unbounded array (continuous N), vectorized over ``bits``. With a
    finite ``array_size`` P the answer is the same if it is <= P and infinite otherwise: beyond P both
    machines stop improving. Returns 1 if ``machine`` wins at every size, inf if it never wins.
    """
    bits = np.asarray(bits, dtype=float)

    def gap(n):
        mine = energy_per_op(machine, n, bits, params=params).total
        theirs = energy_per_op(versus, n, bits, params=params).total
        return mine - theirs

    lo = np.zeros(bits.shape)  # log10 N
    hi = np.full(bits.shape, np.log10(CROSSOVER_SEARCH_MAX_N))
    wins_at_1 = gap(10 ** lo) <= 0
    never = gap(10 ** hi) > 0
    for _ in range(80):
        mid = (lo + hi) / 2
        above = gap(10 ** mid) > 0
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    n_star = np.where(wins_at_1, 1.0, np.where(never, np.inf, 10 ** hi))
    size = np.asarray(array_size, dtype=float)
    return np.where(n_star <= size, n_star, np.inf)
