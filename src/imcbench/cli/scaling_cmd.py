"""``imcbench scaling``: energy per operation vs layer size, array size and precision; chips against the limit."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import typer
from rich.table import Table

from imcbench.cli.app import app, console, err_console, print_json
from imcbench.design_limits import MAX_SCALING_ARRAY_SIZE, MAX_SCALING_BITS
from imcbench.errors import ImcbenchError
from imcbench.safeio import StagedFolder, check_output_folder

TABLE_SIZES = (16, 64, 256, 1024, 4096)
TABLE_FILE = "scaling_table.csv"


@app.command("scaling")
def scaling_command(
    bits: str = typer.Option("4,8", "--bits", help=f"precisions in bits, comma separated (1..{MAX_SCALING_BITS})"),
    array_size_text: str = typer.Option("256", "--array-size", help="array size P: rows and columns of one array"),
    converter: str = typer.Option("max", "--converter",
                                  help="ADC/DAC energy: walden (survey FOM), thermal (kT floor), max of both"),
    out: Optional[Path] = typer.Option(None, "--out", help="folder for the figures (PNG+SVG) and CSV tables"),
    chips_file: Optional[Path] = typer.Option(None, "--chips", help="chip CSV (default: ../shared training file)"),
    as_json: bool = typer.Option(False, "--json", help="print the curves as JSON"),
    force: bool = typer.Option(False, "--force", help="overwrite output files that exist"),
) -> None:
    """Fundamental limits: e_op of scalar, digital IMC and analog IMC (resident, rewritten, MMM) vs N and bits."""
    from imcbench.scaling import CONVERTER_MODELS, DEFAULT_PARAMS, MACHINES
    from imcbench.scaling.figures import N_GRID
    from imcbench.scaling.summary import scaling_summary

    # options are parsed here, not by typer, so that a bad value gets our one-line error and exit 2
    bit_list = _parse_bits(bits)
    array_size = _parse_array_size(array_size_text)
    if converter not in CONVERTER_MODELS:
        raise ImcbenchError(f"--converter {converter!r}: use one of {', '.join(CONVERTER_MODELS)}")
    params = DEFAULT_PARAMS.with_(converter_model=converter)
    if out is not None:  # fail before the work; every file is checked again when it is moved in
        check_output_folder(out, [TABLE_FILE], force, option="--out")
    chips = _load_chips(chips_file)
    summary = scaling_summary(N_GRID, bit_list, array_size, params=params, chips=chips)
    if out is not None:
        _write_outputs(out, bit_list, array_size, params, chips, summary.table, summary.chips, force)
    if as_json:
        print_json(summary.to_dict())
        return
    _print_tables(summary.table, bit_list, array_size, list(summary.crossover), summary.chips, MACHINES, converter)


def _parse_bits(text: str) -> list[int]:
    try:
        values = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ImcbenchError(f"--bits {text!r}: give integers separated by commas, e.g. 4,8") from None
    if not values or any(not 1 <= b <= MAX_SCALING_BITS for b in values):
        raise ImcbenchError(f"--bits {text!r}: each precision must be an integer in 1..{MAX_SCALING_BITS}")
    return sorted(set(values))


def _parse_array_size(text: str) -> int:
    try:
        size = int(text.strip())
    except ValueError:
        raise ImcbenchError(f"--array-size {text!r}: give an integer, e.g. 256") from None
    if not 1 <= size <= MAX_SCALING_ARRAY_SIZE:
        raise ImcbenchError(f"--array-size {text!r}: give an integer in 1..{MAX_SCALING_ARRAY_SIZE}")
    return size


def _load_chips(path: Path | None):
    from imcbench.validation import load_chips

    if path is not None:
        return load_chips(path)
    try:
        return load_chips()
    except ImcbenchError as exc:
        err_console.print(f"note: published chips left out ({exc})", highlight=False, soft_wrap=True)
        return None


def _print_tables(table, bit_list, array_size, crossover, chip_frame, machines, converter) -> None:
    for b in bit_list:
        part = table[(table.bits == b) & table.n.isin(TABLE_SIZES)]
        for column, title, fmt in (("e_op_pj", "energy per op (pJ)", "{:.3g}"), ("tops_per_w", "TOPS/W", "{:.3g}")):
            t = Table(title=f"{b}-bit, array size P = {array_size}, {converter} converters: {title} "
                            "(vector-matrix; MMM with M = N)")
            t.add_column("machine")
            for n in TABLE_SIZES:
                t.add_column(f"N={n}", justify="right")
            for m in machines:
                values = part[part.machine == m].set_index("n")[column]
                t.add_row(m, *[fmt.format(values.at[float(n)]) for n in TABLE_SIZES])
            console.print(t)
    c = Table(title=f"Crossover N: analog (weights resident) beats digital IMC, unbounded array; "
                    f"(>P): not within P = {array_size}")
    c.add_column("bits", justify="right")
    models = list(dict.fromkeys(r["converter_model"] for r in crossover))
    for model in models:
        c.add_column(f"{model} converters", justify="right")
    for b in bit_list:
        cells = []
        for model in models:
            r = next(r for r in crossover if r["bits"] == b and r["converter_model"] == model)
            n_star = r["n_unbounded"]
            text = "never" if n_star is None else ("<= 1" if n_star <= 1 else f"{n_star:.3g}")
            cells.append(text + ("" if r["n_at_array_size"] is not None else " (>P)"))
        c.add_row(str(b), *cells)
    console.print(c)
    if chip_frame is not None:
        _print_chips(chip_frame)


def _print_chips(frame) -> None:
    from imcbench.scaling.bridge import best_chips
    from imcbench.scaling.summary import BEST_CHIPS_SHOWN

    best = best_chips(frame, "aimc", BEST_CHIPS_SHOWN)
    t = Table(title="Best published analog chips vs the analog limit at their own N and precision "
                    "(E_OP1: fJ per 1-bit op)")
    for header in ("chip", "N", "Bx/Bw/ADC", "E_OP1", "x kT limit", "x survey", "model", "holds back"):
        t.add_column(header, justify="right")
    for r in best.itertuples():
        holds = f"{r.holds_back} {100 * r.holds_back_share:.0f}%" if r.holds_back else ""
        model = f"{r.model_fj:.3g}" if np.isfinite(r.model_fj) else ""
        t.add_row(f"{r.label} #{r.chip_id}", f"{r.n:g}", f"{r.input_bits:g}/{r.weight_bits:g}/{r.adc_bits:g}",
                  f"{r.e_op1_fj:.3g}", f"{r.x_above_limit:.3g}", f"{r.x_above_survey:.3g}", model, holds)
    console.print(t)


def _write_outputs(out: Path, bit_list, array_size, params, chips, table, chip_frame, force: bool) -> None:
    """Figures and tables, written into ``out`` all at once (imcbench.safeio.StagedFolder)."""
    from imcbench.figspec import save_static
    from imcbench.scaling.figures import scaling_figures

    with StagedFolder(out, force, option="--out") as stage:
        for spec in scaling_figures(bit_list, array_size, params=params, chips=chips):
            save_static(spec, stage.path)
        table.to_csv(stage.path / TABLE_FILE, index=False)
        if chip_frame is not None:
            chip_frame.to_csv(stage.path / "scaling_chips_vs_limit.csv", index=False)
    err_console.print(f"wrote {len(stage.written)} files to {out}", highlight=False)
