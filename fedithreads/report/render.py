"""Terminal output: a thread as an indented tree, thread stats as a summary table.

Renderers return rich renderables (``Text``, ``Table``); only the CLI prints them. Ages are
relative to the moment the thread was captured, as the server's own web page showed them.
The same tree is also given as HTML (``thread_tree_html``, for the report's thread pages)
and as nested JSON-ready data (``thread_tree``), so every ``show --format`` shares it.
"""

from __future__ import annotations

import dataclasses
import io
import textwrap
from datetime import datetime
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.tree import Node, Thread

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


def render_thread(thread: Thread, *, width: int = 100) -> Text:
    """The post, then every comment indented under its parent, with guide lines."""
    now = _captured_at(thread)
    out = Text()
    if thread.post is not None:
        _post_header(out, thread.post, now, width)
    else:
        out.append(f"post {thread.post_id} on {thread.instance} (post not collected)\n", "bold")
    out.append("\n")
    _comments(out, thread, now, width)
    if thread.rejected:
        out.append(f"\n{len(thread.rejected)} comment(s) left out:\n", "yellow")
        for r in thread.rejected:
            out.append(f"  comment {r.record.comment_id}: {r.reason}\n", "yellow")
    return out


def _captured_at(thread: Thread) -> datetime:
    times = [n.record.collected_at for n in thread.nodes.values() if n.record is not None]
    if thread.post is not None:
        times.append(thread.post.collected_at)
    return max(times)


def _post_header(out: Text, post: PostRecord, now: datetime, width: int) -> None:
    out.append(post.title + "\n", "bold")
    facts = [
        post.community,
        f"by {post.author}",
        votes(post.score, post.upvotes, post.downvotes),
        relative_age(post.published, now),
        f"{post.comments} comment{'s' if post.comments != 1 else ''}",
    ]
    out.append(" · ".join(facts) + "\n", "dim")
    if post.url:
        out.append(post.url + "\n", "underline")
    if post.deleted or post.removed:
        out.append("[deleted by author]\n" if post.deleted else "[removed by a moderator]\n")
    elif post.body:
        out.append("\n" + _wrap(post.body, width) + "\n")
    version = f" {post.server_version}" if post.server_version else ""
    stamp = post.collected_at.strftime("%Y-%m-%d %H:%M UTC")
    out.append(
        f"\ncaptured {stamp} from {post.instance} (post {post.post_id}, {post.dialect}{version})\n",
        "dim",
    )


def _comments(out: Text, thread: Thread, now: datetime, width: int) -> None:
    stack: list[tuple[int, str, bool]] = [
        (k, "", i == len(thread.roots) - 1) for i, k in reversed(list(enumerate(thread.roots)))
    ]
    while stack:
        comment_id, prefix, last = stack.pop()
        node = thread.nodes[comment_id]
        _comment(out, node, prefix, last, now, width)
        below = prefix + ("   " if last else "│  ")
        kids = node.children
        for i, kid in reversed(list(enumerate(kids))):
            stack.append((kid, below, i == len(kids) - 1))


def _comment(out: Text, node: Node, prefix: str, last: bool, now: datetime, width: int) -> None:
    branch = "└─ " if last else "├─ "
    body_prefix = prefix + ("   " if last else "│  ") + ("│  " if node.children else "   ")
    out.append(prefix + branch, "dim")
    c = node.record
    if c is None:
        out.append(f"[comment {node.comment_id} not collected]\n", "italic dim")
        return
    out.append(c.author, "bold cyan")
    out.append(f" · {votes(c.score, c.upvotes, c.downvotes)} · {relative_age(c.published, now)}")
    if node.orphan:
        out.append(" · parent not collected", "yellow")
    if c.distinguished:
        out.append(" · distinguished", "green")
    out.append("\n")
    text = _comment_text(c)
    room = max(20, width - len(body_prefix))
    for line in _wrap(text, room).splitlines() or [""]:
        out.append(body_prefix, "dim")
        out.append(line + "\n", "italic dim" if text.startswith("[") else "")


def _comment_text(c: CommentRecord) -> str:
    if c.removed:
        return "[removed by a moderator]"
    if c.deleted:
        return "[deleted by author]"
    return c.content if c.content is not None else "[no text from the server]"


def _wrap(text: str, width: int) -> str:
    paragraphs = text.replace("\r\n", "\n").split("\n")
    return "\n".join(textwrap.fill(p, width) if p.strip() else "" for p in paragraphs)


def summary_table(stats: pl.DataFrame) -> Table:
    """One row per thread: where, title, how complete, how deep, how wide, how long."""
    table = Table(show_lines=False, header_style="bold")
    table.add_column("thread", no_wrap=True)
    table.add_column("title", no_wrap=True, overflow="ellipsis", max_width=40)
    for name, justify in (
        ("comments", "right"),
        ("complete", "center"),
        ("depth", "right"),
        ("authors", "right"),
        ("virality", "right"),
        ("lifespan", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in stats.iter_rows(named=True):
        table.add_row(
            f"{row['instance']}/post/{row['post_id']}",
            _cut(row["title"] or "(post not collected)", 40),
            f"{row['comments_collected']}/{_dash(row['comments_reported'])}",
            "yes" if row["complete"] else f"no, {row['missing']} missing",
            _dash(row["max_depth"]),
            str(row["authors"]),
            _dash(row["structural_virality"], "{:.2f}"),
            _duration(row["lifespan_seconds"]),
        )
    return table


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _dash(value: object, fmt: str = "{}") -> str:
    return "–" if value is None else fmt.format(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def thread_tree_html(thread: Thread, *, width: int = 100) -> str:
    """``render_thread`` as an HTML ``<pre>`` block with inline colours (no page around it)."""
    console = Console(record=True, file=io.StringIO(), width=width, color_system="truecolor")
    console.print(render_thread(thread, width=width))
    return console.export_html(inline_styles=True, code_format='<pre class="tree">{code}</pre>')


def thread_tree(thread: Thread) -> dict[str, Any]:
    """The thread as nested JSON-ready data: the post, then comments with their replies.

    Every node carries ``comment_id``, ``parent_id``, ``depth``, ``placeholder`` (not
    collected), ``orphan``, the comment's fields (null for a placeholder) and ``replies``
    in tree order; timestamps are ISO 8601 strings.
    """
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
    fields = dataclasses.asdict(record)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
