"""Design points: a spec's grid and list expanded, impossible combinations skipped with a count per reason.

A design point is the canonical mapping of the parameters its spec gives (canonical names and values,
``cols: same_as_rows`` resolved, parameters that do not apply dropped: ``adc_bits`` of a DIMC macro).
Its ``design_id`` is a digest of that mapping and of the base hardware, so the same design gets the
same id in every run, whatever its position in the grid; a (design, network, objective) evaluation
gets a ``point_id`` the same way -- the key that makes resumed sweeps skip finished work.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from imcbench.dse.parameters import SAME_AS_ROWS, HardwareBase, base_value
from imcbench.dse.spec import LoadedSpec
from imcbench.errors import ImcbenchError
from imcbench.macro import invalid_reasons
from imcbench.macro.spec import DEFAULT_BITS_PER_CYCLE, MACRO_KINDS

DUPLICATE = "duplicate design (same parameters after dropping those that do not apply, e.g. adc_bits of DIMC)"
NOT_APPLICABLE = {"dimc": ("adc_bits",)}  # parameters without effect for a macro kind
KIND_REASON = "kind must be 'aimc' or 'dimc'"
# the macro quantities invalid_reasons checks (parameter names: paths are stored under these aliases)
MACRO_FIELDS = ("kind", "rows", "cols", "input_bits", "weight_bits", "bits_per_cycle", "adc_bits",
                "cells_per_mult", "n_macros", "node_nm", "vdd")


@dataclass(frozen=True)
class DesignPoint:
    """One hardware configuration: canonical parameters and its stable id."""

    index: int
    design_id: str
    params: dict = field(hash=False, compare=False)


@dataclass(frozen=True)
class Expansion:
    """The valid design points of a spec and how many requested combinations were skipped, per reason."""

    points: tuple[DesignPoint, ...]
    skipped: dict[str, int]
    requested: int
    record_ids: tuple = ()  # per requested record: its design id (None when impossible)


def expand(loaded: LoadedSpec) -> Expansion:
    """All design points of the spec's ``grid`` (each mapping a cartesian product) and ``points``."""
    spec = loaded.spec
    records = []
    for grid in spec.grids():
        names = list(grid)
        records += [spec.fixed | dict(zip(names, combo)) for combo in itertools.product(*grid.values())]
    records += [spec.fixed | point for point in spec.points or []]
    try:
        return make_points(records, loaded.hardware)
    except ImcbenchError as exc:
        raise ImcbenchError(f"{loaded.source}: {exc}") from None


def make_points(records: list[dict], base: HardwareBase, start_index: int = 0) -> Expansion:
    """Canonical, valid, de-duplicated design points from raw parameter mappings."""
    if base.mode == "preset":
        _require_preset_keys(records)
    effective = effective_macro(records, base)
    reasons = {KIND_REASON: ~np.isin(effective["kind"], MACRO_KINDS)}
    reasons |= invalid_reasons(**{k: v for k, v in effective.items()})
    first_reason = np.full(len(records), "", dtype=object)
    for reason, mask in reasons.items():
        first_reason[(first_reason == "") & mask] = reason
    skipped = Counter(first_reason[first_reason != ""].tolist())
    points, seen = [], set()
    record_ids = [None] * len(records)
    for i in np.flatnonzero(first_reason == ""):
        params = canonical_params(records[i], effective["kind"][i], effective["rows"][i])
        design_id = design_digest(base, params)
        record_ids[i] = design_id
        if design_id in seen:
            skipped[DUPLICATE] += 1
            continue
        seen.add(design_id)
        points.append(DesignPoint(start_index + len(points), design_id, params))
    return Expansion(tuple(points), dict(skipped), len(records), tuple(record_ids))


def _require_preset_keys(records: list[dict]) -> None:
    for name in ("kind", "rows"):
        if any(name not in r for r in records):
            raise ImcbenchError(f"the paper preset needs {name} in every point: give it under fixed: or grid:")


def effective_macro(records: list[dict], base: HardwareBase) -> dict[str, np.ndarray]:
    """Per record, the macro quantities in force (given, else the base's), as arrays for the checks."""
    out = {}
    for name in MACRO_FIELDS:
        default = base_value(base, name)
        out[name] = np.array([r.get(name, default) for r in records], dtype=object)
    kind = np.array([str(k).lower() for k in out["kind"]], dtype=object)
    rows = _numbers(out["rows"])
    cols = np.where(out["cols"] == SAME_AS_ROWS, rows, out["cols"])
    input_bits = _numbers(out["input_bits"])
    default_bc = np.minimum(np.where(kind == "aimc", DEFAULT_BITS_PER_CYCLE["aimc"],
                                     DEFAULT_BITS_PER_CYCLE["dimc"]), input_bits)
    bits_per_cycle = np.where(out["bits_per_cycle"] == None, default_bc, out["bits_per_cycle"])  # noqa: E711
    adc = np.where((out["adc_bits"] == "paper") | (out["adc_bits"] == None), np.nan, out["adc_bits"])  # noqa: E711
    return {"kind": kind.astype(str), "rows": rows, "cols": _numbers(cols), "input_bits": input_bits,
            "weight_bits": _numbers(out["weight_bits"]), "bits_per_cycle": _numbers(bits_per_cycle),
            "adc_bits": _numbers(adc), "cells_per_mult": _numbers(out["cells_per_mult"]),
            "n_macros": _numbers(out["n_macros"]), "node_nm": _numbers(out["node_nm"]),
            "vdd": _numbers(out["vdd"])}


def canonical_params(record: dict, kind: str, rows: float) -> dict:
    """Sorted parameters with ``same_as_rows`` resolved and parameters that do not apply dropped."""
    params = {}
    for name in sorted(record):
        value = record[name]
        if name in NOT_APPLICABLE.get(kind, ()):
            continue
        if value == SAME_AS_ROWS:
            value = int(rows)
        params[name] = value
    return params


def design_digest(base: HardwareBase, params: dict) -> str:
    return _digest({"hardware": base.key, "params": params})


def point_digest(design_id: str, network_key: str, objective: str) -> str:
    return _digest({"design": design_id, "network": network_key, "objective": objective})


def _digest(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _numbers(values: np.ndarray) -> np.ndarray:
    """Object array -> float array; text (a typo the spec checks let through) becomes NaN."""
    return np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan for v in values],
                    dtype=float)
