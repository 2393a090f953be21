"""TARGET strings → what a run collects: a post, a community, or an ap_id to resolve.

Accepted shapes (``host`` may carry a non-default ``:port``):

    https://host/post/123                    PostTarget (query and #fragment dropped)
    https://host/c/<community>/p/123/<slug>  PostTarget (PieFed; 123 is host's local id)
    !name@host, https://host/c/name          CommunityTarget(name="name")
    https://host/c/name@remote               CommunityTarget(name="name@remote"), via host
    @name@host, https://host/u/name          UserTarget(name="name"): their posts and the
                                             threads they commented in
    https://host/u/name@remote               UserTarget(name="name@remote"), via host
    https://host/                            InstanceTarget: its local communities' posts
                                             (needs a window or max_posts)
    any other https URL on a host            ApIdTarget, resolved later on that host

Any of them may name other instances that hold copies of its threads (``--across``,
``read_across``): each thread is then also read from its home instance (the host of its
community's actor id) and from each of those, found there by its ap_id.

Plain ``http://`` is only for loopback hosts (local replay servers); ``!name@host`` on a
loopback host means http too. ``host`` is the instance key: lower case, IDNA (punycode)
for internationalised names. Hosts and community names later become directory names, so
they can never hold a path separator, ``..``, NUL or a control character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeAlias
from urllib.parse import quote, unquote

from fedithreads.collect.instances import Instance
from fedithreads.core.hosts import DEFAULT_PORTS, Host, check_characters, read_host
from fedithreads.core.window import Window
from fedithreads.errors import TargetProblem, UsageError, quoted

MAX_TARGET_CHARS = 2000
MAX_ID = 2**31 - 1
"""Lemmy ids are i32."""
MAX_NAME_CHARS = 100

_ANY = "give a post URL (https://host/post/123), a community (!name@host) or an ap_id URL"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_URL = re.compile(r"//(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<query>\?[^#]*)?", re.DOTALL)
_HANDLE = re.compile(r"(?P<name>[^@]*)@(?P<host>.*)", re.DOTALL)
_NAME = re.compile(rf"[A-Za-z0-9_]{{1,{MAX_NAME_CHARS}}}")
_DIGITS = re.compile(r"[0-9]{1,10}")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_USERINFO = re.compile(r"(//)[^/?#@]*@")
_URL_SAFE = "/?%:@!$&'()*+,;=-._~"


@dataclass(frozen=True, slots=True)
class PostTarget:
    """One thread: the post numbered ``post_id`` by ``host``."""

    raw: str
    base_url: str
    host: str
    post_id: int
    across: tuple[Instance, ...] = ()


@dataclass(frozen=True, slots=True)
class ListingTarget:
    """A target that lists posts on ``host``: a community, a user, an instance. A window
    (``--since``/``--until``) and ``max_posts`` apply to it."""

    raw: str
    base_url: str
    host: str
    max_posts: int | None = field(default=None, kw_only=True)
    across: tuple[Instance, ...] = field(default=(), kw_only=True)
    window: Window | None = field(default=None, kw_only=True)
    """Only the posts published in it (``--since``/``--until``)."""


@dataclass(frozen=True, slots=True)
class CommunityTarget(ListingTarget):
    """The threads of a community as ``host`` knows it (``name`` or ``name@remote``)."""

    name: str


@dataclass(frozen=True, slots=True)
class UserTarget(ListingTarget):
    """A person's threads as ``host`` knows them (``name`` or ``name@remote``): the posts
    they wrote and the threads they commented in, within the window."""

    name: str


@dataclass(frozen=True, slots=True)
class InstanceTarget(ListingTarget):
    """The posts of ``host``'s local communities, within a window or ``max_posts``."""


@dataclass(frozen=True, slots=True)
class ApIdTarget:
    """An ap_id URL whose kind is not known yet; resolve it with resolve_object on ``host``."""

    raw: str
    base_url: str
    host: str
    url: str
    across: tuple[Instance, ...] = ()


Target: TypeAlias = PostTarget | CommunityTarget | UserTarget | InstanceTarget | ApIdTarget


def parse_target(text: str) -> Target:
    """Parse one TARGET, or raise a one-line UsageError naming it and the fix."""
    try:
        return read_target(text)
    except TargetProblem as exc:
        raise UsageError(f"target {shown(text)}: {exc.problem}; {exc.fix}") from None


def shown(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message, a ``user:password@`` in it replaced by
    ``[redacted]@``: a refused target must not print its password back."""
    return quoted(_USERINFO.sub(r"\1[redacted]@", text), limit)


def with_across(target: Target, others: Sequence[Instance]) -> Target:
    """``target`` also naming the instances ``others`` (after its own; each host once)."""
    merged = {i.host: i for i in (*target.across, *others)}
    return replace(target, across=tuple(merged.values()))


def takes_window(target: Target) -> bool:
    """Whether ``target`` lists posts, so that a date window and ``max_posts`` apply to
    it (a post is collected whole whatever its date)."""
    return isinstance(target, ListingTarget)


def with_window(target: Target, window: Window | None) -> Target:
    """``target`` limited to ``window`` if it takes one and has none of its own."""
    if window is None or not isinstance(target, ListingTarget) or target.window is not None:
        return target
    return replace(target, window=window)


def with_max_posts(target: Target, max_posts: int | None) -> Target:
    """``target`` limited to ``max_posts`` if it takes it and has no limit of its own."""
    if max_posts is None or not isinstance(target, ListingTarget) or target.max_posts is not None:
        return target
    return replace(target, max_posts=max_posts)


def scoped(targets: Sequence[Target], window: Window | None, max_posts: int | None) -> list[Target]:
    """The targets with the command line's window and ``max_posts`` (for those that list
    posts and have none of their own), or a UsageError: the flags given with no target
    they apply to, an instance left with neither (nobody crawls a whole instance by
    accident)."""
    if (window or max_posts) and not any(takes_window(t) for t in targets):
        raise UsageError(
            "--since/--until/--max-posts apply to communities, users and instances (a post "
            "is collected whole); give such a target or leave them out"
        )
    out = [with_max_posts(with_window(t, window), max_posts) for t in targets]
    for t in out:
        if isinstance(t, InstanceTarget) and t.window is None and t.max_posts is None:
            raise UsageError(
                f"target {shown(t.raw)}: an instance needs a window or max_posts (it would "
                "crawl every post there); add --since/--until or --max-posts (since, until "
                "or max_posts in a seed file)"
            )
    return out


def target_key(target: Target) -> str:
    """A stable short id for state and manifests, e.g. ``post:lemmy.ml:123``."""
    if isinstance(target, PostTarget):
        return f"post:{target.host}:{target.post_id}"
    if isinstance(target, CommunityTarget):
        return f"community:{target.host}:{target.name}"
    if isinstance(target, UserTarget):
        return f"user:{target.host}:{target.name}"
    if isinstance(target, InstanceTarget):
        return f"instance:{target.host}"
    return f"ap_id:{target.url}"


def likely_ap_id(target: PostTarget | ApIdTarget) -> str:
    """The ap_id the target's post most likely has: an ap_id target's own URL; for a
    post URL, the post's URL on the instance that wrote it (``https://host/post/ID``, as
    Lemmy and PieFed name their own posts), which is right only when ``host`` wrote it."""
    if isinstance(target, ApIdTarget):
        return target.url
    return f"https://{target.host}/post/{target.post_id}"


def read_target(text: str) -> Target:
    """Parse one TARGET, or raise TargetProblem saying what is wrong and the fix."""
    if len(text) > MAX_TARGET_CHARS:
        raise TargetProblem(f"longer than {MAX_TARGET_CHARS:,} characters", _ANY)
    raw = text.strip()
    if not raw:
        raise TargetProblem("empty", _ANY)
    check_characters(raw)
    if raw.startswith(("!", "@")):
        return _read_handle(raw)
    scheme = _SCHEME.match(raw)
    if scheme is None:
        raise _not_a_url(raw)
    name = scheme.group(1).lower()
    if "." in name or name == "localhost":
        raise _not_a_url(raw)
    if name not in DEFAULT_PORTS:
        raise TargetProblem(
            f"scheme {quoted(name, 20)} is not supported", "use an https:// URL or !name@host"
        )
    return _read_url(raw, name, raw[scheme.end() :])


def _not_a_url(raw: str) -> TargetProblem:
    if "@" in raw and "/" not in raw:
        return TargetProblem("a community needs a leading !", "write it as !name@host")
    return TargetProblem("not a URL", "write the whole URL, starting with https://")


def _read_handle(raw: str) -> CommunityTarget | UserTarget:
    """``!name@host`` (a community) or ``@name@host`` (a user)."""
    sigil, what = raw[0], "a community" if raw[0] == "!" else "a user"
    fix = f"write it as {sigil}name@host"
    match = _HANDLE.fullmatch(raw[1:])
    if match is None:
        raise TargetProblem(f"{what} needs a host", fix)
    name, where = match.group("name", "host")
    if any(char in where for char in "/?#@"):
        raise TargetProblem("unexpected text after the host", fix)
    host = read_host(where, "https")
    if host.loopback:
        host = read_host(where, "http")
    if sigil == "!":
        return CommunityTarget(raw, host.base_url, host.key, _community_name(name))
    return UserTarget(raw, host.base_url, host.key, _person_name(name))


def _read_url(raw: str, scheme: str, rest: str) -> Target:
    match = _URL.match(rest)
    if match is None:
        raise TargetProblem(f"expected {scheme}:// and a host", "write https://host/post/123")
    authority, path, query = match.group("authority", "path", "query")
    if "@" in authority:
        raise TargetProblem(
            "contains a user name or password",
            "remove the user:password@ part; tokens belong in config.toml [hosts] token_env",
        )
    host = read_host(authority, scheme)
    if scheme == "http" and not host.loopback:
        raise TargetProblem(
            "plain http:// is only for loopback hosts (127.0.0.1, ::1, localhost)",
            "use https://",
        )
    _check_escapes(path + (query or ""))
    if any(unquote(segment) in (".", "..") for segment in path.split("/")):
        raise TargetProblem("contains a . or .. path segment", "give the URL without it")
    return _classify(raw, host, path, query or "")


def _check_escapes(text: str) -> None:
    if _BAD_ESCAPE.search(text):
        raise TargetProblem("contains a % that is not a %XX escape", "write % as %25")
    if any(unicodedata.category(char).startswith("C") for char in unquote(text)):
        raise TargetProblem("contains an escaped control character", "give the URL without it")


def _classify(raw: str, host: Host, path: str, query: str) -> Target:
    parts = path.split("/")[1:]
    if parts and not parts[-1]:
        parts.pop()
    if not parts:
        if query:
            raise TargetProblem("an instance URL takes no query", f"give {host.base_url}/")
        return InstanceTarget(raw, host.base_url, host.key)
    head = parts[0]
    if head == "post":
        return PostTarget(raw, host.base_url, host.key, _lemmy_post_id(parts, host))
    if head == "c" and len(parts) == 2:
        return CommunityTarget(raw, host.base_url, host.key, _community(parts[1], host))
    if head == "c":
        return PostTarget(raw, host.base_url, host.key, _piefed_post_id(parts, host))
    if head == "comment":
        raise TargetProblem("a comment is not a thread", "give the URL of its post, /post/<id>")
    if head == "u" and len(parts) == 2:
        return UserTarget(raw, host.base_url, host.key, _community(parts[1], host, _person_name))
    if head == "u":
        raise TargetProblem("not a user URL", "give /u/<name> and no more")
    url = host.base_url + quote(path, safe=_URL_SAFE) + quote(query, safe=_URL_SAFE)
    return ApIdTarget(raw, host.base_url, host.key, url)


def _lemmy_post_id(parts: list[str], host: Host) -> int:
    if len(parts) == 3 and _DIGITS.fullmatch(parts[2]):
        raise TargetProblem(
            "this links a comment inside a post",
            f"give the post URL, {host.base_url}/post/{parts[1]}",
        )
    if len(parts) != 2:
        problem = "the post id is missing" if len(parts) < 2 else "text after the post id"
        raise TargetProblem(problem, "give /post/<id> and no more")
    return _post_id(parts[1])


def _piefed_post_id(parts: list[str], host: Host) -> int:
    if len(parts) not in (4, 5) or parts[2] != "p" or not all(parts):
        raise TargetProblem(
            "not a community or post URL", "give /c/<name> or /c/<name>/p/<id>/<slug>"
        )
    _community(parts[1], host)
    return _post_id(parts[3])


def _post_id(text: str) -> int:
    if text.isascii() and text.isdigit() and not _DIGITS.fullmatch(text):
        digits = text if len(text) <= 20 else text[:19] + "…"
        raise TargetProblem(f"post id {digits} is out of range", f"ids run from 1 to {MAX_ID:,}")
    if not _DIGITS.fullmatch(text):
        raise TargetProblem(f"post id {quoted(text, 20)} is not a number", "check the URL")
    number = int(text)
    if not 1 <= number <= MAX_ID:
        raise TargetProblem(f"post id {number} is out of range", f"ids run from 1 to {MAX_ID:,}")
    return number


def _community(text: str, host: Host, read_name: Callable[[str], str] | None = None) -> str:
    """``name`` or ``name@remote`` from a /c/ (or /u/) path; ``name@host`` itself becomes
    ``name``."""
    read = read_name or _community_name
    name, at, remote = text.partition("@")
    if not at:
        return read(name)
    remote_key = read_host(remote, "https").key
    return read(name) + ("" if remote_key == host.key else f"@{remote_key}")


def _person_name(name: str) -> str:
    return _community_name(name, "user name")


def _community_name(name: str, what: str = "community name") -> str:
    if not _NAME.fullmatch(name):
        raise TargetProblem(
            f"{what} {quoted(name, 30)} is not 1 to {MAX_NAME_CHARS} letters, digits or _",
            "check the spelling",
        )
    return name.lower()
