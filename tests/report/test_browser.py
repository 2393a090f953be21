"""The report opened in headless Chromium: every chart drawn, titled, and no console errors.

Needs Debian's Chromium (``apt-get install chromium``; .ci/run installs it) and the
Playwright package, which drives /usr/bin/chromium directly (never ``playwright
install``). Without either the tests skip and say why. A screenshot of the seed thread's
page is kept as a test artifact: artifacts/report-seed.png.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fedithreads.analysis import pipeline
from fedithreads.report.build import write_report

REPO = Path(__file__).parents[2]
ARTIFACTS = REPO / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEED_PAGE = "threads/lemmygrad.ml-9137482.html"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the lemmy-v3 fixtures: the seed thread and the 420-comment thread."""
    out = tmp_path_factory.mktemp("report")
    snapshots = pipeline.load_snapshots([REPO / "fixtures" / "lemmy-v3"], out / "data")
    tables = pipeline.analyze(snapshots, bucket="1h")
    write_report(tables, out, bucket="1h")
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


def open_page(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """Load a report page from disk, wait until vega-embed has drawn every chart."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(path.as_uri())
    page.wait_for_function(
        "() => [...document.querySelectorAll('div.vega')]"
        ".every(d => d.dataset.rendered || d.dataset.error)",
        timeout=20_000,
    )
    return page, problems


def expected_labels(spec: dict[str, Any]) -> list[str]:
    """The title and the x/y axis titles a spec asks for (layers included)."""
    labels = [spec["title"]["text"]]
    for part in [spec, *spec.get("layer", [])]:
        for channel in ("x", "y"):
            title = part.get("encoding", {}).get(channel, {}).get("title")
            if title and title not in labels:
                labels.append(title)
    return labels


def check_charts(page: Any) -> int:
    """Every chart slot holds an SVG whose text shows its title and axis titles."""
    charts = page.evaluate(
        """() => [...document.querySelectorAll('script[data-chart]')].map(s => {
            const div = document.getElementById(s.dataset.chart);
            const svg = div.querySelector('svg');
            return {id: s.dataset.chart, spec: s.textContent, error: div.dataset.error || null,
                    text: svg ? svg.textContent : null,
                    marks: svg ? svg.querySelectorAll('path, rect, line').length : 0};
        })"""
    )
    for chart in charts:
        assert chart["error"] is None, chart["id"]
        assert chart["text"] is not None, f"{chart['id']}: no SVG"
        assert chart["marks"] > 0, chart["id"]
        for label in expected_labels(json.loads(chart["spec"])):
            assert label in chart["text"], f"{chart['id']}: {label!r} not drawn"
    return len(charts)


def test_the_seed_thread_page_draws_every_chart(browser: Any, report: Path) -> None:
    """Six charts with titles and axis labels, no console errors; a screenshot is saved."""
    page, problems = open_page(browser, report / SEED_PAGE)

    drawn = check_charts(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-seed.png"), full_page=False)

    assert drawn == 6
    assert problems == []
    assert "LittleSpoon@lemmygrad.ml" in page.inner_text("pre.tree")
    assert (ARTIFACTS / "report-seed.png").stat().st_size > 10_000
    page.close()


def test_the_index_draws_every_chart_and_sorts_its_table(browser: Any, report: Path) -> None:
    """The corpus charts render; clicking a column header sorts the thread table."""
    page, problems = open_page(browser, report / "index.html")

    drawn = check_charts(page)
    page.click("table.sortable th:has-text('comments_collected')")
    ascending = page.eval_on_selector_all(
        "table.sortable tbody tr", "rows => rows.map(r => r.cells[0].textContent)"
    )
    page.click("table.sortable th:has-text('comments_collected')")
    descending = page.eval_on_selector_all(
        "table.sortable tbody tr", "rows => rows.map(r => r.cells[0].textContent)"
    )

    assert drawn == 6
    assert problems == []
    assert ascending == ["lemmygrad.ml/post/9137482", "lemmy.ca/post/41872305"]
    assert descending == list(reversed(ascending))
    page.close()


def test_the_big_thread_page_draws_its_icicle(browser: Any, report: Path) -> None:
    """The 420-comment thread's shape chart draws one rectangle per node, the post too."""
    page, problems = open_page(browser, report / "threads" / "lemmy.ca-41872305.html")

    check_charts(page)
    rects = page.eval_on_selector_all(
        "#chart-shape svg path[aria-roledescription]", "n => n.length"
    )

    assert problems == []
    assert rects >= 1
    page.close()
