"""Time one evaluation of every built-in LLM, prefill and decode, on the paper's AIMC and DIMC systems.

A transformer's blocks repeat: the mapper maps each distinct layer shape once (evaluate's cache of
identical layers) and the act x act layers are costed once per shape, so a step of a 7B model costs about
as much as one block. Target: a decode step of Llama-2-7B in under 1 s.

    python benchmarks/bench_llm.py [--repeat 3] [--batch 1] [--length 1024]
"""

from __future__ import annotations

import argparse
import time

from imcbench.hardware import load_system
from imcbench.llm_eval import LLMPolicy, evaluate_llm
from imcbench.workload.llm import BUILTIN_LLMS, llm_decode, llm_prefill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (the best is printed)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--length", type=int, default=1024, help="prefill N and decode L")
    args = parser.parse_args()
    systems = [load_system("paper-aimc-256"), load_system("paper-dimc-256")]
    print(f"{'model':14s} {'phase':8s} {'system':20s} {'layers':>6s} {'best s':>8s} {'uJ/token':>12s} {'tokens/s':>10s}")
    for name, config in BUILTIN_LLMS.items():
        for phase, build in (("prefill", llm_prefill), ("decode", llm_decode)):
            work = build(config, args.length, args.batch)
            for system in systems:
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    result = evaluate_llm(work, system, LLMPolicy())
                    times.append(time.perf_counter() - start)
                print(f"{name:14s} {phase:8s} {system.name:20s} {len(work.network):6d} {min(times):8.3f} "
                      f"{result.energy_per_token_uj:12.1f} {result.tokens_per_s:10.2f}")


if __name__ == "__main__":
    main()
