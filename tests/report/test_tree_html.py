"""The thread as text in the report: styled lines folded and written as HTML by us, as rich did."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from fedithreads.analysis import pipeline
from fedithreads.cli.terminal import thread_text
from fedithreads.report.build import write_report
from fedithreads.report.fold import fold_lines
from fedithreads.report.html import css, tree
from fedithreads.report.render import STYLE_WORDS, Line, Span, render_thread
from tests.report.conftest import hand_snapshots, hand_tables


def rich_html(lines: list[Line], width: int) -> str:
    """What the report wrote before: rich printing the lines at ``width``, exported as HTML."""
    console = Console(record=True, file=io.StringIO(), width=width, color_system="truecolor")
    console.print(thread_text(lines))
    return console.export_html(inline_styles=True, code_format='<pre class="tree">{code}</pre>')


def test_text_is_escaped_inside_and_outside_spans() -> None:
    """<, &, >, " and ' show as text in plain and styled runs alike."""
    lines = [(Span('<a href="x">&'), Span("</pre>'", "bold"))]

    html = tree(lines)

    assert html == (
        '<pre class="tree">&lt;a href=&quot;x&quot;&gt;&amp;'
        '<span style="font-weight: bold">&lt;/pre&gt;&#x27;</span>\n\n</pre>'
    )


@pytest.mark.parametrize(
    ("style", "rule"),
    [
        ("", ""),
        ("bold", "font-weight: bold"),
        ("italic", "font-style: italic"),
        ("underline", "text-decoration: underline"),
        ("dim", "color: #7f7f7f; text-decoration-color: #7f7f7f"),
        ("cyan", "color: #008080; text-decoration-color: #008080"),
        ("yellow", "color: #808000; text-decoration-color: #808000"),
        ("green", "color: #008000; text-decoration-color: #008000"),
        ("bold cyan", "color: #008080; text-decoration-color: #008080; font-weight: bold"),
        ("italic dim", "color: #7f7f7f; text-decoration-color: #7f7f7f; font-style: italic"),
        ("dim cyan", "color: #7fbfbf; text-decoration-color: #7fbfbf"),
    ],
)
def test_each_style_is_the_inline_css_rich_exported(style: str, rule: str) -> None:
    """Every style word of render becomes the rule rich wrote for it on a white page."""
    assert css(style) == rule
    assert tree([(Span("x", style),)]) == rich_html([(Span("x", style),)], 100)


def test_an_unknown_style_word_is_an_error() -> None:
    """A style render does not define fails loudly instead of showing as plain text."""
    with pytest.raises(ValueError, match="blink"):
        css("bold blink")


def test_runs_of_one_look_are_one_span_and_empty_runs_none() -> None:
    """Adjacent spans that look the same are merged; empty ones leave nothing."""
    lines = [(Span("a", "dim"), Span("", "bold"), Span("b", "dim"), Span("c"))]

    assert tree(lines) == (
        '<pre class="tree"><span style="color: #7f7f7f; text-decoration-color: #7f7f7f">'
        "ab</span>c\n\n</pre>"
    )


def test_a_long_line_breaks_before_the_word_that_crosses_the_width() -> None:
    """Like a terminal: the break keeps the space before it; styles carry over the break."""
    lines = [(Span("aaa bbb ", "dim"), Span("ccc"))]

    folded = fold_lines(lines, 8)

    assert folded == ((Span("aaa bbb ", "dim"),), (Span("ccc"),))
    assert fold_lines([(Span("abcdefghij", "bold"),)], 4) == (
        (Span("abcd", "bold"),),
        (Span("efgh", "bold"),),
        (Span("ij", "bold"),),
    )


def test_tabs_control_codes_and_wide_characters_take_the_columns_a_terminal_gives() -> None:
    """Tabs stop every 8 columns, CR and BEL vanish, a CJK character takes two columns."""
    assert fold_lines([(Span("a\tb\r\x07"),)], 40) == ((Span("a       b"),),)
    assert fold_lines([(Span("漢字漢字"),)], 5) == ((Span("漢字"),), (Span("漢字"),))


_TEXT = st.text(alphabet=st.sampled_from(list("ab c  <&>\"'\t\r│─▲é漢x")), max_size=60)
_SPANS = st.lists(st.builds(Span, _TEXT, st.sampled_from(["", *STYLE_WORDS, "bold cyan"])))


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_SPANS.map(tuple), max_size=4), width=st.integers(2, 100))
def test_any_lines_fold_and_render_as_rich_exported_them(lines: list[Line], width: int) -> None:
    """For any text, styles and width, our HTML is the HTML rich's export gave."""
    assert tree(fold_lines(lines, width)) == rich_html(lines, width)


def test_the_thread_page_shows_the_tree_as_rich_did(tmp_path: Path) -> None:
    """The hand thread's <pre> on its page is byte for byte what rich exported at 100 columns."""
    write_report(hand_tables(), tmp_path, bucket="1h")
    page = (tmp_path / "threads" / "a.example-100.html").read_text()
    thread = pipeline.find_thread(hand_snapshots(), "100")

    (pre,) = re.findall(r'<pre class="tree">.*?</pre>', page, re.DOTALL)

    assert pre == rich_html(list(render_thread(thread, width=100)), 100)
    assert '<span style="color: #008080; text-decoration-color: #008080; font-weight: bold">' in pre


def test_render_gives_neutral_lines_of_known_styles() -> None:
    """No newline inside a line, and every style is made of render's words."""
    lines = render_thread(pipeline.find_thread(hand_snapshots(), "100"))

    spans = [span for line in lines for span in line]
    assert spans
    assert all("\n" not in span.text for span in spans)
    assert {word for span in spans for word in span.style.split()} <= STYLE_WORDS
