"""A replay federation: several instances serving their own copies of one discussion."""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from msgspec.structs import astuple

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.copies import stand_ins
from fedithreads.replay.federation import Member, ReplayFederation
from tests.conftest import TLS
from tests.replay.conftest import ALL, PREFIX, parse

COMMENTS = 40
LOSS = 0.2


@pytest.fixture(scope="module")
def fed() -> Iterator[ReplayFederation]:
    """Three instances (the third on lemmy-v4, downvotes off), two threads of 40."""
    dialects = ("lemmy-v3", "lemmy-v3", "lemmy-v4")
    with ReplayFederation(3, LOSS, seed=7, threads=2, comments=COMMENTS, dialects=dialects) as f:
        yield f


def get(member: Member, endpoint: str, **params: str | int) -> httpx.Response:
    url = f"{member.base_url}{PREFIX[member.dialect]}/{endpoint}"
    return httpx.get(url, params=params, verify=TLS, timeout=5.0)


def served_post(member: Member, thread: int) -> PostRecord:
    """The post of ``thread`` as ``member`` answers ``GET /post`` over HTTP."""
    like = member.dataset.posts()[0]
    response = get(member, "post", id=member.post_ids[thread])
    return parse(response, member.dialect, "post", like).posts[0]


def served_comments(member: Member, thread: int) -> list[CommentRecord]:
    """Every comment of ``thread`` as ``member`` lists it over HTTP (one 50-row page)."""
    like = member.dataset.posts()[0]
    params: dict[str, str | int] = {
        "post_id": member.post_ids[thread],
        "type_": ALL[member.dialect],
        "limit": 50,
    }
    response = get(member, "comment/list", **params)
    page = parse(response, member.dialect, "comment/list", like)
    assert page.next_page is None or len(page.comments) < 50
    return list(page.comments)


def test_each_instance_serves_its_copy_under_its_own_local_ids(fed: ReplayFederation) -> None:
    """Every instance serves the post and the comments it holds, under ids of its own."""
    ids_by_ap: dict[str, set[int]] = {}
    for member in fed.members:
        for thread, post_ap_id in enumerate(fed.post_ap_ids):
            post = served_post(member, thread)
            comments = served_comments(member, thread)

            assert (post.post_id, post.ap_id) == (member.post_ids[thread], post_ap_id)
            assert {c.comment_id for c in comments} == member.dataset.comment_ids(post.post_id)
            for c in comments:
                ids_by_ap.setdefault(c.ap_id, set()).add(c.comment_id)
        held = {c.ap_id for t in range(2) for c in served_comments(member, t)}
        assert held == member.held

    assert len({m.post_ids[0] for m in fed.members}) == 3
    shared = [ids for ids in ids_by_ap.values() if len(ids) > 1]
    assert shared, "some comment is held by several instances under different ids"


def test_the_home_names_the_community_and_the_posts(fed: ReplayFederation) -> None:
    """The community's actor and every post's ap_id are on the home's loopback host."""
    home = fed.home
    for member in fed.members:
        for post in member.dataset.posts():
            assert post.community_ap_id == f"https://{home.key}/c/technology"
            assert post.ap_id.startswith(f"https://{home.key}/post/")
    for thread, post_ap_id in enumerate(fed.post_ap_ids):
        assert post_ap_id == f"https://{home.key}/post/{home.post_ids[thread]}"
    assert home.post_url(1) == f"http://{home.key}/post/{home.post_ids[1]}"


def test_comments_written_on_an_instance_carry_its_local_ids(fed: ReplayFederation) -> None:
    """A comment whose ap_id is on a served instance has that instance's local id there."""
    local_total = 0
    for member in fed.members:
        for c in member.dataset.all_comments():
            if c.ap_id.startswith(f"https://{member.key}/"):
                local_total += 1
                assert c.ap_id == f"https://{member.key}/comment/{c.comment_id}"
            for host in stand_ins(3):  # the names the instances played before binding
                assert f"//{host}/" not in c.ap_id
                assert not c.author.endswith(f"@{host}")
    assert local_total > 0


def test_counts_are_those_of_what_each_instance_holds(fed: ReplayFederation) -> None:
    """child_count, the post's comments and newest_comment_time count only held comments."""
    for member in fed.members:
        for thread in range(2):
            post = served_post(member, thread)
            comments = served_comments(member, thread)
            below = dict.fromkeys((c.comment_id for c in comments), 0)
            for c in comments:
                for label in c.path.split(".")[1:-1]:
                    below[int(label)] += 1

            assert len(comments) == COMMENTS - round(LOSS * COMMENTS)
            assert {c.comment_id: c.child_count for c in comments} == below
            assert post.comments == sum(1 for c in comments if not (c.deleted or c.removed))
            assert post.newest_comment_time == max(c.published for c in comments)


def test_missing_sets_close_under_descendants_and_have_the_size_asked(
    fed: ReplayFederation,
) -> None:
    """Each instance misses round(F × n) comments per thread, never a comment without its
    replies: every comment it holds has its parent there too."""
    for member in fed.members:
        held_ids = {c.comment_id for c in member.dataset.all_comments()}
        for c in member.dataset.all_comments():
            assert {int(label) for label in c.path.split(".")[1:-1]} <= held_ids
        assert len(member.missing) == 2 * round(LOSS * COMMENTS)
        assert member.missing.isdisjoint(member.held)
        assert member.missing | member.held == fed.union


def test_the_union_of_the_copies_is_the_whole_discussion(fed: ReplayFederation) -> None:
    """No comment is lost everywhere: together the instances hold every planned comment."""
    everything = frozenset().union(*(m.held for m in fed.members))

    assert everything == fed.union
    assert len(fed.union) == 2 * COMMENTS
    assert all(m.missing for m in fed.members)  # and yet each one has gaps


def test_resolve_object_finds_what_an_instance_holds_and_only_that(
    fed: ReplayFederation,
) -> None:
    """resolve_object answers with the local post or comment, or the dialect's not found."""
    for member in fed.members:
        post = get(member, "resolve_object", q=fed.post_ap_ids[0]).json()
        held = sorted(member.held)[0]
        comment = get(member, "resolve_object", q=held).json()
        gone = get(member, "resolve_object", q=sorted(member.missing)[0])

        if member.dialect == "lemmy-v3":
            assert post["post"]["post"]["id"] == member.post_ids[0]
            assert comment["comment"]["comment"]["ap_id"] == held
            assert (gone.status_code, gone.json()) == (400, {"error": "couldnt_find_object"})
        else:
            assert (post["type_"], post["post"]["id"]) == ("post", member.post_ids[0])
            assert (comment["type_"], comment["comment"]["ap_id"]) == ("comment", held)
            assert (gone.status_code, gone.json()["error"]) == (404, "not_found")


def test_votes_are_each_instances_own(fed: ReplayFederation) -> None:
    """The home saw every vote, mirrors a share; downvotes-off instances count none."""
    home = {c.ap_id: c for c in fed.home.dataset.all_comments()}
    for member in fed.members[1:]:
        rows = [c for c in member.dataset.all_comments() if c.ap_id in home]
        assert all(c.upvotes <= home[c.ap_id].upvotes for c in rows)
        assert any(c.upvotes < home[c.ap_id].upvotes for c in rows)
    off = [m for m in fed.members if not m.downvotes]

    assert [m.index for m in off] == [2]
    served: list[CommentRecord | PostRecord] = [*served_comments(off[0], 0), served_post(off[0], 0)]
    assert all(r.downvotes == 0 and r.score == r.upvotes for r in served)
    assert any(c.downvotes for c in fed.home.dataset.all_comments())


def test_the_same_seed_gives_the_same_federation() -> None:
    """Two federations of one seed hold the same copies; only the ports differ."""

    def copies(f: ReplayFederation) -> list[list[tuple[object, ...]]]:
        names = {m.key: f"#{m.index}" for m in f.members}

        def neutral(value: object) -> object:
            if not isinstance(value, str):
                return value
            for key, name in names.items():
                value = value.replace(key, name)
            return value

        records: list[list[PostRecord | CommentRecord]] = [
            [*m.dataset.posts(), *m.dataset.all_comments()] for m in f.members
        ]
        return [[tuple(map(neutral, astuple(r))) for r in rs] for rs in records]

    with ReplayFederation(2, 0.3, seed=3, comments=15) as a:
        first = copies(a)
    with (
        ReplayFederation(2, 0.3, seed=3, comments=15) as b,
        ReplayFederation(2, 0.3, seed=4, comments=15) as c,
    ):
        assert copies(b) == first
        assert copies(c) != first


def test_stop_leaves_no_thread_or_socket() -> None:
    """Leaving the federation stops every server: nothing answers, no thread is left."""
    before = set(threading.enumerate())
    with ReplayFederation(3, 0.1, seed=1, comments=5) as f:
        urls = [m.base_url for m in f.members]
        assert all(httpx.get(f"{u}/api/v3/site", verify=TLS).status_code == 200 for u in urls)
    gc.collect()

    assert set(threading.enumerate()) <= before
    for u in urls:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{u}/api/v3/site", verify=TLS)


def test_every_third_instance_has_downvotes_off() -> None:
    """Four instances: the third is the one without downvotes."""
    with ReplayFederation(4, 0.0, comments=3) as f:
        assert [m.downvotes for m in f.members] == [True, True, False, True]


def free_pair() -> int:
    """A port P with P + 1 free too, as far as binding both just now tells."""
    for _ in range(20):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return int(port)
    raise AssertionError("no two consecutive free ports on 127.0.0.1")


def test_a_port_gives_the_instances_consecutive_ports() -> None:
    """``port`` P binds the home on P and the next instance on P + 1."""
    port = free_pair()
    with ReplayFederation(2, 0.0, comments=3, port=port) as f:
        assert [m.key for m in f.members] == [f"127.0.0.1:{port}", f"127.0.0.1:{port + 1}"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"instances": 1}, "at least 2 instances"),
        ({"loss": 1.0}, r"\[0, 1\)"),
        ({"loss": -0.1}, r"\[0, 1\)"),
        ({"dialects": ("lemmy-v3", "lemmy-v4")}, "one per instance"),
        ({"dialects": "mastodon"}, "unknown dialects"),
    ],
)
def test_impossible_federations_are_refused(kwargs: dict[str, object], message: str) -> None:
    """Fewer than two instances, a loss outside [0, 1) or a bad dialect list: ValueError."""
    with pytest.raises(ValueError, match=message):
        ReplayFederation(**{"instances": 3, **kwargs})  # type: ignore[arg-type]
