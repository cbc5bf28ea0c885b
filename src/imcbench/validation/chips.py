"""Published IMC chips: the loader of the UIUC benchmarking CSV format and a typed `PublishedChip`.

Format: one row per reported operating point, columns as in ``../shared/imc_data/column_index.csv``
(Shanbhag and Roy, "Comprehending In-memory Computing Trends via Proper Benchmarking", CICC 2022; data
from github.com/UIUC-IMC/UIUC-IMC-Benchmarking). TOPS, TOPS/W and TOPS/mm2 are normalised to 1-bit
operations (reported figure x B_x x B_w). In that source one bank invocation makes N_ADC ADCs (or adder
trees) each compute an N-long dot product of B_x-bit inputs and B_w-bit weights, i.e.
N_1b = 2 N N_ADC B_x B_w one-bit operations.

Real files are messy: blanks, stray spaces (``'eDRAM '``), units in cells (``'28nm'``), notes
(``'0.75 (Digital); 0.95 (SRAM)'``), several rows per chip (operating points) and repeated rows. The loader
never fails on a row: a row whose values cannot describe a macro keeps its place with ``reason`` saying
why. Rows are grouped into chips (``chip_id``) by paper Index or title, so that cross-validation can
leave out a whole chip.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from imcbench.design_limits import (MAX_ADC_BITS, MAX_NODE_NM, MAX_OPERAND_BITS, MAX_VDD_V, MIN_ADC_BITS, MIN_NODE_NM,
                                    MIN_VDD_V_EXCLUSIVE)
from imcbench.errors import ImcbenchError

DEFAULT_CHIPS_FILE = Path("shared") / "imc_data" / "chips_train.csv"  # relative to the repo's parent
# the facts of the training file shipped with the package (scripts/make_published_chips.py writes it)
PACKAGED_CHIPS_FILE = Path(__file__).resolve().parents[1] / "data" / "published_chips.csv"

# canonical field -> column header of the format (matched after stripping spaces, case-insensitive)
REQUIRED_COLUMNS = {
    "index": "Index", "title": "Paper Title", "year": "Year", "node_nm": "Tech (nm)",
    "architecture": "Architecture", "cell_type": "Cell Type", "rows": "N_row", "cols": "N_col",
    "vdd": "Supply V(V)", "input_bits": "B_x", "weight_bits": "B_w", "adc_bits": "B_ADC",
    "rows_per_cycle": "R_C", "cols_per_cycle": "C_C", "n_adc": "N_ADC", "dot_length": "N",
    "tops_per_w": "TOPS/W", "tops_per_mm2": "TOPS/mm2", "compute_model": "Compute Model",
}
OPTIONAL_COLUMNS = {
    "authors": "Authors", "venue": "Journal/Conference", "core_kb": "Core Size(Kb)",
    "rows_per_adc": "R", "cols_per_adc": "C", "n_core": "N_core", "tops": "TOPS",
    "imc_processor": "IMC_Processor", "t_core_ns": "T_core(ns)",
}
# PublishedChip field -> column of the packaged file: the columns the code uses, in the format's names
PACKAGED_CHIPS_COLUMNS = {
    "index": "Index", "title": "Paper Title", "year": "Year", "node_nm": "Tech (nm)",
    "architecture": "Architecture", "cell_type": "Cell Type", "rows": "N_row", "cols": "N_col",
    "vdd": "Supply V(V)", "input_bits": "B_x", "weight_bits": "B_w", "adc_bits": "B_ADC",
    "rows_per_cycle": "R_C", "rows_per_adc": "R", "cols_per_cycle": "C_C", "cols_per_adc": "C",
    "n_adc": "N_ADC", "dot_length": "N", "t_core_ns": "T_core(ns)", "tops_per_w": "TOPS/W",
    "tops_per_mm2": "TOPS/mm2", "compute_model": "Compute Model", "imc_processor": "IMC_Processor",
}
NUMERIC_FIELDS = ("node_nm", "vdd", "core_kb", "rows", "cols", "input_bits", "weight_bits", "adc_bits",
                  "rows_per_cycle", "rows_per_adc", "cols_per_cycle", "cols_per_adc", "n_adc", "dot_length",
                  "n_core", "tops", "tops_per_w", "tops_per_mm2", "t_core_ns")

ARCHITECTURES = {"sram": "SRAM", "envm": "eNVM", "edram": "eDRAM", "dram": "DRAM", "eflash": "eFlash",
                 "digital": "Digital"}
AIMC_MODELS = ("IS", "QS", "QR", "QS-QR")
COMPUTE_MODELS = (*AIMC_MODELS, "DIMC")
NVM_CELL_FAMILIES = ("ReRAM", "PCM", "MRAM", "Flash")  # eNVM cell technologies, from the cell type text
MAX_ARRAY_COUNT = 2**24  # rows, columns, ADCs, dot length of one bank; above it a count is a typo or garbage
_COUNT_LABELS = {"rows": "N_row", "cols": "N_col", "rows_per_cycle": "R_C", "rows_per_adc": "R",
                 "cols_per_cycle": "C_C", "cols_per_adc": "C", "n_adc": "N_ADC", "dot_length": "N"}
MAX_CHIP_FILE_BYTES = 32 * 1024 * 1024  # the whole published database is ~100 kB; refuse data dumps at once

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class PublishedChip:
    """One reported operating point of a published chip. Missing numbers are NaN, missing text ''.

    Figures are the source's 1-bit-normalised ones (TOPS/W and TOPS/mm2 x B_x x B_w). ``reason`` is ''
    when the row has what the macro model needs, else why it cannot be modeled.
    """

    row: int  # 1-based data row in the file (header excluded)
    index: int | None  # the source's paper index
    chip_id: str  # rows with the same chip_id are one chip (same Index or same title)
    title: str
    year: int | None
    node_nm: float  # nm
    vdd: float  # V
    architecture: str  # SRAM, eNVM, eDRAM, eFlash, Digital, ...
    compute_model: str  # IS, QS, QR, QS-QR, DIMC or ''
    cell_type: str
    rows: float  # N_row: physical rows of a bank
    cols: float  # N_col: physical columns of a bank
    input_bits: float  # B_x: input bits applied per bank invocation
    weight_bits: float  # B_w: weight bits per bank dot product (fractional for ternary, 1.5)
    adc_bits: float  # B_ADC (NaN: not given)
    rows_per_cycle: float  # R_C: physical rows computed per cycle
    rows_per_adc: float  # R: physical rows on one ADC column (bit-line height)
    cols_per_cycle: float  # C_C: physical columns computed per cycle per ADC
    cols_per_adc: float  # C: physical columns sharing one ADC
    n_adc: float  # N_ADC: ADCs (DIMC: adder trees) working in parallel
    dot_length: float  # N: dot-product length per ADC conversion
    tops_per_w: float  # reported, 1b-normalised
    tops_per_mm2: float  # reported, 1b-normalised
    tops: float = math.nan  # reported throughput, 1b-normalised
    t_core_ns: float = math.nan  # reported latency of one bank invocation, ns (a reported figure, like TOPS)
    core_kb: float = math.nan
    n_core: float = math.nan
    authors: str = ""
    venue: str = ""
    imc_processor: bool = False
    reason: str = ""  # '' if modelable

    @property
    def is_imc(self) -> bool:
        """In-memory computing (AIMC or DIMC), as opposed to a digital accelerator."""
        return self.compute_model != "" or self.architecture not in ("Digital", "")

    @property
    def kind(self) -> str:
        """'aimc', 'dimc', 'digital', or 'unknown' (an IMC row without a compute model)."""
        if self.compute_model == "DIMC":
            return "dimc"
        if self.compute_model in AIMC_MODELS:
            return "aimc"
        return "unknown" if self.is_imc else "digital"

    @property
    def cell_family(self) -> str:
        """Memory technology of the cell: SRAM, eDRAM, ReRAM, PCM, MRAM, Flash, or the architecture."""
        text = self.cell_type.lower()
        for family in NVM_CELL_FAMILIES:
            if family.lower() in text:
                return family
        if self.architecture == "eFlash" or "fgt" in text or "nor-f" in text:
            return "Flash"
        return self.architecture

    @property
    def is_sram(self) -> bool:
        """SRAM-based IMC: the SRAM architecture, and DIMC macros (built on SRAM cells)."""
        return self.is_imc and (self.architecture == "SRAM" or self.kind == "dimc")

    @property
    def modelable(self) -> bool:
        return self.reason == ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(is_imc=self.is_imc, kind=self.kind, cell_family=self.cell_family, is_sram=self.is_sram)
        return data


def shared_chips_path() -> Path | None:
    """``../shared/imc_data/chips_train.csv`` beside the repository (or the working directory), or None."""
    repo_root = Path(__file__).resolve().parents[3]
    for base in (repo_root.parent, Path.cwd().parent, Path.cwd()):
        candidate = base / DEFAULT_CHIPS_FILE
        if candidate.is_file():
            return candidate
    return None


def default_chips_path() -> Path:
    """The chip file used when none is given.

    ``../shared/imc_data/chips_train.csv`` when it is there (a development checkout); otherwise the package's
    own copy of its facts, :data:`PACKAGED_CHIPS_FILE` (``imcbench/data/published_chips.csv``, the same
    rows and the columns the code uses), so an installed imcbench has the chip landscape and validation.
    """
    shared = shared_chips_path()
    if shared is not None:
        return shared
    if PACKAGED_CHIPS_FILE.is_file():
        return PACKAGED_CHIPS_FILE
    raise ImcbenchError(f"no chip file given, {DEFAULT_CHIPS_FILE} was not found beside the repository and the "
                        f"packaged {PACKAGED_CHIPS_FILE.name} is missing; pass the path of a chip CSV "
                        "(e.g. --chips chips_train.csv)")


def load_chips(path: str | Path | None = None) -> list[PublishedChip]:
    """Read a chip CSV of the UIUC benchmarking format; every data row becomes a `PublishedChip`.

    ``path=None`` reads :func:`default_chips_path`: the training file ``../shared/imc_data/chips_train.csv``
    when it is beside the repository, else the packaged ``imcbench/data/published_chips.csv`` (the facts of
    that file the code uses, same rows). Raises `ImcbenchError` for a missing or
    unreadable file and for a file without the format's columns (naming them).
    """
    path = default_chips_path() if path is None else Path(path)
    frame = _read_table(path)
    columns = _match_columns(frame.columns, path)
    parsed = [_parse_row(i + 1, row, columns) for i, row in enumerate(frame.to_dict("records"))]
    records = [rec for rec, _ in parsed]
    chip_ids = _group_chips(records)
    repeats = _repeated_rows(records)
    return [PublishedChip(**rec, chip_id=cid, reason=repeats.get(rec["row"]) or _reason(rec, raw))
            for (rec, raw), cid in zip(parsed, chip_ids)]


def chips_frame(chips: list[PublishedChip]) -> pd.DataFrame:
    """The chips as a DataFrame, one row per operating point (fields plus kind, is_imc, is_sram, ...)."""
    return pd.DataFrame([c.to_dict() for c in chips])


# --- reading -------------------------------------------------------------------------------------------
def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ImcbenchError(f"chip file {path} not found; give the path of a chip CSV")
    size = path.stat().st_size
    if size > MAX_CHIP_FILE_BYTES:
        raise ImcbenchError(f"chip file {path}: {size} bytes is above the limit of {MAX_CHIP_FILE_BYTES} bytes "
                            "(imcbench.validation.chips.MAX_CHIP_FILE_BYTES); is this the right file?")
    last_error: Exception | None = None
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError as exc:
            last_error = exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            reason = " ".join(str(exc).split())  # pandas' messages span lines; ours is one line
            raise ImcbenchError(f"chip file {path} is not a readable CSV table ({reason}); "
                                "expected the columns of column_index.csv") from None
    raise ImcbenchError(f"chip file {path} cannot be decoded as text ({last_error})")


def _normalise_header(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().lower()


def _match_columns(headers, path: Path) -> dict[str, str]:
    """Canonical field -> actual header; raises naming every missing required column."""
    actual = {_normalise_header(h): h for h in headers}
    wanted = {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}
    found = {field: actual[_normalise_header(h)] for field, h in wanted.items()
             if _normalise_header(h) in actual}
    missing = [h for field, h in REQUIRED_COLUMNS.items() if field not in found]
    if missing:
        raise ImcbenchError(f"{path} is not a chip file of the benchmarking format: missing column(s) "
                            f"{', '.join(repr(m) for m in missing)} (see column_index.csv for the format)")
    return found


def _parse_number(text: str) -> float:
    """The first number in a cell ('28nm' -> 28, '1,024' -> 1024, '0.75 (Digital); ...' -> 0.75); NaN if none."""
    match = _NUMBER.search(str(text).replace(",", ""))
    return float(match.group()) if match else math.nan


def _parse_row(row_number: int, raw: dict, columns: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The typed fields of one row, and its stripped cell texts (for messages)."""
    text = {field: str(raw.get(header, "")).strip() for field, header in columns.items()}
    rec: dict = {"row": row_number}
    for field in NUMERIC_FIELDS:
        rec[field] = _parse_number(text.get(field, ""))
    index = _parse_number(text["index"])
    rec["index"] = int(index) if math.isfinite(index) and index == int(index) else None
    year = _parse_number(text["year"])
    rec["year"] = int(year) if math.isfinite(year) else None
    rec["title"] = re.sub(r"\s+", " ", text["title"])
    rec["authors"] = text.get("authors", "")
    rec["venue"] = text.get("venue", "")
    rec["cell_type"] = text["cell_type"]
    rec["architecture"] = ARCHITECTURES.get(text["architecture"].lower(), text["architecture"])
    rec["compute_model"] = _canonical_compute_model(text["compute_model"])
    rec["imc_processor"] = text.get("imc_processor", "").upper().startswith("Y")
    if not math.isfinite(rec["dot_length"]):
        rec["dot_length"] = rec["rows_per_cycle"]  # N missing: the rows computed per cycle
    return rec, text


def _canonical_compute_model(text: str) -> str:
    """'qs-qr', 'QS/QR', 'QS - QR' -> 'QS-QR'; unknown text is kept as written (upper case)."""
    return re.sub(r"\s*[-/+]\s*", "-", text.strip().upper())


def _group_chips(records: list[dict]) -> list[str]:
    """Chip ids: rows sharing an Index or a (normalised) title are one chip (union-find)."""
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_by_key: dict[str, int] = {}
    for i, rec in enumerate(records):
        keys = [f"index:{rec['index']}"] if rec["index"] is not None else []
        if rec["title"]:
            keys.append("title:" + rec["title"].lower())
        if not keys:
            keys.append(f"row:{rec['row']}")
        for key in keys:
            if key in first_by_key:
                parent[find(i)] = find(first_by_key[key])
            else:
                first_by_key[key] = i
    ids = []
    for i in range(len(records)):
        root = records[find(i)]
        ids.append(str(root["index"]) if root["index"] is not None else f"row{root['row']}")
    return ids


def _repeated_rows(records: list[dict]) -> dict[int, str]:
    """Rows identical to an earlier row (all values): row -> reason, so statistics count them once."""
    seen: dict[tuple, int] = {}
    repeats = {}
    for rec in records:
        key = tuple((k, "nan" if isinstance(v, float) and math.isnan(v) else v)
                    for k, v in rec.items() if k != "row")
        if key in seen:
            repeats[rec["row"]] = f"repeats row {seen[key]} exactly (counted once)"
        else:
            seen[key] = rec["row"]
    return repeats


# --- what makes a row unmodelable ------------------------------------------------------------------------
_LABELS = {"node_nm": "Tech (nm)", "vdd": "Supply V(V)", "rows": "N_row", "cols": "N_col", "input_bits": "B_x",
           "weight_bits": "B_w", "n_adc": "N_ADC", "dot_length": "N (or R_C)", "adc_bits": "B_ADC"}


def _reason(rec: dict, raw: dict[str, str]) -> str:
    """Why the macro model cannot describe this row ('' if it can); fills ``PublishedChip.reason``."""
    compute_model = rec["compute_model"]
    architecture = rec["architecture"]
    if compute_model == "" and architecture == "Digital":
        return "digital accelerator: context for plots, not predicted by the IMC macro model"
    if compute_model == "":
        return "compute model missing (need IS, QS, QR, QS-QR or DIMC)"
    if compute_model not in COMPUTE_MODELS:
        return f"compute model {raw['compute_model']!r} unknown (need IS, QS, QR, QS-QR or DIMC)"
    problems = []
    for field in ("node_nm", "vdd", "rows", "cols", "input_bits", "weight_bits", "n_adc", "dot_length"):
        value = rec[field]
        if not math.isfinite(value):
            shown = raw.get(field, "")
            problems.append(f"{_LABELS[field]} missing" + (f" (not a number: {shown!r})" if shown else ""))
        elif value <= 0:
            problems.append(f"{_LABELS[field]} = {value:g} must be positive")
    if math.isfinite(rec["vdd"]) and 0 < rec["vdd"] <= MIN_VDD_V_EXCLUSIVE:
        problems.append(f"Supply V(V) = {rec['vdd']:g} is at or below the model's threshold {MIN_VDD_V_EXCLUSIVE} V")
    if math.isfinite(rec["vdd"]) and rec["vdd"] > MAX_VDD_V:
        problems.append(f"Supply V(V) = {rec['vdd']:g} is above the model's range (at most {MAX_VDD_V:g} V)")
    if math.isfinite(rec["node_nm"]) and rec["node_nm"] > MAX_NODE_NM:
        problems.append(f"Tech (nm) = {rec['node_nm']:g} is above the model's range (at most {MAX_NODE_NM:g} nm)")
    if math.isfinite(rec["node_nm"]) and 0 < rec["node_nm"] < MIN_NODE_NM:
        problems.append(f"Tech (nm) = {rec['node_nm']:g} is below the model's range (at least {MIN_NODE_NM:g} nm)")
    for field, label in (("input_bits", "B_x"), ("weight_bits", "B_w")):
        if math.isfinite(rec[field]) and rec[field] > MAX_OPERAND_BITS:
            problems.append(f"{label} = {rec[field]:g} bits is not plausible (more than {MAX_OPERAND_BITS})")
    for field, label in _COUNT_LABELS.items():  # optional ones too: the model uses them when given
        if math.isfinite(rec[field]) and rec[field] > MAX_ARRAY_COUNT:
            problems.append(f"{label} = {rec[field]:g} is not plausible (more than {MAX_ARRAY_COUNT})")
    adc_bits = rec["adc_bits"]
    if compute_model != "DIMC" and math.isfinite(adc_bits) and not MIN_ADC_BITS <= adc_bits <= MAX_ADC_BITS:
        problems.append(f"B_ADC = {rec['adc_bits']:g} must be in [{MIN_ADC_BITS}, {MAX_ADC_BITS}]")
    return "; ".join(problems)
