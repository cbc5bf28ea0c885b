"""``imcbench accuracy``: per-layer SQNR of a network on an AIMC macro, and digits accuracy vs ADC bits."""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from typing import Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, print_json
from imcbench.cli.stages import Stages
from imcbench.errors import ImcbenchError

DEFAULT_ADC_BITS = "2,3,4,5,6,8"


class AdcRange(str, Enum):
    calibrated = "calibrated"
    fixed = "fixed"


@app.command("accuracy")
def accuracy_command(
    hardware: Optional[str] = typer.Option(None, "--hardware", "-H",
                                           help="hardware YAML or preset (its macro sets rows, bits per cycle, "
                                                "precisions, and ADC bits unless --adc-bits is given)"),
    network: str = typer.Option("resnet8", "--network", "-n", help="built-in network name or ONNX / YAML file"),
    adc_bits: Optional[str] = typer.Option(None, "--adc-bits",
                                           help=f"ADC resolutions to compare, comma separated (default "
                                                f"{DEFAULT_ADC_BITS}, or the hardware's)"),
    rows: Optional[int] = typer.Option(None, "--rows", help="rows activated per ADC conversion (default 256)"),
    bits_per_cycle: Optional[int] = typer.Option(None, "--bits-per-cycle", help="input bits per cycle (default 2)"),
    noise: float = typer.Option(0.0, "--noise", help="column read-noise sigma, in partial-sum LSB (one cell)"),
    cell_sigma: float = typer.Option(0.0, "--cell-sigma", help="relative conductance sigma of a cell"),
    adc_range: AdcRange = typer.Option(AdcRange.calibrated, "--adc-range",
                                       help="calibrated (to the partial sums, best range per layer) or fixed "
                                            "(full scale)"),
    digits: bool = typer.Option(True, "--digits/--no-digits", help="train the digits MLP and CNN and simulate them"),
    models: str = typer.Option("mlp,cnn", "--models", help="digits models to simulate, comma separated: mlp, cnn"),
    seed: int = typer.Option(0, "--seed", help="Monte Carlo seed of the digits simulation"),
    min_sqnr: Optional[float] = typer.Option(None, "--min-sqnr",
                                             help="also find the cheapest AIMC design (rows x ADC bits x bits per "
                                                  "cycle) whose worst layer reaches this SQNR (dB), and the best DIMC"),
    max_drop: Optional[float] = typer.Option(None, "--max-drop",
                                             help="also find the cheapest AIMC design keeping each digits model "
                                                  "within this accuracy drop of float (e.g. 0.01)"),
    cell: Optional[str] = typer.Option(None, "--cell",
                                       help="memory cell (sram6t, rram, pcm, ...): its read and programming noise "
                                            "and drift replace --noise / --cell-sigma (default: the hardware's "
                                            "cell when it is not SRAM)"),
    time_s: float = typer.Option(0.0, "--time", help="seconds after programming of the read (PCM drift)"),
    drift_compensation: bool = typer.Option(True, "--drift-compensation/--no-drift-compensation",
                                            help="global drift compensation: divide the output by the mean decay"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """SQNR of every layer of a network and digits accuracy, against the ADC resolution of an AIMC macro."""
    from imcbench.accuracy.digits import accuracy_vs_adc_bits, float_accuracies, trained_model
    from imcbench.accuracy.explore import cheapest_for_accuracy, cheapest_for_sqnr
    from imcbench.accuracy.network_report import network_accuracy
    from imcbench.workload import load_workload

    names = _parse_models(models) if digits or max_drop is not None else []
    macro = _hardware_macro(hardware)
    base = _base_config(macro, rows, bits_per_cycle, noise, cell_sigma, adc_range.value)
    base, cell = _with_cell(base, macro, cell, time_s, drift_compensation, noise, cell_sigma)
    if cell is not None and (min_sqnr is not None or max_drop is not None):
        raise ImcbenchError("--min-sqnr / --max-drop search designs with --noise / --cell-sigma only; the cell "
                            "noise (--cell) depends on each design's rows and is not searched yet")
    bits = _parse_bits(adc_bits) if adc_bits else ([float(macro.resolved_adc_bits)]
                                                    if macro is not None and macro.kind == "aimc"
                                                    else _parse_bits(DEFAULT_ADC_BITS))
    for b in bits:
        base.with_(adc_bits=b)  # validates each resolution with a clear message
    net = load_workload(network)
    stages = Stages("accuracy")  # stage lines on stderr once a stage runs long (digits training: minutes)
    with stages.counter(f"SQNR of {net.name}: layer", len(net.layers)) as progress:
        result = network_accuracy(net, base, bits, cell=cell, time_s=time_s, on_layer=progress)
    if digits:
        int_bits = sorted({int(round(b)) for b in bits})
        for name in names:
            with stages.stage(f"digits: training {name}"):
                trained_model(name)  # cached: the simulations below reuse it
        pairs = [(name, b) for name in names for b in int_bits]
        points = []
        with stages.counter("digits: model x ADC bits", len(pairs)) as progress:
            for name, b in pairs:  # one (model, resolution) at a time: the same numbers, with progress
                points += accuracy_vs_adc_bits(base, [b], [name], seed=seed)
                progress(len(points), f"{name} at {b} b")
        result = replace(result, digits=tuple(points), float_accuracy=float_accuracies(names))
    exploration = []
    if min_sqnr is not None:
        with stages.stage(f"cheapest design reaching {min_sqnr:g} dB"):
            exploration.append(cheapest_for_sqnr(net.layers, min_sqnr, noise=noise, cell_sigma=cell_sigma,
                                                 adc_range=base.adc_range))
    if max_drop is not None:
        if not 0 <= max_drop <= 1:
            raise ImcbenchError(f"--max-drop {max_drop!r} must be an accuracy difference in [0, 1]")
        for name in names or ["mlp"]:
            with stages.stage(f"cheapest design keeping {name} within {max_drop:g} of float"):
                exploration.append(cheapest_for_accuracy(name, max_drop, read_noise=noise, cell_sigma=cell_sigma,
                                                         adc_range=base.adc_range, seed=seed))
    if exploration:
        result = replace(result, exploration=tuple(exploration))
    data = result.to_dict()
    if as_json:
        print_json(data)
        return
    _print(data)
    for result in data.get("exploration", []):
        _print_exploration(result)


def _hardware_macro(hardware: str | None):
    """The macro of a hardware file or preset, or None (flags only)."""
    if hardware is None:
        return None
    try:
        from imcbench.hardware import load_system
    except ImportError:  # the hardware format is not available in this build
        raise ImcbenchError("--hardware needs imcbench.hardware.load_system; give the macro with --rows, "
                            "--bits-per-cycle and --adc-bits instead") from None
    return load_system(hardware).macro


def _base_config(macro, rows, bits_per_cycle, noise, cell_sigma, adc_range):
    from imcbench.accuracy.noise import MvmConfig

    if macro is not None and macro.kind != "aimc":
        raise ImcbenchError("the hardware's macro is DIMC, which computes exactly; give an AIMC macro (or flags) "
                            "to study ADC resolution")
    settings = {"rows": 256, "bits_per_cycle": 2, "input_bits": 8, "weight_bits": 8}
    if macro is not None:
        settings.update(rows=macro.rows, bits_per_cycle=macro.bits_per_cycle, input_bits=macro.input_bits,
                        weight_bits=macro.weight_bits)
    if rows is not None:
        settings["rows"] = rows
    if bits_per_cycle is not None:
        settings["bits_per_cycle"] = bits_per_cycle
    return MvmConfig(read_noise=noise, cell_sigma=cell_sigma, adc_range=adc_range, **settings)


def _with_cell(base, macro, cell, time_s, compensated, noise, cell_sigma):
    """``base`` with the noise and drift of ``cell`` (or of the hardware's non-SRAM cell), else unchanged."""
    from imcbench.celltech import get_cell

    if cell is None and macro is not None and not get_cell(macro.cell).is_sram:
        cell = macro.cell
    if cell is None:
        if time_s != 0.0:
            raise ImcbenchError("--time needs a cell that drifts: give --cell (e.g. --cell pcm)")
        return base, None
    if noise != 0.0 or cell_sigma != 0.0:
        raise ImcbenchError("give either --cell (its noise comes from the cell table) or --noise / --cell-sigma")
    return base.with_cell(get_cell(cell), t_s=time_s, compensated=compensated), get_cell(cell).name


def _parse_bits(text: str) -> list[float]:
    try:
        bits = [float(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise ImcbenchError(f"--adc-bits {text!r}: give numbers separated by commas, e.g. 4,6,8") from None
    if not bits:
        raise ImcbenchError("--adc-bits is empty; give resolutions such as 4,6,8")
    return bits


def _parse_models(text: str) -> list[str]:
    from imcbench.accuracy.digits import MODELS

    names = [m.strip().lower() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in MODELS]
    if not names or unknown:
        raise ImcbenchError(f"--models {text!r}: choose from {', '.join(MODELS)}")
    return list(dict.fromkeys(names))


def _print(data: dict) -> None:
    m = data["macro"]
    console.print(f"[bold]AIMC macro[/] {m['rows']} rows per conversion, {m['bits_per_cycle']} b/cycle, "
                  f"{m['input_bits']}b x {m['weight_bits']}b, 1 bit per cell; read noise {m['read_noise']:g} LSB "
                  f"+ {m['read_noise_per_row']:.3g} LSB per active row, "
                  f"cell sigma {m['cell_sigma']:g}, ADC range {m['adc_range']}")
    if data.get("cell"):
        c = data["cell"]
        console.print(f"cell {c['name']} read {c['time_s']:g} s after programming: mean conductance x "
                      f"{c['drift_factor']:.3g}, drift spread sigma {c['drift_spread_sigma']:.3g}, output gain "
                      f"{c['output_gain']:.3g} ({'compensated' if m['drift_compensated'] else 'uncompensated'})")
    keys = list(data["energy_per_mac_fj"])
    table = Table(title=f"{data['network']}: SQNR per layer (dB) by ADC bits; DIMC = exact 8-bit arithmetic")
    for header in ("layer", "kind", "C*FY*FX", *[f"{k} b" for k in keys], "DIMC"):
        table.add_column(header, justify="left" if header in ("layer", "kind") else "right")
    for layer in data["layers"]:
        table.add_row(layer["name"], layer["kind"], str(layer["dot_length"]),
                      *[f"{layer['sqnr_db'][k]:.1f}" for k in keys], f"{layer['dimc_sqnr_db']:.1f}")
    table.add_row("[bold]worst layer", "", "", *[f"[bold]{min(l['sqnr_db'][k] for l in data['layers']):.1f}"
                                                 for k in keys], "")
    table.add_row("energy/MAC (fJ)", "", "", *[f"{data['energy_per_mac_fj'][k]:.1f}" for k in keys], "")
    table.add_row("peak TOPS/W", "", "", *[f"{data['tops_per_w'][k]:.1f}" for k in keys], "")
    console.print(table)
    if "digits" not in data:
        return
    acc = Table(title="digits test accuracy (450 images) with every MVM through the macro")
    bits = sorted({p["adc_bits"] for p in data["digits"]})
    for header in ("model", "float", *[f"{b} b" for b in bits]):
        acc.add_column(header, justify="left" if header == "model" else "right")
    for model, float_acc in data["float_accuracy"].items():
        row = {p["adc_bits"]: p["accuracy"] for p in data["digits"] if p["model"] == model}
        acc.add_row(model, f"{float_acc:.3f}", *[f"{row[b]:.3f}" for b in bits])
    console.print(acc)


def _print_exploration(result: dict) -> None:
    found = (f"{result['feasible_aimc']} of {result['aimc_designs']} AIMC designs qualify" if not result["notes"]
             else "; ".join(result["notes"]))
    table = Table(title=f"cheapest design for: {result['constraint']} ({found})")
    for header in ("kind", "rows", "ADC b", "b/cycle", "TOPS/W", "TOPS/mm2", "fJ/MAC", "SQNR dB / accuracy"):
        table.add_column(header, justify="left" if header == "kind" else "right")
    for design in (result["cheapest_aimc"], result["best_dimc"]):
        if design is None:
            continue
        quality = design.get("min_sqnr_db", design.get("accuracy"))
        table.add_row(design["kind"], str(design["rows"]), "" if design["adc_bits"] is None else f"{design['adc_bits']:g}",
                      str(design["bits_per_cycle"]), f"{design['tops_per_w']:.1f}", f"{design['tops_per_mm2']:.3f}",
                      f"{design['energy_per_mac_fj']:.1f}", f"{quality:.3f}" if quality < 1.5 else f"{quality:.1f}")
    console.print(table)
    if result["cheapest_aimc"] is None:
        console.print("no AIMC design of the grid meets the constraint")
