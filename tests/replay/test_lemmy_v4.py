"""The replay server as Lemmy 1.0 (``/api/v4``): cursors, tree pages, errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from fedithreads.replay.quirks import Quirks
from tests.replay.conftest import dataset_of, get_comments, make_thread, serving

V4 = "lemmy-v4"


def follow(client: httpx.Client, **params: Any) -> list[list[int]]:
    """Every page of a ``comment/list`` cursor chain, until ``next_page`` is absent."""
    pages: list[list[int]] = []
    while len(pages) < 50:
        ids, next_page, body = get_comments(client, V4, **params)
        pages.append(ids)
        assert ("prev_page" in body) == ("page_cursor" in params)
        if next_page is None:
            return pages
        params["page_cursor"] = next_page
    raise AssertionError("the cursor chain never ended")


def test_cursor_chain_visits_every_comment_once_in_publish_order() -> None:
    """``sort=old`` pages follow ``next_page`` to a short last page without a cursor, in
    publish order only (no distinguished-first)."""
    thread = make_thread(n_comments=420)
    with serving(dataset_of(thread), V4) as (_, client):
        pages = follow(client, post_id=thread.post.post_id, sort="old", limit=50, type_="all")

    ids = [i for page in pages for i in page]
    assert [len(p) for p in pages] == [50] * 8 + [20]
    assert ids == [c.comment_id for c in sorted(thread.comments, key=lambda c: c.published)]


def test_full_last_page_is_followed_by_an_empty_one() -> None:
    """When the rows end on a full page, its cursor leads to an empty page with none."""
    thread = make_thread(n_comments=100)
    with serving(dataset_of(thread), V4) as (_, client):
        pages = follow(client, post_id=thread.post.post_id, sort="new", limit=50)

    assert [len(p) for p in pages] == [50, 50, 0]


def test_prev_page_leads_back() -> None:
    """The ``prev_page`` cursor of page 2 gives page 1 again."""
    thread = make_thread(n_comments=120)
    with serving(dataset_of(thread), V4) as (_, client):
        query = {"post_id": thread.post.post_id, "sort": "old", "limit": 50}
        first, cursor, _ = get_comments(client, V4, **query)
        _, _, second = get_comments(client, V4, **query, page_cursor=cursor)
        back, _, _ = get_comments(client, V4, **query, page_cursor=second["prev_page"])

    assert back == first


def test_max_depth_pages_of_300_carry_a_cursor() -> None:
    """A ``max_depth`` query returns 300 rows with ``next_page``, and the rest after it."""
    thread = make_thread(n_comments=420)
    with serving(dataset_of(thread), V4) as (_, client):
        pages = follow(client, post_id=thread.post.post_id, max_depth=50, sort="old", limit=10)

    ids = [i for page in pages for i in page]
    assert [len(p) for p in pages] == [300, 120]
    assert sorted(ids) == sorted(c.comment_id for c in thread.comments)


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"limit": 51}, 400, "invalid_fetch_limit"),
        ({"limit": 0}, 400, "invalid_fetch_limit"),
        ({"page_cursor": "not-a-cursor!"}, 400, "couldnt_parse_pagination_token"),
    ],
)
def test_bad_list_parameters(params: dict[str, Any], status: int, error: str) -> None:
    """A ``limit`` outside 1-50 or a cursor the server did not make is a 400."""
    thread = make_thread(n_comments=5)
    with serving(dataset_of(thread), V4) as (_, client):
        response = client.get("/api/v4/comment/list", params={"post_id": 1, **params})

    assert response.status_code == status
    assert response.json()["error"] == error


def test_missing_rows_are_404_not_found() -> None:
    """A missing post or comment answers 404 ``not_found``."""
    with serving(dataset_of(make_thread(n_comments=3)), V4) as (_, client):
        post = client.get("/api/v4/post", params={"id": 1})
        comment = client.get("/api/v4/comment", params={"id": 1})

    assert post.status_code == comment.status_code == 404
    assert post.json()["error"] == comment.json()["error"] == "not_found"


def test_resolve_object_is_tagged() -> None:
    """``resolve_object`` answers the view tagged with ``type_``."""
    thread = make_thread(n_comments=3)
    with serving(dataset_of(thread), V4) as (_, client):
        body = client.get("/api/v4/resolve_object", params={"q": thread.comments[1].ap_id}).json()

    assert body["type_"] == "comment"
    assert body["comment"]["ap_id"] == thread.comments[1].ap_id


def test_time_range_seconds_limits_comments_and_zero_means_none() -> None:
    """``time_range_seconds`` keeps comments that recent (before the reference time); 0
    keeps all."""
    thread = make_thread(n_comments=40)
    dataset = dataset_of(thread)
    newest = max(c.published for c in thread.comments)
    dataset.reference_time = newest + timedelta(seconds=1)
    with serving(dataset, V4) as (_, client):
        query = {"post_id": thread.post.post_id, "limit": 50}
        recent, _, _ = get_comments(client, V4, **query, time_range_seconds=2)
        every, _, _ = get_comments(client, V4, **query, time_range_seconds=0)

    assert len(recent) == 1
    assert len(every) == 40


def test_local_listing_does_not_hide_a_given_posts_comments() -> None:
    """1.0 dropped the local filter when a post is given: ``type_=local`` still lists."""
    thread = make_thread(n_comments=12)
    with serving(dataset_of(thread), V4, quirks=Quirks(default_listing="Local")) as (_, client):
        ids, _, _ = get_comments(client, V4, post_id=thread.post.post_id, type_="local")
        site = client.get("/api/v4/site").json()

    assert len(ids) == 12
    assert site["site_view"]["local_site"]["default_post_listing_type"] == "local"


def test_post_list_cursor_chain() -> None:
    """``post/list`` pages by cursor and omits ``next_page`` on the short last page."""
    dataset = dataset_of(*(make_thread(seed, n_comments=2) for seed in range(1, 8)))
    pages: list[list[int]] = []
    with serving(dataset, V4) as (_, client):
        params: dict[str, Any] = {"sort": "new", "limit": 3, "type_": "all"}
        while True:
            body = client.get("/api/v4/post/list", params=params).json()
            pages.append([p["post"]["id"] for p in body["items"]])
            if "next_page" not in body:
                break
            params["page_cursor"] = body["next_page"]

    assert [len(p) for p in pages] == [3, 3, 1]
    assert sorted(i for p in pages for i in p) == sorted(dataset.post_ids())
