"""The blocks a report page is made of: headings, facts, charts, notes, tables, the tree.

Plain values, laid out by fedithreads.report.pages and written by fedithreads.report.html;
text in them is never escaped yet, and a ``Link`` or a ``Cell`` with an ``href`` is the
only way to make a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from fedithreads.report.figures import Figure
from fedithreads.report.render import Line


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True, slots=True)
class Meta:
    """A line of small facts about the page, shown separated by dots."""

    items: tuple[str | Link, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    """A row of labelled numbers: (label, value) each."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Charts:
    figures: tuple[Figure, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """Why something is not shown."""

    text: str


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its header, and whether it sorts as a number or as text."""

    name: str
    numeric: bool


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: the value it sorts by, the text it shows, and where it links to."""

    sort: object
    text: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A table the reader can sort by clicking a column."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True, slots=True)
class Tree:
    """The thread as styled text lines, shown as they are."""

    lines: tuple[Line, ...]


Block: TypeAlias = Heading | Meta | Facts | Charts | Note | Table | Tree


@dataclass(frozen=True, slots=True)
class Page:
    """A page of the report: where it goes, its title and blocks.

    ``path`` is relative to the report's directory, ``root`` that directory as a relative
    URL from the page (``""`` or ``"../"``); ``figures`` are the charts among the blocks,
    in page order (their PNGs).
    """

    path: str
    root: str
    title: str
    blocks: tuple[Block, ...]
    figures: tuple[Figure, ...]
