"""The LLM study's report: figures (interactive in the HTML, PNG and SVG beside it) and tables.

Figures are built from the study's tables (:mod:`imcbench.studies.llm`) as :class:`FigureSpec`, so the
browser and the static files show the same numbers. :func:`run_llm_study` runs the study and writes its
tables, findings, figures and HTML.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pandas as pd

from imcbench.errors import ImcbenchError
from imcbench.figspec import FigureSpec, Series, save_static
from imcbench.report.html import Section, escape, write
from imcbench.results import plain
from imcbench.studies.llm import LLM_GROUPS, LLMStudyResult, LLMStudySettings, llm_study

RESULT_FILES = ("llm_results.csv", "llm_break_even.csv", "llm_findings.json", "llm_report.html")

CELL_COLORS = {"sram6t": "#1f77b4", "sram8t": "#17becf", "rram": "#d62728", "pcm": "#ff7f0e", "fefet": "#9467bd",
               "mram": "#8c564b", "gain_cell_edram": "#2ca02c"}
DIMC_COLOR = "#000000"  # DIMC lines in black, AIMC ones in their cell's color
GROUP_COLORS = {"weights": "#d62728", "kv_cache": "#ff7f0e", "act_act": "#9467bd", "macro": "#1f77b4",
                "activations": "#7f7f7f", "leakage": "#2ca02c"}


def energy_vs_batch_figure(sweep: pd.DataFrame) -> FigureSpec:
    """Energy per token against the batch, one line per design and phase (the break-even sweep)."""
    spec = FigureSpec("llm_energy_vs_batch", f"{sweep.model.iloc[0]}: energy per token vs batch",
                      "batch", "energy per token (uJ)", x_log=True, y_log=True,
                      caption="Solid: decode; dashed: prefill. AIMC lines fall with the batch as one weight "
                              "(re)load is shared by the batch; the break-even batch is where an AIMC line meets "
                              "the DIMC SRAM line.")
    policy = sweep.act_act.iloc[-1]  # the last policy: act x act off the array when the defaults are used
    spec.title += f" (act x act: {policy})"
    for (kind, cell), sub in sweep[sweep.act_act == policy].groupby(["kind", "cell"], sort=False):
        for phase in ("decode", "prefill"):
            part = sub[sub.phase == phase].sort_values("batch")
            color = DIMC_COLOR if kind == "dimc" else CELL_COLORS.get(cell)
            spec.series.append(Series(f"{kind.upper()} {cell} {phase}", list(part.batch),
                                      list(part.energy_per_token_uj), color=color, dash=phase == "prefill",
                                      marker="s" if kind == "dimc" else "o"))
    return spec


def breakdown_figure(table: pd.DataFrame, model: str, phase: str, batch: int, policy: str) -> FigureSpec:
    """Energy per token by group for each kind x cell (one model, phase, batch, act x act policy)."""
    sub = table[(table.model == model) & (table.phase == phase) & (table.batch == batch) & (table.act_act == policy)]
    labels = [f"{r.kind.upper()} {r.cell}" for r in sub.itertuples()]
    spec = FigureSpec(f"llm_breakdown_{model}_{phase}_b{batch}_{policy}".replace(".", ""),
                      f"{model} {phase}, batch {batch}, act x act: {policy}", "design", "energy per token (uJ)",
                      barmode="stack", caption="weights: DRAM reads and cell writes of the weights; kv_cache: "
                                               "KV-cache reads, appends and writes into the cells; act_act: the "
                                               "digital engine of the act x act matmuls.")
    for group in LLM_GROUPS:
        values = [float(v) / float(t) * 1e-6 for v, t in zip(sub[f"energy_pj.{group}"], sub.tokens)]
        spec.series.append(Series(group, labels, values, kind="bar", color=GROUP_COLORS[group]))
    return spec


def tokens_energy_figure(table: pd.DataFrame) -> FigureSpec:
    """Tokens/s against energy per token for every point of the grid."""
    spec = FigureSpec("llm_tokens_vs_energy", "Tokens/s vs energy per token (all points)", "energy per token (uJ)",
                      "tokens/s", x_log=True, y_log=True)
    for (kind, cell), sub in table.groupby(["kind", "cell"], sort=False):
        text = [f"{r.model} {r.phase} b{r.batch} {r.act_act}" for r in sub.itertuples()]
        spec.series.append(Series(f"{kind.upper()} {cell}", list(sub.energy_per_token_uj), list(sub.tokens_per_s),
                                  kind="scatter", color=DIMC_COLOR if kind == "dimc" else CELL_COLORS.get(cell),
                                  marker="o" if kind == "aimc" else "s", text=text))
    return spec


SUMMARY_COLUMNS = ("model", "phase", "batch", "kind", "cell", "act_act", "regime", "energy_per_token_uj",
                   "tokens_per_s", "area_mm2", "weight_load_share", "kv_cache_share", "lifetime_years",
                   "worst_sqnr_db", "eval_s")


def write_llm_report(out: Path, settings, table: pd.DataFrame, sweep: pd.DataFrame, findings, wall_s: float,
                     skipped: dict[str, str] | None = None) -> None:
    """Write the figures (PNG, SVG) and ``llm_report.html`` into ``out``."""
    figures = [energy_vs_batch_figure(sweep)]
    first_model, policy = table.model.iloc[0], table.act_act.iloc[0]
    for phase in ("decode", "prefill"):
        figures.append(breakdown_figure(table, first_model, phase, int(table.batch.min()), policy))
    figures.append(tokens_energy_figure(table))
    for spec in figures:
        save_static(spec, out / "figures")
    finding_lines = [f"<div class='finding'><b>{escape(f.verdict)}</b>: {escape(f.statement)}</div>"
                     for f in findings]
    summary = table[list(SUMMARY_COLUMNS)].copy()
    summary["lifetime_years"] = [("no wear" if not math.isfinite(v) else v) for v in summary.lifetime_years]
    sections = [
        Section("Findings (computed from this run)", finding_lines),
        Section("Figures", [], figures),
        Section("All points", [escape(
            f"Paper systems of {settings.rows} rows; prefill N = {settings.prefill_tokens}, decode L = "
            f"{settings.decode_length}; KV cache in {settings.kv_cache}. Energy per token in uJ; eval_s is the "
            "wall time of one evaluation.")], [], [("LLM study", summary)]),
        Section("Not modeled", [escape("Embedding lookups, layer norms, softmax, activation functions, rotary "
                                       "embeddings and residual adds carry no MACs here and are left out; the "
                                       "prefill computes the whole N x N score matrix (masked dense kernel).  "
                                       "The resident-weights regime is not in this study: holding GPT-2 takes "
                                       "~15,000 macros of 256 x 256, and the paper system's L2 port scales with "
                                       "the macro count (8 x rows x macros bits), which such a system would "
                                       "not have; evaluate it with imcbench llm on a hardware file of its own.")]
                + [escape(f"Design left out: {k}: {v}") for k, v in (skipped or {}).items()]),
    ]
    intro = (f"<p class='note'>{escape(f'LLM study of {len(table)} points and a batch sweep of {len(sweep)} in {wall_s:.1f} s.')}</p>")
    write(out / "llm_report.html", "imcbench: LLMs on AIMC and DIMC", sections, intro)


def run_llm_study(settings: LLMStudySettings, out: Path, *, force: bool = False,
                  progress: Callable[[str], None] = lambda m: None) -> LLMStudyResult:
    """Run the LLM study and write its CSV tables, findings (JSON), figures and ``llm_report.html``."""
    out = Path(out)
    existing = [name for name in RESULT_FILES if (out / name).exists()]
    if existing and not force:
        raise ImcbenchError(f"{out} already holds an LLM study ({existing[0]}); use --force to overwrite it "
                            "or --out for another folder")
    result = llm_study(settings, progress)
    out.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out / "llm_results.csv", index=False)
    result.sweep.to_csv(out / "llm_break_even.csv", index=False)
    (out / "llm_findings.json").write_text(json.dumps(plain(result.findings_document(), non_finite="string"),
                                                      indent=2))
    progress("LLM study: figures")
    write_llm_report(out, settings, result.table, result.sweep, result.findings, result.wall_s, result.skipped)
    return replace(result, out_dir=out)
