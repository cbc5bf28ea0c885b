"""`HeteroSystem`: the cluster's engines, shared memory and scheduling settings, and its fixed area."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from imcbench.errors import ImcbenchError
from imcbench.hetero.engines import (CLOCK_MHZ, CLUSTER_OVERHEAD_AREA_MM2, HANDOFF_CYCLES, CoreCluster,
                                     DigitalAccel, ImaSpec, MacroAccel, SharedMemory)

ROW_TILES = 8  # row tiles per layer in the pipelined schedule [assumption: enough to overlap a bottleneck]
SPLIT_FRACTIONS = (0.25, 0.5, 0.75)  # output-channel shares tried when a layer is split across two engines


@dataclass(frozen=True)
class HeteroSystem:
    """A shared-memory cluster: cores, L1/L2, IMAs, digital and macro accelerators.

    ``row_tiles``: a layer is cut into up to this many row tiles so that consecutive layers on different
    engines overlap; ``handoff_cycles``: synchronisation delay when a tile's input comes from another
    engine; ``split_fractions``: shares of the output channels tried when one layer is split over two
    engines (empty: no splits).
    """

    name: str = "cluster"
    clock_mhz: float = CLOCK_MHZ
    cores: CoreCluster = field(default_factory=CoreCluster)
    memory: SharedMemory = field(default_factory=SharedMemory)
    imas: tuple[ImaSpec, ...] = (ImaSpec(),)
    digital: tuple[DigitalAccel, ...] = ()
    macros: tuple[MacroAccel, ...] = ()
    overhead_area_mm2: float = CLUSTER_OVERHEAD_AREA_MM2
    row_tiles: int = ROW_TILES
    handoff_cycles: float = HANDOFF_CYCLES
    split_fractions: tuple[float, ...] = SPLIT_FRACTIONS

    def __post_init__(self) -> None:
        for label in ("imas", "digital", "macros", "split_fractions"):
            object.__setattr__(self, label, tuple(getattr(self, label)))
        if not self.clock_mhz > 0:
            raise ImcbenchError(f"system {self.name!r}: clock_mhz must be > 0")
        if self.row_tiles < 1:
            raise ImcbenchError(f"system {self.name!r}: row_tiles must be >= 1")
        names = self.engine_names
        if len(set(names)) != len(names):
            raise ImcbenchError(f"system {self.name!r}: engine names must be unique, got {', '.join(names)}")
        if any(not 0 < f < 1 for f in self.split_fractions):
            raise ImcbenchError(f"system {self.name!r}: split_fractions must lie strictly between 0 and 1")

    @property
    def engine_names(self) -> tuple[str, ...]:
        return (self.cores.name, *(e.name for e in self.imas), *(e.name for e in self.digital),
                *(e.name for e in self.macros))

    def engine(self, name: str):
        for e in (self.cores, *self.imas, *self.digital, *self.macros):
            if e.name == name:
                return e
        raise KeyError(name)

    def is_ima(self, name: str) -> bool:
        return any(e.name == name for e in self.imas)

    @property
    def fixed_area_mm2(self) -> dict[str, float]:
        """Area that does not depend on the allocation: cores, L1, cluster overhead, digital and macro
        accelerators (IMA crossbars are added per allocation)."""
        areas = {"cores": self.cores.area_mm2, "l1": self.memory.l1_area_mm2, "cluster": self.overhead_area_mm2}
        areas |= {e.name: e.area_mm2 for e in self.digital}
        areas |= {e.name: e.area_mm2 for e in self.macros}
        return areas

    def without_accelerators(self) -> "HeteroSystem":
        """The software-only cluster (the cores and memories alone)."""
        return replace(self, imas=(), digital=(), macros=())

    def with_ima(self, name: str, **changes) -> "HeteroSystem":
        """The system with IMA ``name``'s parameters changed (e.g. ``crossbars=4``)."""
        return replace(self, imas=tuple(replace(e, **changes) if e.name == name else e for e in self.imas))
