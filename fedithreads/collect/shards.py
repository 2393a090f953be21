"""``collect --shard I/N``: one of N cron machines sharing a data dir, by host.

The targets of a run are split by the host they are collected from (a post's or a
community's instance, never the post itself), with a hash that every machine computes
alike: each host is then paced by one machine only, as its rate limit assumes. Each
shard has a lock and a state.json of its own (``shards/I-of-N/``), so the N machines
never wait for each other; the tables, the raw archive and the manifests are shared
(every file is named by its run, and no two shards write one host's files).

Changing N moves hosts between shards: a host's incremental state stays with the shard
that had it, so a host's threads are collected afresh once by its new shard.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from fedithreads.errors import UsageError

_SHARD = re.compile(r"([0-9]{1,4})/([0-9]{1,4})")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` of ``count`` (numbered from 1)."""

    index: int
    count: int

    def holds(self, host: str) -> bool:
        """Whether ``host`` (an instance key) is collected by this shard."""
        return shard_of(host, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(host: str, count: int) -> int:
    """The shard (1 to ``count``) of ``host``: the first 8 bytes of its SHA-256, mod count.
    The same on every machine and Python (no ``hash()``, which is salted per process)."""
    digest = hashlib.sha256(host.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str) -> Shard:
    """``--shard I/N``, or a one-line UsageError saying what to write."""
    found = _SHARD.fullmatch(text.strip())
    if found is None:
        raise UsageError(f"--shard {text!r}: give I/N, e.g. --shard 1/3 (shard 1 of 3)")
    index, count = int(found.group(1)), int(found.group(2))
    if count < 1 or not 1 <= index <= count:
        raise UsageError(
            f"--shard {text!r}: shards are numbered 1 to N (N ≥ 1), e.g. 1/3, 2/3 and 3/3"
        )
    return Shard(index, count)
