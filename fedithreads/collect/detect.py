"""Which dialect a host speaks, from nodeinfo, never assumed (reference/lemmy-api.md §4.5).

Lemmy below 1.0 → lemmy-v3; Lemmy 1.0 and its alphas/betas → lemmy-v4; PieFed → piefed
(its ``/api/alpha`` must be switched on); anything else is a clear "unsupported" error.
The host's ``/site`` then gives its version and published rate limit, which the client
adopts; it is asked together with nodeinfo, in the dialect guessed for the host
(fedithreads.collect.guess), and asked again only when the guess missed. Results are
cached per host for the run.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from fedithreads.collect.client import Client, Fetched
from fedithreads.collect.guess import LIKELIEST, GuessMissed, on_guess
from fedithreads.collect.ratelimit import Rate
from fedithreads.collect.tasks import cancel_and_wait
from fedithreads.core.hosts import host_of
from fedithreads.core.records import API_ROOTS
from fedithreads.errors import FedithreadsError, FetchError, ParseError, ServerError

if TYPE_CHECKING:  # the dialect models load when the first answer is read (issue 16)
    import polars as pl

    from fedithreads.dialects.common import Model
    from fedithreads.dialects.meta import (
        Languages,
        NodeInfo,
        NodeInfoLinks,
        PiefedSite,
        V3Site,
        V4Site,
    )

DIRECT_NODEINFO = "/nodeinfo/2.1"


@dataclass(frozen=True, slots=True)
class Server:
    """What a run knows about one host."""

    base_url: str
    host: str
    software: str
    version: str
    dialect: str
    rate: Rate | None
    page_ceiling: int | None
    languages: Languages = ()
    """The languages its ``/site`` lists (none before ``/site`` is read)."""

    @property
    def api(self) -> str:
        return self.base_url + API_ROOTS[self.dialect]


def languages_frame(servers: Sequence[Server], collected_at: datetime, run_id: str) -> pl.DataFrame:
    """The rows of the ``languages`` table: each server's listed languages."""
    import polars as pl

    from fedithreads.core import schema

    rows = [
        (s.host, number, code, name, collected_at, run_id)
        for s in servers
        for number, code, name in s.languages
    ]
    return pl.DataFrame(rows, schema=schema.LANGUAGES, orient="row")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The leading semver of a version string (``0.19.3-7-gabc`` → ``(0, 19, 3)``)."""
    match = re.match(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?", text)
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def dialect_for(host: str, software: str, version: str) -> str:
    """The dialect to speak with ``software`` at ``version``, or a ServerError."""
    name = software.lower()
    if name == "piefed":
        return "piefed"
    if name == "lemmy":
        parsed = parse_version(version)
        if parsed is None:
            raise ServerError(f"{host}: Lemmy reports an unreadable version {_shown(version)!r}")
        return "lemmy-v4" if parsed >= (1, 0, 0) else "lemmy-v3"
    raise ServerError(
        f"{host}: unsupported software {_shown(software)} {_shown(version)}".rstrip()
        + "; fedithreads collects from Lemmy and PieFed only"
    )


def _shown(text: str, limit: int = 40) -> str:
    """A server-supplied name, fit for a one-line message (no control characters)."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def known_page_ceiling(dialect: str, version: str) -> int | None:
    """Lemmy's page limit by version: 10 pages on 0.19.14, 100 from 0.19.15."""
    parsed = parse_version(version)
    if dialect != "lemmy-v3" or parsed is None or parsed < (0, 19, 14):
        return None
    return 10 if parsed == (0, 19, 14) else 100


class Detector:
    """Detects each host once per run (concurrent callers share the answer)."""

    def __init__(
        self, client: Client, seen: Callable[[str], str | None] = lambda host: None
    ) -> None:
        """``seen``: host → the dialect an earlier run saw it speak (None: never seen)."""
        self.client = client
        self._seen = seen
        self._sighted: dict[str, asyncio.Future[Server]] = {}
        self._found: dict[str, asyncio.Future[Server]] = {}

    async def server(self, base_url: str) -> Server:
        """Everything about the host, its published rate limit adopted by the client.
        A caller that is cancelled while waiting leaves the detection to the others
        (shielded: it is shared)."""
        return await asyncio.shield(self._found[self._start(base_url)])

    async def sighted(self, base_url: str) -> Server | None:
        """The host as nodeinfo alone describes it (no rate limit yet, /site possibly
        still on its way), or None when nodeinfo names no version: enough to ask for a
        post while ``server`` finishes. Shielded, as ``server``."""
        host = self._start(base_url)
        try:
            server = await asyncio.shield(self._sighted[host])
        except asyncio.CancelledError:
            raise
        except BaseException:  # the same error: wait for it there too
            await asyncio.gather(asyncio.shield(self._found[host]), return_exceptions=True)
            raise
        return server if server.version else None

    def sighted_now(self, base_url: str) -> Server | None:
        """The host as ``sighted`` gives it, if that is known already (else None, with
        no waiting: its detection is under way, failed, or not started)."""
        sighting = self._sighted.get(host_of(base_url))
        if sighting is None or not sighting.done() or sighting.cancelled():
            return None
        if sighting.exception() is not None:
            return None
        server = sighting.result()
        return server if server.version else None

    def found(self) -> list[Server]:
        """The hosts detected so far (those whose detection failed or is under way left
        out), in the order they were first asked for."""
        done = [f for f in self._found.values() if f.done() and not f.cancelled()]
        return [f.result() for f in done if f.exception() is None]

    def start(self, base_url: str) -> None:
        """Begin detecting a host that will be asked later, without waiting for it."""
        self._start(base_url)

    async def stop(self) -> None:
        """Cancel the detections still under way and wait for them (none outlives a run)."""
        await cancel_and_wait([*self._sighted.values(), *self._found.values()])

    def guess(self, base_url: str) -> Server:
        """The host as guessed before nodeinfo names it (collect.guess): the dialect it
        spoke when an earlier run saw it, else the likeliest; no version yet."""
        host = host_of(base_url)
        dialect = self._seen(host) or LIKELIEST
        software = "piefed" if dialect == "piefed" else "lemmy"
        return Server(base_url, host, software, "", dialect, None, None)

    def _start(self, base_url: str) -> str:
        host = host_of(base_url)
        if host not in self._found:
            sighted = asyncio.ensure_future(self._sight(base_url))
            site = asyncio.ensure_future(self._guessed_site(self.guess(base_url), sighted))
            found = asyncio.ensure_future(self._detect(base_url, sighted, site))
            for future in (sighted, found):  # a failure started early may never be asked
                future.add_done_callback(_retrieved)
            self._sighted[host], self._found[host] = sighted, found
        return host

    async def _detect(
        self,
        base_url: str,
        sighted: asyncio.Future[Server],
        guessed: asyncio.Future[V3Site | V4Site | PiefedSite | None],
    ) -> Server:
        try:
            early = await sighted
        except BaseException:
            await cancel_and_wait([guessed])
            raise
        site = await guessed
        if site is None:  # the guess missed: asked again in the dialect nodeinfo named
            site = await self._site(base_url, early.dialect)
        version = early.version or site.version or ""
        limit = site.message_limit()
        rate = Rate(*limit) if limit else None
        if rate is not None:
            self.client.adopt_published_rate(early.host, rate)
        ceiling = known_page_ceiling(early.dialect, version)
        return replace(
            early, version=version, rate=rate, page_ceiling=ceiling, languages=site.languages()
        )

    async def _sight(self, base_url: str) -> Server:
        host = host_of(base_url)
        info = await self._nodeinfo(base_url)
        dialect = dialect_for(host, info.software.name, info.software.version)
        version = info.software.version or ""
        ceiling = known_page_ceiling(dialect, version)
        return Server(base_url, host, info.software.name.lower(), version, dialect, None, ceiling)

    async def _nodeinfo(self, base_url: str) -> NodeInfo:
        """``/nodeinfo/2.1`` straight away (Lemmy 0.19+, 1.0, PieFed serve it); where it is
        missing (Lemmy 0.18), the document ``/.well-known/nodeinfo`` names."""
        try:
            return await self.client.get(
                base_url, DIRECT_NODEINFO, {}, _parser(_nodeinfo, "nodeinfo")
            )
        except FetchError as exc:
            if exc.kind not in ("not_found", "redirect", "refused"):
                raise
        except ParseError:
            pass
        links = await self.client.get(
            base_url, "/.well-known/nodeinfo", {}, _parser(_nodeinfo_links, "nodeinfo")
        )
        href = links.href()
        if href is None:
            raise ServerError(f"{host_of(base_url)}: nodeinfo names no 2.0/2.1 document")
        try:
            elsewhere = host_of(href) != host_of(base_url)
        except ValueError:  # a port that is not a port
            elsewhere = True
        if elsewhere:
            shown = href if len(href) <= 80 else href[:79] + "…"
            raise ServerError(f"{host_of(base_url)}: nodeinfo points to another host ({shown!r})")
        path = urlsplit(href).path
        return await self.client.get(base_url, path, {}, _parser(_nodeinfo, "nodeinfo"))

    async def _guessed_site(
        self, guess: Server, sighted: asyncio.Future[Server]
    ) -> V3Site | V4Site | PiefedSite | None:
        """The host's /site, asked with its nodeinfo in the guessed dialect; None when the
        guess missed (or nodeinfo failed: the detection fails with that)."""
        try:
            return await on_guess(self.client, guess, "/site", {}, _site_parser, sighted)
        except GuessMissed:
            return None
        except FetchError as exc:  # nodeinfo's error is the detection's own
            raise _site_failed(guess.host, guess.dialect, exc) from None

    async def _site(self, base_url: str, dialect: str) -> V3Site | V4Site | PiefedSite:
        try:
            return await self.client.get(
                base_url,
                API_ROOTS[dialect] + "/site",
                {},
                _parser(lambda: _site_model(dialect), "site", dialect),
            )
        except FetchError as exc:
            raise _site_failed(host_of(base_url), dialect, exc) from None


M = TypeVar("M", bound="Model")


def _retrieved(future: asyncio.Future[Server]) -> None:
    """Mark a detection's failure as seen; whoever awaits it gets it all the same."""
    if not future.cancelled():
        future.exception()


def _parser(
    model: Callable[[], type[M]], endpoint: str, dialect: str = "nodeinfo"
) -> Callable[[Fetched], M]:
    """Validate a fetched body as the model ``model()`` gives (the models are imported when
    the first answer is read, not before the first request); bad JSON raises the retryable
    ParseError."""

    def parse(fetched: Fetched) -> M:
        from fedithreads.dialects.common import validate

        return validate(
            model(), fetched.body, dialect=dialect, endpoint=endpoint, source=fetched.url
        )

    return parse


def _site_failed(host: str, dialect: str, exc: FetchError) -> FedithreadsError:
    """The error a failed /site is: PieFed's switched-off API said in words."""
    if dialect == "piefed" and exc.error and "not enabled" in exc.error:
        return ServerError(
            f"{host}: PieFed's API is switched off on this instance "
            "(ENABLE_ALPHA_API); nothing can be collected there"
        )
    return exc


def _site_parser(server: Server) -> Callable[[Fetched], V3Site | V4Site | PiefedSite]:
    return _parser(lambda: _site_model(server.dialect), "site", server.dialect)


def _nodeinfo() -> type[NodeInfo]:
    from fedithreads.dialects.meta import NodeInfo

    return NodeInfo


def _nodeinfo_links() -> type[NodeInfoLinks]:
    from fedithreads.dialects.meta import NodeInfoLinks

    return NodeInfoLinks


def _site_model(dialect: str) -> type[V3Site | V4Site | PiefedSite]:
    from fedithreads.dialects.meta import PiefedSite, V3Site, V4Site

    models: dict[str, type[V3Site | V4Site | PiefedSite]] = {
        "lemmy-v3": V3Site,
        "lemmy-v4": V4Site,
        "piefed": PiefedSite,
    }
    return models[dialect]
