"""Circuit primitives of the IMC macro model: adders, multipliers, registers, DAC and ADC.

Each function is one equation of the IMC paper (Sun et al., ICCAD 2023; as coded in zigzag-dse
3.9.1 ``ImcArray`` and the paper's fit ``model_extration_28nm.py`` in zigzag-imc b0f0319) and works
element-wise on numpy arrays. Units: energy fJ, area um2, delay ns, resolution in bits (ADC resolution may
be fractional: the paper's rule gives 4.5 bits at 32 rows and the model never rounds it).
"""

from __future__ import annotations

import numpy as np

from imcbench.tech import ArrayLike, Technology

# --- analog constants fitted by the paper on three 28 nm AIMC chips (zigzag-dse 3.9.1 ImcArray) ---
DAC_CAP_PER_BIT_FF = 50.0  # k0, fF per DAC bit per row
ADC_CAP_PER_BIT_FF = 100.0  # k5, fF per ADC bit (linear term)
ADC_CAP_EXP_FF = 0.001  # k6, fF multiplying 4^B (the noise-limited term)
ADC_AREA_SLOPE = -0.0369  # k1, log10(um2) per bit
ADC_AREA_OFFSET = 1.206  # k2, log10(um2)
ADC_DELAY_PER_ROW_NS = 0.00653  # k3, ns per bit per row of bit-line
ADC_DELAY_OFFSET_NS = 0.640  # k4, ns per bit
MULT_STATIC_WEIGHT_FACTOR = 0.5  # a 1-bit multiplier toggles half its load: the weight input is static


# --- full adder (3 NAND2 + 2 XOR2) -----------------------------------------------------------------
def full_adder_energy(tech: Technology) -> ArrayLike:
    """Energy of one 1-bit full-adder operation, fJ: (3 C_NAND2 + 2 C_XOR2) V^2 (3.402 fJ at 28 nm)."""
    return (3 * tech.c_nand2 + 2 * tech.c_xor2) * tech.v2


def half_active_adder_energy(tech: Technology) -> ArrayLike:
    """A full adder with one input at 0 and an idle carry chain, fJ: 2 C_XOR2 V^2 (1.701 fJ)."""
    return 2 * tech.c_xor2 * tech.v2


def full_adder_area(tech: Technology) -> ArrayLike:
    """Area of a 1-bit full adder, um2: 3 A_NAND2 + 2 A_XOR2 (4.7892 um2 at 28 nm)."""
    return 3 * tech.a_nand2 + 2 * tech.a_xor2


def adder_delays(tech: Technology) -> tuple[ArrayLike, ArrayLike, ArrayLike]:
    """Full-adder delays (in->sum, in->carry-out, carry-in->carry-out), ns.

    in->sum = 2 t_XOR2; in->cout = t_XOR2 + 2 t_NAND2; cin->cout = 2 t_NAND2 (zigzag-dse 3.9.1
    ``ImcUnit.get_1b_adder_dly_in2sum`` / ``_in2cout`` / ``_cin2cout``).
    """
    return 2 * tech.t_xor2, tech.t_xor2 + 2 * tech.t_nand2, 2 * tech.t_nand2


def ripple_adder_delay(n_inputs: ArrayLike, carry_bits: ArrayLike, tech: Technology) -> ArrayLike:
    """Critical path of ``n_inputs`` operands summed by ripple-carry adders, ns.

    ``(log2 n - 1) t_in->sum + t_in->cout + carry_bits * t_cin->cout``; 0 when n <= 1. This is the
    common shape of the paper's adder-tree and place-value-adder delays (zigzag-dse 3.9.1 ``ImcArray.get_tclk``).
    """
    t_sum, t_cout, t_carry = adder_delays(tech)
    n = np.asarray(n_inputs, dtype=float)
    delay = (np.log2(np.maximum(n, 1.0)) - 1) * t_sum + t_cout + np.asarray(carry_bits) * t_carry
    return np.where(n > 1, delay, 0.0)


# --- 1-bit multiplier (a NAND2/NOR2) and registers ---------------------------------------------------
def multiplier_energy(tech: Technology) -> ArrayLike:
    """Energy of a 1-bit multiplication, fJ: 0.5 C_NAND2 V^2 (0.2835 fJ), the weight input static."""
    return MULT_STATIC_WEIGHT_FACTOR * tech.c_nand2 * tech.v2


def dff_energy(tech: Technology) -> ArrayLike:
    """Energy of writing one flip-flop bit, fJ: C_DFF V^2 (1.701 fJ)."""
    return tech.c_dff * tech.v2


def cell_line_energy(tech: Technology) -> ArrayLike:
    """Energy of charging one SRAM cell's bit-line (or word-line) load, fJ: 0.35 fF V^2."""
    return tech.c_cell_line * tech.v2


# --- converters ----------------------------------------------------------------------------------
def dac_energy(bits: ArrayLike, tech: Technology) -> ArrayLike:
    """Energy of one DAC conversion (one row, one cycle), fJ: k0 * B * V^2, 0 for a 1-bit DAC."""
    bits = np.asarray(bits, dtype=float)
    energy = DAC_CAP_PER_BIT_FF * tech.analog_scale * bits * tech.v2
    return np.where(bits > 1, energy, 0.0)


def adc_energy(bits: ArrayLike, tech: Technology) -> ArrayLike:
    """Energy of one ADC conversion, fJ: (k5 B + k6 4^B) V^2 (zigzag-dse 3.9.1 ``ImcArray.get_adc_cost``;
    489 fJ at 6 bits, 0.9 V)."""
    bits = np.asarray(bits, dtype=float)
    return (ADC_CAP_PER_BIT_FF * bits + ADC_CAP_EXP_FF * 4.0 ** bits) * tech.analog_scale * tech.v2


def adc_area(bits: ArrayLike, tech: Technology) -> ArrayLike:
    """Area of one ADC, um2: 10^(k1 B + k2) 2^B (618 um2 at 6 bits); 0 for B <= 1 (a sense amplifier)."""
    bits = np.asarray(bits, dtype=float)
    area = 10.0 ** (ADC_AREA_SLOPE * bits + ADC_AREA_OFFSET) * 2.0 ** bits * tech.analog_scale ** 2
    return np.where(bits > 1, area, 0.0)


def adc_delay(bits: ArrayLike, rows: ArrayLike, tech: Technology) -> ArrayLike:
    """Conversion time of one ADC on a bit-line of ``rows`` cells, ns: B (k3 rows + k4) (zigzag-dse 3.9.1
    ``ImcArray.get_adc_cost``).

    Scaled with the node and supply like the digital delays.
    """
    bits = np.asarray(bits, dtype=float)
    return bits * (ADC_DELAY_PER_ROW_NS * np.asarray(rows) + ADC_DELAY_OFFSET_NS) * tech.delay_scale


def adc_bits_paper_rule(bits_per_cycle: ArrayLike, rows: ArrayLike) -> ArrayLike:
    """The paper's ADC resolution, bits: B_DAC + 0.5 log2(rows), never rounded
    ("aimc_max" in zigzag-imc b0f0319 ``sim_auto.py``; the paper's Fig. 7 uses 4.5 bits at 32 rows)."""
    return np.asarray(bits_per_cycle, dtype=float) + 0.5 * np.log2(np.asarray(rows, dtype=float))
