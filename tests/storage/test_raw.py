"""The raw archive read member by member: whole answers, writes cut off by a kill, damage."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from fedithreads.storage.raw import read_raw, scan_raw


def members(n: int = 5) -> list[bytes]:
    """``n`` archived answers, each its own gzip member as RawArchive writes them."""
    return [
        gzip.compress(json.dumps({"url": f"u{i}", "body": "x" * 40 * i}).encode() + b"\n", mtime=0)
        for i in range(n)
    ]


def write(tmp_path: Path, *chunks: bytes) -> Path:
    path = tmp_path / "run.jsonl.gz"
    path.write_bytes(b"".join(chunks))
    return path


def test_whole_members_are_all_read_and_kept_byte_for_byte(tmp_path: Path) -> None:
    """Every member of a sound file is a record, and its bytes can be written back as they were."""
    m = members()

    scan = scan_raw(write(tmp_path, *m))

    assert [r["url"] for r in scan.records] == ["u0", "u1", "u2", "u3", "u4"]
    assert (scan.damaged, scan.cut_off) == ([], [])
    assert scan.members == m


def test_a_cut_off_last_member_is_a_killed_write_not_damage(tmp_path: Path) -> None:
    """A last member that stops short (its bytes decompress cleanly) is what a kill leaves."""
    m = members()

    scan = scan_raw(write(tmp_path, *m, m[1][:-9]))

    assert len(scan.records) == 5
    assert scan.damaged == []
    assert scan.cut_off == [sum(map(len, m))]


def test_a_cut_off_member_before_a_resumed_runs_answers_is_not_damage(tmp_path: Path) -> None:
    """A resumed run appends after the write its killed run cut off: both sides read."""
    m = members()

    scan = scan_raw(write(tmp_path, m[0], m[1], m[2][:-6], m[3], m[4]))

    assert [r["url"] for r in scan.records] == ["u0", "u1", "u3", "u4"]
    assert scan.damaged == []
    assert scan.cut_off == [len(m[0]) + len(m[1])]


def test_a_member_with_flipped_bytes_in_the_middle_is_damage(tmp_path: Path) -> None:
    """Bytes that do not decompress are damage; the members after them still read."""
    m = members()
    bad = bytearray(m[2])
    bad[14:18] = b"\xff\x00\xff\x00"

    scan = scan_raw(write(tmp_path, m[0], m[1], bytes(bad), m[3], m[4]))

    assert [r["url"] for r in scan.records] == ["u0", "u1", "u3", "u4"]
    assert scan.damaged == [len(m[0]) + len(m[1])]
    assert read_raw(tmp_path / "run.jsonl.gz") == scan.records


def test_a_member_that_holds_no_json_record_is_damage(tmp_path: Path) -> None:
    """A whole member whose line is not a JSON object is no write of ours: damage."""
    m = members(2)

    scan = scan_raw(write(tmp_path, m[0], gzip.compress(b"[1, 2]\n"), m[1]))

    assert len(scan.records) == 2
    assert scan.damaged == [len(m[0])]
