"""One spelling per instance, whether a user typed the host or a server sent a URL."""

from __future__ import annotations

import polars as pl
import pytest

from fedithreads.analysis.coverage import home_instances
from fedithreads.analysis.union import THREAD_AP
from fedithreads.collect.instances import instance_of, parse_across
from fedithreads.collect.targets import parse_target
from fedithreads.core.hosts import host_key, host_of


@pytest.mark.parametrize(
    ("typed", "url", "key"),
    [
        ("localhost:8536", "http://localhost:8536/c/tech", "127.0.0.1:8536"),
        ("127.0.0.1:8536", "http://127.0.0.1:8536/c/tech", "127.0.0.1:8536"),
        ("[::1]:8536", "http://[::1]:8536/c/tech", "[::1]:8536"),
        ("[0:0:0:0:0:0:0:1]:8536", "http://[0:0:0:0:0:0:0:1]:8536/c/tech", "[::1]:8536"),
        ("LEMMY.Example", "https://Lemmy.example:443/c/tech", "lemmy.example"),
        ("bücher.example", "https://bücher.example/c/tech", "xn--bcher-kva.example"),
    ],
)
def test_a_typed_host_and_a_url_on_it_have_one_instance_key(typed: str, url: str, key: str) -> None:
    """host_key (targets, --across, config) and host_of (URLs servers send) agree."""
    assert host_key(typed) == key
    assert host_of(url) == key


def test_localhost_and_127_0_0_1_are_one_instance_for_targets_and_across() -> None:
    """Both spellings of a loopback post name the same instance and base URL."""
    by_name = parse_target("http://localhost:8536/post/7")
    by_address = parse_target("http://127.0.0.1:8536/post/7")

    assert (by_name.host, by_name.base_url) == ("127.0.0.1:8536", "http://127.0.0.1:8536")
    assert (by_address.host, by_address.base_url) == (by_name.host, by_name.base_url)
    assert parse_across("localhost:8537")[0].host == "127.0.0.1:8537"


@pytest.mark.parametrize(
    "community",
    ["http://[::1]:8536/c/tech", "http://localhost:8536/c/tech", "https://Lemmy.Example/c/tech"],
)
def test_collect_and_analysis_name_a_threads_home_instance_alike(community: str) -> None:
    """The home instance collect asks (instance_of) is the one analysis reports."""
    posts = pl.DataFrame(
        {
            "instance": ["a.example"],
            THREAD_AP: ["https://a.example/post/1"],
            "community_ap_id": [community],
        }
    )

    home = home_instances(posts, pl.Series(["https://a.example/post/1"]))

    found = instance_of(community)
    assert found is not None
    assert home["home_instance"].to_list() == [found.host]
