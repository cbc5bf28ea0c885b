"""``imcbench macro`` (one macro's peak figures) and ``imcbench peak`` (the paper's AIMC vs DIMC table)."""

from __future__ import annotations

import math
from enum import Enum
from typing import Optional

import typer
from rich.table import Table

from imcbench import design_limits as lim
from imcbench.celltech import DEFAULT_CELL, list_cells
from imcbench.cli.app import app, console, print_json
from imcbench.hardware import cell_costs
from imcbench.errors import ImcbenchError
from imcbench.hardware.system_peak import system_peak
from imcbench.macro import MacroSpec
from imcbench.macro.model import DEFAULT_DELAY_MODEL

PAPER_SIZES = (32, 64, 128, 256, 512, 1024)
OPERAND_BITS = lim.integer_range(lim.MIN_OPERAND_BITS, lim.MAX_OPERAND_BITS)
MACRO_LEVELS_USED = 2  # the macro model stores one weight bit per cell: multi-level cells are not modeled


class Kind(str, Enum):
    aimc = "aimc"
    dimc = "dimc"


class DelayModelChoice(str, Enum):
    zigzag = "zigzag"
    paper = "paper"


class AdcModelChoice(str, Enum):
    paper = "paper"
    survey_median = "survey_median"
    survey_envelope = "survey_envelope"


DELAY_MODEL_HELP = ("clock-period variant: 'zigzag' (zigzag-dse 3.8+, the default of every command) or 'paper' "
                    "(the paper's Fig. 8 clock, e.g. 16.82 instead of 16.14 ns for a 256-row AIMC macro)")


class AdcRule(str, Enum):
    paper = "paper"


@app.command("macro")
def macro_command(
    kind: Kind = typer.Argument(..., help="aimc (analog) or dimc (digital)"),
    rows: int = typer.Option(..., "--rows", help=f"rows: multipliers per bit-line (adder-tree inputs), "
                                                 f"{lim.integer_range(lim.MIN_ROWS, lim.MAX_ROWS)}"),
    cols: int = typer.Option(..., "--cols", help="physical bit-cell columns (weight columns = cols / weight bits), "
                                                 f"{lim.integer_range(lim.MIN_COLS, lim.MAX_COLS)}"),
    input_bits: int = typer.Option(8, "--input-bits", help=f"activation precision, bits ({OPERAND_BITS})"),
    weight_bits: int = typer.Option(8, "--weight-bits", help=f"weight precision, bits ({OPERAND_BITS})"),
    bits_per_cycle: Optional[int] = typer.Option(
        None, "--bits-per-cycle", help="input bits per cycle (DAC bits for AIMC, at most "
                                       f"{lim.MAX_DAC_BITS}); default AIMC 2, DIMC 1"),
    adc_bits: Optional[float] = typer.Option(None, "--adc-bits", help="ADC resolution, bits (AIMC), "
                                                                      f"{lim.MIN_ADC_BITS}..{lim.MAX_ADC_BITS}"),
    adc_rule: Optional[AdcRule] = typer.Option(
        None, "--adc-rule", help="'paper': ADC bits = bits per cycle + 0.5 log2(rows) (the default)"),
    cells_per_mult: int = typer.Option(1, "--cells-per-mult", help="cells sharing one multiplier (M), "
                                                                   f"{lim.integer_range(1, lim.MAX_CELLS_PER_MULT)}"),
    n_macros: int = typer.Option(1, "--macros", help="number of identical macros, "
                                                     f"{lim.integer_range(1, lim.MAX_MACROS)}"),
    node: float = typer.Option(28.0, "--node", help=f"technology node, nm ({lim.MIN_NODE_NM:g}..{lim.MAX_NODE_NM:g})"),
    vdd: float = typer.Option(0.9, "--vdd", help=f"supply voltage, V (above {lim.MIN_VDD_V_EXCLUSIVE:g}, at most "
                                                 f"{lim.MAX_VDD_V:g})"),
    delay_model: DelayModelChoice = typer.Option(DEFAULT_DELAY_MODEL, "--delay-model", help=DELAY_MODEL_HELP),
    adc_model: AdcModelChoice = typer.Option(AdcModelChoice.paper, "--adc-model",
                                             help="ADC energy/area: the paper's 28 nm fit, or the ADC survey's "
                                                  "median or best-10% converter (imcbench.converters)"),
    system: bool = typer.Option(False, "--system", help="also show the paper's system numbers (regs + 256 KB L2)"),
    cell: str = typer.Option(DEFAULT_CELL, "--cell", help=f"memory cell: {', '.join(list_cells())}"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Peak energy, clock period, area and throughput of one AIMC or DIMC macro."""
    if adc_bits is not None and adc_rule is not None:
        raise ImcbenchError("give either --adc-bits or --adc-rule, not both")
    if adc_bits is not None and kind is Kind.dimc:
        raise ImcbenchError("--adc-bits applies to aimc macros only (a DIMC macro has no ADC)")
    spec = MacroSpec(kind.value, rows, cols, input_bits=input_bits, weight_bits=weight_bits,
                     bits_per_cycle=bits_per_cycle, adc_bits=adc_bits, cells_per_mult=cells_per_mult,
                     n_macros=n_macros, node_nm=node, vdd=vdd, delay_model=delay_model.value, cell=cell,
                     adc_model=adc_model.value)
    result = spec.evaluate()
    data = result.to_dict()
    data["cell"] = cell_summary(spec)
    if system:
        data["system"] = _system_dict(spec)
    if as_json:
        print_json(data)
        return
    _print_macro(data)


def cell_summary(spec: MacroSpec) -> dict:
    """The cell's costs outside the compute cycle: writing the whole array, leakage, wear-out (inf -> None)."""
    tech = spec.cell_technology
    write = cell_costs.array_write(spec)
    finite = lambda x: x if math.isfinite(x) else None  # noqa: E731  (JSON has no infinity)
    return {"name": tech.name, "volatile": tech.volatile, "area_f2": tech.area_f2,
            "read_energy_fj_per_bit": tech.read_energy_fj_per_bit,
            "write_pj_per_bit": cell_costs.cell_write_pj_per_bit(spec),
            "array_write_energy_pj": write["energy_pj"], "array_write_time_ns": write["time_ns"],
            "leakage_uw": cell_costs.leakage_pw(spec) * 1e-6, "endurance_writes": finite(tech.endurance_writes),
            "retention_s": finite(tech.retention_s), "levels_per_cell": tech.levels_per_cell,
            "levels_used_by_macro_model": MACRO_LEVELS_USED,  # one physical column per weight bit (not modeled)
            "source": tech.source}


def _system_dict(spec: MacroSpec) -> dict:
    sp = system_peak(spec.params())
    return {"tops_per_w": float(sp.tops_per_w), "tops_per_mm2": float(sp.tops_per_mm2),
            "area_mm2": float(sp.total_area_mm2),
            "extra_energy_per_cycle_pj": {k: float(v) for k, v in sp.energy_pj.items()},
            "extra_area_mm2": {k: float(v) for k, v in sp.area_mm2.items()}}


def _print_macro(data: dict) -> None:
    m = data["macro"]
    adc = f", ADC {m['adc_bits']:g} b" if m["adc_bits"] is not None else ""
    if m["adc_bits"] is not None and m.get("adc_model", "paper") != "paper":
        adc += f" ({m['adc_model']} ADC)"
    console.print(f"[bold]{m['kind'].upper()} macro[/] {m['rows']} rows x {m['cols']} columns "
                  f"({m['weight_cols']} weight columns), {m['input_bits']}b x {m['weight_bits']}b, "
                  f"{m['bits_per_cycle']} b/cycle{adc}, {m['node_nm']:g} nm, {m['vdd']:g} V")
    summary = Table(show_header=False, box=None)
    summary.add_row("clock period", f"{data['tclk_ns']:.4g} ns")
    summary.add_row("area", f"{data['area_mm2']:.4g} mm2")
    summary.add_row("peak throughput", f"{data['tops']:.4g} TOPS")
    summary.add_row("energy efficiency", f"{data['tops_per_w']:.4g} TOPS/W "
                                         f"({data['energy_per_mac_fj']:.4g} fJ/MAC)")
    summary.add_row("compute density", f"{data['tops_per_mm2']:.4g} TOPS/mm2")
    c = data["cell"]
    summary.add_row("cell", f"{c['name']}: writing the array {c['array_write_energy_pj']:.4g} pJ in "
                            f"{c['array_write_time_ns']:.4g} ns, leakage {c['leakage_uw']:.4g} uW")
    if "system" in data:
        s = data["system"]
        summary.add_row("system (regs + L2)", f"{s['tops_per_w']:.4g} TOPS/W, {s['tops_per_mm2']:.4g} "
                                               f"TOPS/mm2, {s['area_mm2']:.4g} mm2")
    console.print(summary)
    table = Table(title="breakdown by component")
    for header in ("component", "energy/cycle (pJ)", "share", "area (mm2)", "t_clk (ns)"):
        table.add_column(header, justify="right" if header != "component" else "left")
    energy, area, delay = data["energy_per_cycle_pj"], data["area_mm2_by_component"], data["tclk_ns_by_component"]
    total_e = sum(energy.values())
    for name in dict.fromkeys([*energy, *area, *delay]):
        e, a, t = energy.get(name), area.get(name), delay.get(name)
        if not any(v for v in (e, a, t)):
            continue
        table.add_row(name, _fmt(e), f"{100 * e / total_e:.1f}%" if e else "", _fmt(a), _fmt(t))
    table.add_row("[bold]total", f"[bold]{total_e:.4g}", "100%", f"[bold]{data['area_mm2']:.4g}",
                  f"[bold]{data['tclk_ns']:.4g}")
    console.print(table)


def _fmt(value: float | None) -> str:
    return "" if not value else f"{value:.4g}"


@app.command("peak")
def peak_command(
    sizes: str = typer.Option(",".join(map(str, PAPER_SIZES)), "--sizes",
                              help="square macro sizes (rows = physical columns), comma separated"),
    delay_model: DelayModelChoice = typer.Option(DEFAULT_DELAY_MODEL, "--delay-model", help=DELAY_MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """The paper's peak comparison: AIMC (2 b/cycle, paper ADC rule) vs DIMC (bit-serial), square macros."""
    rows = []
    for size in _parse_sizes(sizes):
        for kind in ("aimc", "dimc"):
            spec = MacroSpec(kind, size, size, delay_model=delay_model.value)
            res = spec.evaluate()
            sys_ = system_peak(spec.params())
            rows.append({"kind": kind, "rows": size, "cols": size, "adc_bits": spec.resolved_adc_bits,
                         "tclk_ns": res.tclk_ns, "tops": res.tops, "tops_per_w": res.tops_per_w,
                         "tops_per_mm2": res.tops_per_mm2, "area_mm2": res.area_mm2,
                         "system_tops_per_w": float(sys_.tops_per_w),
                         "system_tops_per_mm2": float(sys_.tops_per_mm2),
                         "system_area_mm2": float(sys_.total_area_mm2)})
    if as_json:
        print_json({"macros": rows})
        return
    table = Table(title="Peak AIMC vs DIMC (8b x 8b; AIMC 2 b/cycle, ADC = 2 + 0.5 log2 rows; DIMC 1 b/cycle; "
                        f"{delay_model.value} clock)")
    for header in ("size", "kind", "ADC b", "t_clk ns", "TOPS", "TOPS/W", "TOPS/mm2", "mm2",
                   "sys TOPS/W", "sys TOPS/mm2"):
        table.add_column(header, justify="right")
    for r in rows:
        table.add_row(str(r["rows"]), r["kind"], "" if r["adc_bits"] is None else f"{r['adc_bits']:g}",
                      f"{r['tclk_ns']:.3f}", f"{r['tops']:.4f}", f"{r['tops_per_w']:.2f}",
                      f"{r['tops_per_mm2']:.3f}", f"{r['area_mm2']:.4f}", f"{r['system_tops_per_w']:.2f}",
                      f"{r['system_tops_per_mm2']:.3f}")
    console.print(table)


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ImcbenchError(f"--sizes {text!r}: give integers separated by commas, e.g. 32,64,128") from None
    if not sizes or any(s < 8 or s % 8 for s in sizes):
        raise ImcbenchError(f"--sizes {text!r}: each size must be a multiple of 8, at least 8")
    return sizes
