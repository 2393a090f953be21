"""The hosts' tables written as soon as the lookups are answered, again only when news."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from fedithreads.collect.detect import Server
from fedithreads.collect.hostparts import HostParts
from fedithreads.collect.views import Views
from fedithreads.storage.tables import compact_run, scan_table

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def resolution(instance: str, found: bool) -> dict[str, Any]:
    return {
        "instance": instance,
        "ap_id": "https://home.example/post/1",
        "found": found,
        "post_id": 7 if found else None,
        "dialect": "lemmy-v3",
        "server_version": "0.19.13",
        "error": None,
        "collected_at": NOW,
        "run_id": "r1",
    }


class Lookups:
    """What HostParts reads of Views: the resolutions so far, and news of them, each
    piece of news after the step the test gives for it."""

    def __init__(self, steps: list[tuple[Callable[[], None], bool]]) -> None:
        self.resolutions: list[dict[str, Any]] = []
        self.steps = steps

    async def news(self) -> bool:
        step, closing = self.steps.pop(0)
        step()
        return closing

    def frame(self, first: int | None = None) -> Any:
        return Views.frame(cast(Views, self), first)


async def test_resolutions_are_written_when_answered_and_again_only_with_news(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookups answered while the crawls go on are written then; news with nothing
    new writes nothing; at the close, what was learnt since is written too."""
    writes: list[int] = []
    lookups = Lookups([])
    lookups.steps = [
        (lambda: lookups.resolutions.append(resolution("b.example", True)), False),
        (lambda: None, False),  # answered again, nothing new
        (lambda: lookups.resolutions.append(resolution("c.example", False)), True),
    ]
    parts = HostParts(tmp_path, "r1", cast(Views, lookups), list, lambda: NOW)
    write = parts._write

    def counted(resolved: int, servers: list[Server]) -> None:
        writes.append(resolved)
        write(resolved, servers)

    monkeypatch.setattr(parts, "_write", counted)

    await parts.keep()

    rows = scan_table(tmp_path, "resolutions").collect().sort("instance")
    assert writes == [1, 2]
    assert rows["instance"].to_list() == ["b.example", "c.example"]
    assert rows["found"].to_list() == [True, False]


async def test_a_host_detected_after_the_lookups_has_its_languages_written_at_the_close(
    tmp_path: Path,
) -> None:
    """A host whose /site came after the last lookup still has its languages written."""
    servers: list[Server] = []
    late = Server(
        "https://d.example",
        "d.example",
        "lemmy",
        "0.19.13",
        "lemmy-v3",
        None,
        None,
        ((0, "und", "Undetermined"), (37, "en", "English")),
    )
    lookups = Lookups([(lambda: None, False), (lambda: servers.append(late), True)])
    parts = HostParts(tmp_path, "r1", cast(Views, lookups), lambda: servers, lambda: NOW)

    await parts.keep()
    compact_run(tmp_path, "r1")

    rows = scan_table(tmp_path, "languages").collect().sort("language_id")
    assert rows["instance"].to_list() == ["d.example", "d.example"]
    assert rows["code"].to_list() == ["und", "en"]
