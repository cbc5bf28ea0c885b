"""The sweep constraint ``min_sqnr_db``: every layer of the network keeps at least this SQNR on the design.

Registered with :mod:`imcbench.dse.constraints` (listed in its plugin modules). The SQNR of each layer
comes from the analytical noise and quantization model (:func:`imcbench.accuracy.layer_sqnr_db`) at
the design's macro: rows per conversion, ADC resolution, input bits per cycle, operand precisions.
DIMC computes exact integer products: only the operand quantization limits it.
"""

from __future__ import annotations

import numpy as np

from imcbench.accuracy.noise import layer_sqnr_db
from imcbench.dse.constraints import ConstraintContext, register_constraint


def worst_layer_sqnr_db(ctx: ConstraintContext) -> float:
    """The lowest SQNR (dB) over the layers of ``ctx.network`` on ``ctx.system``'s macro."""
    macro = ctx.system.macro
    adc = macro.resolved_adc_bits if macro.kind == "aimc" else np.nan
    return float(min(layer_sqnr_db(layer, macro.rows, adc, macro.bits_per_cycle, macro.input_bits,
                                   macro.weight_bits, kind=macro.kind).min() for layer in ctx.network))


def _check(limit: float, ctx: ConstraintContext) -> str | None:
    value = worst_layer_sqnr_db(ctx)
    return None if value >= limit else f"worst-layer SQNR {value:.1f} dB < {limit:g} dB"


register_constraint("min_sqnr_db", "result", _check,
                    "lower limit on the SQNR of the network's worst layer, dB (analog noise and quantization model)")
