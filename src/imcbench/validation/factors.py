"""What a calibration is: its free parameters, how they scale the macro model, and its file.

A :class:`Calibration` holds log-space values theta of :data:`PARAMETERS`: each multiplies some components
(energy, area, clock period) of the paper's macro model for some chips, by a factor exp(theta) or by
(node / 28 nm)^theta. :func:`apply_calibration` scales components with it, :func:`load_calibration` reads
one from YAML. Fitting one on published chips is :mod:`imcbench.validation.calibration`, which builds on
this module and on :mod:`imcbench.validation.predict` (itself applying calibrations from here).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import yaml

from imcbench.errors import ImcbenchError
from imcbench.results import plain
from imcbench.tech import REF_NODE_NM
from imcbench.validation.stats import NVM_FAMILIES
from imcbench.yamlio import read_yaml

FORMAT = "imcbench-calibration/1"
DEFAULT_CALIBRATION_FILE = Path(__file__).resolve().parents[1] / "data" / "calibration_default.yaml"

DIGITAL = ("multipliers", "adder_tree", "place_value", "accumulator")  # DIMC logic (energy, area, delay)
ARRAY = ("bitline", "multipliers")  # AIMC bit-line and in-cell compute energy


@dataclass(frozen=True)
class Parameter:
    """A free constant: multiplies ``components`` of ``quantity`` for the chips ``applies_to`` selects."""

    name: str
    quantity: str  # 'energy', 'area' or 'delay'
    components: tuple[str, ...]
    applies_to: str  # a compute model (IS, QS, QR, QS-QR), 'aimc', 'dimc', 'nvm', 'processor' or 'all'
    kind: str = "factor"  # 'factor' (x exp(theta)) or 'node_exponent' (x (node/28)^theta)
    doc: str = ""

    @property
    def target(self) -> str:
        """The reported figure this parameter is fitted on: energy -> TOPS/W, area and delay -> TOPS/mm2."""
        return "tops_per_w" if self.quantity == "energy" else "tops_per_mm2"


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("array_energy_IS", "energy", ARRAY, "IS",
              doc="bit-line + cell energy of current-summing AIMC (static read current, not C V^2)"),
    Parameter("array_energy_QS", "energy", ARRAY, "QS", doc="bit-line + cell energy of charge-sharing AIMC"),
    Parameter("array_energy_QR", "energy", ARRAY, "QR", doc="bit-line + cell energy of charge-redistribution AIMC"),
    Parameter("array_energy_QS-QR", "energy", ARRAY, "QS-QR", doc="bit-line + cell energy of QS-QR AIMC"),
    Parameter("array_energy_nvm", "energy", ARRAY, "nvm", doc="extra factor for eNVM cells (read current)"),
    Parameter("dac_energy", "energy", ("dac",), "aimc", doc="input drivers / DAC (paper k0)"),
    Parameter("adc_energy", "energy", ("adc",), "aimc", doc="ADC energy (paper k5, k6: the ADC's figure of merit)"),
    Parameter("dimc_logic_energy", "energy", DIGITAL, "dimc", doc="DIMC multipliers and adders"),
    Parameter("dimc_energy_node_exponent", "energy", DIGITAL, "dimc", "node_exponent",
              doc="DIMC logic energy x (node/28)^x on top of the linear capacitance law"),
    Parameter("cells_area", "area", ("cells",), "all", doc="bit-cell array area (CACTI x cell-type ratio)"),
    Parameter("adc_area", "area", ("adc",), "aimc", doc="ADC area (paper k1, k2)"),
    Parameter("aimc_compute_area", "area", ("multipliers",), "aimc", doc="in-cell compute devices of AIMC"),
    Parameter("dimc_logic_area", "area", DIGITAL, "dimc", doc="DIMC multipliers and adders"),
    Parameter("processor_area", "area", ("cells", "dac", "adc", *DIGITAL), "processor",
              doc="whole-processor figures (IMC_Processor = Y): other logic and memory beside the banks"),
    Parameter("adc_delay", "delay", ("adc",), "aimc", doc="ADC conversion time (paper k3, k4)"),
    Parameter("digital_delay", "delay", DIGITAL, "all", doc="multiplier, adder and accumulator delays"),
    Parameter("digital_delay_node_exponent", "delay", DIGITAL, "all", "node_exponent",
              doc="digital delay x (node/28)^x on top of the linear (Dennard) delay law"),
)
PARAMETER_NAMES = tuple(p.name for p in PARAMETERS)
_UNITS = {"factor": "dimensionless multiplier of the paper model's components (1 = the paper's value)",
          "node_exponent": "dimensionless exponent x of the extra factor (node / 28 nm)^x (0 = the paper's law)"}


class Calibrated(NamedTuple):
    """Calibrated components: energy (pJ), area (mm2) and, if given, delay (ns), by component."""

    energy_pj: dict[str, np.ndarray]
    area_mm2: dict[str, np.ndarray]
    delay_ns: dict[str, np.ndarray] | None


@dataclass(frozen=True)
class Calibration:
    """Fitted log-space values of :data:`PARAMETERS` (theta), with where they come from and how good they are."""

    theta: dict[str, float]
    uncertainty: dict[str, dict[str, float]] = field(default_factory=dict)  # metric -> group -> x/÷ factor
    provenance: dict = field(default_factory=dict)
    cross_validation: dict = field(default_factory=dict)
    intervals: dict = field(default_factory=dict)  # conformal intervals: level, half-widths, LOCO coverage
    cv_frame: object = field(default=None, compare=False, repr=False)  # DataFrame of the CV predictions (not saved)

    def value(self, name: str) -> float:
        """The parameter as used: a factor exp(theta) or an exponent theta."""
        param = PARAMETERS[PARAMETER_NAMES.index(name)]
        return math.exp(self.theta[name]) if param.kind == "factor" else self.theta[name]

    def factors(self, quantity: str, components, *, compute_model, cell_family="SRAM", node_nm=REF_NODE_NM,
                imc_processor=False) -> dict[str, np.ndarray]:
        """Multiplicative factor of each component of ``quantity`` (arrays broadcast over the chips)."""
        theta = np.array([self.theta.get(p.name, 0.0) for p in PARAMETERS])
        return {c: np.exp(_features(quantity, c, compute_model, cell_family, node_nm, imc_processor) @ theta)
                for c in components}

    def spread(self, metric: str, compute_model) -> np.ndarray:
        """x/÷ uncertainty factor of ``metric`` for each compute model (NaN if the calibration has none)."""
        table = self.uncertainty.get(metric, {})
        default = table.get("all", math.nan)
        return np.array([table.get(str(m), default) for m in np.atleast_1d(compute_model)], dtype=float)

    def to_dict(self) -> dict:
        return {"format": FORMAT,
                "description": "Multiplicative factors on the components of the paper's macro model (Sun et al., "
                               "ICCAD 2023), fitted on published chips; see imcbench.validation.calibration.",
                "provenance": self.provenance,
                "parameters": {p.name: {"value": round(self.value(p.name), 6), "kind": p.kind,
                                        "unit": _UNITS[p.kind],
                                        "quantity": p.quantity, "components": list(p.components),
                                        "applies_to": p.applies_to, "doc": p.doc} for p in PARAMETERS},
                "uncertainty_factor": self.uncertainty,
                "cross_validation": self.cross_validation,
                "intervals": self.intervals}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(plain(self.to_dict(), non_finite="none"), sort_keys=False, width=110))
        return path


def apply_calibration(energy_by_component: dict, area_by_component: dict, compute_model, calib: Calibration | None,
                      *, cell_family="SRAM", node_nm=REF_NODE_NM, imc_processor=False,
                      delay_by_component: dict | None = None) -> Calibrated:
    """Scale macro-model components (from ``imcbench.macro.model``) by a calibration; None = the paper's model.

    ``compute_model`` ('IS', 'QS', 'QR', 'QS-QR' for AIMC, 'DIMC') and the keywords may be arrays broadcast
    against the component arrays. Components the calibration does not name are returned unchanged.
    """
    if calib is None:
        return Calibrated(dict(energy_by_component), dict(area_by_component),
                          None if delay_by_component is None else dict(delay_by_component))
    where = dict(compute_model=compute_model, cell_family=cell_family, node_nm=node_nm, imc_processor=imc_processor)

    def scale(quantity: str, values: dict) -> dict:
        factors = calib.factors(quantity, values, **where)
        return {c: np.asarray(v) * factors[c] for c, v in values.items()}

    delay = None if delay_by_component is None else scale("delay", delay_by_component)
    return Calibrated(scale("energy", energy_by_component), scale("area", area_by_component), delay)


def _selects(applies_to: str, compute_model, cell_family, imc_processor) -> np.ndarray:
    cm = np.asarray(compute_model, dtype=str)
    family = np.asarray(cell_family, dtype=str)
    aimc = np.isin(cm, ("IS", "QS", "QR", "QS-QR"))
    nvm = np.isin(family, NVM_FAMILIES)
    if applies_to == "all":
        return np.ones(np.broadcast(cm, family).shape, dtype=bool)
    if applies_to == "aimc":
        return aimc
    if applies_to == "dimc":
        return cm == "DIMC"
    if applies_to == "nvm":
        return aimc & nvm
    if applies_to == "processor":
        return np.asarray(imc_processor, dtype=bool)
    return (cm == applies_to) & ~nvm  # one AIMC compute model, volatile cells (eNVM has its own factor)


def _features(quantity, component, compute_model, cell_family, node_nm, imc_processor,
              parameters: tuple[Parameter, ...] = PARAMETERS) -> np.ndarray:
    """Matrix (chips x parameters): d log(factor of ``component``) / d theta."""
    shape = np.broadcast(np.asarray(compute_model), np.asarray(cell_family), np.asarray(node_nm),
                         np.asarray(imc_processor)).shape
    log_node = np.log(np.asarray(node_nm, dtype=float) / REF_NODE_NM)
    columns = []
    for p in parameters:
        if p.quantity != quantity or component not in p.components:
            columns.append(np.zeros(shape))
            continue
        selected = _selects(p.applies_to, compute_model, cell_family, imc_processor)
        value = log_node if p.kind == "node_exponent" else 1.0
        columns.append(np.broadcast_to(np.where(selected, value, 0.0), shape))
    return np.stack(columns, axis=-1) if columns else np.zeros((*shape, 0))


def interval_factor(calib: Calibration, metric: str, compute_model, is_sram) -> np.ndarray:
    """x/÷ factor exp(h) of each row's conformal interval (NaN when the calibration carries none)."""
    from imcbench.validation import conformal

    table = (calib.intervals.get("halfwidth_log") or {}).get(metric, {})
    groups = conformal.interval_group(np.atleast_1d(compute_model), np.atleast_1d(is_sram))
    h = np.array([table.get(str(g), table.get("all", math.nan)) for g in groups], dtype=float)
    return np.exp(h)


def load_calibration(spec: str | Path | None = "default") -> Calibration | None:
    """'paper' or None: the uncalibrated model (None); 'default': the packaged calibration; else a YAML path."""
    if spec is None or str(spec).lower() == "paper":
        return None
    path = DEFAULT_CALIBRATION_FILE if str(spec).lower() == "default" else Path(spec)
    data = read_yaml(path, "calibration file")
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("parameters"), dict):
        raise ImcbenchError(f"{path}: not an imcbench calibration (expected 'format: {FORMAT}' and 'parameters'); "
                            "make one with 'imcbench calibrate --chips FILE.csv --out calib.yaml'")
    for section in ("provenance", "uncertainty_factor", "cross_validation"):  # read as mappings further on
        if data.get(section) is not None and not isinstance(data[section], dict):
            raise ImcbenchError(f"{path}: field {section}: expected a mapping, got {type(data[section]).__name__}; "
                                "the file is damaged, make it again with 'imcbench calibrate'")
    theta = {}
    for name, entry in data["parameters"].items():
        if name not in PARAMETER_NAMES:
            close = difflib.get_close_matches(str(name), PARAMETER_NAMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ImcbenchError(f"{path}: unknown parameter {name!r}; {hint}known: {', '.join(PARAMETER_NAMES)}")
        value = entry.get("value") if isinstance(entry, dict) else entry
        kind = PARAMETERS[PARAMETER_NAMES.index(name)].kind
        if not isinstance(value, (int, float)) or not math.isfinite(value) or (kind == "factor" and value <= 0):
            raise ImcbenchError(f"{path}: parameter {name!r} must be a {'positive ' if kind == 'factor' else ''}"
                                f"number, got {value!r}")
        theta[name] = math.log(value) if kind == "factor" else float(value)
    intervals = data.get("intervals") or {}
    if not isinstance(intervals, dict):
        raise ImcbenchError(f"{path}: field intervals: expected a mapping; make the file again with 'imcbench calibrate'")
    return Calibration(theta=theta, uncertainty=data.get("uncertainty_factor") or {},
                       provenance=data.get("provenance") or {}, cross_validation=data.get("cross_validation") or {},
                       intervals=intervals)
