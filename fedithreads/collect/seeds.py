"""seeds/*.toml → the targets of a scheduled run.

A seed file is a list of ``[[targets]]`` tables, each with ``target = "<TARGET>"``, for
communities, users and instances only ``max_posts = <int ≥ 1>`` and ``since``/``until``
(a date window, as ``collect --since``: a date, a TOML date-time or a span back from now
such as ``"7d"``),
and ``across = ["host", …]``: the other instances to read each of its threads from, as
``collect --across``. Any mistake is one
ConfigError naming the file, the key (``targets[2].target``) and the fix. A target named
twice, in one file or across files, is collected once: the first mention wins (with the
``across`` hosts of every mention).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from fedithreads.collect.instances import read_across
from fedithreads.collect.targets import (
    Target,
    read_target,
    shown,
    takes_window,
    target_key,
    with_across,
    with_max_posts,
    with_window,
)
from fedithreads.config import read_toml
from fedithreads.core.units import utcnow
from fedithreads.core.window import WindowProblem, read_window
from fedithreads.errors import ConfigError, TargetProblem, quoted

_ENTRY_KEYS = ("target", "max_posts", "since", "until", "across")
_ONLY_LISTED = "only applies to a community, a user or an instance"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")


def default_seed_files(seeds_dir: Path) -> list[Path]:
    """Every ``*.toml`` file in ``seeds_dir``, sorted by name; [] if there is none.

    Hidden files (editor locks such as ``.#example.toml``) are left out.
    """
    if not seeds_dir.is_dir():
        return []
    found = seeds_dir.glob("*.toml")
    return sorted(p for p in found if p.is_file() and not p.name.startswith("."))


def load_seeds(paths: Sequence[Path]) -> list[Target]:
    """The targets of ``paths`` in order, each target key once (the first mention wins)."""
    seen: dict[str, int] = {}
    targets: list[Target] = []
    for path in paths:
        for target in read_seed_file(path):
            key = target_key(target)
            if key not in seen:
                seen[key] = len(targets)
                targets.append(target)
            elif target.across:  # the first mention wins, with every across host named
                targets[seen[key]] = with_across(targets[seen[key]], target.across)
    return targets


def read_seed_file(path: Path) -> list[Target]:
    """The targets of one seed file, in order, or a ConfigError for its first problem."""
    where = str(path)
    document = read_toml(path, too_large_fix="split it into several seed files")
    for key in document:
        if key != "targets":
            raise ConfigError(
                where, _key(key), "unknown key", "a seed file holds only [[targets]] tables"
            )
    entries = document.get("targets", [])
    if not isinstance(entries, list):
        raise ConfigError(
            where, "targets", "must be an array of tables", 'write each as [[targets]] target = "…"'
        )
    return [_read_entry(where, f"targets[{i}]", entry) for i, entry in enumerate(entries)]


def _read_entry(where: str, at: str, entry: object) -> Target:
    if not isinstance(entry, dict):
        raise ConfigError(where, at, "must be a table", 'write it as [[targets]] target = "…"')
    for key in entry:
        if key not in _ENTRY_KEYS:
            raise ConfigError(
                where,
                f"{at}.{_key(key)}",
                "unknown key",
                "a target takes target, max_posts, since, until and across",
            )
    target = _read_target(where, f"{at}.target", entry.get("target"))
    if "across" in entry:
        target = _with_across(where, f"{at}.across", target, entry["across"])
    if "since" in entry or "until" in entry:
        target = _with_window(where, at, target, entry.get("since"), entry.get("until"))
    max_posts = entry.get("max_posts")
    if max_posts is None:
        return target
    return _with_max_posts(where, f"{at}.max_posts", target, max_posts)


def _with_across(where: str, at: str, target: Target, value: object) -> Target:
    fix = 'write e.g. across = ["lemmy.ml", "beehaw.org"]'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(where, at, "must be an array of host names", fix)
    try:
        return with_across(target, read_across(value))
    except TargetProblem as exc:
        raise ConfigError(where, at, exc.problem, exc.fix) from None


def _with_window(where: str, at: str, target: Target, since: object, until: object) -> Target:
    if not takes_window(target):
        key = f"{at}.since" if since is not None else f"{at}.until"
        raise ConfigError(where, key, _ONLY_LISTED, "remove it: a post is collected whole")
    try:
        window = read_window(since, until, utcnow())
    except WindowProblem as exc:
        raise ConfigError(where, f"{at}.{exc.bound}", exc.problem, exc.fix) from None
    return with_window(target, window)


def _read_target(where: str, at: str, text: object) -> Target:
    if text is None:
        raise ConfigError(where, at, "missing", 'add target = "https://host/post/123"')
    if not isinstance(text, str):
        raise ConfigError(where, at, f"must be a string, not {_kind(text)}", 'quote it: "…"')
    try:
        return read_target(text)
    except TargetProblem as exc:
        raise ConfigError(where, at, f"{exc.problem} (got {shown(text)})", exc.fix) from None


def _with_max_posts(where: str, at: str, target: Target, value: object) -> Target:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        got = repr(value) if type(value) is int else _kind(value)
        problem = f"must be a whole number ≥ 1 (got {got})"
        raise ConfigError(where, at, problem, "write e.g. max_posts = 100")
    if not takes_window(target):
        raise ConfigError(where, at, _ONLY_LISTED, "remove it, or give a community target")
    return with_max_posts(target, value)


def _key(key: str) -> str:
    """A TOML key as it can be shown on one line."""
    return key if _PLAIN_KEY.fullmatch(key) else quoted(key, 40)


def _kind(value: object) -> str:
    """The TOML kind of a value, for messages."""
    names = {"str": "a string", "int": "an integer", "float": "a float", "bool": "a boolean"}
    return names.get(type(value).__name__, f"a {type(value).__name__}")
