"""A strict fast path for the hottest document: a Lemmy 0.19 ``/comment/list`` page.

The pydantic models are the contract: they accept every tolerated variant and name the
JSON path of every problem. Most pages, though, are exactly what Lemmy 0.19 writes, and
for those the models' generality is the cost. This path reads such a page with orjson
(strict JSON like the models: no NaN, no lone surrogates) and plain checks: canonical
key names, exact types (``int`` not ``"3"``, ``bool`` or null flags), ids and counts in
64 bits, ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` timestamps. Anything else — a renamed field, a
number as a string, a 0.18 naive or a nanosecond timestamp, a missing key — makes it
give up (``None``) and the models take the whole page, so the records are always those
the models would give (a property test holds the two to it).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson

from fedithreads.records import CommentRecord, Provenance, handle

_I64 = 2**63 - 1
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")


class _Decline(Exception):
    """The page is not in the canonical shape: leave it to the models."""


def comment_list_v3(body: bytes | str, prov: Provenance) -> tuple[CommentRecord, ...] | None:
    """The records of a canonical 0.19 comment list, or ``None`` to use the models."""
    try:
        doc = orjson.loads(body)
        views = doc["comments"] if isinstance(doc, dict) else None
        if not isinstance(views, list):
            return None
        return tuple(_comment(view, prov) for view in views)
    except (_Decline, ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return None


def _comment(view: Any, prov: Provenance) -> CommentRecord:
    c, creator, counts = view["comment"], view["creator"], view["counts"]
    post = view.get("post")
    cid, pid, ap_id, path = c["id"], c["post_id"], c["ap_id"], c["path"]
    name, actor, content = creator["name"], creator["actor_id"], c["content"]
    score, up, down = counts["score"], counts["upvotes"], counts["downvotes"]
    child = counts.get("child_count")
    if (
        type(cid) is not int
        or type(pid) is not int
        or not (0 <= cid <= _I64 and 0 <= pid <= _I64)
        or type(ap_id) is not str
        or type(path) is not str
        or type(name) is not str
        or type(actor) is not str
        or (content is not None and type(content) is not str)
        or "updated_at" in c  # the models would read it when "updated" is missing
    ):
        raise _Decline
    updated = c.get("updated")
    return CommentRecord(
        prov.instance,
        cid,
        pid,
        ap_id,
        None if post is None else _text(post["ap_id"]),
        path,
        handle(name, actor),
        actor,
        content or None,
        _time(c["published"]),
        None if updated is None else _time(updated),
        _flag(c.get("deleted")),
        _flag(c.get("removed")),
        _flag(c.get("distinguished")),
        _count(score),
        _count(up),
        _count(down),
        0 if child is None else _count(child),
        prov.dialect,
        prov.server_version,
        prov.collected_at,
        prov.run_id,
    )


def _text(value: Any) -> str:
    if type(value) is not str:
        raise _Decline
    return value


def _count(value: Any) -> int:
    if type(value) is not int or not -_I64 <= value <= _I64:
        raise _Decline
    return value


def _flag(value: Any) -> bool:
    if value is None or type(value) is bool:
        return bool(value)
    raise _Decline


def _time(value: Any) -> datetime:
    if type(value) is not str or _STAMP.fullmatch(value) is None:
        raise _Decline
    return datetime.fromisoformat(value)  # "Z": already UTC (datetime.UTC)
