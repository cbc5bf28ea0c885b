"""Bridge from the scaling limits to real designs: our macro models and the published chips on one axis.

* :func:`macro_curves`: e_op against N from the AIMC and DIMC macro models (Sun et al., ICCAD 2023; rows
  = N, physical columns = rows, the paper's ADC rule), e_op = 1 / (TOPS/W), by term.
* :func:`chips_vs_limit`: each published IMC operating point (UIUC benchmarking data, Shanbhag and Roy,
  CICC 2022) at its dot-product length N, its measured energy per 1-bit operation E_OP1, the analog
  limit at the same N and precision, and our AIMC macro model's decomposition of the same configuration
  into DAC, ADC, array, digital periphery and weight loading.

Precision convention (the benchmark's own): energies per operation are normalised to 1-bit operations,
E_OP1 = e_op / (B_x B_w); on a b-bit axis a chip sits at E_OP1 x b^2.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from imcbench.design_limits import MIN_VDD_V_EXCLUSIVE
from imcbench.macro import evaluate_macros, invalid_reasons
from imcbench.macro import components as cmp
from imcbench.scaling.model import energy_per_op
from imcbench.scaling.params import DEFAULT_PARAMS, FJ_PER_PJ, FUNDAMENTAL_PARAMS, ScalingParams
from imcbench.tech import REF_VDD_V, Technology

# macro-model energy components -> scaling terms
MACRO_TERMS = {"dac": ("dac",), "adc": ("adc",), "array": ("bitline", "multipliers"),
               "digital": ("adder_tree", "place_value", "accumulator", "precharge")}
CHIP_TERMS = ("dac", "adc", "array", "digital", "weights")
MIN_GIVEN_VDD_V = MIN_VDD_V_EXCLUSIVE  # V: a chip supply at or below the macro model's lowest (its threshold
#   voltage, which Technology refuses) is taken as not given and REF_VDD_V (0.9 V, the IMC paper's supply) is
#   used [our choice]


def macro_curves(n, bits: int = 8) -> pd.DataFrame:
    """AIMC and DIMC macro-model e_op (pJ/op at b x b bits) against N = rows, square-ish arrays.

    Physical columns = rows rounded up to a multiple of b (at least b); AIMC 2 input bits per cycle and
    ADC bits = 2 + 0.5 log2(rows); DIMC bit-serial (paper defaults). Columns: kind, n, e_op_pj, and the
    terms dac, adc, array, digital (pJ/op).
    """
    rows = np.maximum(np.round(np.asarray(n, dtype=float)), 2.0)
    cols = np.maximum(np.ceil(rows / bits), 1.0) * bits
    frames = []
    for kind in ("aimc", "dimc"):
        df = evaluate_macros(kind, rows, cols, input_bits=bits, weight_bits=bits)
        e_op = 1.0 / df["tops_per_w"].to_numpy()
        total = sum(df[f"energy_pj.{c}"].to_numpy() for cs in MACRO_TERMS.values() for c in cs)
        out = pd.DataFrame({"kind": kind, "n": rows, "bits": bits, "e_op_pj": e_op})
        for term, comps in MACRO_TERMS.items():
            out[term] = sum(df[f"energy_pj.{c}"].to_numpy() for c in comps) / total * e_op
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def chips_vs_limit(chips, *, params: ScalingParams = DEFAULT_PARAMS,
                   fundamental: ScalingParams = FUNDAMENTAL_PARAMS) -> pd.DataFrame:
    """Published IMC operating points against the analog limit at their own N and precision.

    ``chips``: PublishedChip list (:func:`imcbench.validation.load_chips`). Keeps AIMC and DIMC rows with a
    dot-product length N, precisions, a node and a TOPS/W, one per distinct row (exact repeats dropped).
    Columns:

    * identification: row, chip_id, label, kind, architecture, cell_family, node_nm, vdd, n, input_bits,
      weight_bits, adc_bits;
    * ``e_op1_fj``: measured energy per 1-bit op, 1000 / (1b-normalised TOPS/W);
    * ``limit_fj`` / ``limit_survey_fj``: analog-resident e_op at the chip's N (square layer), DAC at
      B_x bits and ADC at B_ADC bits (B_x + B_w + log2 N when not given), per 1-bit op, with converters at
      the thermal floor (``fundamental``) or under ``params``; the array term is the chip's own cell
      line charge (0.35 fF x (node scaling) x V^2, IMC paper, zigzag-dse 3.9.1 ``ImcUnit.TECH_PARAM_28NM``;
      0.9 V when the supply is not given);
      NaN for DIMC rows;
    * ``x_above_limit`` / ``x_above_survey``: measured over limit;
    * ``model_<term>_fj`` and ``model_fj``: our AIMC macro model of the chip's configuration, per 1-bit op
      (NaN where the macro model cannot describe it), ``holds_back``: its largest term, and
      ``holds_back_share``.
    """
    frame = _chip_frame(chips)
    if frame.empty:
        return frame
    tech = Technology(frame["node_nm"].to_numpy(), np.where(frame["vdd"] > MIN_GIVEN_VDD_V, frame["vdd"], REF_VDD_V))
    cell_fj = np.asarray(cmp.cell_line_energy(tech), dtype=float)
    ops1 = (frame["input_bits"] * frame["weight_bits"]).to_numpy()
    aimc = frame["kind"].to_numpy() == "aimc"  # the analog limit is the yardstick of analog designs only
    for column, p in (("limit_fj", fundamental), ("limit_survey_fj", params)):
        frame[column] = np.where(aimc, _analog_limit_pj(frame, cell_fj, p) * FJ_PER_PJ / ops1, np.nan)
    frame["x_above_limit"] = frame["e_op1_fj"] / frame["limit_fj"]
    frame["x_above_survey"] = frame["e_op1_fj"] / frame["limit_survey_fj"]
    model = _macro_decomposition(frame)
    frame = pd.concat([frame, model], axis=1)
    terms = frame[[f"model_{t}_fj" for t in CHIP_TERMS]].to_numpy()
    has_model = np.isfinite(terms).all(axis=1)
    frame["holds_back"] = np.where(has_model, np.array(CHIP_TERMS)[np.argmax(np.nan_to_num(terms), axis=1)], "")
    frame["holds_back_share"] = np.where(has_model, np.nanmax(terms, axis=1, initial=0) / frame["model_fj"], np.nan)
    return frame


def _chip_frame(chips) -> pd.DataFrame:
    rows = [c for c in chips if c.kind in ("aimc", "dimc") and "repeats row" not in c.reason
            and np.isfinite(c.dot_length) and c.dot_length >= 1 and np.isfinite(c.tops_per_w)
            and c.tops_per_w > 0 and np.isfinite(c.input_bits) and np.isfinite(c.weight_bits)
            and np.isfinite(c.node_nm) and c.node_nm > 0]
    frame = pd.DataFrame({
        "row": [c.row for c in rows], "chip_id": [c.chip_id for c in rows], "label": [_label(c) for c in rows],
        "kind": [c.kind for c in rows],
        "architecture": [c.architecture for c in rows], "cell_family": [c.cell_family for c in rows],
        "node_nm": [c.node_nm for c in rows], "vdd": [c.vdd for c in rows], "n": [c.dot_length for c in rows],
        "cols": [c.cols for c in rows], "input_bits": [c.input_bits for c in rows],
        "weight_bits": [c.weight_bits for c in rows], "adc_bits": [c.adc_bits for c in rows],
        "modelable": [c.modelable for c in rows], "e_op1_fj": [1e3 / c.tops_per_w for c in rows]})
    return frame


def _label(chip) -> str:
    """Short name: first author's surname and year, e.g. "Su'21" (the source index if no author)."""
    first = re.split(r",| et al| and ", chip.authors)[0].strip()
    name = first.split()[-1] if first else f"#{chip.chip_id}"
    return f"{name}'{chip.year % 100:02d}" if chip.year else name


def best_chips(frame: pd.DataFrame, kind: str = "aimc", count: int = 5) -> pd.DataFrame:
    """The ``count`` chips of ``kind`` with the lowest measured E_OP1, one (best) operating point each."""
    rows = frame[frame["kind"] == kind].sort_values("e_op1_fj")
    return rows.drop_duplicates("chip_id").head(count).reset_index(drop=True)


def _analog_limit_pj(frame: pd.DataFrame, cell_fj: np.ndarray, p: ScalingParams) -> np.ndarray:
    """Analog-resident e_op at each chip's N and precisions, pJ per (B_x x B_w) op, chip's cell energy."""
    n, bx, bw = (frame[c].to_numpy(dtype=float) for c in ("n", "input_bits", "weight_bits"))
    adc = frame["adc_bits"].to_numpy(dtype=float)
    adc = np.where(np.isfinite(adc) & (adc > 0), adc, bx + bw + np.log2(n))
    res = energy_per_op("analog_resident", n, bx, adc_bits=adc, params=p)
    converters = res.terms["dac"] + res.terms["adc"]
    return converters + cell_fj / FJ_PER_PJ / 2


def _macro_decomposition(frame: pd.DataFrame) -> pd.DataFrame:
    """Our AIMC macro model at each AIMC chip's configuration, terms in fJ per 1-bit op (NaN if not modelable).

    rows = N, physical columns = N_col (rounded up to whole weights), B_x input bits applied at once
    (the chip's bank precision), B_w weight bits (rounded up: a ternary 1.5-bit weight takes 2 cells),
    the chip's ADC bits, node and supply. Normalised by the chip's own B_x B_w, like its E_OP1.
    """
    bx = np.ceil(frame["input_bits"].to_numpy(dtype=float))
    bw = np.ceil(frame["weight_bits"].to_numpy(dtype=float))
    rows = np.round(frame["n"].to_numpy(dtype=float))
    cols_raw = frame["cols"].to_numpy(dtype=float)
    cols = np.ceil(np.where(np.isfinite(cols_raw), cols_raw, rows) / bw) * bw
    adc = frame["adc_bits"].to_numpy(dtype=float)
    node, vdd = frame["node_nm"].to_numpy(dtype=float), frame["vdd"].to_numpy(dtype=float)
    reasons = invalid_reasons(kind=np.full(len(frame), "aimc"), rows=rows, cols=cols, input_bits=bx,
                              weight_bits=bw, bits_per_cycle=bx, adc_bits=adc, node_nm=node, vdd=vdd)
    ok = (frame["kind"].to_numpy() == "aimc") & frame["modelable"].to_numpy() & np.isfinite(adc)
    for mask in reasons.values():
        ok &= ~mask
    out = pd.DataFrame(np.nan, index=frame.index, columns=[f"model_{t}_fj" for t in CHIP_TERMS] + ["model_fj"])
    if not ok.any():
        return out
    df = evaluate_macros("aimc", rows[ok], cols[ok], input_bits=bx[ok], weight_bits=bw[ok],
                         bits_per_cycle=bx[ok], adc_bits=adc[ok], node_nm=node[ok], vdd=vdd[ok])
    e_op_fj = FJ_PER_PJ / df["tops_per_w"].to_numpy()  # per (ceil B_x x ceil B_w) op
    per_mac_fj = 2 * e_op_fj
    ops1 = 2 * (frame["input_bits"] * frame["weight_bits"]).to_numpy(dtype=float)[ok]
    total = sum(df[f"energy_pj.{c}"].to_numpy() for cs in MACRO_TERMS.values() for c in cs)
    for term, comps in MACRO_TERMS.items():
        share = sum(df[f"energy_pj.{c}"].to_numpy() for c in comps) / total
        out.loc[ok, f"model_{term}_fj"] = share * per_mac_fj / ops1
    out.loc[ok, "model_weights_fj"] = 0.0  # published peak figures keep the weights resident
    out.loc[ok, "model_fj"] = per_mac_fj / ops1
    return out
