"""The LLM study: findings follow the numbers (verdicts flip when the numbers do), the break-even batch,
the files it writes, and the CLI (imcbench llm, imcbench study --llm) with bad input."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from imcbench.errors import ImcbenchError
from imcbench.report.llm_report import run_llm_study
from imcbench.studies.llm import LLMStudySettings
from imcbench.studies.llm_findings import break_even_batch, compare, llm_findings
from tests.conftest import assert_user_error, run_cli


def row(kind, cell, energy, tokens_per_s=10.0, phase="decode", batch=1, model="m", act_act="array",
        weight_share=0.9, lifetime=math.inf, sqnr=20.0):
    return {"model": model, "phase": phase, "batch": batch, "kind": kind, "cell": cell, "act_act": act_act,
            "energy_per_token_uj": energy, "tokens_per_s": tokens_per_s, "weight_load_share": weight_share,
            "lifetime_years": lifetime, "worst_sqnr_db": sqnr}


def finding(findings, key):
    return next(f for f in findings if f.key == key)


def test_compare_ties_and_direction():
    assert compare(1.0, 2.0) == "holds"
    assert compare(2.0, 1.0) == "does not hold"
    assert compare(1.0, 1.01) == "tie"


@pytest.mark.parametrize("aimc,dimc,verdict", [(80.0, 100.0, "holds"), (120.0, 100.0, "does not hold"),
                                                (100.5, 100.0, "tie")])
def test_aimc_vs_dimc_verdict_follows_the_numbers(aimc, dimc, verdict):
    table = pd.DataFrame([row("aimc", "sram6t", aimc), row("dimc", "sram6t", dimc)])
    f = finding(llm_findings(table), "aimc_beats_dimc.decode.array.b1")
    assert f.verdict == verdict
    assert f.numbers["m"]["aimc_uj_per_token"] == aimc


def test_mixed_verdict_over_models():
    table = pd.DataFrame([row("aimc", "sram6t", 1.0, model="a"), row("dimc", "sram6t", 2.0, model="a"),
                          row("aimc", "sram6t", 3.0, model="b"), row("dimc", "sram6t", 2.0, model="b")])
    assert finding(llm_findings(table), "aimc_beats_dimc.decode.array.b1").verdict.startswith("mixed (holds for 1 of 2")


def test_weight_share_and_speed_and_lifetime_findings():
    table = pd.DataFrame([row("aimc", "sram6t", 1.0, tokens_per_s=5, weight_share=0.4),
                          row("dimc", "sram6t", 1.0, tokens_per_s=20, weight_share=0.7),
                          row("aimc", "rram", 3.0, lifetime=0.5)])
    found = llm_findings(table)
    assert finding(found, "decode_weight_loading_dominates").verdict.startswith("mixed")
    assert finding(found, "dimc_more_tokens_per_s").verdict == "holds"
    assert finding(found, "nvm_lifetime").numbers["shortest"]["years"] == 0.5
    assert finding(found, "sram_beats_nvm.decode").verdict == "holds"


def sweep_of(aimc_by_batch, dimc_by_batch, cell="rram"):
    rows = [{"model": "m", "phase": "decode", "batch": b, "kind": "aimc", "cell": cell, "energy_per_token_uj": e}
            for b, e in aimc_by_batch.items()]
    rows += [{"model": "m", "phase": "decode", "batch": b, "kind": "dimc", "cell": "sram6t", "energy_per_token_uj": e}
             for b, e in dimc_by_batch.items()]
    return pd.DataFrame(rows)


def test_break_even_batch():
    dimc = {1: 10.0, 4: 10.0, 16: 10.0}
    assert break_even_batch(sweep_of({1: 40.0, 4: 12.0, 16: 9.0}, dimc), "decode", "rram") == 16
    assert break_even_batch(sweep_of({1: 40.0, 4: 10.1, 16: 9.0}, dimc), "decode", "rram") == 4  # a tie counts
    assert break_even_batch(sweep_of({1: 40.0, 4: 30.0, 16: 20.0}, dimc), "decode", "rram") is None
    found = llm_findings(pd.DataFrame([row("aimc", "sram6t", 1.0), row("dimc", "sram6t", 1.0)]),
                         sweep_of({1: 40.0, 4: 30.0}, {1: 10.0, 4: 10.0}))
    assert "not within batch 4" in finding(found, "break_even.decode.array").verdict


SMALL = dict(models=("gpt2",), prefill_tokens=32, decode_length=64, batches=(1, 4), cells=("sram6t", "rram"),
             rows=64, break_even_batches=(1, 4))


def test_small_study_writes_its_files(tmp_path):
    result = run_llm_study(LLMStudySettings(**SMALL), tmp_path)
    # 1 model x 2 phases x 2 batches x 3 designs (AIMC SRAM, AIMC RRAM, DIMC SRAM) x 2 act x act policies
    assert len(result.table) == 24
    assert list(result.skipped) == ["dimc rram"]  # DIMC computes on digital cells: left out, and said so
    for name in ("llm_results.csv", "llm_break_even.csv", "llm_findings.json", "llm_report.html",
                 "figures/llm_energy_vs_batch.png", "figures/llm_energy_vs_batch.svg"):
        assert (tmp_path / name).exists(), name
    data = json.loads((tmp_path / "llm_findings.json").read_text())  # strict JSON (no Infinity)
    keys = {f["key"] for f in data["findings"]}
    assert {"aimc_beats_dimc.decode.array.b1", "break_even.decode.array", "break_even.decode.digital_unit",
            "aimc_sqnr"} <= keys
    table = result.table
    # energy per token is the step's energy over its tokens (prefill: N x B)
    prefill = table[(table.phase == "prefill") & (table.batch == 4)].iloc[0]
    assert prefill.tokens == 128
    assert prefill.energy_per_token_uj == pytest.approx(prefill.energy_pj / 128 * 1e-6)
    # the AIMC SQNR is finite and below DIMC's exact arithmetic
    aimc, dimc = table[table.kind == "aimc"], table[table.kind == "dimc"]
    assert aimc.worst_sqnr_db.max() < dimc.worst_sqnr_db.min()
    # the result object is what the files hold: its findings (verdicts in order) and its grid
    assert result.out_dir == tmp_path
    as_dict = result.to_dict()
    assert [(f["key"], f["verdict"]) for f in as_dict["findings"]] == [(f["key"], f["verdict"]) for f in data["findings"]]
    assert as_dict["skipped"] == data["skipped_designs"] and len(as_dict["sweep"]) == len(result.sweep)
    written = pd.read_csv(tmp_path / "llm_results.csv")
    frame = result.to_frame()
    assert list(frame.columns) == list(written.columns) and len(frame) == len(written) == len(as_dict["table"])
    assert frame.energy_per_token_uj.to_numpy() == pytest.approx(written.energy_per_token_uj.to_numpy(), rel=1e-12)
    assert (frame.kind.to_numpy() == written.kind.to_numpy()).all()
    with pytest.raises(ImcbenchError, match="--force"):
        run_llm_study(LLMStudySettings(**SMALL), tmp_path)


def test_settings_reject_bad_input():
    with pytest.raises(ImcbenchError, match="unknown"):
        LLMStudySettings(cells=("unobtainium",))
    with pytest.raises(ImcbenchError, match="unknown LLM"):
        LLMStudySettings(models=("gpt5",))
    with pytest.raises(ImcbenchError, match="multiple of 8"):
        LLMStudySettings(rows=100)


def test_cli_llm(tmp_path):
    result = run_cli("llm", "gpt2:decode:L=64", "-H", "paper-aimc-64", "--act-act", "digital_unit", "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert (data["act_act"], data["regime"], data["tokens"]) == ("digital_unit", "streamed", 1)
    assert data["energy_per_token_uj"] == pytest.approx(data["energy_pj"] * 1e-6)
    assert_user_error(run_cli("llm", "gpt2:decode:L=0", "-H", "paper-aimc-64"), "L = 0")
    assert_user_error(run_cli("llm", "gpt2:decode", "-H", "paper-aimc-64", "--act-act", "gpu"), "act x act policy")
    bad = tmp_path / "heads.yaml"
    bad.write_text("llm: {hidden: 100, layers: 2, heads: 12, ffn: 256, vocab: 100}\n")
    assert_user_error(run_cli("llm", str(bad), "-H", "paper-aimc-64"), "do not divide the hidden size")
    zero = tmp_path / "zero.yaml"
    zero.write_text("llm: {hidden: 96, layers: 0, heads: 12, ffn: 256, vocab: 100}\n")
    assert_user_error(run_cli("llm", str(zero), "-H", "paper-aimc-64"), "layers = 0")
    hw = tmp_path / "hw.yaml"
    hw.write_text("macro: {kind: aimc, rows: 64, cols: 64, cell: unobtainium}\n"
                  "memories:\n  - {name: dram, kind: dram, operands: [W, I, O], size_mb: 100, bandwidth_bits: 64}\n")
    assert_user_error(run_cli("llm", "gpt2:decode:L=8", "-H", str(hw)), "unobtainium")
    assert_user_error(run_cli("llm", "gpt2:decode:L=8", "-H", "paper-aimc-64", "--cell", "unobtainium"),
                      "unobtainium")
    rram = run_cli("llm", "gpt2:decode:L=64", "-H", "paper-aimc-64", "--cell", "rram", "--json").json()
    assert (rram["cell"], rram["regime"]) == ("rram", "reprogrammed") and rram["lifetime_years"] < 1


def test_cli_study_llm_keeps_an_existing_study(tmp_path):
    (tmp_path / "llm_results.csv").write_text("kept\n")
    assert_user_error(run_cli("study", "--llm", "--out", str(tmp_path)), "--force")
    assert (tmp_path / "llm_results.csv").read_text() == "kept\n"


def test_cli_study_llm_refuses_options_it_does_not_take(tmp_path):
    assert_user_error(run_cli("study", "--llm", "--out", str(tmp_path), "--networks", "resnet8"),
                      "--networks: not an option of the LLM study")
    assert_user_error(run_cli("study", "--llm", "--out", str(tmp_path), "--sizes", "64,128"), "one macro size")
    assert not any(tmp_path.iterdir())  # refused before any work
