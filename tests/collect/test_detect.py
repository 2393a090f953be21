"""Dialect detection from nodeinfo, and what /site says about the rate limit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from fedithreads.collect.client import Client
from fedithreads.collect.detect import Detector, dialect_for, known_page_ceiling
from fedithreads.errors import ServerError
from tests.collect.conftest import settings_for
from tests.fakes import json_response

pytestmark = pytest.mark.anyio

LINKS = {
    "links": [
        {
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": "https://x.example/nodeinfo/2.1",
        }
    ]
}


def server(
    software: str, version: str, site: dict[str, Any] | httpx.Response
) -> httpx.MockTransport:
    def route(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/nodeinfo":
            return json_response(LINKS)
        if path == "/nodeinfo/2.1":
            return json_response(
                {"version": "2.1", "software": {"name": software, "version": version}}
            )
        if path.endswith("/site"):
            return site if isinstance(site, httpx.Response) else json_response(site)
        return json_response({"error": "not_found"}, 404)

    return httpx.MockTransport(route)


async def detect(transport: httpx.MockTransport, tmp_path: Any) -> Any:
    async with Client(settings_for(tmp_path), transport=transport) as client:
        found = await Detector(client).server("https://x.example")
        return found, client


@pytest.mark.parametrize(
    ("software", "version", "dialect"),
    [
        ("lemmy", "0.18.5", "lemmy-v3"),
        ("lemmy", "0.19.3-7-gabcdef", "lemmy-v3"),
        ("lemmy", "1.0.0-beta.1", "lemmy-v4"),
        ("lemmy", "1.0.0-alpha.14", "lemmy-v4"),
        ("Lemmy", "1.2.0", "lemmy-v4"),
        ("piefed", "1.7.0", "piefed"),
    ],
)
def test_the_dialect_follows_software_and_version(
    software: str, version: str, dialect: str
) -> None:
    """Lemmy below 1.0 speaks v3, 1.0 and its pre-releases v4, PieFed its alpha API."""
    assert dialect_for("x.example", software, version) == dialect


@pytest.mark.parametrize("software", ["mbin", "kbin", "mastodon"])
def test_other_software_is_refused_by_name(software: str) -> None:
    """Anything but Lemmy and PieFed is a clear 'unsupported software' error."""
    with pytest.raises(ServerError, match=f"unsupported software {software} 1.2"):
        dialect_for("x.example", software, "1.2")


@pytest.mark.parametrize(
    ("version", "ceiling"), [("0.19.13", None), ("0.19.14", 10), ("0.19.20", 100), ("0.18.5", None)]
)
def test_known_page_ceilings(version: str, ceiling: int | None) -> None:
    """0.19.14 stops at page 10, 0.19.15 and later at page 100."""
    assert known_page_ceiling("lemmy-v3", version) == ceiling


async def test_the_published_limit_is_adopted(tmp_path: Any) -> None:
    """A 0.19 /site publishing message 60 per 60 s makes the host's pace 0.9/s."""
    site = {
        "version": "0.19.20",
        "site_view": {"local_site_rate_limit": {"message": 60, "message_per_second": 60}},
    }

    found, client = await detect(server("lemmy", "0.19.20", site), tmp_path)

    assert (found.dialect, found.page_ceiling) == ("lemmy-v3", 100)
    assert client.limiter("x.example").bucket.refill == pytest.approx(0.9)


async def test_v3_compat_zeros_are_not_a_limit(tmp_path: Any) -> None:
    """1.0's v3 layer reports all-zero limits; they are ignored, not obeyed."""
    site = {
        "version": "0.19.20",
        "site_view": {"local_site_rate_limit": {"message": 0, "message_per_second": 0}},
    }

    found, _ = await detect(server("lemmy", "0.19.20", site), tmp_path)

    assert found.rate is None


async def test_piefed_with_its_api_switched_off_is_a_clear_error(tmp_path: Any) -> None:
    """PieFed answers 400 'alpha api is not enabled': say so instead of retrying."""
    off = json_response(
        {"code": 400, "message": "alpha api is not enabled", "status": "Bad Request"}, 400
    )

    with pytest.raises(ServerError, match="PieFed's API is switched off"):
        await detect(server("piefed", "1.7.0", off), tmp_path)


async def test_each_host_is_detected_once_per_run(tmp_path: Any) -> None:
    """Concurrent callers share one detection: three nodeinfo-site round trips, not more."""
    calls: list[str] = []
    inner = server("lemmy", "0.19.20", {"version": "0.19.20"})

    def counting(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return inner.handler(request)  # type: ignore[no-any-return]

    async with Client(settings_for(tmp_path), transport=httpx.MockTransport(counting)) as client:
        detector = Detector(client)
        await asyncio.gather(*(detector.server("https://x.example") for _ in range(5)))

    assert calls == ["/nodeinfo/2.1", "/api/v3/site"]


async def test_without_nodeinfo_2_1_the_well_known_document_is_followed(tmp_path: Any) -> None:
    """Lemmy 0.18 serves /nodeinfo/2.0.json only: /.well-known/nodeinfo leads there."""
    calls: list[str] = []
    links = {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": "https://x.example/nodeinfo/2.0.json",
            }
        ]
    }

    def route(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/.well-known/nodeinfo":
            return json_response(links)
        if request.url.path == "/nodeinfo/2.0.json":
            return json_response({"software": {"name": "lemmy", "version": "0.18.5"}})
        if request.url.path == "/api/v3/site":
            return json_response({"version": "0.18.5"})
        return json_response({"error": "not_found"}, 404)

    async with Client(settings_for(tmp_path), transport=httpx.MockTransport(route)) as client:
        found = await Detector(client).server("https://x.example")

    assert (found.dialect, found.version) == ("lemmy-v3", "0.18.5")
    # /site goes out on the guess (lemmy-v3) before nodeinfo is found, and not again
    assert [c for c in calls if "nodeinfo" in c] == [
        "/nodeinfo/2.1",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.0.json",
    ]
    assert calls.count("/api/v3/site") == 1
    assert calls.index("/api/v3/site") < calls.index("/nodeinfo/2.0.json")
