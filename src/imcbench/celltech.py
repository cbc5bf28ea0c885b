"""Memory-cell technologies (SRAM 6T/8T, RRAM, PCM, FeFET, MRAM, gain-cell eDRAM) as data with sources.

One table, ``imcbench/data/cell_technologies.yaml``, gives each cell's area (F^2), compute-mode read energy,
write energy and latency, endurance, retention, leakage, levels per cell, read and programming noise and
drift; every number carries its unit and source there (surveys: Yu & Chen, IEEE SSC Magazine 2016; Chen,
IEEE TED 2020; Le Gallo & Sebastian, J. Phys. D 2020; device papers cited per entry). The macro model,
weight loading, leakage and the accuracy model all read the same :class:`CellTechnology`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from imcbench.errors import ImcbenchError

CELL_TABLE_FILE = Path(__file__).resolve().parent / "data" / "cell_technologies.yaml"
# libyaml's safe loader when PyYAML has it: plain data only, as yaml.safe_load, parsed ~10x faster (every macro
# reads this table at start-up)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_CELL = "sram6t"
SRAM_CELLS = ("sram6t", "sram8t")  # cells whose array the macro model keeps as the paper's SRAM model

# unit each numeric field must be given in (checked on loading, so a table edit cannot mix units)
FIELD_UNITS = {
    "area_f2": "F^2", "read_energy_fj_per_bit": "fJ", "write_energy_pj_per_bit": "pJ",
    "write_latency_ns": "ns", "endurance_writes": "writes", "retention_s": "s", "leakage_pw_per_bit": "pW",
    "levels_per_cell": "levels", "read_noise_rel": "relative", "programming_noise_rel": "relative",
    "drift_nu": "exponent", "drift_nu_std": "exponent", "drift_t0_s": "s",
}
POSITIVE_FIELDS = ("area_f2", "read_energy_fj_per_bit", "write_energy_pj_per_bit", "write_latency_ns",
                   "endurance_writes", "retention_s", "drift_t0_s")  # > 0 (may be inf where it says so)


@dataclass(frozen=True)
class CellTechnology:
    """One memory-cell technology. Units in the field names; sources per number in ``field_sources``."""

    name: str  # 'sram6t', 'sram8t', 'rram', 'pcm', 'fefet', 'mram', 'gain_cell_edram'
    volatile: bool
    area_f2: float  # cell area, F^2 (F = node); SRAM keeps the CACTI array model in macro/cells.py
    read_energy_fj_per_bit: float  # compute-mode read per cell per activation, fJ
    write_energy_pj_per_bit: float  # program one bit (incl. verify for NVM), pJ
    write_latency_ns: float  # one row written in parallel, ns (write-verify included for NVM)
    endurance_writes: float  # write cycles before wear-out (math.inf for SRAM)
    retention_s: float  # s (math.inf = static while powered; gain-cell eDRAM ~100 us)
    leakage_pw_per_bit: float  # standby leakage (or refresh) power per cell, pW (0 for power-gated NVM)
    levels_per_cell: int  # conductance levels (bits per cell = log2(levels))
    read_noise_rel: float  # read-noise sigma relative to the full-scale cell conductance
    programming_noise_rel: float  # programming (write) noise sigma, relative to full scale
    drift_nu: float  # conductance drift exponent, G(t) = G0 (t/t0)^-nu (PCM; 0 otherwise)
    drift_t0_s: float  # drift reference time, s
    source: str  # the papers / surveys the numbers come from (per-number sources in field_sources)
    drift_nu_std: float = 0.0  # device-to-device sigma of nu (what global drift compensation cannot undo)
    field_sources: tuple[tuple[str, str], ...] = ()  # (field, source) for every number

    @property
    def bits_per_cell(self) -> float:
        """Bits stored per cell, log2(levels)."""
        return math.log2(self.levels_per_cell)

    @property
    def is_sram(self) -> bool:
        return self.name in SRAM_CELLS

    def area_um2(self, node_nm: float) -> float:
        """Cell area in um2 at ``node_nm``: area_f2 x F^2."""
        return self.area_f2 * (node_nm * 1e-3) ** 2

    def drift_factor(self, t_s: float) -> float:
        """Mean conductance remaining t_s seconds after programming, (t / t0)^-nu (1 before t0)."""
        if t_s < 0 or not math.isfinite(t_s):
            raise ImcbenchError(f"time after programming {t_s!r} s must be a finite number >= 0")
        return (max(t_s, self.drift_t0_s) / self.drift_t0_s) ** -self.drift_nu

    def source_of(self, field_name: str) -> str:
        return dict(self.field_sources).get(field_name, self.source)


def _number(cell: str, key: str, entry) -> float:
    if not isinstance(entry, dict) or set(entry) != {"value", "unit", "source"}:
        raise ImcbenchError(f"{CELL_TABLE_FILE.name}: {cell}.{key} must be {{value, unit, source}}")
    if entry["unit"] != FIELD_UNITS[key]:
        raise ImcbenchError(f"{CELL_TABLE_FILE.name}: {cell}.{key} is in {entry['unit']!r}, "
                            f"expected {FIELD_UNITS[key]!r}")
    value = float(entry["value"])
    if math.isnan(value) or value < 0 or (key in POSITIVE_FIELDS and value == 0):
        raise ImcbenchError(f"{CELL_TABLE_FILE.name}: {cell}.{key} = {value!r} is out of range")
    if not str(entry["source"]).strip():
        raise ImcbenchError(f"{CELL_TABLE_FILE.name}: {cell}.{key} has no source")
    return value


def _cell_from_entry(name: str, entry: dict, references: dict[str, str]) -> CellTechnology:
    numeric = set(FIELD_UNITS)
    missing = (numeric | {"volatile"}) - set(entry)
    extra = set(entry) - numeric - {"volatile"}
    if missing or extra:
        raise ImcbenchError(f"{CELL_TABLE_FILE.name}: cell {name!r} missing {sorted(missing)} / "
                            f"unknown {sorted(extra)}")
    values = {key: _number(name, key, entry[key]) for key in FIELD_UNITS}
    levels = values["levels_per_cell"]
    if levels < 2 or levels != int(levels):
        raise ImcbenchError(f"{CELL_TABLE_FILE.name}: {name}.levels_per_cell must be an integer >= 2")
    values["levels_per_cell"] = int(levels)
    sources = tuple((key, str(entry[key]["source"])) for key in FIELD_UNITS)
    tags = sorted({tag for _, text in sources for tag in _tags(text)})
    unknown = [tag for tag in tags if tag not in references]
    if unknown:
        raise ImcbenchError(f"{CELL_TABLE_FILE.name}: cell {name!r} cites {unknown} missing from 'references'")
    summary = "; ".join(f"[{tag}] {references[tag]}" for tag in tags) or "assumptions (see field_sources)"
    return CellTechnology(name=name, volatile=bool(entry["volatile"]), source=summary,
                          field_sources=sources, **values)


def _tags(text: str) -> list[str]:
    """The [Key] citations in a source text, e.g. 'YuChen16'."""
    out, rest = [], text
    while "[" in rest and "]" in rest.split("[", 1)[1]:
        tag, rest = rest.split("[", 1)[1].split("]", 1)
        out.append(tag)
    return out


def parse_safe_yaml(text: str) -> Any:
    """``yaml.safe_load(text)`` with SAFE_LOADER: a Python tag is refused (yaml.YAMLError), as by safe_load."""
    loader = SAFE_LOADER(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@lru_cache(maxsize=1)
def _table() -> dict[str, CellTechnology]:
    data = parse_safe_yaml(CELL_TABLE_FILE.read_text(encoding="utf-8"))
    references = data.pop("references")
    return {name: _cell_from_entry(name, entry, references) for name, entry in data.items()}


def list_cells() -> tuple[str, ...]:
    """Names of the known cell technologies, in table order."""
    return tuple(_table())


def get_cell(name: str) -> CellTechnology:
    """The cell technology called ``name`` (case-insensitive); ImcbenchError listing the known cells."""
    key = str(name).strip().lower()
    table = _table()
    if key not in table:
        raise ImcbenchError(f"unknown cell technology {name!r}; known cells: {', '.join(table)}")
    return table[key]


CELL_FIELDS = tuple(f.name for f in fields(CellTechnology))
