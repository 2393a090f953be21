"""show on a deep thread: no recursion limit, indentation capped, output linear in size."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fedithreads.cli.main import main
from fedithreads.core.rows import comments_frame, posts_frame
from fedithreads.storage.tables import append_snapshots
from tests.factories import chain, post

DEPTH = 600


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding post 100 and a reply chain 600 deep."""
    data = tmp_path_factory.mktemp("deep")
    append_snapshots(data, "run-1", "posts", posts_frame([post(comments=DEPTH)]))
    append_snapshots(data, "run-1", "comments", comments_frame(chain(DEPTH)))
    return data


def test_show_stops_indenting_and_marks_each_deeper_reply_with_its_depth(deep: Path) -> None:
    """At 100 columns guide lines stop after (100 − 40) / 3 = 20 levels: replies 21 and
    deeper start at column 57 like reply 20, each headed "[depth N]", and the text is
    linear in the thread (under 300 bytes a comment; it was quadratic)."""
    result = run("show", "100", "--data-dir", deep, "--width", "100")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    headers = [line for line in lines if "─ " in line and "@a.example" in line]
    assert len(headers) == DEPTH
    assert [h.index("└─") for h in headers[18:22]] == [54, 57, 57, 57]
    assert "[depth" not in headers[19]
    assert headers[20].startswith(" " * 57 + "└─ [depth 21] alice@a.example")
    assert headers[-1].startswith(" " * 57 + "└─ [depth 600] bob@a.example")
    assert len(result.stdout.encode()) < 300 * DEPTH


def test_show_json_writes_a_600_deep_chain_without_recursion(deep: Path) -> None:
    """The nested JSON of 600 replies, each in the one before (json.dumps raised
    RecursionError); nesting past 40 levels is not indented further."""
    result = run("show", "100", "--data-dir", deep, "--format", "json")

    assert result.exit_code == 0, result.stderr
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)  # only to read it back here: json.loads recurses too
    try:
        tree = json.loads(result.stdout)
    finally:
        sys.setrecursionlimit(limit)
    ids, level = [], tree["comments"]
    while level:
        (node,) = level
        ids.append(node["comment_id"])
        level = node["replies"]
    assert ids == list(range(1, DEPTH + 1))
    assert max(len(line) - len(line.lstrip(" ")) for line in result.stdout.splitlines()) == 40
