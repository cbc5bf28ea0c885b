"""Time one evaluation of every built-in LLM, prefill and decode, on the paper's AIMC and DIMC systems.

A transformer's blocks repeat: the mapper maps each distinct layer shape once (evaluate's cache of
identical layers) and the act x act layers are costed once per shape, so a step of a 7B model costs about
as much as one block. Target: a decode step of Llama-2-7B in under 1 s.

    python benchmarks/bench_llm.py [--repeat 3] [--batch 1] [--length 1024] [--cells sram6t,rram] [--models gpt2]

Prints, per case, the best wall time of one evaluation, energy per token, tokens/s and the share of the
energy spent (re)loading weights (default policy: act x act in the array, KV cache in DRAM).
"""

from __future__ import annotations

import argparse
import time

from imcbench.errors import ImcbenchError
from imcbench.hardware import build_system
from imcbench.hardware.presets import paper_system_config
from imcbench.llm_eval import LLMPolicy, evaluate_llm
from imcbench.workload.llm import BUILTIN_LLMS, llm_decode, llm_prefill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (the best is printed)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--length", type=int, default=1024, help="prefill N and decode L")
    parser.add_argument("--cells", default="sram6t", help="memory cells, comma separated (e.g. sram6t,rram)")
    parser.add_argument("--models", default=",".join(BUILTIN_LLMS), help="built-in LLMs, comma separated")
    args = parser.parse_args()
    systems = []
    for cell in args.cells.split(","):
        for kind in ("aimc", "dimc"):
            try:
                systems.append((cell, build_system(paper_system_config(kind, 256, cell=cell))))
            except ImcbenchError as exc:
                print(f"left out: {kind} {cell}: {exc}")
    print(f"{'model':14s} {'phase':8s} {'system':20s} {'cell':7s} {'layers':>6s} {'best s':>8s} {'uJ/token':>10s} "
          f"{'tokens/s':>9s} {'weights':>8s}")
    for name in args.models.split(","):
        config = BUILTIN_LLMS[name]
        for phase, build in (("prefill", llm_prefill), ("decode", llm_decode)):
            work = build(config, args.length, args.batch)
            for cell, system in systems:
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    result = evaluate_llm(work, system, LLMPolicy())
                    times.append(time.perf_counter() - start)
                print(f"{name:14s} {phase:8s} {system.name:20s} {cell:7s} {len(work.network):6d} {min(times):8.3f} "
                      f"{result.energy_per_token_uj:10.1f} {result.tokens_per_s:9.2f} {result.weight_load_share:8.1%}")


if __name__ == "__main__":
    main()
