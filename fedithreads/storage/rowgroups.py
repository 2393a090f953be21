"""One Parquet file made of small ones, their pages copied, in constant memory.

A thread's rows come in spills of a few thousand, each already a whole small Parquet file
(its row group, page index and footer, as Polars wrote it). ``PartsFile`` makes one file
of them without decoding a value: each part's pages are copied as they are, then, once
all are in, every part's column and offset indexes, then one footer (``FileMetaData``)
that lists all the row groups. Only byte offsets change: every offset a part's footer
holds (``ColumnChunk`` and ``ColumnMetaData`` fields, a row group's ``file_offset``,
each page's in its offset index) moves by where its pages landed, each row group gets its
ordinal in the file, the footer its rows summed. The schema, the Arrow schema Polars keeps
in the key-value metadata, the statistics and everything else come through as Polars
wrote them (``storage.thrift`` keeps fields it does not know), so Polars and DuckDB read
the file as one of Polars' own, a row group per part, with its statistics for their
predicates. A part whose Parquet schema differs from the first's is refused
(``ValueError``): a caller writes its parts in one schema. What is held between parts is
each part's footer and page index as bytes (a few kB), never a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from fedithreads.storage import thrift
from fedithreads.storage.thrift import Encoded, Struct

MAGIC = b"PAR1"

# Field ids in parquet.thrift (apache/parquet-format).
_FILE_SCHEMA, _FILE_ROWS, _FILE_GROUPS, _FILE_KEYS, _FILE_ORDERS = 2, 3, 4, 5, 7
_GROUP_COLUMNS, _GROUP_ROWS, _GROUP_OFFSET, _GROUP_ORDINAL = 1, 3, 5, 7
_CHUNK_OFFSET, _CHUNK_META = 2, 3
_OFFSET_INDEX, _OFFSET_INDEX_LENGTH, _COLUMN_INDEX, _COLUMN_INDEX_LENGTH = 4, 5, 6, 7
_META_PAGE_OFFSETS, _META_BLOOM = (9, 10, 11), 14
_PAGE_OFFSET = 1  # PageLocation.offset, in OffsetIndex field 1
_FOOTER_ROWS: thrift.Into = {_FILE_GROUPS: {_GROUP_COLUMNS: {_CHUNK_META: {}}}}
"""What of a footer is read into trees: the row groups down to each chunk's offsets."""
_PAGES: thrift.Into = {1: {}}  # OffsetIndex: its PageLocations
_INDEXES = ((_COLUMN_INDEX, _COLUMN_INDEX_LENGTH), (_OFFSET_INDEX, _OFFSET_INDEX_LENGTH))


@dataclass
class _Part:
    """What one appended part leaves until ``finish``: its footer and page indexes as
    bytes, how far its pages moved, where its indexes went."""

    footer: bytes
    shift: int
    column_indexes: list[bytes | None]
    offset_indexes: list[bytes | None]
    placed: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)


@dataclass
class PartsFile:
    """A Parquet file being written to ``out`` (at its start) from whole small ones."""

    out: IO[bytes]
    position: int = 0
    template: Struct | None = None
    parts: list[_Part] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._write(MAGIC)

    def append(self, part: IO[bytes]) -> None:
        """Add the row groups of ``part``, a whole Parquet file open for reading (its pages
        are copied now)."""
        size = part.seek(0, 2)
        footer_bytes, footer_start = _footer(part, size)
        footer = thrift.read_struct(footer_bytes, _FOOTER_ROWS)
        self._check_schema(footer)
        chunks = _chunks(footer)
        pages_end = _pages_end(chunks, footer_start)
        self.parts.append(
            _Part(
                footer_bytes,
                self.position - len(MAGIC),
                [_read_at(part, c, _COLUMN_INDEX, _COLUMN_INDEX_LENGTH) for c in chunks],
                [_read_at(part, c, _OFFSET_INDEX, _OFFSET_INDEX_LENGTH) for c in chunks],
            )
        )
        part.seek(len(MAGIC))
        _copy(part, self.out, pages_end - len(MAGIC))
        self.position += pages_end - len(MAGIC)

    def finish(self) -> None:
        """Write the page indexes and the footer; the file is whole after this."""
        if self.template is None:
            raise ValueError("a Parquet file needs at least one part for its schema")
        for part in self.parts:
            for i, index in enumerate(part.column_indexes):
                self._place(part, _COLUMN_INDEX, i, index)
        for part in self.parts:
            for i, index in enumerate(part.offset_indexes):
                moved = None if index is None else _moved_pages(index, part.shift)
                self._place(part, _OFFSET_INDEX, i, moved)
        groups: list[thrift.Value] = []
        rows = 0
        for part in self.parts:
            for group in _placed_groups(part, ordinal=len(groups)):
                rows += _int(group, _GROUP_ROWS)
                groups.append(Encoded(thrift.write_struct(group)))
        footer = self.template
        footer.set(_FILE_ROWS, rows)
        footer.set(_FILE_GROUPS, thrift.List(thrift.STRUCT, groups))
        data = thrift.write_struct(footer)
        self._write(data + len(data).to_bytes(4, "little") + MAGIC)

    def _place(self, part: _Part, kind: int, chunk: int, data: bytes | None) -> None:
        if data is not None:
            part.placed[kind, chunk] = (self.position, len(data))
            self._write(data)

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def _check_schema(self, footer: Struct) -> None:
        if self.template is None:
            self.template = thrift.read_struct(thrift.write_struct(footer), {})
            self.template.set(_FILE_GROUPS, thrift.List(thrift.STRUCT, []))
            return
        for fid in (_FILE_SCHEMA, _FILE_KEYS, _FILE_ORDERS):
            if footer.get(fid) != self.template.get(fid):
                raise ValueError("a part's Parquet schema differs from the first part's")


def _footer(part: IO[bytes], size: int) -> tuple[bytes, int]:
    """A whole Parquet file's footer, and where it starts."""
    part.seek(0)
    head = part.read(4)
    part.seek(size - 8)
    tail = part.read(8)
    start = size - 8 - int.from_bytes(tail[:4], "little")
    if size < 12 or head != MAGIC or tail[4:] != MAGIC or start < len(MAGIC):
        raise ValueError("not a Parquet file")
    part.seek(start)
    return part.read(size - 8 - start), start


def _chunks(footer: Struct) -> list[Struct]:
    return [c for g in _list(footer, _FILE_GROUPS) for c in _list(g, _GROUP_COLUMNS)]


def _pages_end(chunks: list[Struct], footer_start: int) -> int:
    """Where a part's pages end: at its first page index (Polars writes them after the
    pages), else at its footer. A Bloom filter past there is refused, not lost."""
    starts = [_int(c, f) for c in chunks for f in (_OFFSET_INDEX, _COLUMN_INDEX) if c.get(f)]
    end = min(starts, default=footer_start)
    for chunk in chunks:
        meta = _meta(chunk)
        if any(_int(meta, f) >= end for f in _META_PAGE_OFFSETS if meta.get(f) is not None):
            raise ValueError("a part's pages lie past its page index")
        bloom = meta.get(_META_BLOOM)
        if bloom is not None and _as_int(bloom) >= end:
            raise ValueError("a part's Bloom filters lie past its pages")
    return end


def _read_at(part: IO[bytes], chunk: Struct, offset: int, length: int) -> bytes | None:
    start = chunk.get(offset)
    if start is None:
        return None
    part.seek(_as_int(start))
    return part.read(_int(chunk, length))


def _copy(source: IO[bytes], out: IO[bytes], length: int) -> None:
    """``length`` bytes from ``source``'s position to ``out``, a megabyte at a time."""
    while length > 0:
        data = source.read(min(length, 1 << 20))
        if not data:
            raise ValueError("a part ends before its pages do")
        out.write(data)
        length -= len(data)


def _moved_pages(offset_index: bytes, shift: int) -> bytes:
    """An offset index with its pages' offsets moved by ``shift``."""
    index = thrift.read_struct(offset_index, _PAGES)
    for page in _list(index, 1):
        page.set(_PAGE_OFFSET, _int(page, _PAGE_OFFSET) + shift)
    return thrift.write_struct(index)


def _placed_groups(part: _Part, ordinal: int) -> list[Struct]:
    """A part's row groups with their offsets moved and its page indexes pointed to."""
    groups = _list(thrift.read_struct(part.footer, _FOOTER_ROWS), _FILE_GROUPS)
    chunk = 0
    for group in groups:
        _move(group, _GROUP_OFFSET, part.shift)
        if group.get(_GROUP_ORDINAL) is not None:
            group.set(_GROUP_ORDINAL, ordinal)
        ordinal += 1
        for column in _list(group, _GROUP_COLUMNS):
            _place_chunk(column, part, chunk)
            chunk += 1
    return groups


def _place_chunk(column: Struct, part: _Part, chunk: int) -> None:
    if column.get(_CHUNK_OFFSET):  # 0: "no metadata outside the footer"
        _move(column, _CHUNK_OFFSET, part.shift)
    for fid in _META_PAGE_OFFSETS:
        _move(_meta(column), fid, part.shift)
    for offset, length in _INDEXES:
        if (offset, chunk) in part.placed:
            position, size = part.placed[offset, chunk]
            column.set(offset, position)
            column.set(length, size)


def _move(struct: Struct, fid: int, shift: int) -> None:
    value = struct.get(fid)
    if value is not None:
        struct.set(fid, _as_int(value) + shift)


def _meta(chunk: Struct) -> Struct:
    meta = chunk.get(_CHUNK_META)
    if not isinstance(meta, Struct):
        raise ValueError("a column chunk without its metadata")
    return meta


def _list(struct: Struct, fid: int) -> list[Struct]:
    value = struct.get(fid)
    if not isinstance(value, thrift.List):
        raise ValueError(f"field {fid} is not a list")
    return [item for item in value.items if isinstance(item, Struct)]


def _int(struct: Struct, fid: int) -> int:
    return _as_int(struct.get(fid))


def _as_int(value: object) -> int:
    if not isinstance(value, int):
        raise ValueError("an offset or size that is not an integer")
    return value
