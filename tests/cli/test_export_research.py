"""export --format convokit|edges and --pseudonymise on export and report, as the README's
"Using the data elsewhere" shows them."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import networkx as nx
import polars as pl
import pytest
from click.testing import CliRunner, Result

from fedithreads.analysis.pseudonyms import KEY_ENV
from fedithreads.cli.main import main
from fedithreads.core.schema import TABLES

REPO = Path(__file__).parents[2]
SEED = REPO / "fixtures" / "lemmy-v3" / "seed-lemmygrad"
REAL = REPO / "fixtures" / "real"
KEY = "correct horse battery staple"
SEED_AUTHOR = "LittleSpoon"


def run(*args: str | Path, key: str | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env={KEY_ENV: key})


def pseudonym(handle: str) -> str:
    """u + 16 hex digits of HMAC-SHA256(key, the handle in lower case), by hand."""
    digest = hmac.new(KEY.encode(), handle.lower().encode(), hashlib.sha256).hexdigest()
    return f"u{digest[:16]}"


def every_text(directory: Path) -> str:
    """Every file under ``directory`` as text: Parquet files as their rows."""
    texts = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            texts.append(pl.read_parquet(path).write_csv())
        else:
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def test_export_convokit_writes_the_seed_thread_as_a_corpus(tmp_path: Path) -> None:
    """``export SOURCE --format convokit --out DIR``: the seed thread's post and its one
    reply, by LittleSpoon, answering the post."""
    result = run("export", SEED, "--format", "convokit", "--out", tmp_path)

    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "conversations.json", "corpus.json", "index.json", "speakers.json", "utterances.jsonl",
    ]  # fmt: skip
    lines = [json.loads(line) for line in (tmp_path / "utterances.jsonl").read_text().splitlines()]
    post, reply = lines
    assert post["id"] == post["conversation_id"] == "lemmygrad.ml/post/9137482"
    assert reply["reply-to"] == post["id"]
    assert reply["speaker"] == f"https://lemmygrad.ml/u/{SEED_AUTHOR}"
    assert reply["text"].startswith("Great to see China and the DPRK")
    assert "wrote 5 convokit files" in result.stderr


def test_export_edges_writes_edge_lists_and_graphml(tmp_path: Path) -> None:
    """``export SOURCE --format edges --out DIR``: both graphs as Parquet, CSV and GraphML,
    the GraphML read by networkx as the README shows."""
    result = run("export", REAL, "--format", "edges", "--out", tmp_path)

    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "author_edges.csv", "author_edges.parquet", "author_graph.graphml",
        "reply_edges.csv", "reply_edges.parquet", "reply_graph.graphml",
    ]  # fmt: skip
    replies = nx.read_graphml(tmp_path / "reply_graph.graphml")
    authors = nx.read_graphml(tmp_path / "author_graph.graphml")
    edges = pl.read_parquet(tmp_path / "author_edges.parquet")
    assert replies.number_of_edges() == pl.read_csv(tmp_path / "reply_edges.csv").height > 0
    assert authors.number_of_edges() == edges.height > 0
    assert sum(w for *_, w in authors.edges(data="weight")) == edges["weight"].sum()


@pytest.mark.parametrize("command", ["export", "report"])
def test_pseudonymise_without_a_key_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    """No key in the environment: one line naming the variable, nothing written."""
    result = run(command, SEED, "--out", tmp_path / "out", "--pseudonymise")

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"{KEY_ENV} is not set" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", ["parquet", "convokit", "edges"])
def test_a_pseudonymised_export_names_nobody_and_repeats_with_the_same_key(
    tmp_path: Path, fmt: str
) -> None:
    """Every file of a pseudonymised export lacks the seed author's name (and the key)
    and has their pseudonym; a second export with the same key is the same, file by file."""
    first, second = tmp_path / "1", tmp_path / "2"
    for out in (first, second):
        result = run("export", SEED, "--format", fmt, "--out", out, "--pseudonymise", key=KEY)
        assert result.exit_code == 0, result.stderr

    text = every_text(first)
    assert KEY not in text + result.stdout + result.stderr
    assert SEED_AUTHOR.lower() not in text.lower()
    assert f"{pseudonym(f'{SEED_AUTHOR}@lemmygrad.ml')}@lemmygrad.ml" in text
    assert every_text(second) == text


def test_the_authors_table_is_exported_with_every_table(tmp_path: Path) -> None:
    """``export`` writes authors beside the other tables: the seed thread's two authors."""
    result = run("export", SEED, "--out", tmp_path)

    assert result.exit_code == 0, result.stderr
    authors = pl.read_parquet(tmp_path / "authors.parquet")
    assert dict(authors.schema) == TABLES["authors"]
    assert authors.filter(pl.col("comments") == 1)["author"].to_list() == [
        f"{SEED_AUTHOR}@lemmygrad.ml"
    ]
    assert authors["posts"].sum() == 1


def test_a_pseudonymised_report_names_nobody(tmp_path: Path) -> None:
    """``report --pseudonymise``: the thread page shows the pseudonym, never the name."""
    result = run("report", SEED, "--out", tmp_path, "--pseudonymise", key=KEY)

    assert result.exit_code == 0, result.stderr
    pages = [p.read_text() for p in tmp_path.rglob("*.html")]
    assert len(pages) == 2
    assert not any(SEED_AUTHOR.lower() in page.lower() for page in pages)
    assert any(pseudonym(f"{SEED_AUTHOR}@lemmygrad.ml") in page for page in pages)
