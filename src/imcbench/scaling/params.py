"""Constants and primitive energies of the scaling-limit model (converters, arithmetic, memories).

Source work: Bowen et al., "Fundamental limits on the energy efficiency of in-memory computing"
(arXiv 2302.06417), reconstructed from its abstract and stated findings (the paper's own equations were
not readable; every constant below is an assumption exposed as a parameter of :class:`ScalingParams`).
Units: energies in pJ unless the name says fJ; sizes in bytes; temperature in K; bits are precisions.

Converters have two regimes (standard converter models; which one Bowen et al. use is unknown):

* survey ("Walden"): an ADC costs FOM_W per conversion step, E = FOM_W 2^b (Walden, IEEE JSAC 1999;
  the figure of merit tracked by Murmann's ADC performance survey); a unary capacitive DAC switches
  2^b unit capacitors, E = E_unit 2^b;
* thermal floor (Schreier): resolving b bits against kT/C noise needs E >= 8 kT SNR with
  SNR = 1.5 4^b (full-scale sine), i.e. 12 kT 4^b (Schreier and Temes, "Understanding Delta-Sigma Data
  Converters", 2005, the bound behind the Schreier FOM). A DAC charging its line to within an LSB of
  kT/C noise (C >= 12 kT 4^b / V^2) pays the same C V^2 = 12 kT 4^b.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np

from imcbench.errors import ImcbenchError

ConverterModel = Literal["walden", "thermal", "max"]
CONVERTER_MODELS = ("walden", "thermal", "max")

# --- physics -------------------------------------------------------------------------------------
BOLTZMANN_J_PER_K = 1.380649e-23  # J/K; exact (SI 2019)
PJ_PER_J = 1e12
FJ_PER_PJ = 1e3
ROOM_TEMPERATURE_K = 300.0  # K
SCHREIER_KT_FACTOR = 8.0 * 1.5  # 8 kT x SNR, SNR = 1.5 4^b (Schreier & Temes 2005): 12 kT 4^b

# --- converters (survey regime) ------------------------------------------------------------------
WALDEN_FOM_FJ = 5.0  # fJ/conversion-step; an assumption: good SAR ADCs reach 1-10 fJ/step; the
#   survey record stood at 4.4 fJ in 2008-2012 (van Elzakker, ISSCC 2008; Jonsson's ADC survey); the IMC
#   paper's 28 nm fit (k5 B + k6 4^B) V^2 gives 7.6 fJ/step at 6 bits.
DAC_UNIT_FJ = 1.17  # fJ per unit-capacitor switch, 2^b units per conversion: 1.45 fF x (0.9 V)^2, set so
#   that an 8-bit DAC costs 0.3 pJ (our illustrative e_DAC, an assumption; the IMC paper's fit
#   k0 B V^2 = 50 fF x 8 x 0.81 = 0.32 pJ at 8 bits agrees).

# --- digital arithmetic, 45 nm, 0.9 V (Horowitz, "Computing's energy problem", ISSCC 2014) --------
MULT_8B_PJ = 0.2  # pJ; 8-bit integer multiply; scales as b^2 (array multiplier: b^2 partial products)
ADD_8B_PJ = 0.03  # pJ; 8-bit integer add; scales as b (ripple/carry chain of b full adders)
INSTRUCTION_PJ = 70.0  # pJ; RISC instruction overhead (fetch, decode, register file, control)

# --- memories, 64-bit reads at 45 nm (Horowitz ISSCC 2014) -----------------------------------------
SRAM_READ_64B_PJ = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))  # (bytes, pJ per 64 b)
DRAM_READ_64B_PJ = 1300.0  # pJ per 64 b; low end of Horowitz's 1.3-2.6 nJ (a limit study favours the machine)
BITS_PER_WORD_64 = 64

# --- array ---------------------------------------------------------------------------------------
CELL_LINE_FJ = 0.2835  # fJ; one cell's bit-line (word-line) load charged once: 0.35 fF x (0.9 V)^2
#   (IMC paper, zigzag-dse 3.9.1 ImcUnit.TECH_PARAM_28NM: C_cell = C_NAND2 / 2 at 28 nm); the analog
#   array energy per MAC and the digital IMC's input-broadcast energy per bit per cell.
CELL_WRITE_FJ_PER_BIT = 1.701  # fJ per weight bit programmed: a flip-flop-class write, C_DFF V^2 at 28 nm
#   (IMC paper, TECH_PARAM_28NM dff_cap), as a proxy for an SRAM cell write; eNVM programming costs pJ
#   and more.


@dataclass(frozen=True)
class ScalingParams:
    """Every constant of the scaling model (defaults and sources in the module constants)."""

    converter_model: ConverterModel = "max"  # ADC and DAC: 'walden' (survey), 'thermal' (kT floor), 'max'
    temperature_k: float = ROOM_TEMPERATURE_K
    thermal_factor: float = SCHREIER_KT_FACTOR  # E >= factor x kT x 4^b
    thermal_margin: float = 1.0  # x above the thermal floor (1: the bound itself)
    walden_fom_fj: float = WALDEN_FOM_FJ
    dac_unit_fj: float = DAC_UNIT_FJ
    adc_extra_bits_per_log2n: float = 0.0  # 0: outputs quantised to b bits; 0.5: the IMC paper's rule
    #   B_ADC = B + 0.5 log2(rows summed), which makes the ADC grow with the dot-product length
    mult_8b_pj: float = MULT_8B_PJ
    add_8b_pj: float = ADD_8B_PJ
    instruction_pj: float = INSTRUCTION_PJ
    digital_scale: float = 1.0  # multiplies digital and memory energies (1: 45 nm, 0.9 V as Horowitz)
    register_words: float = 32.0  # scalar machine's register file, operand words (a 32-register RISC) [assumption]
    l1_bytes: float = 32 * 1024.0  # bytes, scalar machine's L1 cache (a Horowitz 2014 SRAM size) [assumption]
    l2_bytes: float = 1024 * 1024.0  # bytes, scalar machine's L2 cache (a Horowitz 2014 SRAM size; also the
    #   analog weight-reload source) [assumption]
    weight_source_bytes: float = 1024 * 1024.0  # bytes, on-chip buffer weights are rewritten from [assumption]
    cell_fj: float = CELL_LINE_FJ  # analog array energy per MAC
    line_fj_per_bit: float = CELL_LINE_FJ  # digital IMC input broadcast per input bit per cell
    cell_write_fj_per_bit: float = CELL_WRITE_FJ_PER_BIT

    def __post_init__(self) -> None:
        if self.converter_model not in CONVERTER_MODELS:
            raise ImcbenchError(f"converter model {self.converter_model!r} is not known; use one of "
                                f"{', '.join(CONVERTER_MODELS)}")
        for f in fields(self):
            if f.name == "converter_model":
                continue
            value = getattr(self, f.name)
            if not np.isfinite(value) or value < 0:
                raise ImcbenchError(f"scaling parameter {f.name} = {value!r} must be a finite number >= 0")
        for name in ("temperature_k", "register_words", "l1_bytes", "l2_bytes", "weight_source_bytes"):
            if getattr(self, name) <= 0:
                raise ImcbenchError(f"scaling parameter {name} must be positive")

    def with_(self, **changes) -> "ScalingParams":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT_PARAMS = ScalingParams()
FUNDAMENTAL_PARAMS = ScalingParams(converter_model="thermal")  # converters at the kT floor only


# --- converters ----------------------------------------------------------------------------------
def thermal_floor_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """Thermal-noise floor of one b-bit conversion, pJ: margin x 12 kT 4^b (Schreier; 3.3 fJ at 8 b)."""
    kt_pj = BOLTZMANN_J_PER_K * p.temperature_k * PJ_PER_J
    return p.thermal_margin * p.thermal_factor * kt_pj * 4.0 ** np.asarray(bits, dtype=float)


def walden_adc_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """Survey-regime ADC energy per conversion, pJ: FOM_W 2^b (Walden; 1.28 pJ at 8 b, 5 fJ/step)."""
    return p.walden_fom_fj * 2.0 ** np.asarray(bits, dtype=float) / FJ_PER_PJ


def capacitive_dac_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """Unary capacitive DAC energy per conversion, pJ: E_unit 2^b (0.3 pJ at 8 b)."""
    return p.dac_unit_fj * 2.0 ** np.asarray(bits, dtype=float) / FJ_PER_PJ


def _combine(survey: np.ndarray, thermal: np.ndarray, model: str) -> np.ndarray:
    if model == "walden":
        return survey
    if model == "thermal":
        return thermal
    return np.maximum(survey, thermal)


def adc_energy_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """One ADC conversion, pJ, under ``p.converter_model`` (Walden, thermal floor, or the larger)."""
    return _combine(walden_adc_pj(bits, p), thermal_floor_pj(bits, p), p.converter_model)


def dac_energy_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """One DAC conversion (one input driven onto one row), pJ, under ``p.converter_model``."""
    return _combine(capacitive_dac_pj(bits, p), thermal_floor_pj(bits, p), p.converter_model)


# --- digital arithmetic --------------------------------------------------------------------------
def mult_energy_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """b x b integer multiply, pJ: 0.2 pJ (b/8)^2 (Horowitz ISSCC 2014, 45 nm; array multiplier ~ b^2)."""
    return p.digital_scale * p.mult_8b_pj * (np.asarray(bits, dtype=float) / 8.0) ** 2


def add_energy_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """b-bit integer add, pJ: 0.03 pJ (b/8) (Horowitz ISSCC 2014, 45 nm; ripple adder ~ b)."""
    return p.digital_scale * p.add_8b_pj * np.asarray(bits, dtype=float) / 8.0


def mac_energy_pj(bits, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """Digital b-bit multiply-accumulate, pJ: multiply + add (0.23 pJ at 8 b), ~ b^2 for large b."""
    return mult_energy_pj(bits, p) + add_energy_pj(bits, p)


# --- memories ------------------------------------------------------------------------------------
_SRAM_LOG_SIZE = np.log([size for size, _ in SRAM_READ_64B_PJ])
_SRAM_LOG_PJ_PER_BIT = np.log([pj / BITS_PER_WORD_64 for _, pj in SRAM_READ_64B_PJ])


def sram_bit_energy_pj(size_bytes, p: ScalingParams = DEFAULT_PARAMS) -> np.ndarray:
    """Energy to read one bit from an SRAM of ``size_bytes``, pJ (Horowitz: 0.16 / 0.31 / 1.56 pJ/bit at
    8 KB / 32 KB / 1 MB), log-log interpolated between those sizes and extrapolated along the end segments."""
    x = np.log(np.asarray(size_bytes, dtype=float))
    slope_lo = (_SRAM_LOG_PJ_PER_BIT[1] - _SRAM_LOG_PJ_PER_BIT[0]) / (_SRAM_LOG_SIZE[1] - _SRAM_LOG_SIZE[0])
    slope_hi = (_SRAM_LOG_PJ_PER_BIT[-1] - _SRAM_LOG_PJ_PER_BIT[-2]) / (_SRAM_LOG_SIZE[-1] - _SRAM_LOG_SIZE[-2])
    inside = np.interp(x, _SRAM_LOG_SIZE, _SRAM_LOG_PJ_PER_BIT)
    below = _SRAM_LOG_PJ_PER_BIT[0] + slope_lo * (x - _SRAM_LOG_SIZE[0])
    above = _SRAM_LOG_PJ_PER_BIT[-1] + slope_hi * (x - _SRAM_LOG_SIZE[-1])
    log_e = np.where(x < _SRAM_LOG_SIZE[0], below, np.where(x > _SRAM_LOG_SIZE[-1], above, inside))
    return p.digital_scale * np.exp(log_e)


def dram_bit_energy_pj(p: ScalingParams = DEFAULT_PARAMS) -> float:
    """Energy to read one bit from DRAM, pJ (Horowitz: 1.3 nJ per 64 b, 20 pJ/bit)."""
    return p.digital_scale * DRAM_READ_64B_PJ / BITS_PER_WORD_64
