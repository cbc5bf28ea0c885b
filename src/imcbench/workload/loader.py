"""One entry point for workloads: a built-in name, an ONNX file or a YAML layer list.

YAML layer-list schema (``*.yaml`` / ``*.yml``; read with ``yaml.safe_load``)::

    name: tiny_cnn                  # optional; defaults to the file name without suffix
    bits: {act: 8, weight: 8, out: 8}   # optional network-wide precision (default 8/8/8)
    layers:                         # at least one layer, producers before consumers
      - name: conv1                 # required, unique
        kind: conv                  # optional: conv, pointwise, depthwise, fc, matmul, attention;
                                    #   inferred from the dims when omitted (never attention)
        dims: {K: 16, C: 3, OY: 32, OX: 32, FY: 3, FX: 3}   # B K C G OY OX FY FX; missing ones are 1
        stride: 1                   # an int or [sy, sx]            (default 1)
        dilation: 1                 # an int or [dy, dx]            (default 1)
        padding: 1                  # an int or [top, left, bottom, right] (default 0)
        bits: {act: 4, weight: 4}   # optional per-layer override of the network bits
        inputs: []                  # producer layer names; [] = reads the network input.
                                    #   Omitted: the previous layer (none for the first layer).

Unknown keys are errors, so a typo does not pass silently.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Union

from imcbench.design_limits import MAX_OPERAND_BITS, MIN_OPERAND_BITS
from imcbench.errors import ImcbenchError
from imcbench.limits import check_layer_count, check_layer_size
from imcbench.workload.layer import LOOP_DIMS, Layer, LayerKind, infer_kind
from imcbench.workload.network import Network

_ONNX_SUFFIXES = (".onnx",)
_YAML_SUFFIXES = (".yaml", ".yml")


def load_workload(name_or_path: str | os.PathLike, *, act_bits: int | None = None,
                  weight_bits: int | None = None, out_bits: int | None = None,
                  batch: int | None = None) -> Network:
    """The network named by ``name_or_path``: a built-in name, or a ``.onnx`` / ``.yaml`` file.

    A string with a path separator or a ``.onnx`` / ``.yaml`` / ``.yml`` suffix is always a path; any
    other string is a built-in name (see :func:`imcbench.workload.zoo.list_builtin_networks`) unless
    no built-in has that name and a file of that name exists (then it is read as ONNX). The given
    precisions (bits) replace those of every layer; ``None`` keeps them.
    LLM workloads (``gpt2:decode:L=1024``, ``gpt2-prefill-512``, a YAML file with ``llm:``) are built
    by :mod:`imcbench.workload.llm`; ``batch`` sets their batch (for other networks: every layer's B).
    """
    from imcbench.workload import llm, zoo

    text = os.fspath(name_or_path)
    path = Path(text)
    looks_like_path = (isinstance(name_or_path, os.PathLike) or "/" in text or os.sep in text
                       or path.suffix.lower() in _ONNX_SUFFIXES + _YAML_SUFFIXES)
    if not text.strip():
        raise ImcbenchError("empty workload name; give a built-in network name or a .onnx/.yaml file")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= llm.MAX_BATCH):
        raise ImcbenchError(f"batch {batch!r} must be an integer in 1..{llm.MAX_BATCH}")
    workload = llm.load_llm_workload(text, batch)
    if workload is not None:
        return _with_bits(workload.network, act_bits, weight_bits, out_bits)
    if looks_like_path or (not zoo.is_builtin(text) and path.is_file()):
        network = _load_file(path)
    else:
        network = zoo.builtin_network(text)  # raises with the valid names and a suggestion
    if batch is not None:
        network = Network(network.name, tuple(replace(layer, B=batch) for layer in network.layers))
    return _with_bits(network, act_bits, weight_bits, out_bits)


def _load_file(path: Path) -> Network:
    """Read a workload file: YAML by suffix, anything else as ONNX."""
    if not path.exists():
        raise ImcbenchError(f"{path}: no such file; give the path of a .onnx or .yaml workload or a "
                            "built-in network name")
    if path.suffix.lower() in _YAML_SUFFIXES:
        return load_yaml_workload(path)
    from imcbench.workload.onnx_import import load_onnx

    return load_onnx(path)


def _with_bits(network: Network, act_bits: int | None, weight_bits: int | None,
               out_bits: int | None) -> Network:
    """``network`` with the given precisions replaced on every layer (Layer validates them)."""
    changes = {k: v for k, v in (("act_bits", act_bits), ("weight_bits", weight_bits),
                                 ("out_bits", out_bits)) if v is not None}
    if not changes:
        return network
    return replace(network, layers=tuple(replace(layer, **changes) for layer in network.layers))


# -- YAML layer lists ----------------------------------------------------------------------
def _yaml_models():
    """Pydantic models of the YAML schema (built lazily: pydantic is only needed for YAML)."""
    from pydantic import Field, StrictInt, field_validator

    from imcbench.yamlio import StrictModel

    Positive = Annotated[StrictInt, Field(ge=1)]
    Bits = Annotated[StrictInt, Field(ge=MIN_OPERAND_BITS, le=MAX_OPERAND_BITS)]

    class YamlBits(StrictModel):
        act: Bits | None = None
        weight: Bits | None = None
        out: Bits | None = None

    class YamlLayer(StrictModel):
        name: Annotated[str, Field(min_length=1)]
        kind: LayerKind | None = None
        dims: dict[str, Positive]
        stride: Union[Positive, tuple[Positive, Positive]] = 1
        dilation: Union[Positive, tuple[Positive, Positive]] = 1
        padding: Union[Annotated[StrictInt, Field(ge=0)],
                       tuple[Annotated[StrictInt, Field(ge=0)], Annotated[StrictInt, Field(ge=0)],
                             Annotated[StrictInt, Field(ge=0)], Annotated[StrictInt, Field(ge=0)]]] = 0
        bits: YamlBits | None = None
        inputs: list[str] | None = None

        @field_validator("dims")
        @classmethod
        def _known_dims(cls, dims: dict[str, int]) -> dict[str, int]:
            unknown = sorted(set(dims) - set(LOOP_DIMS))
            if unknown:
                raise ValueError(f"unknown dimension(s) {', '.join(unknown)}; use {' '.join(LOOP_DIMS)}")
            return dims

    class YamlNetwork(StrictModel):
        name: Annotated[str, Field(min_length=1)] | None = None
        bits: YamlBits | None = None
        layers: Annotated[list[YamlLayer], Field(min_length=1)]

    return YamlNetwork


def load_yaml_workload(path: str | Path) -> Network:
    """Read a YAML layer list (schema in the module docstring) as a :class:`Network`."""
    from pydantic import ValidationError

    from imcbench.yamlio import did_you_mean, read_yaml  # safe_load, size, bombs, duplicate keys

    path = Path(path)
    data = read_yaml(path, "workload file")
    if not isinstance(data, dict):
        raise ImcbenchError(f"{path}: expected a mapping with 'layers:' (a list of layers), see the "
                            "schema in imcbench.workload.loader")
    model = _yaml_models()
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        # a misspelt key also makes the real key "missing": report the unknown key first, it is the cause
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message += did_you_mean(model, first["loc"])
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise ImcbenchError(f"{path}: {where or 'file'}: {message}{more}") from None
    check_layer_count(len(spec.layers), str(path))
    try:
        return _network_of(spec, path)
    except ImcbenchError as exc:  # a layer or link problem: say which file it is in
        raise ImcbenchError(f"{path}: {exc}") from None


def _network_of(spec, path: Path) -> Network:
    """The validated YAML document as a Network (Layer and Network check the values and links)."""
    default_bits = {"act_bits": 8, "weight_bits": 8, "out_bits": 8}
    if spec.bits is not None:
        default_bits.update(_bits_dict(spec.bits))
    layers: list[Layer] = []
    for entry in spec.layers:
        dims = {d: entry.dims.get(d, 1) for d in LOOP_DIMS}
        check_layer_size(dims, f"layer {entry.name!r}")
        kind = entry.kind if entry.kind is not None else infer_kind(**dims)
        if entry.inputs is None:
            inputs = (layers[-1].name,) if layers else ()
        else:
            inputs = tuple(entry.inputs)
        bits = dict(default_bits)
        if entry.bits is not None:
            bits.update(_bits_dict(entry.bits))
        layers.append(Layer(name=entry.name, kind=kind, **dims, stride=_pair(entry.stride),
                            dilation=_pair(entry.dilation), padding=_quad(entry.padding),
                            inputs=inputs, **bits))
    network = Network(spec.name or path.stem, tuple(layers))  # checks names and producer order
    return network


def _bits_dict(bits) -> dict[str, int]:
    """Layer keyword arguments (``act_bits`` ...) of the bits given in a YAML ``bits:`` entry."""
    return {f"{k}_bits": v for k, v in (("act", bits.act), ("weight", bits.weight), ("out", bits.out))
            if v is not None}


def _pair(value) -> tuple[int, int]:
    """An int or a pair as a (y, x) pair."""
    return (value, value) if isinstance(value, int) else tuple(value)


def _quad(value) -> tuple[int, int, int, int]:
    """An int or four ints as (top, left, bottom, right) padding."""
    return (value,) * 4 if isinstance(value, int) else tuple(value)
