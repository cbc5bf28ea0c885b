"""Area of the SRAM cell array of an IMC macro.

The paper took the cell-array area from CACTI (32 nm scaled by 0.81 to 28 nm, port = all columns) for
square arrays; the six values are those of the paper's Fig. 7/8 data (zigzag-imc b0f0319
``paper_data/peak_vs_macro_size.csv``, cell-array area). We interpolate the area per
bit log-log between them (exact at the listed sizes) and, outside 32..1024, use the fit
``A = a R C + (b/2)(R + C)`` on the same points (max error 5.5 %, rms 2.7 %). For a non-square
R x C array the square size with the same number of bits, sqrt(R C), picks the area per bit.
Units: mm2.

Other cell technologies (:mod:`imcbench.celltech`): the same array organisation with the cell part scaled
by the cell's area relative to the 6T SRAM cell, ``area_f2 / area_f2(sram6t)``; the row/column periphery
(the ``b`` term of the fit) is kept. Scaling the CACTI array rather than using ``area_f2 F^2`` alone keeps
the array overhead (wells, straps, sense amplifiers) that CACTI includes: its 28 nm per-bit area,
0.37 um2 = ~470 F^2, is ~3x a bare 6T cell.
"""

from __future__ import annotations

import numpy as np

from imcbench.tech import ArrayLike, Technology

# CACTI cell-array area at 28 nm of N x N arrays, mm2 (the paper's Fig. 7/8 data, zigzag-imc b0f0319
# paper_data/peak_vs_macro_size.csv)
CACTI_SQUARE_SIZES = np.array([32, 64, 128, 256, 512, 1024], dtype=float)
CACTI_SQUARE_AREA_MM2 = np.array([0.00060331878, 0.00194181948, 0.0068512392, 0.0250481808,
                                  0.1054145664, 0.3844806912])
FIT_AREA_PER_BIT_MM2 = 3.661e-7  # a: mm2 per cell (fit on the six CACTI points)
FIT_AREA_PER_LINE_MM2 = 7.022e-6  # b: mm2 per row + column pair of periphery (same fit)

_LOG_SIZE = np.log(CACTI_SQUARE_SIZES)
_LOG_AREA_PER_BIT = np.log(CACTI_SQUARE_AREA_MM2 / CACTI_SQUARE_SIZES ** 2)


def cell_array_area(rows: ArrayLike, cols: ArrayLike, tech: Technology) -> ArrayLike:
    """Area of a ``rows`` x ``cols`` SRAM cell array (physical cells), mm2, scaled to ``tech``'s node."""
    rows = np.asarray(rows, dtype=float)
    cols = np.asarray(cols, dtype=float)
    bits = rows * cols
    size = np.sqrt(bits)
    inside = (size >= CACTI_SQUARE_SIZES[0]) & (size <= CACTI_SQUARE_SIZES[-1])
    per_bit = np.exp(np.interp(np.log(np.clip(size, CACTI_SQUARE_SIZES[0], CACTI_SQUARE_SIZES[-1])),
                               _LOG_SIZE, _LOG_AREA_PER_BIT))
    fitted = FIT_AREA_PER_BIT_MM2 * bits + FIT_AREA_PER_LINE_MM2 / 2 * (rows + cols)
    return np.where(inside, per_bit * bits, fitted) * tech.area_scale


def scaled_cell_array_area(rows: ArrayLike, cols: ArrayLike, tech: Technology, area_ratio: ArrayLike) -> ArrayLike:
    """Area of a ``rows`` x ``cols`` array of cells ``area_ratio`` times the 6T SRAM cell's size, mm2.

    periphery + area_ratio x (CACTI SRAM array - periphery), periphery = (b/2)(rows + cols) of the fit;
    exactly :func:`cell_array_area` where ``area_ratio`` is 1.
    """
    sram = cell_array_area(rows, cols, tech)
    periphery = FIT_AREA_PER_LINE_MM2 / 2 * (np.asarray(rows, dtype=float) + np.asarray(cols, dtype=float))
    periphery = periphery * tech.area_scale
    ratio = np.asarray(area_ratio, dtype=float)
    return np.where(ratio == 1.0, sram, periphery + ratio * (sram - periphery))
