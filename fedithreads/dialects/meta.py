"""Server metadata documents: nodeinfo discovery and the published rate limit of /site."""

from __future__ import annotations

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

    def message_limit(self) -> tuple[int, int] | None:
        rl = self.site_view.local_site_rate_limit if self.site_view else None
        if rl is None or rl.message <= 0 or rl.message_per_second <= 0:
            return None  # 1.0's v3 layer reports zeros: not a limit
        return rl.message, rl.message_per_second


class V4Site(Model):
    """``GET /api/v4/site``."""

    version: str | None = None
    site_view: _V4SiteView | None = None

    def message_limit(self) -> tuple[int, int] | None:
        rl = self.site_view.local_site_rate_limit if self.site_view else None
        if rl is None or rl.message_max_requests <= 0 or rl.message_interval_seconds <= 0:
            return None
        return rl.message_max_requests, rl.message_interval_seconds


class PiefedSite(Model):
    """``GET /api/alpha/site``: PieFed publishes no read limit."""

    version: str | None = None

    def message_limit(self) -> tuple[int, int] | None:
        return None
