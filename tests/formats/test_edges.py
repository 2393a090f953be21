"""export --format edges: the reply and author graphs by hand, read back by networkx."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import polars as pl
from msgspec.structs import replace
from polars.testing import assert_frame_equal

from fedithreads.formats.edges import write_edges
from fedithreads.formats.graphml import write_graphml
from tests.factories import comment, hand_thread
from tests.formats.conftest import analysed, of_fixtures

POST, C = "a.example/post/100", "a.example/comment/{}".format
U = "https://{}.example/u/{}".format


def test_the_hand_threads_reply_graph_is_its_tree(tmp_path: Path) -> None:
    """Eight edges, each comment → its parent (the post at top level), in the edge lists
    and in the GraphML, whose nodes carry kind, depth, author and score."""
    p, comments = hand_thread()

    write_edges(analysed([p], comments), tmp_path)

    edges = pl.read_parquet(tmp_path / "reply_edges.parquet")
    assert set(edges.select("source", "target").iter_rows()) == {
        (C(1), POST), (C(2), C(1)), (C(3), C(1)), (C(4), C(2)),
        (C(5), POST), (C(6), C(5)), (C(7), C(6)), (C(8), POST),
    }  # fmt: skip
    row = edges.filter(pl.col("source") == C(4)).row(0, named=True)
    assert (row["depth"], row["author_ap_id"], row["target_author_ap_id"]) == (
        3,
        U("a", "alice"),
        U("b", "bob"),
    )
    csv = pl.read_csv(tmp_path / "reply_edges.csv", try_parse_dates=True, schema=edges.schema)
    assert_frame_equal(csv, edges)
    graph = nx.read_graphml(tmp_path / "reply_graph.graphml")
    assert set(graph.edges) == set(edges.select("source", "target").iter_rows())
    assert nx.is_arborescence(graph.reverse())
    assert graph.nodes[POST] == {
        "instance": "a.example", "post_id": 100, "kind": "post", "collected": True,
        "depth": 0, "author_ap_id": U("a", "op"), "published": "2026-01-01T00:00:00.000000Z",
        "score": 10, "deleted": False, "removed": False,
    }  # fmt: skip
    assert graph.nodes[C(5)]["score"] == -2


def test_the_hand_threads_author_graph_is_weighted_by_replies(tmp_path: Path) -> None:
    """bob answers alice twice (a second thread) and himself once: the edge bob → alice
    weighs 2 over 2 threads, bob → bob is a loop; every author is a node."""
    p, comments = hand_thread()
    more = [
        replace(p, post_id=200),
        comment(21, "0.21", post_id=200),
        comment(22, "0.21.22", post_id=200, author="bob", host="b.example"),
        comment(23, "0.21.22.23", post_id=200, author="bob", host="b.example"),
    ]

    write_edges(analysed([p, more[0]], [*comments, *more[1:]]), tmp_path)

    edges = pl.read_parquet(tmp_path / "author_edges.parquet")
    weights = {(s, t): (w, n) for _, s, t, w, n in edges.iter_rows()}
    assert weights[U("b", "bob"), U("a", "alice")] == (2, 2)
    assert weights[U("b", "bob"), U("b", "bob")] == (1, 1)
    assert weights[U("a", "alice"), U("a", "op")] == (2, 2)  # #1, and #21 in post 200
    assert len(weights) == 9
    assert_frame_equal(pl.read_csv(tmp_path / "author_edges.csv"), edges)
    graph = nx.read_graphml(tmp_path / "author_graph.graphml")
    assert graph.number_of_nodes() == 6
    assert graph.edges[U("b", "bob"), U("a", "alice")]["weight"] == 2
    # the factories' records show no flags: null values are left out
    assert graph.nodes[U("c", "erin")] == {"author": "erin@c.example", "host": "c.example"}


def test_a_placeholder_keeps_an_orphans_thread_one_tree(tmp_path: Path) -> None:
    """Comment 4 answers 3, which was never collected: 3 is a node (collected false, no
    author) answering 1, and the graph is still a tree under the post."""
    p, comments = hand_thread()
    kept = [c for c in comments if c.comment_id != 2]

    write_edges(analysed([p], kept), tmp_path)

    graph = nx.read_graphml(tmp_path / "reply_graph.graphml")
    assert graph.nodes[C(2)]["collected"] is False
    assert "author_ap_id" not in graph.nodes[C(2)]
    assert list(graph.successors(C(4))) == [C(2)]
    assert nx.is_arborescence(graph.reverse())


def test_text_graphml_cannot_hold_is_escaped_or_replaced(tmp_path: Path) -> None:
    """Markup characters, quotes, newlines and a control character in ids and values
    read back as written (the control character as U+FFFD)."""
    hostile = 'a<b>&"c"\nd\x01e'
    nodes = pl.DataFrame({"node": [hostile, "x"], "label": [hostile, None]})
    edges = pl.DataFrame({"source": [hostile], "target": ["x"], "weight": [1.5]})

    write_graphml(tmp_path / "g.graphml", nodes, edges, "hostile")

    graph = nx.read_graphml(tmp_path / "g.graphml")
    cleaned = hostile.replace("\x01", "\ufffd")
    assert graph.nodes[cleaned] == {"label": cleaned}
    assert graph.nodes["x"] == {}
    assert graph.edges[cleaned, "x"] == {"weight": 1.5}


def test_every_fixture_thread_gives_one_tree_per_thread(tmp_path: Path) -> None:
    """The bundled captures: one reply edge per comment collected (and placeholder), one
    tree per thread; the author graph's weights sum to the replies whose target is known."""
    tables = of_fixtures()

    write_edges(tables, tmp_path)

    graph = nx.read_graphml(tmp_path / "reply_graph.graphml")
    threads = tables["thread_stats"].filter(pl.col("scope") == "instance").height
    assert nx.number_weakly_connected_components(graph) == threads
    assert nx.is_branching(graph.reverse())
    replies = pl.read_parquet(tmp_path / "reply_edges.parquet")
    assert replies.filter("collected").height == tables["comments"].height
    known = replies.filter(pl.col("collected") & pl.col("target_author_ap_id").is_not_null())
    assert pl.read_parquet(tmp_path / "author_edges.parquet")["weight"].sum() == known.height
