"""The read requests of each dialect, as one interface: post, comment pages, post pages.

Every listing asks explicitly for what defaults would otherwise hide: ``type_=All`` (a
site default of ``Local`` empties remote-community threads), an explicit sort, v4's
``time_range_seconds=0``, ``show_nsfw`` (reference/lemmy-api.md §8). Pages come back
parsed, with a token for the next page (a page number or a cursor) or ``None`` at the
end as the dialect signals it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from fedithreads.collect.client import Client, Fetched, Params
from fedithreads.collect.detect import Server
from fedithreads.core.records import Page, PostRecord, Provenance
from fedithreads.errors import ParseError

LIMIT = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Token = int | str | None
T = TypeVar("T")

_SORTS = {
    "lemmy-v3": {
        "old": "Old",
        "new": "New",
        "top": "Top",
        "hot": "Hot",
        "controversial": "Controversial",
    },
    "lemmy-v4": {
        "old": "old",
        "new": "new",
        "top": "top",
        "hot": "hot",
        "controversial": "controversial",
    },
    "piefed": {
        "old": "Old",
        "new": "New",
        "top": "Top",
        "hot": "Hot",
        "controversial": "Controversial",
    },
}


@dataclass(frozen=True, slots=True)
class Listing:
    """One comment query: a thread (or a ``parent_id`` subtree) in one sort order."""

    post_id: int
    sort: str = "old"
    parent_id: int | None = None
    max_depth: int | None = None

    def describe(self) -> str:
        where = f"subtree {self.parent_id}" if self.parent_id is not None else "thread"
        depth = f" max_depth={self.max_depth}" if self.max_depth is not None else ""
        return f"{where} sort={self.sort}{depth}"


class ThreadApi:
    """Requests to one server for one run; counts what it sends."""

    def __init__(self, client: Client, server: Server, run_id: str) -> None:
        self.client = client
        self.server = server
        self.run_id = run_id
        self.requests = 0

    def _parser(self, endpoint: str) -> Callable[[Fetched], Page]:
        base = Provenance(
            self.server.host,
            self.server.dialect,
            self.server.version or None,
            collected_at=_EPOCH,
            run_id=self.run_id,
        )

        from fedithreads.dialects import parse_page  # the models load with the first answer

        def parse(fetched: Fetched) -> Page:
            prov = replace(base, collected_at=fetched.fetched_at)
            page = parse_page(
                fetched.body, dialect=base.dialect, endpoint=endpoint, prov=prov, source=fetched.url
            )
            self.client.note_not_utf8(fetched.url, page.not_utf8)
            return page

        return parse

    async def _get(self, path: str, params: dict[str, str | int], endpoint: str) -> Page:
        return await self._fetch(path, params, lambda: self._parser(endpoint))

    async def _fetch(
        self, path: str, params: Params, parser: Callable[[], Callable[[Fetched], T]]
    ) -> T:
        """One request to the API, read by the parse ``parser()`` makes (made once the
        server is known: a ``guess.GuessingApi`` learns it after it has sent)."""
        self.requests += 1
        return await self.client.get(self.server.api, path, params, parser())

    async def fetch_post(self, post_id: int) -> PostRecord:
        """``GET /post?id=``: the post with its current counts."""
        page = await self._get("/post", {"id": post_id}, "post")
        return page.posts[0]

    async def fetch_resolved_post(self, url: str) -> PostRecord:
        """``GET /resolve_object?q=url``: a post this server already knows (anonymous
        callers cannot make it fetch unknown objects, reference §2.7)."""
        return await self._fetch("/resolve_object", {"q": url}, self._resolved_parser)

    def _resolved_parser(self) -> Callable[[Fetched], PostRecord]:
        """A ``resolve_object`` answer read as the post it names (else a ParseError)."""
        from fedithreads.dialects import resolved_post, utf8_text

        parse_post = self._parser("post")
        dialect = self.server.dialect

        def parse(fetched: Fetched) -> PostRecord:
            text, bad = utf8_text(fetched.body)
            try:
                doc = json.loads(text)
            except ValueError:
                raise ParseError(
                    dialect, "resolve_object", fetched.url, "$", "not valid JSON"
                ) from None
            view = resolved_post(doc)
            if view is None:
                raise ParseError(dialect, "resolve_object", fetched.url, "$", "not a post")
            body = json.dumps(view).encode()
            self.client.note_not_utf8(fetched.url, bad)
            return parse_post(replace(fetched, body=body)).posts[0]

        return parse

    async def fetch_comments(self, listing: Listing, token: Token = None) -> tuple[Page, Token]:
        """One page of a comment listing and the token of the next (``None``: no more)."""
        d = self.server.dialect
        params = json_params(
            post_id=listing.post_id if listing.parent_id is None else None,
            parent_id=listing.parent_id,
            sort=_SORTS[d][listing.sort],
            type_="all" if d == "lemmy-v4" else "All",
            limit=LIMIT,
            max_depth=listing.max_depth,
        )
        if d == "lemmy-v4":
            params.update(json_params(time_range_seconds=0, page_cursor=token))
        else:
            params["page"] = int(token or 1)
        page = await self._get("/comment/list", params, "comment/list")
        return page, self.next_token(page, token, listing)

    def next_token(self, page: Page, token: Token, listing: Listing) -> Token:
        """The token of the page after ``page`` (asked with ``token``) of a comment
        ``listing``, or ``None``: the listing ends there."""
        return self._next(page, token, len(page.comments), listing.max_depth)

    async def fetch_posts(self, community: str | None, token: Token = None) -> tuple[Page, Token]:
        """One page of a community's posts (``None``: of the instance's local communities,
        ``type_=Local``), newest first, pinned ones included."""
        d = self.server.dialect
        params = json_params(community_name=community, limit=LIMIT, show_nsfw=True)
        listing = "All" if community is not None else "Local"
        if d == "lemmy-v4":
            params.update(json_params(sort="new", type_=listing.lower(), time_range_seconds=0))
            params.update(json_params(page_cursor=token))
        elif d == "piefed":
            params.update(json_params(sort="New", type_=listing, page=int(token or 1)))
        else:
            params.update(json_params(sort="New", type_=listing))
            if isinstance(token, str):
                params["page_cursor"] = token
            elif token is not None:
                params["page"] = token
        page = await self._get("/post/list", params, "post/list")
        if d == "lemmy-v3" and page.next_page is None:  # 0.18: page numbers
            return page, (int(token or 1) + 1 if len(page.posts) == LIMIT else None)
        if d == "lemmy-v3":  # 0.19 cursors: next_page on every non-empty page; a short
            return page, (page.next_page if len(page.posts) >= LIMIT else None)  # one is last
        return page, self._next(page, token, len(page.posts), None)

    async def fetch_person_content(self, name: str, token: Token = None) -> tuple[Page, Token]:
        """One page of a person's posts and comments, newest first: v3's and PieFed's
        ``/user`` (PieFed only ``include_content``), v4's ``/person/content``."""
        d = self.server.dialect
        params = json_params(username=name, limit=LIMIT)
        if d == "lemmy-v4":
            params.update(json_params(type_="all", page_cursor=token))
            page = await self._get("/person/content", params, "person/content")
            return page, page.next_page
        params.update(json_params(sort="New", page=int(token or 1)))
        if d == "piefed":
            params["include_content"] = "true"
        page = await self._get("/user", params, "user")
        full = max(len(page.posts), len(page.comments)) >= LIMIT
        return page, int(token or 1) + 1 if full else None

    async def fetch_community_id(self, name: str) -> int:
        """``GET /community?name=``: the server's local id of a community (the modlog
        filters by it)."""
        from fedithreads.dialects import community_id

        def parser() -> Callable[[Fetched], int]:
            dialect = self.server.dialect
            return lambda fetched: community_id(fetched.body, dialect=dialect, source=fetched.url)

        return await self._fetch("/community", {"name": name}, parser)

    async def fetch_modlog(self, community: int | None, token: Token = None) -> tuple[Page, Token]:
        """One page of the moderation log, newest first (of one community, by its id):
        v3 and PieFed page numbers (one page of each kind's list; the next while one is
        full), v4 cursors with the bulk entries (a ban's removals) shown."""
        params = json_params(community_id=community, limit=LIMIT)
        if self.server.dialect == "lemmy-v4":
            params.update(json_params(page_cursor=token, show_bulk=True))
            page = await self._get("/modlog", params, "modlog")
            return page, page.next_page
        params["page"] = int(token or 1)
        page = await self._get("/modlog", params, "modlog")
        kinds = Counter(a.action for a in page.actions)
        full = max(kinds.values(), default=0) >= LIMIT
        return page, int(token or 1) + 1 if full else None

    def _next(self, page: Page, token: Token, rows: int, max_depth: int | None) -> Token:
        d = self.server.dialect
        if d == "lemmy-v4":
            return page.next_page
        if d == "piefed":
            return int(page.next_page) if page.next_page and page.next_page.isdigit() else None
        if max_depth is not None:  # v3 tree queries ignore paging (reference §2.1)
            return None
        return int(token or 1) + 1 if rows >= LIMIT else None


def json_params(**params: Any) -> dict[str, str | int]:
    """Query parameters without the ``None`` ones; booleans as ``true``/``false``."""
    out: dict[str, str | int] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out
