"""Markdown → plain text (``content_text``, ``body_text``): each rule on a hand-made
text, then on the real saved responses as ``analyze`` writes them."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedithreads.analysis import pipeline
from fedithreads.analysis.plaintext import plain_text, plain_texts

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"


def text(markdown: str | None) -> str | None:
    value = pl.DataFrame({"m": [markdown]}, schema={"m": pl.String}).select(plain_text(pl.col("m")))
    result: str | None = value.item()
    return result


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("**Bold**, *it*, _em_, __strong__ and ~~struck~~", "Bold, it, em, strong and struck"),
        ("snake_case_name and 2*3", "snake_case_name and 23"),
        ("see [the docs](https://example.com/a_b) now", "see the docs now"),
        ("a cat ![cat](https://i.example/c.png) here", "a cat here"),
        ("bare https://example.com/x?y=1 and <https://auto.example> gone", "bare and gone"),
        ("[@alice@lemmy.ml](https://lemmy.ml/u/alice) hi", "@alice@lemmy.ml hi"),
        ("# Title\n## Sub", "Title\nSub"),
        ("> quoted\n> > nested\n\nreply", "quoted\nnested\n\nreply"),
        ("- one\n* two\n+ three\n1. first\n2) second", "one\ntwo\nthree\nfirst\nsecond"),
        ("above\n\n---\n\nbelow", "above\n\nbelow"),
        ("```python\nprint('hi')\n```\nuse `x = 1` here", "print('hi')\n\nuse x = 1 here"),
        ("::: spoiler The ending\nhe lives\n:::", "The ending\nhe lives"),
        ("a<br/>b <span class='x'>c</span>", "ab c"),
        ("&amp; &lt;b&gt; it&#39;s&nbsp;ok &quot;q&quot; &amp;lt;", '& <b> it\'s ok "q" &lt;'),
        ("  spaced    out  \n\n\n\n\nfar", "spaced out\n\nfar"),
        ("**", ""),
        ("Привет, мир 🌍 — ça va?", "Привет, мир 🌍 — ça va?"),
    ],
)
def test_each_rule_keeps_what_a_reader_reads(markdown: str, plain: str) -> None:
    """Links keep their text, images and URLs go, formatting marks go, entities decode,
    whitespace collapses, other text (any script) is left alone."""
    assert text(markdown) == plain


PIECES = st.sampled_from(
    ["a", "b_c", "Ж", " ", "  ", "\t", "\n", "\u00a0", "*", "_", "~", "`", "#", ">", "-", "+",
     "1.", "[x](y)", "![i](j)", "<b>", "&amp;", "&lt;", ":::", "https://h/p", "(", ")", "]",
     "\r", "\x0b", "\x0c", "\x85", "\u2003", "\u3000", "\u2028", "\u200b", "\ufeff"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(PIECES, max_size=12).map("".join)), max_size=20))
def test_running_the_rules_only_where_they_may_change_a_text_changes_nothing(
    texts: list[str | None],
) -> None:
    """plain_texts, which skips the texts its searches find no markup or blank in,
    gives exactly plain_text of every text."""
    series = pl.Series("m", texts, dtype=pl.String)

    everywhere = pl.select(plain_text(pl.lit(series))).to_series()

    assert plain_texts(series).to_list() == everywhere.to_list()


WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Unicode's White_Space characters, all 25."""


@pytest.mark.parametrize("blank", list(WHITE_SPACE))
def test_a_text_without_markup_loses_any_blank_at_its_ends(blank: str) -> None:
    """A plain word with a Unicode blank before or after it comes back as the word, as
    plain_text trims it; a zero-width space, which is not a blank, stays."""
    series = pl.Series("m", [f"word{blank}", f"{blank}word", "word\u200b"], dtype=pl.String)

    assert plain_texts(series).to_list() == ["word", "word", "word\u200b"]


def collapsed(plain: str) -> str:
    """A text without markup as plain_text leaves it: runs of blanks as one space, no
    blank at a line's ends, at most one empty line in a row, trimmed."""
    one_space = re.sub(r"[ \t]+", " ", plain)
    return re.sub(r"\n{3,}", "\n\n", re.sub(r" ?\n ?", "\n", one_space)).strip()


def test_null_stays_null() -> None:
    """A blanked comment (content null) has no plain text either."""
    assert text(None) is None


def test_the_real_responses_get_their_plain_text_beside_the_markdown() -> None:
    """analyze of the real saved responses: every comment and post has content_text /
    body_text null exactly where the Markdown is null, free of markup, and equal to the
    Markdown with its whitespace collapsed where the Markdown holds no markup."""
    snapshots = pipeline.load_snapshots([REAL], None)
    tables = pipeline.analyze(snapshots, bucket="1h")
    pairs = [
        *tables["comments"].select("content", "content_text").iter_rows(),
        *tables["posts"].select("body", "body_text").iter_rows(),
    ]

    assert len(pairs) > 20
    assert [(m is None) == (t is None) for m, t in pairs] == [True] * len(pairs)
    markup = re.compile(r"\]\(|\*\*|https?://|^[#>]", re.MULTILINE)
    for markdown, plain in pairs:
        if markdown is None:
            continue
        assert not markup.search(plain), plain
        if not re.search(r"[\[\]*_`#>~<&]|https?://|^\s*[-+]|^\s*\d+[.)]", markdown, re.M):
            assert plain == collapsed(markdown)
