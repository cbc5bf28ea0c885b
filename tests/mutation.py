"""Mutations of parsed YAML/JSON documents for the fuzz tests: values replaced, keys deleted or misspelt."""

from __future__ import annotations

import copy

from hypothesis import strategies as st


def paths(obj, prefix=()):
    """Every path (tuple of keys and list indices) into a nested document, the root included."""
    yield prefix
    children = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in children:
        yield from paths(value, prefix + (key,))


@st.composite
def mutated(draw, base, values):
    """``base`` with 1-3 values replaced (drawn from ``values``), keys deleted or keys misspelt."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in paths(data) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "replace", "delete", "misspell"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[f"{path[-1]}{draw(st.sampled_from(['s', '_', 'x']))}"] = parent.pop(path[-1])
    return data
