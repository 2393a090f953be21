"""Regenerate the generated fixture threads under fixtures/, byte-identical on every run.

    python scripts/make_fixtures.py [--out DIR]      (default: the repo's fixtures/)

* ``{lemmy-v3,lemmy-v4,piefed}/big-thread``: one synthetic discussion
  (``fedithreads.synth.generate``, 420 comments in a remote community) served by three instances,
  saved as the pages a complete flat crawl receives;
* ``lemmy-v3/seed-lemmygrad``: a reconstruction of the canonical seed thread
  (``fixtures/seed-text/``) as Lemmy 0.19 responses;
* ``GENERATED.md``: the comment count and maximum depth of each.

Every directory is one capture with a ``capture.toml``. Nothing here reads a clock.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fedithreads.core.records import CommentRecord, PostRecord, Provenance
from fedithreads.replay.encode.documents import Encoder, encode_cursor
from fedithreads.synth.generate import SynthThread, plan_thread, render_thread

REPO = Path(__file__).resolve().parent.parent
SEED_TEXT = REPO / "fixtures" / "seed-text" / "000_d428b1840756202e.txt"
LIMIT = 50
BIG_SEED = 20260727
BIG_START = datetime(2026, 7, 27, 15, 42, 19, 204118, tzinfo=UTC)


@dataclass(frozen=True)
class Server:
    """One serving instance of the big thread, with plausible local ids for mid-2026."""

    dialect: str
    instance: str
    version: str
    post_id: int
    comment_id_base: int
    site_created: datetime  # naive: read as UTC

    @property
    def created(self) -> datetime:
        return self.site_created.replace(tzinfo=UTC)


BIG_SERVERS = (
    Server("lemmy-v3", "lemmy.ca", "0.19.20", 41_872_305, 26_114_830, datetime(2020, 7, 2)),
    Server("lemmy-v4", "lemmy.ml", "1.0.0-beta.1", 33_507_118, 21_950_877, datetime(2019, 4, 8)),
    Server("piefed", "piefed.social", "1.7.0", 2_268_414, 12_403_590, datetime(2024, 1, 9)),
)


def capture_toml(comments: Sequence[str], meta: dict[str, str | datetime]) -> bytes:
    """A ``capture.toml``: ``#`` comment lines, then the keys (datetimes as UTC ``Z``)."""
    lines = [f"# {line}" if line else "#" for line in comments]
    for key, value in meta.items():
        if isinstance(value, datetime):
            lines.append(f"{key} = {value.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        else:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return ("\n".join(lines) + "\n").encode()


def v3_pages(enc: Encoder, thread: SynthThread) -> dict[str, bytes]:
    """``comment/list?post_id&type_=All&sort=Old&limit=50&page=N`` until a short page:
    0.19 puts distinguished comments first, then publish order (reference §2.2)."""
    ordered = sorted(thread.comments, key=lambda c: (not c.distinguished, c.published))
    pages = [ordered[i : i + LIMIT] for i in range(0, len(ordered), LIMIT)]
    if not pages or len(pages[-1]) == LIMIT:
        pages.append([])
    return {_page_name(k): enc.dumps(enc.comment_list(p, thread.post)) for k, p in enumerate(pages)}


def v4_pages(enc: Encoder, thread: SynthThread) -> dict[str, bytes]:
    """``/api/v4/comment/list?post_id&type_=all&sort=old&limit=50`` following ``next_page``:
    publish order only; ``next_page`` on full pages, ``prev_page`` after the first."""
    ordered = sorted(thread.comments, key=lambda c: c.published)
    out, k, prev_last = {}, 0, None
    while True:
        page = ordered[k * LIMIT : (k + 1) * LIMIT]
        nxt = encode_cursor(page[-1].comment_id) if len(page) == LIMIT else None
        back_to = page[0].comment_id if page else prev_last
        prev = encode_cursor(back_to, back=True) if k and back_to is not None else None
        doc = enc.comment_list(page, thread.post, next_page=nxt, prev_page=prev)
        out[_page_name(k)] = enc.dumps(doc)
        if nxt is None:
            return out
        k, prev_last = k + 1, page[-1].comment_id


def piefed_pages(enc: Encoder, thread: SynthThread) -> dict[str, bytes]:
    """``/api/alpha/comment/list?post_id&sort=Old&limit=50&page=N``: ``next_page`` is the
    next number while more rows remain, else null."""
    ordered = sorted(thread.comments, key=lambda c: c.published)
    total, out = len(ordered), {}
    for k in range(max(1, -(-total // LIMIT))):
        nxt = str(k + 2) if (k + 1) * LIMIT < total else None
        page = ordered[k * LIMIT : (k + 1) * LIMIT]
        out[_page_name(k)] = enc.dumps(enc.comment_list(page, thread.post, next_page=nxt))
    return out


PAGERS = {"lemmy-v3": v3_pages, "lemmy-v4": v4_pages, "piefed": piefed_pages}


def _page_name(index: int) -> str:
    return f"comment-list__page-{index + 1:02d}.json"


def big_threads() -> list[tuple[Server, SynthThread]]:
    """The one big discussion, rendered for each of ``BIG_SERVERS``."""
    plan = plan_thread(
        BIG_SEED,
        start=BIG_START,
        id_bases={s.instance: s.comment_id_base for s in BIG_SERVERS},
        post_ids={s.instance: s.post_id for s in BIG_SERVERS},
    )
    return [
        (
            s,
            render_thread(
                plan,
                instance=s.instance,
                dialect=s.dialect,
                server_version=s.version,
                run_id=f"fixtures/{s.dialect}/big-thread",
            ),
        )
        for s in BIG_SERVERS
    ]


def big_thread_files(server: Server, thread: SynthThread) -> dict[str, bytes]:
    enc = Encoder(
        server.instance,
        server.dialect,
        server.version,
        moderators={thread.post.community_ap_id: thread.moderators},
    )
    files = {"site.json": enc.dumps(enc.site(created=server.created))}
    files["post.json"] = enc.dumps(enc.get_post(thread.post))
    files.update(PAGERS[server.dialect](enc, thread))
    note = [
        f"GENERATED by scripts/make_fixtures.py (fedithreads.synth seed {BIG_SEED}): not server",
        f"output. One synthetic discussion in !{thread.post.community}, as {server.instance}",
        f"({server.dialect} {server.version}) serves it, paged as a complete flat crawl",
        f"receives it ({LIMIT} per page). Do not edit: rerun the script.",
    ]
    meta: dict[str, str | datetime] = {
        "instance": server.instance,
        "collected_at": thread.post.collected_at,
        "server_version": server.version,
        "dialect": server.dialect,
        "run_id": f"fixtures/{server.dialect}/big-thread",
        "source": "synthetic (scripts/make_fixtures.py, see fixtures/GENERATED.md)",
    }
    files["capture.toml"] = capture_toml(note, meta)
    return files


SEED_INSTANCE = "lemmygrad.ml"
SEED_VERSION = "0.19.13"
SEED_COLLECTED = datetime(2025, 10, 10, 11, 30, tzinfo=UTC)
SEED_POST_ID = 9_137_482
SEED_COMMENT_ID = 7_046_913
SEED_TITLE = "Wang Yi tells Choe Son-hui that ties with the DPRK are an unwavering priority"
SEED_POSTER = "news_poster"  # placeholder: the seed does not name the poster


def read_seed(path: Path) -> tuple[str, str]:
    """(article, comment) of the seed text: the article's paragraphs joined by a blank
    line (trailing whitespace trimmed), and the one comment's text after its header."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("• "))
    paragraphs = [line.rstrip() for line in lines[:header] if line.strip()]
    comment = next(line.strip() for line in reversed(lines) if line.strip())
    return "\n\n".join(paragraphs), comment


def seed_thread(path: Path) -> tuple[PostRecord, CommentRecord]:
    """The reconstructed seed thread as lemmygrad.ml (downvotes disabled) serves it."""
    article, text = read_seed(path)
    host = f"https://{SEED_INSTANCE}"
    prov = Provenance(
        SEED_INSTANCE, "lemmy-v3", SEED_VERSION, SEED_COLLECTED, "fixtures/lemmy-v3/seed-lemmygrad"
    )
    published = datetime(2025, 9, 30, 8, 12, 37, 540112, tzinfo=UTC)
    post = PostRecord(
        post_id=SEED_POST_ID,
        ap_id=f"{host}/post/{SEED_POST_ID}",
        community=f"worldnews@{SEED_INSTANCE}",
        community_ap_id=f"{host}/c/worldnews",
        author=f"{SEED_POSTER}@{SEED_INSTANCE}",
        author_ap_id=f"{host}/u/{SEED_POSTER}",
        title=SEED_TITLE,
        url=None,
        body=article,
        published=datetime(2025, 9, 29, 13, 4, 51, 318204, tzinfo=UTC),
        updated=None,
        deleted=False,
        removed=False,
        locked=False,
        nsfw=False,
        language_id=0,  # Lemmy's "undetermined", as the page served it
        featured=False,
        comments=1,
        score=23,
        upvotes=23,
        downvotes=0,
        newest_comment_time=published,
        instance=prov.instance,
        dialect=prov.dialect,
        server_version=prov.server_version,
        collected_at=prov.collected_at,
        run_id=prov.run_id,
    )
    comment = CommentRecord(
        comment_id=SEED_COMMENT_ID,
        post_id=SEED_POST_ID,
        ap_id=f"{host}/comment/{SEED_COMMENT_ID}",
        post_ap_id=post.ap_id,
        path=f"0.{SEED_COMMENT_ID}",
        author=f"LittleSpoon@{SEED_INSTANCE}",
        author_ap_id=f"{host}/u/LittleSpoon",
        content=text,
        published=published,
        updated=None,
        deleted=False,
        removed=False,
        distinguished=False,
        language_id=0,
        score=9,
        upvotes=9,
        downvotes=0,
        child_count=0,
        instance=prov.instance,
        dialect=prov.dialect,
        server_version=prov.server_version,
        collected_at=prov.collected_at,
        run_id=prov.run_id,
    )
    return post, comment


def seed_files(path: Path) -> dict[str, bytes]:
    post, comment = seed_thread(path)
    enc = Encoder(
        SEED_INSTANCE,
        "lemmy-v3",
        SEED_VERSION,
        downvotes=False,
        community_titles={post.community_ap_id: "World News"},
    )
    note = [
        "RECONSTRUCTION by scripts/make_fixtures.py, not a capture: the canonical seed thread",
        "(fixtures/seed-text/000_d428b1840756202e.txt: a lemmygrad.ml post and one reply by",
        "LittleSpoon, 9 upvotes, '10 days ago') rebuilt as Lemmy 0.19 responses. The seed",
        "shows no title, poster, ids, times or post votes: the title is reconstructed from the",
        f"article, the poster is the placeholder {SEED_POSTER}, ids and times are plausible",
        "inventions; lemmygrad.ml has downvotes disabled. Do not edit: rerun the script.",
    ]
    meta: dict[str, str | datetime] = {
        "instance": SEED_INSTANCE,
        "collected_at": SEED_COLLECTED,
        "server_version": SEED_VERSION,
        "dialect": "lemmy-v3",
        "run_id": "fixtures/lemmy-v3/seed-lemmygrad",
        "source": "reconstruction of the seed thread; title and poster are not in the seed",
    }
    return {
        "capture.toml": capture_toml(note, meta),
        "site.json": enc.dumps(enc.site(created=datetime(2019, 9, 1, tzinfo=UTC))),
        "post.json": enc.dumps(enc.get_post(post)),
        _page_name(0): enc.dumps(enc.comment_list([comment], post)),
    }


def max_depth(comments: Sequence[CommentRecord]) -> int:
    return max((c.path.count(".") for c in comments), default=0)


def generated_md(rows: list[tuple[str, str, int, int]]) -> bytes:
    """The GENERATED.md table: directory, served as, comments, max depth."""
    lines = [
        "# Generated fixtures",
        "",
        "Written by `scripts/make_fixtures.py` (rerun it; never edit by hand). Depth: a",
        "top-level comment is 1. The three `big-thread` directories are one discussion",
        "served by three instances (different local ids and paths, same ap_ids).",
        "",
        "| directory | served as | comments | max depth |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{d}` | {served} | {n} | {depth} |" for d, served, n, depth in rows]
    return ("\n".join(lines) + "\n").encode()


def build(seed_text: Path = SEED_TEXT) -> dict[str, bytes]:
    """Every generated file, keyed by its path relative to fixtures/."""
    files: dict[str, bytes] = {}
    rows = []
    for server, thread in big_threads():
        where = f"{server.dialect}/big-thread"
        for name, data in big_thread_files(server, thread).items():
            files[f"{where}/{name}"] = data
        served = f"{server.instance}, {server.dialect} {server.version}"
        rows.append((where, served, len(thread.comments), max_depth(thread.comments)))
    for name, data in seed_files(seed_text).items():
        files[f"lemmy-v3/seed-lemmygrad/{name}"] = data
    rows.append(("lemmy-v3/seed-lemmygrad", f"{SEED_INSTANCE}, lemmy-v3 {SEED_VERSION}", 1, 1))
    files["GENERATED.md"] = generated_md(rows)
    return files


def write(out: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` under ``out``; stale pages in the generated directories go first."""
    for directory in {str(Path(name).parent) for name in files if "/" in name}:
        for old in (out / directory).glob("*.json"):
            old.unlink()
    for name, data in sorted(files.items()):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "fixtures", help="fixtures dir")
    args = parser.parse_args(argv)
    files = build()
    write(args.out, files)
    print(f"wrote {len(files)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
