"""Several replay servers holding their own copies of the same discussions, with gaps.

``ReplayFederation(instances=N, loss=F, seed=…)`` serves the same synthetic threads on N
replay servers on 127.0.0.1, each on its own port and each an instance of its own
(``127.0.0.1:PORT``), the way a thread lives across the fediverse: instance 0 is the
*home*, the community's instance (its actor is ``https://127.0.0.1:<home port>/c/<name>``
and the posts' ap_ids are there); every instance, home included, misses about
``round(F × n)`` comments of each thread, whole reply trees at a time, yet each comment
is held by one of them at least and by the instance its author wrote it on
(fedithreads.replay.gaps; fewer are missed only when a loss near 1 − 1/N leaves too
little to miss). Each copy has its own local
ids and paths, counts recomputed for what it holds, and its own votes: all of them at the
home, a seeded share on the mirrors; every third instance has downvotes disabled
(fedithreads.replay.copies). ``resolve_object`` on an instance finds exactly what it
holds. For tests, the demo and benchmarks of ``collect --across``, offline.

A context manager: entering binds every server first (the documents must name the
ports), then builds each dataset and starts serving; leaving stops them all. The ground
truth is on ``members`` (one ``Member`` per instance, ``home`` first), ``union`` and
``post_ap_ids``. The same arguments give the same discussions, ids and gaps; only the
ports differ.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

from fedithreads.replay.copies import Holder, held_copy, plan_threads, rehost, stand_ins, url
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.gaps import missing_sets
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import APIS, ReplayServer
from fedithreads.synth.plan import ThreadPlan

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Member:
    """One instance of a running federation, as tests see it: its server and what it
    holds. ``missing`` and ``held`` are comment ap_ids; ``post_ids`` its local post id
    of each thread, in the order of ``ReplayFederation.post_ap_ids``."""

    index: int
    server: ReplayServer
    downvotes: bool
    missing: frozenset[str]
    held: frozenset[str]
    post_ids: tuple[int, ...]

    @property
    def key(self) -> str:
        """The instance key, ``127.0.0.1:PORT``."""
        return self.server.instance

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self.server.base_url

    @property
    def dialect(self) -> str:
        """``lemmy-v3``, ``lemmy-v4`` or ``piefed``."""
        return self.server.dialect

    @property
    def dataset(self) -> ReplayDataset:
        """What the instance serves (the ground truth of its copy)."""
        return self.server.dataset

    def post_url(self, thread: int = 0) -> str:
        """``http://127.0.0.1:PORT/post/ID`` of one thread on this instance."""
        return f"{self.base_url}/post/{self.post_ids[thread]}"


class ReplayFederation:
    """N replay servers serving copies of the same threads with federation gaps."""

    def __init__(
        self,
        instances: int = 3,
        loss: float = 0.1,
        *,
        seed: int = 0,
        threads: int = 1,
        comments: int = 420,
        community: str = "technology",
        dialects: str | Sequence[str] = "lemmy-v3",
        quirks: Quirks | Sequence[Quirks] | None = None,
        downvotes: Sequence[bool] | None = None,
        port: int = 0,
    ) -> None:
        """``instances`` ≥ 2 servers, each missing ``loss`` (0 ≤ F < 1) of each thread's
        ``comments``; ``dialects``, ``quirks`` and ``downvotes`` are one for all or one per
        instance (default downvotes: off on every third instance). ``port`` 0 binds free
        ports, else ``port``, ``port`` + 1, …. Raises ValueError for impossible values."""
        if instances < 2:
            raise ValueError(f"a federation has at least 2 instances, not {instances}")
        if not 0.0 <= loss < 1.0:
            raise ValueError(f"loss is a share of comments in [0, 1), not {loss}")
        if threads < 1 or comments < 0:
            raise ValueError("a federation serves at least 1 thread of 0 comments or more")
        if port and port + instances - 1 > 65535:
            raise ValueError(f"ports {port}-{port + instances - 1} go past 65535")
        self.seed, self.loss, self.port = seed, loss, port
        self._dialects = _each(
            [dialects] if isinstance(dialects, str) else dialects, instances, "dialects"
        )
        unknown = sorted(set(self._dialects) - set(APIS))
        if unknown:
            raise ValueError(f"unknown dialects {unknown}; use some of {', '.join(APIS)}")
        each_quirks = [quirks or Quirks()] if not isinstance(quirks, Sequence) else quirks
        self._quirks = _each(each_quirks, instances, "quirks")
        flags = [k % 3 != 2 for k in range(instances)] if downvotes is None else downvotes
        self._downvotes = _each(flags, instances, "downvotes")
        self._hosts = stand_ins(instances)
        self._plans = plan_threads(seed, threads, comments, community, self._hosts)
        self._missing = [self._gaps(k, plan) for k, plan in enumerate(self._plans)]
        self._servers: list[ReplayServer] = []
        self.members: tuple[Member, ...] = ()
        self.union: frozenset[str] = frozenset()
        self.post_ap_ids: tuple[str, ...] = ()

    def _gaps(self, thread: int, plan: ThreadPlan) -> list[frozenset[int]]:
        """Per instance, the indices of ``plan``'s comments it misses."""
        on = {host: k for k, host in enumerate(self._hosts)}
        written_on = [on.get(c.author.host, -1) for c in plan.comments]
        parents = [c.parent for c in plan.comments]
        rng = random.Random(f"federation gaps|{self.seed}|{thread}")
        return missing_sets(parents, written_on, len(self._hosts), self.loss, rng)

    # ------------------------------------------------------------------ lifecycle
    @property
    def home(self) -> Member:
        """Instance 0: the community's instance, where the posts were written."""
        if not self.members:
            raise RuntimeError("the federation has no members until start()")
        return self.members[0]

    def start(self) -> ReplayFederation:
        """Bind every server, build each one's copies for the bound ports, serve them."""
        if self._servers:
            raise RuntimeError("a replay federation starts once")
        try:
            for k, dialect in enumerate(self._dialects):
                server = ReplayServer(
                    ReplayDataset(),
                    dialect=dialect,
                    quirks=self._quirks[k],
                    port=self.port + k if self.port else 0,
                )
                self._servers.append(server)
                server.bind()
            renamed = {h: s.instance for h, s in zip(self._hosts, self._servers, strict=True)}
            self.members = tuple(self._serve(k, renamed) for k in range(len(self._hosts)))
        except BaseException:
            self.stop()
            raise
        self.post_ap_ids = tuple(url(p.post_ap_id, renamed) for p in self._plans)
        self.union = frozenset(url(c.ap_id, renamed) for p in self._plans for c in p.comments)
        return self

    def _serve(self, k: int, renamed: dict[str, str]) -> Member:
        """Start server ``k`` on its copies of every thread: its ground truth."""
        server = self._servers[k]
        share = random.Random(f"federation share|{self.seed}|{k}").uniform(0.55, 0.95)
        holder = Holder(
            self._hosts[k],
            server.dialect,
            server.server_version,
            self._downvotes[k],
            share if k else 1.0,
        )
        rng = random.Random(f"federation votes|{self.seed}|{k}")
        copies = [
            rehost(held_copy(plan, self._missing[t][k], holder, rng), renamed)
            for t, plan in enumerate(self._plans)
        ]
        server.start(ReplayDataset.from_threads(copies))
        missing = frozenset(
            url(plan.comments[i].ap_id, renamed)
            for t, plan in enumerate(self._plans)
            for i in self._missing[t][k]
        )
        held = frozenset(c.ap_id for copy in copies for c in copy.comments)
        post_ids = tuple(copy.post.post_id for copy in copies)
        return Member(k, server, self._downvotes[k], missing, held, post_ids)

    def stop(self) -> None:
        """Stop every server: no thread or socket outlives this (idempotent)."""
        for server in self._servers:
            server.stop()

    def __enter__(self) -> ReplayFederation:
        """Start unless already started."""
        return self if self.members else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _each(values: Sequence[T], count: int, name: str) -> tuple[T, ...]:
    """One value per instance from one for all or one each."""
    if len(values) not in (1, count):
        raise ValueError(
            f"{name}: give one for all or one per instance ({count}), not {len(values)}"
        )
    return tuple(values) * (count if len(values) == 1 else 1)


__all__ = ["Member", "ReplayFederation"]
