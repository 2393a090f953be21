"""A directed graph as GraphML (http://graphml.graphdrawing.org/), from a node and an edge
frame, every line built by Polars (no Python loop per node).

Each column but the id is an attribute (``<key>``) of its type: strings are ``string``,
integers ``long``, floats ``double``, booleans ``boolean``, timestamps ``string``
(ISO 8601, UTC). A null value is left out (the attribute has no default). Text is
escaped for XML, and the characters XML 1.0 cannot hold (C0 controls but tab, newline
and carriage return; U+FFFE, U+FFFF) become U+FFFD. Node ids are the ``node`` column;
edges name them by ``source`` and ``target``, in the order of the frame (parallel edges
are kept, as GraphML allows).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import polars as pl

from fedithreads.storage.atomic import save_atomic

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)
_NOT_XML = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;"}


def write_graphml(path: Path, nodes: pl.DataFrame, edges: pl.DataFrame, name: str) -> None:
    """Write the graph ``name`` (``nodes``: a ``node`` column and attributes; ``edges``:
    ``source``, ``target`` and attributes) to ``path``, atomically."""
    node_keys = _keys(nodes.drop("node"), "node", "n")
    edge_keys = _keys(edges.drop("source", "target"), "edge", "e")

    def write(fh: IO[bytes]) -> None:
        fh.write(_HEAD.encode())
        for key in [*node_keys, *edge_keys]:
            fh.write(f"  {key.declaration}\n".encode())
        fh.write(f'  <graph id={_quote(name)} edgedefault="directed">\n'.encode())
        _lines(nodes, _element("node", {"id": "node"}, node_keys), fh)
        _lines(edges, _element("edge", {"source": "source", "target": "target"}, edge_keys), fh)
        fh.write(b"  </graph>\n</graphml>\n")

    save_atomic(path, write)


class _Key:
    """One attribute: its column, its GraphML key id and declaration."""

    def __init__(self, column: str, dtype: pl.DataType, target: str, key_id: str) -> None:
        self.column, self.key_id = column, key_id
        self.value = _text(pl.col(column), dtype)
        kind = _type(dtype)
        self.declaration = (
            f'<key id="{key_id}" for="{target}" attr.name={_quote(column)} attr.type="{kind}"/>'
        )


def _keys(frame: pl.DataFrame, target: str, prefix: str) -> list[_Key]:
    return [
        _Key(column, dtype, target, f"{prefix}{i}")
        for i, (column, dtype) in enumerate(frame.schema.items())
    ]


def _type(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "long"
    if dtype.is_float():
        return "double"
    return "string"


def _text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A column's values as GraphML text, escaped."""
    if dtype == pl.Boolean:
        return pl.when(column).then(pl.lit("true")).otherwise(pl.lit("false"))
    if isinstance(dtype, pl.Datetime):
        return column.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ")
    if dtype == pl.String:
        return _escaped(column)
    return column.cast(pl.String)


def _escaped(text: pl.Expr) -> pl.Expr:
    return text.str.replace_all(_NOT_XML, "\ufffd").str.replace_many(_ESCAPES)


def _element(tag: str, ids: dict[str, str], keys: list[_Key]) -> pl.Expr:
    """One element per row: ``<tag a="…">`` with a ``<data>`` per non-null attribute."""
    parts: list[pl.Expr | str] = [f"    <{tag}"]
    for attribute, column in ids.items():
        parts += [f' {attribute}="', _escaped(pl.col(column)), '"']
    parts.append(">")
    for key in keys:
        data = pl.concat_str(pl.lit(f'<data key="{key.key_id}">'), key.value, pl.lit("</data>"))
        parts.append(pl.when(pl.col(key.column).is_not_null()).then(data).otherwise(pl.lit("")))
    parts.append(f"</{tag}>")
    return pl.concat_str([p if isinstance(p, pl.Expr) else pl.lit(p) for p in parts])


def _lines(frame: pl.DataFrame, line: pl.Expr, fh: IO[bytes]) -> None:
    """Each row's element on its own line."""
    if frame.is_empty():
        return
    frame.select(line.alias("xml")).write_csv(
        fh, include_header=False, quote_style="never", line_terminator="\n"
    )


def _quote(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'
