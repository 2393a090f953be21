"""TARGET strings → what a run collects: a post, a community, or an ap_id to resolve.

Accepted shapes (``host`` may carry a non-default ``:port``):

    https://host/post/123                    PostTarget (query and #fragment dropped)
    https://host/c/<community>/p/123/<slug>  PostTarget (PieFed; 123 is host's local id)
    !name@host, https://host/c/name          CommunityTarget(name="name")
    https://host/c/name@remote               CommunityTarget(name="name@remote"), via host
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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeAlias
from urllib.parse import quote, unquote

from fedithreads.collect.instances import Instance
from fedithreads.core.hosts import DEFAULT_PORTS, Host, check_characters, read_host
from fedithreads.errors import TargetProblem, UsageError, quoted

MAX_TARGET_CHARS = 2000
MAX_ID = 2**31 - 1
"""Lemmy ids are i32."""
MAX_NAME_CHARS = 100

_ANY = "give a post URL (https://host/post/123), a community (!name@host) or an ap_id URL"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_URL = re.compile(r"//(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<query>\?[^#]*)?", re.DOTALL)
_HANDLE = re.compile(r"!(?P<name>[^@]*)@(?P<host>.*)", re.DOTALL)
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
class CommunityTarget:
    """The threads of a community as ``host`` knows it (``name`` or ``name@remote``)."""

    raw: str
    base_url: str
    host: str
    name: str
    max_posts: int | None = None
    across: tuple[Instance, ...] = ()


@dataclass(frozen=True, slots=True)
class ApIdTarget:
    """An ap_id URL whose kind is not known yet; resolve it with resolve_object on ``host``."""

    raw: str
    base_url: str
    host: str
    url: str
    across: tuple[Instance, ...] = ()


Target: TypeAlias = PostTarget | CommunityTarget | ApIdTarget


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


def target_key(target: Target) -> str:
    """A stable short id for state and manifests, e.g. ``post:lemmy.ml:123``."""
    if isinstance(target, PostTarget):
        return f"post:{target.host}:{target.post_id}"
    if isinstance(target, CommunityTarget):
        return f"community:{target.host}:{target.name}"
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
    if raw.startswith("!"):
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
    if raw.startswith("@"):
        return TargetProblem("a user is not a thread", _ANY)
    if "@" in raw and "/" not in raw:
        return TargetProblem("a community needs a leading !", "write it as !name@host")
    return TargetProblem("not a URL", "write the whole URL, starting with https://")


def _read_handle(raw: str) -> CommunityTarget:
    match = _HANDLE.fullmatch(raw)
    if match is None:
        raise TargetProblem("a community needs a host", "write it as !name@host")
    name, where = match.group("name", "host")
    if any(char in where for char in "/?#@"):
        raise TargetProblem("unexpected text after the host", "write it as !name@host")
    host = read_host(where, "https")
    if host.loopback:
        host = read_host(where, "http")
    return CommunityTarget(raw, host.base_url, host.key, _community_name(name))


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
        raise TargetProblem("this is an instance, not a thread", _ANY)
    head = parts[0]
    if head == "post":
        return PostTarget(raw, host.base_url, host.key, _lemmy_post_id(parts, host))
    if head == "c" and len(parts) == 2:
        return CommunityTarget(raw, host.base_url, host.key, _community(parts[1], host))
    if head == "c":
        return PostTarget(raw, host.base_url, host.key, _piefed_post_id(parts, host))
    if head == "comment":
        raise TargetProblem("a comment is not a thread", "give the URL of its post, /post/<id>")
    if head == "u":
        raise TargetProblem("a user is not a thread", _ANY)
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


def _community(text: str, host: Host) -> str:
    """``name`` or ``name@remote`` from a /c/ path; ``name@host`` itself becomes ``name``."""
    name, at, remote = text.partition("@")
    if not at:
        return _community_name(name)
    remote_key = read_host(remote, "https").key
    return _community_name(name) + ("" if remote_key == host.key else f"@{remote_key}")


def _community_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise TargetProblem(
            f"community name {quoted(name, 30)} is not 1 to {MAX_NAME_CHARS} letters, digits or _",
            "check the spelling",
        )
    return name.lower()
