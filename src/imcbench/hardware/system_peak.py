"""Peak figures of a macro with its registers and L2 SRAM: the paper's "system" numbers.

Composition (the paper's system peak of Fig. 7/8, zigzag-imc b0f0319 ``zigzag-imc/peak_eval.py``, which calls
``get_imc_cost`` / ``get_aimc_cost`` at ``eval_level='system'``; reproduces ``paper_data/peak_vs_macro_size.csv``),
per macro clock cycle at full use:

* input registers: one Bi-bit register per row, Bc bits written per cycle (D2 Bc E_DFF);
* output registers: one Bo-bit register per weight column, written once per input wave
  (D1 Bo (Bc / Bi) E_DFF);
* L2 -> input registers: one full-port L2 read (port = Bi x rows bits) per input wave (every Bi/Bc
  cycles);
* output registers -> L2: one D1 x Bo-bit L2 write per input wave.

System area = macro + L2 + input registers (D2 Bi flip-flops) + output registers (D1 Bo flip-flops).
System TOPS = macro TOPS. Units: pJ per cycle, mm2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imcbench import results as vocab
from imcbench.hardware import memory_model as mem
from imcbench.hardware.paper_setup import PAPER_L2_KB
from imcbench.macro.model import MacroParams, PeakArrays, peak

DEFAULT_L2_BYTES = PAPER_L2_KB * 1024  # bytes, the paper's activation L2 SRAM


@dataclass(frozen=True)
class SystemPeakArrays:
    macro: PeakArrays
    energy_pj: dict[str, np.ndarray]  # system extras per cycle: regi, rego, l2_to_regi, rego_to_l2
    area_mm2: dict[str, np.ndarray]  # system extras: l2, regi, rego

    @property
    def total_energy_pj(self) -> np.ndarray:
        return self.macro.total_energy_pj + sum(self.energy_pj.values())

    @property
    def total_area_mm2(self) -> np.ndarray:
        return self.macro.total_area_mm2 + sum(self.area_mm2.values())

    @property
    def tops(self) -> np.ndarray:
        return self.macro.tops

    @property
    def tops_per_w(self) -> np.ndarray:
        return vocab.tops_per_w(vocab.ops(self.macro.macs_per_cycle), self.total_energy_pj)

    @property
    def tops_per_mm2(self) -> np.ndarray:
        return vocab.tops_per_mm2(self.tops, self.total_area_mm2)


def system_peak(p: MacroParams, *, out_bits=8, l2_bytes=DEFAULT_L2_BYTES) -> SystemPeakArrays:
    """Peak system figures of ``p`` (one macro, NB = 1, as in the paper) with an L2 of ``l2_bytes``."""
    tech = p.tech
    waves_per_cycle = 1.0 / p.slices
    port_bits = p.input_bits * p.rows
    l2_bits = np.asarray(l2_bytes, dtype=float) * 8
    e_reg = mem.register_energy_per_bit(tech)
    out_bits_total = p.weight_cols * out_bits
    write_per_bit = mem.sram_write_energy(l2_bits, port_bits, tech) / port_bits
    energy = {
        "regi": p.rows * p.bits_per_cycle * e_reg,
        "rego": out_bits_total * waves_per_cycle * e_reg,
        "l2_to_regi": mem.sram_read_energy(l2_bits, port_bits, tech) * waves_per_cycle,
        "rego_to_l2": write_per_bit * out_bits_total * waves_per_cycle,
    }
    area = {
        "l2": mem.sram_area(l2_bits, port_bits, tech),
        "regi": p.rows * p.input_bits * mem.register_area_per_bit(tech),
        "rego": out_bits_total * mem.register_area_per_bit(tech),
    }
    return SystemPeakArrays(macro=peak(p), energy_pj=energy, area_mm2=area)
