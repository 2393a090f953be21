"""The replay server as Lemmy 0.19 (``/api/v3``): paging, max_depth, listing type, errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from msgspec.structs import replace as restruct

from fedithreads.core.records import CommentRecord
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.order import labels, nlevel
from fedithreads.replay.quirks import Quirks
from tests.replay.conftest import dataset_of, get_comments, make_thread, serving

V3 = "lemmy-v3"


def crawl_flat(client: object, post_id: int, **extra: object) -> list[int]:
    """Every id of a flat ``sort=Old`` crawl, pages of 50 until a short page."""
    ids: list[int] = []
    for page in range(1, 100):
        got, _, _ = get_comments(
            client,  # type: ignore[arg-type]
            V3,
            post_id=post_id,
            type_="All",
            sort="Old",
            limit=50,
            page=page,
            **extra,
        )
        ids += got
        if len(got) < 50:
            return ids
    raise AssertionError("the crawl never ended")


def test_flat_old_paging_returns_every_comment_once() -> None:
    """Paging ``sort=Old&limit=50`` yields each comment exactly once, distinguished first."""
    thread = make_thread(n_comments=420)
    with serving(dataset_of(thread)) as (_, client):
        ids = crawl_flat(client, thread.post.post_id)

    assert len(ids) == len(set(ids)) == 420
    by_id = {c.comment_id: c for c in thread.comments}
    expected = sorted(thread.comments, key=lambda c: (not c.distinguished, c.published))
    assert ids == [c.comment_id for c in expected]
    assert by_id[ids[0]].distinguished


def test_max_depth_caps_at_300_and_ignores_limit_and_page() -> None:
    """With ``max_depth`` a 420-comment thread gives 300 rows, whatever limit and page say."""
    thread = make_thread(n_comments=420)
    with serving(dataset_of(thread)) as (_, client):
        query = {"post_id": thread.post.post_id, "type_": "All", "max_depth": 50, "limit": 5}
        first, _, _ = get_comments(client, V3, **query, page=1)
        second, _, _ = get_comments(client, V3, **query, page=2)

    assert len(first) == 300
    assert first == second


def test_max_depth_cap_is_a_quirk() -> None:
    """``Quirks.max_depth_cap`` sets how many rows a tree query returns."""
    thread = make_thread(n_comments=60)
    with serving(dataset_of(thread), quirks=Quirks(max_depth_cap=7)) as (_, client):
        ids, _, _ = get_comments(client, V3, post_id=thread.post.post_id, max_depth=9)

    assert len(ids) == 7


def test_max_depth_orders_breadth_first_by_parent_path() -> None:
    """Tree rows come ordered by parent path: every top-level comment first, then replies."""
    thread = make_thread(n_comments=420)
    by_id = {c.comment_id: c for c in thread.comments}
    top_level = sum(1 for c in thread.comments if nlevel(c.path) == 2)
    with serving(dataset_of(thread)) as (_, client):
        ids, _, _ = get_comments(
            client, V3, post_id=thread.post.post_id, type_="All", max_depth=20, sort="Old"
        )

    parents = [labels(by_id[i].path)[:-1] for i in ids]
    assert parents == sorted(parents)
    assert all(nlevel(by_id[i].path) == 2 for i in ids[:top_level])
    assert nlevel(by_id[ids[top_level]].path) == 3


def test_max_depth_filters_levels() -> None:
    """``max_depth=1`` keeps top-level comments; with a parent it counts from the parent."""
    thread = make_thread(n_comments=200)
    deep = next(c for c in thread.comments if nlevel(c.path) == 3 and c.child_count)
    with serving(dataset_of(thread)) as (_, client):
        top, _, _ = get_comments(client, V3, post_id=thread.post.post_id, max_depth=1)
        below, _, _ = get_comments(client, V3, parent_id=deep.comment_id, max_depth=1)

    by_id = {c.comment_id: c for c in thread.comments}
    assert {nlevel(by_id[i].path) for i in top} == {2}
    assert {nlevel(by_id[i].path) for i in below} == {3, 4}
    assert deep.comment_id in below


def test_parent_id_lists_the_parent_and_its_whole_subtree() -> None:
    """A flat ``parent_id`` listing holds the parent itself and every descendant."""
    thread = make_thread(n_comments=300)
    parent = max(thread.comments, key=lambda c: c.child_count)
    subtree = {
        c.comment_id
        for c in thread.comments
        if c.path == parent.path or c.path.startswith(parent.path + ".")
    }
    with serving(dataset_of(thread)) as (_, client):
        ids: list[int] = []
        for page in range(1, 20):
            got, _, _ = get_comments(
                client, V3, parent_id=parent.comment_id, sort="Old", limit=20, page=page
            )
            ids += got
            if len(got) < 20:
                break

    assert parent.child_count + 1 == len(subtree) > 20
    assert ids[0] == parent.comment_id
    assert set(ids) == subtree
    assert len(ids) == len(subtree)


def test_local_default_listing_hides_remote_community_comments() -> None:
    """With the site default ``Local``, a remote-community post lists nothing unless
    ``type_=All`` is sent; a post in a local community lists its comments either way."""
    thread = make_thread(n_comments=40)
    dataset = dataset_of(thread)
    with serving(dataset, quirks=Quirks(default_listing="Local")) as (server, client):
        local_post = restruct(
            thread.post, post_id=1, community_ap_id=f"http://{server.instance}/c/home"
        )
        dataset.add_post(local_post)
        dataset.add_comment(1, author="bob@lemmy.ca", content="hello")
        hidden, _, _ = get_comments(client, V3, post_id=thread.post.post_id)
        shown, _, _ = get_comments(client, V3, post_id=thread.post.post_id, type_="All")
        local, _, _ = get_comments(client, V3, post_id=1)
        site = client.get("/api/v3/site").json()

    assert hidden == []
    assert len(shown) == 10
    assert len(local) == 1
    assert site["site_view"]["local_site"]["default_post_listing_type"] == "Local"


@pytest.mark.parametrize(("endpoint", "error"), [("comment", "comments"), ("post", "posts")])
def test_page_ceiling_rejects_deeper_pages(endpoint: str, error: str) -> None:
    """Beyond ``Quirks.page_ceiling`` a list answers 400 ``couldnt_get_<things>``."""
    thread = make_thread(n_comments=20)
    with serving(dataset_of(thread), quirks=Quirks(page_ceiling=10)) as (_, client):
        url = f"/api/v3/{endpoint}/list"
        params: dict[str, Any] = {"post_id": thread.post.post_id, "type_": "All"}
        allowed = client.get(url, params={**params, "page": 10})
        refused = client.get(url, params={**params, "page": 11})

    assert allowed.status_code == 200
    assert refused.status_code == 400
    assert refused.json() == {"error": f"couldnt_get_{error}"}


@pytest.mark.parametrize("params", [{"limit": 51}, {"limit": 0}, {"page": 0}])
def test_out_of_range_limit_or_page_is_rejected(params: dict[str, int]) -> None:
    """``limit`` outside 1-50 or ``page`` below 1 gives 400 ``couldnt_get_comments``."""
    thread = make_thread(n_comments=5)
    with serving(dataset_of(thread)) as (_, client):
        response = client.get("/api/v3/comment/list", params={"post_id": 1, **params})

    assert response.status_code == 400
    assert response.json() == {"error": "couldnt_get_comments"}


def test_v3_repeat_pages_quirk_returns_page_one_forever() -> None:
    """Under ``v3_repeat_pages`` (Lemmy 1.0's v3 layer) page 2 repeats page 1."""
    thread = make_thread(n_comments=120)
    with serving(dataset_of(thread), quirks=Quirks(v3_repeat_pages=True)) as (_, client):
        query = {"post_id": thread.post.post_id, "type_": "All", "sort": "Old", "limit": 50}
        first, _, _ = get_comments(client, V3, **query, page=1)
        second, _, _ = get_comments(client, V3, **query, page=2)

    assert len(first) == 50
    assert first == second


def with_text_on_deleted(thread_comments: tuple[CommentRecord, ...]) -> list[CommentRecord]:
    """The comments, deleted ones still holding text (as a 0.19.3 server leaks it)."""
    return [restruct(c, content="secret") if c.deleted or c.removed else c for c in thread_comments]


@pytest.mark.parametrize(("version", "leaked"), [("0.19.20", False), ("0.19.3", True)])
def test_deleted_comments_are_listed_blank_from_0_19_4(version: str, leaked: bool) -> None:
    """Deleted and removed comments are listed, with ``""`` from 0.19.4, text before."""
    thread = make_thread(n_comments=200)
    dataset = ReplayDataset([thread.post], with_text_on_deleted(thread.comments))
    with serving(dataset, server_version=version) as (_, client):
        _, _, body = get_comments(
            client, V3, post_id=thread.post.post_id, type_="All", sort="Old", limit=50
        )

    gone = [v["comment"] for v in body["comments"] if v["comment"]["deleted"]]
    assert gone
    assert {g["content"] for g in gone} == ({"secret"} if leaked else {""})


def test_omit_deleted_quirk_leaves_them_out() -> None:
    """``Quirks.omit_deleted`` (0.18.3-0.18.5) lists no deleted or removed comment."""
    thread = make_thread(n_comments=200)
    visible = {c.comment_id for c in thread.comments if not (c.deleted or c.removed)}
    with serving(dataset_of(thread), quirks=Quirks(omit_deleted=True)) as (_, client):
        ids = crawl_flat(client, thread.post.post_id)

    assert set(ids) == visible < {c.comment_id for c in thread.comments}


def test_post_list_cursor_chain_ends_with_an_empty_page() -> None:
    """``post/list`` sends ``P<hex id>`` on every non-empty page; featured posts come first;
    following the cursor visits each post once and ends on an empty page."""
    threads = [make_thread(seed, n_comments=3) for seed in range(1, 8)]
    threads[4] = replace(threads[4], post=restruct(threads[4].post, featured=True))
    dataset = dataset_of(*threads)
    pages: list[list[int]] = []
    with serving(dataset) as (_, client):
        params: dict[str, Any] = {"sort": "New", "limit": 3, "type_": "All"}
        while True:
            body = client.get("/api/v3/post/list", params=params).json()
            pages.append([p["post"]["id"] for p in body["posts"]])
            if not body["posts"]:
                break
            assert body["next_page"] == f"P{pages[-1][-1]:x}"
            params["page_cursor"] = body["next_page"]

    ids = [i for page in pages for i in page]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    assert ids[0] == threads[4].post.post_id
    assert sorted(ids) == sorted(dataset.post_ids())


def test_errors_follow_the_version() -> None:
    """A missing post is 400 ``couldnt_find_post`` on 0.19.20 and 404 on 0.19.3; a bad
    integer is actix's plain-text 400."""
    dataset = dataset_of(make_thread(n_comments=3))
    with serving(dataset) as (_, client):
        new = client.get("/api/v3/post", params={"id": 5})
        bad = client.get("/api/v3/comment/list", params={"post_id": "x"})
    with serving(dataset, server_version="0.19.3") as (_, client):
        old = client.get("/api/v3/post", params={"id": 5})

    assert (new.status_code, new.json()) == (400, {"error": "couldnt_find_post"})
    assert (old.status_code, old.json()) == (404, {"error": "couldnt_find_post"})
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("text/plain")


def test_community_and_resolve_object() -> None:
    """``community`` finds ``name@host`` (its id then filters ``post/list``);
    ``resolve_object`` knows only objects in the dataset."""
    thread = make_thread(n_comments=3)
    with serving(dataset_of(thread, make_thread(2, n_comments=1, community="a@b.example"))) as (
        _,
        client,
    ):
        found = client.get("/api/v3/community", params={"name": "technology@lemmy.world"})
        community_id = found.json()["community_view"]["community"]["id"]
        posts = client.get("/api/v3/post/list", params={"community_id": community_id}).json()
        missing = client.get("/api/v3/community", params={"name": "nope@lemmy.world"})
        resolved = client.get("/api/v3/resolve_object", params={"q": thread.post.ap_id})
        unknown = client.get("/api/v3/resolve_object", params={"q": "https://x.example/post/1"})

    assert found.json()["community_view"]["community"]["actor_id"] == thread.post.community_ap_id
    assert [p["post"]["id"] for p in posts["posts"]] == [thread.post.post_id]
    assert (missing.status_code, missing.json()) == (404, {"error": "couldnt_find_community"})
    assert resolved.json()["post"]["post"]["ap_id"] == thread.post.ap_id
    assert (unknown.status_code, unknown.json()) == (400, {"error": "couldnt_find_object"})


@pytest.mark.parametrize("sort", ["Top", "Hot", "Controversial", "New"])
def test_sorts_put_distinguished_first_then_order_deterministically(sort: str) -> None:
    """Flat lists of a post are ordered distinguished-first, then by the sort, the same
    way on every request."""
    thread = make_thread(n_comments=80)
    with serving(dataset_of(thread)) as (_, client):
        query = {"post_id": thread.post.post_id, "type_": "All", "sort": sort, "limit": 50}
        first, _, body = get_comments(client, V3, **query)
        again, _, _ = get_comments(client, V3, **query)

    views = body["comments"]
    assert first == again
    assert views[0]["comment"]["distinguished"]
    if sort == "Top":
        scores = [v["counts"]["score"] for v in views[1:]]
        assert scores == sorted(scores, reverse=True)
    if sort == "New":
        times = [v["comment"]["published"] for v in views[1:]]
        assert times == sorted(times, reverse=True)
