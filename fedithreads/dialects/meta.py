"""Server metadata documents: nodeinfo discovery and the published rate limit of /site."""

from __future__ import annotations

from typing import Any

from fedithreads.dialects.common import Model

NODEINFO_SCHEMAS = (
    "http://nodeinfo.diaspora.software/ns/schema/2.1",
    "http://nodeinfo.diaspora.software/ns/schema/2.0",
)


class NodeInfoLink(Model):
    rel: str
    href: str


class NodeInfoLinks(Model):
    """``GET /.well-known/nodeinfo``."""

    links: list[NodeInfoLink]

    def href(self) -> str | None:
        """The newest nodeinfo schema the server offers."""
        by_rel = {link.rel: link.href for link in self.links}
        return next((by_rel[s] for s in NODEINFO_SCHEMAS if s in by_rel), None)


class Software(Model):
    name: str
    version: str = ""


class NodeInfo(Model):
    """``GET /nodeinfo/2.x``: only the software matters here."""

    software: Software


Languages = tuple[tuple[int, str, str], ...]
"""A site's languages (``all_languages``) as (id, ISO 639 code, name); ``und`` is
"undetermined"."""


def listed_languages(languages: Any) -> Languages:
    """The well-formed entries of a site's ``all_languages``. The list is read leniently,
    entry by entry: a language the site lists oddly is left out, never a reason to
    refuse the host (the rate limit and version on the same document matter more)."""
    found = []
    for entry in languages if isinstance(languages, list) else ():
        if not isinstance(entry, dict):
            continue
        number, code, name = entry.get("id"), entry.get("code"), entry.get("name")
        if isinstance(number, int) and not isinstance(number, bool) and isinstance(code, str):
            found.append((number, code, name if isinstance(name, str) else ""))
    return tuple(found)


class V3RateLimit(Model):
    message: int = 0
    message_per_second: int = 0  # despite the name: the interval in seconds (§3.1)


class V4RateLimit(Model):
    message_max_requests: int = 0
    message_interval_seconds: int = 0


class _V3SiteView(Model):
    local_site_rate_limit: V3RateLimit | None = None


class _V4SiteView(Model):
    local_site_rate_limit: V4RateLimit | None = None


class V3Site(Model):
    """``GET /api/v3/site``: version and the shared "message" bucket."""

    version: str | None = None
    site_view: _V3SiteView | None = None
    all_languages: Any = None

    def languages(self) -> Languages:
        return listed_languages(self.all_languages)

    def message_limit(self) -> tuple[int, int] | None:
        rl = self.site_view.local_site_rate_limit if self.site_view else None
        if rl is None or rl.message <= 0 or rl.message_per_second <= 0:
            return None  # 1.0's v3 layer reports zeros: not a limit
        return rl.message, rl.message_per_second


class V4Site(Model):
    """``GET /api/v4/site``."""

    version: str | None = None
    site_view: _V4SiteView | None = None
    all_languages: Any = None

    def languages(self) -> Languages:
        return listed_languages(self.all_languages)

    def message_limit(self) -> tuple[int, int] | None:
        rl = self.site_view.local_site_rate_limit if self.site_view else None
        if rl is None or rl.message_max_requests <= 0 or rl.message_interval_seconds <= 0:
            return None
        return rl.message_max_requests, rl.message_interval_seconds


class _PiefedSiteObject(Model):
    all_languages: Any = None


class PiefedSite(Model):
    """``GET /api/alpha/site``: PieFed publishes no read limit; its languages are in
    ``site`` (UNVERIFIED against a live instance: read if there)."""

    version: str | None = None
    site: _PiefedSiteObject | None = None

    def languages(self) -> Languages:
        return listed_languages(self.site.all_languages) if self.site else ()

    def message_limit(self) -> tuple[int, int] | None:
        return None
