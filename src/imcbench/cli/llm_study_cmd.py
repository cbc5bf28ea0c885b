"""``imcbench study --llm``: the LLM study (:mod:`imcbench.studies.llm`), its findings as a table or JSON."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from imcbench.cli.app import console, err_console, print_json


def run_llm_study_command(out: Path, *, force: bool, as_json: bool, objective: str = "energy",
                          sizes: tuple[int, ...] | None = None, unsupported: list[str] = ()) -> None:
    """Run the LLM study into ``out`` and print the findings. ``sizes``: one macro size (rows) instead of
    256; ``unsupported``: study options given that the LLM study does not take (an error, not ignored)."""
    from imcbench.errors import ImcbenchError
    from imcbench.results import plain
    from imcbench.studies.llm import LLMStudySettings
    from imcbench.report.llm_report import run_llm_study

    if unsupported:
        raise ImcbenchError(f"{', '.join(unsupported)}: not an option of the LLM study (--llm takes --out, --force, "
                            "--json, --objective and --sizes with one size)")
    if sizes is not None and len(sizes) != 1:
        raise ImcbenchError(f"--sizes {','.join(map(str, sizes))}: the LLM study uses one macro size, e.g. --sizes 128")
    rows = {} if sizes is None else {"rows": sizes[0]}

    progress = (lambda message: None) if as_json else (
        lambda message: err_console.print(f"[dim]... {message}[/]", highlight=False))
    result = run_llm_study(LLMStudySettings(objective=objective, **rows), out, force=force, progress=progress)
    if as_json:
        document = {k: v for k, v in result.findings_document().items() if k != "settings"}
        print_json(plain({"out": str(result.out_dir), **document}, non_finite="string"))
        return
    table = Table(title="LLM findings (our numbers)", show_lines=True)
    table.add_column("verdict", width=22)
    table.add_column("finding")
    for f in result.findings:
        color = {"holds": "green", "does not hold": "red", "tie": "yellow"}.get(f.verdict, "cyan")
        table.add_row(f"[{color}]{f.verdict}[/]", f.statement)
    console.print(table)
    for design, reason in result.skipped.items():
        console.print(f"[yellow]design left out:[/] {design}: {reason}")
    console.print(f"[bold]LLM study done in {result.wall_s:.1f} s[/] ({len(result.table)} points, slowest "
                  f"evaluation {result.table.eval_s.max():.2f} s). Report: {result.out_dir / 'llm_report.html'}")
