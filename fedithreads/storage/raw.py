"""The raw archive: every answer a run received, as it was received.

``raw/<host>/<date>/<run_id>.jsonl.gz`` holds one JSON line per answer (url, status,
fetched_at, body), each line its own gzip member, so a killed run leaves at most a cut-off
last member and a resumed run appends after it (in object storage: chunks of members,
``<run_id>.<ns>.jsonl.gz``, uploaded whole). A body that is not UTF-8 is kept as
``body_base64``. Tokens never get here: the client redacts any a server echoes.

``scan_raw`` reads a file member by member and tells a write cut off by a kill (expected)
from damage (``fedithreads check``); ``read_raw`` gives the readable records.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fedithreads.storage.atomic import cannot_write, host_dir, make_dirs, safe_name, sync_path
from fedithreads.storage.objects import Location, ObjectPath


class RawArchive:
    """Every answer as received, one JSON line each: url, status, fetched_at, body.

    Lines go to ``raw/<host>/<date>/<run_id>.jsonl.gz``, each its own gzip member, so a
    killed run leaves at most a cut-off last line. A body that is not UTF-8 is kept as
    ``body_base64``.

    On a disk each answer is appended as it comes, and ``flush`` syncs the files
    appended to since the last one (a directory made for them is synced in its parent
    when it is made). The run calls ``flush`` whenever it records threads as done, so
    that a machine going down cannot leave state.json saying a thread is done while the
    answers it was read from were still in the page cache.

    In object storage, where nothing can be appended to, the members are held in memory
    and ``flush`` uploads them as ``<run_id>.<time in ns>.jsonl.gz`` beside that name:
    when ``CHUNK_BYTES`` have gathered, and whenever the run records threads as done
    (``flush`` is called first), so that no thread is done whose answers are not kept.
    A killed run loses only answers of threads it had not finished, which its resumed
    run fetches again. Read in name order, the chunks are the one file a disk holds.
    """

    CHUNK_BYTES = 8 << 20

    def __init__(self, data_dir: Location, run_id: str) -> None:
        self.root = data_dir / "raw"
        self.run = safe_name(run_id)
        self._held: dict[Location, list[bytes]] = {}
        self._bytes = 0
        self._stamp = 0
        self._dirs: set[Path] = set()
        self._unsynced: set[Path] = set()

    def write(self, host: str, url: str, status: int, fetched_at: datetime, body: bytes) -> None:
        record: dict[str, object] = {"url": url, "status": status}
        record["fetched_at"] = fetched_at.isoformat()
        try:
            record["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            record["body_base64"] = base64.b64encode(body).decode()
        path = self.root / host_dir(host) / fetched_at.strftime("%Y-%m-%d") / f"{self.run}.jsonl.gz"
        line = json.dumps(record, ensure_ascii=False).encode() + b"\n"
        member = gzip.compress(line, mtime=0)
        if isinstance(path, ObjectPath):
            self._held.setdefault(path, []).append(member)
            self._bytes += len(member)
            if self._bytes >= self.CHUNK_BYTES:
                self.flush()
            return
        try:
            if path.parent not in self._dirs:
                make_dirs(path.parent)
                self._dirs.add(path.parent)
            with path.open("ab") as fh:
                fh.write(member)
        except OSError as exc:
            raise cannot_write(path, exc) from None
        self._unsynced.add(path)

    def flush(self) -> None:
        """Make the answers written so far durable: on a disk, sync the files appended
        to since the last flush; for object storage, upload the answers held, a chunk
        per file."""
        unsynced, self._unsynced = self._unsynced, set()
        for file in sorted(unsynced):
            try:
                sync_path(file)
            except OSError as exc:
                raise cannot_write(file, exc) from None
        held, self._held, self._bytes = self._held, {}, 0
        for path, members in held.items():
            self._stamp = max(self._stamp + 1, time.time_ns())
            path.with_name(f"{self.run}.{self._stamp}.jsonl.gz").write_bytes(b"".join(members))


def raw_names(run_name: str) -> tuple[str, str]:
    """The glob patterns of a run's raw files in one date directory: the file a disk
    appends to, and the chunks object storage holds."""
    return f"{run_name}.jsonl.gz", f"{run_name}.*.jsonl.gz"


_GZIP_MAGIC = b"\x1f\x8b\x08"


@dataclass(slots=True)
class RawScan:
    """One raw archive file read member by member: its readable records, and where it
    is damaged.

    A member whose bytes decompress without error but stop short is a write cut off by
    a killed run (``cut_off``): expected, whether it ends the file or a resumed run
    appended after it. A member whose bytes do not decompress (a bad header, deflate
    data, CRC or length), or that holds a line that is not a JSON record, is damage
    (``damaged``): no write of ours leaves one.
    """

    records: list[dict[str, object]] = field(default_factory=list)
    members: list[bytes] = field(default_factory=list)
    """Every whole, readable member's bytes, in order (to write a mended copy)."""
    damaged: list[int] = field(default_factory=list)
    """Byte offsets of damaged members."""
    cut_off: list[int] = field(default_factory=list)
    """Byte offsets of members cut off by a killed write."""


def read_raw(path: Location) -> list[dict[str, object]]:
    """The records of one raw archive file.

    Each record is its own gzip member. A member cut off by a killed run or a full disk
    is skipped, and reading goes on with the next whole member (a resumed run appends
    after the broken one), so one bad write never hides the records after it.
    """
    return scan_raw(path).records


def scan_raw(path: Location) -> RawScan:
    """Read ``path`` member by member (see ``RawScan``)."""
    data = path.read_bytes()
    scan = RawScan()
    start = 0
    while start < len(data):
        start = _next_member(data, start, scan)
    return scan


def _next_member(data: bytes, start: int, scan: RawScan) -> int:
    """Read the member at ``start`` into ``scan``; where the next one starts."""
    state, text, end = _inflate(data, start, len(data))
    if state == "short":  # ran out of bytes: the last write was cut off
        scan.cut_off.append(start)
        return end
    if state == "broken":
        return _skip_broken(data, start, scan)
    records = _records(text)
    if records is None:
        scan.damaged.append(start)
    else:
        scan.records.extend(records)
        scan.members.append(data[start:end])
    return end


def _skip_broken(data: bytes, start: int, scan: RawScan) -> int:
    """A member that does not decompress: up to the next gzip header, a write cut off
    (its bytes are a clean beginning of a member) or damage."""
    found = data.find(_GZIP_MAGIC, start + 1)
    end = len(data) if found < 0 else found
    state, _, _ = _inflate(data, start, end)
    (scan.cut_off if state == "short" else scan.damaged).append(start)
    return end


_CHUNK = 1 << 16


def _inflate(data: bytes, start: int, stop: int) -> tuple[str, bytes, int]:
    """Decompress the member at ``start`` (reading no further than ``stop``), a chunk at
    a time so that a file of many members costs no copy of its rest per member:
    ``("whole", text, end)``, ``("short", b"", stop)`` or ``("broken", b"", start)``."""
    member = zlib.decompressobj(wbits=31)
    view = memoryview(data)
    out: list[bytes] = []
    pos = start
    try:
        while not member.eof and pos < stop:
            chunk = view[pos : min(pos + _CHUNK, stop)]
            pos += len(chunk)
            out.append(member.decompress(chunk))
    except zlib.error:
        return "broken", b"", start
    if not member.eof:
        return "short", b"", stop
    return "whole", b"".join(out), pos - len(member.unused_data)


def _records(text: bytes) -> list[dict[str, object]] | None:
    """The JSON records of one member's lines; ``None`` if a line is not one."""
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        records.append(record)
    return records
