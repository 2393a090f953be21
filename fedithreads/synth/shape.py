"""The shape of a synthetic discussion: when replies come, where they land, their votes.

Every draw comes from the caller's ``random.Random``, so a seed gives the same shape every
time. Publish times have a burst in the first hours, decay, a second burst a day or two
later and a thin tail; the reply tree mixes top-level comments, replies to recent
comments and replies to comments that already have some, with one long back-and-forth
chain; votes are heavy-tailed, early shallow comments getting more.
"""

from __future__ import annotations

import random

HOUR = 3600.0


def publish_offsets(rng: random.Random, n: int) -> list[int]:
    """Microseconds after the post: burst, decay, a second burst, a thin tail; sorted and
    strictly increasing."""
    second = rng.uniform(26 * HOUR, 44 * HOUR)
    raw = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.55:
            s = 50 + rng.expovariate(1 / (2.5 * HOUR))
        elif kind < 0.75:
            s = 50 + rng.expovariate(1 / (18 * HOUR))
        elif kind < 0.93:
            s = second + rng.expovariate(1 / (3 * HOUR))
        else:
            s = rng.uniform(48 * HOUR, 144 * HOUR)
        raw.append(int(s * 1e6) + rng.randrange(1_000_000))
    raw.sort()
    for i in range(1, n):
        if raw[i] <= raw[i - 1]:
            raw[i] = raw[i - 1] + 1
    return raw


def reply_chain(rng: random.Random, n: int, depth: int, taken: int) -> list[int]:
    """Ascending indices of a back-and-forth ``depth`` long (fewer if ``n`` is small),
    starting early in the thread and never using index ``taken``."""
    free = [i for i in range(n) if i != taken]
    length = min(depth, len(free))
    if length == 0:
        return []
    start = min(len(free) // 10, len(free) - length)
    window = free[start + 1 : start + max(3 * length, len(free) // 2)]
    return [free[start], *sorted(rng.sample(window, length - 1))]


def reply_tree(
    rng: random.Random, n: int, top_fraction: float, depth: int, chain: list[int], dist: int
) -> tuple[list[int], list[int]]:
    """Parents and depths: chain links, top-level by ``top_fraction``, else a reply to a
    recent comment or, preferentially, to one that already has replies."""
    parents, depths, pool = [-1] * n, [1] * n, list[int]()
    next_link = dict(zip(chain[1:], chain, strict=False))
    root = chain[0] if chain else -1
    for i in range(n):
        if i in next_link:
            parent = next_link[i]
        elif i in (dist, root) or not pool or rng.random() < top_fraction:
            parent = -1
        elif rng.random() < 0.4:
            parent = rng.randrange(max(0, i - 6), i)
        else:
            parent = rng.choice(pool)
        while parent >= 0 and depths[parent] >= depth and i not in next_link:
            parent = parents[parent]
        parents[i] = parent
        depths[i] = 1 if parent < 0 else depths[parent] + 1
        pool.append(i)
        if parent >= 0:
            pool.append(parent)
    return parents, depths


def draw_votes(rng: random.Random, offset_us: int, depth: int) -> tuple[int, int]:
    """Heavy-tailed upvotes (early, shallow comments get more) and a few downvotes."""
    early = 3.0 if offset_us < 6 * HOUR * 1e6 else 1.5 if offset_us < 24 * HOUR * 1e6 else 1.0
    tail = rng.paretovariate(1.3) - 1
    tail /= 1 + tail / 50  # a soft ceiling: no single comment outvotes the post
    up = 1 + int(tail * 4 * early / (1 + 0.35 * (depth - 1)))
    if rng.random() < 0.05:
        return up, int(up * rng.uniform(0.4, 1.3))
    return up, int(up * 0.35 * rng.random() ** 2) + (rng.random() < 0.08)
