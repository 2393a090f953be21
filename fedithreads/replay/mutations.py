"""A seeded schedule of changes to a replay dataset: what a live server sees between runs.

``MutationSchedule(seed).step(dataset, index)`` plays one interval between two cron runs:
for each kind below it draws how many changes happen (``rates`` holds the expected number
per step: the whole part always, the fraction with that probability) and applies each to
a post or comment drawn uniformly from those it may apply to, over every thread of the
dataset, old and young alike. It returns what it did, in order. The same seed, step index
and dataset state always give the same changes (one ``random.Random`` per step, ids drawn
from sorted candidates).

=============  ========================================================  ==================
kind           what happens (ReplayDataset method)                        may apply to
=============  ========================================================  ==================
comment        a new top-level comment (``add_comment``)                  unlocked posts
reply          a reply to a comment (``add_comment``)                     live comments of
                                                                          unlocked posts
delete         the author deletes a comment (``delete_comment``)          live comments
remove         a moderator removes one (``delete_comment(removed=True)``)  live comments
edit           the author edits a comment (``edit``)                      live comments
votes          a comment's votes grow (``set_votes``)                     any comment
post_votes     a post's votes grow (``set_votes``)                        any post
post_edit      the author edits a post's body (``edit``)                  any post
lock           a moderator locks a post (``lock_post``)                   unlocked posts
remove_post    a moderator removes a post (``remove_post``)               unprotected posts
new_post       a new post, no comments yet, in one of ``communities``     (a community)
=============  ========================================================  ==================

"Any post" means any post anonymous callers can still see: removed posts are left alone.
New things are published at the dataset's ``reference_time``; votes only grow (and
downvotes stay 0 on instances that disable them). ``protected`` posts are never removed
(a post target naming one would fail from then on).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.data import ReplayDataset
from fedithreads.synth.generate import generate_thread
from fedithreads.synth.plan import DOWNVOTES_DISABLED
from fedithreads.synth.text import HOSTS, comment_text, user_name

RATES: Mapping[str, float] = {
    "comment": 1.5,
    "reply": 2.0,
    "delete": 0.4,
    "remove": 0.2,
    "edit": 0.8,
    "votes": 2.0,
    "post_votes": 1.0,
    "post_edit": 0.2,
    "lock": 0.1,
    "remove_post": 0.05,
    "new_post": 0.3,
}
"""Expected changes of each kind per step (the order of the table above, and of drawing)."""


@dataclass(frozen=True, slots=True)
class Mutation:
    """One change applied: its kind, its thread, and the comment's id (the post's for
    post changes and new posts)."""

    kind: str
    post_id: int
    item_id: int


@dataclass(frozen=True, slots=True)
class MutationSchedule:
    """Changes drawn from ``seed``, one step per interval between runs."""

    seed: int
    rates: Mapping[str, float] = field(default_factory=lambda: dict(RATES))
    protected: frozenset[int] = frozenset()
    communities: tuple[str, ...] = ()
    """Where new posts appear (``name@host``); empty: the communities of the dataset."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.rates) - set(_KINDS))
        if unknown:
            raise ValueError(f"unknown mutation kinds {unknown}; known: {', '.join(_KINDS)}")

    def step(self, dataset: ReplayDataset, index: int) -> list[Mutation]:
        """Apply step ``index``'s changes to ``dataset``; return them in order."""
        rng = random.Random(f"{self.seed}/{index}")
        done: list[Mutation] = []
        for kind, rate in self.rates.items():
            apply = _KINDS[kind]
            for _ in range(int(rate) + (rng.random() < rate % 1)):
                change = apply(self, dataset, rng)
                if change is not None:
                    done.append(change)
        return done


Apply = Callable[[MutationSchedule, ReplayDataset, random.Random], Mutation | None]


def _visible(dataset: ReplayDataset) -> list[PostRecord]:
    return [p for p in dataset.posts() if not (p.deleted or p.removed)]


def _live(comment: CommentRecord) -> bool:
    return not (comment.deleted or comment.removed)


def _comments(dataset: ReplayDataset, *, live: bool, open_only: bool = False) -> list[int]:
    """Comment ids of visible posts (unlocked ones only if ``open_only``), sorted."""
    posts = [p for p in _visible(dataset) if not (open_only and p.locked)]
    return sorted(
        c.comment_id for p in posts for c in dataset.comments_of(p.post_id) if _live(c) or not live
    )


def _author(rng: random.Random) -> str:
    hosts = [h for h, _software, _share in HOSTS]
    weights = [share for _h, _software, share in HOSTS]
    return f"{user_name(rng)}@{rng.choices(hosts, weights)[0]}"


def _comment(_s: MutationSchedule, data: ReplayDataset, rng: random.Random) -> Mutation | None:
    posts = [p.post_id for p in _visible(data) if not p.locked]
    if not posts:
        return None
    post_id = rng.choice(posts)
    new = data.add_comment(post_id, author=_author(rng), content=comment_text(rng, None))
    return Mutation("comment", post_id, new.comment_id)


def _reply(_s: MutationSchedule, data: ReplayDataset, rng: random.Random) -> Mutation | None:
    parents = _comments(data, live=True, open_only=True)
    if not parents:
        return None
    parent = data.comment(rng.choice(parents))
    assert parent is not None
    text = comment_text(rng, None)
    new = data.add_comment(parent.post_id, parent.comment_id, author=_author(rng), content=text)
    return Mutation("reply", new.post_id, new.comment_id)


def _gone(kind: str) -> Apply:
    def apply(_s: MutationSchedule, data: ReplayDataset, rng: random.Random) -> Mutation | None:
        live = _comments(data, live=True)
        if not live:
            return None
        gone = data.delete_comment(rng.choice(live), removed=kind == "remove")
        return Mutation(kind, gone.post_id, gone.comment_id)

    return apply


def _edit(_s: MutationSchedule, data: ReplayDataset, rng: random.Random) -> Mutation | None:
    live = _comments(data, live=True)
    if not live:
        return None
    old = data.comment(rng.choice(live))
    assert old is not None
    text = f"{old.content or ''}\n\nEdit: {comment_text(rng, None)}".strip()
    data.edit("comment", old.comment_id, text)
    return Mutation("edit", old.post_id, old.comment_id)


def _more_votes(rng: random.Random, item: PostRecord | CommentRecord) -> tuple[int, int]:
    down = 0 if item.instance in DOWNVOTES_DISABLED else rng.randint(0, 2)
    return item.upvotes + rng.randint(1, 6), item.downvotes + down


def _votes(_s: MutationSchedule, data: ReplayDataset, rng: random.Random) -> Mutation | None:
    ids = _comments(data, live=False)
    if not ids:
        return None
    old = data.comment(rng.choice(ids))
    assert old is not None
    data.set_votes("comment", old.comment_id, *_more_votes(rng, old))
    return Mutation("votes", old.post_id, old.comment_id)


def _post_change(kind: str) -> Apply:
    def apply(s: MutationSchedule, data: ReplayDataset, rng: random.Random) -> Mutation | None:
        posts = [
            p
            for p in _visible(data)
            if not (kind == "lock" and p.locked)
            and not (kind == "remove_post" and p.post_id in s.protected)
        ]
        if not posts:
            return None
        post = rng.choice(posts)
        if kind == "post_votes":
            data.set_votes("post", post.post_id, *_more_votes(rng, post))
        elif kind == "post_edit":
            body = f"{post.body or ''}\n\n{comment_text(rng, None)}".strip()
            data.edit("post", post.post_id, body)
        elif kind == "lock":
            data.lock_post(post.post_id)
        else:
            data.remove_post(post.post_id)
        return Mutation(kind, post.post_id, post.post_id)

    return apply


def _new_post(s: MutationSchedule, data: ReplayDataset, rng: random.Random) -> Mutation | None:
    posts = data.posts()
    communities = s.communities or tuple(sorted({p.community for p in posts}))
    if not posts or not communities:
        return None
    post_id = max(p.post_id for p in posts) + 1
    thread = generate_thread(
        rng.randrange(2**32),
        instance=posts[0].instance,
        n_comments=0,
        post_id=post_id,
        start=data.reference_time,
        community=rng.choice(communities),
        collected_at=data.reference_time,
    )
    data.add_thread(thread)
    return Mutation("new_post", post_id, post_id)


_KINDS: dict[str, Apply] = {
    "comment": _comment,
    "reply": _reply,
    "delete": _gone("delete"),
    "remove": _gone("remove"),
    "edit": _edit,
    "votes": _votes,
    "post_votes": _post_change("post_votes"),
    "post_edit": _post_change("post_edit"),
    "lock": _post_change("lock"),
    "remove_post": _post_change("remove_post"),
    "new_post": _new_post,
}

__all__ = ["RATES", "Mutation", "MutationSchedule"]
