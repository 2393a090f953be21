"""The replay server as a whole: documents per dialect, nodeinfo, lifecycle, concurrency."""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from fedithreads.dialects import parse_page
from fedithreads.replay.serve import serve_fixtures
from fedithreads.replay.server import ReplayServer
from tests.conftest import TLS
from tests.replay.conftest import (
    ALL,
    DIALECTS,
    OLD,
    PREFIX,
    as_listed,
    dataset_of,
    make_thread,
    parse,
    prov_of,
    serving,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_endpoint_parses_into_the_served_records(dialect: str) -> None:
    """post, post/list, comment and comment/list parse back to the dataset's records."""
    thread = make_thread(n_comments=30)
    post, first = thread.post, thread.comments[0]
    by_time = sorted(thread.comments, key=lambda c: (not c.distinguished, c.published))
    if dialect != "lemmy-v3":  # v4 old and PieFed Old are publish order only
        by_time = sorted(thread.comments, key=lambda c: c.published)
    base = PREFIX[dialect]
    with serving(dataset_of(thread), dialect) as (server, client):
        got_post = parse(
            client.get(f"{base}/post", params={"id": post.post_id}), dialect, "post", post
        )
        posts = parse(client.get(f"{base}/post/list"), dialect, "post/list", post)
        one = client.get(f"{base}/comment", params={"id": first.comment_id})
        listed = client.get(
            f"{base}/comment/list",
            params={
                "post_id": post.post_id,
                "sort": OLD[dialect],
                "limit": 50,
                "type_": ALL[dialect],
            },
        )
        site = client.get(f"{base}/site").json()

    assert got_post.posts == (post,)
    assert posts.posts == (post,)
    assert parse(one, dialect, "comment", first).comments == (as_listed(first),)
    assert list(parse(listed, dialect, "comment/list", first).comments) == [
        as_listed(c) for c in by_time
    ]
    assert site["version"] == server.server_version
    site_page = parse_page(site, dialect=dialect, endpoint="site", prov=prov_of(post), source="s")
    assert site_page.server_version == server.server_version


@pytest.mark.parametrize(("dialect", "software"), [("lemmy-v4", "lemmy"), ("piefed", "piefed")])
def test_nodeinfo_names_the_software(dialect: str, software: str) -> None:
    """``/.well-known/nodeinfo`` links ``/nodeinfo/2.1``, which names software and version."""
    with serving(dataset_of(make_thread(n_comments=1)), dialect) as (server, client):
        links = client.get("/.well-known/nodeinfo").json()
        info = client.get(links["links"][0]["href"]).json()

    assert links["links"][0]["href"] == f"{server.base_url}/nodeinfo/2.1"
    assert info["version"] == "2.1"
    assert info["software"] == {
        **info["software"],
        "name": software,
        "version": server.server_version,
    }


@pytest.mark.parametrize(
    ("dialect", "body"),
    [
        ("lemmy-v3", {"error": "not_found"}),
        ("lemmy-v4", {"error": "not_found"}),
        ("piefed", {"code": 404, "message": "Not Found", "status": "Not Found"}),
    ],
)
def test_unknown_paths_get_the_dialects_404(dialect: str, body: dict[str, object]) -> None:
    """An unrouted path answers 404 with the dialect's error document, and is logged."""
    with serving(dataset_of(make_thread(n_comments=1)), dialect) as (server, client):
        response = client.get("/api/v9/nothing", params={"a": "1"})
        entry = server.log.entries()[0]

    assert response.status_code == 404
    assert response.json().items() >= body.items()
    assert (entry.path, entry.params, entry.status, entry.outcome) == (
        "/api/v9/nothing",
        {"a": "1"},
        404,
        "error",
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost", "::1", "192.168.1.5"])
def test_refuses_any_bind_address_but_loopback(host: str) -> None:
    """Only 127.0.0.1 may be bound."""
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        ReplayServer(dataset_of(), host=host)


def test_stop_closes_idle_keep_alive_connections_and_threads() -> None:
    """``stop`` with a client still holding a keep-alive connection returns, leaves no
    thread behind and no unclosed socket (ResourceWarning is an error in this suite)."""
    before = set(threading.enumerate())
    server = ReplayServer(dataset_of(make_thread(n_comments=2))).start()
    client = httpx.Client(base_url=server.base_url, verify=TLS)
    assert client.get("/api/v3/site").status_code == 200
    assert client.get("/api/v3/site").status_code == 200

    server.stop()
    server.stop()
    client.close()
    gc.collect()

    assert set(threading.enumerate()) <= before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/api/v3/site", verify=TLS)


def test_lifecycle_misuse_is_an_error() -> None:
    """A server has no address before ``start`` and starts only once."""
    server = ReplayServer(dataset_of())
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with server, pytest.raises(RuntimeError):
        server.start()


def test_concurrent_clients_and_mutations() -> None:
    """Eight clients paging at once while comments are added all get whole, valid pages."""
    thread = make_thread(n_comments=200)
    dataset = dataset_of(thread)
    failures: list[str] = []
    with ReplayServer(dataset) as server:

        def crawl() -> None:
            with httpx.Client(base_url=server.base_url, verify=TLS) as client:
                for page in range(1, 26):
                    params = {"post_id": thread.post.post_id, "page": page % 4 + 1, "limit": 50}
                    response = client.get("/api/v3/comment/list", params={**params, "type_": "All"})
                    if response.status_code != 200 or len(response.json()["comments"]) < 50:
                        failures.append(response.text[:80])

        workers = [threading.Thread(target=crawl) for _ in range(8)]
        for w in workers:
            w.start()
        for i in range(20):
            dataset.add_comment(thread.post.post_id, author=f"u{i}@lemmy.ca", content="x")
        for w in workers:
            w.join()
        logged = server.count("/api/v3/comment/list", outcome="ok")

    assert failures == []
    assert logged == 200


def test_non_get_requests_are_read_and_refused() -> None:
    """A POST (with a body) gets the 404 document and the connection stays usable."""
    with serving(dataset_of(make_thread(n_comments=1))) as (_, client):
        posted = client.post("/api/v3/comment", json={"content": "hi", "post_id": 1})
        after = client.get("/api/v3/site")

    assert posted.status_code == 404
    assert after.status_code == 200


def test_serve_fixtures_uses_the_fixtures_dialect_and_version() -> None:
    """``serve_fixtures`` serves a fixture dir in its own dialect and version, or another."""
    seed = FIXTURES / "lemmy-v3" / "seed-lemmygrad"
    with serve_fixtures([seed], port=0, dialect=None, quirks=None) as server:
        own = httpx.get(
            f"{server.base_url}/api/v3/comment/list",
            params={"post_id": 9_137_482, "type_": "All"},
            verify=TLS,
        ).json()
        version = server.server_version
    with serve_fixtures([seed], port=0, dialect="piefed", quirks=None) as server:
        other = httpx.get(
            f"{server.base_url}/api/alpha/comment/list", params={"post_id": 9_137_482}, verify=TLS
        ).json()

    assert version == "0.19.13"
    assert own["comments"][0]["creator"]["name"] == "LittleSpoon"
    assert other["comments"][0]["comment"]["body"] == own["comments"][0]["comment"]["content"]


def test_serve_fixtures_over_the_whole_fixture_tree() -> None:
    """All fixtures at once (three dialects) serve in the most common one, lemmy-v3."""
    with serve_fixtures([FIXTURES], port=0, dialect=None, quirks=None) as server:
        posts = httpx.get(
            f"{server.base_url}/api/v3/post/list", params={"limit": 50, "type_": "All"}, verify=TLS
        ).json()

    assert server.dialect == "lemmy-v3"
    assert len(posts["posts"]) >= 4


CRAWLS = {
    "lemmy-v3": {"type_": "All", "sort": "Old", "limit": 50},
    "lemmy-v4": {"type_": "all", "sort": "old", "limit": 50},
    "piefed": {"sort": "Old", "limit": 50},
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_served_pages_match_the_generated_fixture_pages(dialect: str) -> None:
    """Serving a big-thread fixture and crawling it flat gives the fixture's own pages:
    the same ids per page and the same ``next_page`` tokens."""
    where = FIXTURES / dialect / "big-thread"
    saved = [json.loads(p.read_bytes()) for p in sorted(where.glob("comment-list__page-*.json"))]
    post_id = json.loads((where / "post.json").read_bytes())["post_view"]["post"]["id"]
    served: list[dict[str, Any]] = []
    with serve_fixtures([where], port=0, dialect=None, quirks=None) as server:
        params: dict[str, Any] = {"post_id": post_id, **CRAWLS[dialect]}
        for number in range(1, len(saved) + 1):
            if dialect == "lemmy-v4":
                params["page_cursor"] = served[-1].get("next_page") if served else None
            else:
                params["page"] = number
            query = {k: v for k, v in params.items() if v is not None}
            served.append(
                httpx.get(
                    f"{server.base_url}{PREFIX[dialect]}/comment/list", params=query, verify=TLS
                ).json()
            )

    def ids(doc: dict[str, Any]) -> list[int]:
        return [v["comment"]["id"] for v in doc.get("comments", doc.get("items", []))]

    assert [ids(d) for d in served] == [ids(d) for d in saved]
    assert [d.get("next_page") for d in served] == [d.get("next_page") for d in saved]


@pytest.mark.anyio
async def test_async_clients_share_the_server() -> None:
    """An ``httpx.AsyncClient`` (as the collector uses) gets every one of 30 parallel pages."""
    thread = make_thread(n_comments=150)
    with ReplayServer(dataset_of(thread)) as server:
        async with httpx.AsyncClient(base_url=server.base_url, verify=TLS) as client:
            pages = [
                client.get(
                    "/api/v3/comment/list",
                    params={"post_id": thread.post.post_id, "type_": "All", "page": n % 3 + 1},
                )
                for n in range(30)
            ]
            answers = await anyio_gather(pages)

    assert [a.status_code for a in answers] == [200] * 30
    assert all(len(a.json()["comments"]) == 10 for a in answers)


async def anyio_gather(calls: list[Any]) -> list[httpx.Response]:
    """Await ``calls`` concurrently, keeping their order."""
    out: list[httpx.Response | None] = [None] * len(calls)

    async def one(i: int) -> None:
        out[i] = await calls[i]

    async with anyio.create_task_group() as group:
        for i in range(len(calls)):
            group.start_soon(one, i)
    return [r for r in out if r is not None]


def test_bind_names_the_port_before_the_dataset_is_served() -> None:
    """``bind`` gives the instance before ``start(dataset)`` serves a dataset naming it; a
    server bound but never started closes its socket on ``stop``."""
    server = ReplayServer(dataset_of()).bind()
    thread = make_thread(n_comments=3, community=f"tech@{server.instance}")
    with server.start(dataset_of(thread)), httpx.Client(verify=TLS) as client:
        answer = client.get(f"{server.base_url}/api/v3/post", params={"id": thread.post.post_id})
    unused = ReplayServer(dataset_of()).bind()
    unused.stop()

    assert answer.json()["community_view"]["community"]["local"] is True
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{unused.base_url}/api/v3/site", verify=TLS)
