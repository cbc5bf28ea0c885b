"""Links between the macros and between chips: an analytic model of what moving data over them costs.

The memory hierarchy of a `System` has shared levels (``per: shared``: the activation buffer, the
weight buffer, the DRAM interface) and per-macro levels (``per: row/column/macro``: the input and
output registers, a macro's own buffer, its cells). Every bit that moves between a shared level and a
macro travels over the interconnect, one copy per macro that receives it (:mod:`imcbench.mapping.traffic`
counts these bits per operand: inputs delivered, partial sums and outputs gathered, weights written).
Partial sums of macros that split a reduction meet at the shared level (that is where the traffic
model adds them), so reductions are gathers too; nothing moves directly from macro to macro.

Model (assumptions, each a parameter or stated here):

* **Topology** ``none`` (ideal wires, zero cost: the default, imcbench's behaviour before links were
  modeled), ``bus`` (one shared link: every transfer is one hop) or ``mesh`` (a 2-D mesh of routers,
  one macro per router, the shared memories attached to a corner router by one link).
* **Placement**: the ``m`` macros a layer uses fill a chip's mesh row by row in a square-ish
  ``ceil(sqrt(m))``-wide block from the corner; a bit to or from the macro at (x, y) takes
  ``1 + x + y`` hops (XY routing: Manhattan distance, plus the link from the memory to the corner).
* **No multicast**: a bit delivered to k macros travels k times (an upper bound for a multicast tree;
  a bus that broadcasts would pay once).
* **Chips**: macros are grouped into chips of ``macros_per_chip`` in order; the shared levels sit on
  the first (host) chip; a bit to or from a macro on another chip also crosses one chip-to-chip link
  once, and then its hops inside that chip (the chip's mesh entered at its corner).
* **Time**: the link from the memory (mesh) or the bus carries every bit; the host's chip link
  carries every remote bit; both overlap compute like the memories (a roofline, see
  :mod:`imcbench.mapping.cost`). A bandwidth is given in bits per clock cycle or in Gb/s (then
  bits per cycle = Gb/s x the clock period in ns); none given: the link never binds.

Units: energy pJ per bit (per hop on chip, per crossing between chips), bandwidth bits per clock cycle
or Gb/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from imcbench.errors import ImcbenchError

Topology = Literal["none", "bus", "mesh"]
TOPOLOGIES = ("none", "bus", "mesh")

# Reference figures for choosing the energies (used by the examples and the docs; no default uses them):
# on-chip wire ~0.1 pJ/bit/mm: Keckler, Dally et al., "GPUs and the future of parallel computing",
# IEEE Micro 31(5), 2011: 256 bits over 10 mm of on-chip wire cost ~310 pJ at 40 nm [cited from memory]
WIRE_PJ_PER_BIT_PER_MM = 0.12  # pJ/bit/mm, 40 nm on-chip wire (Keckler et al. 2011) [cited from memory]
# die-to-die links: UCIe 1.0 specification targets 0.5 pJ/bit on a standard package (0.25 advanced)
UCIE_STANDARD_PJ_PER_BIT = 0.5  # pJ/bit, UCIe 1.0 white paper target, standard package [cited from memory]
# board-level high-speed SerDes (long reach) ~5 pJ/bit and more [assumption, typical of 2020s transceivers]
SERDES_PJ_PER_BIT = 5.0  # pJ/bit [assumption]


@dataclass(frozen=True)
class Interconnect:
    """The links of a system (see the module docstring). The default costs nothing."""

    topology: Topology = "none"
    pj_per_bit_per_hop: float = 0.0
    bandwidth_bits_per_cycle: float | None = None
    macros_per_chip: int | None = None  # None: one chip
    chip_link_pj_per_bit: float = 0.0
    chip_link_bandwidth_bits_per_cycle: float | None = None
    bandwidth_gbps: float | None = None  # alternative to bandwidth_bits_per_cycle
    chip_link_gbps: float | None = None  # alternative to chip_link_bandwidth_bits_per_cycle

    def __post_init__(self) -> None:
        if self.topology not in TOPOLOGIES:
            raise ImcbenchError(f"interconnect topology {self.topology!r} is not known; use one of "
                                f"{', '.join(TOPOLOGIES)}")
        for label in ("pj_per_bit_per_hop", "chip_link_pj_per_bit"):
            value = getattr(self, label)
            if not math.isfinite(value) or value < 0:
                raise ImcbenchError(f"interconnect {label} = {value!r} must be a finite number >= 0")
        for label in ("bandwidth_bits_per_cycle", "chip_link_bandwidth_bits_per_cycle", "bandwidth_gbps",
                      "chip_link_gbps"):
            value = getattr(self, label)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise ImcbenchError(f"interconnect {label} = {value!r} must be > 0 (or left out: unbounded)")
        for per_cycle, gbps in (("bandwidth_bits_per_cycle", "bandwidth_gbps"),
                                ("chip_link_bandwidth_bits_per_cycle", "chip_link_gbps")):
            if getattr(self, per_cycle) is not None and getattr(self, gbps) is not None:
                raise ImcbenchError(f"interconnect: give {per_cycle} or {gbps}, not both")
        if self.macros_per_chip is not None and self.macros_per_chip < 1:
            raise ImcbenchError(f"interconnect macros_per_chip = {self.macros_per_chip!r} must be >= 1")

    @property
    def modeled(self) -> bool:
        """False for the ideal default: no link costs, no breakdown entries."""
        return self.topology != "none"


def mesh_port_hops(m) -> np.ndarray:
    """Mean hops between a memory on the corner router and ``m`` macros filling a mesh row by row.

    The block is ``w = ceil(sqrt(m))`` macros wide; macro i sits at (i mod w, i div w) and is
    ``1 + x + y`` hops away (XY routing). With r = m div w full rows and q = m mod w macros left:
    sum x = r w (w - 1) / 2 + q (q - 1) / 2, sum y = w r (r - 1) / 2 + q r, mean = 1 + (sum x + sum y) / m.
    Units: hops per bit. ``m`` = 0 gives 0 (no macros, no traffic).
    """
    m = np.asarray(m, dtype=float)
    safe = np.maximum(m, 1.0)
    w = np.ceil(np.sqrt(safe) - 1e-9)
    r = np.floor(safe / w)
    q = safe - r * w
    sum_x = r * w * (w - 1) / 2 + q * (q - 1) / 2
    sum_y = w * r * (r - 1) / 2 + q * r
    return np.where(m > 0, 1.0 + (sum_x + sum_y) / safe, 0.0)


def port_hops(topology: str, m) -> np.ndarray:
    """Mean hops per bit between the shared memories and ``m`` macros of one chip."""
    m = np.asarray(m, dtype=float)
    if topology == "mesh":
        return mesh_port_hops(m)
    if topology == "bus":
        return np.where(m > 0, 1.0, 0.0)
    return np.zeros_like(m)


def chip_split(m, macros_per_chip: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(full chips, macros on the last partial chip) of ``m`` macros filled into chips in order."""
    m = np.asarray(m, dtype=float)
    if macros_per_chip is None:
        return np.zeros_like(m), m
    full = np.floor(m / macros_per_chip)
    return full, m - full * macros_per_chip


def mean_on_chip_hops(link: Interconnect, m) -> np.ndarray:
    """Mean on-chip hops per bit for traffic spread evenly over ``m`` macros (each chip's mesh entered at
    its corner): (full chips x c x H(c) + rest x H(rest)) / m, c = macros per chip."""
    m = np.asarray(m, dtype=float)
    full, rest = chip_split(m, link.macros_per_chip)
    c = link.macros_per_chip or 0
    total = full * c * port_hops(link.topology, c) + rest * port_hops(link.topology, rest)
    return np.where(m > 0, total / np.maximum(m, 1.0), 0.0)


def remote_share(link: Interconnect, m) -> np.ndarray:
    """Share of ``m`` macros that are not on the host chip: the share of the bits crossing a chip link."""
    m = np.asarray(m, dtype=float)
    if link.macros_per_chip is None:
        return np.zeros_like(m)
    return np.where(m > 0, (m - np.minimum(m, link.macros_per_chip)) / np.maximum(m, 1.0), 0.0)


def link_energy_per_bit(link: Interconnect, m) -> tuple[np.ndarray, np.ndarray]:
    """(on-chip, chip-to-chip) energy per bit moved between the shared memories and ``m`` macros, pJ."""
    if not link.modeled:
        zero = np.zeros_like(np.asarray(m, dtype=float))
        return zero, zero
    return (mean_on_chip_hops(link, m) * link.pj_per_bit_per_hop,
            remote_share(link, m) * link.chip_link_pj_per_bit)


def bits_per_cycle(per_cycle: float | None, gbps: float | None, tclk_ns) -> float | None:
    """A link's bandwidth in bits per clock cycle: as given, or Gb/s x the clock period (ns); None: unbounded."""
    if per_cycle is not None:
        return per_cycle
    return None if gbps is None else gbps * tclk_ns


def link_cycles(link: Interconnect, bits, m, tclk_ns: float = 1.0) -> np.ndarray:
    """Cycles the links need for ``bits`` moved between the shared memories and ``m`` macros: the busier
    of the memory's link (or the bus), carrying every bit, and the host chip's link, carrying the remote
    bits. ``tclk_ns``: the clock period, for bandwidths given in Gb/s."""
    bits = np.asarray(bits, dtype=float)
    if not link.modeled:
        return np.zeros_like(bits)
    width = bits_per_cycle(link.bandwidth_bits_per_cycle, link.bandwidth_gbps, tclk_ns)
    chip_width = bits_per_cycle(link.chip_link_bandwidth_bits_per_cycle, link.chip_link_gbps, tclk_ns)
    on_chip = bits / width if width else np.zeros_like(bits)
    remote = bits * remote_share(link, m)
    off_chip = remote / chip_width if chip_width else np.zeros_like(remote)
    return np.maximum(on_chip, off_chip)
