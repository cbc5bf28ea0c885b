"""Ready-made systems: the paper's single-macro system at any size (Sun et al., ICCAD 2023,
arXiv 2405.14978, system setup of Fig. 9-12; zigzag-imc b0f0319 ``sim_auto.py`` and
``generate_zigzag_hardware*.py``).

One square macro (rows = physical columns), an 8-bit input register per row, a 16-bit output register
per weight column, a 256 KB L2 SRAM for activations with a port of 8 x rows bits (CACTI-derived energy
and area, :mod:`imcbench.hardware.memory_model`), and an off-chip DRAM at 3.7 pJ/bit with a port of
``cols`` bits (one macro row per access) holding the weights. The DRAM also holds activations that do
not fit the L2 (the paper's MLPerf Tiny networks always fit; ResNet-18 does not).
Preset names for the CLI: ``paper-aimc-256``, ``paper-dimc-64``, ...
"""

from __future__ import annotations

import re

from imcbench.converters import DEFAULT_ADC_MODEL
from imcbench.errors import ImcbenchError
from imcbench.hardware.config import MacroConfig, MemoryConfig, OptionsConfig, SystemConfig, TechnologyConfig
from imcbench.hardware.config import build_system
from imcbench.hardware.paper_setup import DRAM_ENERGY_PJ_PER_BIT, PAPER_DRAM_MB, PAPER_L2_KB
from imcbench.hardware.system import System
from imcbench.macro.model import DEFAULT_DELAY_MODEL

OUTPUT_REG_BITS = 16  # bits per weight column, as zigzag-dse's shipped rf_2B output register (16-bit outputs)
L2_MIN_PORT_BITS = 256  # bits: L2 port floor for macros under 32 rows, the narrowest CACTI port tabulated
#   (memory_model.CACTI_PORT_BITS) [our choice; the paper's port is 8 x rows]
DRAM_MIN_PORT_BITS = 64  # bits: DRAM port floor for macros under 64 columns, a 64-bit bus like zigzag-dse's
#   shipped dram [our choice; the paper's port is cols bits]
PRESET_PATTERN = re.compile(r"^paper[-_](aimc|dimc)[-_](\d+)$")
PRESETS_HELP = ("presets: paper-aimc-N and paper-dimc-N, the paper's system with one N x N macro, N a multiple "
                "of 8 (e.g. paper-aimc-256, paper-dimc-64)")


def paper_system_config(kind: str, rows: int, *, cols: int | None = None, n_macros: int = 1,
                        input_bits: int = 8, weight_bits: int = 8, bits_per_cycle: int | None = None,
                        adc_bits: float | str = "paper", node_nm: float = 28.0, vdd: float = 0.9,
                        l2_kb: float = PAPER_L2_KB, dram_pj_per_bit: float = DRAM_ENERGY_PJ_PER_BIT,
                        cells_per_mult: int = 1, delay_model: str = DEFAULT_DELAY_MODEL,
                        cell: str = "sram6t", adc_model: str = DEFAULT_ADC_MODEL) -> SystemConfig:
    """The paper's system as a configuration (what the YAML in ``examples/`` spells out)."""
    cols = rows if cols is None else cols
    return SystemConfig(
        name=f"paper_{kind}_{rows}x{cols}" + (f"_x{n_macros}" if n_macros > 1 else ""),
        technology=TechnologyConfig(node_nm=node_nm, vdd=vdd),
        macro=MacroConfig(kind=kind, rows=rows, cols=cols, input_bits=input_bits, weight_bits=weight_bits,
                          bits_per_cycle=bits_per_cycle, adc_bits=adc_bits, count=n_macros,
                          cells_per_mult=cells_per_mult, delay_model=delay_model, cell=cell,
                          adc_model=adc_model),
        memories=[
            MemoryConfig(name="input_regs", kind="register", operands=["I"], per="row", size_bits=input_bits),
            MemoryConfig(name="output_regs", kind="register", operands=["O"], per="column",
                         size_bits=OUTPUT_REG_BITS),
            MemoryConfig(name="l2", kind="sram", operands=["I", "O"], size_kb=l2_kb,
                         bandwidth_bits=max(input_bits * rows * n_macros, L2_MIN_PORT_BITS)),
            MemoryConfig(name="dram", kind="dram", operands=["W", "I", "O"], size_mb=PAPER_DRAM_MB,
                         bandwidth_bits=max(cols, DRAM_MIN_PORT_BITS), read_pj_per_bit=dram_pj_per_bit,
                         write_pj_per_bit=dram_pj_per_bit),
        ],
        options=OptionsConfig(),
    )


def paper_system(kind: str, rows: int, **kwargs) -> System:
    """The paper's system with a ``kind`` macro of ``rows`` rows (see :func:`paper_system_config`)."""
    return build_system(paper_system_config(kind, rows, **kwargs))


def preset(name: str) -> System | None:
    """The preset called ``name`` (``paper-aimc-256``), or None if the name is not a preset."""
    match = PRESET_PATTERN.match(name.strip().lower())
    if not match:
        return None
    rows = int(match.group(2))
    if rows < 8 or rows % 8:
        raise ImcbenchError(f"preset {name!r}: the size must be a multiple of 8 (e.g. paper-aimc-256)")
    return paper_system(match.group(1), rows)


# Mapping spaces (SystemOptions settings) the study compares. "full" is imcbench's default space: diagonal
# OX/FX mapping, groups of a depthwise layer packed side by side, liveness-based activation placement,
# DIMC multipliers charged on the mapped rows (the paper's peak code). "zigzag" is zigzag-dse >= 3.8's
# space and conventions (zigzag-dse 3.9.1 ``default_imc.yaml`` mapping hint, ``ImcArray``), as
# `imcbench evaluate --zigzag-compatible`.
FULL_MAPPING_SPACE = dict(diagonal_mapping=True, pack_groups=True, activation_placement="liveness",
                          dimc_multipliers_full_array=False)
ZIGZAG_COMPATIBLE = dict(diagonal_mapping=False, pack_groups=False, activation_placement="adjacent",
                         dimc_multipliers_full_array=True)
# ZigZag's mapping space with imcbench's costs: separates what the space changes from what ZigZag's
# convention of charging DIMC multipliers on the full array changes
ZIGZAG_MAPPING_ONLY = dict(ZIGZAG_COMPATIBLE, dimc_multipliers_full_array=False)
MAPPING_SPACES = {"full": FULL_MAPPING_SPACE, "zigzag": ZIGZAG_COMPATIBLE, "zigzag_mapping": ZIGZAG_MAPPING_ONLY}
