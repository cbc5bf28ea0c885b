"""Decoder-only LLMs (GPT-2, Llama) as workloads: prefill and decode, from a model config. No weights.

A transformer block, for one sequence of T query tokens attending to L keys (``LLMConfig`` sizes:
hidden h, heads H, KV heads Hkv (grouped-query attention), head size d = h / H, FFN width f)::

    q   = x Wq            matmul   K = H d,    C = h       (T tokens)
    k,v = x Wk, x Wv      matmul   K = Hkv d,  C = h       (T tokens, appended to the KV cache)
    s   = q k^T           attention (act x act), per KV head: G = Hkv, K = L keys, C = d,
                          OX = T x H/Hkv (the query heads sharing one K are stacked as rows)
    c   = s v             attention, per KV head: G = Hkv, K = d, C = L, OX = T x H/Hkv
    o   = c Wo            matmul   K = h, C = H d
    FFN GELU (GPT-2):     up K = f, C = h; down K = h, C = f
    FFN SwiGLU (Llama):   gate, up K = f, C = h; down K = h, C = f

Prefill: T = L = N (the prompt; the whole N x N score matrix is computed, as a masked dense kernel
does: causal masking halves the useful work, not the work done). Decode: T = 1, L = the KV-cache
length (the new token included). The batch B is the layers' B loop. The LM head (K = vocabulary,
C = h) runs on the last token of each sequence only (the one whose next token is sampled), optional.
Embedding lookups, norms, softmax, rotary embeddings and the activation functions carry no MACs and
are not modeled (they are counted in ``LLMWorkload.not_modeled``).

Built-in shapes (published model configs, Hugging Face ``config.json``):

``gpt2``           GPT-2 small: h 768, 12 layers, 12 heads, FFN 3072, vocabulary 50257, context 1024
                   (Radford et al. 2019; openai-community/gpt2)
``llama-3.2-1b``   h 2048, 16 layers, 32 heads, 8 KV heads, FFN 8192 (SwiGLU), vocabulary 128256,
                   context 131072 (meta-llama/Llama-3.2-1B)
``llama-2-7b``     h 4096, 32 layers, 32 heads, 32 KV heads, FFN 11008 (SwiGLU), vocabulary 32000,
                   context 4096 (Touvron et al. 2023; meta-llama/Llama-2-7b-hf)

Workload names: ``gpt2:decode:L=1024``, ``gpt2:prefill:N=512:B=16``, ``gpt2-decode-1024``,
``llama-2-7b-prefill-128``; a YAML file with an ``llm:`` mapping (see :func:`load_llm_yaml`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from imcbench.errors import ImcbenchError
from imcbench.workload.layer import Layer, LayerKind
from imcbench.workload.network import Network

Phase = Literal["prefill", "decode"]
PHASES = ("prefill", "decode")
FFN_KINDS = ("gelu", "swiglu")
MAX_LLM_SIZE = 1 << 20  # hidden, FFN, vocabulary, lengths: beyond this a config is a typo
MAX_LLM_LAYERS = 1024
MAX_BATCH = 1 << 16
NOT_MODELED = ("embedding lookup", "layer norms", "softmax", "activation functions (GELU/SiLU)",
               "rotary position embedding", "residual adds")


@dataclass(frozen=True)
class LLMConfig:
    """The shape of a decoder-only transformer (no weights). ``kv_heads`` = ``heads`` for multi-head
    attention, fewer for grouped-query attention. ``ffn_kind``: ``gelu`` (2 matmuls) or ``swiglu`` (3)."""

    name: str
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    context: int
    kv_heads: int | None = None
    ffn_kind: str = "gelu"
    lm_head: bool = True

    def __post_init__(self) -> None:
        if self.kv_heads is None:
            object.__setattr__(self, "kv_heads", self.heads)
        label = f"LLM config {self.name!r}"
        for field_name, upper in (("hidden", MAX_LLM_SIZE), ("layers", MAX_LLM_LAYERS), ("heads", MAX_LLM_SIZE),
                                  ("kv_heads", MAX_LLM_SIZE), ("ffn", MAX_LLM_SIZE), ("vocab", MAX_LLM_SIZE),
                                  ("context", MAX_LLM_SIZE)):
            _check_count(getattr(self, field_name), f"{label}: {field_name}", upper)
        if self.hidden % self.heads:
            raise ImcbenchError(f"{label}: {self.heads} heads do not divide the hidden size {self.hidden}; "
                                "the head size must be hidden / heads")
        if self.heads % self.kv_heads:
            raise ImcbenchError(f"{label}: {self.kv_heads} KV heads do not divide the {self.heads} heads "
                                "(grouped-query attention shares one KV head among heads / kv_heads heads)")
        if self.ffn_kind not in FFN_KINDS:
            raise ImcbenchError(f"{label}: ffn_kind {self.ffn_kind!r} is not known; use gelu or swiglu")
        if not isinstance(self.lm_head, bool):
            raise ImcbenchError(f"{label}: lm_head must be true or false, not {self.lm_head!r}")

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def group(self) -> int:
        """Query heads per KV head."""
        return self.heads // self.kv_heads

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def block_weights(self) -> int:
        """Weights of one transformer block's matmuls (biases and norms left out)."""
        h, f = self.hidden, self.ffn
        ffn = (3 if self.ffn_kind == "swiglu" else 2) * h * f
        return 2 * h * h + 2 * h * self.kv_dim + ffn

    def kv_cache_elements(self, length: int, batch: int = 1) -> int:
        """K and V entries of all layers for ``batch`` sequences of ``length`` tokens."""
        return 2 * self.layers * self.kv_dim * length * batch

    def to_dict(self) -> dict:
        return asdict(self)


def _check_count(value, label: str, upper: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        raise ImcbenchError(f"{label} = {value!r} must be an integer in 1..{upper}")


BUILTIN_LLMS: dict[str, LLMConfig] = {
    "gpt2": LLMConfig("gpt2", hidden=768, layers=12, heads=12, ffn=3072, vocab=50257, context=1024),
    "llama-3.2-1b": LLMConfig("llama-3.2-1b", hidden=2048, layers=16, heads=32, kv_heads=8, ffn=8192,
                              vocab=128256, context=131072, ffn_kind="swiglu"),
    "llama-2-7b": LLMConfig("llama-2-7b", hidden=4096, layers=32, heads=32, kv_heads=32, ffn=11008,
                            vocab=32000, context=4096, ffn_kind="swiglu"),
}
_LLM_ALIASES = {"gpt2small": "gpt2", "gpt2s": "gpt2", "llama3.21b": "llama-3.2-1b", "llama321b": "llama-3.2-1b",
                "llama27b": "llama-2-7b", "llama7b": "llama-2-7b"}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


_LLM_LOOKUP = {**{_key(n): n for n in BUILTIN_LLMS}, **{_key(k): v for k, v in _LLM_ALIASES.items()}}


def builtin_llm(name: str) -> LLMConfig:
    """The built-in config ``name`` (``gpt2``, ``llama-3.2-1b``, ``llama-2-7b``); ImcbenchError otherwise."""
    canonical = _LLM_LOOKUP.get(_key(name)) or _LLM_LOOKUP.get(_key(name).replace(".", ""))
    if canonical is None:
        close = difflib.get_close_matches(_key(name), list(_LLM_LOOKUP), n=1, cutoff=0.6)
        hint = f"did you mean {_LLM_LOOKUP[close[0]]!r}? " if close else ""
        raise ImcbenchError(f"unknown LLM {name!r}; {hint}built-in LLMs: {', '.join(BUILTIN_LLMS)} "
                            "(or a YAML file with an 'llm:' mapping)")
    return BUILTIN_LLMS[canonical]


def is_builtin_llm(name: str) -> bool:
    return _key(name) in _LLM_LOOKUP or _key(name).replace(".", "") in _LLM_LOOKUP


# --- the workload ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LLMWorkload:
    """One evaluation of an LLM: the config, the phase, the sequence or KV length, the batch, the layers."""

    config: LLMConfig
    phase: Phase
    length: int  # prefill: prompt tokens N; decode: KV-cache length L
    batch: int
    network: Network

    @property
    def tokens(self) -> int:
        """Tokens processed by one evaluation: N x B for prefill, B for decode."""
        return self.length * self.batch if self.phase == "prefill" else self.batch

    @property
    def kv_cache_elements(self) -> int:
        """KV-cache entries held while this step runs (all layers, all sequences)."""
        return self.config.kv_cache_elements(self.length, self.batch)

    @property
    def kv_written_elements(self) -> int:
        """KV-cache entries written by this step: the new tokens' K and V."""
        return self.config.kv_cache_elements(self.tokens // self.batch, self.batch)

    @property
    def not_modeled(self) -> tuple[str, ...]:
        return NOT_MODELED

    def describe(self) -> str:
        what = f"N={self.length}" if self.phase == "prefill" else f"L={self.length}"
        return f"{self.config.name} {self.phase} {what} B={self.batch}"


def llm_prefill(config: LLMConfig, tokens: int, batch: int = 1, *, bits: int = 8) -> LLMWorkload:
    """The prefill of ``batch`` prompts of ``tokens`` tokens (see the module docstring)."""
    return _workload(config, "prefill", tokens, batch, bits)


def llm_decode(config: LLMConfig, kv_length: int, batch: int = 1, *, bits: int = 8) -> LLMWorkload:
    """One decode step of ``batch`` sequences, each attending to a KV cache of ``kv_length`` tokens."""
    return _workload(config, "decode", kv_length, batch, bits)


def _workload(config: LLMConfig, phase: Phase, length: int, batch: int, bits: int) -> LLMWorkload:
    what = "prompt length N" if phase == "prefill" else "KV-cache length L"
    _check_count(length, f"{config.name} {phase}: {what}", MAX_LLM_SIZE)
    _check_count(batch, f"{config.name} {phase}: batch", MAX_BATCH)
    queries = length if phase == "prefill" else 1
    network = _network(config, phase, queries, length, batch, bits)
    return LLMWorkload(config, phase, length, batch, network)


def _network(c: LLMConfig, phase: Phase, queries: int, keys: int, batch: int, bits: int) -> Network:
    """The layers of ``c`` for ``queries`` tokens per sequence attending to ``keys`` keys."""
    layers: list[Layer] = []

    def add(name: str, kind: LayerKind, inputs: tuple[str, ...], **dims) -> str:
        layers.append(Layer(name=name, kind=kind, B=batch, inputs=inputs, act_bits=bits, weight_bits=bits,
                            out_bits=bits, **dims))
        return name

    def proj(name: str, K: int, C: int, inputs: tuple[str, ...], tokens: int = queries) -> str:
        kind = LayerKind.MATMUL if tokens > 1 else LayerKind.FC
        return add(name, kind, inputs, K=K, C=C, OX=tokens)

    x: tuple[str, ...] = ()
    d, rows = c.head_dim, queries * c.group
    for i in range(c.layers):
        p = f"block{i}"
        q = proj(f"{p}.attn.q", c.hidden, c.hidden, x)
        k = proj(f"{p}.attn.k", c.kv_dim, c.hidden, x)
        v = proj(f"{p}.attn.v", c.kv_dim, c.hidden, x)
        s = add(f"{p}.attn.scores", LayerKind.ATTENTION, (q, k), G=c.kv_heads, K=keys, C=d, OX=rows)
        ctx = add(f"{p}.attn.context", LayerKind.ATTENTION, (s, v), G=c.kv_heads, K=d, C=keys, OX=rows)
        o = proj(f"{p}.attn.out", c.hidden, c.hidden, (ctx,))
        # residual add: the stream is one tensor, read as its latest producer and the one it was added to
        # (not every earlier block's output, which would keep them all alive in the buffer)
        x = _ordered(layers, (o, *x[-1:]))
        if c.ffn_kind == "swiglu":
            gate = proj(f"{p}.ffn.gate", c.ffn, c.hidden, x)
            up = proj(f"{p}.ffn.up", c.ffn, c.hidden, x)
            down = proj(f"{p}.ffn.down", c.hidden, c.ffn, (gate, up))
        else:
            up = proj(f"{p}.ffn.up", c.ffn, c.hidden, x)
            down = proj(f"{p}.ffn.down", c.hidden, c.ffn, (up,))
        x = _ordered(layers, (down, *x[-1:]))
    if c.lm_head:
        proj("lm_head", c.vocab, c.hidden, x, tokens=1)
    label = f"{c.name}-{phase}-{'N' if phase == 'prefill' else 'L'}{keys}" + (f"-B{batch}" if batch > 1 else "")
    return Network(label, tuple(layers))


def _ordered(layers: list[Layer], names) -> tuple[str, ...]:
    order = {layer.name: i for i, layer in enumerate(layers)}
    return tuple(sorted(set(names), key=order.__getitem__))


def block_of(layer_name: str) -> str:
    """The role of a layer without its block number (``block3.attn.q`` -> ``attn.q``)."""
    return layer_name.split(".", 1)[1] if layer_name.startswith("block") else layer_name


# --- names --------------------------------------------------------------------------------------
_DASH_NAME = re.compile(r"^(?P<model>.+?)[-_](?P<phase>prefill|decode)(?:[-_](?P<length>\d+))?"
                        r"(?:[-_][bB](?P<batch>\d+))?$", re.IGNORECASE)


def is_llm_name(text: str) -> bool:
    """True when ``text`` names an LLM workload (``gpt2:decode:L=1024``, ``gpt2-prefill-512``)."""
    head, sep, rest = text.partition(":")
    if sep and (is_builtin_llm(head) or head.lower().endswith((".yaml", ".yml"))
                or rest.split(":", 1)[0].strip().lower() in PHASES):
        return True
    return bool(_DASH_NAME.match(text.strip()))


def parse_llm_name(text: str, batch: int | None = None) -> LLMWorkload:
    """The workload named ``MODEL:PHASE[:L=..|N=..][:B=..]`` or ``MODEL-PHASE[-LENGTH][-B16]``.

    ``MODEL`` is a built-in LLM or an LLM YAML file; the length defaults to the model's context, capped
    at 1024; ``batch`` (the CLI's ``--batch``) overrides a ``B=`` in the name.
    """
    text = text.strip()
    if ":" in text:
        model, *parts = text.split(":")
        if not parts or parts[0].strip().lower() not in PHASES:
            raise ImcbenchError(f"LLM workload {text!r}: give the phase after the model, e.g. "
                                f"{model}:decode:L=1024 or {model}:prefill:N=512")
        phase, options = parts[0].strip().lower(), _options(text, parts[1:])
    else:
        match = _DASH_NAME.match(text)
        if not match:
            raise ImcbenchError(f"LLM workload {text!r}: use MODEL-PHASE-LENGTH, e.g. gpt2-decode-1024")
        model, phase = match["model"], match["phase"].lower()
        options = {}
        if match["length"]:
            options["N" if phase == "prefill" else "L"] = int(match["length"])
        if match["batch"]:
            options["B"] = int(match["batch"])
    config = load_llm_config(model)
    length_key = "N" if phase == "prefill" else "L"
    wrong = "L" if phase == "prefill" else "N"
    if wrong in options:
        raise ImcbenchError(f"LLM workload {text!r}: {phase} takes {length_key}= "
                            f"({'prompt tokens' if phase == 'prefill' else 'KV-cache length'}), not {wrong}=")
    length = options.get(length_key, min(config.context, 1024))
    chosen_batch = batch if batch is not None else options.get("B", 1)
    build = llm_prefill if phase == "prefill" else llm_decode
    return build(config, length, chosen_batch)


def _options(text: str, parts: list[str]) -> dict[str, int]:
    options: dict[str, int] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        key = key.strip().upper()
        if not sep or key not in ("L", "N", "B"):
            raise ImcbenchError(f"LLM workload {text!r}: {part!r} is not an option; use L=<KV length>, "
                                "N=<prompt tokens> or B=<batch>")
        try:
            options[key] = int(value)
        except ValueError:
            raise ImcbenchError(f"LLM workload {text!r}: {key}={value!r} must be an integer") from None
    return options


def load_llm_config(name_or_path: str | Path) -> LLMConfig:
    """A built-in LLM config by name, or the ``llm:`` mapping of a YAML file."""
    text = str(name_or_path)
    if text.lower().endswith((".yaml", ".yml")):
        return load_llm_yaml(text)[0]
    return builtin_llm(text)


LLM_YAML_KEYS = ("name", "hidden", "layers", "heads", "kv_heads", "ffn", "vocab", "context", "ffn_kind", "lm_head")


def load_llm_yaml(path: str | Path) -> tuple[LLMConfig, dict]:
    """An LLM config from a YAML file and its optional workload keys (``phase``, ``length``, ``batch``)::

        llm: {name: tiny, hidden: 256, layers: 4, heads: 8, kv_heads: 2, ffn: 1024, vocab: 8000,
              context: 2048, ffn_kind: swiglu, lm_head: true}
        phase: decode      # optional: prefill or decode
        length: 512        # optional: N (prefill) or L (decode)
        batch: 1           # optional
    """
    from imcbench.yamlio import read_yaml

    path = Path(path)
    if not path.exists():
        raise ImcbenchError(f"{path}: no such file; give a YAML file with an 'llm:' mapping")
    data = read_yaml(path, "LLM config file")
    if not isinstance(data, dict) or not isinstance(data.get("llm"), dict):
        raise ImcbenchError(f"{path}: an LLM config file needs an 'llm:' mapping "
                            f"({', '.join(LLM_YAML_KEYS)})")
    extra = sorted(set(data) - {"llm", "phase", "length", "batch"})
    unknown = sorted(set(data["llm"]) - set(LLM_YAML_KEYS))
    if extra or unknown:
        bad = extra[0] if extra else f"llm.{unknown[0]}"
        raise ImcbenchError(f"{path}: unknown key {bad!r}; the llm mapping takes {', '.join(LLM_YAML_KEYS)} "
                            "and the file phase, length, batch")
    fields = {"name": path.stem, **data["llm"]}
    missing = [k for k in ("hidden", "layers", "heads", "ffn", "vocab") if k not in fields]
    if missing:
        raise ImcbenchError(f"{path}: llm.{missing[0]} is missing")
    fields.setdefault("context", 2048)
    try:
        config = LLMConfig(**fields)
    except ImcbenchError as exc:
        raise ImcbenchError(f"{path}: {exc}") from None
    return config, {k: data[k] for k in ("phase", "length", "batch") if k in data}


def llm_workload_of_yaml(path: str | Path, batch: int | None = None) -> LLMWorkload:
    """The workload a YAML LLM file describes (phase default decode, length default min(context, 1024))."""
    config, rest = load_llm_yaml(path)
    phase = rest.get("phase", "decode")
    if phase not in PHASES:
        raise ImcbenchError(f"{path}: phase {phase!r} must be prefill or decode")
    length = rest.get("length", min(config.context, 1024))
    chosen = batch if batch is not None else rest.get("batch", 1)
    build = llm_prefill if phase == "prefill" else llm_decode
    try:
        return build(config, length, chosen)
    except ImcbenchError as exc:
        raise ImcbenchError(f"{path}: {exc}") from None


def is_llm_yaml(path: str | Path) -> bool:
    """True when ``path`` is a YAML file whose top level has an ``llm:`` key (cheap check of the text)."""
    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            return any(line.startswith("llm:") for line in handle.read(65536).splitlines())
    except OSError:
        return False


def load_llm_workload(text: str | Path, batch: int | None = None) -> LLMWorkload | None:
    """The LLM workload ``text`` names (an LLM name or an LLM YAML file), or None when it is not one."""
    if is_llm_yaml(text):
        return llm_workload_of_yaml(text, batch)
    if isinstance(text, str) and is_llm_name(text):
        return parse_llm_name(text, batch)
    return None


def with_batch(workload: LLMWorkload, batch: int) -> LLMWorkload:
    """The same workload at another batch."""
    return _workload(workload.config, workload.phase, workload.length, batch, workload.network.layers[0].act_bits)


__all__ = ["BUILTIN_LLMS", "LLMConfig", "LLMWorkload", "builtin_llm", "llm_decode", "llm_prefill",
           "parse_llm_name", "load_llm_yaml", "load_llm_workload"]
