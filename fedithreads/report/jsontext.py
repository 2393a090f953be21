"""JSON text of nested data without recursion, for trees of any depth.

``json.dumps`` recurses once per level of nesting, so a reply chain a few hundred deep
(``show --format json``: each reply nests two levels below its parent) ends in a
RecursionError; with ``indent``, each line is also indented by its depth, so the text
grows with depth × size. ``json_text`` walks the data with an explicit stack and writes
what ``json.dumps(value, ensure_ascii=False, indent=1)`` writes, except that nesting
deeper than ``MAX_INDENT`` levels is not indented further: any depth, and text linear in
the size of the data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_INDENT = 40
"""Levels of nesting indented by one more space each; deeper ones stay at this indent."""


@dataclass(slots=True)
class _Open:
    """A container being written: its remaining items, how to close it, its level."""

    items: Iterator[tuple[str | None, Any]]
    closer: str
    level: int
    first: bool = True


def json_text(value: Any) -> Iterator[str]:
    """Pieces of the JSON text of ``value`` (dicts, lists and JSON scalars)."""
    if not _nested(value):
        yield _scalar(value)
        return
    yield _opener(value)
    stack = [_open(value, 1)]
    while stack:
        top = stack[-1]
        item = next(top.items, None)
        if item is None:
            stack.pop()
            yield _newline(top.level - 1) + top.closer
            continue
        key, child = item
        yield ("" if top.first else ",") + _newline(top.level)
        top.first = False
        if key is not None:
            yield _scalar(key) + ": "
        if _nested(child):
            yield _opener(child)
            stack.append(_open(child, top.level + 1))
        else:
            yield _scalar(child)


def _nested(value: Any) -> bool:
    """A non-empty dict or list (empty ones are written like scalars: ``{}``, ``[]``)."""
    return isinstance(value, dict | list) and bool(value)


def _open(value: dict[str, Any] | list[Any], level: int) -> _Open:
    if isinstance(value, dict):
        return _Open(iter(value.items()), "}", level)
    return _Open(((None, v) for v in value), "]", level)


def _opener(value: dict[str, Any] | list[Any]) -> str:
    return "{" if isinstance(value, dict) else "["


def _newline(level: int) -> str:
    return "\n" + " " * min(level, MAX_INDENT)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
