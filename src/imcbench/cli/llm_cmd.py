"""``imcbench llm``: one LLM step (prefill or decode) on a system, with its act x act and KV-cache policy."""

from __future__ import annotations

import math
import time
from typing import Optional

import typer
from rich.table import Table

from imcbench.cli.app import app, console, print_json
from imcbench.errors import ImcbenchError


@app.command("llm")
def llm_command(
    workload: str = typer.Argument(..., metavar="WORKLOAD",
                                   help="an LLM workload: gpt2:decode:L=1024, llama-3.2-1b-prefill-512, "
                                        "llama-2-7b:decode:L=4096:B=16, or a YAML file with an 'llm:' mapping"),
    hardware: str = typer.Option(..., "--hardware", "-H", help="hardware YAML or a preset like paper-aimc-256"),
    batch: Optional[int] = typer.Option(None, "--batch", help="sequences per step (overrides B= in the name)"),
    act_act: Optional[str] = typer.Option(None, "--act-act",
                                          help="where Q K^T and scores V run: array, aimc_write, dimc_write, "
                                               "digital_unit, digital_core (default: the system's options.act_act)"),
    kv_cache: Optional[str] = typer.Option(None, "--kv-cache", help="where the KV cache lives: dram, sram or imc "
                                                                    "(default: the system's options.kv_cache)"),
    cell: Optional[str] = typer.Option(None, "--cell", help="replace the macros' memory cell (sram6t, rram, pcm, ...) "
                                                            "with its write energy and write time"),
    token_rate: Optional[float] = typer.Option(None, "--token-rate",
                                               help="tokens/s for the cells' lifetime (default: the evaluated rate)"),
    objective: str = typer.Option("energy", "--objective", help="mapper objective: energy, latency or edp"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Energy per token, tokens/s, area, weights regime, KV-cache share and cell lifetime of one LLM step."""
    from imcbench.hardware import load_system
    from imcbench.llm_eval import LLMPolicy, evaluate_llm, with_cell
    from imcbench.results import plain
    from imcbench.workload.llm import load_llm_workload

    work = load_llm_workload(workload, batch)
    if work is None:
        raise ImcbenchError(f"{workload!r} is not an LLM workload; use MODEL:PHASE[:L=..|N=..][:B=..] "
                            "(e.g. gpt2:decode:L=1024) or a YAML file with an 'llm:' mapping")
    system = load_system(hardware)
    if cell is not None:
        system = with_cell(system, cell)
    act_act = act_act or system.options.act_act
    kv_cache = kv_cache or system.options.kv_cache
    policy = LLMPolicy(act_act, kv_cache, token_rate)
    start = time.perf_counter()
    result = evaluate_llm(work, system, policy, objective)
    elapsed = time.perf_counter() - start
    if as_json:
        print_json(plain(result.to_dict() | {"eval_s": elapsed}, non_finite="string"))
        return
    table = Table(title=f"{work.describe()} on {result.result.system} ({result.kind}, {result.cell} cells)",
                  show_header=False)
    life = result.lifetime_years
    rows = [("energy per token", f"{result.energy_per_token_uj:,.2f} uJ"),
            ("tokens/s", f"{result.tokens_per_s:,.2f}"),
            ("area", f"{result.area_mm2:,.3f} mm2"),
            ("weights", f"{work.network.total_weights:,} in macros holding {result.weight_capacity:,}: "
                        f"{result.regime}"),
            ("weight (re)loading", f"{result.weight_load_share:.1%} of the energy"),
            ("KV cache", f"{kv_cache}, {work.kv_cache_elements:,} entries, {result.kv_cache_share:.1%} of the energy"),
            ("act x act", act_act),
            ("cell lifetime", "no wear-out" if not math.isfinite(life) else f"{life:.3g} years"),
            ("evaluation time", f"{elapsed:.3f} s")]
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)

