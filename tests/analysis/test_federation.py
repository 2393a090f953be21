"""One thread on three instances: federation, comment_presence and the union row, by hand.

The thread (post https://a.example/post/100 in !test@a.example, so a.example is home):

    union id  comment (ap_id)   author  held by       local ids  A / B / C
    11        c1                alice   A B C         11 / 51 / 71
    12        ├─ c2             bob     A B C         12 / 52 / 72
    13        │  └─ c3          alice   A B           13 / 53
    14        │     └─ c4       carol   A             14
    15        └─ c5             dave    A B           15 / 55
    16        c6                bob     A B C         16 / 56 / 76
    17        └─ c7             erin    A B           17 / 57
    20           └─ c8          frank     B              / 58
    19        c9                alice   A   C         19 /    / 79
    21        └─ c10            gina        C              /    / 80

A (home, lemmy-v3) holds 8, B (lemmy-v4) 7 including c8 that A lacks, C (piefed, votes
without downvotes) 5 including c10 that only C has. Union ids: home's ids stay; b = 1 +
the largest home label (19) = 20, then the others in ap_id order: c8
(https://b.example/…) 20, c10 (https://c.example/…) 21.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fedithreads.analysis.derived import Analysis, analyze
from fedithreads.analysis.federation import union_of
from fedithreads.analysis.frames import build_tables, paths_agree
from fedithreads.core import schema
from fedithreads.core.records import CommentRecord, PostRecord
from tests.factories import T0, comment, post

A, B, C = "a.example", "b.example", "c.example"
POST = "https://a.example/post/100"
COMMUNITY = "https://a.example/c/test"
PARENT = {1: None, 2: 1, 3: 2, 4: 3, 5: 1, 6: None, 7: 6, 8: 7, 9: None, 10: 9}
NAMES = ("alice", "bob", "alice", "carol", "dave", "bob", "erin", "frank", "alice", "gina")
AUTHOR = dict(enumerate(NAMES, 1))
ORIGIN = {8: B, 10: C}
LOCAL = {
    A: {1: 11, 2: 12, 3: 13, 4: 14, 5: 15, 6: 16, 7: 17, 9: 19},
    B: {1: 51, 2: 52, 3: 53, 5: 55, 6: 56, 7: 57, 8: 58},
    C: {1: 71, 2: 72, 6: 76, 9: 79, 10: 80},
}
POST_ID = {A: 100, B: 200, C: 300}
SOFTWARE = {A: ("lemmy-v3", "0.19.20"), B: ("lemmy-v4", "1.0.0"), C: ("piefed", "1.7.0")}
VOTES = {A: (2, 1), B: (3, 1), C: (4, 0)}  # each comment's (upvotes, downvotes) there
POST_VOTES = {A: (10, 12, 2), B: (7, 8, 1), C: (5, 5, 0)}
SEEN = {A: T0 + timedelta(days=10), B: T0 + timedelta(days=11), C: T0 + timedelta(days=12)}


def ap(k: int) -> str:
    """Comment k's ap_id: on the instance it was written on (a.example unless said)."""
    host = ORIGIN.get(k, A)
    return f"https://{host}/comment/{LOCAL[host][k]}"


def copy(instance: str) -> tuple[PostRecord, list[CommentRecord]]:
    """The thread as ``instance`` serves it: its own ids, paths, counts and votes."""
    local = LOCAL[instance]
    dialect, version = SOFTWARE[instance]
    common: dict[str, Any] = {
        "instance": instance,
        "dialect": dialect,
        "server_version": version,
        "collected_at": SEEN[instance],
    }

    def path(k: int) -> str:
        chain = [k]
        while (up := PARENT[chain[0]]) is not None:
            chain.insert(0, up)
        return "0." + ".".join(str(local[c]) for c in chain)

    def descendants(k: int) -> int:
        kids = [c for c, p in PARENT.items() if p == k and c in local]
        return len(kids) + sum(descendants(c) for c in kids)

    up, down = VOTES[instance]
    comments = [
        comment(
            local[k],
            path(k),
            minutes=10 * k,
            author=AUTHOR[k],
            post_id=POST_ID[instance],
            ap_id=ap(k),
            post_ap_id=POST,
            upvotes=up,
            downvotes=down,
            score=up - down,
            child_count=descendants(k),
            **common,
        )
        for k in local
    ]
    score, ups, downs = POST_VOTES[instance]
    p = post(
        POST_ID[instance],
        ap_id=POST,
        community_ap_id=COMMUNITY,
        comments=len(local),
        score=score,
        upvotes=ups,
        downvotes=downs,
        **common,
    )
    return p, comments


def resolution(instance: str, found: bool | None, days: int, **fields: Any) -> dict[str, Any]:
    return {
        "instance": instance,
        "ap_id": POST,
        "found": found,
        "post_id": None,
        "dialect": None,
        "server_version": None,
        "error": None,
        "collected_at": T0 + timedelta(days=days),
        "run_id": f"run-{days}",
        **fields,
    }


# d.example: failed first, then answered "not there" (the latest wins); e.example failed;
# b.example was also asked (found) — its copy's row wins over the resolution's
RESOLUTIONS = [
    resolution("d.example", None, 10, error="HTTP 502"),
    resolution("d.example", False, 13, dialect="lemmy-v3", server_version="0.19.9"),
    resolution("e.example", None, 13, error="timed out after 30 s"),
    resolution(B, True, 13, post_id=200, dialect="lemmy-v4", server_version="1.0.0"),
]


def three_copies() -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The posts and comments tables of the three copies."""
    posts, comments = [], []
    for instance in (A, B, C):
        p, cs = copy(instance)
        posts.append(p)
        comments.extend(cs)
    tables = build_tables(posts, comments)
    return tables.posts.lazy(), tables.comments.lazy()


def run_three(resolutions: list[dict[str, Any]] | None = None) -> Analysis:
    asked = pl.DataFrame(resolutions or [], schema=schema.RESOLUTIONS)
    return analyze(*three_copies(), resolutions=asked.lazy())


def test_federation_rows_of_the_hand_worked_thread() -> None:
    """Every column of every federation row: three copies, a not-found and a failed lookup."""
    result = run_three(RESOLUTIONS)

    rows = result.federation.rows(named=True)
    d, e = T0 + timedelta(days=13), T0 + timedelta(days=13)
    null4: tuple[None, ...] = (None,) * 4
    # instance, is_home, found, post_id, collected, union, −union, −home, +home,
    # score, ▲, ▼, software, dialect, version, collected_at
    expected = [
        (A, True, True, 100, 8, 10, 2, 0, 0, 10, 12, 2, "lemmy", "lemmy-v3", "0.19.20", SEEN[A]),
        # B lacks c4, c9 of home's and holds c8 home lacks
        (B, False, True, 200, 7, 10, 3, 2, 1, 7, 8, 1, "lemmy", "lemmy-v4", "1.0.0", SEEN[B]),
        # C lacks c3, c4, c5, c7 of home's and holds c10
        (C, False, True, 300, 5, 10, 5, 4, 1, 5, 5, 0, "piefed", "piefed", "1.7.0", SEEN[C]),
        ("d.example", False, False, None, None, 10, None, None, None, *null4[:3],
         "lemmy", "lemmy-v3", "0.19.9", d),
        ("e.example", False, None, None, None, 10, None, None, None, *null4, None, None, e),
    ]  # fmt: skip
    assert list(result.federation.columns) == list(schema.FEDERATION)
    assert {r["ap_id"] for r in rows} == {POST}
    assert {r["home_instance"] for r in rows} == {A}
    assert [
        tuple(v for k, v in r.items() if k not in ("ap_id", "home_instance")) for r in rows
    ] == (expected)


def test_streaming_gives_the_same_federated_tables() -> None:
    """analyze(streaming=True), one instance at a time, still unites the copies."""
    lazy = three_copies()

    memory, streaming = analyze(*lazy), analyze(*lazy, streaming=True)

    for name in ("thread_stats", "federation", "comment_presence"):
        assert_frame_equal(getattr(memory, name), getattr(streaming, name))


def test_comment_presence_names_what_failed_to_federate() -> None:
    """One row per (union comment × copy); "what B lacks" is one filter."""
    presence = run_three().comment_presence

    assert presence.height == 10 * 3
    absent = presence.filter(~pl.col("present"))
    assert sorted(absent.select("instance", "ap_id").rows()) == sorted(
        [(A, ap(8)), (A, ap(10))]
        + [(B, ap(k)) for k in (4, 9, 10)]
        + [(C, ap(k)) for k in (3, 4, 5, 7, 8)]
    )
    assert absent["comment_id"].null_count() == absent.height
    b_lacks = presence.filter((pl.col("instance") == B) & ~pl.col("present"))
    assert sorted(b_lacks["ap_id"]) == sorted(ap(k) for k in (4, 9, 10))
    b_has = presence.filter((pl.col("instance") == B) & pl.col("present"))
    assert dict(b_has.select("ap_id", "comment_id").rows()) == {
        ap(k): i for k, i in LOCAL[B].items()
    }
    assert set(presence["post_ap_id"]) == {POST}


def test_union_row_of_thread_stats() -> None:
    """The union of the three copies through the same thread_stats, and which row is canonical."""
    stats = run_three(RESOLUTIONS).thread_stats

    assert stats.select("instance", "post_id", "scope", "canonical").rows() == [
        (A, 100, "instance", False),
        (A, 100, "union", True),
        (B, 200, "instance", False),
        (C, 300, "instance", False),
    ]
    row = stats.filter(pl.col("scope") == "union").row(0, named=True)
    assert row["ap_id"] == POST
    assert row["comments_collected"] == 10
    assert row["comments_reported"] == 8  # home's count
    assert row["top_level"] == 3  # c1, c6, c9
    assert row["max_depth"] == 4  # c4
    assert row["mean_depth"] == pytest.approx(21 / 10)  # 1+2+3+4+2+1+2+3+1+2
    assert row["max_width"] == 4  # depth 2: c2, c5, c7, c10
    assert row["mean_branching"] == pytest.approx(10 / 7)  # parents P, c1, c2, c3, c6, c7, c9
    assert row["authors"] == 7  # alice bob carol dave erin frank gina
    assert row["orphans"] == 0
    # every copy complete and home there, but e.example's lookup failed: it may hold more
    assert (row["complete"], row["missing"]) == (False, 0)
    answered = [r for r in RESOLUTIONS if r["instance"] != "e.example"]
    union = run_three(answered).thread_stats.filter(pl.col("scope") == "union")
    assert union["complete"].to_list() == [True]
    # 8 comments from home (▲2 ▼1), c8 from B (▲3 ▼1), c10 from C (▲4 ▼0)
    assert (row["comment_score"], row["comment_upvotes"], row["comment_downvotes"]) == (14, 23, 9)
    assert (row["post_score"], row["post_upvotes"], row["post_downvotes"]) == (10, 12, 2)
    assert row["first_reply_seconds"] == 600
    assert row["lifespan_seconds"] == 6000  # c10, 100 minutes
    home = stats.filter(pl.col("scope") == "instance").row(0, named=True)
    assert (home["comments_collected"], home["top_level"], home["max_depth"]) == (8, 3, 4)
    assert (home["authors"], home["complete"]) == (5, True)


def test_union_comments_for_show() -> None:
    """The union as comments: home ids kept, the others after them, paths rebuilt."""
    copies = [copy(instance) for instance in (A, B, C)]
    tables = build_tables([p for p, _ in copies], [c for _, cs in copies for c in cs])

    union = union_of(tables.posts.lazy(), tables.comments.lazy(), POST)

    assert union.select("ap_id", "comment_id", "parent_id", "path", "depth", "source").rows() == [
        (ap(1), 11, None, "0.11", 1, A),
        (ap(2), 12, 11, "0.11.12", 2, A),
        (ap(3), 13, 12, "0.11.12.13", 3, A),
        (ap(4), 14, 13, "0.11.12.13.14", 4, A),
        (ap(5), 15, 11, "0.11.15", 2, A),
        (ap(6), 16, None, "0.16", 1, A),
        (ap(7), 17, 16, "0.16.17", 2, A),
        (ap(9), 19, None, "0.19", 1, A),
        (ap(8), 20, 17, "0.16.17.20", 3, B),
        (ap(10), 21, 19, "0.19.21", 2, C),
    ]
    assert set(union["instance"]) == {A}
    assert set(union["post_id"]) == {100}
    by_ap = {r["ap_id"]: r for r in union.iter_rows(named=True)}
    assert (by_ap[ap(8)]["seen_on"], by_ap[ap(8)]["missing_on"]) == ([B], [A, C])
    assert (by_ap[ap(10)]["local_id"], by_ap[ap(10)]["upvotes"]) == (80, 4)
    assert by_ap[ap(1)]["seen_on"] == [A, B, C]
    assert paths_agree(_as_comments(union))


def _as_comments(union: pl.DataFrame) -> pl.DataFrame:
    return union.select(list(schema.COMMENTS)).with_columns(pl.col("post_id").fill_null(0))


def test_without_a_home_copy_the_union_is_not_complete() -> None:
    """Only B and C collected: post fields from B (most comments), no local id, not complete."""
    posts, comments = [], []
    for instance in (B, C):
        p, cs = copy(instance)
        posts.append(p)
        comments.extend(cs)
    tables = build_tables(posts, comments)

    result = analyze(tables.posts.lazy(), tables.comments.lazy())

    row = result.thread_stats.filter(pl.col("scope") == "union").row(0, named=True)
    assert (row["instance"], row["post_id"], row["post_score"]) == (A, None, 7)
    # c1 c2 c3 c5 c6 c7 c8 from B, c9 c10 from C; ids 1… in ap_id order, no home to keep
    assert (row["comments_collected"], row["top_level"], row["max_depth"]) == (9, 3, 3)
    assert (row["comments_reported"], row["complete"]) == (None, False)
    fed = result.federation
    assert fed["missing_vs_home"].null_count() == fed["extra_vs_home"].null_count() == 2
    assert fed["missing_vs_union"].to_list() == [2, 4]


def test_a_thread_only_asked_about_has_rows_but_no_union() -> None:
    """Resolutions of a post no copy was collected of: rows from them, home from its ap_id."""
    p, comments = copy(A)
    tables = build_tables([p], comments)
    other = "https://f.example/post/9"
    asked = pl.DataFrame(
        [resolution(B, False, 13, ap_id=other), resolution(C, None, 13, ap_id=other)],
        schema=schema.RESOLUTIONS,
    )

    result = analyze(tables.posts.lazy(), tables.comments.lazy(), resolutions=asked.lazy())

    columns = ("ap_id", "instance", "home_instance", "found", "comments_union", "post_id")
    assert result.federation.select(columns).rows() == [
        (other, B, "f.example", False, 0, None),
        (other, C, "f.example", None, 0, None),
    ]
    assert result.comment_presence.is_empty()
    assert result.thread_stats.select("scope", "canonical").rows() == [("instance", True)]


def test_single_instance_data_has_no_federation() -> None:
    """One copy per thread: no union row, empty tables with the declared schemas."""
    p, comments = copy(A)
    tables = build_tables([p], comments)

    result = analyze(tables.posts.lazy(), tables.comments.lazy())

    assert result.thread_stats.select("scope", "canonical").rows() == [("instance", True)]
    for name in ("federation", "comment_presence"):
        frame = getattr(result, name)
        assert frame.is_empty()
        assert dict(frame.schema) == schema.TABLES[name]
    assert dict(result.thread_stats.schema) == schema.THREAD_STATS


# --- random copies: the union is the union of the sets --------------------------------


@st.composite
def copies_of_a_thread(draw: st.DrawFn) -> tuple[dict[int, int | None], dict[str, set[int]]]:
    """A random tree of comments 1…n and, per instance, the comments its copy holds:
    ancestor-closed sets (a reply federates with its parent), or any set."""
    n = draw(st.integers(1, 25))
    parent: dict[int, int | None] = {1: None}
    for k in range(2, n + 1):
        parent[k] = draw(st.one_of(st.none(), st.integers(1, k - 1)))
    closed = draw(st.booleans())
    held: dict[str, set[int]] = {}
    for instance in draw(st.lists(st.sampled_from([A, B, C]), min_size=2, max_size=3, unique=True)):
        some = set(draw(st.lists(st.integers(1, n), max_size=n)))
        if closed:
            some |= {a for k in some for a in _ancestors(parent, k)}
        held[instance] = some
    return parent, held


def _ancestors(parent: dict[int, int | None], k: int) -> list[int]:
    out = []
    while (up := parent[k]) is not None:
        out.append(up)
        k = up
    return out


def _random_copies(
    parent: dict[int, int | None], held: dict[str, set[int]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The copies as tables: instance i gives comment k the local id 1000·i + 7·k."""
    posts, comments = [], []
    for i, (instance, ks) in enumerate(sorted(held.items())):
        local = {k: 1000 * (i + 1) + 7 * k for k in parent}
        posts.append(post(POST_ID[instance], instance=instance, ap_id=POST, comments=len(ks)))
        for k in sorted(ks):
            chain = [*reversed(_ancestors(parent, k)), k]
            path = "0." + ".".join(str(local[c]) for c in chain)
            comments.append(
                comment(
                    local[k], path, instance=instance, post_id=POST_ID[instance],
                    ap_id=f"https://a.example/comment/{k}", post_ap_id=POST, minutes=k,
                )
            )  # fmt: skip
    tables = build_tables(posts, comments)
    return tables.posts, tables.comments


@settings(max_examples=60, deadline=None)
@given(copies_of_a_thread())
def test_union_is_the_union_of_the_copies(
    thread: tuple[dict[int, int | None], dict[str, set[int]]],
) -> None:
    """comments_union, missing counts and presence follow from the sets each copy holds."""
    parent, held = thread
    posts, comments = _random_copies(parent, held)
    union = set().union(*held.values())
    home = held.get(A)

    result = analyze(posts.lazy(), comments.lazy())

    for row in result.federation.iter_rows(named=True):
        mine = held[row["instance"]]
        assert row["comments_union"] == len(union)
        assert row["comments_collected"] == len(mine)
        assert row["missing_vs_union"] == len(union - mine)
        assert row["missing_vs_home"] == (None if home is None else len(home - mine))
        assert row["extra_vs_home"] == (None if home is None else len(mine - home))
    presence = result.comment_presence
    assert presence.height == len(union) * len(held)
    for instance, mine in held.items():
        present = presence.filter((pl.col("instance") == instance) & pl.col("present"))
        assert {int(a.rsplit("/", 1)[1]) for a in present["ap_id"]} == mine
    row = result.thread_stats.filter(pl.col("scope") == "union").row(0, named=True)
    assert row["comments_collected"] == len(union)
    if union and all(
        set(_ancestors(parent, k)) <= held_k for held_k in held.values() for k in held_k
    ):
        # every copy holds its comments' ancestors: the union tree is the true tree on U
        depths = [len(_ancestors(parent, k)) + 1 for k in union]
        assert (row["max_depth"], row["orphans"]) == (max(depths), 0)
        assert row["top_level"] == sum(parent[k] is None for k in union)
        assert row["mean_depth"] == pytest.approx(sum(depths) / len(depths))
    frame = union_of(posts.lazy(), comments.lazy(), POST)
    assert {int(a.rsplit("/", 1)[1]) for a in frame["ap_id"]} == union
    assert frame["comment_id"].n_unique() == frame.height
    assert paths_agree(_as_comments(frame))
