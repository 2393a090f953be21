"""repair: damaged parts go to quarantine/, and the tables come back as they were, from raw."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import polars as pl
import pytest

from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.core.records import ModAction
from fedithreads.core.rows import moderation_frame
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.check import check_data_dir
from fedithreads.storage.repair import repair_data_dir
from fedithreads.storage.tables import append_snapshots, read_table
from tests.collect.conftest import settings_for
from tests.storage.conftest import (
    BIG,
    MAX_POSTS,
    QUICK,
    START,
    assert_same_tables,
    collect_into,
    copy_of,
    dataset,
    garble,
    kill_compaction,
    parts,
    truncate,
)


def quarantined(data_dir: Path) -> list[str]:
    moved = data_dir / "quarantine"
    return sorted(str(p.relative_to(moved)) for p in moved.rglob("*.parquet*"))


@pytest.mark.parametrize(
    ("dialect", "settings"),
    [
        ("lemmy-v3", {}),
        ("lemmy-v4", {}),
        ("piefed", {}),
        ("lemmy-v3", {"ceiling": 4, "big": 600}),
    ],
    ids=["lemmy-v3", "lemmy-v4", "piefed", "lemmy-v3-page-ceiling"],
)
def test_repair_rebuilds_damaged_parts_equal_to_an_undamaged_dir(
    tmp_path: Path, dialect: str, settings: dict[str, int]
) -> None:
    """A comments part and a posts part damaged in a copy: after repair the tables of the
    copy equal the original's, every column, id by id (max_posts listing, batches of
    small threads, the big thread's own part; behind a ceiling, the crawl's stops)."""
    original = tmp_path / "original"
    report = collect_into(original, dialect, **settings)
    copy = copy_of(original, tmp_path / "copy")
    (comments,), (posts,) = parts(copy, "comments"), parts(copy, "posts")
    truncate(comments)
    garble(posts)

    repaired = repair_data_dir(copy, keep_raw=True)

    assert_same_tables(original, copy)
    assert read_table(copy, "posts").height == MAX_POSTS + 1
    assert (repaired.repaired, repaired.lost) == (2, 0)
    assert any(
        f"rebuilt {read_table(original, 'comments').height:,} rows" in x for x in repaired.lines
    )
    rel = f"tables/comments/{comments.parent.name}/{report.run_id}.parquet"
    assert quarantined(copy) == sorted([rel, rel.replace("comments", "posts")])
    assert check_data_dir(copy).problems == []
    titles = read_table(original, "posts")["title"].to_list()
    assert not any(title in line for title in titles for line in repaired.lines)


def test_repair_rebuilds_the_parts_of_a_run_killed_before_compacting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch part of small threads, the big thread's own comments part and its post
    part, of a run killed before compacting, are rebuilt under their own names."""
    original = tmp_path / "original"
    kill_compaction(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        collect_into(original)
    copy = copy_of(original, tmp_path / "copy")
    (batch,) = parts(copy, "comments", "*--batch-*.parquet")
    (thread,) = parts(copy, "comments", f"*--thread-{BIG}.parquet")
    (post,) = parts(copy, "posts", f"*--thread-{BIG}.parquet")
    for damaged in (batch, thread, post):
        truncate(damaged)

    repaired = repair_data_dir(copy, keep_raw=True)

    assert sorted(p.name for p in parts(copy, "comments")) == sorted([batch.name, thread.name])
    assert post.exists()
    assert_same_tables(original, copy)
    assert (repaired.repaired, repaired.lost) == (3, 0)
    assert check_data_dir(copy).problems == []


def test_a_killed_runs_listing_part_is_left_to_the_resumed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing part of a killed run is moved, not rebuilt: the resumed run lists
    the community again and writes it afresh."""
    kill_compaction(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        collect_into(tmp_path)
    (listing,) = parts(tmp_path, "posts", "*--list-*.parquet")
    truncate(listing)

    repaired = repair_data_dir(tmp_path, keep_raw=True)

    assert not listing.exists()
    assert any("lists the community again" in line for line in repaired.lines)
    (left,) = parts(tmp_path, "posts")  # the post target's part, in staging/
    assert pl.read_parquet(left)["post_id"].to_list() == [BIG]
    assert check_data_dir(tmp_path).problems == []


def test_without_raw_answers_repair_quarantines_and_says_what_is_lost(tmp_path: Path) -> None:
    """keep_raw = false: the damaged part is moved, no row is made up, and the line says
    what is lost and that collect --full brings it back."""
    collect_into(tmp_path, keep_raw=False)
    (part,) = parts(tmp_path, "comments")
    garble(part)

    repaired = repair_data_dir(tmp_path, keep_raw=False)

    assert repaired.lost == 1
    (lost,) = [line for line in repaired.lines if "not rebuilt" in line]
    assert "kept no raw answers (keep_raw = false)" in lost
    assert "snapshot of" in lost
    assert "is lost" in lost
    assert "`fedithreads collect --full`" in lost
    assert read_table(tmp_path, "comments").is_empty()
    assert check_data_dir(tmp_path).problems == []


def test_a_second_repair_of_the_same_damage_keeps_the_first_quarantine(tmp_path: Path) -> None:
    """The same file damaged and repaired twice: both damaged copies are kept."""
    collect_into(tmp_path, keep_raw=False)
    (part,) = parts(tmp_path, "comments")
    first = part.read_bytes()[:1000]
    part.write_bytes(first)
    repair_data_dir(tmp_path, keep_raw=False)
    part.write_bytes(b"second damage")

    repair_data_dir(tmp_path, keep_raw=False)

    moved = tmp_path / "quarantine" / part.relative_to(tmp_path)
    assert moved.read_bytes() == first
    assert moved.with_name(moved.name + ".1").read_bytes() == b"second damage"


def test_a_part_whose_raw_answers_are_damaged_too_is_not_rebuilt(tmp_path: Path) -> None:
    """Raw answers with a damaged member cannot vouch for a rebuild: the part is moved,
    the raw file is mended into its readable answers, and the loss is said."""
    collect_into(tmp_path)
    (raw,) = (tmp_path / "raw").glob("*/*/*.jsonl.gz")
    data = bytearray(raw.read_bytes())
    middle = data.find(b"\x1f\x8b\x08", len(data) // 2)
    data[middle + 12 : middle + 20] = b"\xff" * 8
    raw.write_bytes(bytes(data))
    truncate(parts(tmp_path, "comments")[0])

    repaired = repair_data_dir(tmp_path, keep_raw=True)

    assert repaired.lost == 1
    assert any("its raw answers" in x and "are damaged too" in x for x in repaired.lines)
    assert (tmp_path / "quarantine" / raw.relative_to(tmp_path)).read_bytes() == bytes(data)
    assert check_data_dir(tmp_path).problems == []


def test_an_unreadable_manifest_is_moved_and_a_note_keeps_its_run_known(tmp_path: Path) -> None:
    """The manifest goes to quarantine/; the note in its place says so; check is clean."""
    report = collect_into(tmp_path)
    manifest = tmp_path / "runs" / f"{report.run_id}.json"
    manifest.write_text("{not json")

    repaired = repair_data_dir(tmp_path, keep_raw=True)

    note = json.loads(manifest.read_text())
    assert note["run_id"] == report.run_id
    assert note["status"] == "unknown"
    assert "quarantine/runs/" in note["manifest_lost"]
    assert (tmp_path / "quarantine" / "runs" / manifest.name).read_text() == "{not json"
    assert repaired.lost == 0
    assert check_data_dir(tmp_path).problems == []


def test_an_unreadable_state_is_moved_aside(tmp_path: Path) -> None:
    """state.json that is not JSON goes to quarantine/; the next collect starts afresh."""
    collect_into(tmp_path)
    (tmp_path / "state.json").write_text("\x00\x00")

    repaired = repair_data_dir(tmp_path, keep_raw=True)

    assert not (tmp_path / "state.json").exists()
    assert (tmp_path / "quarantine" / "state.json").read_text() == "\x00\x00"
    assert any("crawls every thread once" in line for line in repaired.lines)


def test_posts_of_a_run_whose_manifest_is_lost_are_not_rebuilt(tmp_path: Path) -> None:
    """Without the manifest, which listed posts the run kept (max_posts) is unknown: the
    damaged posts part is moved and the loss said, never guessed."""
    report = collect_into(tmp_path)
    (tmp_path / "runs" / f"{report.run_id}.json").write_text("{")
    truncate(parts(tmp_path, "posts")[0])

    repaired = repair_data_dir(tmp_path, keep_raw=True)

    assert repaired.lost == 1
    assert any("which posts it kept is unknown" in line for line in repaired.lines)
    assert read_table(tmp_path, "posts").is_empty()


def test_the_missing_parts_of_a_killed_run_are_rebuilt_from_its_done_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """state.json says threads were written but their parts are gone: every done thread's
    comments come back in a part of repair's own."""
    original = tmp_path / "original"
    kill_compaction(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        collect_into(original)
    copy = copy_of(original, tmp_path / "copy")
    for part in parts(copy, "comments"):
        part.unlink()

    repaired = repair_data_dir(copy, keep_raw=True)

    assert [p.name.split("--")[1] for p in parts(copy, "comments")] == ["repair-1.parquet"]
    assert_same_tables(original, copy)
    assert (repaired.repaired, repaired.lost) == (1, 0)


def test_repair_rebuilds_the_rows_a_failed_crawl_kept(tmp_path: Path) -> None:
    """A thread whose crawl failed midway kept the pages it had: a repair of its damaged
    part rebuilds exactly those rows from the run's answers, no more (the 503s and the
    pages fetched ahead of the failure are not rows)."""
    original = tmp_path / "original"
    faults = Quirks(
        published_rate_limit=QUICK,
        fault_paths=("/comment/list",),
        fault_schedule=("",) * 5 + ("html_503",) * 20,
    )
    with ReplayServer(dataset(600), quirks=faults) as server:
        settings = settings_for(
            original, limits={"per_host_concurrency": 1}, retry={"max_attempts": 2}
        )
        report = asyncio.run(
            Collector(settings).run([parse_target(f"{server.base_url}/post/{BIG}")])
        )
    (thread,) = report.targets[0].threads
    copy = copy_of(original, tmp_path / "copy")
    (comments,) = parts(copy, "comments")
    garble(comments)

    repaired = repair_data_dir(copy, keep_raw=True)

    assert thread.error is not None
    assert 0 < thread.collected == read_table(original, "comments").height < 600
    assert (repaired.repaired, repaired.lost) == (1, 0)
    assert_same_tables(original, copy)


def test_a_damaged_moderation_file_is_moved_and_not_rebuilt_as_anything_else(
    tmp_path: Path,
) -> None:
    """The moderation table is not derived from raw answers: its damaged file goes to
    quarantine with one line saying the next collect reads the log again (rows lost,
    exit 1); no other table's rows are written in its place."""
    report = collect_into(tmp_path)
    instance = read_table(tmp_path, "posts")["instance"][0]
    action = ModAction(
        instance, 7, "mod_remove_comment", False, None, None, None, "https://x/comment/1",
        None, None, "spam", None, START, "lemmy-v3", "0.19.20", START, report.run_id,
    )  # fmt: skip
    (written,) = append_snapshots(tmp_path, report.run_id, "moderation", moderation_frame([action]))
    truncate(written)

    repaired = repair_data_dir(tmp_path, keep_raw=True)

    assert not written.exists()
    assert repaired.lost == 1
    assert any("moderation rows are not derived from raw answers" in x for x in repaired.lines)
    assert read_table(tmp_path, "moderation").is_empty()
    assert check_data_dir(tmp_path).problems == []
