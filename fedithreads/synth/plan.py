"""Planning a synthetic discussion, before any instance serves it (see synth.generate).

``plan_thread`` draws everything about the discussion from ``random.Random(seed)``: its
shape (publish times, the reply tree, heavy-tailed votes: fedithreads.synth.shape),
authors (Zipf-like activity), texts (fedithreads.synth.text), ~3 % deleted and ~1 %
removed comments and one distinguished moderator comment. Local ids follow one scheme
per host (``id_scheme``/``comment_id``) so that they grow with publish time on every
instance.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import NamedTuple

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.synth.shape import draw_votes, publish_offsets, reply_chain, reply_tree
from fedithreads.synth.text import (
    HOSTS,
    comment_text,
    headline,
    mod_names,
    mod_note,
    user_name,
)

DOWNVOTES_DISABLED = frozenset({"beehaw.org", "lemmygrad.ml"})


@dataclass(frozen=True, slots=True)
class Author:
    """A commenter: ``name`` and home ``host``; ``software`` shapes their ap_ids."""

    name: str
    host: str
    software: str

    @property
    def actor(self) -> str:
        return f"https://{self.host}/u/{self.name}"


class Planned(NamedTuple):
    """One comment of a plan; ``parent`` is an earlier index in the plan, or -1."""

    offset_us: int
    parent: int
    depth: int
    author: Author
    ap_id: str
    text: str | None
    edit_us: int | None
    up: int
    down: int
    deleted: bool
    removed: bool
    distinguished: bool


@dataclass(frozen=True, slots=True)
class ThreadPlan:
    """Everything about one discussion that does not depend on the serving instance."""

    seed: int
    start: datetime
    community: str  # name@host
    title: str
    url: str
    op: Author
    post_up: int
    post_down: int
    moderators: tuple[Author, ...]
    id_bases: Mapping[str, int]
    post_ids: Mapping[str, int]
    comments: list[Planned]  # in publish order

    def id_scheme(self, host: str) -> tuple[int, float]:
        return id_scheme(self.seed, self.id_bases, host)

    def post_id(self, host: str) -> int:
        """The post's id on ``host`` (its home id on the OP's instance)."""
        drawn = random.Random(f"post|{self.seed}|{host}").randrange(1_000_000, 40_000_000)
        return self.post_ids.get(host, drawn)

    @property
    def post_ap_id(self) -> str:
        return f"https://{self.op.host}/post/{self.post_id(self.op.host)}"


def id_scheme(seed: int, id_bases: Mapping[str, int], host: str) -> tuple[int, float]:
    """(base, ids per second) of ``host``'s comment ids: drawn from (seed, host) unless
    ``id_bases`` names the base."""
    rng = random.Random(f"ids|{seed}|{host}")
    base, rate = rng.randrange(1_000_000, 25_000_000), rng.uniform(0.02, 0.4)
    return id_bases.get(host, base), rate


def comment_id(scheme: tuple[int, float], offset_us: int, index: int) -> int:
    """The id a host gives the ``index``-th comment, published ``offset_us`` after the post."""
    base, rate = scheme
    return base + int(rate * offset_us / 1e6) + index


@dataclass(frozen=True, slots=True)
class SynthThread:
    """A rendered thread: the post, its comments (in publish order) and its moderators."""

    post: PostRecord
    comments: tuple[CommentRecord, ...]
    moderators: tuple[str, ...]  # actor URLs, for Encoder(moderators=…)
    community_title: str


def _make_authors(rng: random.Random, count: int) -> list[Author]:
    """``count`` distinct authors spread over ``HOSTS`` by their shares."""
    cum = list(accumulate(share for _, _, share in HOSTS))
    seen: set[tuple[str, str]] = set()
    authors: list[Author] = []
    while len(authors) < count:
        host, software, _ = HOSTS[bisect(cum, rng.random() * cum[-1])]
        name = user_name(rng)
        if (name, host) not in seen:
            seen.add((name, host))
            authors.append(Author(name, host, software))
    return authors


class _Writers:
    """Who writes each comment, its home ap_id, text, edit time, votes and fate."""

    def __init__(
        self,
        rng: random.Random,
        ids: tuple[int, Mapping[str, int]],
        op: Author,
        moderator: Author,
        community: str,
        pool: list[Author],
        chain: list[int],
    ) -> None:
        self.rng, self.ids, self.pool = rng, ids, pool
        self.op, self.moderator, self.community = op, moderator, community
        self.cum = list(accumulate(1 / (rank + 3) ** 0.8 for rank in range(len(pool))))
        self.turn = {index: k for k, index in enumerate(chain)}
        self.arguers = (pool[5 % len(pool)], pool[9 % len(pool)])
        self.schemes: dict[str, tuple[int, float]] = {}
        self.mbin_thread = rng.randrange(100_000, 2_000_000)

    def comments(
        self, offsets: list[int], parents: list[int], depths: list[int], dist: int
    ) -> list[Planned]:
        rng, n = self.rng, len(offsets)
        n_removed, n_deleted = round(n * 0.01), round(n * 0.03)
        candidates = [i for i in range(n) if i != dist]
        gone = rng.sample(candidates, min(len(candidates), n_removed + n_deleted))
        removed, gone_set = set(gone[:n_removed]), set(gone)
        out: list[Planned] = []
        for i, (offset, parent, depth) in enumerate(zip(offsets, parents, depths, strict=True)):
            above = out[parent] if parent >= 0 else None
            author = self.author(i, dist, above.author if above else None)
            text: str | None = mod_note(rng) if i == dist else comment_text(rng, above)
            late = rng.random() < 0.06
            edit = offset + rng.randrange(120_000_000, 3 * 3_600_000_000) if late else None
            up, down = draw_votes(rng, offset, depth)
            fate = (i in gone_set and i not in removed, i in removed, i == dist)
            ap_id = self.ap_id(author, offset, i)
            text = None if i in gone_set else text
            out.append(Planned(offset, parent, depth, author, ap_id, text, edit, up, down, *fate))
        return out

    def author(self, i: int, dist: int, parent: Author | None) -> Author:
        """The moderator for the mod note, the two arguers along the chain, else by
        activity rank (the OP answers replies now and then; rarely oneself)."""
        rng = self.rng
        if i == dist:
            return self.moderator
        if i in self.turn:
            return self.arguers[self.turn[i] % 2]
        if parent is not None and rng.random() < 0.05:
            return self.op
        for _ in range(2):
            author = self.pool[bisect(self.cum, rng.random() * self.cum[-1])]
            if author != parent:
                break
        return author

    def ap_id(self, author: Author, offset_us: int, index: int) -> str:
        """The comment's ap_id on its author's instance, from that host's id scheme."""
        host = author.host
        if host not in self.schemes:
            self.schemes[host] = id_scheme(*self.ids, host)
        home_id = comment_id(self.schemes[host], offset_us, index)
        if author.software == "mbin":
            community, thread = self.community, self.mbin_thread
            return f"https://{host}/m/{community}/t/{thread}/-/comment/{home_id}"
        return f"https://{host}/comment/{home_id}"


def plan_thread(
    seed: int,
    *,
    n_comments: int = 420,
    top_level_fraction: float = 0.3,
    depth: int = 14,
    start: datetime | None = None,
    community: str = "technology@lemmy.world",
    id_bases: Mapping[str, int] | None = None,
    post_ids: Mapping[str, int] | None = None,
) -> ThreadPlan:
    """Draw one discussion (see the module docstring); ``community`` is ``name@host``."""
    rng = random.Random(seed)
    n = n_comments
    if start is None:
        start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(seconds=rng.randrange(250 * 86400))
    pool = _make_authors(rng, max(12, round(n * 0.14)))
    op = next(a for a in pool[3:] if a.software == "lemmy")
    moderators = tuple(Author(nm, community.split("@")[1], "lemmy") for nm in mod_names(rng, 3))
    dist = rng.randrange(n // 8, max(n // 4, n // 8 + 1)) if n else -1  # once it heats up
    chain = reply_chain(rng, n, depth, dist)
    parents, depths = reply_tree(rng, n, top_level_fraction, depth, chain, dist)
    title, slug = headline(rng)
    post_up = 20 + int(min(rng.paretovariate(1.5), 8.0) * 45 * max(1.0, n / 40) ** 0.5)
    post_down = int(post_up * rng.betavariate(1.5, 12))
    bases = dict(id_bases or {})
    writers = _Writers(rng, (seed, bases), op, moderators[0], community, pool, chain)
    return ThreadPlan(
        seed=seed,
        start=start,
        community=community,
        title=title,
        url=f"https://example.org/news/{start:%Y/%m}/{slug}",
        op=op,
        post_up=post_up,
        post_down=post_down,
        moderators=moderators,
        id_bases=bases,
        post_ids=dict(post_ids or {}),
        comments=writers.comments(publish_offsets(rng, n), parents, depths, dist),
    )
