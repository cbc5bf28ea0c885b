"""What the memory cell of a macro costs outside the compute cycle: weight writes, write time, leakage.

All three read the macro's :class:`imcbench.celltech.CellTechnology`. SRAM cells keep the estimates imcbench
used before cell technologies existed (bit-identical results): the write energy of one row of the array
from the CACTI-derived SRAM model (:mod:`imcbench.hardware.memory_model`) and one row written per clock
(the paper's system setup; ZigZag-IMC's cost model: weight-loading cycles = reloads x mapped rows).
Other cells take the cell table's write energy per bit (write-verify included) and write one row per
``write_latency_ns``, i.e. ``t_clk / write_latency_ns`` rows per clock (at most 1).
Leakage: ``leakage_pw_per_bit`` x the cells of all macros, pW (pW x ns = 1e-9 pJ).
"""

from __future__ import annotations

from imcbench.hardware import memory_model as mem
from imcbench.macro import MacroSpec
from imcbench.tech import Technology

PJ_PER_PW_NS = 1e-9  # pJ per (pW x ns)
MAX_ROWS_WRITTEN_PER_CYCLE = 1.0  # one row write port (the paper writes one row per cycle)


def array_bits(macro: MacroSpec) -> float:
    """Cells of all macros: rows x cells_per_mult x physical columns x n_macros."""
    return float(macro.rows * macro.cells_per_mult * macro.cols * macro.n_macros)


def cell_write_pj_per_bit(macro: MacroSpec, tech: Technology | None = None) -> float:
    """Energy to write one weight bit into the macro's cells, pJ.

    SRAM (sram6t, sram8t): one row write of the array from the SRAM model, divided by the row's bits.
    Other cells: the cell table's ``write_energy_pj_per_bit`` (program-and-verify for NVM).
    """
    cell = macro.cell_technology
    if cell.is_sram:
        tech = macro.technology if tech is None else tech
        bits = macro.rows * macro.cells_per_mult * macro.cols
        return float(mem.sram_write_energy(bits, macro.cols, tech)) / macro.cols
    return cell.write_energy_pj_per_bit


def weight_rows_per_cycle(macro: MacroSpec) -> float:
    """Rows of one macro written per clock: 1 for SRAM; min(1, t_clk / write_latency_ns) otherwise."""
    cell = macro.cell_technology
    if cell.is_sram:
        return MAX_ROWS_WRITTEN_PER_CYCLE
    return min(MAX_ROWS_WRITTEN_PER_CYCLE, macro.evaluate().tclk_ns / cell.write_latency_ns)


def array_write(macro: MacroSpec) -> dict[str, float]:
    """Writing every cell of all macros once: energy pJ, time ns (rows one after another), row time ns."""
    per_row_cycles = 1.0 / weight_rows_per_cycle(macro)
    tclk = macro.evaluate().tclk_ns
    rows = macro.rows * macro.cells_per_mult
    return {"energy_pj": array_bits(macro) * cell_write_pj_per_bit(macro),
            "time_ns": rows * per_row_cycles * tclk, "row_time_ns": per_row_cycles * tclk}


def leakage_pw(macro: MacroSpec) -> float:
    """Standby (or refresh) power of the cells of all macros, pW."""
    return macro.cell_technology.leakage_pw_per_bit * array_bits(macro)
