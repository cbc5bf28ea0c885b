"""Build tests/data/exports/: real ONNX exports made by the tools users have, with an independent MAC count.

Needs (not imcbench dependencies; install them in the Python that runs this script)::

    python3.11 -m pip install torch==2.14.1 torchvision==0.29.1 timm transformers onnxruntime onnxscript

Every file is one model (torchvision, timm, transformers built FROM CONFIGS with random weights, small
torch.nn models) exported by one exporter:

* ``classic``: ``torch.onnx.export(..., dynamo=False)`` (TorchScript exporter, opset 17);
* ``classic_functions``: the same with ``export_modules_as_functions`` (ONNX local functions kept);
* ``classic_dynamic_batch``: the same with a symbolic batch dimension (imcbench takes it as 1);
* ``dynamo``: ``torch.onnx.export(..., dynamo=True)`` (torch.export + onnxscript, its default opset);
* ``dynamo_opset23``: the same at opset 23, where scaled-dot-product attention becomes the ONNX Attention op;

or one onnxruntime processing of the classic export (``ort_quant_static_qop`` / ``ort_quant_static_qdq``:
static int8 quantization in QOperator / QDQ format; ``ort_quant_dynamic``; ``ort_transformers_opt``: the
transformer fusions into com.microsoft ops, ``_fp16`` also in float16; ``ort_matmul_nbits``: 4-bit
weight-only quantization of the MatMuls; ``ort_extended`` / ``ort_all``: the file written by an
InferenceSession at that optimization level). Input shapes are fixed (batch 1).

Independent MAC count (``independent_macs``): the same module on the same input, run once under
``torch.utils.flop_counter.FlopCounterMode`` with the MATH backend of scaled-dot-product attention and the
nn.MultiheadAttention fast path off (so attention runs as bmm/matmul, which the counter sees). The counter
counts 2 FLOPs per multiply-accumulate for mm/addmm/bmm/baddbmm/convolution (bias additions are not
counted; a transposed convolution counts in_pixels x weight elements), so MACs = FLOPs / 2. That is what
imcbench counts: Conv, Gemm and MatMul, including activation x activation attention products, without
bias adds, normalisation, softmax or element-wise work. Recurrent layers the counter does not see
(nn.LSTM runs as one fused CPU kernel) are added by the hand formula of ``_rnn_formula`` (documented
there; ``_rnn_macs`` checks it against the counter on nn.GRU / nn.RNN, which the counter does see).
Each manifest entry lists the aten operators counted and their MACs.

Each file is saved graph-only: tensors of 1024 bytes or more go to ``<file>.data`` beside it (not
committed; see .gitignore), because imcbench reads ONNX with ``load_external_data=False``.

Usage::

    python3.11 scripts/make_real_exports.py                 # everything missing
    python3.11 scripts/make_real_exports.py --only resnet18 bert_base --force
    python3.11 scripts/make_real_exports.py --list
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "tests" / "data" / "exports"
MANIFEST = OUT_DIR / "manifest.json"
EXTERNAL_THRESHOLD = 1024  # bytes; tensors this large or larger go to the .data file
COMMIT_LIMIT = 2_000_000  # bytes; a graph file above this is kept out of the committed set
OPSET = 17  # classic exporter opset (the dynamo exporter picks its own)
SEQ = 128  # tokens for the text models
SEED = 0


@dataclass(frozen=True)
class Spec:
    """One model: how to build it (module, example inputs) and which exporters to run on it."""

    name: str
    tool: str  # torchvision / timm / transformers / torch.nn
    build: Callable[[], tuple]
    exporters: tuple[str, ...]
    note: str = ""
    function_modules: Callable[[], set] | None = None  # classes kept as local functions (classic_functions)


# -- model builders -------------------------------------------------------------------------------
def _image(size: int = 224, channels: int = 3):
    import torch
    return (torch.randn(1, channels, size, size),)


def _tv(name: str, size: int = 224, **kwargs):
    def build():
        import torchvision
        return getattr(torchvision.models, name)(weights=None, **kwargs).eval(), _image(size)
    return build


def _tv_batch4():
    import torch
    import torchvision
    return torchvision.models.resnet18(weights=None).eval(), (torch.randn(4, 3, 224, 224),)


def _tv_fp16():
    import torch
    import torchvision
    return torchvision.models.mobilenet_v2(weights=None).eval().half(), (torch.randn(1, 3, 224, 224).half(),)


def _timm(name: str, size: int = 224):
    def build():
        import timm
        return timm.create_model(name, pretrained=False).eval(), _image(size)
    return build


def _hf_wrap(model, **fixed):
    import torch

    class FirstOutput(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x, return_dict=False, **fixed)[0]

    return FirstOutput().eval()


def _tokens(vocab: int, length: int = SEQ):
    import torch
    gen = torch.Generator().manual_seed(SEED)
    return (torch.randint(0, vocab, (1, length), generator=gen),)


def _ones():
    """An all-ones attention mask: without one, transformers' packed-sequence check calls aten::diff, which
    the classic exporter cannot export."""
    import torch
    return torch.ones(1, SEQ, dtype=torch.long)


def _bert():
    from transformers import BertConfig, BertModel
    cfg = BertConfig()  # BERT-base: 12 layers, 768 hidden, 12 heads
    return _hf_wrap(BertModel(cfg, add_pooling_layer=False).eval()), _tokens(cfg.vocab_size)


def _distilbert():
    from transformers import DistilBertConfig, DistilBertModel
    cfg = DistilBertConfig()
    return _hf_wrap(DistilBertModel(cfg).eval()), _tokens(cfg.vocab_size)


def _gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel
    cfg = GPT2Config()  # GPT-2 small, LM head included
    return _hf_wrap(GPT2LMHeadModel(cfg).eval(), use_cache=False, attention_mask=_ones()), _tokens(cfg.vocab_size)


def _t5_encoder():
    from transformers import T5Config, T5EncoderModel
    cfg = T5Config(d_model=512, d_ff=2048, num_layers=6, num_heads=8, d_kv=64)  # t5-small
    return _hf_wrap(T5EncoderModel(cfg).eval()), _tokens(cfg.vocab_size)


def _llama_tiny():
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(vocab_size=32000, hidden_size=256, intermediate_size=688, num_hidden_layers=4,
                      num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=512)
    return (_hf_wrap(LlamaForCausalLM(cfg).eval(), use_cache=False, attention_mask=_ones()),
            _tokens(cfg.vocab_size))


def _hf_vit():
    import torch
    from transformers import ViTConfig, ViTModel
    cfg = ViTConfig()  # ViT-base/16 at 224
    return _hf_wrap(ViTModel(cfg, add_pooling_layer=False).eval()), (torch.randn(1, 3, 224, 224),)


def _whisper_encoder():
    import torch
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    cfg = WhisperConfig(d_model=384, encoder_layers=4, encoder_attention_heads=6, decoder_layers=4,
                        decoder_attention_heads=6, encoder_ffn_dim=1536, decoder_ffn_dim=1536)  # whisper-tiny
    return _hf_wrap(WhisperEncoder(cfg).eval()), (torch.randn(1, cfg.num_mel_bins, 3000),)


def _rnn(kind: str):
    def build():
        import torch

        class Recurrent(torch.nn.Module):
            def __init__(self):
                super().__init__()
                cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
                self.rnn = cls(input_size=64, hidden_size=128, num_layers=2, batch_first=True)
                self.head = torch.nn.Linear(128, 10)

            def forward(self, x):
                return self.head(self.rnn(x)[0][:, -1])

        return Recurrent().eval(), (torch.randn(1, 50, 64),)
    return build


def _bilstm():
    import torch

    class BiLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(input_size=40, hidden_size=96, num_layers=1, bidirectional=True)

        def forward(self, x):
            return self.rnn(x)[0]

    return BiLSTM().eval(), (torch.randn(30, 1, 40),)  # seq-first


def _conv_transpose():
    import torch
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1, groups=2),
        torch.nn.Conv2d(8, 1, 1))
    return model.eval(), _image(64)


def _conv3d():
    import torch
    model = torch.nn.Sequential(
        torch.nn.Conv3d(3, 16, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv3d(16, 32, (3, 3, 3), stride=(1, 2, 2), padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool3d(1), torch.nn.Flatten(), torch.nn.Linear(32, 10))
    return model.eval(), (torch.randn(1, 3, 8, 32, 32),)


def _mha():
    import torch

    class MHA(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = torch.nn.MultiheadAttention(embed_dim=128, num_heads=4, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x, need_weights=False)[0]

    return MHA().eval(), (torch.randn(1, 64, 128),)


def _sdpa():
    import torch

    class SDPA(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = torch.nn.Linear(128, 3 * 128)
            self.out = torch.nn.Linear(128, 128)

        def forward(self, x):
            q, k, v = self.qkv(x).view(1, 64, 3, 4, 32).permute(2, 0, 3, 1, 4)
            y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.out(y.transpose(1, 2).reshape(1, 64, 128))

    return SDPA().eval(), (torch.randn(1, 64, 128),)


def _classes(module: str, *names: str):
    """The module classes ``names`` of ``module``, imported when the export runs."""
    def get():
        import importlib
        mod = importlib.import_module(module)
        return {getattr(mod, name) for name in names}
    return get


def _all_modules():
    return True  # every module class becomes a function (nested functions)

# BERT's BertLayer (and its parts) cannot be exported as functions by torch 2.14's classic exporter
# (_jit_pass_onnx_track_scope_attributes raises TypeError), so the local-function files are vision models.


C, D, F, D23 = "classic", "dynamo", "classic_functions", "dynamo_opset23"
SPECS = [
    # torchvision
    Spec("resnet18", "torchvision", _tv("resnet18"), (C, D, F, "classic_dynamic_batch"),
         function_modules=_classes("torchvision.models.resnet", "BasicBlock")),
    Spec("resnet18_b4", "torchvision", _tv_batch4, (C, D), note="batch 4"),
    Spec("resnet50", "torchvision", _tv("resnet50"), (C,)),
    Spec("mobilenet_v2", "torchvision", _tv("mobilenet_v2"), (C, F),
         function_modules=_classes("torchvision.models.mobilenetv2", "InvertedResidual")),
    Spec("mobilenet_v2_fp16", "torchvision", _tv_fp16, (C,), note="float16 weights and activations"),
    Spec("mobilenet_v3_small", "torchvision", _tv("mobilenet_v3_small"), (C, D)),
    Spec("efficientnet_b0", "torchvision", _tv("efficientnet_b0"), (C, D)),
    Spec("shufflenet_v2_x1_0", "torchvision", _tv("shufflenet_v2_x1_0"), (C, D)),
    Spec("squeezenet1_1", "torchvision", _tv("squeezenet1_1"), (C,)),
    Spec("densenet121", "torchvision", _tv("densenet121"), (C,)),
    Spec("vgg11", "torchvision", _tv("vgg11"), (C,)),
    Spec("convnext_tiny", "torchvision", _tv("convnext_tiny"), (C,)),
    Spec("swin_t", "torchvision", _tv("swin_t"), (C, D, F),
         function_modules=_classes("torchvision.models.swin_transformer", "SwinTransformerBlock")),
    Spec("vit_b_16", "torchvision", _tv("vit_b_16"), (C, D, F),
         function_modules=_classes("torchvision.models.vision_transformer", "EncoderBlock")),
    Spec("regnet_y_400mf", "torchvision", _tv("regnet_y_400mf"), (C,)),
    Spec("mnasnet0_5", "torchvision", _tv("mnasnet0_5"), (C,)),
    Spec("googlenet", "torchvision", _tv("googlenet", aux_logits=False, init_weights=True), (C,)),
    # timm
    Spec("timm_resnet26d", "timm", _timm("resnet26d"), (C,)),
    Spec("timm_efficientnet_lite0", "timm", _timm("efficientnet_lite0"), (C,)),
    Spec("timm_mobilevit_xxs", "timm", _timm("mobilevit_xxs", 256), (C,)),
    Spec("timm_deit_tiny", "timm", _timm("deit_tiny_patch16_224"), (C, D, F),
         function_modules=_classes("timm.models.vision_transformer", "Block")),
    # transformers, from configs (random weights, nothing downloaded)
    Spec("bert_base", "transformers", _bert, (C, D)),
    Spec("distilbert", "transformers", _distilbert, (C,)),
    Spec("gpt2_small", "transformers", _gpt2, (C, D)),
    Spec("t5_small_encoder", "transformers", _t5_encoder, (C,)),  # dynamo: torch 2.14 fails to decompose a view
    Spec("llama_tiny", "transformers", _llama_tiny, (C, D, D23)),
    Spec("hf_vit_base", "transformers", _hf_vit, (C,)),
    Spec("whisper_tiny_encoder", "transformers", _whisper_encoder, (C, D)),
    # torch.nn operators with MACs outside Conv/Gemm/MatMul
    Spec("lstm2", "torch.nn", _rnn("lstm"), (C, D)),
    Spec("gru2", "torch.nn", _rnn("gru"), (C, D)),
    Spec("rnn2", "torch.nn", _rnn("rnn"), (C, D)),
    Spec("bilstm", "torch.nn", _bilstm, (C, D)),
    Spec("conv_transpose", "torch.nn", _conv_transpose, (C, D)),
    Spec("conv3d", "torch.nn", _conv3d, (C, D)),
    Spec("mha", "torch.nn", _mha, (C, D, D23)),
    Spec("sdpa_causal", "torch.nn", _sdpa, (C, D, F, D23), function_modules=_all_modules),
]

# onnxruntime processing of a classic export: (new exporter name, base model)
ORT_STEPS = [
    ("ort_quant_static_qop", "resnet18"),
    ("ort_quant_static_qop", "mobilenet_v2"),
    ("ort_quant_static_qdq", "resnet18"),
    ("ort_quant_dynamic", "mobilenet_v2"),
    ("ort_quant_dynamic", "bert_base"),
    ("ort_quant_static_qdq", "distilbert"),
    ("ort_quant_dynamic", "lstm2"),
    ("ort_transformers_opt", "bert_base"),
    ("ort_transformers_opt", "gpt2_small"),
    ("ort_transformers_opt", "hf_vit_base"),
    ("ort_all", "resnet18"),
    ("ort_matmul_nbits", "llama_tiny"),
    ("ort_transformers_opt_fp16", "bert_base"),
    ("ort_extended", "resnet18"),
    ("ort_extended", "mobilenet_v2"),
]


# -- independent MAC count ------------------------------------------------------------------------
def _rnn_formula(mod, x) -> int:
    """Hand MAC count of one nn.LSTM / nn.GRU / nn.RNN on input ``x``.

    Per time step, layer and direction, a cell multiplies the input (size I, or H * directions above the
    first layer) and the previous hidden state (H) by its gate weights: gates x H x (I + H) MACs, with
    4 gates for LSTM (i, f, g, o; PyTorch docs, torch.nn.LSTM), 3 for GRU (r, z, n; torch.nn.GRU) and 1
    for RNN (torch.nn.RNN). This is the work of the W and R matrices of ONNX LSTM/GRU/RNN (ONNX operator
    specification). Biases and the element-wise gate products are not counted.
    """
    import torch

    gates = {torch.nn.LSTM: 4, torch.nn.GRU: 3, torch.nn.RNN: 1}[type(mod)]
    steps, batch = (x.shape[1], x.shape[0]) if mod.batch_first else (x.shape[0], x.shape[1])
    dirs = 2 if mod.bidirectional else 1
    total = 0
    for layer in range(mod.num_layers):
        size_in = mod.input_size if layer == 0 else mod.hidden_size * dirs
        total += dirs * steps * batch * gates * mod.hidden_size * (size_in + mod.hidden_size)
    return total


def _rnn_macs(module, inputs) -> dict[str, int]:
    """MACs of the recurrent layers that FlopCounterMode does not see, by the hand formula.

    On CPU, torch 2.14 runs nn.GRU and nn.RNN as addmm calls (the counter sees them) but nn.LSTM as one fused
    kernel (the counter sees nothing). Each recurrent submodule is therefore run alone under the counter
    on its real input (captured by a forward pre-hook): a count of 0 means the hand formula is added; a
    count equal to the formula means the counter already has it (and confirms the formula); anything
    else is an error.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    captured: list[tuple[str, torch.nn.Module, torch.Tensor]] = []
    hooks = [sub.register_forward_pre_hook(lambda mod, args, name=name: captured.append((name, mod, args[0])))
             for name, sub in module.named_modules() if type(sub) in (torch.nn.LSTM, torch.nn.GRU, torch.nn.RNN)]
    with torch.no_grad():
        module(*inputs)
    for h in hooks:
        h.remove()
    added: dict[str, int] = {}
    for name, mod, x in captured:
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            mod(x)
        seen = counter.get_total_flops() // 2
        formula = _rnn_formula(mod, x)
        if seen == 0:
            added[f"{type(mod).__name__} {name} (hand formula)"] = formula
        elif seen != formula:
            raise RuntimeError(f"{name}: FlopCounterMode counts {seen} MACs, the hand formula {formula}")
    return added


def independent_macs(module, inputs) -> tuple[int, dict[str, int]]:
    """(total MACs, MACs per counted operator) of one forward pass; see the module docstring."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)  # the fused MHA kernel is invisible to the counter
    try:
        with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), counter:
            module(*inputs)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    flops = counter.get_flop_counts().get("Global", {})
    per_op = {str(op): n // 2 for op, n in flops.items()}
    per_op.update(_rnn_macs(module, inputs))
    return sum(per_op.values()), per_op


# -- export ---------------------------------------------------------------------------------------
def _export(module, inputs, exporter: str, path: Path, spec: Spec) -> None:
    """Write the full ONNX file (weights inside or beside it) of one exporter to ``path``."""
    import torch

    if exporter in ("dynamo", "dynamo_opset23"):
        opset = {"dynamo": None, "dynamo_opset23": 23}[exporter]  # 23: SDPA becomes the ONNX Attention op
        program = torch.onnx.export(module, inputs, dynamo=True, optimize=True, verbose=False, opset_version=opset)
        program.save(str(path))
        return
    kwargs = {}
    if exporter == "classic_dynamic_batch":  # the batch is a symbolic dim; imcbench takes it as 1
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    elif exporter == "classic_functions":
        kwargs["export_modules_as_functions"] = spec.function_modules() if spec.function_modules else True
    elif exporter != "classic":
        raise ValueError(exporter)
    torch.onnx.export(module, inputs, str(path), dynamo=False, opset_version=OPSET, do_constant_folding=True,
                      input_names=["input"], output_names=["output"], **kwargs)


def _random_feed(model_path: Path) -> dict:
    """One random input per graph input (float, or int64 tokens below 100), shapes from the file."""
    import numpy as np
    import onnx

    model = onnx.load(str(model_path), load_external_data=False)
    init = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(SEED)
    feed = {}
    for vi in model.graph.input:
        if vi.name in init:
            continue
        shape = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
        if vi.type.tensor_type.elem_type == onnx.TensorProto.INT64:
            feed[vi.name] = rng.integers(0, 100, shape).astype(np.int64)
        else:
            feed[vi.name] = rng.standard_normal(shape).astype(np.float32)
    return feed


def _ort_process(step: str, base: Path, out: Path, spec_name: str) -> None:
    """Apply one onnxruntime processing step to the full ONNX file ``base``."""
    import onnxruntime as ort

    if step in ("ort_quant_static_qop", "ort_quant_static_qdq"):
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.feeds = iter([_random_feed(base) for _ in range(4)])

            def get_next(self):
                return next(self.feeds, None)

        pre = out.with_suffix(".pre.onnx")
        quant_pre_process(str(base), str(pre), skip_symbolic_shape=True)
        fmt = QuantFormat.QOperator if step == "ort_quant_static_qop" else QuantFormat.QDQ
        quantize_static(str(pre), str(out), Reader(), quant_format=fmt)
    elif step == "ort_quant_dynamic":
        from onnxruntime.quantization import quantize_dynamic
        quantize_dynamic(str(base), str(out))
    elif step == "ort_transformers_opt":
        from onnxruntime.transformers.optimizer import optimize_model
        heads, hidden, kind = {"bert_base": (12, 768, "bert"), "gpt2_small": (12, 768, "gpt2"),
                               "hf_vit_base": (12, 768, "vit")}[spec_name]
        optimize_model(str(base), model_type=kind, num_heads=heads, hidden_size=hidden).save_model_to_file(str(out))
    elif step == "ort_matmul_nbits":  # 4-bit block-quantized weights (com.microsoft MatMulNBits), as for LLMs
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
        quantizer = MatMulNBitsQuantizer(onnx.load(str(base)), bits=4, block_size=32, is_symmetric=True)
        quantizer.process()
        quantizer.model.save_model_to_file(str(out), use_external_data_format=False)
    elif step == "ort_transformers_opt_fp16":
        from onnxruntime.transformers.optimizer import optimize_model
        optimized = optimize_model(str(base), model_type="bert", num_heads=12, hidden_size=768)
        optimized.convert_float_to_float16(keep_io_types=True)
        optimized.save_model_to_file(str(out))
    elif step in ("ort_extended", "ort_all"):
        options = ort.SessionOptions()
        options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED if step == "ort_extended"
                                            else ort.GraphOptimizationLevel.ORT_ENABLE_ALL)  # ALL: NCHWc layout
        options.optimized_model_filepath = str(out)
        ort.InferenceSession(str(base), options, providers=["CPUExecutionProvider"])
    else:
        raise ValueError(step)


def _save_graph_only(full: Path, dest: Path) -> None:
    """Re-save ``full`` with every tensor of EXTERNAL_THRESHOLD bytes or more in ``<dest>.data``."""
    import onnx

    model = onnx.load(str(full))  # reads its external data, if any
    data = dest.with_name(dest.name + ".data")
    for old in (dest, data):
        old.unlink(missing_ok=True)
    onnx.save_model(model, str(dest), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data.name, size_threshold=EXTERNAL_THRESHOLD)


def _shapes(inputs) -> list[list[int]]:
    return [list(x.shape) for x in inputs]


def _versions() -> dict[str, str]:
    import importlib.metadata as md
    out = {}
    for pkg in ("torch", "torchvision", "timm", "transformers", "onnxruntime", "onnxscript", "onnx"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


EXPORTER_TEXT = {
    "classic": "torch.onnx.export(dynamo=False, opset_version=17)",
    "classic_functions": "torch.onnx.export(dynamo=False, opset_version=17, export_modules_as_functions=...)",
    "classic_dynamic_batch": "torch.onnx.export(dynamo=False, opset_version=17, dynamic_axes={'input': {0: 'batch'}})",
    "dynamo": "torch.onnx.export(dynamo=True, optimize=True)",
    "dynamo_opset23": "torch.onnx.export(dynamo=True, optimize=True, opset_version=23)",
    "ort_quant_static_qdq": "onnxruntime.quantization.quantize_static(QuantFormat.QDQ) of the classic export",
    "ort_all": "onnxruntime SessionOptions ORT_ENABLE_ALL optimized_model_filepath of the classic export",
    "ort_quant_static_qop": "onnxruntime.quantization.quantize_static(QuantFormat.QOperator) of the classic export",
    "ort_quant_dynamic": "onnxruntime.quantization.quantize_dynamic of the classic export",
    "ort_transformers_opt": "onnxruntime.transformers.optimizer.optimize_model of the classic export",
    "ort_matmul_nbits": "onnxruntime MatMulNBitsQuantizer(bits=4, block_size=32) of the classic export",
    "ort_transformers_opt_fp16": "onnxruntime.transformers optimize_model + convert_float_to_float16 of the classic export",
    "ort_extended": "onnxruntime SessionOptions ORT_ENABLE_EXTENDED optimized_model_filepath of the classic export",
}
METHOD = ("torch.utils.flop_counter.FlopCounterMode on the same module and input (SDPA on the MATH backend); "
          "MACs = FLOPs/2 of mm/addmm/bmm/baddbmm/convolution; bias adds, normalisation, softmax and "
          "element-wise work excluded; attention act x act products included "
          "(a causal mask does not reduce them: the full QK^T and PV products are counted, as the ONNX "
          "MatMul/Attention nodes compute them)")


def _entry(spec: Spec, exporter: str, dest: Path, inputs, macs: int, per_op: dict, versions: dict) -> dict:
    method = METHOD + ("; LSTM layers by the hand formula gates*H*(I+H) per step, layer and direction"
                       if any("hand formula" in k for k in per_op) else "")
    return {
        "file": dest.name,
        "model": spec.name,
        "source": spec.tool,
        "source_version": versions.get(spec.tool, versions.get("torch")),
        "torch_version": versions.get("torch"),
        "exporter": exporter,
        "export_call": EXPORTER_TEXT[exporter],
        "onnxruntime_version": versions.get("onnxruntime") if exporter.startswith("ort_") else None,
        "input_shapes": _shapes(inputs),
        "independent_macs": macs,
        "independent_method": method,
        "independent_per_op": per_op,
        "graph_bytes": dest.stat().st_size,
        "committed": dest.stat().st_size <= COMMIT_LIMIT,
        "tolerance": None,
        "tolerance_reason": None,
        "known_failure": None,
        "note": spec.note,
    }


def _load_manifest() -> dict[str, dict]:
    if MANIFEST.exists():
        return {e["file"]: e for e in json.loads(MANIFEST.read_text())["files"]}
    return {}


def _write_manifest(entries: dict[str, dict], versions: dict) -> None:
    files = sorted(entries.values(), key=lambda e: e["file"])
    MANIFEST.write_text(json.dumps({"tool_versions": versions, "files": files}, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="model names (default: all)")
    parser.add_argument("--exporters", nargs="*", help="exporters to run (default: each model's list + ORT steps)")
    parser.add_argument("--force", action="store_true", help="redo files that exist")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)

    jobs = [(spec, ex) for spec in SPECS for ex in spec.exporters]
    by_name = {spec.name: spec for spec in SPECS}
    jobs += [(by_name[base], step) for step, base in ORT_STEPS]
    if args.only:
        jobs = [(s, e) for s, e in jobs if s.name in args.only]
    if args.exporters:
        jobs = [(s, e) for s, e in jobs if e in args.exporters]
    if args.list:
        for spec, ex in jobs:
            print(f"{spec.name}.{ex}.onnx")
        return 0

    import torch
    torch.manual_seed(SEED)
    versions = _versions()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    entries = _load_manifest()
    failures = []
    built: dict[str, tuple] = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for spec, exporter in jobs:
            dest = OUT_DIR / f"{spec.name}.{exporter}.onnx"
            if dest.exists() and dest.name in entries and not args.force:
                continue
            start = time.time()
            try:
                if spec.name not in built:
                    torch.manual_seed(SEED)
                    module, inputs = spec.build()
                    macs, per_op = independent_macs(module, inputs)
                    built[spec.name] = (module, inputs, macs, per_op)
                module, inputs, macs, per_op = built[spec.name]
                full = tmp / dest.name
                if exporter.startswith("ort_"):
                    base = tmp / f"{spec.name}.classic.onnx"
                    if not base.exists():
                        _export(module, inputs, "classic", base, spec)
                    _ort_process(exporter, base, full, spec.name)
                else:
                    _export(module, inputs, exporter, full, spec)
                _save_graph_only(full, dest)
                entry = _entry(spec, exporter, dest, inputs, macs, per_op, versions)
                if dest.name in entries:  # an importer's recorded status outlives a re-export (see the bench)
                    entry["known_failure"] = entries[dest.name]["known_failure"]
                entries[dest.name] = entry
                _write_manifest(entries, versions)
                print(f"ok   {dest.name:48s} {macs:>15,d} MACs  {dest.stat().st_size:>10,d} B  "
                      f"{time.time() - start:.0f} s", flush=True)
            except Exception as exc:  # one failing export must not stop the corpus
                failures.append((dest.name, exc))
                print(f"FAIL {dest.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}",
                      flush=True)
                traceback.print_exc(limit=3, file=sys.stderr)
            for leftover in tmp.glob(f"{spec.name}.*"):
                if not leftover.name.endswith(".classic.onnx") and leftover.is_file():
                    leftover.unlink()
    print(f"{len(jobs) - len(failures)} done or kept, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
