"""Reading YAML input files safely and turning validation errors into one clear message.

`yaml.safe_load` only (no Python objects), a size limit, and pydantic errors rewritten as
"FILE: field a.b: problem" with the closest valid name for a misspelt key.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from imcbench.errors import ImcbenchError

MAX_YAML_BYTES = 2 * 1024 * 1024  # input files are hand-written configurations, not data dumps


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
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ImcbenchError(f"{path}: not valid YAML{where}: {problem}") from None


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
    loc = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        key = str(first["loc"][-1])
        valid = _field_names_at(model, first["loc"][:-1])
        close = difflib.get_close_matches(key, valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; valid keys: {', '.join(valid)}" if valid else "")
        message = f"unknown key {key!r}{hint}"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"field {loc}: {message}{more}"


def _field_names_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the (nested) model reached by ``loc``; list indices are skipped."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _model_of(fields[part].annotation)
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
