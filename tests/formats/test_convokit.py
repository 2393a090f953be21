"""export --format convokit: a corpus directory in ConvoKit 5's format, by hand and loaded.

ConvoKit itself is not in the dev extra: convokit 5.0.0 requires sentence-transformers,
hence torch and the CUDA 13 wheels (several GB) and spaCy, none of which loading a corpus
uses. ``check_corpus`` reads the files as ConvoKit 5's loader reads them
(``convokit/model/corpus_helpers.py`` and ``convoKitIndex.py``: the keys of an utterance
line, ``{id: {"meta", "vectors"}}`` objects, the index's type names, ``reply-to`` within a
conversation); ``test_convokit_itself_loads_the_corpus`` loads it with the real package
where it is installed (``pip install --no-deps convokit==5.0.0`` with numpy, pandas,
scipy, scikit-learn, tqdm, pymongo, pyyaml, requests and dill is enough).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fedithreads.analysis.pseudonyms import pseudonymise
from fedithreads.formats.convokit import NOT_COLLECTED, write_corpus
from tests.factories import T0, comment, hand_thread
from tests.formats.conftest import analysed, of_fixtures

UTTERANCE_KEYS = {"id", "conversation_id", "text", "speaker", "meta", "reply-to", "timestamp"}
INDEXES = ("utterances-index", "speakers-index", "conversations-index", "overall-index")


def load(directory: Path, name: str) -> Any:
    return json.loads((directory / name).read_text())


def check_corpus(directory: Path) -> dict[str, dict[str, Any]]:
    """Assert what ConvoKit's loader needs of the five files; the utterances by id."""
    lines = (directory / "utterances.jsonl").read_text().splitlines()
    utterances = {u["id"]: u for u in map(json.loads, lines)}
    speakers, conversations = (
        load(directory, "speakers.json"),
        load(directory, "conversations.json"),
    )
    index = load(directory, "index.json")
    assert len(utterances) == len(lines)
    assert set(index) == {*INDEXES, "version", "vectors"}
    metas = {
        "utterances-index": [u["meta"] for u in utterances.values()],
        "speakers-index": [s["meta"] for s in speakers.values()],
        "conversations-index": [c["meta"] for c in conversations.values()],
        "overall-index": [load(directory, "corpus.json")],
    }
    for name, values in metas.items():
        for meta in values:
            assert {k: str(type(v)) in index[name][k] for k, v in meta.items()} == dict.fromkeys(
                index[name], True
            )
    for u in utterances.values():
        assert set(u) == {*UTTERANCE_KEYS, "vectors"}
        assert isinstance(u["text"], str)
        assert u["speaker"] in speakers
        parent = u["reply-to"]
        if parent is None:
            assert u["id"] == u["conversation_id"]
        else:
            assert utterances[parent]["conversation_id"] == u["conversation_id"]
    assert set(conversations) == {u["conversation_id"] for u in utterances.values()}
    return utterances


def test_the_hand_thread_is_one_conversation_with_reply_to_from_the_tree(tmp_path: Path) -> None:
    """tests/factories.hand_thread: the post and 8 comments, each answering its parent,
    with its author, time, text and meta; the deleted comment's text is empty."""
    p, comments = hand_thread()

    write_corpus(analysed([p], comments), tmp_path, pseudonymised=False)
    utterances = check_corpus(tmp_path)

    post, c = "a.example/post/100", "a.example/comment/{}".format
    assert {k: u["reply-to"] for k, u in utterances.items()} == {
        post: None,
        c(1): post, c(2): c(1), c(3): c(1), c(4): c(2),
        c(5): post, c(6): c(5), c(7): c(6), c(8): post,
    }  # fmt: skip
    assert {u["conversation_id"] for u in utterances.values()} == {post}
    assert utterances[c(4)]["speaker"] == "https://a.example/u/alice"
    assert utterances[c(4)]["timestamp"] == int((T0 + timedelta(minutes=50)).timestamp())
    assert utterances[c(4)]["text"] == "comment 4"
    assert utterances[c(6)]["text"] == ""
    assert utterances[c(1)]["meta"] == {
        "kind": "comment", "instance": "a.example", "post_id": 100, "comment_id": 1,
        "ap_id": "https://a.example/comment/1", "collected": True, "depth": 1, "score": 4,
        "upvotes": 5, "downvotes": 1, "deleted": False, "removed": False,
    }  # fmt: skip
    assert (utterances[c(6)]["meta"]["deleted"], utterances[c(8)]["meta"]["removed"]) == (True,) * 2
    assert utterances[post]["meta"]["depth"] == 0
    speakers = load(tmp_path, "speakers.json")
    assert len(speakers) == 6
    assert speakers["https://b.example/u/bob"]["meta"]["author"] == "bob@b.example"
    thread = load(tmp_path, "conversations.json")[post]["meta"]
    assert (thread["title"], thread["complete"], thread["comments_collected"]) == (
        "Post 100",
        True,
        8,
    )
    assert load(tmp_path, "corpus.json")["pseudonymised"] is False


def test_orphans_and_a_missing_post_answer_placeholders(tmp_path: Path) -> None:
    """Comment 4 (path 0.1.3.4, neither 1 nor 3 collected) and 5, of a post not
    collected: placeholders for the post, 1 and 3 keep one tree, spoken by nobody known."""
    comments = [comment(4, "0.1.3.4", post_id=7), comment(5, "0.5", post_id=7)]

    write_corpus(analysed([], comments), tmp_path, pseudonymised=False)
    utterances = check_corpus(tmp_path)

    post, c = "a.example/post/7", "a.example/comment/{}".format
    reply_to = {k: u["reply-to"] for k, u in utterances.items()}
    assert reply_to == {post: None, c(1): post, c(3): c(1), c(4): c(3), c(5): post}
    placeholders = {k for k, u in utterances.items() if not u["meta"]["collected"]}
    assert placeholders == {post, c(1), c(3)}
    assert {utterances[k]["speaker"] for k in placeholders} == {NOT_COLLECTED}
    assert {utterances[k]["timestamp"] for k in placeholders} == {None}
    assert NOT_COLLECTED in load(tmp_path, "speakers.json")


def test_every_fixture_thread_makes_a_corpus_in_convokits_format(tmp_path: Path) -> None:
    """The bundled captures (three dialects, several instances): one utterance per post
    and comment, every file as ConvoKit's loader reads it."""
    tables = of_fixtures()

    write_corpus(tables, tmp_path, pseudonymised=False)
    utterances = check_corpus(tmp_path)

    kinds = [u["meta"]["kind"] for u in utterances.values() if u["meta"]["collected"]]
    assert kinds.count("post") == tables["posts"].height
    assert kinds.count("comment") == tables["comments"].height


def test_convokit_itself_loads_the_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``convokit.Corpus(filename=DIR)`` reads the fixtures' corpus, pseudonymised: every
    utterance, speaker and conversation, reply-to as written, each conversation one tree."""
    convokit = pytest.importorskip(
        "convokit",
        reason="convokit 5.0.0 pulls torch, CUDA and spaCy, so it is in no extra; "
        "check_corpus reads the files as its loader does (see the module docstring)",
    )
    monkeypatch.setenv("HOME", str(tmp_path))  # ConvoKit writes ~/.convokit/config.yml
    tables = pseudonymise(of_fixtures(), b"a key of sixteen+ characters")
    write_corpus(tables, tmp_path / "corpus", pseudonymised=True)
    written = check_corpus(tmp_path / "corpus")

    corpus = convokit.Corpus(filename=str(tmp_path / "corpus"))

    assert {u.id: u.reply_to for u in corpus.iter_utterances()} == {
        k: u["reply-to"] for k, u in written.items()
    }
    assert len(corpus.speakers) == len(load(tmp_path / "corpus", "speakers.json"))
    assert all(c.check_integrity(verbose=False) for c in corpus.iter_conversations())
    assert corpus.meta["pseudonymised"] is True
