"""Federation gaps: which comments each instance misses, on small hand-drawn trees."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from fedithreads.replay.gaps import missing_sets, subtree


def descendants_closed(parents: list[int], missing: frozenset[int]) -> bool:
    return all(parents[i] not in missing for i in range(len(parents)) if i not in missing)


def test_twelve_top_level_comments_three_instances_a_quarter_missing() -> None:
    """12 replies-less comments over 3 instances at loss 0.25: each misses exactly 3 and
    no comment is missed by all three."""
    parents = [-1] * 12

    sets = missing_sets(parents, [-1] * 12, 3, 0.25, random.Random(1))

    assert [len(s) for s in sets] == [3, 3, 3]
    assert not frozenset.intersection(*sets)


def test_missing_a_comment_means_missing_its_replies() -> None:
    """A chain 0 ← 1 ← 2 and a lone comment 3: whatever is missed takes its replies along."""
    parents = [-1, 0, 1, -1]

    for seed in range(20):
        for s in missing_sets(parents, [-1] * 4, 2, 0.5, random.Random(seed)):
            assert descendants_closed(parents, s)
            assert len(s) <= 2


def test_an_instance_holds_what_its_users_wrote_and_what_they_answered() -> None:
    """Comment 2, written on instance 1, answers 1 which answers 0: instance 1 holds all."""
    parents = [-1, 0, 1, -1, -1, -1]
    written_on = [-1, -1, 1, -1, -1, -1]

    for seed in range(20):
        sets = missing_sets(parents, written_on, 2, 0.4, random.Random(seed))
        assert sets[1].isdisjoint({0, 1, 2})


def test_subtree_is_the_comment_and_all_its_replies() -> None:
    """``subtree`` walks every level below the root."""
    children = [[1, 3], [2], [], [], []]

    assert sorted(subtree(children, 0)) == [0, 1, 2, 3]
    assert subtree(children, 4) == [4]


@st.composite
def forests(draw: st.DrawFn) -> tuple[list[int], list[int], int]:
    """A reply forest (each parent an earlier comment or −1), who wrote where, instances."""
    n = draw(st.integers(0, 60))
    instances = draw(st.integers(2, 5))
    parents = [draw(st.integers(-1, i - 1)) for i in range(n)]
    written_on = [draw(st.integers(-1, instances - 1)) for _ in range(n)]
    return parents, written_on, instances


@settings(max_examples=150, deadline=None)
@given(forests(), st.floats(0.0, 0.99), st.integers(0, 2**16))
def test_any_forest_any_loss_keeps_the_rules(
    forest: tuple[list[int], list[int], int], loss: float, seed: int
) -> None:
    """Sets close under descendants, stay within the target, spare what an instance's users
    wrote, leave every comment held somewhere, and depend on the seed alone."""
    parents, written_on, instances = forest

    sets = missing_sets(parents, written_on, instances, loss, random.Random(seed))

    assert len(sets) == instances
    assert sets == missing_sets(parents, written_on, instances, loss, random.Random(seed))
    assert not frozenset(range(len(parents))).intersection(*sets)
    for k, s in enumerate(sets):
        assert descendants_closed(parents, s)
        assert len(s) <= round(loss * len(parents))
        assert not any(written_on[i] == k for i in s)
