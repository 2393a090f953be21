"""The languages each instance's /site lists: read leniently, kept per run in the
``languages`` table, and turned into each post's and comment's ``language`` code."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fedithreads.analysis import pipeline
from fedithreads.dialects.meta import PiefedSite, V3Site, V4Site
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for

QUICK = (60_000, 60)
UND = {"id": 0, "code": "und", "name": "Undetermined"}
EN = {"id": 37, "code": "en", "name": "English"}


def test_each_dialect_site_lists_its_languages() -> None:
    """Lemmy's /site keeps them at the top level (v3 and v4), PieFed's under ``site``."""
    assert V3Site.model_validate({"all_languages": [UND, EN]}).languages() == (
        (0, "und", "Undetermined"),
        (37, "en", "English"),
    )
    assert V4Site.model_validate({"all_languages": [EN]}).languages() == ((37, "en", "English"),)
    assert PiefedSite.model_validate({"site": {"all_languages": [EN]}}).languages() == (
        (37, "en", "English"),
    )


@pytest.mark.parametrize(
    "listed",
    [None, "en", [None, 3, "en", {"id": "1", "code": "x"}, {"id": True, "code": "x"}, {"id": 2}]],
)
def test_a_list_of_languages_written_oddly_is_read_for_what_it_holds(listed: object) -> None:
    """Not a list, or entries without an integer id and a code: those are left out (the
    name may be missing), and the document, with its version, still reads."""
    doc = {"version": "0.19.3", "all_languages": listed}
    if isinstance(listed, list):
        doc["all_languages"] = [*listed, {"id": 5, "code": "de"}]

    site = V3Site.model_validate(doc)

    assert site.version == "0.19.3"
    assert site.languages() == (((5, "de", ""),) if isinstance(listed, list) else ())


@pytest.mark.parametrize("dialect", ["lemmy-v3", "lemmy-v4", "piefed"])
def test_a_collected_thread_has_the_language_code_its_instance_lists(
    tmp_path: Path, dialect: str
) -> None:
    """After a run, ``languages`` holds the host's list, and every post and comment
    analysed has the code its number has there ("und" for the synthetic threads)."""
    thread = generate_thread(3, instance="lemmy.ca", n_comments=40, dialect=dialect)
    dataset = ReplayDataset.from_threads([thread])
    with ReplayServer(
        dataset, dialect=dialect, quirks=Quirks(published_rate_limit=QUICK)
    ) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/{thread.post.post_id}")

    assert report.ok
    listed = read_table(tmp_path, "languages")
    number = 1 if dialect == "piefed" else 0
    assert listed.select("instance", "language_id", "code", "run_id").rows() == [
        (server.instance, number, "und", report.run_id)
    ]
    tables = pipeline.analyze(pipeline.load_snapshots([], tmp_path), bucket="1h")
    comments, posts = tables["comments"], tables["posts"]
    assert comments.height == 40
    assert comments.select("language_id", "language").unique().rows() == [(number, "und")]
    assert posts.select("language_id", "language").rows() == [(number, "und")]


def test_without_a_list_the_code_is_null_and_the_latest_list_wins(tmp_path: Path) -> None:
    """A number no list names, or an instance whose /site listed nothing, has no code;
    of two runs' lists the later one gives it."""
    rows = pl.DataFrame(
        {
            "instance": ["a.example", "a.example", "a.example"],
            "language_id": [37, 37, 0],
            "code": ["xx", "en", "und"],
            "name": ["old", "English", "Undetermined"],
            "collected_at": pl.Series(
                ["2026-01-01", "2026-02-01", "2026-01-01"], dtype=pl.String
            ).str.to_datetime(time_unit="us", time_zone="UTC"),
            "run_id": ["r1", "r2", "r1"],
        }
    )

    codes = pipeline.language_codes(rows.lazy()).sort("language_id")

    assert codes.rows() == [("a.example", 0, "und"), ("a.example", 37, "en")]


def test_saved_responses_take_their_codes_from_a_saved_site_answer() -> None:
    """analyze of the fixtures: a capture with its /site answer (the big thread on three
    instances, the seed thread) gets the codes it lists; one without (a real capture of
    comment pages alone) keeps its numbers and has no code."""
    fixtures = Path(__file__).resolve().parents[2] / "fixtures"

    comments = pipeline.analyze(pipeline.load_snapshots([fixtures], None), bucket="1h")["comments"]

    coded = comments.group_by("instance").agg(pl.col("language").unique()).sort("instance")
    got = dict(zip(coded["instance"], coded["language"].to_list(), strict=True))
    assert got["lemmy.ca"] == got["lemmy.ml"] == got["piefed.social"] == ["und"]
    assert got["lemmygrad.ml"] == ["und"]
    assert got["test1.lemmy.ddenis.info"] == [None]
    real = comments.filter(pl.col("instance") == "test1.lemmy.ddenis.info")
    assert real["language_id"].to_list() == [0]
