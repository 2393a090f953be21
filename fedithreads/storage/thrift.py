"""Thrift's compact protocol, as far as a Parquet footer needs it: structs read into trees
of numbered fields and written back byte for byte the same.

A Parquet file ends with its ``FileMetaData``, a Thrift struct in the compact protocol
(field ids and types from ``parquet.thrift``). ``storage.rowgroups`` joins the row groups
of several small files into one and must move their byte offsets; nothing else in a
footer changes. So nothing here knows Parquet's structs: a struct is its fields in the
order they came (``Struct``), each an id, a wire type and a value, and a field this code
has never heard of is kept and written back as it was read. Integers are zigzag varints,
binaries and strings length-prefixed bytes, a boolean field's value is its type nibble.
A reader that changes a few fields reads only those into trees (``into``): any other
nested value is kept as its bytes (``Encoded``) and written back as it was, and a value
written once can be put into a larger one the same way.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)
"""The compact protocol's type ids (a field header's low nibble, a list's element type)."""


@dataclass
class List:
    """A list or set: its element type and its elements (booleans as their raw byte)."""

    kind: int
    items: list[Value]


@dataclass
class Map:
    key_kind: int
    value_kind: int
    items: list[tuple[Value, Value]]


@dataclass
class Field:
    id: int
    kind: int
    value: Value


@dataclass
class Struct:
    """A struct's fields in the order they came; ``get``/``set`` by field id."""

    fields: list[Field] = field(default_factory=list)

    def get(self, fid: int) -> Value | None:
        return next((f.value for f in self.fields if f.id == fid), None)

    def set(self, fid: int, value: Value) -> None:
        """Replace field ``fid``'s value (its wire type stays)."""
        for f in self.fields:
            if f.id == fid:
                f.value = value
                return
        raise KeyError(f"no field {fid} to set")


@dataclass
class Encoded:
    """A value already in the compact protocol (a struct, say), written as it is."""

    data: bytes


Value = int | float | bytes | bool | List | Map | Struct | Encoded
Into = Mapping[int, "Into"]
"""The nested fields to read into trees, by field id, each with its own (``Reader.struct``)."""
_NESTED = (LIST, SET, MAP, STRUCT)


class ThriftError(ValueError):
    """Bytes that are not a compact-protocol struct (a cut or damaged footer)."""


class Reader:
    """Reads values from ``data`` onwards from ``pos``."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ThriftError("the struct ends before its last field")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        data, pos = self.data, self.pos
        shift = result = 0
        while True:
            b = data[pos]  # past the end: IndexError, a ThriftError from read_struct
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                self.pos = pos
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def binary(self) -> bytes:
        size = self.varint()
        end = self.pos + size
        if end > len(self.data):
            raise ThriftError("a binary runs past the struct's end")
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def struct(self, into: Into | None = None) -> Struct:
        """The struct from here; with ``into``, a nested value whose field id it does not
        name is kept as its bytes (``Encoded``), those it names are read with ``into[id]``."""
        out = Struct()
        last = 0
        while (header := self.byte()) != STOP:
            kind, delta = header & 0x0F, header >> 4
            last = last + delta if delta else self.zigzag()
            value: Value
            if kind in (TRUE, FALSE):
                value = kind == TRUE
            elif into is not None and kind in _NESTED and last not in into:
                start = self.pos
                self.skip(kind)
                value = Encoded(self.data[start : self.pos])
            else:
                value = self.value(kind, None if into is None else into.get(last))
            out.fields.append(Field(last, kind, value))
        return out

    def value(self, kind: int, into: Into | None = None) -> Value:
        if kind == BYTE:
            return self.byte()
        if kind in (I16, I32, I64):
            return self.zigzag()
        if kind == DOUBLE:
            self.pos += 8
            return float(struct.unpack_from("<d", self.data, self.pos - 8)[0])
        if kind == BINARY:
            return self.binary()
        if kind in (LIST, SET):
            elem, size = self._list_header()
            items = [
                self.byte() if elem in (TRUE, FALSE) else self.value(elem, into)
                for _ in range(size)
            ]
            return List(elem, items)
        if kind == MAP:
            return self._map()
        if kind == STRUCT:
            return self.struct(into)
        raise ThriftError(f"unknown compact type {kind}")

    def skip(self, kind: int) -> None:
        """Past one value of ``kind``, nothing kept."""
        if kind == BYTE:
            self.pos += 1
        elif kind in (I16, I32, I64):
            self.varint()
        elif kind == DOUBLE:
            self.pos += 8
        elif kind == BINARY:
            size = self.varint()  # before pos is read: varint moves it
            self.pos += size
        elif kind in (LIST, SET):
            elem, size = self._list_header()
            for _ in range(size):
                self.skip(BYTE if elem in (TRUE, FALSE) else elem)
        elif kind == MAP:
            self._map()
        elif kind == STRUCT:
            while (header := self.byte()) != STOP:
                if not header >> 4:
                    self.zigzag()
                if header & 0x0F not in (TRUE, FALSE):
                    self.skip(header & 0x0F)
        else:
            raise ThriftError(f"unknown compact type {kind}")
        if self.pos > len(self.data):
            raise ThriftError("a value runs past the struct's end")

    def _list_header(self) -> tuple[int, int]:
        header = self.byte()
        size = header >> 4 if header >> 4 != 15 else self.varint()
        return header & 0x0F, size

    def _map(self) -> Map:
        size = self.varint()
        if not size:
            return Map(0, 0, [])
        kinds = self.byte()
        k, v = kinds >> 4, kinds & 0x0F
        return Map(k, v, [(self.value(k), self.value(v)) for _ in range(size)])


def read_struct(data: bytes, into: Into | None = None) -> Struct:
    """The struct that ``data`` holds (and nothing after it); ``into`` as in
    ``Reader.struct``: only the nested fields it names are read into trees."""
    try:
        return Reader(data).struct(into)
    except (IndexError, struct.error) as exc:
        raise ThriftError(str(exc)) from None


def write_struct(value: Struct) -> bytes:
    """``value`` in the compact protocol (``read_struct`` of it gives it back)."""
    out = bytearray()
    _struct(out, value)
    return bytes(out)


def _varint(out: bytearray, n: int) -> None:
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _zigzag(out: bytearray, n: int) -> None:
    _varint(out, (n << 1) ^ (n >> 63))


def _struct(out: bytearray, value: Struct) -> None:
    last = 0
    for f in value.fields:
        kind = (TRUE if f.value else FALSE) if f.kind in (TRUE, FALSE) else f.kind
        if 0 < f.id - last <= 15:
            out.append((f.id - last) << 4 | kind)
        else:
            out.append(kind)
            _zigzag(out, f.id)
        last = f.id
        if kind not in (TRUE, FALSE):
            _value(out, kind, f.value)
    out.append(STOP)


def _value(out: bytearray, kind: int, value: Value) -> None:
    if kind == BYTE and isinstance(value, int):
        out.append(value & 0xFF)
    elif kind in (I16, I32, I64) and isinstance(value, int):
        _zigzag(out, value)
    elif kind == DOUBLE and isinstance(value, float):
        out += struct.pack("<d", value)
    elif kind == BINARY and isinstance(value, bytes):
        _varint(out, len(value))
        out += value
    elif isinstance(value, Encoded):
        out += value.data
    elif isinstance(value, List):
        _list(out, value)
    elif isinstance(value, Map):
        _map(out, value)
    elif isinstance(value, Struct):
        _struct(out, value)
    else:
        raise ThriftError(f"{type(value).__name__} is not a value of compact type {kind}")


def _list(out: bytearray, value: List) -> None:
    size = len(value.items)
    if size < 15:
        out.append(size << 4 | value.kind)
    else:
        out.append(0xF0 | value.kind)
        _varint(out, size)
    for item in value.items:
        if value.kind in (TRUE, FALSE) and isinstance(item, int):
            out.append(item)
        else:
            _value(out, value.kind, item)


def _map(out: bytearray, value: Map) -> None:
    _varint(out, len(value.items))
    if value.items:
        out.append(value.key_kind << 4 | value.value_kind)
        for k, v in value.items:
            _value(out, value.key_kind, k)
            _value(out, value.value_kind, v)
