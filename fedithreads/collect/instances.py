"""``--across HOSTS`` and seed files' ``across``: the other instances to read a thread from.

A host is ``lemmy.ml``, ``host:port`` or ``https://host``; plain http only for loopback
hosts, which a bare loopback host means (local replay servers). ``instance_of`` names the
instance an actor or object URL lives on: a thread's home instance is the host of its
community's actor id (reference/lemmy-api.md §2.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedithreads.core.hosts import DEFAULT_PORTS, Host, check_characters, host_of, read_host
from fedithreads.errors import TargetProblem, UsageError, quoted


@dataclass(frozen=True, slots=True)
class Instance:
    """Another instance to read a target's threads from: its key and base URL."""

    host: str
    base_url: str

    @classmethod
    def of(cls, host: Host) -> Instance:
        return cls(host.key, host.base_url)


def parse_across(text: str) -> tuple[Instance, ...]:
    """``--across HOSTS``, or a one-line UsageError naming the host and the fix."""
    try:
        return read_across(text.split(","))
    except TargetProblem as exc:
        shown = "[redacted]" if "@" in text else quoted(text, 60)  # user:password@ anywhere
        raise UsageError(f"--across {shown}: {exc.problem}; {exc.fix}") from None


def read_across(items: Sequence[str]) -> tuple[Instance, ...]:
    """Hosts (``lemmy.ml``, ``host:port``, ``https://host``; plain http for loopback only,
    which a bare loopback host means), each once in the order given."""
    found: dict[str, Instance] = {}
    for item in items:
        instance = _read_instance(item.strip())
        found.setdefault(instance.host, instance)
    if not found:
        raise TargetProblem("names no host", "give HOST[,HOST…], e.g. lemmy.ml,beehaw.org")
    return tuple(found.values())


def _read_instance(text: str) -> Instance:
    fix = "give host names separated by commas, e.g. lemmy.ml,beehaw.org"
    if not text:
        raise TargetProblem("has an empty host", fix)
    check_characters(text)
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "https", text
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise TargetProblem(f"scheme {quoted(scheme, 20)} is not supported", fix)
    authority = rest.rstrip("/")
    if "@" in authority:
        raise TargetProblem("contains a user name or password", "give the host alone")
    if not authority or any(char in authority for char in "/?#"):
        raise TargetProblem(f"{quoted(text, 40)} is not a host", fix)
    host = read_host(authority, scheme)
    if host.loopback and scheme == "https" and not sep:
        host = read_host(authority, "http")
    if host.base_url.startswith("http:") and not host.loopback:
        raise TargetProblem(
            f"plain http:// is only for loopback hosts, not {quoted(host.key, 40)}", "use https://"
        )
    return Instance.of(host)


def instance_of(actor_url: str) -> Instance | None:
    """The instance an actor or object URL lives on (https; http for loopback), if any."""
    try:
        return _read_instance(host_of(actor_url))
    except TargetProblem:
        return None
