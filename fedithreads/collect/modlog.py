"""The moderation log of what a target collected: a community's, or an instance's.

Read newest first (``ThreadApi.fetch_modlog``; a community by its local id, one
``/community?name=`` away) back to the start of the target's window, or, without one, to
the oldest post its listing kept: the span of the posts collected. Lemmy 0.19 and
PieFed page each kind's list by the same page number, so a page is followed while one
kind's list is full and still inside the span. Entries outside the window are dropped.
PieFed has a modlog from 1.7 on (``/api/alpha/modlog``, fork reading); an older PieFed
has none and nothing is read. User and post targets read no modlog (their threads span
any number of communities): collect a community to have its log.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from fedithreads.collect.api import LIMIT, ThreadApi, Token
from fedithreads.collect.detect import Server, parse_version
from fedithreads.collect.targets import CommunityTarget, InstanceTarget, ListingTarget
from fedithreads.core.records import ModAction, Page, PostRecord

PIEFED_MODLOG = (1, 7, 0)
"""The first PieFed whose API has a modlog (theatl-social/pyfedi 2796e03c, 1.7-dev)."""


def has_modlog(server: Server) -> bool:
    """Whether the host's API has a moderation log to read."""
    if server.dialect != "piefed":
        return True
    version = parse_version(server.version)
    return version is not None and version >= PIEFED_MODLOG


def reads_modlog(target: ListingTarget) -> bool:
    """Whether a run reads the moderation log of ``target`` (communities, instances)."""
    return isinstance(target, CommunityTarget | InstanceTarget)


async def read_modlog(
    api: ThreadApi, target: ListingTarget, posts: list[PostRecord], *, max_pages: int
) -> list[ModAction]:
    """The entries of the target's log inside its window or its posts' span."""
    if not (reads_modlog(target) and has_modlog(api.server)):
        return []
    window = target.window
    since = window.since if window else min((p.published for p in posts), default=None)
    until = window.until if window else None
    community = None
    if isinstance(target, CommunityTarget):
        community = await api.fetch_community_id(target.name)
    kept: list[ModAction] = []
    token: Token = None
    for _ in range(max_pages):
        page, token = await api.fetch_modlog(community, token)
        kept += [
            a
            for a in page.actions
            if (since is None or a.acted_at >= since) and (until is None or a.acted_at < until)
        ]
        if token is None or _passed(page, since, merged=api.server.dialect == "lemmy-v4"):
            break
    return kept


def _passed(page: Page, since: datetime | None, *, merged: bool) -> bool:
    """Whether the log has gone past ``since`` on ``page``: its oldest entry (``merged``:
    one list of every kind, v4), else no kind's list both full and still at or after it."""
    if since is None or not page.actions:
        return since is not None
    if merged:
        return min(a.acted_at for a in page.actions) < since
    times: dict[str, list[datetime]] = defaultdict(list)
    for action in page.actions:
        times[action.action].append(action.acted_at)
    return not any(len(t) >= LIMIT and min(t) >= since for t in times.values())
