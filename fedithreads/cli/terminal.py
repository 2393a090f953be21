"""What the terminal shows: a thread's styled lines as rich Text, thread stats as a table.

The only place these values meet rich (fedithreads.report.render makes the lines; the
report writes the same lines as HTML itself). rich reads render's style words as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fedithreads.report.render import Line


def thread_text(lines: Iterable[Line]) -> Text:
    """The lines of ``render_thread`` as one rich Text, each line ending in a newline."""
    out = Text()
    for line in lines:
        for span in line:
            out.append(span.text, span.style)
        out.append("\n")
    return out


def print_lines(out: Console, lines: Sequence[Line]) -> None:
    """Print styled lines as ``out.print(thread_text(lines))`` would. Without colours (a
    pipe, a file, NO_COLOR), lines rich would print unchanged (printable, no wider than
    the console) are written as they are: rich lays out some 10,000 lines a second, and a
    deep thread has more."""
    plain = out.color_system is None
    start = 0
    for i, line in enumerate(lines):
        text = "".join(span.text for span in line)
        if plain and text.isprintable() and cell_len(text) <= out.width:
            if start < i:
                out.print(thread_text(lines[start:i]), end="")
            out.file.write(text + "\n")
            start = i + 1
    out.print(thread_text(lines[start:]))


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
            _thread_label(row),
            _cut(row["title"] or "(post not collected)", 40),
            f"{row['comments_collected']}/{_dash(row['comments_reported'])}",
            _completeness(row),
            _dash(row["max_depth"]),
            str(row["authors"]),
            _dash(row["structural_virality"], "{:.2f}"),
            _duration(row["lifespan_seconds"]),
        )
    return table


def federation_table(federation: pl.DataFrame) -> Table:
    """One row per copy of a thread: where, whether found, what it holds and lacks."""
    table = Table(show_lines=False, header_style="bold")
    table.add_column("instance", no_wrap=True)
    for name in ("found", "comments", "union", "missing", "missing vs home", "extra vs home"):
        table.add_column(name, justify="right")
    table.add_column("votes (+/−)", justify="right")
    table.add_column("software", no_wrap=True)
    for row in federation.sort("is_home", "instance", descending=[True, False]).iter_rows(
        named=True
    ):
        found = {True: "yes", False: "not there", None: "failed"}[row["found"]]
        table.add_row(
            row["instance"] + (" (home)" if row["is_home"] else ""),
            found,
            _dash(row["comments_collected"]),
            _dash(row["comments_union"]),
            _dash(row["missing_vs_union"]),
            _dash(row["missing_vs_home"]),
            _dash(row["extra_vs_home"]),
            "–" if row["upvotes"] is None else f"{row['upvotes']}/{row['downvotes']}",
            " ".join(str(v) for v in (row["software"], row["server_version"]) if v) or "–",
        )
    return table


def _thread_label(row: dict[str, object]) -> str:
    """``host/post/id`` of a copy; a union of copies is marked, by its ap_id when the
    home instance's copy (and so its local id) was not collected."""
    local = f"{row['instance']}/post/{row['post_id']}"
    if row.get("scope") != "union":
        return local
    return f"union {local}" if row["post_id"] is not None else f"union {row['ap_id']}"


def _completeness(row: dict[str, object]) -> str:
    if row["complete"]:
        return "yes"
    return f"no, {row['missing']} missing" if row["missing"] else "no"


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
