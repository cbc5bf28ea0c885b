"""The sweep constraint ``min_sqnr_db``: every layer of the network keeps at least this SQNR on the design.

:mod:`imcbench.dse.constraints` registers it (dse builds on accuracy, not the reverse). The SQNR of each layer
comes from the analytical noise and quantization model (:func:`imcbench.accuracy.layer_sqnr_db`) at
the design's macro: rows per conversion, ADC resolution, input bits per cycle, operand precisions.
DIMC computes exact integer products: only the operand quantization limits it.
"""

from __future__ import annotations

import numpy as np

from imcbench.accuracy.noise import layer_sqnr_db


def worst_layer_sqnr_db(system, network) -> float:
    """The lowest SQNR (dB) over the layers of ``network`` on ``system``'s macro."""
    macro = system.macro
    adc = macro.resolved_adc_bits if macro.kind == "aimc" else np.nan
    return float(min(layer_sqnr_db(layer, macro.rows, adc, macro.bits_per_cycle, macro.input_bits,
                                   macro.weight_bits, kind=macro.kind).min() for layer in network))
