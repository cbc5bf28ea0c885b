"""Energy and area of memories estimated from their size, port width and technology.

SRAM: the paper's L2 numbers come from CACTI 7 (32 nm, scaled by 0.81 to 28 nm) for a 256 KB, 16-sub-bank
SRAM with a port of 256 to 8192 bits (the paper's system peak, Fig. 7/8; zigzag-imc b0f0319
``generate_zigzag_hardware*.py``; the values below are derived from ``paper_data/peak_vs_macro_size.csv``).
Between those port widths we interpolate log-log; outside, the energy per bit of the nearest width is kept.
Other capacities scale the energy per access with sqrt(capacity), the bit-line/word-line length (Horowitz,
"Computing's energy problem", ISSCC 2014: 64-bit reads of 8 KB / 32 KB / 1 MB SRAM cost ~10 / 20 / 100 pJ, a
slope of ~0.46 in log-log), and the area linearly with capacity. Energies scale with the node like gate
capacitance times V^2 (see :mod:`imcbench.tech`), areas with node^2.

Registers: one D flip-flop write per bit (C_DFF V^2 = 1.701 fJ at 28 nm, 0.9 V; zigzag-dse 3.9.1
``ImcUnit.get_1b_reg_energy``).
DRAM: 3.7 pJ per bit (the paper's off-chip weight memory, zigzag-imc b0f0319
``generate_zigzag_hardware*.py``).
Units: energy pJ per access (or per bit where named), area mm2, sizes and widths in bits.
"""

from __future__ import annotations

import numpy as np

from imcbench.hardware.paper_setup import DRAM_ENERGY_PJ_PER_BIT, PAPER_L2_KB  # noqa: F401 (re-exported)
from imcbench.macro import components as cmp
from imcbench.tech import REF_NODE_NM, REF_VDD_V, ArrayLike, Technology

CACTI_REF_SIZE_BITS = PAPER_L2_KB * 1024 * 8  # bits, the capacity of the CACTI table below (the paper's L2)
# CACTI 7 at 32 nm x 0.81 (28 nm) for the paper's L2 per port width (bits): energy per access (pJ) and area
# (mm2), derived from zigzag-imc b0f0319 paper_data/peak_vs_macro_size.csv
CACTI_PORT_BITS = np.array([256, 512, 1024, 2048, 4096, 8192], dtype=float)
CACTI_READ_PJ = np.array([41.0986224, 72.315504, 75.377952, 80.9134272, 120.9676032, 140.45882112])
CACTI_WRITE_PJ = np.array([27.001188, 44.1206352, 61.6579776, 96.1435008, 134.4097152, 210.7897344])
CACTI_AREA_MM2 = np.array([0.778311504, 0.734336928, 0.750710592, 0.7689613824, 0.8433165312,
                           0.8015417856])
SRAM_CAPACITY_ENERGY_EXPONENT = 0.5  # energy per access ~ capacity^0.5 (Horowitz 2014)

_LOG_PORT = np.log(CACTI_PORT_BITS)


def _energy_scale(tech: Technology) -> ArrayLike:
    """Gate capacitance x V^2 relative to 28 nm, 0.9 V."""
    ref = Technology(REF_NODE_NM, REF_VDD_V)
    return (tech.c_nand2 * tech.v2) / (ref.c_nand2 * ref.v2)


def _per_bit_at_ref(width_bits: ArrayLike, table: np.ndarray) -> np.ndarray:
    width = np.asarray(width_bits, dtype=float)
    clipped = np.clip(width, CACTI_PORT_BITS[0], CACTI_PORT_BITS[-1])
    per_bit = np.log(table / CACTI_PORT_BITS)
    return np.exp(np.interp(np.log(clipped), _LOG_PORT, per_bit))


def sram_read_energy(size_bits: ArrayLike, width_bits: ArrayLike, tech: Technology) -> np.ndarray:
    """Energy of one read access of ``width_bits`` from an SRAM of ``size_bits``, pJ."""
    scale = (np.asarray(size_bits, dtype=float) / CACTI_REF_SIZE_BITS) ** SRAM_CAPACITY_ENERGY_EXPONENT
    return _per_bit_at_ref(width_bits, CACTI_READ_PJ) * np.asarray(width_bits) * scale * _energy_scale(tech)


def sram_write_energy(size_bits: ArrayLike, width_bits: ArrayLike, tech: Technology) -> np.ndarray:
    """Energy of one write access of ``width_bits`` to an SRAM of ``size_bits``, pJ."""
    scale = (np.asarray(size_bits, dtype=float) / CACTI_REF_SIZE_BITS) ** SRAM_CAPACITY_ENERGY_EXPONENT
    return _per_bit_at_ref(width_bits, CACTI_WRITE_PJ) * np.asarray(width_bits) * scale * _energy_scale(tech)


def sram_area(size_bits: ArrayLike, width_bits: ArrayLike, tech: Technology) -> np.ndarray:
    """Area of an SRAM of ``size_bits`` with a ``width_bits`` port, mm2."""
    width = np.clip(np.asarray(width_bits, dtype=float), CACTI_PORT_BITS[0], CACTI_PORT_BITS[-1])
    ref_area = np.exp(np.interp(np.log(width), _LOG_PORT, np.log(CACTI_AREA_MM2)))
    return ref_area * np.asarray(size_bits, dtype=float) / CACTI_REF_SIZE_BITS * tech.area_scale


def register_energy_per_bit(tech: Technology) -> ArrayLike:
    """Energy of writing one register (flip-flop) bit, pJ."""
    return cmp.dff_energy(tech) / 1e3


def register_area_per_bit(tech: Technology) -> ArrayLike:
    """Area of one register bit, mm2."""
    return tech.a_dff / 1e6
