"""Styled lines as a terminal ``width`` columns wide shows them, for the report's ``<pre>``.

``show`` leaves folding to rich, which wraps a line that is wider than the terminal at
its spaces. The report draws the same tree into a page, so it folds the lines the same
way itself, at the width the tree was rendered for: control codes a terminal would not
print (BEL, BS, VT, FF, CR) are dropped, tabs are expanded to stops every 8 columns, a
line wider than ``width`` breaks before the first word that would cross it, a word wider
than ``width`` is cut into pieces that fit, and the spaces a break leaves past the last
column are dropped. Columns are counted as a terminal counts them: East Asian wide
characters take two, combining marks and other zero-width characters none.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable

from fedithreads.report.render import Line, Span

TAB_STOP = 8
_UNPRINTED = dict.fromkeys((7, 8, 11, 12, 13))
_WORD = re.compile(r"\s*\S+\s*")
_TRAILING_SPACE = re.compile(r"\s+$")


def fold_lines(lines: Iterable[Line], width: int) -> tuple[Line, ...]:
    """Every line no wider than ``width`` columns, long ones folded onto the next lines."""
    folded: list[Line] = []
    for line in lines:
        clean = _expand_tabs(_printable(line))
        plain = "".join(span.text for span in clean)
        cuts = [0, *_breaks(plain, width), len(plain)]
        for start, end in itertools.pairwise(cuts):
            folded.append(_fit(_slice(clean, start, end), width))
    return tuple(folded)


def cells(text: str) -> int:
    """Columns ``text`` takes on a terminal."""
    if text.isascii() and text.isprintable():
        return len(text)
    return sum(_char_cells(char) for char in text)


@functools.lru_cache(maxsize=4096)
def _char_cells(char: str) -> int:
    code = ord(char)
    if 0 < code < 32 or 0x7F <= code < 0xA0:
        return 0
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _printable(line: Line) -> Line:
    spans = (Span(span.text.translate(_UNPRINTED), span.style) for span in line)
    return tuple(span for span in spans if span.text)


def _expand_tabs(line: Line) -> Line:
    if not any("\t" in span.text for span in line):
        return line
    column, expanded = 0, []
    for span in line:
        first, *rest = span.text.split("\t")
        text, column = first, column + cells(first)
        for part in rest:
            gap = TAB_STOP - column % TAB_STOP
            text += " " * gap + part
            column += gap + cells(part)
        expanded.append(Span(text, span.style))
    return tuple(expanded)


def _breaks(text: str, width: int) -> list[int]:
    """Where to start new lines: before each word that would cross ``width``."""
    breaks: list[int] = []
    column = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        size = cells(word.rstrip())
        if width - column >= size:
            column += cells(word)
        elif size > width:
            for piece in _chop(word, width):
                breaks.append(start)
                start += len(piece)
                column = cells(piece)
        elif column:
            breaks.append(start)
            column = cells(word)
    return [offset for offset in breaks if offset]


def _chop(word: str, width: int) -> list[str]:
    """``word`` in pieces of at most ``width`` columns."""
    pieces: list[str] = []
    begin = used = 0
    for index, char in enumerate(word):
        size = _char_cells(char)
        if used + size > width:
            pieces.append(word[begin:index])
            begin, used = index, 0
        used += size
    return [*pieces, word[begin:]]


def _slice(line: Line, start: int, end: int) -> Line:
    """The spans of ``line`` between two offsets of its text."""
    out, position = [], 0
    for span in line:
        low, high = max(start, position), min(end, position + len(span.text))
        if low < high:
            out.append(Span(span.text[low - position : high - position], span.style))
        position += len(span.text)
    return tuple(out)


def _fit(line: Line, width: int) -> Line:
    """Drop spaces past ``width`` characters at the end, then columns past ``width``."""
    plain = "".join(span.text for span in line)
    trailing = _TRAILING_SPACE.search(plain)
    if len(plain) > width and trailing is not None:
        plain = plain[: len(plain) - min(len(trailing.group()), len(plain) - width)]
    while cells(plain) > width:
        plain = plain[:-1]
    return _slice(line, 0, len(plain))
