"""The copies of one discussion that the instances of a replay federation hold.

Before any port is known, instance ``k`` plays a *stand-in* host: the Lemmy hosts of
``fedithreads.synth.text.HOSTS`` after the largest (the home plays ``lemmy.ml``, the
others ``sh.itjust.works``, ``lemmy.dbzer0.com``, …; beyond them ``mirror<k>.invalid``).
lemmy.world stays outside: a third of the authors write there, and an instance holds
whatever its own users wrote, which would leave it little to miss. Synth plans each
discussion with those names, so that the comments written by a stand-in's users carry
ap_ids on it whose ids are that instance's local ids, exactly as synth does for one
instance; the OP is moved to the home, so the post's ap_id is there too. Ids are drawn
from (seed, stand-in), never from a port: two federations with one seed hold the same
ids. ``rehost`` finally renames each stand-in to the ``127.0.0.1:PORT`` its server bound.

``held_copy`` renders a plan as one instance holds it: without the comments it misses
(fedithreads.replay.gaps), with the counts recomputed for what it holds (``child_count``
the descendants it holds, the post's ``comments`` the visible ones as Lemmy counts them,
``newest_comment_time``) and the votes it has seen: all of them at the home, a seeded
share of each count on a mirror, no downvotes where they are disabled.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from msgspec.structs import replace as restruct

from fedithreads.core.records import CommentRecord
from fedithreads.synth.generate import SynthThread, comment_id, plan_thread, render_thread
from fedithreads.synth.plan import Author, ThreadPlan
from fedithreads.synth.text import HOSTS

ID_STRIDE = 2_000_000
"""How far apart the comment ids of two threads start on one instance (a thread spans
rate × seconds + comments ids: at most 0.4 ids/s, so weeks)."""


@dataclass(frozen=True, slots=True)
class Holder:
    """How one instance holds the discussions: the host it plays, its dialect and version,
    whether it counts downvotes and the share of votes that reached it (1.0: all)."""

    stand_in: str
    dialect: str
    server_version: str | None
    downvotes: bool
    share: float


def stand_ins(count: int) -> tuple[str, ...]:
    """The hosts ``count`` instances play, the home first."""
    lemmy = [host for host, software, _ in HOSTS if software == "lemmy"][1:]
    extra = [f"mirror{k}.invalid" for k in range(len(lemmy), count)]
    return tuple((lemmy + extra)[:count])


def plan_threads(
    seed: int, threads: int, comments: int, community: str, hosts: Sequence[str]
) -> list[ThreadPlan]:
    """``threads`` discussions in ``community`` on ``hosts[0]``, with their OPs there and
    ids on each of ``hosts`` that do not collide between threads."""
    rng = random.Random(f"federation ids|{seed}")
    comment_bases = {h: rng.randrange(1_000_000, 9_000_000) for h in hosts}
    post_bases = {h: rng.randrange(1_000, 300_000) for h in hosts}
    plans = []
    for k in range(threads):
        plan = plan_thread(
            random.Random(f"federation thread|{seed}|{k}").randrange(2**32),
            n_comments=comments,
            community=f"{community}@{hosts[0]}",
            id_bases={h: base + k * ID_STRIDE for h, base in comment_bases.items()},
            post_ids={h: base + k for h, base in post_bases.items()},
        )
        plans.append(_op_at_home(plan, hosts[0]))
    return plans


def _op_at_home(plan: ThreadPlan, home: str) -> ThreadPlan:
    """The plan with its OP a user of ``home``: the post and the OP's comments are then
    written there, with ap_ids in the home's id scheme."""
    op = Author(plan.op.name, home, "lemmy")
    scheme = plan.id_scheme(home)
    comments = [
        c._replace(author=op, ap_id=f"https://{home}/comment/{comment_id(scheme, c.offset_us, i)}")
        if c.author == plan.op
        else c
        for i, c in enumerate(plan.comments)
    ]
    return replace(plan, op=op, comments=comments)


def held_copy(
    plan: ThreadPlan, missing: frozenset[int], holder: Holder, rng: random.Random
) -> SynthThread:
    """``plan`` as ``holder`` serves it, without the comments at the indices ``missing``."""
    full = render_thread(
        plan,
        instance=holder.stand_in,
        dialect=holder.dialect,
        server_version=holder.server_version,
        downvotes=True,
    )
    held = [c for i, c in enumerate(full.comments) if i not in missing]
    below = dict.fromkeys((c.comment_id for c in held), 0)
    for c in held:
        for label in c.path.split(".")[1:-1]:
            below[int(label)] += 1
    comments = []
    for c in held:
        up, down = _votes(c.upvotes, c.downvotes, holder, rng)
        comments.append(
            restruct(
                c, child_count=below[c.comment_id], upvotes=up, downvotes=down, score=up - down
            )
        )
    up, down = _votes(plan.post_up, plan.post_down, holder, rng)
    post = restruct(
        full.post,
        comments=sum(1 for c in held if not (c.deleted or c.removed)),
        newest_comment_time=max((c.published for c in held), default=None),
        upvotes=up,
        downvotes=down,
        score=up - down,
    )
    return replace(full, post=post, comments=tuple(comments))


def _votes(up: int, down: int, holder: Holder, rng: random.Random) -> tuple[int, int]:
    """The up- and downvotes of an item with ``up``/``down`` in all, as ``holder`` saw
    them (the author's own upvote always arrives with the item)."""
    if holder.share < 1.0:
        up = max(min(up, 1), _seen(up, holder.share, rng))
        down = _seen(down, holder.share, rng)
    return up, down if holder.downvotes else 0


def _seen(count: int, share: float, rng: random.Random) -> int:
    """About ``share`` of ``count`` votes, the share varying a little per item."""
    return round(count * min(1.0, max(0.0, share + rng.uniform(-0.15, 0.15))))


def rehost(thread: SynthThread, hosts: Mapping[str, str]) -> SynthThread:
    """``thread`` with every stand-in host renamed as ``hosts`` says, in instance keys,
    ap_ids, actor URLs and ``name@host`` handles."""
    p = thread.post
    post = restruct(
        p,
        instance=hosts.get(p.instance, p.instance),
        ap_id=url(p.ap_id, hosts),
        community=handle(p.community, hosts),
        community_ap_id=url(p.community_ap_id, hosts),
        author=handle(p.author, hosts),
        author_ap_id=url(p.author_ap_id, hosts),
    )
    comments = tuple(_rehost_comment(c, hosts) for c in thread.comments)
    moderators = tuple(url(m, hosts) for m in thread.moderators)
    return replace(thread, post=post, comments=comments, moderators=moderators)


def _rehost_comment(c: CommentRecord, hosts: Mapping[str, str]) -> CommentRecord:
    return restruct(
        c,
        instance=hosts.get(c.instance, c.instance),
        ap_id=url(c.ap_id, hosts),
        post_ap_id=None if c.post_ap_id is None else url(c.post_ap_id, hosts),
        author=handle(c.author, hosts),
        author_ap_id=url(c.author_ap_id, hosts),
    )


def url(text: str, hosts: Mapping[str, str]) -> str:
    """An ``https://host/…`` URL with its host renamed (and an mbin ``/m/name@host/``)."""
    scheme, sep, rest = text.partition("://")
    host, slash, path = rest.partition("/")
    for old, new in hosts.items():
        path = path.replace(f"@{old}/", f"@{new}/")
    return f"{scheme}{sep}{hosts.get(host, host)}{slash}{path}" if sep else text


def handle(text: str, hosts: Mapping[str, str]) -> str:
    """A ``name@host`` handle with its host renamed."""
    name, at, host = text.rpartition("@")
    return f"{name}{at}{hosts.get(host, host)}" if at else text


__all__ = [
    "ID_STRIDE",
    "Holder",
    "handle",
    "held_copy",
    "plan_threads",
    "rehost",
    "stand_ins",
    "url",
]
