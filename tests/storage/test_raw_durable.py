"""The raw archive on a disk is synced before the run records threads as done: a machine
going down cannot leave state.json saying a thread is done while the answers it was read
from were only in the page cache."""

from __future__ import annotations

import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fedithreads.errors import StoreError
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage import atomic
from fedithreads.storage.raw import RawArchive, read_raw
from tests.collect.conftest import collect, settings_for
from tests.system.conftest import community

AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


SIZES: dict[str, int] = {}
"""Each file's size when the ``synced`` fixture last saw it synced."""


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What was fsynced, in order: files by their path, directories as ``dir:<path>``
    (the real fsync still runs); ``SIZES`` the files' sizes then."""
    seen: list[str] = []
    real_fsync, real_dir = os.fsync, atomic._fsync_dir
    SIZES.clear()

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):  # a directory's own sync is seen by fsync_dir
            path = str(Path(f"/proc/self/fd/{fd}").readlink())
            seen.append(path)
            SIZES[path] = info.st_size
        real_fsync(fd)

    def fsync_dir(directory: Path) -> None:
        seen.append(f"dir:{directory}")
        real_dir(directory)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(atomic, "_fsync_dir", fsync_dir)
    return seen


def answer(archive: RawArchive, host: str, n: int) -> None:
    archive.write(host, f"https://{host}/api/v3/post?id={n}", 200, AT, b'{"n": %d}' % n)


def test_flush_syncs_each_file_appended_to_since_the_last_flush(
    tmp_path: Path, synced: list[str]
) -> None:
    """Answers are appended unsynced; flush syncs each file written once, whatever the
    number of answers in it; a flush with nothing new syncs nothing."""
    archive = RawArchive(tmp_path, "run-1")
    for n in range(3):
        answer(archive, "lemmy.ca", n)
    answer(archive, "piefed.social", 9)
    files = sorted(str(p) for p in (tmp_path / "raw").rglob("*.jsonl.gz"))
    assert len(files) == 2
    assert not any(s in files for s in synced)

    archive.flush()
    flushed = [s for s in synced if not s.startswith("dir:")]
    archive.flush()

    assert sorted(flushed) == files
    assert [s for s in synced if not s.startswith("dir:")] == flushed
    assert [len(read_raw(Path(f))) for f in files] == [3, 1]


def test_the_directories_made_for_the_archive_are_synced_in_their_parents(
    tmp_path: Path, synced: list[str]
) -> None:
    """raw/, raw/<host>/ and raw/<host>/<date>/ are new: each is synced in its parent
    once, when it is made, not again for the next answer."""
    archive = RawArchive(tmp_path, "run-1")
    answer(archive, "lemmy.ca", 1)
    answer(archive, "lemmy.ca", 2)

    day = next((tmp_path / "raw").rglob("*.jsonl.gz")).parent
    assert [s for s in synced if s.startswith("dir:")] == [
        f"dir:{d}" for d in (tmp_path, tmp_path / "raw", day.parent)
    ]


def test_a_sync_that_fails_is_one_line_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = RawArchive(tmp_path, "run-1")
    answer(archive, "lemmy.ca", 1)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError) as caught:
        archive.flush()

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("disk full writing ")
    assert str(next((tmp_path / "raw").rglob("*.jsonl.gz"))) in message


def test_a_run_syncs_its_answers_before_each_save_of_the_state_that_follows_them(
    tmp_path: Path, synced: list[str]
) -> None:
    """Over a real run: every raw file's last sync comes before the last save of
    state.json (the one that records its threads as done), and no raw file is
    appended to after its last sync."""
    settings = settings_for(tmp_path)
    with ReplayServer(community(6), quirks=Quirks(published_rate_limit=(60_000, 60))) as server:
        report = collect(settings, f"{server.base_url}/c/technology@lemmy.world")
    assert report.ok

    raw_files = sorted(str(p) for p in (tmp_path / "raw").rglob("*.jsonl.gz"))
    states = [i for i, s in enumerate(synced) if Path(s).parent == tmp_path and "state" in s]
    assert raw_files
    assert states
    for f in raw_files:
        assert f in synced, f"{f} never synced"
        last = max(i for i, s in enumerate(synced) if s == f)
        assert last < states[-1], f"{f} synced after the last state save"
        assert Path(f).stat().st_size == SIZES[f], f"{f} appended to after its last sync"
