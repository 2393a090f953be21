"""The replay server as PieFed (``/api/alpha``): page numbers, limits, depth, switches."""

from __future__ import annotations

from typing import Any

import httpx

from fedithreads.replay.order import nlevel
from fedithreads.replay.quirks import Quirks
from tests.replay.conftest import dataset_of, get_comments, make_thread, serving

PF = "piefed"


def follow(client: httpx.Client, **params: Any) -> tuple[list[list[int]], list[str | None]]:
    """Every page of a ``comment/list`` chain and each page's ``next_page``."""
    pages: list[list[int]] = []
    tokens: list[str | None] = []
    params.setdefault("page", 1)
    while len(pages) < 100:
        ids, next_page, body = get_comments(client, PF, **params)
        assert "next_page" in body  # an explicit null on the last page
        pages.append(ids)
        tokens.append(next_page)
        if next_page is None:
            return pages, tokens
        params["page"] = int(next_page)
    raise AssertionError("the page chain never ended")


def test_next_page_chain_numbers_pages_until_null() -> None:
    """``next_page`` counts "2", "3", … while rows remain, then null; every id once."""
    thread = make_thread(n_comments=420)
    with serving(dataset_of(thread), PF) as (_, client):
        pages, tokens = follow(client, post_id=thread.post.post_id, sort="Old", limit=50)

    ids = [i for page in pages for i in page]
    assert tokens == [str(n) for n in range(2, 10)] + [None]
    assert ids == [c.comment_id for c in sorted(thread.comments, key=lambda c: c.published)]


def test_limit_is_capped_at_the_page_length() -> None:
    """``limit`` above ``PAGE_LENGTH`` is silently capped (100, or the quirk's value)."""
    thread = make_thread(n_comments=150)
    with serving(dataset_of(thread), PF) as (_, client):
        default, _, _ = get_comments(client, PF, post_id=thread.post.post_id, limit=500)
    with serving(dataset_of(thread), PF, quirks=Quirks(piefed_page_length=30)) as (_, client):
        capped, _, _ = get_comments(client, PF, post_id=thread.post.post_id, limit=500)

    assert len(default) == 100
    assert len(capped) == 30


def test_defaults_are_new_and_ten() -> None:
    """Without ``sort`` and ``limit`` a page holds the ten newest comments."""
    thread = make_thread(n_comments=40)
    newest = sorted(thread.comments, key=lambda c: c.published, reverse=True)[:10]
    with serving(dataset_of(thread), PF) as (_, client):
        ids, next_page, _ = get_comments(client, PF, post_id=thread.post.post_id)

    assert ids == [c.comment_id for c in newest]
    assert next_page == "2"


def test_max_depth_counts_top_level_as_zero_and_pages() -> None:
    """``max_depth=1`` keeps two levels under a post, and still pages."""
    thread = make_thread(n_comments=300)
    two_levels = {c.comment_id for c in thread.comments if nlevel(c.path) <= 3}
    with serving(dataset_of(thread), PF) as (_, client):
        pages, _ = follow(client, post_id=thread.post.post_id, max_depth=1, limit=40)

    ids = [i for page in pages for i in page]
    assert len(pages) > 2
    assert set(ids) == two_levels
    assert len(ids) == len(two_levels)


def test_disabled_api_answers_400_everywhere() -> None:
    """With the alpha API disabled every ``/api/alpha`` path answers the same 400."""
    thread = make_thread(n_comments=3)
    quirks = Quirks(piefed_api_disabled=True)
    with serving(dataset_of(thread), PF, quirks=quirks) as (_, client):
        listed = client.get("/api/alpha/comment/list", params={"post_id": 1})
        unknown = client.get("/api/alpha/nothing")
        nodeinfo = client.get("/nodeinfo/2.1")

    expected = {"code": 400, "message": "alpha api is not enabled", "status": "Bad Request"}
    assert (listed.status_code, listed.json()) == (400, expected)
    assert (unknown.status_code, unknown.json()) == (400, expected)
    assert nodeinfo.json()["software"]["name"] == "piefed"


def test_lemmy_shaped_site_reports_the_piefed_version() -> None:
    """Like PieFed, ``/api/v3/site`` answers in Lemmy's shape with PieFed's version."""
    with serving(dataset_of(make_thread(n_comments=2)), PF) as (_, client):
        body = client.get("/api/v3/site").json()
        other = client.get("/api/v3/post/list")

    assert body["version"] == "1.7.0"
    assert "site_view" in body
    assert other.status_code == 404


def test_errors_are_code_message_status() -> None:
    """A list without post, parent or community, or a missing post, is a 400 document."""
    with serving(dataset_of(make_thread(n_comments=2)), PF) as (_, client):
        bare = client.get("/api/alpha/comment/list")
        missing = client.get("/api/alpha/post", params={"id": 1})

    assert bare.status_code == missing.status_code == 400
    assert bare.json()["message"] == "missing parameters for reply"
    assert set(missing.json()) == {"code", "message", "status"}


def test_post_list_pages_by_number() -> None:
    """``post/list`` pages by number with ``next_page`` until null."""
    dataset = dataset_of(*(make_thread(seed, n_comments=1) for seed in range(1, 6)))
    with serving(dataset, PF) as (_, client):
        first = client.get("/api/alpha/post/list", params={"limit": 3, "sort": "New"}).json()
        second = client.get("/api/alpha/post/list", params={"limit": 3, "page": 2}).json()

    assert (len(first["posts"]), first["next_page"]) == (3, "2")
    assert (len(second["posts"]), second["next_page"]) == (2, None)


def test_a_listing_anonymous_callers_cannot_see_is_an_empty_page() -> None:
    """``type_=Subscribed`` without a login lists no post (it was a 500 before)."""
    with serving(dataset_of(make_thread(n_comments=5)), PF) as (_, client):
        answer = client.get("/api/alpha/post/list", params={"type_": "Subscribed"})

    assert answer.status_code == 200
    assert answer.json()["posts"] == []
    assert answer.json()["next_page"] is None
