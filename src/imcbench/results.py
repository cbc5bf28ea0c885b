"""The results vocabulary: one name, one unit and one formula for each figure every result type reports.

Every result type (macro peak, network evaluation, sweep row, heterogeneous configuration, LLM step,
scaling limit, chip prediction) spells the same figure the same way, from :data:`FIGURES`, and derives
throughput and efficiency through the functions here, so that each formula is written once.
Operations count a MAC as 2 operations (the IMC paper's count; zigzag-dse 3.9.1
``ImcArray.get_macro_level_peak_performance``). The functions keep the float operation order the
model always used, so results stay bit-identical.

:class:`ResultMixin` gives a dataclass ``to_dict()`` (JSON-safe) and ``to_frame()`` (pandas, one row
unless the result says otherwise). The sweep database's ``results`` columns come from
:data:`NETWORK_TOTALS` (imcbench.dse.worker).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

OPS_PER_MAC = 2  # operations per multiply-accumulate (zigzag-dse 3.9.1 ImcArray.get_macro_level_peak_performance)

# name -> unit of every figure a result reports under that exact name
FIGURES = {
    "macs": "MAC",
    "energy_pj": "pJ",
    "latency_cycles": "cycles",
    "latency_ns": "ns",
    "latency_s": "s",
    "tclk_ns": "ns",
    "area_mm2": "mm2",
    "tops": "TOPS",
    "gops": "GOPS",
    "tops_per_w": "TOPS/W",
    "tops_per_mm2": "TOPS/mm2",
    "gops_per_mm2": "GOPS/mm2",
    "energy_per_mac_fj": "fJ/MAC",
    "e_op_pj": "pJ/op",
    "spatial_utilization": "share",
}

# totals of one network on one system, in the order of the sweep database's results columns
NETWORK_TOTALS = ("energy_pj", "latency_cycles", "latency_ns", "tclk_ns", "area_mm2", "macs", "tops",
                  "tops_per_w", "tops_per_mm2")


TIE_RELATIVE = 0.02  # 1; two figures closer than 2 % of the larger are a tie (issue 13: ties are not wins)


def is_tie(a: float, b: float) -> bool:
    """True when ``a`` and ``b`` differ by at most :data:`TIE_RELATIVE` of the larger magnitude (the rule of
    every verdict the studies print; two zeros tie)."""
    return abs(a - b) <= TIE_RELATIVE * max(abs(a), abs(b))


def ops(macs):
    """Operations of ``macs`` multiply-accumulates (1 MAC = 2 ops)."""
    return OPS_PER_MAC * macs


def tops(n_ops, latency_ns):
    """Throughput in TOPS of ``n_ops`` operations done in ``latency_ns`` ns (ops/ns / 1e3); arrays broadcast."""
    return n_ops / latency_ns / 1e3


def gops(n_ops, latency_ns):
    """Throughput in GOPS of ``n_ops`` operations done in ``latency_ns`` ns (ops/ns)."""
    return n_ops / latency_ns


def tops_per_w(n_ops, energy_pj):
    """Energy efficiency in TOPS/W of ``n_ops`` operations that cost ``energy_pj`` pJ (ops/pJ = TOPS/W)."""
    return n_ops / energy_pj


def tops_per_mm2(throughput_tops, area_mm2):
    """Compute density in TOPS/mm2 (or GOPS/mm2 from GOPS) of ``throughput_tops`` on ``area_mm2`` mm2."""
    return throughput_tops / area_mm2


NON_FINITE_POLICIES = ("keep", "string", "none")  # what plain() makes of inf, -inf and NaN


def plain(value, non_finite: str = "keep"):
    """``value`` as plain Python data for JSON or YAML: results to their ``to_dict()``, other dataclasses to
    dicts, dict keys to strings, tuples and numpy arrays to lists, numpy numbers to Python ones, paths to
    strings.

    ``non_finite`` says what becomes of inf, -inf and NaN: ``"keep"`` leaves them floats (``json.dumps``
    writes Infinity and NaN, as the CLI's JSON always did), ``"string"`` writes ``"inf"`` and ``"-inf"``
    (NaN: None), ``"none"`` writes None for all three (strict JSON, YAML without .inf)."""
    if non_finite not in NON_FINITE_POLICIES:
        raise ValueError(f"non_finite={non_finite!r}: use one of {', '.join(NON_FINITE_POLICIES)}")
    return _plain(value, non_finite)


def _plain(value, non_finite: str):
    if isinstance(value, (str, bool)) or value is None:
        return value
    if hasattr(value, "to_dict") and not isinstance(value, type):
        return _plain(value.to_dict(), non_finite)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), non_finite) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v, non_finite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, non_finite) for v in value]
    if isinstance(value, numbers.Integral):  # int, numpy integers
        return int(value)
    if isinstance(value, numbers.Real):  # float, numpy floats
        return _number(float(value), non_finite)
    if hasattr(value, "tolist"):  # numpy array or bool
        return _plain(value.tolist(), non_finite)
    if isinstance(value, os.PathLike):
        return str(value)
    return value


def _number(value: float, non_finite: str):
    if math.isfinite(value) or non_finite == "keep":
        return value
    if non_finite == "string" and not math.isnan(value):
        return "inf" if value > 0 else "-inf"
    return None


class ResultMixin:
    """``to_dict()`` and ``to_frame()`` for a result dataclass.

    ``to_dict()`` is the dataclass fields, JSON-safe; a result whose JSON shape is fixed (a CLI's output)
    defines its own ``to_dict`` and keeps ``to_frame``. ``to_frame()`` is one row of the scalar entries of
    ``to_dict()`` (nested dicts flattened as ``key.sub``); results with rows of their own (layers, curves)
    override it.
    """

    def to_dict(self) -> dict:
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_frame(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame([flat_row(self.to_dict())])


def flat_row(data: dict, prefix: str = "") -> dict:
    """The scalar entries of ``data``, nested dicts flattened to ``outer.inner`` keys; lists left out."""
    row = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            row |= flat_row(value, name + ".")
        elif not isinstance(value, (list, tuple)):
            row[name] = value
    return row


def finite_or_none(value) -> float | None:
    """``value`` as a float, None when it is NaN or infinite (JSON has no NaN)."""
    value = float(value)
    return value if math.isfinite(value) else None
