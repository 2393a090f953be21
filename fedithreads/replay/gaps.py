"""Federation gaps: which comments of one discussion each instance of a federation misses.

Federation loses replies: an instance that was down, defederated or behind on its queue
never receives a comment, and then has nowhere to hang the replies to it either. So a
set of missing comments is closed under descendants: missing a comment means missing
its whole reply tree. ``missing_sets`` draws one such set per instance, about
``round(loss × n)`` comments each, under two rules that keep the federation honest:

* every comment is held somewhere, so the union of the copies is the whole discussion:
  each top-level comment's reply tree has a *keeper*, an instance that holds all of it
  (trees are dealt out largest first, each to the instance it leaves keeping the fewest);
* an instance holds every comment written by its own users, and what they answered
  (the ``written_on`` index of each comment, −1 for instances outside the federation).

What an instance keeps is closed under ancestors, so a comment it does not keep roots a
subtree it may miss whole. Subtrees are tried in a seeded random order and taken when
they fit what is left of the target; then the latest comments fill what is left, so the
target is met exactly unless the kept trees leave too little to miss (a loss near
1 − 1/instances). Pure: indices in, sets out.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def missing_sets(
    parents: Sequence[int],
    written_on: Sequence[int],
    instances: int,
    loss: float,
    rng: random.Random,
) -> list[frozenset[int]]:
    """Per instance, the indices of the comments it misses (``parents[i]`` is an earlier
    index or −1; see the module docstring for the rules)."""
    n = len(parents)
    children: list[list[int]] = [[] for _ in range(n)]
    for i, parent in enumerate(parents):
        if parent >= 0:
            children[parent].append(i)
    kept = _kept(parents, children, written_on, instances, rng)
    target = round(loss * n)
    return [_draw(children, kept[k], target, rng) for k in range(instances)]


def _kept(
    parents: Sequence[int],
    children: list[list[int]],
    written_on: Sequence[int],
    instances: int,
    rng: random.Random,
) -> list[set[int]]:
    """What each instance must hold: its users' comments, then a keeper's share of the
    rest, with their ancestors. Each leaf no instance holds yet goes (in random order) to
    the instance left keeping the fewest comments. Each set is closed under ancestors."""
    kept: list[set[int]] = [set() for _ in range(instances)]
    for i, on in enumerate(written_on):
        if 0 <= on < instances:
            kept[on].update(_chain(parents, i, kept[on]))
    leaves = [i for i in range(len(parents)) if not children[i]]
    rng.shuffle(leaves)
    for leaf in leaves:
        if any(leaf in k for k in kept):
            continue
        chains = [_chain(parents, leaf, k) for k in kept]
        keeper = min(range(instances), key=lambda k: len(kept[k]) + len(chains[k]))
        kept[keeper].update(chains[keeper])
    return kept


def _chain(parents: Sequence[int], node: int, kept: set[int]) -> list[int]:
    """``node`` and its ancestors up to the first one in ``kept``."""
    out = []
    while node >= 0 and node not in kept:
        out.append(node)
        node = parents[node]
    return out


def _draw(
    children: list[list[int]], kept: set[int], target: int, rng: random.Random
) -> frozenset[int]:
    """Whole subtrees outside ``kept``, in random order, as long as they fit ``target``;
    then single comments, latest first (their replies are missing by then), to fill it."""
    order = [i for i in range(len(children)) if i not in kept]
    rng.shuffle(order)
    missing: set[int] = set()
    for root in order + sorted(order, reverse=True):
        if len(missing) == target:
            break
        if root not in missing:
            new = [i for i in subtree(children, root) if i not in missing]
            if len(missing) + len(new) <= target:
                missing.update(new)
    return frozenset(missing)


def subtree(children: list[list[int]], root: int) -> list[int]:
    """``root`` and every descendant of it."""
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children[node])
    return out


__all__ = ["missing_sets", "subtree"]
