"""End-to-end cases from measured chips (``imcbench/data/published_systems.yaml``): model vs measured.

Each case names a published system, its hardware description in imcbench's format (``data/systems/``), its
published figures with the POWER BOUNDARY each covers (macro, core, chip, board) and the assumptions made to
describe it. A figure is modelled by:

* ``workload: peak`` - the macro model's peak figures of all the system's macros (model boundary: macros);
* ``workload: <built-in network>`` - :func:`imcbench.evaluation.evaluate` of that network on the system (model
  boundary: macros + the memories of the hardware file), at the case's ``act_bits`` / ``weight_bits``;
* ``not_modeled: <reason>`` - counted and printed with the reason, never silently dropped.

Columns: the paper model, the paper model with the ADC survey's median converter, and the packaged calibration
(peak rows only). The calibration scales the macro model the way it was fitted: an eNVM cell (pcm, rram, mram)
with the chip predictions' cell terms (:func:`imcbench.validation.predict.fitted_cell_terms`; by default the SRAM
bit-line read energy that the eNVM factor was fitted on), not the cell table's read energy of the paper column.
The ratio is model / measured; a figure measured at a wider boundary than the model's (chip vs macros) is
expected to come out above 1 for TOPS/W.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.yamlio import read_yaml

if TYPE_CHECKING:
    from imcbench.macro import model

SYSTEMS_FILE = Path(__file__).resolve().parents[1] / "data" / "published_systems.yaml"
FORMAT = "imcbench-published-systems/1"
METRICS = {"tops_per_w": "TOPS/W", "tops": "TOPS", "tops_per_mm2": "TOPS/mm2"}


@dataclass(frozen=True)
class SystemRow(vocab.ResultMixin):
    system: str
    label: str
    boundary: str  # of the measured figure
    model_boundary: str
    metric: str
    measured: float
    paper: float
    survey_adc: float
    calibrated: float
    note: str  # not-modeled reason, or ''

    @property
    def ratio(self) -> float:
        return self.paper / self.measured if self.measured > 0 else math.nan

    def to_dict(self) -> dict:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["ratio"] = self.ratio
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in data.items()}


def load_cases(path: str | Path = SYSTEMS_FILE) -> list[dict]:
    """The cases of a published-systems file; a damaged file raises ImcbenchError naming the problem."""
    data = read_yaml(Path(path), "published systems file")
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("systems"), list):
        raise ImcbenchError(f"{path}: not a published-systems file (expected 'format: {FORMAT}' and a list 'systems')")
    for i, case in enumerate(data["systems"]):
        if not isinstance(case, dict) or not isinstance(case.get("measurements"), list) or "name" not in case:
            raise ImcbenchError(f"{path}: system {i + 1}: expected 'name', 'hardware' and a list 'measurements'")
        for m in case["measurements"]:
            value = m.get("value") if isinstance(m, dict) else None
            if not isinstance(m, dict) or m.get("metric") not in METRICS or not isinstance(value, (int, float)):
                raise ImcbenchError(f"{path}: system {case['name']!r}: each measurement needs a metric in "
                                    f"{', '.join(METRICS)} and a numeric value (got {m!r})")
    return data["systems"]


def _peak(system, calib, compute_model: str, cell_family: str) -> dict[str, dict[str, float]]:
    """Peak figures of the system's macros: paper model, survey-median ADC, calibrated."""
    from imcbench.validation.calibration import apply_calibration

    spec = system.macro
    paper = spec.evaluate()
    survey = replace(spec, adc_model="survey_median").evaluate()
    out = {"paper": {"tops_per_w": paper.tops_per_w, "tops": paper.tops, "tops_per_mm2": paper.tops_per_mm2},
           "survey_adc": {"tops_per_w": survey.tops_per_w, "tops": survey.tops, "tops_per_mm2": survey.tops_per_mm2},
           "calibrated": {k: math.nan for k in METRICS}}
    if calib is not None:
        base = _as_fitted(spec)
        cal = apply_calibration(base.energy_pj, base.area_mm2, compute_model, calib,
                                cell_family=cell_family, node_nm=spec.node_nm, delay_by_component=base.tclk_ns)
        energy = float(sum(np.sum(v) for v in cal.energy_pj.values()))
        area = float(sum(np.sum(v) for v in cal.area_mm2.values()))
        tclk = float(sum(np.sum(v) for v in cal.delay_ns.values()))
        tops = vocab.tops(vocab.ops(paper.macs_per_cycle), tclk)
        out["calibrated"] = {"tops_per_w": vocab.tops_per_w(vocab.ops(paper.macs_per_cycle), energy), "tops": tops,
                             "tops_per_mm2": vocab.tops_per_mm2(tops, area)}
    return out


def _as_fitted(spec) -> "model.PeakArrays":
    """The macro model of ``spec`` as the calibration was fitted: an eNVM cell with the cell terms the chip
    predictions used (imcbench.validation.predict.fitted_cell_terms); the factors scale those terms, not others."""
    from imcbench.macro import model
    from imcbench.validation.predict import fitted_cell_terms

    params = spec.params()
    terms = fitted_cell_terms(spec.cell)
    return model.peak(params if terms is None else replace(params, **terms))


def _network(system, case: dict, m: dict) -> dict[str, dict[str, float]]:
    from imcbench.evaluation import evaluate
    from imcbench.workload.zoo import builtin_network

    net = builtin_network(str(m["workload"]))
    net = net.with_precision(int(m.get("act_bits", system.macro.input_bits)),
                             int(m.get("weight_bits", system.macro.weight_bits)))
    out = {}
    for name, sys_ in (("paper", system), ("survey_adc", replace(system, macro=replace(system.macro,
                                                                                      adc_model="survey_median")))):
        r = evaluate(net, sys_)
        out[name] = {"tops_per_w": r.tops_per_w, "tops": r.tops, "tops_per_mm2": r.tops_per_mm2}
    out["calibrated"] = {k: math.nan for k in METRICS}
    return out


def evaluate_cases(cases: list[dict] | None = None, calibration: str = "default") -> list[SystemRow]:
    """Model vs measured for every measurement of every case (module doc)."""
    from imcbench.hardware.loading import load_system
    from imcbench.validation.calibration import load_calibration

    cases = load_cases() if cases is None else cases
    calib = load_calibration(calibration)
    rows = []
    for case in cases:
        hardware = SYSTEMS_FILE.parent / str(case.get("hardware", ""))
        system = load_system(hardware) if hardware.is_file() else None
        peak = None
        for m in case["measurements"]:
            nan = {k: {x: math.nan for x in METRICS} for k in ("paper", "survey_adc", "calibrated")}
            note, model_boundary, figures = str(m.get("not_modeled") or ""), "", nan
            if not note and system is None:
                note = f"hardware file {case.get('hardware')!r} not found"
            if not note and m.get("workload") == "peak":
                peak = peak or _peak(system, calib, str(case.get("compute_model", "")),
                                     str(case.get("cell_family", "SRAM")))
                figures, model_boundary = peak, f"{system.macro.n_macros} macro(s), peak"
            elif not note and m.get("workload"):
                figures, model_boundary = _network(system, case, m), f"macros + memories, {m['workload']}"
            elif not note:
                note = "no workload given (peak or a built-in network)"
            metric = m["metric"]
            rows.append(SystemRow(case["name"], str(m.get("label", "")), str(m.get("boundary", "?")), model_boundary,
                                  metric, float(m["value"]), figures["paper"][metric], figures["survey_adc"][metric],
                                  figures["calibrated"][metric], note))
    return rows
