"""The report on disk: pages, assets and PNGs written, data escaped, show's formats shared."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from msgspec.structs import replace

from fedithreads.analysis import pipeline
from fedithreads.cli.main import main
from fedithreads.report.build import thread_document, thread_html, write_report
from fedithreads.report.figures import thread_figures
from fedithreads.report.pagedata import split_threads, thread_data
from fedithreads.report.render import thread_tree
from tests.factories import hand_thread
from tests.report.conftest import hand_snapshots, hand_tables, snapshots_of

REPO = Path(__file__).parents[2]
SEED = REPO / "fixtures" / "lemmy-v3" / "seed-lemmygrad"


def chart_specs(page: str) -> dict[str, dict[str, Any]]:
    """The chart specs a page embeds, by slot id."""
    found = re.findall(r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', page)
    return {slot: json.loads(data) for slot, data in found}


def test_write_report_writes_index_thread_pages_and_the_vega_asset(tmp_path: Path) -> None:
    """index.html, one page per thread and assets/vega.js, all readable offline."""
    written = write_report(hand_tables(), tmp_path, bucket="1h")

    assert written.pages == 2
    assert written.pngs == 0
    index = (tmp_path / "index.html").read_text()
    thread = (tmp_path / "threads" / "a.example-100.html").read_text()
    assert '<script src="assets/vega.js"></script>' in index
    assert '<script src="../assets/vega.js"></script>' in thread
    assert "window.vegaEmbed" in (tmp_path / "assets" / "vega.js").read_text()
    assert "https://cdn" not in index + thread
    assert '<a href="threads/a.example-100.html">a.example/post/100</a>' in index
    assert '<table class="sortable">' in index
    assert not list(tmp_path.rglob(".*.tmp"))


def test_thread_page_holds_every_chart_with_its_title(tmp_path: Path) -> None:
    """Activity, cumulative, depth, shape, votes and completeness, each a titled spec."""
    write_report(hand_tables(), tmp_path, bucket="1h")
    page = (tmp_path / "threads" / "a.example-100.html").read_text()

    specs = chart_specs(page)

    titles = {slot: spec["title"]["text"] for slot, spec in specs.items()}
    assert titles == {
        "chart-activity": "Activity of the thread",
        "chart-cumulative": "Comments so far in the thread",
        "chart-depth": "Reply depth in the thread",
        "chart-shape": "Thread shape",
        "chart-votes": "Votes over collections",
        "chart-completeness": "Completeness",
    }
    assert "<h2>The thread</h2>" in page
    assert "carol@b.example" in page
    assert "[deleted by author]" in page


def test_index_page_holds_the_corpus_charts(tmp_path: Path) -> None:
    """The index draws completeness, size/depth, activity, cumulative, depth and scores."""
    write_report(hand_tables(), tmp_path, bucket="1h")

    specs = chart_specs((tmp_path / "index.html").read_text())

    assert list(specs) == [
        "chart-completeness",
        "chart-size-depth",
        "chart-activity",
        "chart-cumulative",
        "chart-depth",
        "chart-votes",
    ]
    assert specs["chart-activity"]["title"]["text"] == "Activity of the corpus"


def test_text_from_the_data_is_escaped(tmp_path: Path) -> None:
    """A title or comment containing markup shows as text, never as a tag."""
    p, comments = hand_thread()
    nasty = "<script>alert(1)</script>"
    hostile = replace(p, title=nasty, community=f'<a href="x">{nasty}', ap_id="javascript:alert(1)")
    snapshots = snapshots_of([hostile], [replace(comments[0], content=nasty)])
    write_report(pipeline.analyze(snapshots, bucket="1h"), tmp_path, bucket="1h")

    for page in (tmp_path / "index.html", tmp_path / "threads" / "a.example-100.html"):
        text = page.read_text()
        assert "<script>alert(1)" not in text
        assert '<a href="x">' not in text
        assert 'href="javascript:' not in text
        assert "&lt;script&gt;alert(1)" in text


def test_a_thread_above_the_shape_cap_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the caps the shape chart and the text are notes naming the cap (show: no cap)."""
    monkeypatch.setattr("fedithreads.report.chartdata.SHAPE_CAP", 5)
    monkeypatch.setattr("fedithreads.report.pagedata.TREE_CAP", 5)
    parts = next(split_threads(hand_tables()))

    figures = {f.name: f for f in thread_figures(thread_data(parts, bucket="1h"))}
    page = thread_html(parts, bucket="1h", index_link=False)
    uncapped = thread_html(parts, bucket="1h", index_link=False, tree_cap=0)

    assert figures["shape"].spec is None
    assert "more than 5 nodes" in figures["shape"].note
    assert "Not shown: more than 5 comments" in page.body
    assert "carol@b.example" in uncapped.body


def test_png_writes_every_chart_as_a_png(tmp_path: Path) -> None:
    """With png=True each drawn chart of each page is a PNG file under png/."""
    written = write_report(hand_tables(), tmp_path, bucket="1h", png=True)

    pngs = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert written.pngs == len(pngs) == 12
    assert "a.example-100-shape.png" in pngs
    assert "index-completeness.png" in pngs
    assert all(
        p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in (tmp_path / "png").iterdir()
    )


def test_thread_document_stands_alone_with_vega_inlined() -> None:
    """show --format html's page needs no other file: the Vega bundle is inside it."""
    snapshots = hand_snapshots()
    thread = pipeline.find_thread(snapshots, "100")

    document, figures = thread_document(snapshots, thread, bucket="1h")

    assert "assets/vega.js" not in document
    assert "window.vegaEmbed" in document
    assert len(figures) == 6
    assert document.count("</script>") == len(figures) + 2


def test_report_command_writes_the_seed_thread_report(tmp_path: Path) -> None:
    """`fedithreads report SOURCE --out DIR` exits 0 and says what it wrote."""
    result = CliRunner().invoke(main, ["report", str(SEED), "--out", str(tmp_path / "r")])

    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.stderr
    page = (tmp_path / "r" / "threads" / "lemmygrad.ml-9137482.html").read_text()
    assert "LittleSpoon@lemmygrad.ml" in page
    assert "Wang Yi tells Choe Son-hui" in page


def test_show_json_round_trips_the_tree() -> None:
    """show --format json is the nested tree: parsing it gives back every node and reply."""
    result = CliRunner().invoke(main, ["show", "9137482", str(SEED), "--format", "json"])

    assert result.exit_code == 0, result.stderr
    tree = json.loads(result.stdout)
    assert tree["post"]["title"].startswith("Wang Yi tells Choe Son-hui")
    (reply,) = tree["comments"]
    assert reply["comment"]["author"] == "LittleSpoon@lemmygrad.ml"
    assert reply["comment"]["upvotes"] == 9
    assert reply["replies"] == []


def test_thread_tree_nests_replies_under_their_parents() -> None:
    """The hand thread's JSON has 1 → (2 → 4, 3), 5 → 6 → 7, 8, and survives a JSON trip."""
    thread = pipeline.find_thread(hand_snapshots(), "100")

    data = json.loads(json.dumps(thread_tree(thread)))

    def shape(nodes: list[dict[str, Any]]) -> list[object]:
        return [(n["comment_id"], shape(n["replies"])) for n in nodes]

    assert shape(data["comments"]) == [
        (1, [(2, [(4, [])]), (3, [])]),
        (5, [(6, [(7, [])])]),
        (8, []),
    ]
    assert data["comments"][1]["replies"][0]["comment"]["deleted"] is True
    assert data["post"]["published"] == "2026-01-01T00:00:00+00:00"


def test_show_html_is_the_thread_page() -> None:
    """show --format html prints the same page the report writes for the thread."""
    result = CliRunner().invoke(main, ["show", "9137482", str(SEED), "--format", "html"])

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "LittleSpoon@lemmygrad.ml" in result.stdout
    assert set(chart_specs(result.stdout)) >= {"chart-activity", "chart-shape", "chart-votes"}


def test_empty_threads_get_notes_instead_of_charts(tmp_path: Path) -> None:
    """A post with no comments has a note for activity, and still votes and completeness."""
    p, _ = hand_thread()
    tables = pipeline.analyze(snapshots_of([p], []), bucket="1h")
    parts = next(split_threads(tables))

    names = [(f.name, f.spec is not None) for f in thread_figures(thread_data(parts, bucket="1h"))]

    assert names == [("activity", False), ("votes", True), ("completeness", True)]
