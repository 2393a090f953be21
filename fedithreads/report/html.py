"""The report's fourth step: a page of blocks written as HTML text.

Pure string work; every text that comes from data is escaped here, and only here.
``render`` writes a ``Page``'s blocks (fedithreads.report.blocks) as the page's body;
``document`` wraps a body into a whole HTML document.

A chart slot holds its Vega-Lite spec as JSON in a ``<script type="application/json">``
next to an empty ``<div>``; the page's script draws each with vega-embed (SVG) and marks
the div ``data-rendered`` (or ``data-error``), so a browser test can tell that every chart
was drawn. The Vega libraries (``vega_bundle``) are inlined for a stand-alone page, or
found at ``VEGA_ASSET`` under the report's root: nothing is fetched from the network.

The thread's text is a ``<pre>`` of its lines, each style an inline CSS rule, as rich
exports it for a white page: dim text is half-way to the background, the colours are
the terminal's standard cyan, yellow and green.
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import vl_convert

from fedithreads.report.blocks import (
    Block,
    Cell,
    Charts,
    Column,
    Facts,
    Heading,
    Link,
    Meta,
    Note,
    Page,
    Table,
    Tree,
)
from fedithreads.report.charts import VEGALITE_VERSION
from fedithreads.report.figures import Figure
from fedithreads.report.render import STYLE_WORDS, Line

VEGA_ASSET = "assets/vega.js"

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1240px;
       padding: 1.2rem 1.5rem 3rem; color: #1f2328; }
h1 { font-size: 1.5rem; margin: .2rem 0; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.meta { color: #57606a; } .meta a { color: inherit; }
.facts { display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0; padding: 0; }
.facts li { list-style: none; border: 1px solid #d0d7de; border-radius: 6px;
            padding: .35rem .7rem; } .facts b { display: block; font-size: 1.2rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(590px, 1fr));
          gap: 1rem; }
figure.chart { margin: 0; padding: .6rem; border: 1px solid #d0d7de; border-radius: 6px;
               overflow-x: auto; }
.note { color: #57606a; font-style: italic; }
.scroll { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; }
table { border-collapse: collapse; font-size: 13px; white-space: nowrap; }
th, td { padding: .25rem .55rem; border-bottom: 1px solid #eaeef2; text-align: right; }
th { position: sticky; top: 0; background: #f6f8fa; cursor: pointer; user-select: none; }
td.text, th.text { text-align: left; } tr:hover td { background: #f6f8fa; }
th[aria-sort=ascending]::after { content: " ▲"; }
th[aria-sort=descending]::after { content: " ▼"; }
pre.tree { font: 13px/1.35 ui-monospace, monospace; padding: .8rem;
           border: 1px solid #d0d7de; border-radius: 6px; overflow-x: auto; }
"""

_SCRIPT = """
document.querySelectorAll("script[data-chart]").forEach((holder) => {
  const target = document.getElementById(holder.dataset.chart);
  vegaEmbed(target, JSON.parse(holder.textContent), { renderer: "svg", actions: false })
    .then(() => { target.dataset.rendered = "true"; })
    .catch((err) => { target.dataset.error = String(err); console.error(err); });
});
document.querySelectorAll("table.sortable th").forEach((th) => {
  th.addEventListener("click", () => {
    const column = th.cellIndex, body = th.closest("table").tBodies[0];
    const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    th.closest("tr").querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    const numeric = th.dataset.type === "num";
    const key = (row) => {
      const value = row.cells[column].dataset.v ?? row.cells[column].textContent;
      return numeric ? (value === "" ? -Infinity : Number(value)) : value.toLowerCase();
    };
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    body.append(...rows);
  });
});
"""


@dataclass(frozen=True, slots=True)
class PageHtml:
    """A page written as HTML: its place in the report, title, body, and its charts."""

    path: str
    root: str
    title: str
    body: str
    figures: tuple[Figure, ...]


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute."""
    return html.escape(str(value), quote=True)


def render(page: Page) -> PageHtml:
    """The page's blocks as its HTML body."""
    body = "\n".join(_block(block) for block in page.blocks)
    return PageHtml(page.path, page.root, page.title, body, page.figures)


def document(page: PageHtml, *, vega_js: str | None = None) -> str:
    """A whole HTML document: Vega from ``VEGA_ASSET`` (or ``vega_js`` inline), the body."""
    if vega_js is None:
        library = f'<script src="{esc(page.root + VEGA_ASSET)}"></script>'
    else:
        library = "<script>" + vega_js.replace("</script", "<\\/script") + "</script>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(page.title)}</title>\n<style>{_CSS}</style>\n{library}\n</head>\n"
        f"<body>\n{page.body}\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


@functools.cache
def vega_bundle() -> str:
    """Vega + Vega-Lite + vega-embed as one script that sets window.vegaEmbed (≈ 0.9 MB)."""
    return str(vl_convert.javascript_bundle(_GLOBALS, vl_version=VEGALITE_VERSION))


_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vegaLite = vegaLite; window.vega = vega;"


def _block(block: Block) -> str:
    match block:
        case Heading(text, level):
            return f"<h{level}>{esc(text)}</h{level}>"
        case Meta(items):
            return '<p class="meta">' + " · ".join(map(_text, items)) + "</p>"
        case Facts(items):
            cells = "".join(f"<li><b>{esc(value)}</b>{esc(label)}</li>" for label, value in items)
            return f'<ul class="facts">{cells}</ul>'
        case Charts(figures):
            return '<div class="charts">' + "\n".join(map(_figure, figures)) + "</div>"
        case Note(text):
            return _note(text)
        case Table(columns, rows):
            return _table(columns, rows)
        case Tree(lines):
            return tree(lines)
    raise TypeError(f"not a block: {block!r}")


def _text(item: str | Link) -> str:
    return _link(item.text, item.href) if isinstance(item, Link) else esc(item)


def _link(text: str, href: str) -> str:
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def _figure(figure: Figure) -> str:
    """A chart slot: an empty figure and its spec as JSON (``<`` escaped); or its note."""
    if figure.spec is None:
        return _note(figure.note)
    slot = esc(f"chart-{figure.name}")
    data = json.dumps(figure.spec, separators=(",", ":"), ensure_ascii=False)
    data = data.replace("<", "\\u003c")
    return (
        f'<figure class="chart"><div id="{slot}" class="vega"></div>'
        f'<script type="application/json" data-chart="{slot}">{data}</script></figure>'
    )


def _note(text: str) -> str:
    return f'<figure class="chart"><p class="note">{esc(text)}</p></figure>'


def _table(columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> str:
    head = "".join(
        f'<th data-type="{"num" if c.numeric else "text"}"{_align(c)}>{esc(c.name)}</th>'
        for c in columns
    )
    body = "\n".join(
        "<tr>"
        + "".join(
            f'<td data-v="{esc("" if cell.sort is None else cell.sort)}"{_align(c)}>'
            f"{_cell(cell)}</td>"
            for c, cell in zip(columns, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def _align(column: Column) -> str:
    return "" if column.numeric else ' class="text"'


def _cell(cell: Cell) -> str:
    return esc(cell.text) if cell.href is None else _link(cell.text, cell.href)


def tree(lines: Iterable[Line]) -> str:
    """Styled lines as a ``<pre class="tree">``, each styled run a ``<span>`` with inline CSS.

    Runs of the same look are merged; a blank line closes the block, as rich's export did.
    """
    return '<pre class="tree">' + "".join(_line(line) + "\n" for line in lines) + "\n</pre>"


def _line(line: Line) -> str:
    runs: list[tuple[str, str]] = []
    for span in line:
        rule = css(span.style)
        if runs and runs[-1][1] == rule:
            runs[-1] = (runs[-1][0] + span.text, rule)
        elif span.text:
            runs.append((span.text, rule))
    return "".join(f'<span style="{rule}">{esc(t)}</span>' if rule else esc(t) for t, rule in runs)


_COLOURS = {"cyan": (0, 128, 128), "yellow": (128, 128, 0), "green": (0, 128, 0)}
_INK, _PAPER = (0, 0, 0), (255, 255, 255)
_FONT = (
    ("bold", "font-weight: bold"),
    ("italic", "font-style: italic"),
    ("underline", "text-decoration: underline"),
)


@functools.cache
def css(style: str) -> str:
    """The inline CSS of a style (render's words), ``""`` for plain text."""
    words = set(style.split())
    if unknown := words - STYLE_WORDS:
        raise ValueError(f"unknown style word(s) {sorted(unknown)} in {style!r}")
    colours = [_COLOURS[word] for word in style.split() if word in _COLOURS]
    colour: tuple[int, ...] | None = colours[-1] if colours else None
    if "dim" in words:  # half-way from the ink (or the colour) to the paper
        colour = tuple(int(a + (b - a) * 0.5) for a, b in zip(colour or _INK, _PAPER, strict=True))
    rules = (
        []
        if colour is None
        else [f"color: #{_hex(colour)}", f"text-decoration-color: #{_hex(colour)}"]
    )
    return "; ".join(rules + [rule for word, rule in _FONT if word in words])


def _hex(rgb: Iterable[int]) -> str:
    return "".join(f"{channel:02x}" for channel in rgb)
