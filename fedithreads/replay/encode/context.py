"""Step one of encoding: the neutral *context* of each object, and the facts records lack.

Records carry no local person/community ids and no ``local`` flags, so a ``Contexts`` (the
base of ``fedithreads.replay.encode.documents.Encoder``) is bound to one serving
``instance`` and derives what is missing, deterministically: local ids are stable hashes of
(instance, kind, ap_id) in a plausible range (the same whatever the order of requests; a
rare collision takes the next free id), ``local`` means "the ap_id's host is the instance",
and what no record holds (account dates, avatars, community sizes) is hashed the same way.
A context is a plain dict under neutral names, with every key any dialect needs;
``fedithreads.replay.encode.shapes`` then picks a dialect's keys from it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from fedithreads.core.hosts import host_of
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.encode.shapes import Json, version_tags

_ACCOUNTS_FROM = datetime(2023, 6, 1, tzinfo=UTC)
_ACCOUNTS_SPAN_US = 700 * 86_400 * 1_000_000
_ID_RANGES = {"person": (1_000, 900_000), "community": (20, 40_000), "instance": (2, 4_000)}
_PIEFED_ICON = "https://{host}/static/images/piefed_logo_icon_t_75.png"


def format_time(value: datetime, style: str) -> str:
    """A timestamp as a server writes it.

    ``autosi`` (Lemmy 0.19/1.0, chrono AutoSi): always ``Z``, 0, 3 or 6 fraction digits,
    the fewest that keep every non-zero digit; ``naive`` (Lemmy 0.18): the same without a
    zone; ``micro`` (PieFed): always 6 digits and ``Z``. Aware values are converted to UTC.
    """
    naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if style == "micro":
        return naive.isoformat(timespec="microseconds") + "Z"
    us = naive.microsecond
    spec = "seconds" if us == 0 else "milliseconds" if us % 1000 == 0 else "microseconds"
    text = naive.isoformat(timespec=spec)
    return text if style == "naive" else text + "Z"


def stable_int(*parts: str) -> int:
    """A 64-bit integer that depends only on ``parts`` (not on the process or run)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def parse_version(version: str) -> tuple[int, int, int]:
    """The leading semver of a version string (``0.19.3-7-gabc`` → ``(0, 19, 3)``)."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"server_version {version!r} does not start with a semver")
    major, minor, patch = (int(g) for g in match.groups())
    return (major, minor, patch)


def name_of(handle: str) -> str:
    """``alice@host`` → ``alice``."""
    return handle.split("@", 1)[0]


class Contexts:
    """Derived facts and neutral contexts for one serving instance and server version."""

    def __init__(
        self,
        instance: str,
        dialect: str,
        server_version: str,
        *,
        downvotes: bool = True,
        moderators: Mapping[str, Sequence[str]] | None = None,
        admins: Iterable[str] = (),
        community_titles: Mapping[str, str] | None = None,
    ) -> None:
        """See ``Encoder``; ``server_version`` must start with a semver."""
        self.instance = instance.lower()
        self.dialect = dialect
        self.server_version = server_version
        self.version = parse_version(self.server_version)
        self.downvotes = downvotes
        self.moderators = {k: tuple(v) for k, v in (moderators or {}).items()}
        self.admins = frozenset(admins)
        self.community_titles = dict(community_titles or {})
        self.tags = version_tags(dialect, self.version)
        self.time_style = (
            "micro" if dialect == "piefed" else "naive" if "v18" in self.tags else "autosi"
        )
        self._ids: dict[tuple[str, str], int] = {}
        self._taken: set[tuple[str, int]] = set()

    # ------------------------------------------------------------------ derived facts
    def time(self, value: datetime | None) -> str | None:
        """A timestamp in this dialect/version's format (``None`` stays ``None``)."""
        return None if value is None else format_time(value, self.time_style)

    def local_id(self, kind: str, key: str) -> int:
        """The serving instance's id of a ``person``/``community`` (by actor URL) or of an
        ``instance`` (by host; the serving instance is 1)."""
        found = self._ids.get((kind, key))
        if found is not None:
            return found
        if kind == "instance" and key == self.instance:
            candidate = 1
        else:
            low, high = _ID_RANGES[kind]
            candidate = low + stable_int(self.instance, kind, key) % (high - low)
        while (kind, candidate) in self._taken:
            candidate += 1
        self._taken.add((kind, candidate))
        self._ids[(kind, key)] = candidate
        return candidate

    def is_local(self, url: str) -> bool:
        """Whether the object at ``url`` originates on the serving instance."""
        netloc = url.partition("://")[2].partition("/")[0]
        if ":" in netloc or "@" in netloc:  # rare: let host_of handle ports and userinfo
            return host_of(url) == self.instance
        return netloc.lower() == self.instance

    def figure(self, what: str, key: str, low: int, high: int) -> int:
        """A stable made-up count in ``[low, high)``."""
        return low + stable_int(what, key) % (high - low)

    def _created(self, actor_url: str) -> str | None:
        offset = stable_int("created", actor_url) % _ACCOUNTS_SPAN_US
        return self.time(_ACCOUNTS_FROM + timedelta(microseconds=offset))

    # ------------------------------------------------------------------ contexts
    def _person(self, url: str, name: str) -> Json:
        h = stable_int("person", url)
        return {
            "id": self.local_id("person", url),
            "name": name,
            "avatar": f"https://{host_of(url)}/pictrs/image/{h:016x}.webp" if h % 2 else None,
            "published": self._created(url),
            "actor_id": url,
            "local": self.is_local(url),
            "instance_id": self.local_id("instance", host_of(url)),
            "admin": url in self.admins,
            "post_count": h % 120,
            "comment_count": 1 + (h >> 8) % 3000,
        }

    def _community(self, post: PostRecord) -> Json:
        url = post.community_ap_id
        name = name_of(post.community)
        h = stable_int("community-stats", url)
        subscribers = 800 + h % 60_000
        month = subscribers // (8 + h % 5)
        return {
            "id": self.local_id("community", url),
            "community_id": self.local_id("community", url),
            "name": name,
            "title": self.community_titles.get(url) or name.replace("_", " ").title(),
            "published": self._created(url),
            "actor_id": url,
            "local": self.is_local(url),
            "instance_id": self.local_id("instance", host_of(url)),
            "ap_domain": host_of(url),
            "subscribers": subscribers,
            "subscribers_local": subscribers // (3 + h % 7),
            "posts": 300 + (h >> 16) % 20_000,
            "comments": 4_000 + (h >> 24) % 300_000,
            "users_active_day": month // 9,
            "users_active_week": month // 3,
            "users_active_month": month,
            "users_active_half_year": month * 2,
        }

    def _post(self, p: PostRecord) -> Json:
        gone = p.deleted or p.removed
        return {
            "id": p.post_id,
            "post_id": p.post_id,
            "counts_id": p.post_id // 5 + 1_000,
            "name": p.title,
            "url": p.url,
            "body": p.body,
            "pf_body": ("" if gone else p.body) if p.body else None,
            "post_type": "Link" if p.url else "Discussion",
            "creator_id": self.local_id("person", p.author_ap_id),
            "community_id": self.local_id("community", p.community_ap_id),
            "removed": p.removed,
            "deleted": p.deleted,
            "pf_deleted": p.deleted and not p.removed,
            "locked": p.locked,
            "nsfw": p.nsfw,
            "language_id": p.language_id,
            "published": self.time(p.published),
            "updated": self.time(p.updated),
            "newest_comment": self.time(p.newest_comment_time),
            "newest_comment_time": self.time(p.newest_comment_time or p.published),
            "ap_id": p.ap_id,
            "local": self.is_local(p.ap_id),
            "featured_community": p.featured,
            "comments": p.comments,
            "score": p.score,
            "upvotes": p.upvotes,
            "downvotes": p.downvotes,
        }

    def _comment(self, c: CommentRecord) -> Json:
        return {
            "id": c.comment_id,
            "comment_id": c.comment_id,
            "counts_id": c.comment_id + 3_000,
            "creator_id": self.local_id("person", c.author_ap_id),
            "post_id": c.post_id,
            "content": c.content or "",
            "removed": c.removed,
            "deleted": c.deleted,
            "pf_deleted": c.deleted and not c.removed,
            "published": self.time(c.published),
            "updated": self.time(c.updated),
            "ap_id": c.ap_id,
            "local": self.is_local(c.ap_id),
            "path": c.path,
            "distinguished": c.distinguished,
            "language_id": c.language_id,
            "score": c.score,
            "upvotes": c.upvotes,
            "downvotes": c.downvotes,
            "child_count": c.child_count,
        }

    def _flags(self, author: str, community: str) -> Json:
        mods = self.moderators.get(community, ())
        return {"creator_is_moderator": author in mods, "creator_is_admin": author in self.admins}

    def _site_context(self, created: datetime) -> Json:
        host = self.instance
        users = self.figure("users", host, 2_000, 80_000)
        key = base64.b64encode(hashlib.sha256(host.encode()).digest() * 2).decode()
        return {
            "name": host.split(".")[0].capitalize(),
            "domain": host,
            "published": self.time(created),
            "updated": None,
            "icon": _PIEFED_ICON.format(host=host)
            if self.dialect == "piefed"
            else f"https://{host}/pictrs/image/{stable_int('icon', host):016x}.png",
            "actor_id": f"https://{host}/",
            "inbox_url": f"https://{host}/site_inbox",
            "public_key": f"-----BEGIN PUBLIC KEY-----\n{key}\n-----END PUBLIC KEY-----\n",
            "version": self.server_version,
            "admins": [],
            "all_languages": [  # the one language the synthetic threads are written in
                {"id": 1 if self.dialect == "piefed" else 0, "code": "und", "name": "Undetermined"}
            ],
            "downvotes": self.downvotes,
            "vote_mode": "all" if self.downvotes else "disable",
            "register_limit": 10 if self.version >= (0, 19, 11) else 3,
            "users": users,
            "posts": users * 4,
            "comments": users * 37,
            "communities": users // 40,
            "users_active_day": users // 60,
            "users_active_week": users // 20,
            "users_active_month": users // 8,
            "users_active_half_year": users // 3,
        }
