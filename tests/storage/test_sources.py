"""Saved responses on disk: grouping into captures and where provenance comes from."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fedithreads.errors import SourceError
from fedithreads.storage.sources import load_captures

REAL = Path(__file__).parents[2] / "fixtures" / "real"


def copy(name: str, into: Path, as_name: str | None = None) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    src = next(REAL.glob(f"*/{name}"))
    return Path(shutil.copy(src, into / (as_name or name)))


def test_capture_toml_states_instance_time_version_and_run(tmp_path: Path) -> None:
    """Every provenance field can be given in capture.toml and is applied to each record."""
    copy("comment-list__test-instance.json", tmp_path)
    (tmp_path / "capture.toml").write_text(
        'instance = "lemmy.example"\ncollected_at = 2026-06-13T10:00:00+02:00\n'
        'server_version = "0.19.18"\nrun_id = "r7"\n',
        encoding="utf-8",
    )

    (capture,) = load_captures([tmp_path])

    record = capture.pages[0].comments[0]
    assert (record.instance, record.server_version, record.run_id) == (
        "lemmy.example",
        "0.19.18",
        "r7",
    )
    assert record.collected_at == datetime(2026, 6, 13, 8, tzinfo=UTC)


def test_without_capture_toml_the_instance_is_the_host_of_local_objects(tmp_path: Path) -> None:
    """Objects marked local name the serving instance; the file time is the capture time."""
    path = copy("comment-list__piefed-social-top.json", tmp_path)

    (capture,) = load_captures([path])

    assert capture.prov.instance == "piefed.social"
    assert capture.prov.dialect == "piefed"
    assert capture.prov.collected_at == datetime.fromtimestamp(path.stat().st_mtime, UTC)


def test_a_saved_site_response_gives_the_server_version(tmp_path: Path) -> None:
    """GET /site's version is used when capture.toml does not state one."""
    copy("comment-list__test-instance.json", tmp_path)
    (tmp_path / "site.json").write_text(json.dumps({"version": "0.19.18", "site_view": {}}))

    (capture,) = load_captures([tmp_path])

    assert capture.prov.server_version == "0.19.18"


def test_a_directory_of_unrelated_responses_splits_by_dialect_and_instance(tmp_path: Path) -> None:
    """Files from different servers in one directory become separate captures."""
    copy("comment-list__test-instance.json", tmp_path)
    copy("post-list__test-instance.json", tmp_path)
    copy("comment-list__handmade-v4-shape.json", tmp_path)
    copy("comment-list__piefed-social-top.json", tmp_path)

    captures = load_captures([tmp_path])

    assert sorted((c.prov.dialect, c.prov.instance, len(c.pages)) for c in captures) == [
        ("lemmy-v3", "test1.lemmy.ddenis.info", 2),
        ("lemmy-v4", "test1.lemmy.ddenis.info", 1),
        ("piefed", "piefed.social", 1),
    ]
    assert len({c.prov.run_id for c in captures}) == 3


def test_a_response_that_shows_no_instance_among_several_captures_is_an_error(
    tmp_path: Path,
) -> None:
    """Nothing local and several candidates: the error says how to fix it."""
    copy("comment-list__piefed-social-top.json", tmp_path)
    copy("comment-list__test-instance.json", tmp_path)
    copy("post-list__piefed-social.json", tmp_path)

    with pytest.raises(SourceError, match=r"post-list__piefed-social\.json: cannot tell which"):
        load_captures([tmp_path])


def test_no_local_objects_and_no_capture_toml_is_an_error(tmp_path: Path) -> None:
    """A lone response with nothing local asks for capture.toml's instance."""
    path = copy("post-list__piefed-social.json", tmp_path)

    with pytest.raises(SourceError, match=r'add instance = "host" to .*capture\.toml'):
        load_captures([path])


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('instance = "x"\nwhen = 1\n', "unknown key 'when'"),
        ("instance = 5\n", "instance must be a string"),
        ('collected_at = "yesterday"\n', "collected_at must be a TOML datetime with a zone"),
        ("collected_at = 2026-01-01T00:00:00\n", "with a zone"),
        ('dialect = "mastodon"\n', "dialect 'mastodon' is unknown"),
        ("instance = \n", "fix the TOML syntax"),
    ],
)
def test_capture_toml_mistakes_are_named(tmp_path: Path, toml: str, words: str) -> None:
    """Each mistake in capture.toml is one SourceError naming the file."""
    copy("comment-list__test-instance.json", tmp_path)
    (tmp_path / "capture.toml").write_text(toml, encoding="utf-8")

    with pytest.raises(SourceError) as caught:
        load_captures([tmp_path])

    assert str(caught.value).startswith(str(tmp_path / "capture.toml"))
    assert words in str(caught.value)


def test_invalid_json_names_file_and_position(tmp_path: Path) -> None:
    """A truncated save is reported with its line and column."""
    (tmp_path / "page.json").write_text('{"comments": [', encoding="utf-8")

    with pytest.raises(SourceError, match=r"page\.json: not valid JSON \(line 1 column 15\)"):
        load_captures([tmp_path])


def test_a_directory_without_json_is_an_error(tmp_path: Path) -> None:
    """Pointing at an empty directory says so."""
    with pytest.raises(SourceError, match=r"no \*\.json API responses found"):
        load_captures([tmp_path])


def test_a_saved_error_response_is_refused(tmp_path: Path) -> None:
    """An API error body saved by mistake is named, not parsed as an empty page."""
    (tmp_path / "post.json").write_text('{"error": "couldnt_find_post"}', encoding="utf-8")

    with pytest.raises(SourceError, match="an API error response"):
        load_captures([tmp_path])
