"""Deterministic synthetic threads as neutral records, for fixtures, tests and benchmarks.

``generate_thread(seed, instance=…)`` makes one realistic thread: a post in a community on
another instance and ``n_comments`` comments by authors from many instances. It works in
two steps so that the same discussion can be served by several instances:

* ``plan_thread`` (no instance) draws everything about the discussion from
  ``random.Random(seed)``: publish times (a burst in the first hours, decay, a second burst
  a day or two later, a thin tail), the reply tree, authors (Zipf-like activity), texts
  (``fedithreads.synth.text``), heavy-tailed votes, ~3 % deleted and ~1 % removed comments
  and one distinguished moderator comment;
* ``render_thread`` shows it as one instance serves it: local ids, ``path`` labels, the
  vote counts as that instance sees them (``downvotes=False``: all zero), provenance.

Local ids follow one scheme per host (``id_scheme``/``comment_id``: a base, plus a rate
times the seconds since the post, plus the index). So they grow with publish time, and a
comment written on the serving instance has ``ap_id == https://<instance>/comment/<id>``
there while keeping one ap_id on every instance. ``id_bases``/``post_ids`` choose the ids
a host uses, so one discussion can be served by three instances with plausible ids.

Depth counts a top-level comment as 1. One back-and-forth chain reaches exactly ``depth``
(given enough comments) and no comment goes deeper. ``child_count`` counts all
descendants, deleted and removed ones too; the post's ``comments`` counts only those
neither deleted nor removed (reference/lemmy-api.md §2.8). No clock, no global state:
the same arguments give the same records. Every step is O(n) plain Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fedithreads.core.records import CommentRecord, PostRecord, Provenance
from fedithreads.synth.plan import (
    DOWNVOTES_DISABLED,
    Author,
    Planned,
    SynthThread,
    ThreadPlan,
    comment_id,
    id_scheme,
    plan_thread,
)
from fedithreads.synth.shape import HOUR
from fedithreads.synth.text import HOSTS


def render_thread(
    plan: ThreadPlan,
    *,
    instance: str,
    dialect: str = "lemmy-v3",
    server_version: str | None = None,
    collected_at: datetime | None = None,
    run_id: str = "synth",
    downvotes: bool | None = None,
) -> SynthThread:
    """The plan as ``instance`` serves it. ``downvotes`` defaults to False for instances
    known to disable them (``DOWNVOTES_DISABLED``); ``collected_at`` to a little over two
    hours after the last comment or edit."""
    if downvotes is None:
        downvotes = instance not in DOWNVOTES_DISABLED
    if collected_at is None:
        last = max([0, *(max(c.offset_us, c.edit_us or 0) for c in plan.comments)])
        collected_at = plan.start + timedelta(microseconds=last, hours=2, minutes=17)
        collected_at = collected_at.replace(microsecond=0)
    prov = Provenance(instance, dialect, server_version, collected_at, run_id)
    scheme = plan.id_scheme(instance)
    ids = [comment_id(scheme, c.offset_us, i) for i, c in enumerate(plan.comments)]
    post_id = plan.post_id(instance)
    comments = _comments(plan, ids, downvotes, post_id, prov)
    return SynthThread(
        post=_post(plan, post_id, comments, downvotes, prov),
        comments=tuple(comments),
        moderators=tuple(m.actor for m in plan.moderators),
        community_title=plan.community.split("@", 1)[0].replace("_", " ").title(),
    )


def _comments(
    plan: ThreadPlan, ids: list[int], downvotes: bool, post_id: int, prov: Provenance
) -> list[CommentRecord]:
    """Records with paths and ``child_count`` (all descendants: one reverse pass)."""
    planned = plan.comments
    below = [0] * len(planned)
    for i in range(len(planned) - 1, -1, -1):
        if planned[i].parent >= 0:
            below[planned[i].parent] += 1 + below[i]
    post_ap_id = plan.post_ap_id
    paths: list[str] = []
    out = []
    for i, c in enumerate(planned):
        paths.append(f"{paths[c.parent] if c.parent >= 0 else '0'}.{ids[i]}")
        down = c.down if downvotes else 0
        edit = None if c.edit_us is None else plan.start + timedelta(microseconds=c.edit_us)
        out.append(
            CommentRecord(
                instance=prov.instance,
                comment_id=ids[i],
                post_id=post_id,
                ap_id=c.ap_id,
                post_ap_id=post_ap_id,
                path=paths[i],
                author=f"{c.author.name}@{c.author.host}",
                author_ap_id=c.author.actor,
                content=c.text,
                published=plan.start + timedelta(microseconds=c.offset_us),
                updated=edit,
                deleted=c.deleted,
                removed=c.removed,
                distinguished=c.distinguished,
                language_id=served_language(prov.dialect),
                score=c.up - down,
                upvotes=c.up,
                downvotes=down,
                child_count=below[i],
                dialect=prov.dialect,
                server_version=prov.server_version,
                collected_at=prov.collected_at,
                run_id=prov.run_id,
            )
        )
    return out


def _post(
    plan: ThreadPlan,
    post_id: int,
    comments: list[CommentRecord],
    downvotes: bool,
    prov: Provenance,
) -> PostRecord:
    """The link post; ``comments`` counts the visible ones, ``newest_comment_time`` any."""
    name, host = plan.community.split("@", 1)
    down = plan.post_down if downvotes else 0
    return PostRecord(
        instance=prov.instance,
        post_id=post_id,
        ap_id=plan.post_ap_id,
        community=plan.community,
        community_ap_id=f"https://{host}/c/{name}",
        author=f"{plan.op.name}@{plan.op.host}",
        author_ap_id=plan.op.actor,
        title=plan.title,
        url=plan.url,
        body=None,
        published=plan.start,
        updated=None,
        deleted=False,
        removed=False,
        locked=False,
        nsfw=False,
        language_id=served_language(prov.dialect),
        featured=False,
        comments=sum(1 for c in comments if not (c.deleted or c.removed)),
        score=plan.post_up - down,
        upvotes=plan.post_up,
        downvotes=down,
        newest_comment_time=comments[-1].published if comments else None,
        dialect=prov.dialect,
        server_version=prov.server_version,
        collected_at=prov.collected_at,
        run_id=prov.run_id,
    )


def served_language(dialect: str) -> int:
    """The language number of every synthetic post and comment: Lemmy's 0
    ("undetermined"); on PieFed 1, as piefed.social's saved responses show."""
    return 1 if dialect == "piefed" else 0


def generate_thread(
    seed: int,
    *,
    instance: str,
    n_comments: int = 420,
    top_level_fraction: float = 0.3,
    depth: int = 14,
    post_id: int | None = None,
    comment_id_base: int | None = None,
    start: datetime | None = None,
    community: str = "technology@lemmy.world",
    dialect: str = "lemmy-v3",
    server_version: str | None = None,
    collected_at: datetime | None = None,
    run_id: str = "synth",
    downvotes: bool | None = None,
) -> SynthThread:
    """One thread as ``instance`` serves it: ``plan_thread`` then ``render_thread``.

    ``post_id`` and ``comment_id_base`` set the instance's ids (drawn from the seed when
    omitted); the remaining arguments are those of the two steps.
    """
    plan = plan_thread(
        seed,
        n_comments=n_comments,
        top_level_fraction=top_level_fraction,
        depth=depth,
        start=start,
        community=community,
        id_bases={} if comment_id_base is None else {instance: comment_id_base},
        post_ids={} if post_id is None else {instance: post_id},
    )
    return render_thread(
        plan,
        instance=instance,
        dialect=dialect,
        server_version=server_version,
        collected_at=collected_at,
        run_id=run_id,
        downvotes=downvotes,
    )


__all__ = [
    "DOWNVOTES_DISABLED",
    "HOSTS",
    "HOUR",
    "Author",
    "Planned",
    "SynthThread",
    "ThreadPlan",
    "comment_id",
    "generate_thread",
    "id_scheme",
    "plan_thread",
    "render_thread",
]
