"""Sweep parameters: the names a sweep may vary and how a design point becomes a `System`.

A parameter is either an **alias** (``rows``, ``kind``, ``l2_kb``, ...) or a **path** into the hardware
configuration (``macro.rows``, ``memories.l2.size_kb``, ``technology.node_nm``,
``options.partial_sum_bits``; see :mod:`imcbench.hardware.config`). Two ways to describe the base
hardware (:class:`HardwareBase`):

* ``preset: paper`` -- aliases are the keyword arguments of
  :func:`imcbench.hardware.presets.paper_system_config`, so derived quantities follow (the L2 port is
  8 x rows bits, the DRAM port ``cols`` bits); paths are then applied to that configuration;
* ``file: hw.yaml`` -- an imcbench hardware file; aliases are translated to paths of that file.

``cols: same_as_rows`` makes square macros.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import json
import typing
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ValidationError

from imcbench.errors import ImcbenchError
from imcbench.hardware.config import (InterconnectConfig, MacroConfig, MemoryConfig, OptionsConfig, SystemConfig,
                                      TechnologyConfig, build_system)
from imcbench.hardware.presets import paper_system_config
from imcbench.hardware.system import System
from imcbench.yamlio import describe_validation_error

SAME_AS_ROWS = "same_as_rows"
NUMBER_WORDS = {"adc_bits": ("paper",), "cols": (SAME_AS_ROWS,)}  # words accepted where a number is expected


@dataclass(frozen=True)
class Alias:
    """A convenient parameter name: its preset keyword, its path in a hardware file, its value type."""

    preset_kwarg: str | None
    path: str
    type: type


ALIASES: dict[str, Alias] = {
    "kind": Alias("kind", "macro.kind", str),
    "rows": Alias("rows", "macro.rows", int),
    "cols": Alias("cols", "macro.cols", int),
    "n_macros": Alias("n_macros", "macro.count", int),
    "input_bits": Alias("input_bits", "macro.input_bits", int),
    "weight_bits": Alias("weight_bits", "macro.weight_bits", int),
    "bits_per_cycle": Alias("bits_per_cycle", "macro.bits_per_cycle", int),
    "adc_bits": Alias("adc_bits", "macro.adc_bits", float),
    "cells_per_mult": Alias("cells_per_mult", "macro.cells_per_mult", int),
    "delay_model": Alias("delay_model", "macro.delay_model", str),
    "adc_model": Alias("adc_model", "macro.adc_model", str),
    "cell": Alias("cell", "macro.cell", str),
    "node_nm": Alias("node_nm", "technology.node_nm", float),
    "vdd": Alias("vdd", "technology.vdd", float),
    "l2_kb": Alias("l2_kb", "memories.l2.size_kb", float),
    "dram_pj_per_bit": Alias("dram_pj_per_bit", "memories.dram.read_pj_per_bit", float),
    "partial_sum_bits": Alias(None, "options.partial_sum_bits", int),
}
# a path that an alias sets exactly is stored under the alias (macro.rows -> rows)
PATH_TO_ALIAS = {a.path: name for name, a in ALIASES.items() if name != "dram_pj_per_bit"}
SYNONYMS = {"macros": "n_macros", "count": "n_macros", "adc": "adc_bits", "node": "node_nm"}
# the macro fields every result row carries (resolved from the built system), named as the aliases
MACRO_ALIAS_FIELDS = ("kind", "rows", "cols", "n_macros", "input_bits", "weight_bits", "bits_per_cycle",
                      "adc_bits", "cells_per_mult", "node_nm", "vdd")
SECTIONS: dict[str, type[BaseModel]] = {"macro": MacroConfig, "technology": TechnologyConfig,
                                        "options": OptionsConfig, "interconnect": InterconnectConfig}
MEMORY_SIZE_KEYS = ("size_bits", "size_bytes", "size_kb", "size_mb")


@dataclass(frozen=True)
class HardwareBase:
    """What design points modify: the paper preset, or a validated hardware configuration (as JSON)."""

    mode: str  # "preset" | "file"
    config_json: str = ""

    @property
    def key(self) -> str:
        """Identity of the base (part of every point id): its content, not where it was read from."""
        if self.mode == "preset":
            return "preset:paper"
        return "file:" + _digest(self.config_json)

    def config_dict(self) -> dict:
        return json.loads(self.config_json)


def canonical_name(name: str) -> str:
    """The name a parameter is stored under: an alias (``macros`` -> ``n_macros``) or a checked path."""
    name = SYNONYMS.get(name, name)
    name = PATH_TO_ALIAS.get(name, name)
    if name in ALIASES:
        return name
    if "." in name:
        _path_annotation(name)  # raises on an unknown path
        return name
    close = difflib.get_close_matches(name, list(ALIASES) + list(SYNONYMS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ImcbenchError(f"unknown sweep parameter {name!r}{hint} (aliases: {', '.join(ALIASES)}; or a path "
                        "such as macro.rows, memories.l2.size_kb, technology.node_nm, options.partial_sum_bits)")


def column_name(name: str) -> str:
    """SQL-friendly column name of a parameter (dots become underscores)."""
    return name.replace(".", "_")


def value_type(name: str) -> type:
    """``int``, ``float``, ``bool`` or ``str``: how the values of parameter ``name`` are compared and stored."""
    if name in ALIASES:
        return ALIASES[name].type
    args = _annotation_types(_path_annotation(name))
    for kind in (bool, int, float):
        if kind in args:
            return kind
    return str


def coerce(name: str, value):
    """The canonical form of ``value`` for parameter ``name`` (``256.0`` -> ``256`` for an integer), or a
    clear error when the value has the wrong type. Impossible numbers (rows = 100.5) are kept: the
    expansion skips them with a reason."""
    kind = value_type(name)
    if value is None or (isinstance(value, str) and value in NUMBER_WORDS.get(name, ())):
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ImcbenchError(f"parameter {name}: {value!r} should be text")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise ImcbenchError(f"parameter {name}: {value!r} should be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        words = " or ".join(repr(w) for w in NUMBER_WORDS.get(name, ()))
        raise ImcbenchError(f"parameter {name}: {value!r} should be a number" + (f" or {words}" if words else ""))
    if kind is int and float(value).is_integer():
        return int(value)
    return float(value) if kind is float else value


def preset_defaults() -> dict:
    """Defaults of the paper preset's keyword arguments (``kind`` and ``rows`` have none)."""
    signature = inspect.signature(paper_system_config)
    return {name: p.default for name, p in signature.parameters.items() if p.default is not inspect.Parameter.empty}


def base_value(base: HardwareBase, name: str):
    """The value of alias/path ``name`` in ``base`` before any override (None when absent)."""
    if base.mode == "preset":
        alias = ALIASES.get(name)
        defaults = preset_defaults() | {"cols": SAME_AS_ROWS}
        if alias is not None and alias.preset_kwarg is not None:
            return defaults.get(alias.preset_kwarg)
        return _get_path(paper_system_config("aimc", 256).model_dump(), _alias_path(name))
    config = base.config_dict()
    if name == "n_macros":
        return config["macro"].get("count", 1)
    try:
        return _get_path(config, _file_path(name, config))
    except ImcbenchError:
        return None


def build_design(base: HardwareBase, params: dict) -> System:
    """The `System` of one design point: ``params`` (canonical names -> values) applied to ``base``."""
    config = design_config(base, params)
    return build_system(config)


def design_config(base: HardwareBase, params: dict) -> SystemConfig:
    """The validated configuration of one design point (raises `ImcbenchError` when it is impossible)."""
    if base.mode == "preset":
        kwargs = {ALIASES[n].preset_kwarg: v for n, v in params.items()
                  if n in ALIASES and ALIASES[n].preset_kwarg is not None}
        paths = {n: v for n, v in params.items() if n not in kwargs and not _is_preset_kwarg(n)}
        if "kind" not in kwargs or "rows" not in kwargs:
            raise ImcbenchError("the paper preset needs kind and rows: give them under fixed: or grid:")
        try:
            config = paper_system_config(kwargs.pop("kind"), kwargs.pop("rows"), **kwargs)
        except ValidationError as exc:
            raise ImcbenchError(describe_validation_error(exc, SystemConfig)) from None
        if not paths:
            return config
        data = config.model_dump()
    else:
        data = base.config_dict()
        paths = params
    data = copy.deepcopy(data)
    for name, value in paths.items():
        _apply(data, name, value)
    try:
        return SystemConfig.model_validate(data)
    except ValidationError as exc:
        raise ImcbenchError(describe_validation_error(exc, SystemConfig)) from None


def _is_preset_kwarg(name: str) -> bool:
    return name in ALIASES and ALIASES[name].preset_kwarg is not None


def _apply(data: dict, name: str, value) -> None:
    """Set parameter ``name`` in the configuration dict ``data`` (aliases translated to paths)."""
    if name == "dram_pj_per_bit":
        memory = _memory(data, _dram_name(data))
        for key in ("read_pj", "write_pj"):
            memory.pop(key, None)
        memory["read_pj_per_bit"] = memory["write_pj_per_bit"] = value
        return
    path = _file_path(name, data)
    if name == "cols" and value == SAME_AS_ROWS:
        value = data["macro"]["rows"]
    if name == "adc_bits" or path == "macro.adc_bits":
        value = "paper" if value is None else value
    parts = path.split(".")
    if parts[0] == "memories":
        memory = _memory(data, parts[1])
        if parts[2] in MEMORY_SIZE_KEYS:
            for key in MEMORY_SIZE_KEYS:
                memory.pop(key, None)
        memory[parts[2]] = value
    else:
        data.setdefault(parts[0], {})[parts[1]] = value


def _file_path(name: str, data: dict) -> str:
    """The path of ``name`` in a configuration dict: ``l2_kb`` addresses the level called l2 (else the
    first SRAM), ``dram_pj_per_bit`` the first DRAM level."""
    if name == "l2_kb":
        names = [m["name"] for m in data.get("memories", [])]
        sram = [m["name"] for m in data.get("memories", []) if m.get("kind") == "sram"]
        target = "l2" if "l2" in names else (sram[0] if sram else None)
        if target is None:
            raise ImcbenchError("l2_kb: the hardware has no SRAM level; use a path like memories.NAME.size_kb")
        return f"memories.{target}.size_kb"
    if name == "dram_pj_per_bit":
        return f"memories.{_dram_name(data)}.read_pj_per_bit"
    return _alias_path(name)


def _alias_path(name: str) -> str:
    return ALIASES[name].path if name in ALIASES else name


def _dram_name(data: dict) -> str:
    drams = [m["name"] for m in data.get("memories", []) if m.get("kind") == "dram"]
    if not drams:
        raise ImcbenchError("dram_pj_per_bit: the hardware has no DRAM level")
    return drams[0]


def _memory(data: dict, name: str) -> dict:
    for memory in data.get("memories", []):
        if memory.get("name") == name:
            return memory
    names = [m.get("name") for m in data.get("memories", [])]
    raise ImcbenchError(f"no memory level called {name!r} in the hardware (levels: {', '.join(map(str, names))})")


def _get_path(data: dict, path: str):
    parts = path.split(".")
    if parts[0] == "memories":
        memory = _memory(data, parts[1])
        return memory.get(parts[2])
    return data.get(parts[0], {}).get(parts[1])


@lru_cache(maxsize=None)
def _path_annotation(path: str):
    """The pydantic annotation of the configuration field at ``path`` (raises on an unknown path)."""
    parts = path.split(".")
    if parts[0] == "memories" and len(parts) == 3:
        model, field = MemoryConfig, parts[2]
    elif parts[0] in SECTIONS and len(parts) == 2:
        model, field = SECTIONS[parts[0]], parts[1]
    else:
        raise ImcbenchError(f"unknown sweep parameter path {path!r}: use macro.FIELD, technology.FIELD, "
                            "options.FIELD, interconnect.FIELD or memories.NAME.FIELD")
    if field not in model.model_fields:
        close = difflib.get_close_matches(field, list(model.model_fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; fields: {', '.join(model.model_fields)}"
        raise ImcbenchError(f"unknown sweep parameter path {path!r}{hint}")
    return model.model_fields[field].annotation


def _annotation_types(annotation) -> set:
    """The plain types inside an annotation (``Optional[int]`` -> {int, NoneType})."""
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    if typing.get_origin(annotation) is typing.Literal:
        return {type(a) for a in args}
    return set().union(*(_annotation_types(a) for a in args))


def _digest(text: str) -> str:
    import hashlib

    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
