"""The order of steps behind the commands that read: analyze, show, export and report.

analyze: sources → snapshot tables (fixtures are parsed, data dirs scanned) → analysis
→ the tables of ``schema.TABLES`` (posts, comments, thread_stats, activity, vote_history,
federation, comment_presence, moderation, authors; removed posts and comments carry the
reason and time the moderation log gives). show: the same sources → one thread's tree
(``find_thread``), or the union of a thread's copies as a tree (``find_union``).
export: those tables in a chosen format.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from fedithreads.analysis import derived
from fedithreads.analysis.federation import union_parts
from fedithreads.analysis.frames import build_tables
from fedithreads.analysis.listed import Listed, Split, split
from fedithreads.analysis.moderation import current_actions, with_removals
from fedithreads.analysis.parts import Finish, instance_parts
from fedithreads.analysis.plaintext import with_plain_text
from fedithreads.analysis.snapshots import current, path_reader
from fedithreads.analysis.unionthread import UnionThread, union_thread
from fedithreads.core import schema
from fedithreads.core.linked import linked_thread
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.rows import frame_records, moderation_frame
from fedithreads.core.tree import Rejected, Thread, build_thread
from fedithreads.core.treeshape import TID, build_nodes
from fedithreads.errors import SourceError, UsageError
from fedithreads.storage.exports import PartitionedWriter
from fedithreads.storage.objects import Location
from fedithreads.storage.sources import Capture, load_captures
from fedithreads.storage.tables import is_data_dir, naming_damage, scan_table


@dataclass(frozen=True, slots=True)
class Snapshots:
    """The posts, comments and resolutions snapshot tables of some sources, and comments
    left out."""

    posts: pl.LazyFrame
    comments: pl.LazyFrame
    rejected: tuple[Rejected, ...]
    data_dirs: tuple[Location, ...] = ()
    """The data dirs scanned: where to look for the damaged file when a read fails."""
    resolutions: pl.LazyFrame = field(default_factory=lambda: schema.empty("resolutions").lazy())
    """What ``collect --across`` asked other instances (none for fixture sources)."""
    moderation: pl.LazyFrame = field(default_factory=lambda: schema.empty("moderation").lazy())
    """The moderation log entries read (data dirs' table, saved modlog answers)."""
    languages: pl.LazyFrame = field(default_factory=lambda: schema.empty("languages").lazy())
    """The languages the instances' /site listed (data dirs' table)."""
    split: Split | None = None
    """Each instance's posts and comments read from its own files (``posts`` and
    ``comments`` filtered by instance when not given)."""


def load_snapshots(sources: Sequence[Path], data_dir: Location) -> Snapshots:
    """Fixture files/dirs are parsed; data dirs are scanned; no source means ``data_dir``
    (on disk or in object storage)."""
    candidates: list[Location] = [*sources] or [data_dir]
    data_dirs = [p for p in candidates if p.is_dir() and is_data_dir(p)]
    fixtures = [p for p in sources if p not in data_dirs]
    if not sources and not data_dirs:
        raise SourceError(
            f"{data_dir}: no collected data yet; run `fedithreads collect` first, "
            "or give fixture files/dirs as SOURCE"
        )
    posts: list[pl.LazyFrame] = []
    comments: list[pl.LazyFrame] = []
    asked = [schema.empty("resolutions").lazy(), *(scan_table(d, "resolutions") for d in data_dirs)]
    logged = [schema.empty("moderation").lazy(), *(scan_table(d, "moderation") for d in data_dirs)]
    listed = [schema.empty("languages").lazy(), *(scan_table(d, "languages") for d in data_dirs)]
    rejected: tuple[Rejected, ...] = ()
    if fixtures:
        captures = load_captures(fixtures)
        actions = [a for c in captures for page in c.pages for a in page.actions]
        logged.append(moderation_frame(actions).lazy())
        listed.append(_listed_languages(captures))
        tables = build_tables(
            [r for c in captures for page in c.pages for r in page.posts],
            [r for c in captures for page in c.pages for r in page.comments],
        )
        posts.append(tables.posts.lazy())
        comments.append(tables.comments.lazy())
        rejected = tables.rejected
    post_files = Listed.of(data_dirs, "posts", posts)
    comment_files = Listed.of(data_dirs, "comments", comments)
    return Snapshots(
        post_files.scan(),
        comment_files.scan(),
        rejected,
        tuple(data_dirs),
        pl.concat(asked),
        pl.concat(logged),
        pl.concat(listed),
        split(post_files, comment_files),
    )


def analyze(
    snapshots: Snapshots,
    *,
    bucket: str,
    streaming: bool = False,
    paths_up_to: int | None = None,
    jobs: int | None = None,
) -> dict[str, pl.DataFrame]:
    """The tables of ``schema.TABLES``, in that order.

    posts and comments hold the current (latest) snapshot of each; vote_history keeps
    every snapshot; federation and comment_presence compare the threads collected from
    several instances (fedithreads.analysis.federation). ``streaming``: the metrics one
    instance at a time, the tables read by Polars' streaming engine (for data dirs larger
    than memory). A damaged file of a data dir is one StoreError naming it.

    With ``paths_up_to``, comments of threads of more comments than that have no
    ``path`` (null): a thread's paths hold depth × comments labels, and the report draws
    and prints only smaller threads; they are then not even read.

    ``jobs``: instances analysed at once (default ``derived.workers(streaming)``); the
    tables are the same whatever it is.
    """
    columns = [c for c in schema.COMMENTS if paths_up_to is None or c != "path"]
    with naming_damage(snapshots.data_dirs):
        actions = current_actions(snapshots.moderation)
        written = _writing(actions, language_codes(snapshots.languages))
        parts = list(
            instance_parts(
                snapshots.posts,
                snapshots.comments,
                bucket=bucket,
                tables=columns,
                workers=jobs or derived.workers(streaming),
                split=snapshots.split,
                finish=written,
            )
        )
        metrics = derived.combine(parts, snapshots.posts, snapshots.comments, snapshots.resolutions)
        comments = _concat([p.comments for p in parts], "comments", written)
        if paths_up_to is not None:
            small = metrics.thread_stats.filter(
                (pl.col("scope") == "instance") & (pl.col("comments_collected") <= paths_up_to)
            )
            comments = _with_paths(snapshots.comments, comments, small.select(THREAD_KEY))
    return {
        "posts": _concat([p.posts for p in parts], "posts", written),
        "comments": comments,
        "thread_stats": metrics.thread_stats,
        "activity": metrics.activity,
        "vote_history": metrics.vote_history,
        "federation": metrics.federation,
        "comment_presence": metrics.comment_presence,
        "moderation": actions,
        "authors": _authors([p.authors for p in parts]),
    }


THREAD_KEY = ["instance", "post_id"]


def analyze_into(snapshots: Snapshots, out: Path, *, bucket: str, jobs: int = 1) -> pl.DataFrame:
    """``analyze --streaming --out``: every table of ``schema.TABLES`` written under
    ``out`` as each instance's rows are computed, partitioned by instance as ``export
    --partitioned`` writes them, ``jobs`` instances' rows in memory at a time (each
    instance's written by the worker that computed it: ``PartitionedWriter`` takes
    different instances from several threads); thread_stats is returned, for the
    summary. The files are the same whatever ``jobs`` is."""
    writer = PartitionedWriter(
        out, {name: list(columns) for name, columns in schema.TABLES.items()}
    )
    with naming_damage(snapshots.data_dirs):
        actions = current_actions(snapshots.moderation)
        parts = instance_parts(
            snapshots.posts,
            snapshots.comments,
            bucket=bucket,
            tables=list(schema.COMMENTS),
            sink=writer.add,
            split=snapshots.split,
            finish=_writing(actions, language_codes(snapshots.languages)),
            workers=jobs,
        )
        stats = derived.write_compared(
            writer, parts, snapshots.posts, snapshots.comments, snapshots.resolutions
        )
        writer.add("moderation", actions)
    writer.close()
    return stats


def _listed_languages(captures: Sequence[Capture]) -> pl.LazyFrame:
    """The languages of the saved ``/site`` answers, as the collector writes them."""
    rows = [
        (c.prov.instance, number, code, name, c.prov.collected_at, c.prov.run_id)
        for c in captures
        for page in c.pages
        for number, code, name in page.languages
    ]
    return pl.DataFrame(rows, schema=schema.LANGUAGES, orient="row").lazy()


def _authors(parts: list[pl.DataFrame | None]) -> pl.DataFrame:
    """The instances' authors as one table: in the order they first appear in the posts,
    then in the comments, as over all rows at once (every author's rows are within one
    instance; a part lists its posts' authors first)."""
    return _concat(parts, "authors").sort(pl.col("posts") == 0, maintain_order=True)


def _concat(
    frames: list[pl.DataFrame | None], table: str, finish: Finish | None = None
) -> pl.DataFrame:
    """The instances' current rows of ``table`` as one frame (already in table order);
    none is ``finish`` of no rows."""
    kept = [f for f in frames if f is not None]
    if kept:
        return pl.concat(kept)
    return finish(table, schema.empty(table)) if finish else schema.empty(table)


def _with_paths(
    snapshots: pl.LazyFrame, comments: pl.DataFrame, threads: pl.DataFrame
) -> pl.DataFrame:
    """``comments`` with the paths of the rows of ``threads`` (null elsewhere), read by a
    filter on post ids that Parquet statistics can answer (files and row groups of other
    threads are skipped); a comment's path is the same in every snapshot."""
    key = ["instance", "comment_id"]
    if threads.is_empty():
        return comments
    wanted = pl.col("post_id").is_in(threads["post_id"].unique().implode())
    paths = (
        snapshots.filter(wanted)
        .select(*THREAD_KEY, "comment_id", "path")
        .join(threads.lazy(), on=THREAD_KEY, how="semi")
        .unique(key)
        .collect()
    )
    found = comments.select(key).join(
        paths.drop("post_id"), on=key, how="left", maintain_order="left"
    )
    return comments.with_columns(found["path"])


def _writing(actions: pl.DataFrame, codes: pl.DataFrame) -> Finish:
    """``_as_written`` with these moderation ``actions`` and language ``codes``; comments
    read without their paths get them null."""

    def finish(table: str, rows: pl.DataFrame) -> pl.DataFrame:
        if table == "comments" and "path" not in rows.columns:
            rows = rows.with_columns(pl.lit(None, pl.String).alias("path"))
        return _as_written(rows, actions, codes, table)

    return finish


def _as_written(
    rows: pl.DataFrame, actions: pl.DataFrame, codes: pl.DataFrame, table: str
) -> pl.DataFrame:
    """The current rows of ``table`` as ``TABLES`` writes them: with their plain text,
    language code (``codes``: ``language_codes``) and the removal columns."""
    stored = schema.conform(rows, table)
    removals = with_removals(stored, actions, table)
    coded = removals.join(codes, on=LANGUAGE_KEY, how="left", maintain_order="left")
    return schema.conform(with_plain_text(coded, table), table, schema.TABLES)


LANGUAGE_KEY = ["instance", "language_id"]


def language_codes(languages: pl.LazyFrame) -> pl.DataFrame:
    """Per (instance, language_id): the code (``language``) of the instance's latest list
    naming that number."""
    latest = languages.sort("collected_at", maintain_order=True).unique(LANGUAGE_KEY, keep="last")
    return latest.select(*LANGUAGE_KEY, pl.col("code").alias("language")).collect()


_POST_URL = re.compile(r"^(?:https?://)?(?P<host>[^/\s]+)/post/(?P<id>[0-9]+)/?$")


def thread_keys(snapshots: Snapshots) -> pl.DataFrame:
    """Every thread the sources know of: (instance, post_id, ap_id), ap_id may be null."""
    from_posts = snapshots.posts.select("instance", "post_id", "ap_id")
    from_comments = snapshots.comments.select(
        "instance", "post_id", pl.col("post_ap_id").alias("ap_id")
    )
    return (
        pl.concat([from_posts, from_comments])
        .group_by("instance", "post_id")
        .agg(pl.col("ap_id").drop_nulls().first())
        .sort("instance", "post_id")
        .collect()
    )


def find_thread(snapshots: Snapshots, post: str, *, paths: bool = True) -> Thread:
    """The current tree of the thread ``post`` names: a post URL, an ap_id, or a post id
    (``paths`` as for ``thread_from_tables``).

    An ap_id that several copies of one thread share is ambiguous here: the error
    suggests ``--union`` or one copy as ``host/post/id`` (which is never an ap_id). A
    damaged file of a data dir is one StoreError naming it."""
    with naming_damage(snapshots.data_dirs):
        hits = _matches(snapshots, post)
        if hits.height > 1:
            raise _several(post, hits)
        instance, post_id, _ = hits.row(0)
        return thread_from_tables(snapshots, instance, post_id, paths=paths)


def find_union(snapshots: Snapshots, post: str) -> Thread | UnionThread:
    """The union of the copies of the thread ``post`` names (any copy's URL or id, or the
    thread's ap_id); the plain tree of the copy when it is the only one or has no ap_id
    (nothing to compare it by).

    A damaged file of a data dir is one StoreError naming it."""
    with naming_damage(snapshots.data_dirs):
        hits = _matches(snapshots, post)
        ap_ids = hits["ap_id"].unique()
        if ap_ids.len() > 1:
            raise _several(post, hits)
        instance, post_id, ap_id = hits.row(0)
        if ap_id is None:
            return thread_from_tables(snapshots, instance, post_id)
        parts = union_parts(snapshots.posts, snapshots.comments, ap_id)
        if parts.copies.height == 1:
            instance, post_id = parts.copies.select("instance", "post_id").row(0)
            return thread_from_tables(snapshots, instance, post_id)
        return union_thread(ap_id, parts)


def _matches(snapshots: Snapshots, post: str) -> pl.DataFrame:
    """The copies (instance, post_id, ap_id) ``post`` names; at least one."""
    keys = thread_keys(snapshots)
    ref = post.strip()
    match = _POST_URL.match(ref)
    if ref.isdigit():
        hits = keys.filter(pl.col("post_id") == int(ref))
    elif match:
        host, post_id = match["host"].lower(), int(match["id"])
        by_local = (pl.col("instance") == host) & (pl.col("post_id") == post_id)
        hits = keys.filter(by_local | (pl.col("ap_id") == ref))
    else:
        hits = keys.filter(pl.col("ap_id") == ref)
    if hits.height == 0:
        raise UsageError(
            f"post {post!r} is not in the given sources; give a post URL like "
            "https://host/post/123, its ap_id, or an id that `fedithreads analyze` lists"
        )
    return hits


def _several(post: str, hits: pl.DataFrame) -> UsageError:
    """The error for a ``post`` that names several copies: of one thread, or of several."""
    ap_ids = hits["ap_id"].unique()
    if ap_ids.len() == 1 and ap_ids[0] is not None:
        copies = ", ".join(f"{i}/post/{p}" for i, p, _ in hits.rows())
        return UsageError(
            f"post {post!r} is one thread held by {hits.height} instances; add --union to "
            f"show the union of their copies, or give one copy: {copies}"
        )
    options = ", ".join(f"https://{i}/post/{p}" for i, p, _ in hits.rows())
    return UsageError(f"post {post!r} matches several threads; give one of: {options}")


def thread_from_tables(
    snapshots: Snapshots, instance: str, post_id: int, *, paths: bool = True
) -> Thread:
    """Rebuild one thread's tree from the current rows of the snapshot tables.

    ``paths=False``: a tree to read (show's text and page), built from parent links,
    whose records carry no path (``""``): a deep thread's paths hold depth × comments
    labels (fedithreads.core.linked)."""
    key = (pl.col("instance") == instance) & (pl.col("post_id") == post_id)
    posts = current(snapshots.posts.filter(key), "post_id").collect()
    post = frame_records(posts, PostRecord)
    first = post[0] if post else None
    if paths:
        comments = current(snapshots.comments.filter(key), "comment_id").collect()
        thread = build_thread(first, frame_records(comments, CommentRecord))
    else:
        thread = _linked(snapshots.comments.filter(key), instance, post_id, first)
    thread.rejected.extend(
        r
        for r in snapshots.rejected
        if (r.record.instance, r.record.post_id) == (instance, post_id)
    )
    return thread


def _linked(rows: pl.LazyFrame, instance: str, post_id: int, post: PostRecord | None) -> Thread:
    """The tree of one thread's comment snapshots ``rows``, from parent links; only
    orphans' paths are read."""
    comments = current(rows.drop("path"), "comment_id").collect()
    one = pl.DataFrame({"instance": [instance], "post_id": [post_id]}).with_row_index(TID)
    nodes = build_nodes(comments, one, path_reader(rows))
    records = frame_records(comments.with_columns(pl.lit("").alias("path")), CommentRecord)
    return linked_thread(instance, post_id, post, records, nodes)
