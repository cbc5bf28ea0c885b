"""Reading YAML input files safely and turning validation errors into one clear message.

`yaml.safe_load` only (no Python objects), a size limit, and pydantic errors rewritten as
"FILE: field a.b: problem" with the closest valid name for a misspelt key. Duplicate keys, alias bombs
("billion laughs"), recursive aliases and absurd nesting are refused with one message.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from imcbench.errors import ImcbenchError

MAX_YAML_BYTES = 2 * 1024 * 1024  # input files are hand-written configurations, not data dumps
# Nodes after expanding aliases: an alias-free file under MAX_YAML_BYTES has fewer (a node takes >= 2 bytes),
# so only alias bombs ("billion laughs": 9 aliases of 9 aliases ... expand to 10^9 nodes) reach it.
MAX_YAML_NODES = 1_000_000


class StrictModel(BaseModel):
    """The one base of every YAML schema (hardware, cluster, sweep, workload): an unknown key is an error (with
    the closest valid name), and .inf / .nan are refused wherever a number is read (they would poison every
    result). ZigZag files, written for another tool, use their own tolerant base."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key repeated in one mapping (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                if key_node.value in first_line:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r} (first given at line "
                        f"{first_line[key_node.value]}); each key may appear once", key_node.start_mark)
                first_line[key_node.value] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def read_yaml(path: str | Path, what: str = "YAML file") -> Any:
    """Parse ``path`` with ``yaml.safe_load``; every failure becomes an :class:`ImcbenchError`."""
    path = Path(path)
    if not path.is_file():
        raise ImcbenchError(f"{what} {str(path)!r} not found: check the path")
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise ImcbenchError(f"{path}: {size} bytes is larger than the {MAX_YAML_BYTES} byte limit for a {what}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImcbenchError(f"{path}: cannot read it as UTF-8 text ({exc.__class__.__name__})") from None
    try:
        data = yaml.load(text, Loader=_StrictSafeLoader)  # a SafeLoader: plain data only, never Python objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ImcbenchError(f"{path}: not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise ImcbenchError(f"{path}: not valid YAML: nested too deeply for a configuration file") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ImcbenchError(f"{path}: not valid YAML: a value cannot be read ({str(exc).split(';')[0]})") from None
    _check_expanded_size(data, path)
    return data


def _check_expanded_size(data: Any, path: Path) -> None:
    """Refuse recursive aliases and documents of more than MAX_YAML_NODES nodes once aliases are expanded.

    Aliases share one Python object, so the count is memoised by object: linear in the parsed size.
    """
    expanded: dict[int, int] = {}  # id of a list/dict -> nodes in it, aliases expanded
    open_containers: set[int] = set()  # containers whose children are being counted (the current path)
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        obj, children_done = stack.pop()
        if not isinstance(obj, (list, dict)):
            continue
        children = list(obj) if isinstance(obj, list) else [*obj.keys(), *obj.values()]
        key = id(obj)
        if children_done:
            expanded[key] = 1 + sum(expanded.get(id(c), 1) for c in children)
            open_containers.discard(key)
            if expanded[key] > MAX_YAML_NODES:
                raise ImcbenchError(f"{path}: more than {MAX_YAML_NODES} values once its aliases (*name) are "
                                    "expanded (imcbench.yamlio.MAX_YAML_NODES); write the values out or use fewer aliases")
            continue
        if key in expanded:
            continue
        if key in open_containers:
            raise ImcbenchError(f"{path}: an alias (*name) refers to a value that contains it; recursive YAML "
                                "is not a valid configuration")
        open_containers.add(key)
        stack.append((obj, True))
        stack.extend((c, False) for c in children if isinstance(c, (list, dict)) and id(c) not in expanded)


def validate(model: type[BaseModel], data: Any, source: str) -> BaseModel:
    """``model.model_validate(data)`` with errors rewritten as one line naming the file and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ImcbenchError(f"{source}: {describe_validation_error(exc, model)}") from None


def describe_validation_error(exc: ValidationError, model: type[BaseModel]) -> str:
    """The first error of ``exc`` as 'field x.y: message', suggesting the closest valid key name."""
    # a misspelt key also makes the real key "missing": report the unknown key first, it is the cause
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    # pydantic names the union member it tried ("function-after[...]"): not a key the user wrote
    loc = ".".join(str(part) for part in first["loc"] if "[" not in str(part)) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        key = str(first["loc"][-1])
        valid = _field_names_at(model, first["loc"][:-1])
        close = difflib.get_close_matches(key, valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; valid keys: {', '.join(valid)}" if valid else "")
        message = f"unknown key {key!r}{hint}"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"field {loc}: {message}{more}"


def did_you_mean(model: type[BaseModel], loc: tuple) -> str:
    """``"; did you mean 'x'?"`` for the unknown key at the end of ``loc`` when a valid key is close, else ''."""
    close = difflib.get_close_matches(str(loc[-1]), _field_names_at(model, loc[:-1]), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _field_names_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the (nested) model reached by ``loc``; list indices and keys of a dict of models
    (``memories: {name: {...}}``) are skipped."""
    current: Any = model
    in_dict = False  # the previous field is a dict: this part is one of its keys
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields and part in fields:
            current = _model_of(fields[part].annotation)
            in_dict = getattr(fields[part].annotation, "__origin__", None) is dict
        elif in_dict:
            in_dict = False
        else:
            return []
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []


def _model_of(annotation: Any) -> Any:
    """The BaseModel inside an annotation such as ``list[Level]`` or ``Level | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None
