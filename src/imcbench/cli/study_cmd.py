"""``imcbench study``: the paper's AIMC-vs-DIMC experiments, reproduced and extended, as a report."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, err_console, print_json
from imcbench.cli.macro_cmd import _parse_sizes
from imcbench.errors import ImcbenchError
from imcbench.studies.defaults import BEYOND_PAPER, DEFAULT_MAPPING_SPACES, MLPERF_TINY, PAPER_SIZES

DEFAULT_OUT = Path("imcbench_out") / "study"


@app.command("study")
def study_command(
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="output folder (report.html, CSV tables, figures)"),
    networks: str = typer.Option(",".join(MLPERF_TINY), "--networks", help="the paper's networks, comma separated"),
    extended: str = typer.Option(",".join(BEYOND_PAPER), "--extended",
                                 help="networks beyond the paper ('' for none)"),
    sizes: str = typer.Option(",".join(map(str, PAPER_SIZES)), "--sizes", help="square macro sizes (rows = cols)"),
    input_bits: int = typer.Option(8, "--input-bits", help="activation precision, bits"),
    weight_bits: int = typer.Option(8, "--weight-bits", help="weight precision, bits"),
    aimc_bits_per_cycle: int = typer.Option(2, "--aimc-bits-per-cycle", help="AIMC input bits per cycle"),
    node: float = typer.Option(28.0, "--node", help="technology node, nm"),
    vdd: float = typer.Option(0.9, "--vdd", help="supply voltage, V"),
    objective: str = typer.Option("energy", "--objective", help="mapper objective: energy, latency or edp"),
    min_sqnr: Optional[float] = typer.Option(None, "--min-sqnr",
                                             help="also find the best AIMC macro keeping every layer >= this SQNR (dB)"),
    mapping_spaces: str = typer.Option(",".join(DEFAULT_MAPPING_SPACES), "--mapping-spaces",
                                       help="mapping spaces to run side by side: full (imcbench's), zigzag "
                                            "(ZigZag's space and costs, as evaluate --zigzag-compatible), "
                                            "zigzag_mapping (ZigZag's space, imcbench's costs)"),
    digits: bool = typer.Option(False, "--digits", help="add the digits-accuracy figures (about 10 s more)"),
    jobs: int = typer.Option(2, "--jobs", help="processes drawing the PNG/SVG figures"),
    force: bool = typer.Option(False, "--force", help="overwrite a study already in --out"),
    as_json: bool = typer.Option(False, "--json", help="print the findings as JSON"),
    llm: bool = typer.Option(False, "--llm", help="run the LLM study instead (prefill and decode of the built-in "
                                                  "LLMs; AIMC vs DIMC, SRAM vs RRAM/PCM); see imcbench.studies.llm"),
) -> None:
    """Run the AIMC-vs-DIMC study (peak, layer types, networks) and write report.html with its figures."""
    if llm:
        from imcbench.cli.llm_study_cmd import run_llm_study_command

        others = {"--networks": networks != ",".join(MLPERF_TINY), "--extended": extended != ",".join(BEYOND_PAPER),
                  "--input-bits": input_bits != 8, "--weight-bits": weight_bits != 8,
                  "--aimc-bits-per-cycle": aimc_bits_per_cycle != 2, "--node": node != 28.0, "--vdd": vdd != 0.9,
                  "--min-sqnr": min_sqnr is not None, "--digits": digits}
        return run_llm_study_command(out if out != DEFAULT_OUT else DEFAULT_OUT.with_name("study_llm"),
                                     force=force, as_json=as_json, objective=objective,
                                     sizes=tuple(_parse_sizes(sizes)) if sizes != ",".join(map(str, PAPER_SIZES))
                                     else None, unsupported=[k for k, changed in others.items() if changed])
    from imcbench.report.study_report import run_study
    from imcbench.studies.paper_settings import StudySettings

    if objective not in ("energy", "latency", "edp"):
        raise ImcbenchError(f"--objective {objective!r}: use energy, latency or edp")
    settings = StudySettings(networks=_names(networks), extended_networks=_names(extended),
                             sizes=tuple(_parse_sizes(sizes)), input_bits=input_bits, weight_bits=weight_bits,
                             aimc_bits_per_cycle=aimc_bits_per_cycle, node_nm=node, vdd=vdd, objective=objective,
                             min_sqnr_db=min_sqnr, mapping_spaces=_names(mapping_spaces))
    if not settings.networks:
        raise ImcbenchError("--networks: give at least one network")
    # stage lines go to stderr, so that --json keeps stdout one JSON document
    progress = lambda message: err_console.print(f"[dim]{message}[/]", highlight=False, soft_wrap=True)  # noqa: E731
    result = run_study(settings, out, extended=bool(settings.extended_networks), force=force, jobs=jobs,
                       digits=digits, progress=progress)
    if as_json:
        print_json({"out": str(result.out_dir), "wall_s": result.wall_s,
                    "mapping_spaces": list(settings.mapping_spaces),
                    "findings": [f.to_dict() for f in result.findings],
                    "mapping_space_differences": {
                        "findings": result.finding_differences.to_dict("records"),
                        "networks": result.network_conclusions.to_dict("records")}})
        return
    _print_findings(result)


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _print_findings(result) -> None:
    spaces = list(dict.fromkeys(f.mapping_space for f in result.findings))
    table = Table(title="Findings (this run's numbers; ties within 2% are ties)", show_lines=True)
    table.add_column(f"finding (numbers of the {spaces[0]} mapping space)")
    table.add_column("status per mapping space", min_width=30)
    for key in dict.fromkeys(f.key for f in result.findings):
        per_space = [f for f in result.findings if f.key == key]
        table.add_row(per_space[0].statement + _key_numbers(per_space[0]), _verdicts(per_space))
    console.print(table)
    conclusions = result.network_conclusions
    if len(spaces) > 1 and len(conclusions):
        differ = conclusions[conclusions.differs]
        table = Table(title=f"Per-network conclusions that depend on the mapping space ({len(differ)} of "
                            f"{len(conclusions)})")
        for header in ("network", "conclusion", *spaces):
            table.add_column(header)
        for row in differ.itertuples(index=False):
            table.add_row(row.network, row.conclusion, *[str(getattr(row, s)) for s in spaces])
        console.print(table)
    peak = result.peak
    aimc, dimc = peak[peak.kind == "aimc"], peak[peak.kind == "dimc"]
    console.print(f"Peak TOPS/W, AIMC {aimc.rows.min()}..{aimc.rows.max()} rows: "
                  f"{aimc.tops_per_w.min():.1f} -> {aimc.tops_per_w.max():.1f}; DIMC {dimc.tops_per_w.min():.2f} -> "
                  f"{dimc.tops_per_w.max():.2f} (paper: 4.0 -> 49.8 and 7.19 -> 7.59)")
    for name, reason in result.skipped.items():
        console.print(f"[yellow]left out:[/] {name}: {reason}")
    console.print(f"[bold]Study done in {result.wall_s:.1f} s[/] (the paper's authors needed tens of ZigZag runs "
                  f"of minutes each). Report: {result.out_dir / 'report.html'}")


def _verdicts(per_space) -> str:
    """One line per mapping space, or one line when every space reaches the same status."""
    def verdict(finding) -> str:
        color = "green" if finding.holds else "red" if finding.status == "does not hold" else "yellow"
        return f"[{color}]{finding.status}[/] ({finding.agreement})"

    if len({f.status for f in per_space}) == 1:
        return verdict(per_space[0]) + ("\nin every mapping space" if len(per_space) > 1 else "")
    return "\n".join(f"{f.mapping_space}: {verdict(f)}" for f in per_space)


def _key_numbers(finding) -> str:
    """A few numbers behind ``finding`` (the first mapping space's), for the terminal table."""
    n = finding.numbers
    if finding.key == "dimc_density":
        macro = n["macro_tops_per_mm2"]
        return (f"\n  macro TOPS/mm2 DIMC {min(macro['dimc'].values()):.2f}-{max(macro['dimc'].values()):.2f} vs "
                f"AIMC {min(macro['aimc'].values()):.2f}-{max(macro['aimc'].values()):.2f}")
    if finding.key == "aimc_large_conv_pw":
        return "".join(f"\n  {k}: AIMC {v['best_aimc_tops_per_w_large']} vs DIMC {v['best_dimc_tops_per_w']} TOPS/W"
                       for k, v in n.items() if isinstance(v, dict) and "best_aimc_tops_per_w_large" in v)
    if finding.key == "dimc_small_depthwise":
        return "".join(f"\n  {lvl}: DIMC {n[lvl]['best_dimc_tops_per_w_small']} vs AIMC {n[lvl]['best_aimc_tops_per_w']}"
                       " TOPS/W" for lvl in ("macro", "system"))
    if finding.key == "energy_dominance":
        return "".join(f"\n  {net} ({v['at']}): " + ", ".join(f"{g} {s:.0%}" for g, s in v["shares"].items())
                       for net, v in n.items() if isinstance(v, dict) and "at" in v)
    return ""
