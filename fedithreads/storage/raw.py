"""The raw archive: every answer a run received, as it was received.

``raw/<host>/<date>/<run_id>.jsonl.gz`` holds one JSON line per answer (url, status,
fetched_at, body), each line its own gzip member, so a killed run leaves at most a cut-off
last member and a resumed run appends after it. A body that is not UTF-8 is kept as
``body_base64``. Tokens never get here: the client redacts any a server echoes.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from datetime import datetime
from pathlib import Path

from fedithreads.storage.atomic import cannot_write, safe_name


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
        path = (
            self.root / safe_name(host) / fetched_at.strftime("%Y-%m-%d") / f"{self.run}.jsonl.gz"
        )
        line = json.dumps(record, ensure_ascii=False).encode() + b"\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as fh:
                fh.write(gzip.compress(line, mtime=0))
        except OSError as exc:
            raise cannot_write(path, exc) from None


_GZIP_MAGIC = b"\x1f\x8b\x08"


def read_raw(path: Path) -> list[dict[str, object]]:
    """The records of one raw archive file.

    Each record is its own gzip member. A member cut off by a killed run or a full disk
    is skipped, and reading goes on with the next whole member (a resumed run appends
    after the broken one), so one bad write never hides the records after it.
    """
    data = path.read_bytes()
    out: list[dict[str, object]] = []
    start = 0
    while start < len(data):
        member = zlib.decompressobj(wbits=31)
        try:
            text = member.decompress(data[start:])
            whole = member.eof
        except zlib.error:
            text, whole = b"", False
        if whole:
            out.extend(_records(text))
            start = len(data) - len(member.unused_data)
        else:
            found = data.find(_GZIP_MAGIC, start + 1)
            start = len(data) if found < 0 else found
    return out


def _records(text: bytes) -> list[dict[str, object]]:
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
