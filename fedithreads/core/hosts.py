"""Host names as fedithreads spells them: instance keys, base URLs, hosts of actor URLs.

An **instance key** is what the data dir, state, config's ``[hosts."…"]`` tables and every
row's ``instance`` call a server: lower case, IDNA (punycode) for internationalised names,
IPv6 compressed in brackets, ``localhost`` as 127.0.0.1, ``:port`` only when it is not the
scheme's default (``instance_key`` makes every key, typed or read from a URL). Keys later
become directory names, so they can never hold a path separator, ``..``, NUL or a control
character. ``read_host`` checks a ``host[:port]`` a user typed; ``host_of`` reads the host
of a URL a server sent (already well-formed), cached because pages repeat the same few.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from fedithreads.errors import TargetProblem, quoted

DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DIGITS = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True, slots=True)
class Host:
    """A validated ``host[:port]``: the instance key, its base URL and whether it is loopback."""

    key: str
    base_url: str
    loopback: bool


def host_key(text: str) -> str:
    """The instance key of ``host[:port]`` (``:443`` dropped), as targets and the data dir
    spell it; raises TargetProblem for what is not a host."""
    check_characters(text)
    return read_host(text, "https").key


def check_characters(raw: str) -> None:
    """Refuse spaces, invisible or control characters and backslashes in typed input."""
    for char in raw:
        if char.isspace():
            raise TargetProblem("contains a space", "give one target per argument, without spaces")
        if unicodedata.category(char).startswith("C"):
            raise TargetProblem(
                f"contains the invisible or control character U+{ord(char):04X}", "retype it"
            )
        if char == "\\":
            raise TargetProblem("contains a backslash", "URLs use / between parts")


def read_host(authority: str, scheme: str) -> Host:
    """Validate ``host[:port]`` (IPv6 in brackets) into the instance key and base URL."""
    text, port = _split_port(authority)
    name = _ipv6_name(text) if text.startswith("[") else _dns_name(text)
    key = instance_key(name, port, scheme)
    return Host(key, f"{scheme}://{key}", _is_loopback(name))


LOOPBACK_NAME = "localhost"
"""Spelled as its address in keys: ``localhost:8536`` and ``127.0.0.1:8536`` are one
instance (one data dir partition, one limiter, one row key)."""


def instance_key(name: str, port: int | None, scheme: str) -> str:
    """The one spelling of an instance: ``name`` (lower case, IDNA; IPv6 compressed in
    brackets; ``localhost`` as 127.0.0.1) and ``:port`` unless it is the scheme's
    default. Every key (typed hosts and targets, hosts of URLs servers send) is made here."""
    if name == LOOPBACK_NAME:
        name = "127.0.0.1"
    return name if port in (None, DEFAULT_PORTS.get(scheme)) else f"{name}:{port}"


def _split_port(authority: str) -> tuple[str, int | None]:
    close = authority.rfind("]")
    host, colon, port = authority.rpartition(":")
    if not colon or close > len(host):  # no port, or the last ":" is inside [IPv6]
        return authority, None
    if not (_DIGITS.fullmatch(port) and 1 <= int(port) <= 65535):
        raise TargetProblem(f"port {quoted(port, 12)} is not 1 to 65535", "check the port")
    return host, int(port)


def _ipv6_name(text: str) -> str:
    """``[IPv6]`` in compressed form; zone ids (``%eth0``) are not accepted."""
    bad = TargetProblem(f"{quoted(text, 45)} is not an IPv6 address", "check the host")
    if not text.endswith("]") or "%" in text:
        raise bad
    try:
        return f"[{ipaddress.IPv6Address(text[1:-1]).compressed}]"
    except ValueError:
        raise bad from None


def _dns_name(text: str) -> str:
    """Lower-case IDNA host name; every label letters, digits and inner hyphens."""
    bad = TargetProblem(f"host {quoted(text, 70)} is not a valid host name", "check the host")
    if not text:
        raise TargetProblem("the host is missing", "give the host name, e.g. lemmy.ml")
    try:
        name = text.lower().removesuffix(".").encode("idna").decode("ascii").lower()
        name.encode("ascii").decode("idna")  # rejects xn-- labels that are not punycode
    except UnicodeError:
        raise bad from None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise bad
    if labels[-1].isdigit():
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise bad from None
    return name


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=16384)
def host_of(url: str) -> str:
    """The instance key (``instance_key``) of the host of a URL: an ``ap_id`` or
    ``actor_id`` a server sent, a base URL; ``""`` when it names none. Never raises:
    a name that is not a valid host is kept in lower case.

    Cached: a page names the same few actors and communities over and over."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return ""
    try:
        name = _ipv6_name(f"[{host}]") if ":" in host else _dns_name(host)
    except TargetProblem:
        name = f"[{host}]" if ":" in host else host
    return instance_key(name, parts.port, parts.scheme.lower())


@lru_cache(maxsize=16384)
def handle(name: str, actor_url: str) -> str:
    """``name@host`` for a person or community, the host taken from its actor URL."""
    host = host_of(actor_url)
    return f"{name}@{host}" if host else name
