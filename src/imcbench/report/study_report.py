"""Run the AIMC-vs-DIMC study (:func:`imcbench.studies.paper.paper_study`) and write its output folder:
CSV tables, findings, figures, report.html.

Output folder layout::

    report.html                        the self-contained report (interactive figures, tables, findings)
    peak.csv, per_layer_type.csv, per_network.csv, findings.json
    figures/<key>.png, figures/<key>.svg
    tables/<name>.csv                  every table of the report, with findings_by_mapping_space.csv and
                                       networks_by_mapping_space.csv (what changes between the mapping spaces)
    study.duckdb                       the network design points of every mapping space (resumable; see
                                       imcbench.dse; the space is stored as its options_* columns)

Stage lines (with the elapsed time) go to ``progress``: the CLI prints them on stderr.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pandas as pd

from imcbench.errors import ImcbenchError
from imcbench.figspec import FigureSpec, save_static
from imcbench.hardware import paper_setup
from imcbench.hardware.presets import OUTPUT_REG_BITS
from imcbench.results import plain
from imcbench.report import html
from imcbench.report.study_figures import (chips_figure, layer_type_figures, mapping_space_figure, network_figures,
                                           peak_figures)
from imcbench.studies.paper import PAPER_PEAK, StudyResult, paper_study
from imcbench.studies.paper_findings import FAILS, PAPER_CLAIMS, TIE_RELATIVE, Finding
from imcbench.studies.paper_settings import StudySettings

OPTIONAL_SECTIONS = ("chips", "scaling", "validation", "accuracy", "hetero")
REQUIRED_OUTPUTS = ("report.html", "peak.csv", "per_layer_type.csv", "per_network.csv", "findings.json")


def run_study(settings: StudySettings, out_dir: Path | str, *, extended: bool = True, force: bool = False,
              sections: tuple[str, ...] = OPTIONAL_SECTIONS, jobs: int = 2, digits: bool = False,
              progress: Callable[[str], None] = lambda message: None) -> StudyResult:
    """Run the study and write the output folder (see the module docstring); the result is the study's,
    with the folder, the whole run's wall time and the sections left out. ``progress`` receives one line
    per stage and per figure group, prefixed with the elapsed time."""
    start = time.perf_counter()

    def stage(message: str) -> None:
        progress(f"[{time.perf_counter() - start:5.1f} s] {message}")

    out = _prepare(Path(out_dir), force)
    result = paper_study(settings, out / "study.duckdb", extended=extended, force=force, workers=jobs, stage=stage)
    _write_tables(out, result)
    stage("figures (the sections' data first: limits, validation, accuracy, clusters)")
    report_sections, left_out = _draw_sections(result, sections, digits, out / "figures", jobs, stage)
    figures = [f for s in report_sections for f in s.figures]
    wall = time.perf_counter() - start
    skipped = result.skipped | left_out
    intro = _intro(settings, wall, skipped)
    stage(f"report.html ({len(figures)} interactive figures)")
    html.write(out / "report.html", "Analog or digital in-memory computing? The study, by imcbench",
               report_sections, intro)
    stage("done")
    return replace(result, skipped=skipped, wall_s=wall, out_dir=out)


def _prepare(out: Path, force: bool) -> Path:
    existing = [name for name in REQUIRED_OUTPUTS if (out / name).exists()]
    if existing and not force:
        raise ImcbenchError(f"{out} already holds a study ({', '.join(existing)}); pass --force to overwrite it "
                            "or choose another --out folder")
    if out.exists() and not out.is_dir():
        raise ImcbenchError(f"{out} exists and is not a folder")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "tables").mkdir(exist_ok=True)
    return out


def _write_tables(out: Path, result: StudyResult) -> None:
    first = {"peak": ["kind", "rows", "cols", "tops_per_w", "tops_per_mm2"],
             "per_layer_type": ["mapping_space", "layer_type", "kind", "rows", "cols", "tops_per_w", "tops_per_mm2"],
             "per_network": ["mapping_space", "network", "kind", "rows", "cols", "tops_per_w", "tops_per_mm2"]}
    for name, frame in (("peak", result.peak), ("per_layer_type", result.layers), ("per_network", result.networks)):
        ordered = frame[first[name] + [c for c in frame.columns if c not in first[name]]]
        _atomic_csv(ordered, out / f"{name}.csv")
        _atomic_csv(ordered, out / "tables" / f"{name}.csv")
    for name, frame in (("findings_by_mapping_space", result.finding_differences),
                        ("networks_by_mapping_space", result.network_conclusions)):
        _atomic_csv(frame, out / "tables" / f"{name}.csv")
    text = json.dumps(plain([f.to_dict() for f in result.findings]), indent=2, default=str)
    tmp = out / "findings.json.tmp"
    tmp.write_text(text)
    tmp.replace(out / "findings.json")


def _atomic_csv(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)


def _draw_sections(result: StudyResult, wanted, digits, folder: Path, jobs: int,
                   stage) -> tuple[list[html.Section], dict[str, str]]:
    """Build each report section and draw its static figures, one stage line per section (figure group);
    also the optional sections left out (their data or feature missing) with the reason."""
    settings, peak, layers, networks = result.settings, result.peak, result.layers, result.networks
    differences, conclusions = result.finding_differences, result.network_conclusions
    by_space = {space: [f for f in result.findings if f.mapping_space == space] for space in settings.mapping_spaces}
    builders = [lambda: _findings_section(by_space), lambda: _peak_section(peak),
                lambda: _layer_section(layers, settings), lambda: _network_section(networks, settings),
                lambda: _mapping_space_section(networks, differences, conclusions, settings)]
    optional = {"chips": lambda: _chips_section(peak), "scaling": _scaling_section,
                "validation": _validation_section, "accuracy": lambda: _accuracy_section(networks, digits),
                "hetero": _hetero_section}
    builders += [(name, optional[name]) for name in wanted]
    sections: list[html.Section] = []
    skipped: dict[str, str] = {}
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        for entry in builders:
            name, build = entry if isinstance(entry, tuple) else (None, entry)
            began = time.perf_counter()
            try:
                section = build()
            except (ImportError, ImcbenchError) as exc:  # missing data (../shared) or feature not installed
                if name is None:
                    raise
                skipped[name] = str(exc).splitlines()[0]
                stage(f"figures: section {name} left out ({skipped[name]})")
                continue
            _save_figures(section.figures, folder, pool)
            sections.append(section)
            if section.figures:
                stage(f"figures: {section.title}: {len(section.figures)} drawn in "
                      f"{time.perf_counter() - began:.1f} s")
    finally:
        if pool is not None:
            pool.shutdown()
    return sections, skipped


def _save_figures(figures: list[FigureSpec], folder: Path, pool: ProcessPoolExecutor | None) -> None:
    if pool is None or len(figures) < 2:
        for spec in figures:
            save_static(spec, folder)
        return
    list(pool.map(save_static, figures, [folder] * len(figures)))


# --- report text ---------------------------------------------------------------------------------
MAPPING_SPACE_LABELS = {"full": "imcbench's full mapping space",
                        "zigzag": "ZigZag's mapping space and cost conventions",
                        "zigzag_mapping": "ZigZag's mapping space with imcbench's costs"}


def _intro(settings: StudySettings, wall: float, skipped: dict[str, str]) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in settings.to_dict().items())
    notes = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in skipped.items())
    return (f"<p>Reproduces and extends Sun, Houshmand and Verhelst, <i>Analog or Digital In-memory Computing? "
            f"Benchmarking through Quantitative Modeling</i> (ICCAD 2023) with imcbench's own model. The whole "
            f"study ran in <b>{wall:.1f} s</b>. System: one square macro, 8-bit input registers per row, "
            f"{OUTPUT_REG_BITS}-bit output registers per column, {paper_setup.PAPER_L2_KB} KB L2 SRAM for activations, "
            f"weights from DRAM at {paper_setup.DRAM_ENERGY_PJ_PER_BIT} pJ/bit; "
            f"AIMC with {settings.aimc_bits_per_cycle} input bits per cycle and the paper's ADC rule, DIMC "
            f"bit-serial.</p><table class='settings'>{rows}</table>"
            + (f"<p class='note'>Left out:</p><ul>{notes}</ul>" if notes else ""))


def _findings_section(by_space: dict[str, list[Finding]]) -> html.Section:
    """Each finding once: the paper's claim, the test, and the status and agreement in every mapping space."""
    items = []
    first = next(iter(by_space.values()))
    for finding in first:
        verdicts = []
        for space, found in by_space.items():
            f = next((g for g in found if g.key == finding.key), None)
            if f is None:
                continue
            css = "holds" if f.holds else "fails" if f.status == FAILS else "other"
            verdicts.append(f"{html.escape(MAPPING_SPACE_LABELS.get(space, space))}: <span class='{css}'>"
                            f"{html.escape(f.status)}</span> ({html.escape(f.agreement)})")
        claim = PAPER_CLAIMS.get(finding.key)
        paper = (f" <i>Paper:</i> {html.escape(claim.text)} ({html.escape(claim.source)}). <i>Test:</i> "
                 f"{html.escape(claim.test)}." if claim else " <i>Beyond the paper.</i>")
        items.append(f"<div class='finding'><b>{html.escape(finding.statement)}</b>.{paper}<br>"
                     + "; ".join(verdicts) + "</div>")
    first_space = MAPPING_SPACE_LABELS.get(first[0].mapping_space, first[0].mapping_space) if first else ""
    return html.Section("Findings", [f"Every status is computed from this run's numbers; two figures within "
                                     f"{TIE_RELATIVE:.0%} of each other are a tie, not a win. Numbers in "
                                     f"the statements: {html.escape(first_space)}."] + items)


def _peak_section(peak: pd.DataFrame) -> html.Section:
    compare = peak[["kind", "rows", "tops_per_w", "tops_per_mm2", "system_tops_per_w"]].copy()
    paper = [PAPER_PEAK.get((k, r), (float("nan"),) * 3) for k, r in zip(compare.kind, compare.rows)]
    for i, column in enumerate(("paper_tops_per_w", "paper_tops_per_mm2", "paper_system_tops_per_w")):
        compare[column] = [p[i] for p in paper]
    return html.Section(
        "1. Peak performance vs macro size",
        ["Macro-level and system-level (registers + L2) peak figures at full utilisation. Energy and area "
         "match the paper exactly; TOPS/mm2 differs by the clock-period variant (imcbench uses zigzag-dse "
         "3.8+'s shorter accumulator path by default, in every command; <code>imcbench macro|peak "
         "--delay-model paper</code> gives the paper's)."],
        peak_figures(peak), [("Peak figures next to the paper's (Fig. 7/8)", compare)])


def _layer_section(layers: pd.DataFrame, settings: StudySettings) -> html.Section:
    table = layers[["mapping_space", "layer_type", "kind", "rows", "tops_per_w", "macro_tops_per_w", "tops_per_mm2",
                    "spatial_utilization", "mapping"]]
    first = settings.mapping_spaces[0]
    return html.Section(
        "2. Layer types",
        ["One representative layer per type from the MLPerf Tiny networks, its activations in the L2 as "
         "inside a network. Solid: the macro alone (array and periphery); dashed: with weight loading from "
         "DRAM and the input/output traffic. Large AIMC macros win on the conv and the 128-channel pointwise "
         "layer because they fill many rows; on a 3x3 depthwise layer (9 rows per channel) small DIMC macros "
         "win. A pointwise layer with only 64 input channels (DS-CNN) cannot fill large AIMC macros: there "
         f"AIMC peaks at 64 rows and DIMC wins. Figures: {MAPPING_SPACE_LABELS[first]}; the table has every "
         "mapping space."],
        layer_type_figures(layers[layers.mapping_space == first]), [("Representative layers on every macro", table)])


def _network_section(networks: pd.DataFrame, settings: StudySettings) -> html.Section:
    first = settings.mapping_spaces[0]
    table = networks[["mapping_space", "network", "kind", "rows", "tops_per_w", "tops_per_mm2", "tops", "energy_pj",
                      "latency_ns"]]
    return html.Section(
        "3. Networks",
        ["MLPerf Tiny (ResNet-8, DS-CNN, MobileNetV1-0.25, Deep AutoEncoder) and their geometric mean, then "
         "beyond the paper: MobileNetV2, ResNet-18 and BERT-tiny. Batch 1: each weight is loaded from DRAM "
         "once per inference, which is why the fully connected Deep AutoEncoder stays at ~0.07 TOPS/W on "
         f"every macro. Figures: {MAPPING_SPACE_LABELS[first]}; the table has every mapping space."],
        network_figures(networks[networks.mapping_space == first]), [("All network design points", table)])


def _mapping_space_section(networks: pd.DataFrame, differences: pd.DataFrame, conclusions: pd.DataFrame,
                           settings: StudySettings) -> html.Section:
    from imcbench.hardware.presets import MAPPING_SPACES

    spaces = "; ".join(f"<b>{html.escape(MAPPING_SPACE_LABELS.get(name, name))}</b>: "
                       + ", ".join(f"{k} = {v}" for k, v in options.items())
                       for name, options in MAPPING_SPACES.items() if name in settings.mapping_spaces)
    changed = int(conclusions.differs.sum()) if len(conclusions) else 0
    figures = [mapping_space_figure(networks, settings.mapping_spaces)] if len(settings.mapping_spaces) > 1 else []
    return html.Section(
        "3b. Which conclusions depend on the mapping space",
        [f"The layer and network experiments ran in each mapping space: {spaces}. ZigZag's space is the "
         "paper's framework as released (zigzag-dse 3.8+, <code>imcbench evaluate --zigzag-compatible</code>): "
         "besides its smaller mapping space it charges DIMC multipliers on the whole array; "
         "<code>--mapping-spaces full,zigzag,zigzag_mapping</code> separates the two. "
         f"{changed} of {len(conclusions)} per-network conclusions differ between the spaces (column "
         f"'differs'); ties are within {TIE_RELATIVE:.0%}."],
        figures, [("Status of each finding per mapping space", differences),
                  ("Per-network conclusions per mapping space", conclusions)])


def _chips_section(peak: pd.DataFrame) -> html.Section:
    from imcbench.validation.chips import load_chips

    return html.Section("4. Modeled macros among published chips",
                        ["Peak macro figures of the study, normalised like the chip database (x Bx x Bw)."],
                        [chips_figure(peak, load_chips())])


def _scaling_section() -> html.Section:
    from imcbench.scaling.figures import scaling_figures
    from imcbench.validation.chips import load_chips

    try:
        chips = load_chips()
    except ImcbenchError:
        chips = None
    return html.Section("5. Fundamental limits (Bowen et al.)",
                        ["Energy per operation of a linear layer on scalar, digital-IMC and analog-IMC machines "
                         "as the problem, the array and the precision grow; published chips against the "
                         "limit (see <code>imcbench scaling</code>)."], scaling_figures((4, 8), 256, chips=chips))


def _validation_section() -> html.Section:
    from imcbench.validation.calibration import load_calibration
    from imcbench.validation.figures import validation_figures

    groups = load_calibration("default").cross_validation["leave_one_chip_out"]["groups"]
    held_out = ", ".join(f"{_pct(groups[g]['tops_per_w']['model']['median_abs_error'])} over the "
                         f"{groups[g]['tops_per_w']['model']['n']} {label}" for g, label in
                         (("all", "rows"), ("SRAM", "SRAM rows"), ("SRAM macros", "SRAM macro rows")) if g in groups)
    return html.Section("6. Validation against published silicon",
                        ["The calibrated macro model against published IMC macros (see <code>imcbench validate"
                         "</code>). <b>The figures' errors are in-sample</b>: the packaged calibration was fitted "
                         "on these chips. Held-out errors (nested leave-one-chip-out: each chip predicted by a "
                         f"fit that never saw it), median TOPS/W error: {held_out}; the scatter captions give "
                         "both."], validation_figures())


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _accuracy_section(networks: pd.DataFrame, digits: bool) -> html.Section:
    from imcbench.accuracy import accuracy_figures
    from imcbench.accuracy.figures import energy_sqnr_figure
    from imcbench.workload import load_workload

    figures = (accuracy_figures() if digits
               else [energy_sqnr_figure(load_workload("resnet8").layers, "resnet8")])
    table = networks[networks.kind == "aimc"][["network", "rows", "tops_per_w", "min_layer_sqnr_db"]]
    return html.Section("7. Accuracy under analog non-idealities",
                        ["What an ADC bit buys: the worst layer's SQNR against energy (see <code>imcbench "
                         "accuracy</code>; <code>imcbench study --digits</code> adds the accuracy of two digits "
                         "networks run through the macro model)."], figures,
                        [("Worst-layer SQNR of each network on the study's AIMC macros (paper ADC rule)", table)])


def _hetero_section() -> html.Section:
    from imcbench.hetero.figures import hetero_figures

    return html.Section("8. IMC beside RISC-V cores",
                        ["Which layer runs where: software, all-IMA, hybrid and optimal allocations of a "
                         "MobileNetV2 bottleneck (see <code>imcbench hetero</code>)."], hetero_figures())
