"""LLM workloads: layer shapes and MAC counts against closed forms, names, YAML configs, bad input."""

from __future__ import annotations

import pytest

from imcbench.errors import ImcbenchError
from imcbench.workload import LayerKind, load_workload
from imcbench.workload.llm import (BUILTIN_LLMS, LLMConfig, builtin_llm, llm_decode, llm_prefill,
                                   load_llm_workload, parse_llm_name)
from tests.conftest import assert_user_error, run_cli


def closed_form_macs(h, layers, heads, kv_heads, ffn, vocab, swiglu, queries, keys, batch):
    """MACs written out independently: projections 2 h^2 + 2 h (kv_heads * h / heads), FFN 2 or 3 h f per
    token and layer; attention 2 x heads x head_dim x keys per query token; LM head h V per sequence."""
    d = h // heads
    per_token_weights = 2 * h * h + 2 * h * kv_heads * d + (3 if swiglu else 2) * h * ffn
    attention = 2 * heads * d * keys
    return batch * (layers * queries * (per_token_weights + attention) + h * vocab)


@pytest.mark.parametrize("name", list(BUILTIN_LLMS))
@pytest.mark.parametrize("phase,length,batch", [("decode", 1024, 1), ("decode", 77, 16), ("prefill", 128, 2)])
def test_macs_match_closed_form(name, phase, length, batch):
    c = builtin_llm(name)
    work = (llm_decode if phase == "decode" else llm_prefill)(c, length, batch)
    queries = 1 if phase == "decode" else length
    expected = closed_form_macs(c.hidden, c.layers, c.heads, c.kv_heads, c.ffn, c.vocab, c.ffn_kind == "swiglu",
                                queries, length, batch)
    assert work.network.total_macs == expected
    assert work.tokens == batch * queries


def test_published_parameter_counts():
    # matmul weights (the LM head holds the tied embedding): GPT-2 124M (wpe 0.8M and norms excluded),
    # Llama-3.2-1B 1.24B, Llama-2-7B 6.74B minus the 131M input embedding (untied, a lookup)
    weights = {n: llm_decode(builtin_llm(n), 8).network.total_weights for n in BUILTIN_LLMS}
    assert weights["gpt2"] == pytest.approx(124.4e6 - 0.79e6 - 0.04e6, rel=0.002)
    assert weights["llama-3.2-1b"] == pytest.approx(1.2358e9, rel=0.002)
    assert weights["llama-2-7b"] == pytest.approx(6.738e9 - 32000 * 4096, rel=0.002)


def test_gqa_shapes():
    c = builtin_llm("llama-3.2-1b")  # 32 heads, 8 KV heads, head size 64
    net = llm_decode(c, 300, batch=4).network
    k = net["block0.attn.k"]
    assert (k.K, k.C, k.B, k.kind) == (512, 2048, 4, LayerKind.FC)
    scores = net["block0.attn.scores"]
    assert scores.kind is LayerKind.ATTENTION
    assert (scores.G, scores.K, scores.C, scores.OX, scores.B) == (8, 300, 64, 4, 4)
    context = net["block0.attn.context"]
    assert (context.G, context.K, context.C, context.OX) == (8, 64, 300, 4)
    # the act x act operand in the array is the KV cache of one layer: kv_heads x L x head_dim per sequence
    assert scores.weight_operand_elements == 8 * 300 * 64 * 4
    assert [l.name for l in net if l.name.startswith("block0.ffn")] == ["block0.ffn.gate", "block0.ffn.up",
                                                                         "block0.ffn.down"]
    assert net["block0.ffn.down"].inputs == ("block0.ffn.gate", "block0.ffn.up")


def test_prefill_tokens_in_ox_and_lm_head_on_last_token():
    c = builtin_llm("gpt2")
    net = llm_prefill(c, 64, batch=3).network
    assert net["block5.attn.q"].OX == 64 and net["block5.attn.q"].kind is LayerKind.MATMUL
    assert (net["block5.attn.scores"].K, net["block5.attn.scores"].OX) == (64, 64)
    head = net["lm_head"]
    assert (head.K, head.C, head.OX, head.B) == (50257, 768, 1, 3)
    no_head = llm_prefill(LLMConfig("x", 64, 2, 4, 128, 1000, 128, lm_head=False), 8).network
    assert "lm_head" not in [l.name for l in no_head]


@pytest.mark.parametrize("text,phase,length,batch", [
    ("gpt2:decode:L=1024", "decode", 1024, 1), ("gpt2-decode-1024", "decode", 1024, 1),
    ("gpt2:prefill:N=512:B=16", "prefill", 512, 16), ("Llama-3.2-1B-prefill-128-b4", "prefill", 128, 4),
    ("llama-2-7b:decode", "decode", 1024, 1)])
def test_names(text, phase, length, batch):
    work = parse_llm_name(text)
    assert (work.phase, work.length, work.batch) == (phase, length, batch)
    assert load_workload(text).total_macs == work.network.total_macs
    assert load_workload(text, batch=3).layers[0].B == 3


def test_yaml_config(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text("llm: {hidden: 256, layers: 3, heads: 8, kv_heads: 2, ffn: 512, vocab: 1000, "
                    "ffn_kind: swiglu}\nphase: prefill\nlength: 32\nbatch: 2\n")
    work = load_llm_workload(str(path))
    assert (work.config.name, work.phase, work.length, work.batch) == ("tiny", "prefill", 32, 2)
    assert work.network.total_macs == closed_form_macs(256, 3, 8, 2, 512, 1000, True, 32, 32, 2)
    assert load_workload(path).total_macs == work.network.total_macs
    assert parse_llm_name(f"{path}:decode:L=9").length == 9


@pytest.mark.parametrize("fields,needle", [
    (dict(hidden=100, heads=12), "do not divide the hidden size"),
    (dict(layers=0), "layers = 0"),
    (dict(kv_heads=5), "KV heads do not divide"),
    (dict(ffn_kind="relu"), "ffn_kind"),
])
def test_bad_config(fields, needle):
    base = dict(name="m", hidden=768, layers=2, heads=12, ffn=3072, vocab=100, context=64) | fields
    with pytest.raises(ImcbenchError, match=needle):
        LLMConfig(**base)


@pytest.mark.parametrize("text,needle", [("gpt2:decode:L=0", "KV-cache length L = 0"),
                                         ("gpt2:prefill:N=0", "prompt length N = 0"),
                                         ("gpt2:decode:N=5", "decode takes L="),
                                         ("gpt2:decode:X=5", "is not an option"),
                                         ("gpt2:sample", "give the phase"),
                                         ("gtp3:decode", "unknown LLM")])
def test_bad_names(text, needle):
    with pytest.raises(ImcbenchError, match=needle):
        load_workload(text)


def test_bad_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("llm: {hidden: 768, layers: 0, heads: 12, ffn: 3072, vocab: 10}\n")
    with pytest.raises(ImcbenchError, match="layers = 0"):
        load_workload(path)
    path.write_text("llm: {hidden: 768, layers: 2, heads: 12, ffn: 3072, vocab: 10, dropout: 0.1}\n")
    with pytest.raises(ImcbenchError, match="llm.dropout"):
        load_workload(path)


def test_cli_workload_llm():
    result = run_cli("workload", "gpt2:decode:L=128", "--batch", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["total_macs"] == closed_form_macs(768, 12, 12, 12, 3072, 50257, False, 1, 128, 2)
    assert_user_error(run_cli("workload", "gpt2:decode:L=0"), "L = 0")
    assert_user_error(run_cli("workload", "gpt2:decode", "--batch", "0"), "batch")


def test_residual_stream_keeps_two_producers():
    net = llm_decode(builtin_llm("llama-2-7b"), 16).network
    assert net["block0.attn.q"].inputs == ()
    assert net["block1.attn.q"].inputs == ("block0.attn.out", "block0.ffn.down")
    assert net["block31.ffn.gate"].inputs == ("block30.ffn.down", "block31.attn.out")
    assert max(len(layer.inputs) for layer in net) == 2  # bounded: liveness does not pile up blocks
