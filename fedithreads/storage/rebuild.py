"""One run's rows on one instance, derived again from the run's raw answers.

What the collector wrote (fedithreads.collect.run, .thread, .batch, storage.tables):

* **comments**: every crawled thread's comments, folded from its listings
  (``storage.refold``), in a part of its own or in a batch; compacted into one file.
* **posts**: each community target's listing as the part ``list-<name>``, only the posts
  the run kept (``max_posts``: the manifest's threads of that target), the first
  sighting of each; each post target's post (``/post`` or ``/resolve_object``) as the
  part ``thread-<id>``. Compaction keeps one row per post, the later part by name
  winning (``storage.tables.compact_run``).

A run killed and resumed is rebuilt from, for each thread, the last attempt that
fetched it, with the pages of earlier attempts its crawl reused
(``refold.with_earlier``). Where the answers cannot give the rows (none kept, a file
damaged), the result is the reason, in words, and no row is made up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from fedithreads.core import schema
from fedithreads.core.records import CommentRecord, Page, PostRecord
from fedithreads.core.rows import comments_frame, posts_frame
from fedithreads.storage.answers import Attempt, RawRun, read_run
from fedithreads.storage.atomic import safe_name
from fedithreads.storage.books import RunNote, TargetNote
from fedithreads.storage.objects import Location
from fedithreads.storage.refold import (
    Listing,
    ListingKey,
    first_posts,
    thread_listings,
    thread_rows,
    with_earlier,
)
from fedithreads.storage.tables import KEYS


@dataclass(slots=True)
class HostRows:
    """A run's rows on one instance: comments per thread, posts per part name."""

    instance: str = ""
    comments: dict[int, list[CommentRecord]] = field(default_factory=dict)
    posts: dict[str, list[PostRecord]] = field(default_factory=dict)
    fetched: dict[int, PostRecord] = field(default_factory=dict)
    """Posts of ``/post`` and ``/resolve_object`` answers (post targets), by id."""


def unavailable(raw: RawRun, host_dir: str, run: RunNote, keep_raw: bool) -> str | None:
    """Why the raw archive cannot give the run's rows on ``host_dir``, or ``None``."""
    if raw.damaged:
        names = ", ".join(f"raw/{host_dir}/{p.parent.name}/{p.name}" for p in raw.files)
        return f"its raw answers ({names or 'quarantined'}) are damaged too"
    if not raw.attempts:
        if not keep_raw:
            return f"run {run.run_id} kept no raw answers (keep_raw = false)"
        return f"raw/{host_dir}/*/{run.name}.jsonl.gz, its raw answers, is missing"
    return None


def host_rows(data_dir: Location, host_dir: str, run: RunNote) -> tuple[RawRun, HostRows]:
    """Read the run's raw answers from one host and derive its rows."""
    raw = read_run(data_dir, host_dir, run.name, run.run_id)
    rows = HostRows()
    earlier: dict[int, dict[ListingKey, Listing]] = {}
    for attempt in raw.attempts:  # later attempts replace earlier ones, thread by thread
        _add_attempt(rows, attempt, run, earlier)
    return raw, rows


def _add_attempt(
    rows: HostRows, attempt: Attempt, run: RunNote, earlier: dict[int, dict[ListingKey, Listing]]
) -> None:
    """The attempt's rows over those of earlier attempts; ``earlier`` (each thread's
    listings so far, later pages winning) grows by the attempt's."""
    rows.instance = attempt.prov.instance
    fetched = attempt.posts()
    rows.fetched.update(fetched)
    listed = _listings(attempt, run.targets or ())
    known = {p.post_id: p for part in listed.values() for p in part} | fetched
    dialect = attempt.prov.dialect
    for post_id, listings in thread_listings(attempt).items():
        before = earlier.setdefault(post_id, {})
        resumed = with_earlier(listings, before, dialect)
        rows.comments[post_id] = thread_rows(resumed, dialect, known.get(post_id))
        for listing in listings:
            pages = before.setdefault(listing.key, listing).pages
            if pages is not listing.pages:
                pages.update(listing.pages)
    rows.posts.update(listed)


def _listings(attempt: Attempt, targets: Iterable[TargetNote]) -> dict[str, list[PostRecord]]:
    """Each community target's kept posts, by the part name the collector gave them."""
    pages: dict[str, list[Page]] = {}
    for answer, page in attempt.pages("post/list"):
        pages.setdefault(answer.params.get("community_name", ""), []).append(page)
    out: dict[str, list[PostRecord]] = {}
    for target in targets:
        name = _community(target.key, attempt.prov.instance)
        if name is None or name not in pages:
            continue
        found = first_posts(pages[name])
        kept = [t.post_id for t in target.threads if t.instance == attempt.prov.instance]
        out[f"list-{name}"] = [found[i] for i in kept if i in found]
    return out


def _community(key: str, instance: str) -> str | None:
    """The community name of a ``community:<host>:<name>`` target key on ``instance``."""
    prefix = f"community:{instance}:"
    return key[len(prefix) :] if key.startswith(prefix) else None


def post_targets(run: RunNote, instance: str) -> list[int]:
    """The threads the run's post and ap_id targets named on ``instance``."""
    return [
        t.post_id
        for target in run.targets or ()
        if not target.key.startswith("community:")
        for t in target.threads
        if t.instance == instance
    ]


# ---------------------------------------------------------------------- frames
def comments_of(rows: HostRows, threads: Iterable[int] | None = None) -> pl.DataFrame:
    """The comment rows of ``threads`` (default: every thread), in the table's schema."""
    chosen = rows.comments if threads is None else {t: rows.comments.get(t, []) for t in threads}
    records = [c for part in chosen.values() for c in part]
    if not records:
        return schema.empty("comments")
    return schema.conform(comments_frame(records, sort=False), "comments")


def posts_of(parts: dict[str, list[PostRecord]]) -> pl.DataFrame:
    """Post parts merged as compaction merges them: one row per post, the part last by
    file name winning."""
    frames = [posts_frame(parts[n]) for n in sorted(parts, key=safe_name) if parts[n]]
    if not frames:
        return schema.empty("posts")
    if len(frames) == 1:
        return schema.conform(frames[0], "posts")
    merged = pl.concat(frames).unique(KEYS["posts"], keep="last", maintain_order=True)
    return schema.conform(merged, "posts")


def finished_posts(rows: HostRows, run: RunNote) -> pl.DataFrame:
    """The posts a finished run wrote on the host: listings and post targets."""
    parts = dict(rows.posts)
    for post_id in post_targets(run, rows.instance):
        if post_id in rows.fetched:
            parts[f"thread-{post_id}"] = [rows.fetched[post_id]]
    return posts_of(parts)
