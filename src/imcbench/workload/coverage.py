"""What an imported workload leaves out: operators that carry MACs but are not modelled as layers.

A :class:`SkippedOperator` counts the nodes of one operator that were left out and, where their shapes
allow it, the MACs they carry. :func:`covered_share` is the share of the model's MACs that the layers
cover: modelled / (modelled + skipped), an upper bound when some skipped MACs are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SkippedOperator:
    """``count`` nodes of ``op`` left out of the layers; ``macs`` they carry (None when not computable:
    an unknown operator, a shape that is not static, MACs inside a subgraph)."""

    op: str
    count: int
    macs: int | None = None

    def to_dict(self) -> dict:
        return {"op": self.op, "count": self.count, "macs": self.macs}


def unmodeled_macs(skipped: tuple[SkippedOperator, ...]) -> int:
    """MACs of the skipped operators whose MACs are known."""
    return sum(s.macs for s in skipped if s.macs is not None)


def covered_share(modeled_macs: int, skipped: tuple[SkippedOperator, ...]) -> float:
    """Modelled MACs over all known MACs (1.0 when nothing is skipped); an upper bound when
    :func:`share_is_exact` is False."""
    total = modeled_macs + unmodeled_macs(skipped)
    return modeled_macs / total if total else 1.0


def share_is_exact(skipped: tuple[SkippedOperator, ...]) -> bool:
    """False when some skipped operator carries MACs that could not be counted."""
    return all(s.macs is not None for s in skipped)


def coverage_text(modeled_macs: int, skipped: tuple[SkippedOperator, ...]) -> str | None:
    """One summary line, e.g. ``covers 97.1% of the MACs; not modelled: 2 Einsum (1,024 MACs)``;
    None when everything is modelled."""
    if not skipped:
        return None
    share = covered_share(modeled_macs, skipped)
    bound = "" if share_is_exact(skipped) else "at most "
    parts = [f"{s.count} {s.op} ({s.macs:,} MACs)" if s.macs is not None else f"{s.count} {s.op} (MACs unknown)"
             for s in skipped]
    return f"covers {bound}{100 * share:.1f}% of the MACs; not modelled: {', '.join(parts)}"
