"""A thread as an indented tree of styled lines, and as nested JSON-ready data.

Pure and neutral: ``render_thread`` gives lines of ``Span`` s (text and a style), which the
CLI prints with rich (fedithreads.cli.terminal) and the report writes as HTML
(fedithreads.report.html); ``thread_tree`` gives the nested data ``show --format json``
prints. Ages are relative to the moment the thread was captured, as the server's own web
page showed them. Both take what a caller adds to a plain thread (for the union of its
copies, fedithreads.report.unionview): lines after the post's header, the instances whose
copy lacks a comment, more fields per node.

A style is a space-separated set of the words ``bold``, ``dim``, ``italic``,
``underline``, ``cyan``, ``yellow`` and ``green`` (``""``: plain), the same words rich reads.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeAlias

import msgspec

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.tree import Node, Thread

STYLE_WORDS = frozenset({"bold", "dim", "italic", "underline", "cyan", "yellow", "green"})


class Span(NamedTuple):
    """A run of text in one style."""

    text: str
    style: str = ""


Line: TypeAlias = tuple[Span, ...]
"""One line of output, without its newline."""

_AGE_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def relative_age(then: datetime, now: datetime) -> str:
    """``"10 days ago"``: the largest whole unit, as Lemmy's web UI words it."""
    seconds = (now - then).total_seconds()
    if seconds < 0:
        return "in the future"
    for size, unit in _AGE_UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def votes(score: int, upvotes: int, downvotes: int) -> str:
    """``"9 points (▲9 ▼0)"``."""
    noun = "point" if abs(score) == 1 else "points"
    return f"{score} {noun} (▲{upvotes} ▼{downvotes})"


class _Lines:
    """Lines built by appending styled text; a newline inside the text starts a new line."""

    def __init__(self) -> None:
        self.lines: list[list[Span]] = [[]]

    def add(self, text: str, style: str = "") -> None:
        first, *rest = text.split("\n")
        self._put(first, style)
        for part in rest:
            self.lines.append([])
            self._put(part, style)

    def _put(self, text: str, style: str) -> None:
        if text:
            self.lines[-1].append(Span(text, style))

    def done(self) -> tuple[Line, ...]:
        """Every line; the empty one after a final newline is not a line."""
        ended = self.lines[:-1] if not self.lines[-1] else self.lines
        return tuple(tuple(line) for line in ended)


def render_thread(
    thread: Thread,
    *,
    width: int = 100,
    preface: Sequence[str] = (),
    missing_on: Mapping[int, Sequence[str]] | None = None,
) -> tuple[Line, ...]:
    """The post, then every comment indented under its parent, with guide lines.

    Text is wrapped to ``width`` columns; replies deeper than ``indent_levels(width)``
    are drawn at that level, their header starting ``[depth N]``; a header may still run
    past ``width`` (a terminal or the report folds it). ``preface``: dim lines after the
    post's header; ``missing_on``: per comment id, instances named on its line as lacking it.
    """
    now = _captured_at(thread)
    out = _Lines()
    if thread.post is not None:
        _post_header(out, thread.post, now, width)
    else:
        out.add(f"post {thread.post_id} on {thread.instance} (post not collected)\n", "bold")
    for line in preface:
        out.add(line + "\n", "dim")
    out.add("\n")
    _comments(out, thread, now, width, missing_on or {})
    if thread.rejected:
        out.add(f"\n{len(thread.rejected)} comment(s) left out:\n", "yellow")
        for r in thread.rejected:
            out.add(f"  comment {r.record.comment_id}: {r.reason}\n", "yellow")
    return out.done()


def _captured_at(thread: Thread) -> datetime:
    times = [n.record.collected_at for n in thread.nodes.values() if n.record is not None]
    if thread.post is not None:
        times.append(thread.post.collected_at)
    return max(times)


def _post_header(out: _Lines, post: PostRecord, now: datetime, width: int) -> None:
    out.add(post.title + "\n", "bold")
    facts = [
        post.community,
        f"by {post.author}",
        votes(post.score, post.upvotes, post.downvotes),
        relative_age(post.published, now),
        f"{post.comments} comment{'s' if post.comments != 1 else ''}",
    ]
    out.add(" · ".join(facts) + "\n", "dim")
    if post.url:
        out.add(post.url + "\n", "underline")
    if post.deleted or post.removed:
        out.add("[deleted by author]\n" if post.deleted else "[removed by a moderator]\n")
    elif post.body:
        out.add("\n" + _wrap(post.body, width) + "\n")
    version = f" {post.server_version}" if post.server_version else ""
    stamp = post.collected_at.strftime("%Y-%m-%d %H:%M UTC")
    out.add(
        f"\ncaptured {stamp} from {post.instance} (post {post.post_id}, {post.dialect}{version})\n",
        "dim",
    )


INDENT = 3
"""Columns one level of replies is indented by."""
MIN_TEXT = 40
"""Columns of text a reply keeps however deep it is: indentation stops short of them."""


def indent_levels(width: int) -> int:
    """How many levels of replies are indented at ``width`` columns: deeper replies are
    drawn at the deepest level, each marked with its depth."""
    return max(1, (width - MIN_TEXT) // INDENT)


def _comments(
    out: _Lines, thread: Thread, now: datetime, width: int, missing: Mapping[int, Sequence[str]]
) -> None:
    """Every comment in tree order (iteratively: threads can be deep). Guide lines stop
    growing at ``indent_levels(width)``, so a line's prefix is bounded and the output is
    linear in the thread's size whatever its depth."""
    levels = indent_levels(width)
    stack: list[tuple[int, str, bool]] = [
        (k, "", i == len(thread.roots) - 1) for i, k in reversed(list(enumerate(thread.roots)))
    ]
    while stack:
        comment_id, prefix, last = stack.pop()
        node = thread.nodes[comment_id]
        mark = node.depth if node.depth > levels else None
        _comment(out, node, prefix, last, now, width, missing.get(comment_id, ()), mark)
        below = prefix + ("   " if last else "│  ") if node.depth < levels else prefix
        kids = node.children
        for i, kid in reversed(list(enumerate(kids))):
            stack.append((kid, below, i == len(kids) - 1))


def _comment(
    out: _Lines,
    node: Node,
    prefix: str,
    last: bool,
    now: datetime,
    width: int,
    missing: Sequence[str] = (),
    depth_mark: int | None = None,
) -> None:
    branch = "└─ " if last else "├─ "
    body_prefix = prefix + ("   " if last else "│  ") + ("│  " if node.children else "   ")
    out.add(prefix + branch, "dim")
    if depth_mark is not None:
        out.add(f"[depth {depth_mark}] ", "yellow")
    c = node.record
    if c is None:
        out.add(f"[comment {node.comment_id} not collected]\n", "italic dim")
        return
    out.add(c.author, "bold cyan")
    out.add(f" · {votes(c.score, c.upvotes, c.downvotes)} · {relative_age(c.published, now)}")
    if node.orphan:
        out.add(" · parent not collected", "yellow")
    if c.distinguished:
        out.add(" · distinguished", "green")
    if missing:
        out.add(" · missing on " + ", ".join(missing), "dim")
    out.add("\n")
    text = _comment_text(c)
    room = max(20, width - len(body_prefix))
    for line in _wrap(text, room).splitlines() or [""]:
        out.add(body_prefix, "dim")
        out.add(line + "\n", "italic dim" if text.startswith("[") else "")


def _comment_text(c: CommentRecord) -> str:
    if c.removed:
        return "[removed by a moderator]"
    if c.deleted:
        return "[deleted by author]"
    return c.content if c.content is not None else "[no text from the server]"


def _wrap(text: str, width: int) -> str:
    paragraphs = text.replace("\r\n", "\n").split("\n")
    return "\n".join(textwrap.fill(p, width) if p.strip() else "" for p in paragraphs)


def thread_tree(
    thread: Thread, *, annotate: Mapping[int, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The thread as nested JSON-ready data: the post, then comments with their replies.

    Every node carries ``comment_id``, ``parent_id``, ``depth``, ``placeholder`` (not
    collected), ``orphan``, the comment's fields (null for a placeholder), the fields
    ``annotate`` gives for its id, and ``replies`` in tree order; timestamps are ISO 8601
    strings.
    """
    more = annotate or {}
    top: list[dict[str, Any]] = []
    made: dict[int, dict[str, Any]] = {}
    for node in thread.walk():  # pre-order: a parent is made before its replies
        entry: dict[str, Any] = {
            "comment_id": node.comment_id,
            "parent_id": node.parent_id,
            "depth": node.depth,
            "placeholder": node.placeholder,
            "orphan": node.orphan,
            "comment": _jsonable(node.record),
            **more.get(node.comment_id, {}),
            "replies": [],
        }
        made[node.comment_id] = entry
        siblings = top if node.parent_id is None else made[node.parent_id]["replies"]
        siblings.append(entry)
    return {
        "instance": thread.instance,
        "post_id": thread.post_id,
        "post": _jsonable(thread.post),
        "comments": top,
        "rejected": [
            {"comment_id": r.record.comment_id, "reason": r.reason} for r in thread.rejected
        ],
    }


def _jsonable(record: PostRecord | CommentRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    fields = msgspec.structs.asdict(record)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
