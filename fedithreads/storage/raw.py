"""The raw archive: every answer a run received, as it was received.

``raw/<host>/<date>/<run_id>.jsonl.gz`` holds one JSON line per answer (url, status,
fetched_at, body), each line its own gzip member, so a killed run leaves at most a cut-off
last member and a resumed run appends after it. A body that is not UTF-8 is kept as
``body_base64``. Tokens never get here: the client redacts any a server echoes.

``scan_raw`` reads a file member by member and tells a write cut off by a kill (expected)
from damage (``fedithreads check``); ``read_raw`` gives the readable records.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fedithreads.storage.atomic import cannot_write, host_dir, safe_name


class RawArchive:
    """Every answer as received, one JSON line each: url, status, fetched_at, body.

    Lines go to ``raw/<host>/<date>/<run_id>.jsonl.gz``, each its own gzip member, so a
    killed run leaves at most a cut-off last line. A body that is not UTF-8 is kept as
    ``body_base64``.
    """

    def __init__(self, data_dir: Path, run_id: str) -> None:
        self.root = data_dir / "raw"
        self.run = safe_name(run_id)

    def write(self, host: str, url: str, status: int, fetched_at: datetime, body: bytes) -> None:
        record: dict[str, object] = {"url": url, "status": status}
        record["fetched_at"] = fetched_at.isoformat()
        try:
            record["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            record["body_base64"] = base64.b64encode(body).decode()
        path = self.root / host_dir(host) / fetched_at.strftime("%Y-%m-%d") / f"{self.run}.jsonl.gz"
        line = json.dumps(record, ensure_ascii=False).encode() + b"\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as fh:
                fh.write(gzip.compress(line, mtime=0))
        except OSError as exc:
            raise cannot_write(path, exc) from None


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


def read_raw(path: Path) -> list[dict[str, object]]:
    """The records of one raw archive file.

    Each record is its own gzip member. A member cut off by a killed run or a full disk
    is skipped, and reading goes on with the next whole member (a resumed run appends
    after the broken one), so one bad write never hides the records after it.
    """
    return scan_raw(path).records


def scan_raw(path: Path) -> RawScan:
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
