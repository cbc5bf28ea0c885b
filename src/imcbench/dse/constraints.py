"""Sweep constraints: a small registry of named limits a design point must meet.

A constraint is checked at one of two stages:

* ``hardware``: on the `System` alone, before any network is evaluated (a design over the area budget
  costs no mapping time);
* ``result``: on each network's `NetworkResult` (latency budget, minimum efficiency, ...).

A violation skips the (design, network) point with the constraint's name as the reason. Every
constraint is registered below, at import, so workers know them all; ``min_sqnr_db`` calls the accuracy
model (dse builds on accuracy, never the reverse). :func:`register_constraint` adds more.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Callable, Literal

from imcbench.errors import ImcbenchError

Stage = Literal["hardware", "result"]
# check(limit, context) -> None when met, else a short text saying by how much it is violated
Check = Callable[[float, "ConstraintContext"], "str | None"]


@dataclass(frozen=True)
class ConstraintContext:
    """What a constraint may look at: the system, the network (result stage) and its result."""

    system: object
    network: object = None
    result: object = None


@dataclass(frozen=True)
class Constraint:
    name: str
    stage: Stage
    check: Check
    help: str


_REGISTRY: dict[str, Constraint] = {}


def register_constraint(name: str, stage: Stage, check: Check, help: str = "") -> None:
    """Add (or replace) a constraint usable as ``constraints: {NAME: LIMIT}`` in a sweep spec."""
    if stage not in ("hardware", "result"):
        raise ValueError(f"stage must be 'hardware' or 'result', not {stage!r}")
    _REGISTRY[name] = Constraint(name, stage, check, help)


def constraint(name: str) -> Constraint:
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ImcbenchError(f"unknown constraint {name!r}{hint} (known: {', '.join(sorted(_REGISTRY))})")
    return _REGISTRY[name]


def check_constraint_names(limits: dict[str, float]) -> None:
    """Every constraint is known and its limit a finite number (a NaN limit would reject every design)."""
    for name, limit in limits.items():
        constraint(name)
        if not math.isfinite(limit):
            raise ImcbenchError(f"constraints.{name}: {limit} is not a limit; give a finite number (or remove the "
                                "constraint for no limit)")


def violations(limits: dict[str, float], stage: Stage, context: ConstraintContext) -> list[tuple[str, str]]:
    """(name, detail) of every constraint of ``stage`` that ``context`` violates."""
    found = []
    for name, limit in limits.items():
        c = constraint(name)
        if c.stage == stage:
            detail = c.check(limit, context)
            if detail is not None:
                found.append((name, detail))
    return found


def _upper(metric: str, of: str) -> Check:
    def check(limit: float, ctx: ConstraintContext) -> str | None:
        value = float(getattr(ctx.system if of == "system" else ctx.result, metric))
        return None if value <= limit else f"{metric} {value:.4g} > {limit:.4g}"
    return check


def _lower(metric: str) -> Check:
    def check(limit: float, ctx: ConstraintContext) -> str | None:
        value = float(getattr(ctx.result, metric))
        return None if value >= limit else f"{metric} {value:.4g} < {limit:.4g}"
    return check


register_constraint("max_area_mm2", "hardware", _upper("area_mm2", "system"),
                    "total area of macros and memories, mm2 (checked before evaluation)")
for _metric, _unit in (("energy_pj", "pJ per inference"), ("latency_ns", "ns per inference"),
                       ("latency_cycles", "cycles per inference")):
    register_constraint(f"max_{_metric}", "result", _upper(_metric, "result"), f"upper limit, {_unit}")
for _metric in ("tops", "tops_per_w", "tops_per_mm2"):
    register_constraint(f"min_{_metric}", "result", _lower(_metric), "lower limit on the network's figure")


def _min_sqnr(limit: float, ctx: ConstraintContext) -> str | None:
    from imcbench.accuracy.constraint import worst_layer_sqnr_db  # only sweeps that use it load the model

    value = worst_layer_sqnr_db(ctx.system, ctx.network)
    return None if value >= limit else f"worst-layer SQNR {value:.1f} dB < {limit:g} dB"


register_constraint("min_sqnr_db", "result", _min_sqnr,
                    "lower limit on the SQNR of the network's worst layer, dB (analog noise and quantization model)")
