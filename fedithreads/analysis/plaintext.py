"""Markdown → plain text, for NLP: the ``content_text`` and ``body_text`` columns.

Lemmy and PieFed store comments and post bodies as Markdown (CommonMark with a few
extensions: ``::: spoiler`` blocks, ``~sub~`` and ``^sup^``). A researcher counting words
or detecting languages wants the words, not the markup. ``plain_text`` keeps what a
reader reads and drops the rest, as vectorised regular expressions, no Markdown parser
per row; and only on the rows that need them (``with_plain_text``: a few cheap searches
find the texts holding any markup or any blank to tidy, and the rest are kept as they
are):

* images ``![alt](url)`` go entirely; links ``[text](url)`` keep their text; bare and
  angle-bracketed URLs go;
* fenced code keeps its code, without the fences; inline code its text, without ticks;
* headings, block quotes, list markers, horizontal rules, spoiler fences (the spoiler's
  title and text stay), HTML tags and emphasis markers (``*``, ``**``, ``_`` and ``__``
  around words, ``~~``) go; ``_`` inside a word (snake_case) stays;
* the HTML entities servers leave in federated text (``&amp;`` ``&lt;`` ``&gt;``
  ``&quot;`` ``&#39;`` ``&nbsp;``) become their characters;
* runs of spaces become one, three or more line breaks two, and the ends are trimmed.

Null stays null (a blanked comment has no text); markup alone becomes "".
"""

from __future__ import annotations

import polars as pl

_MARKUP: list[tuple[str, str]] = [
    (r"!\[[^\]]*\]\([^)]*\)", ""),  # images
    (r"\[([^\]]*)\]\([^)]*\)", "${1}"),  # links keep their text
    (r"<https?://[^>\s]*>", ""),  # autolinks
    (r"https?://[^\s)\]>]+", ""),  # bare URLs
    (r"(?m)^[ \t]*(?:```|~~~)[^\n]*$", ""),  # code fences
    (r"`([^`\n]*)`", "${1}"),  # inline code
    (r"(?m)^[ \t]*:::[ \t]*(?:spoiler[ \t]*)?", ""),  # spoiler fences, the title kept
    (r"(?m)^[ \t]{0,3}#{1,6}[ \t]+", ""),  # headings
    (r"(?m)^[ \t]*(?:>[ \t]?)+", ""),  # block quotes
    (r"(?m)^[ \t]*(?:[-*_][ \t]*){3,}$", ""),  # horizontal rules
    (r"(?m)^[ \t]*(?:[-*+]|[0-9]{1,9}[.)])[ \t]+", ""),  # list markers
    (r"</?[A-Za-z][^>\n]*>", ""),  # HTML tags
    (r"~~|\*+", ""),  # strikethrough, bold, italics
    (r"(^|[^\w])_+", "${1}"),  # _ and __ opening emphasis
    (r"_+([^\w]|$)", "${1}"),  # _ and __ closing it
    (r"&nbsp;", " "),
    (r"&lt;", "<"),
    (r"&gt;", ">"),
    (r"&quot;", '"'),
    (r"&#0?39;", "'"),
    (r"&amp;", "&"),  # last: "&amp;lt;" is the text "&lt;"
]
"""Each markup pattern and its replacement, in the order they are applied."""

_BLANKS: list[tuple[str, str]] = [(r"[ \t]+", " "), (r" ?\n ?", "\n"), (r"\n{3,}", "\n\n")]
"""Runs of blanks as one space, no blank at a line's ends, at most one empty line."""

_CHANGED = [r"[\[*_]", r"[`#>]", r"[~<&]", r"[\t\n]", r":::|https?://|  ", r"\A[\s+0-9-]"]
"""A text that a rule other than trimming would change holds one of the characters
``[ * _ ` # > ~ < &``, a tab or a line break, ``:::``, a URL's scheme or two spaces, or starts
with a blank, a sign or a digit (a list marker or rule on its first line, or blanks
before one): every markup the rules remove holds one of those, and a blank they tidy
is two spaces, a tab or next to a line break. The characters are looked for three at a
time (a search for up to three bytes is a vectorised scan; the eleven in one class
took twice as long as the four searches)."""

_TRIMMED = r"\s\z"
"""A text ending in a blank: trimming changes it (``strip_chars`` trims what the
pattern's class matches: Unicode's White_Space characters)."""


def plain_text(markdown: pl.Expr) -> pl.Expr:
    """The text a reader reads of a Markdown column (see the module's rules)."""
    text = markdown
    for pattern, replacement in [*_MARKUP, *_BLANKS]:
        text = text.str.replace_all(pattern, replacement)
    return text.str.strip_chars()


TEXT_OF = {"posts": ("body", "body_text"), "comments": ("content", "content_text")}
"""Per table: the Markdown column and its plain text column."""


def with_plain_text(rows: pl.DataFrame, table: str) -> pl.DataFrame:
    """``rows`` of posts or comments with their plain text column: ``plain_text`` of the
    Markdown, computed only for the texts it would change (the others are kept)."""
    markdown, text = TEXT_OF[table]
    return rows.with_columns(plain_texts(rows[markdown]).alias(text))


def plain_texts(texts: pl.Series) -> pl.Series:
    """``plain_text`` of each of ``texts``, the rules run only where they may change the
    text: where ``_CHANGED`` or ``_TRIMMED`` finds something (the others are kept as they
    are)."""
    found = [texts.str.contains(pattern) for pattern in [*_CHANGED, _TRIMMED]]
    rows = pl.select(pl.any_horizontal(found)).to_series().fill_null(False).arg_true()
    if rows.is_empty():
        return texts
    changed = pl.select(plain_text(pl.lit(texts.gather(rows)))).to_series()
    return texts.clone().scatter(rows, changed)
