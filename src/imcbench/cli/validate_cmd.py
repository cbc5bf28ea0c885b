"""``imcbench validate`` (model vs published chips) and ``imcbench calibrate`` (fit the model's factors)."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, print_json
from imcbench.safeio import StagedFolder, atomic_path, check_output_folder, ensure_writable
from imcbench.validation.calibration import Calibration, calibrate, fixed_hyper, load_calibration
from imcbench.validation.chips import PACKAGED_CHIPS_FILE, PublishedChip, default_chips_path, load_chips
from imcbench.validation.predict import ChipPrediction, predict_chips, predictions_frame
from imcbench.validation.stats import DEFINITION, GIVEN_TCORE, summarise

JSON_ROW_KEYS = ("row", "index", "chip_id", "title", "year", "node_nm", "architecture", "compute_model",
                 "cell_family", "tops_per_w_reported", "tops_per_w_model", "tops_per_w_paper", "tops_per_w_ratio",
                 "tops_per_w_factor", "tops_per_mm2_reported", "tops_per_mm2_model", "tops_per_mm2_paper",
                 "tops_per_mm2_ratio", "tops_per_mm2_factor", "t_core_ns", "tops_per_mm2_given_tcore_model",
                 "tops_per_mm2_given_tcore_paper", "imc_processor", "adc_bits_used", "adc_bits_from_rule",
                 "modeled", "reason")
SUMMARY_GROUPS_SHOWN = ("SRAM", "SRAM macros", "SRAM processors", "all", "IS", "QS", "QR", "QS-QR", "DIMC", "eNVM",
                        "eDRAM")
METRIC_LABELS = (("tops_per_w", "TOPS/W"), ("tops_per_mm2", "TOPS/mm2"), (GIVEN_TCORE, "TOPS/mm2 @T_core"))
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
) -> None:
    """Model vs reported TOPS/W and TOPS/mm2 of published chips, calibrated beside the paper's model."""
    if out is not None:  # fail before the work: the table's name is known, the figures' are checked when moved in
        check_output_folder(out, [ROWS_FILE], force, option="--out")
    path = chips_file or default_chips_path()
    chips = load_chips(path)
    calib = load_calibration(calibration)
    predictions = predict_chips(chips, calib)
    summary = _summary(predictions, chips, calib, calibration, path)
    written = (_write_outputs(predictions, out, calibration, force, _sample(summary), calib)
               if out is not None else [])
    if as_json:
        print_json({"rows": [_json_row(p) for p in predictions], "summary": summary,
                    **({"files": [str(p) for p in written]} if written else {})})
        return
    _print_rows(predictions)
    _print_summary(summary, "calibrated" if calib is not None else "paper")
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
    ensure_writable(out, force, option="--out")
    path = chips_file or default_chips_path()
    hyper = None
    if ridge is not None or robust_scale is not None:
        defaults = fixed_hyper()["tops_per_w"]
        hyper = fixed_hyper(defaults.ridge if ridge is None else ridge,
                            defaults.robust_scale if robust_scale is None else robust_scale)
    calib = calibrate(load_chips(path), source=path, hyper=hyper)
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
    _print_summary({"definition": cv["definition"], "groups": cv["groups"]}, "calibrated (leave-one-chip-out)")
    console.print(f"wrote {out}")


# --- summary ---------------------------------------------------------------------------------------------
def _summary(predictions: list[ChipPrediction], chips: list[PublishedChip], calib: Calibration | None,
             calibration: str, path: Path) -> dict:
    frame = predictions_frame(predictions)
    modeled = frame[frame.modeled]
    stats = summarise(modeled, models=("model", "paper")) if len(modeled) else {"definition": DEFINITION, "groups": {}}
    provenance = calib.provenance if calib is not None else {}
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    reasons = Counter(_reason_kind(p.reason) for p in predictions if not p.modeled)
    return {
        "definition": stats["definition"],
        "model": "calibrated" if calib is not None else "paper",
        "calibration": {"name": calibration, "provenance": provenance,
                        "in_sample": _fitted_on(provenance, digest, path),
                        "note": "'model' is the calibrated model, 'paper' the uncalibrated paper model; when "
                                "in_sample is true the calibration was fitted on this file (see its "
                                "cross_validation for out-of-sample errors)"},
        "rows": {"total": len(chips), "modeled": int(frame.modeled.sum()), "not_modeled": int((~frame.modeled).sum()),
                 "not_modeled_by_reason": dict(reasons)},
        "groups": stats["groups"],
    }


def _fitted_on(provenance: dict, digest: str, path: Path) -> bool:
    """True when the calibration was fitted on this file, or on the training file whose facts the package ships."""
    if provenance.get("sha256") == digest:
        return True
    packaged = path.resolve() == PACKAGED_CHIPS_FILE.resolve()
    return bool(packaged and provenance.get("file") == "chips_train.csv")


def _reason_kind(reason: str) -> str:
    return reason.split(":")[0].split(" (")[0].split(";")[0]


def _json_row(p: ChipPrediction) -> dict:
    data = p.to_dict()
    return {k: (None if isinstance(data[k], float) and not math.isfinite(data[k]) else data[k]) for k in JSON_ROW_KEYS}


def _sample(summary: dict) -> str:
    """How the errors of this validation were obtained (a key of imcbench.validation.figures.SAMPLES)."""
    if summary["model"] == "paper":
        return "uncalibrated"
    return "in-sample" if summary["calibration"]["in_sample"] else "other file"


def _write_outputs(predictions: list[ChipPrediction], out: Path, calibration: str, force: bool, sample: str,
                   calib: Calibration | None) -> list[Path]:
    """The table and figures, written into ``out`` all at once (imcbench.safeio.StagedFolder)."""
    from imcbench.report.figspec import save_static
    from imcbench.validation.figures import validation_figures

    label = "paper" if calibration.lower() == "paper" else "calibrated"
    with StagedFolder(out, force, option="--out") as stage:
        predictions_frame(predictions).to_csv(stage.path / ROWS_FILE, index=False)
        held_out = (calib.cross_validation.get("leave_one_chip_out", {}).get("groups")
                    if calib is not None and sample == "in-sample" else None)  # CV of the file it was fitted on
        for spec in validation_figures(predictions, model_label=label, sample=sample, held_out=held_out):
            save_static(spec, stage.path)
    return stage.written


# --- printing ----------------------------------------------------------------------------------------------
def _fmt(value: float, digits: int = 3) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def _print_rows(predictions: list[ChipPrediction]) -> None:
    table = Table(title="model vs reported (1b-normalised); ratio = model / reported")
    for header in ("row", "Index", "compute", "memory", "nm", "TOPS/W rep", "model", "ratio", "paper ratio",
                   "TOPS/mm2 rep", "model", "ratio", "paper ratio"):
        table.add_column(header, justify="right")
    for p in predictions:
        if not p.modeled:
            continue
        table.add_row(str(p.row), str(p.index), p.compute_model, p.cell_family, _fmt(p.node_nm),
                      _fmt(p.tops_per_w_reported), _fmt(p.tops_per_w_model), _fmt(p.tops_per_w_ratio, 2),
                      _fmt(p.tops_per_w_paper / p.tops_per_w_reported, 2), _fmt(p.tops_per_mm2_reported),
                      _fmt(p.tops_per_mm2_model), _fmt(p.tops_per_mm2_ratio, 2),
                      _fmt(p.tops_per_mm2_paper / p.tops_per_mm2_reported, 2))
    console.print(table)


def _print_summary(summary: dict, model_label: str) -> None:
    table = Table(title=f"error summary: {model_label} vs paper model")
    for header in ("group", "metric", "n", "median err", "within 1.5x", "within 2x", "paper median err",
                   "paper 1.5x", "paper 2x"):
        table.add_column(header, justify="right" if header not in ("group", "metric") else "left")
    groups = summary["groups"]
    for name in [g for g in SUMMARY_GROUPS_SHOWN if g in groups]:
        for metric, label in METRIC_LABELS:
            if metric not in groups[name]:
                continue
            model, paper = groups[name][metric]["model"], groups[name][metric]["paper"]
            if not model["n"]:
                continue
            table.add_row(name, label, str(model["n"]), _pct(model["median_abs_error"]), _pct(model["within_1_5x"]),
                          _pct(model["within_2x"]), _pct(paper["median_abs_error"]), _pct(paper["within_1_5x"]),
                          _pct(paper["within_2x"]))
    console.print(table)
    console.print(f"[dim]{summary['definition']}. {MODES_NOTE}[/]", highlight=False)


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
