"""The spool: comment rows spilled to disk and joined into one part, latest batch first."""

from __future__ import annotations

import ctypes
import errno
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from msgspec.structs import replace
from polars.testing import assert_frame_equal

from fedithreads.collect import spool as spool_module
from fedithreads.collect.spool import Spool
from fedithreads.core.records import CommentRecord
from fedithreads.core.rows import comments_frame
from fedithreads.core.schema import COMMENTS
from fedithreads.errors import StoreError
from fedithreads.storage.atomic import sink_atomic
from fedithreads.storage.rowgroups import PartsFile
from tests.factories import T0, comment, hand_thread


@pytest.mark.parametrize("framed", [False, True])
def test_a_resent_comment_keeps_its_newer_row_and_dropped_ids_are_left_out(
    tmp_path: Path, framed: bool
) -> None:
    """A comment sent again with newer counts keeps only that row; rejected ids are gone."""
    _, comments = hand_thread()
    later = replace(comments[0], score=40, collected_at=comments[0].collected_at + timedelta(1))
    spool = Spool(tmp_path / "s", flush_rows=3, framed=framed)

    spool.add(comments[:4])
    spool.add([later, *comments[4:]], replaced=[later.comment_id])
    spool.write(tmp_path / "part.parquet", frozenset({8}))

    merged = pl.read_parquet(tmp_path / "part.parquet").sort("comment_id")
    assert merged["comment_id"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert merged.filter(pl.col("comment_id") == 1)["score"].to_list() == [40]
    assert dict(merged.schema) == COMMENTS


@pytest.mark.parametrize("framed", [False, True])
def test_rows_beyond_the_buffer_are_spilled_and_cleaned_up(tmp_path: Path, framed: bool) -> None:
    """Past flush_rows the rows go to disk; writing removes every spilled file."""
    _, comments = hand_thread()
    spool = Spool(tmp_path / "s", flush_rows=2, framed=framed)

    for c in comments:
        spool.add([c])
    spilled = sorted(p.name for p in (tmp_path / "s").iterdir())
    wrote = spool.write(tmp_path / "part.parquet", frozenset())

    assert spilled == [f"0000{i}.{'parquet' if framed else 'msgpack'}" for i in range(4)]
    assert wrote
    assert pl.read_parquet(tmp_path / "part.parquet").height == 8
    assert not (tmp_path / "s").exists()


def test_a_killed_runs_leftovers_are_cleared_and_an_empty_spool_writes_nothing(
    tmp_path: Path,
) -> None:
    """A spool dir left by a killed run never leaks into the next attempt."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "00000.msgpack").write_bytes(b"half a file")

    spool = Spool(tmp_path / "s")
    wrote = spool.write(tmp_path / "part.parquet", frozenset())

    assert not wrote
    assert not (tmp_path / "part.parquet").exists()


@pytest.mark.parametrize("framed", [False, True])
def test_batches_stay_with_their_rows_when_one_spill_holds_several(
    tmp_path: Path, framed: bool
) -> None:
    """Out-of-order ids from several pages in one buffer: the resent one keeps its newest."""
    _, comments = hand_thread()
    c1, c3, c5 = comments[0], comments[2], comments[4]
    newer = replace(c3, score=77, collected_at=c3.collected_at + timedelta(hours=1))
    spool = Spool(tmp_path / "s", flush_rows=100, framed=framed)

    spool.add([c5, c3])
    spool.add([newer, c1], replaced=[3])
    spool.write(tmp_path / "part.parquet", frozenset())

    merged = pl.read_parquet(tmp_path / "part.parquet").sort("comment_id")
    assert merged.select("comment_id", "score").rows() == [(1, c1.score), (3, 77), (5, c5.score)]


def _pages(n: int) -> tuple[list[list[CommentRecord]], list[list[int]], frozenset[int]]:
    """A flat n-comment thread in pages of 25, where later pages send some comments again
    with newer counts (in the same spill and across spills, one three times) and a few ids
    are rejected; each page with the ids it replaces."""
    comments = [comment(k, f"0.{k}", minutes=k, score=k % 9) for k in range(1, n + 1)]
    pages = [comments[i : i + 25] for i in range(0, n, 25)]
    replaced: list[list[int]] = [[] for _ in pages]
    for where, cids in ((3, [2, 60, 61]), (7, [60, 150]), (11, [5, 60, 270])):
        again = [
            replace(comments[c - 1], score=100 + where, collected_at=T0 + timedelta(where))
            for c in cids
        ]
        pages[where] = pages[where] + again
        replaced[where] = cids
    return pages, replaced, frozenset({7, 61, 200})


def _old_part(
    pages: list[list[CommentRecord]], replaced: list[list[int]], drop: frozenset[int], path: Path
) -> None:
    """The part file as Spool.write made it before its rows went row group by row group:
    every row with its batch, the old query over them, Polars' streaming sink."""
    latest = {cid: batch for batch, cids in enumerate(replaced) for cid in cids}
    rows = [c for page in pages for c in page]
    batches = [batch for batch, page in enumerate(pages) for _ in page]
    frame = comments_frame(rows, sort=False).with_columns(
        pl.Series("_batch", batches, dtype=pl.UInt32)
    )
    keep = pl.DataFrame(
        {"comment_id": list(latest), "_keep": list(latest.values())},
        schema={"comment_id": pl.Int64, "_keep": pl.UInt32},
    )
    old = (
        frame.lazy()
        .filter(~pl.col("comment_id").is_in(sorted(drop)))
        .join(keep.lazy(), on="comment_id", how="left")
        .filter(pl.col("_keep").is_null() | (pl.col("_batch") == pl.col("_keep")))
        .select(list(COMMENTS))
    )
    sink_atomic(old, path, row_group_size=40)


@pytest.mark.parametrize("framed", [False, True])
def test_the_part_file_holds_what_the_streaming_sink_wrote_row_for_row(
    tmp_path: Path, framed: bool
) -> None:
    """Over many spills with re-sent and rejected comments, the part file has the same rows,
    values and types as the old streaming sink's, in the order they came, a row group a spill."""
    pages, replaced, drop = _pages(300)
    spool = Spool(tmp_path / "s", flush_rows=40, framed=framed)
    for page, cids in zip(pages, replaced, strict=True):
        spool.add(page, replaced=cids)
    spool.write(tmp_path / "new.parquet", drop)
    _old_part(pages, replaced, drop, tmp_path / "old.parquet")

    new = pl.read_parquet(tmp_path / "new.parquet")
    old = pl.read_parquet(tmp_path / "old.parquet")
    assert_frame_equal(new.sort("comment_id"), old.sort("comment_id"))
    assert new.height == 297
    assert new["comment_id"].n_unique() == 297
    assert new.filter(pl.col("comment_id") == 60)["score"].to_list() == [111]
    assert new["comment_id"].head(3).to_list() == [1, 3, 4]  # 2 came again in page 3
    groups = duckdb.sql(
        f"select count(*) from parquet_metadata('{tmp_path}/new.parquet')"
        " where path_in_schema = 'comment_id'"
    ).fetchone()
    assert groups == (6,)  # a spill every two pages


@pytest.mark.parametrize("framed", [False, True])
def test_the_part_file_answers_queries_on_comment_id_from_its_statistics(
    tmp_path: Path, framed: bool
) -> None:
    """Polars and DuckDB find the rows of a comment_id range in the joined file, and each
    row group's footer statistics bound the ids it holds."""
    pages, replaced, drop = _pages(300)
    spool = Spool(tmp_path / "s", flush_rows=40, framed=framed)
    for page, cids in zip(pages, replaced, strict=True):
        spool.add(page, replaced=cids)
    spool.write(tmp_path / "part.parquet", drop)
    part = f"{tmp_path}/part.parquet"

    picked = pl.scan_parquet(part).filter(pl.col("comment_id").is_between(198, 202)).collect()
    by_duckdb = duckdb.sql(f"select comment_id from '{part}' where comment_id between 198 and 202")
    groups = duckdb.sql(
        f"select row_group_num_rows, stats_min_value::bigint, stats_max_value::bigint"
        f" from parquet_metadata('{part}') where path_in_schema = 'comment_id'"
        " order by row_group_id"
    ).fetchall()
    ids = pl.read_parquet(part)["comment_id"]

    assert sorted(picked["comment_id"].to_list()) == [198, 199, 201, 202]
    assert sorted(r[0] for r in by_duckdb.fetchall()) == [198, 199, 201, 202]
    start = 0
    for size, low, high in groups:
        held = ids.slice(start, size)
        assert (low, high) == (held.min(), held.max())
        start += size
    assert start == ids.len()
    assert len(groups) == 6


@pytest.mark.parametrize("framed", [False, True])
def test_a_thread_whose_every_row_is_rejected_writes_an_empty_part_of_the_schema(
    tmp_path: Path,
    framed: bool,
) -> None:
    """Spills whose rows are all left out still make a part: no rows, the table's columns."""
    _, comments = hand_thread()
    spool = Spool(tmp_path / "s", flush_rows=2, framed=framed)
    for c in comments:
        spool.add([c])

    wrote = spool.write(tmp_path / "part.parquet", frozenset(c.comment_id for c in comments))

    part = pl.read_parquet(tmp_path / "part.parquet")
    assert wrote
    assert part.height == 0
    assert dict(part.schema) == COMMENTS


@pytest.mark.parametrize("framed", [False, True])
def test_a_full_disk_while_joining_the_part_leaves_no_file_and_names_the_part(
    tmp_path: Path, framed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The part file's write failing (no space) is one StoreError naming it; neither the
    part nor a temporary is left."""
    pages, replaced, drop = _pages(300)
    spool = Spool(tmp_path / "s", flush_rows=40, framed=framed)
    for page, cids in zip(pages, replaced, strict=True):
        spool.add(page, replaced=cids)

    def full(self: PartsFile) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(PartsFile, "finish", full)
    with pytest.raises(StoreError, match=r"disk full writing .*part\.parquet"):
        spool.write(tmp_path / "out" / "part.parquet", drop)

    assert list((tmp_path / "out").iterdir()) == []


def test_the_freed_heap_is_handed_back_where_libc_can_and_skipped_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """glibc's malloc_trim is asked to free everything it can; a C library without it
    (musl, macOS) leaves the write to go on."""
    calls: list[int] = []

    class Glibc:
        def malloc_trim(self, pad: int) -> int:
            calls.append(pad)
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda _name: Glibc())
    spool_module.release_freed_heap()
    monkeypatch.setattr(ctypes, "CDLL", lambda _name: object())
    spool_module.release_freed_heap()

    assert calls == [0]


def test_a_framed_spill_that_lost_no_row_is_copied_and_only_the_others_are_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Framed spills are Parquet already: one that keeps every row goes in as it is; only a
    spill with a dropped or superseded row is read back and filtered."""
    _, comments = hand_thread()
    read_back: list[str] = []
    real_read = spool_module._read_part

    def counting_read(path: Path) -> pl.DataFrame:
        read_back.append(path.name)
        return real_read(path)

    monkeypatch.setattr(spool_module, "_read_part", counting_read)
    spool = Spool(tmp_path / "s", flush_rows=2, framed=True)
    for c in comments:
        spool.add([c])
    spool.write(tmp_path / "part.parquet", frozenset({comments[4].comment_id}))

    part = pl.read_parquet(tmp_path / "part.parquet")
    assert read_back == ["00002.parquet"]
    assert part["comment_id"].to_list() == [c.comment_id for c in comments if c is not comments[4]]
    assert dict(part.schema) == COMMENTS
