"""A thread held by several instances in the report: its copies' chart and table."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from fedithreads.analysis import pipeline
from fedithreads.report.build import write_report
from fedithreads.report.chartdata import copies_frame
from fedithreads.report.fedchart import federation_chart
from fedithreads.report.pages import thread_file
from tests.conftest import collected_across

REAL = Path(__file__).parents[2] / "fixtures" / "real"
SINGLE = ("piefed.social", 2210082)


@dataclass(frozen=True)
class Report:
    """A report of a 3-instance thread and a single-copy one, and what it was made of."""

    out: Path
    federation: pl.DataFrame
    copies: dict[str, int]
    missing: dict[str, int]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    tmp = tmp_path_factory.mktemp("fedreport")
    with collected_across(tmp, 0.2, seed=8, comments=40) as fed:
        copies = {m.key: m.post_ids[0] for m in fed.members}
        missing = {m.key: len(m.missing) for m in fed.members}
    sources = [tmp / "data", REAL / "piefed-social-comments"]
    tables = pipeline.analyze(pipeline.load_snapshots(sources, tmp / "data"), bucket="1h")
    write_report(tables, tmp / "out", bucket="1h", png=True)
    return Report(tmp / "out", tables["federation"], copies, missing)


def page(report: Report, instance: str, post_id: int) -> str:
    return (report.out / thread_file(instance, post_id)).read_text()


def copies_table(text: str) -> list[list[str]]:
    """The cells (their sort values) of the table under the copies' heading."""
    section = text.split("<h2>This thread on", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], re.S)
    return [[html.unescape(v) for v in re.findall(r'data-v="([^"]*)"', r)] for r in rows]


def test_every_copys_page_has_the_federation_chart_and_its_png(report: Report) -> None:
    """Each of the three copies' pages draws the copies; its PNG is written too."""
    for instance, post_id in report.copies.items():
        text = page(report, instance, post_id)
        assert "<h2>This thread on 3 instances</h2>" in text
        assert 'data-chart="chart-federation"' in text
        stem = thread_file(instance, post_id).removeprefix("threads/").removesuffix(".html")
        assert (report.out / "png" / f"{stem}-federation.png").stat().st_size > 0


def test_a_single_copy_thread_has_no_federation_section(report: Report) -> None:
    """A thread held by one instance has no copies' chart or table."""
    text = page(report, *SINGLE)

    assert "This thread on" not in text
    assert "chart-federation" not in text
    assert not list((report.out / "png").glob("piefed.social-*-federation.png"))


def test_the_copies_table_holds_the_federation_tables_numbers(report: Report) -> None:
    """Row by row, home first: instance, home, collected, gaps, score, downvotes."""
    home = next(iter(report.copies))
    fed = report.federation.sort(pl.col("instance") != home, "instance")
    columns = [
        "comments_collected", "missing_vs_union", "missing_vs_home", "extra_vs_home",
        "score", "downvotes",
    ]  # fmt: skip
    expected = [
        [r["instance"], str(int(r["is_home"])), *(str(r[c]) for c in columns)]
        for r in fed.iter_rows(named=True)
    ]

    for instance, post_id in report.copies.items():
        assert copies_table(page(report, instance, post_id)) == expected
    assert [int(row[3]) for row in expected] == [report.missing[r[0]] for r in expected]
    assert expected[0][1] == "1"
    assert expected[0][4] == "0"


def test_the_other_copies_link_to_their_pages_and_this_one_does_not(report: Report) -> None:
    """In a copy's table, the instance cells of the other copies are links."""
    mirror, post_id = list(report.copies.items())[1]
    section = page(report, mirror, post_id).split("<h2>This thread on", 1)[1]
    section = section.split("</table>", 1)[0]

    for instance, other in report.copies.items():
        link = f'<a href="../{thread_file(instance, other)}">{instance}</a>'
        assert (link in section) is (instance != mirror)


def test_copies_frame_marks_home_and_page_and_splits_against_home() -> None:
    """Worked by hand: home holds 5; a mirror 4 of which 1 is not at home; union 6."""
    federation = pl.DataFrame(
        {
            "instance": ["b.example", "a.example", "c.example"],
            "post_id": [7, 1, None],
            "is_home": [False, True, False],
            "found": [True, True, False],
            "comments_collected": [4, 5, None],
            "comments_union": [6, 6, 6],
            "extra_vs_home": [1, 0, None],
        }
    )

    frame = copies_frame(federation, "b.example", 7)

    assert frame is not None
    assert frame["copy"].to_list() == ["a.example (home)", "b.example (this page)"]
    assert frame["comments_home"].to_list() == [5, 5]
    assert frame["shared_with_home"].to_list() == [5, 3]
    assert copies_frame(federation.filter(pl.col("instance") != "b.example"), "a", 1) is None


def test_without_a_home_copy_the_chart_has_no_home_rule() -> None:
    """The home rule is drawn only when the home copy was collected."""
    federation = pl.DataFrame(
        {
            "instance": ["b.example", "c.example"],
            "post_id": [7, 9],
            "is_home": [False, False],
            "found": [True, True],
            "comments_collected": [4, 3],
            "comments_union": [5, 5],
            "extra_vs_home": [None, None],
        },
        schema_overrides={"extra_vs_home": pl.Int64},
    )
    frame = copies_frame(federation, "b.example", 7)
    assert frame is not None

    spec = federation_chart(frame).to_dict(validate=False)

    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert [r["encoding"]["x"]["field"] for r in rules] == ["comments_union"]
    assert "home not collected" in spec["title"]["subtitle"]
