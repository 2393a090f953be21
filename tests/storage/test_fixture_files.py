"""The generated fixtures: reproducible byte for byte, loadable, and paged like a crawl."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from fedithreads.core.records import Page
from fedithreads.replay.encode.documents import decode_cursor
from fedithreads.storage.sources import Capture, load_captures

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
GENERATED = ["lemmy-v3/big-thread", "lemmy-v4/big-thread", "piefed/big-thread"]
SEED = "lemmy-v3/seed-lemmygrad"


def load_script() -> ModuleType:
    """scripts/make_fixtures.py as a module (scripts/ is not a package)."""
    path = REPO / "scripts" / "make_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_fixtures", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


make_fixtures = load_script()


def capture(where: str) -> Capture:
    (found,) = load_captures([FIXTURES / where])
    return found


def comment_pages(where: str) -> list[Page]:
    """The capture's comment-list pages, in crawl (file name) order."""
    return [p for p in capture(where).pages if p.endpoint == "comment/list"]


def test_generator_output_is_byte_identical_to_the_committed_files(tmp_path: Path) -> None:
    """Rerunning scripts/make_fixtures.py reproduces every committed generated file."""
    make_fixtures.main(["--out", str(tmp_path)])

    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(FIXTURES)
        for d in [*GENERATED, SEED]
        for p in (FIXTURES / d).iterdir()
        if p.is_file()
    )
    assert made == sorted([*committed, Path("GENERATED.md")])
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (FIXTURES / rel).read_bytes(), rel


@pytest.mark.parametrize("where", [*GENERATED, SEED])
def test_every_generated_directory_loads_as_one_capture(where: str) -> None:
    """Each directory is one capture whose provenance comes from its capture.toml."""
    meta = tomllib.loads((FIXTURES / where / "capture.toml").read_text(encoding="utf-8"))

    found = capture(where)

    assert {"instance", "collected_at", "server_version", "run_id", "source"} <= set(meta)
    assert (found.prov.instance, found.prov.server_version) == (
        meta["instance"],
        meta["server_version"],
    )
    assert sum(len(p.posts) for p in found.pages) == 1


@pytest.mark.parametrize("where", GENERATED)
def test_big_thread_holds_every_comment_of_the_synthetic_thread(where: str) -> None:
    """The pages hold exactly the generator's records, and the post its post."""
    dialect = where.split("/")[0]
    (thread,) = [t for s, t in make_fixtures.big_threads() if s.dialect == dialect]

    found = capture(where)

    comments = [c for p in found.pages for c in p.comments]
    assert sorted(comments, key=lambda c: c.comment_id) == list(thread.comments)
    assert [p for page in found.pages for p in page.posts] == [thread.post]


def test_big_threads_are_one_discussion_on_three_instances() -> None:
    """The three servings share every ap_id but not their local ids."""
    ap_ids = [{c.ap_id for p in capture(w).pages for c in p.comments} for w in GENERATED]
    ids = [{c.comment_id for p in capture(w).pages for c in p.comments} for w in GENERATED]

    assert ap_ids[0] == ap_ids[1] == ap_ids[2]
    assert len(ap_ids[0]) == 420
    assert not ids[0] & ids[1]
    assert not ids[1] & ids[2]


def test_v3_pages_are_full_until_the_last_and_put_distinguished_first() -> None:
    """Flat 0.19 paging: 50 rows a page until a short page; distinguished rows lead."""
    pages = comment_pages("lemmy-v3/big-thread")
    rows = [c for page in pages for c in page.comments]

    assert [len(p.comments) for p in pages[:-1]] == [50] * (len(pages) - 1)
    assert len(pages[-1].comments) < 50
    assert {p.next_page for p in pages} == {None}
    assert rows[0].distinguished
    assert [c.published for c in rows[1:]] == sorted(c.published for c in rows[1:])


def test_v4_pages_chain_by_cursor_until_next_page_is_absent() -> None:
    """v4: every full page's ``next_page`` points at its last row; the last page has none."""
    pages = comment_pages("lemmy-v4/big-thread")
    raw = json.loads((FIXTURES / "lemmy-v4/big-thread/comment-list__page-02.json").read_bytes())

    for page in pages[:-1]:
        assert page.next_page is not None
        assert decode_cursor(page.next_page) == (page.comments[-1].comment_id, False)
    assert pages[-1].next_page is None
    assert [len(p.comments) for p in pages[:-1]] == [50] * (len(pages) - 1)
    assert "prev_page" in raw


def test_piefed_pages_number_the_next_page_until_null() -> None:
    """PieFed: ``next_page`` is "2", "3", … and an explicit null on the last page."""
    pages = comment_pages("piefed/big-thread")
    last = json.loads((FIXTURES / "piefed/big-thread/comment-list__page-09.json").read_bytes())

    assert [p.next_page for p in pages] == [*(str(k) for k in range(2, len(pages) + 1)), None]
    assert [len(p.comments) for p in pages[:-1]] == [50] * (len(pages) - 1)
    assert last["next_page"] is None


def test_generated_md_states_the_counts_and_depths() -> None:
    """GENERATED.md gives each generated directory's comment count and maximum depth."""
    text = (FIXTURES / "GENERATED.md").read_text(encoding="utf-8")

    for where in [*GENERATED, SEED]:
        comments = [c for page in capture(where).pages for c in page.comments]
        deepest = max(c.path.count(".") for c in comments)
        row = next(line for line in text.splitlines() if line.startswith(f"| `{where}` |"))
        assert row.endswith(f"| {len(comments)} | {deepest} |")


def test_seed_thread_is_recognisable() -> None:
    """The seed: LittleSpoon@lemmygrad.ml, 9 upvotes, 10 days old, its exact words."""
    article, text = make_fixtures.read_seed(make_fixtures.SEED_TEXT)

    found = capture(SEED)

    (post,) = [p for page in found.pages for p in page.posts]
    (reply,) = [c for page in found.pages for c in page.comments]
    assert (post.community, post.body, post.comments) == ("worldnews@lemmygrad.ml", article, 1)
    assert (reply.author, reply.content, reply.upvotes, reply.downvotes) == (
        "LittleSpoon@lemmygrad.ml",
        text,
        9,
        0,
    )
    assert (found.prov.collected_at - reply.published) // timedelta(days=1) == 10
    assert "on Monday ." in article
    assert "“ China" in article
