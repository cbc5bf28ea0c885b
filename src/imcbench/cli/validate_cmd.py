"""``imcbench validate`` (model vs published chips) and ``imcbench calibrate`` (fit the model's factors)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, print_json
from imcbench.cli.stages import Stages
from imcbench.safeio import StagedFolder, atomic_path, check_output_folder, ensure_writable

if TYPE_CHECKING:  # imcbench.validation (pandas) is imported when a command runs, not by `imcbench --help`
    from imcbench.validation.calibration import Calibration
    from imcbench.validation.predict import ChipPrediction

SUMMARY_GROUPS_SHOWN = ("SRAM", "SRAM macros", "SRAM processors", "all", "IS", "QS", "QR", "QS-QR", "DIMC", "eNVM",
                        "eDRAM")
MODES_NOTE = ("TOPS/mm2 is predicted from the architecture (model area and clock): the honest test. "
              "'TOPS/mm2 @T_core' takes the reported invocation latency T_core from the row and tests the area "
              "model only. 'SRAM processors' (IMC_Processor = Y) report whole-chip figures, not a macro's.")

ROWS_FILE = "validation_rows.csv"
CHIPS_HELP = ("chip CSV of the benchmarking format (default: ../shared/imc_data/chips_train.csv, or the packaged "
              "copy of its facts when ../shared is absent)")
FORCE_HELP = "overwrite output files that exist"


@app.command("validate")
def validate_command(
    chips_file: Optional[Path] = typer.Option(None, "--chips", help=CHIPS_HELP),
    calibration: str = typer.Option("default", "--calibration",
                                    help="'default' (packaged, fitted on chips_train.csv), 'paper' (uncalibrated) "
                                         "or a calibration YAML from 'imcbench calibrate'"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the figures (PNG+SVG) and validation_rows.csv here"),
    as_json: bool = typer.Option(False, "--json", help="print JSON: {rows: [...], summary: {...}}"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    compare: bool = typer.Option(False, "--compare",
                                 help="leave-one-chip-out side by side: paper, calibrated, form chosen by nested CV, "
                                      "trivial predictor, generic regression, with interval coverage (1-5 min)"),
    level: float = typer.Option(0.8, "--level", min=0.5, max=0.99, help="interval level of --compare"),
    systems: bool = typer.Option(False, "--systems",
                                 help="end-to-end published systems: model vs measured, power boundary named"),
) -> None:
    """Model vs reported TOPS/W and TOPS/mm2 of published chips, calibrated beside the paper's model."""
    if systems:
        from imcbench.cli.validate_systems import print_systems

        print_systems(as_json)
        return
    if compare:
        _compare(chips_file, level, as_json)
        return
    from imcbench.validation.calibration import load_calibration
    from imcbench.validation.chip_validation import validate_chips
    from imcbench.validation.chips import default_chips_path, load_chips

    if out is not None:  # fail before the work: the table's name is known, the figures' are checked when moved in
        check_output_folder(out, [ROWS_FILE], force, option="--out")
    path = chips_file or default_chips_path()
    chips = load_chips(path)
    calib = load_calibration(calibration)
    result = validate_chips(chips, calib, calibration, path)
    predictions, summary = list(result.predictions), result.summary
    written = (_write_outputs(predictions, out, calibration, force, result.sample, calib)
               if out is not None else [])
    if as_json:
        print_json({**result.to_dict(), **({"files": [str(p) for p in written]} if written else {})})
        return
    _print_rows(predictions)
    _print_summary(summary, "calibrated" if calib is not None else "paper",
                   calib.intervals if calib is not None else None)
    if calib is not None:
        _print_trivial_verdicts(calib)
    if summary["calibration"]["in_sample"]:
        console.print("[yellow]this calibration was fitted on this file: the errors above are in-sample; "
                      "'imcbench calibrate' states the leave-one-chip-out errors[/]", highlight=False)
    _print_unmodeled(predictions)
    for file in written:
        console.print(f"wrote {file}")


@app.command("calibrate")
def calibrate_command(
    chips_file: Optional[Path] = typer.Option(None, "--chips", help=CHIPS_HELP),
    out: Path = typer.Option(..., "--out", help="calibration YAML to write"),
    ridge: Optional[float] = typer.Option(None, "--ridge", min=0.0,
                                          help="fix the pull toward the paper's values (log units) instead of "
                                               "choosing it by inner cross-validation"),
    robust_scale: Optional[float] = typer.Option(None, "--robust-scale", min=0.01,
                                                 help="fix the soft-L1 scale (log units) instead of choosing it"),
    as_json: bool = typer.Option(False, "--json", help="print the calibration as JSON"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Fit the macro model's factors on a chip CSV (robust log least squares, nested leave-one-chip-out CV)."""
    from imcbench.validation.calibration import calibrate, fixed_hyper
    from imcbench.validation.chips import default_chips_path, load_chips

    ensure_writable(out, force, option="--out")
    path = chips_file or default_chips_path()
    hyper = None
    if ridge is not None or robust_scale is not None:
        defaults = fixed_hyper()["tops_per_w"]
        hyper = fixed_hyper(defaults.ridge if ridge is None else ridge,
                            defaults.robust_scale if robust_scale is None else robust_scale)
    chips = load_chips(path)
    search = "regularisation chosen by inner CV, " if hyper is None else ""
    with Stages("calibrate").stage(f"fitting {len(chips)} chip rows ({search}nested leave-one-chip-out CV)"):
        calib = calibrate(chips, source=path, hyper=hyper)
    with atomic_path(out) as tmp:
        calib.save(tmp)
    if as_json:
        print_json({**calib.to_dict(), "file": str(out)})
        return
    _print_parameters(calib)
    for target, reg in calib.provenance["hyperparameters"].items():
        how = "chosen by inner CV" if calib.provenance["hyperparameters_searched"] else "fixed"
        console.print(f"{target}: ridge {reg['ridge']}, robust scale {reg['robust_scale']} ({how})", highlight=False)
    cv = calib.cross_validation["leave_one_chip_out"]
    _print_summary({"definition": cv["definition"], "groups": cv["groups"]}, "calibrated (leave-one-chip-out)",
                   calib.intervals)
    _print_trivial_verdicts(calib)
    console.print(f"wrote {out}")


def _write_outputs(predictions: list[ChipPrediction], out: Path, calibration: str, force: bool, sample: str,
                   calib: Calibration | None) -> list[Path]:
    """The table and figures, written into ``out`` all at once (imcbench.safeio.StagedFolder)."""
    from imcbench.figspec import save_static
    from imcbench.validation.figures import validation_figures
    from imcbench.validation.predict import predictions_frame

    label = "paper" if calibration.lower() == "paper" else "calibrated"
    with StagedFolder(out, force, option="--out") as stage:
        predictions_frame(predictions).to_csv(stage.path / ROWS_FILE, index=False)
        held_out = (calib.cross_validation.get("leave_one_chip_out", {}).get("groups")
                    if calib is not None and sample == "in-sample" else None)  # CV of the file it was fitted on
        for spec in validation_figures(predictions, model_label=label, sample=sample, held_out=held_out):
            save_static(spec, stage.path)
    return stage.written


# --- printing ----------------------------------------------------------------------------------------------
def _metric_labels() -> tuple[tuple[str, str], ...]:
    """The summary's metrics and their column labels."""
    from imcbench.validation.stats import GIVEN_TCORE

    return (("tops_per_w", "TOPS/W"), ("tops_per_mm2", "TOPS/mm2"), (GIVEN_TCORE, "TOPS/mm2 @T_core"))


def _fmt(value: float, digits: int = 3) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def _print_rows(predictions: list[ChipPrediction]) -> None:
    table = Table(title="model vs reported (1b-normalised); ratio = model / reported; x/÷ interval: the "
                        "calibration's conformal interval, model / f .. model x f")
    for header in ("row", "Index", "compute", "memory", "nm", "TOPS/W rep", "model", "x/÷ interval", "ratio",
                   "paper ratio", "TOPS/mm2 rep", "model", "x/÷ interval", "ratio", "paper ratio"):
        table.add_column(header, justify="right")
    for p in predictions:
        if not p.modeled:
            continue
        table.add_row(str(p.row), str(p.index), p.compute_model, p.cell_family, _fmt(p.node_nm),
                      _fmt(p.tops_per_w_reported), _fmt(p.tops_per_w_model), _fmt(p.tops_per_w_interval, 2),
                      _fmt(p.tops_per_w_ratio, 2),
                      _fmt(p.tops_per_w_paper / p.tops_per_w_reported, 2), _fmt(p.tops_per_mm2_reported),
                      _fmt(p.tops_per_mm2_model), _fmt(p.tops_per_mm2_interval, 2), _fmt(p.tops_per_mm2_ratio, 2),
                      _fmt(p.tops_per_mm2_paper / p.tops_per_mm2_reported, 2))
    console.print(table)


def _print_summary(summary: dict, model_label: str, intervals: dict | None = None) -> None:
    intervals = intervals or {}
    covered = intervals.get("coverage_leave_one_chip_out") or {}
    level_label = f"{100 * intervals['level']:.0f}% interval cover (LOCO)" if covered else None
    table = Table(title=f"error summary: {model_label} vs paper model")
    for header in ("group", "metric", "n", "median err", "within 1.5x", "within 2x",
                   *((level_label,) if level_label else ()), "paper median err", "paper 1.5x", "paper 2x"):
        table.add_column(header, justify="right" if header not in ("group", "metric") else "left")
    groups = summary["groups"]
    for name in [g for g in SUMMARY_GROUPS_SHOWN if g in groups]:
        for metric, label in _metric_labels():
            if metric not in groups[name]:
                continue
            model, paper = groups[name][metric]["model"], groups[name][metric]["paper"]
            if not model["n"]:
                continue
            cover = ((covered.get(metric) or {}).get(name) or {}).get("coverage")
            table.add_row(name, label, str(model["n"]), _pct(model["median_abs_error"]), _pct(model["within_1_5x"]),
                          _pct(model["within_2x"]), *((_pct(cover),) if level_label else ()),
                          _pct(paper["median_abs_error"]), _pct(paper["within_1_5x"]), _pct(paper["within_2x"]))
    console.print(table)
    console.print(f"[dim]{summary['definition']}. {MODES_NOTE}[/]", highlight=False)
    if level_label:
        console.print(f"[dim]interval cover: share of rows inside the {level_label.split()[0]} conformal interval "
                      "built from the OTHER chips' leave-one-chip-out residuals (stated by the calibration)[/]",
                      highlight=False)


def _pct(value) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _print_unmodeled(predictions: list[ChipPrediction]) -> None:
    rows = [p for p in predictions if not p.modeled]
    if not rows:
        return
    console.print(f"[bold]{len(rows)} rows not modeled[/]:")
    digital = [p for p in rows if p.kind == "digital" and p.reason.startswith("digital accelerator")]
    if digital:
        console.print(f"  {len(digital)} digital accelerator rows (context for the landscape figure, not predicted): "
                      f"rows {', '.join(str(p.row) for p in digital)}", highlight=False)
    for p in rows:
        if p not in digital:
            console.print(f"  row {p.row} (Index {p.index}, {p.architecture or '?'}): {p.reason}", highlight=False)


def _print_trivial_verdicts(calib: Calibration) -> None:
    """Per compute model, the calibration's leave-one-chip-out TOPS/W error against the trivial predictor's."""
    from imcbench.validation.compare import MIN_ROWS_FOR_VERDICT

    groups = (calib.cross_validation.get("leave_one_chip_out") or {}).get("groups") or {}
    for cm in ("IS", "QS", "QR", "QS-QR", "DIMC"):
        cell = (groups.get(cm) or {}).get("tops_per_w") or {}
        ours, trivial = cell.get("model") or {}, cell.get("trivial") or {}
        if (ours.get("n") or 0) < MIN_ROWS_FOR_VERDICT or trivial.get("median_abs_error") is None:
            continue
        a, b = ours["median_abs_error"], trivial["median_abs_error"]
        outcome = "beats" if a < b else "LOSES TO" if a > b else "ties with"
        colour = "red" if a > b else "green"
        console.print(f"[{colour}]{cm} ({ours['n']} rows, leave-one-chip-out): the calibrated model {outcome} the "
                      f"trivial predictor (median TOPS/W of the same architecture and compute model) on TOPS/W: "
                      f"median error {_pct(a)} vs {_pct(b)}[/]", highlight=False)


def _compare(chips_file: Optional[Path], level: float, as_json: bool) -> None:
    from imcbench.validation.chips import default_chips_path, load_chips
    from imcbench.validation.compare import MODEL_LABELS, MODELS, compare_models

    path = chips_file or default_chips_path()
    result = compare_models(load_chips(path), level=level)
    if as_json:
        print_json({"level": level, "groups": result.summary, "verdicts": result.verdicts,
                    "chosen_forms": result.chosen_forms, "models": MODEL_LABELS})
        return
    table = Table(title=f"leave-one-chip-out, same rows: median error / within 2x / {100 * level:.0f}% interval cover")
    table.add_column("group")
    table.add_column("metric")
    table.add_column("n", justify="right")
    for name in MODELS:
        table.add_column(MODEL_LABELS[name], justify="right")
    for group in [g for g in SUMMARY_GROUPS_SHOWN if g in result.summary]:
        for metric, label in _metric_labels()[:2]:
            cells = result.summary[group][metric]
            if not cells["paper"]["n"]:
                continue
            table.add_row(group, label, str(cells["paper"]["n"]),
                          *(f"{_pct(cells[m]['median_abs_error'])} / {_pct(cells[m]['within_2x'])} / "
                            f"{_pct(cells[m]['interval_coverage'])}" for m in MODELS))
    console.print(table)
    for target, counts in result.chosen_forms.items():
        console.print(f"form chosen by nested CV for {target}: "
                      + ", ".join(f"{k} in {v} folds" for k, v in counts.items()), highlight=False)
    for v in result.verdicts:
        colour = "red" if v["outcome"] == "loses to" else "green"
        console.print(f"[{colour}]{v['compute_model']} ({v['n']} rows): the {v['model']} model {v['outcome']} the "
                      f"trivial predictor on TOPS/W (median error {_pct(v['model_median_error'])} vs "
                      f"{_pct(v['trivial_median_error'])})[/]", highlight=False)


def _print_parameters(calib: Calibration) -> None:
    from imcbench.validation.calibration import PARAMETERS

    table = Table(title=f"fitted parameters ({calib.provenance.get('rows_fitted')} rows, "
                        f"{calib.provenance.get('chips')} chips)")
    for header in ("parameter", "value", "applies to", "what"):
        table.add_column(header)
    for p in PARAMETERS:
        value = calib.value(p.name)
        shown = f"x{value:.3g}" if p.kind == "factor" else f"(node/28)^{value:.3g}"
        table.add_row(p.name, shown, p.applies_to, p.doc)
    console.print(table)
