"""Parquet files joined row group by row group, and the Thrift footers under them."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fedithreads.storage import thrift
from fedithreads.storage.rowgroups import PartsFile

DATA_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2 = 0, 2, 3


def _frames() -> list[pl.DataFrame]:
    """Three parts of one schema: ids in separate ranges, text, nulls, one part empty."""
    schema: dict[str, pl.DataType] = {
        "id": pl.Int64(),
        "text": pl.String(),
        "seen": pl.Datetime("us", "UTC"),
    }
    return [
        pl.DataFrame(
            {
                "id": list(range(start, start + size)),
                "text": [f"comment {i % 7}" if i % 5 else None for i in range(size)],
                "seen": [None] * size,
            },
            schema=schema,
        )
        for start, size in ((1_000, 700), (5_000, 0), (3_000, 1_300))
    ]


def _part(frame: pl.DataFrame) -> io.BytesIO:
    out = io.BytesIO()
    frame.write_parquet(out, statistics=True)
    return out


def _joined(path: Path, frames: list[pl.DataFrame]) -> None:
    with path.open("wb") as out:
        joined = PartsFile(out)
        for frame in frames:
            joined.append(_part(frame))
        joined.finish()


def test_joined_parts_read_back_as_their_rows_in_order_a_row_group_each(tmp_path: Path) -> None:
    """Polars and DuckDB read every part's rows, in order, one row group per non-empty part."""
    frames = _frames()
    _joined(tmp_path / "j.parquet", frames)

    expected = pl.concat(frames)
    assert_frame_equal(pl.read_parquet(tmp_path / "j.parquet"), expected)
    groups = duckdb.sql(
        f"select row_group_id, row_group_num_rows from parquet_metadata('{tmp_path}/j.parquet')"
        " where path_in_schema = 'id' order by row_group_id"
    ).fetchall()
    assert groups == [(0, 700), (1, 1_300)]
    assert duckdb.sql(f"select count(*) from '{tmp_path}/j.parquet'").fetchone() == (2_000,)


def test_each_row_group_keeps_its_statistics_and_predicates_find_the_rows(tmp_path: Path) -> None:
    """The footer's min and max are each part's own, and filters on them return the rows."""
    _joined(tmp_path / "j.parquet", _frames())

    stats = duckdb.sql(
        f"select stats_min_value, stats_max_value, stats_null_count from parquet_metadata("
        f"'{tmp_path}/j.parquet') where path_in_schema = 'id' order by row_group_id"
    ).fetchall()
    picked = pl.scan_parquet(tmp_path / "j.parquet").filter(pl.col("id").is_between(3_010, 3_012))
    by_duckdb = duckdb.sql(f"select id from '{tmp_path}/j.parquet' where id >= 1699 and id < 3001")

    assert stats == [("1000", "1699", 0), ("3000", "4299", 0)]
    assert picked.collect()["id"].to_list() == [3_010, 3_011, 3_012]
    assert sorted(r[0] for r in by_duckdb.fetchall()) == [1_699, 3_000]


def test_every_offset_in_the_footer_and_page_index_points_at_a_page(tmp_path: Path) -> None:
    """Moved offsets land on page headers: data and dictionary pages, and each page of
    the offset index with the size it gives."""
    _joined(tmp_path / "j.parquet", _frames())
    data = (tmp_path / "j.parquet").read_bytes()
    footer = thrift.read_struct(data[-8 - int.from_bytes(data[-8:-4], "little") : -8])

    seen = 0
    for group in _items(footer, 4):
        for chunk in _items(group, 1):
            meta = chunk.get(3)
            assert isinstance(meta, thrift.Struct)
            assert _page_at(data, meta.get(9))[0] in (DATA_PAGE, DATA_PAGE_V2)
            if meta.get(11) is not None:
                assert _page_at(data, meta.get(11))[0] == DICTIONARY_PAGE
            start, length = chunk.get(4), chunk.get(5)
            assert isinstance(start, int)
            assert isinstance(length, int)
            for page in _items(thrift.read_struct(data[start : start + length]), 1):
                kind, size = _page_at(data, page.get(1))
                assert kind in (DATA_PAGE, DATA_PAGE_V2)
                assert size == page.get(2)
                seen += 1
    assert seen >= 6  # every column of both row groups


def test_a_part_of_another_schema_is_refused(tmp_path: Path) -> None:
    """Parts whose Parquet schema differs cannot share one footer: a clear ValueError."""
    first, _, third = _frames()
    with (tmp_path / "j.parquet").open("wb") as out:
        joined = PartsFile(out)
        joined.append(_part(first))
        with pytest.raises(ValueError, match="schema differs"):
            joined.append(_part(third.with_columns(pl.col("id").cast(pl.Int32))))


def test_parts_without_rows_make_an_empty_file_of_their_schema(tmp_path: Path) -> None:
    """Only empty parts: a file with no row group that reads as an empty frame."""
    empty = _frames()[1]
    _joined(tmp_path / "j.parquet", [empty, empty])

    assert_frame_equal(pl.read_parquet(tmp_path / "j.parquet"), empty)


def test_a_footer_reads_and_writes_back_byte_for_byte_whole_or_in_part() -> None:
    """Decoding a Polars footer fully, or only the row groups, and encoding it gives the
    same bytes."""
    data = _part(_frames()[0]).getvalue()
    footer = data[-8 - int.from_bytes(data[-8:-4], "little") : -8]

    assert thrift.write_struct(thrift.read_struct(footer)) == footer
    assert thrift.write_struct(thrift.read_struct(footer, {4: {1: {3: {}}}})) == footer
    assert thrift.write_struct(thrift.read_struct(footer, {})) == footer


def test_fields_the_reader_does_not_know_come_back_as_they_were() -> None:
    """Every compact type, far field ids, negative numbers and lists of booleans survive."""
    inner = thrift.Struct([thrift.Field(1, thrift.I32, -7), thrift.Field(2, thrift.TRUE, True)])
    value = thrift.Struct(
        [
            thrift.Field(1, thrift.BYTE, 200),
            thrift.Field(2, thrift.I16, -300),
            thrift.Field(3, thrift.FALSE, False),
            thrift.Field(30, thrift.I64, -(2**62)),
            thrift.Field(31, thrift.DOUBLE, 2.5),
            thrift.Field(32, thrift.BINARY, b"\x00bytes"),
            thrift.Field(33, thrift.LIST, thrift.List(thrift.TRUE, [1, 2, 1])),
            thrift.Field(34, thrift.SET, thrift.List(thrift.STRUCT, [inner] * 16)),
            thrift.Field(35, thrift.MAP, thrift.Map(thrift.BINARY, thrift.I32, [(b"k", 9)])),
            thrift.Field(36, thrift.STRUCT, inner),
        ]
    )
    data = thrift.write_struct(value)

    assert thrift.read_struct(data) == value
    assert thrift.write_struct(thrift.read_struct(data, {})) == data


def test_a_cut_footer_is_a_thrift_error() -> None:
    """Bytes that end inside a struct are refused, not read as something shorter."""
    data = _part(_frames()[0]).getvalue()
    footer = data[-8 - int.from_bytes(data[-8:-4], "little") : -8]

    with pytest.raises(thrift.ThriftError):
        thrift.read_struct(footer[: len(footer) // 2])
    with pytest.raises(thrift.ThriftError):
        thrift.read_struct(footer[: len(footer) // 2], {})


def _items(struct: thrift.Struct, fid: int) -> list[thrift.Struct]:
    value = struct.get(fid)
    assert isinstance(value, thrift.List)
    return [item for item in value.items if isinstance(item, thrift.Struct)]


def _page_at(data: bytes, offset: object) -> tuple[object, int]:
    """The type of the page whose header starts at ``offset``, and its size on disk."""
    assert isinstance(offset, int)
    reader = thrift.Reader(data, offset)
    header = reader.struct()
    compressed = header.get(3)
    assert isinstance(compressed, int)
    return header.get(1), reader.pos - offset + compressed
