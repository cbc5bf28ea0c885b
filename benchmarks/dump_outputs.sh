#!/bin/bash
# Dump every number a refactoring must keep bit-identical, from the checkout this script lives in:
#   benchmarks/dump_outputs.sh OLD_OUTDIR OLD_CHECKOUT   (e.g. a `git worktree add` of the old commit)
#   benchmarks/dump_outputs.sh NEW_OUTDIR                (this checkout)
#   python3.11 benchmarks/compare_outputs.py OLD_OUTDIR NEW_OUTDIR
# Layer results of 70 evaluate runs (check_bit_identical.py), the default study, the paper sweep (its DuckDB
# tables exported with full precision), validate, macro, scaling, the LLM study and one LLM step. ~3 min.
set -euo pipefail
O="$(realpath -m "$1")"
cd "${2:-$(dirname "$0")/..}"
export PYTHONPATH="$PWD/src"
rm -rf "$O"; mkdir -p "$O"
python3.11 benchmarks/check_bit_identical.py "$O/layers.json" > "$O/layers.log" 2>&1
python3.11 -m imcbench study --out "$O/study" > "$O/study.log" 2>&1
python3.11 -m imcbench sweep examples/paper_sweep.yaml --out "$O/sweep.duckdb" --executor serial > "$O/sweep.log" 2>&1
for table in results layers; do
  python3.11 -m imcbench results "$O/sweep.duckdb" --export "$O/sweep_$table.csv" \
    --query "SELECT * FROM $table ORDER BY ALL" > /dev/null
done
python3.11 -m imcbench validate --json > "$O/validate.json" 2> "$O/validate.log"
python3.11 -m imcbench macro aimc --rows 256 --cols 256 --json > "$O/macro.json"
python3.11 -m imcbench scaling --json > "$O/scaling.json" 2> "$O/scaling.log"
python3.11 -m imcbench study --llm --out "$O/llm_study" > "$O/llm_study.log" 2>&1
python3.11 -m imcbench llm gpt2:decode:L=1024 -H paper-aimc-256 --cell rram --json > "$O/llm.json" 2> "$O/llm.log"
echo "outputs in $O"
