"""The range of every design quantity imcbench models, defined once.

Every entry point checks against these numbers: the macro (:func:`imcbench.macro.spec.invalid_reasons`, used
by ``MacroSpec``, ``evaluate_macros`` and the sweep's expansion), the technology (:class:`imcbench.tech.Technology`),
the YAML formats (the pydantic field types of :mod:`imcbench.design_fields`), the heterogeneous cluster, the
published-chip reader (:mod:`imcbench.validation.chips`), the accuracy model and the CLI options. A value
outside a range is refused with a message naming the quantity and its bounds.

Each bound is either where a model stops being valid, or a plausibility ceiling far above every real design
and published chip, so that a typo is refused at once instead of giving a number that means nothing.
Bounds are inclusive unless the name says EXCLUSIVE.
"""

from __future__ import annotations

# --- the array --------------------------------------------------------------------------------------------
MIN_ROWS = 2  # rows (multipliers per bit-line); the adder tree (log2(rows) stages) and the paper's ADC rule
#   Bc + 0.5 log2(rows) need at least 2 inputs [model range]
MAX_ROWS = 1 << 16  # rows; 64x the paper's largest macro (1024), 28x the largest published chip (2304 rows,
#   ../shared/imc_data/chips_train.csv) [plausibility]
MIN_COLS = 1  # physical bit-cell columns
MAX_COLS = 1 << 16  # physical bit-cell columns, as many as MAX_ROWS (square arrays up to the row limit);
#   32x the largest published chip (2048 columns) [plausibility]
MAX_CELLS_PER_MULT = 1024  # cells sharing one multiplier (M); the presets use 1 [plausibility]
MAX_MACROS = 1 << 16  # identical macros in one system [plausibility]

# --- precisions (bits) ------------------------------------------------------------------------------------
MIN_OPERAND_BITS = 1  # bits of an input, weight or output
MAX_OPERAND_BITS = 32  # bits; int32, the widest integer tensors the ONNX reader maps (onnx_graph._INT_TYPE_BITS);
#   published IMC chips use at most 16 (chips_train.csv B_x, B_w) [plausibility]
MAX_DAC_BITS = 16  # bits converted per cycle by a DAC (an AIMC macro's bits_per_cycle, the cluster IMA's
#   dac_bits); a 1 V / 2^16 = 15 uV step is far below the ~2 mV kT/C noise of a 1 fF bit-line [physics]
MIN_ADC_BITS = 1  # bits; one comparator: fewer than 2 levels is no converter [physics]
MAX_ADC_BITS = 16  # bits; beyond this the paper's ADC fit (validated up to ~8 bits) is meaningless; the
#   accuracy model's quantizer is built for this range [model range]
MAX_PARTIAL_SUM_BITS = 64  # bits moved per partial output; int64 accumulators [plausibility]

# --- technology -------------------------------------------------------------------------------------------
MIN_NODE_NM = 1.0  # nm; below it a node is a typo (1e-308 nm gave an infinite TOPS/mm2) [plausibility]
MAX_NODE_NM = 1000.0  # nm; published IMC chips span 4..180 nm (chips_train.csv) [plausibility]
MIN_VDD_V_EXCLUSIVE = 0.35  # V; the delay model's alpha-power law needs Vdd above the threshold voltage
#   (imcbench.tech.DEFAULT_VTH_V, Sakurai & Newton 1990) [model range]
MAX_VDD_V = 5.0  # V; published IMC chips run at 0.41..4.2 V (chips_train.csv) [plausibility]

# --- memories ---------------------------------------------------------------------------------------------
MIN_MEMORY_BITS = 1  # bits; the smallest memory size and port width: one bit [physics]

# --- clocks -----------------------------------------------------------------------------------------------
MAX_CLOCK_MHZ = 1e5  # MHz (100 GHz); no CMOS logic clock comes near, a larger value is a Hz/MHz mix-up
#   [plausibility]

# --- the scaling study (imcbench scaling): an idealised model explored beyond the macro model's range -----
MAX_SCALING_BITS = 24  # bits of its operands and converters; beyond this 4^b converter energies leave any
#   physical range (the macro model stops at MAX_ADC_BITS, where the paper's ADC fit ends) [model range]
MAX_SCALING_ARRAY_SIZE = 1 << 20  # rows and columns of its idealised array (16x MAX_ROWS: the study shows
#   the trend beyond buildable arrays) [plausibility]


def integer_range(low: int, high: int) -> str:
    """``'2..65536'``: how messages write an inclusive integer range."""
    return f"{low}..{high}"
