"""A deterministic synthetic corpus for the benchmarks: the posts and comments tables on disk.

``ensure_corpus(root, Spec(comments=1_000_000, threads=10_000))`` writes (once; a manifest
records what was made) a data dir in the layout ``fedithreads analyze`` reads::

    <root>/<name>/tables/{posts,comments}/instance=<host>/<run_id>.parquet

Everything is vectorised Polars: per-comment randomness is a SplitMix64 hash of
(seed, stream, row), so the same Spec gives the same bytes on every machine, with no
Python loop per comment. Threads are generated in chunks of ``CHUNK_THREADS`` (one run
each), which keeps memory flat for the 10M corpus.

What it looks like:

* thread sizes are heavy-tailed (a few threads of thousands of comments, many small ones,
  some with none), over six instances with different shares; two of them disable
  downvotes;
* each thread's first comments form a back-and-forth chain of the thread's maximum depth
  (up to 15); every other comment draws a depth (geometric) and replies to a comment one
  level up, preferring the early, popular ones;
* a comment is published a bursty delay after its parent (minutes, sometimes hours, a
  second burst a day or two later), so times grow down every branch; ids grow with time
  on each instance;
* ~3 % deleted and ~1 % removed comments (content blanked), edits, heavy-tailed votes;
* ~15 % of threads were also collected earlier, mid-discussion (a second run: fewer
  comments, fewer votes), so vote_history has history; ~2 % of threads lack a few
  comments (orphans and placeholders); a few threads lack their post.

``python bench/corpus.py OUT [--comments N] [--threads T] [--seed S]`` writes one.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from fedithreads.core.schema import CREATOR_COLUMNS
from fedithreads.storage.tables import append_snapshots, scan_table

# host, share of threads, downvotes enabled, server version
INSTANCES = (
    ("lemmy.world", 34, True, "0.19.11"),
    ("lemmy.ml", 14, True, "0.19.9"),
    ("sh.itjust.works", 16, True, "0.19.11"),
    ("programming.dev", 14, True, "0.19.8"),
    ("beehaw.org", 12, False, "0.19.5"),
    ("lemmygrad.ml", 10, False, "0.19.3"),
)
# the 100-instance corpus (``Spec(instances=100)``) adds 94 more, sharing threads evenly
ALL_INSTANCES = (
    *INSTANCES,
    *((f"lemmy{k:02d}.example", 1, True, "0.19.11") for k in range(len(INSTANCES), 100)),
)
AUTHOR_HOSTS = (
    *(host for host, *_ in INSTANCES),
    "feddit.org",
    "lemmy.ca",
    "piefed.social",
    "lemmy.zip",
    "slrpnk.net",
    "discuss.tchncs.de",
)
MAX_DEPTH = 15
CHUNK_THREADS = 10_000
EPOCH = datetime(2025, 6, 1, tzinfo=UTC)
US = 1_000_000
HOUR_US = 3600 * US
LAYOUT = 4  # bump when the generator's output changes
ENGLISH = 37  # the language_id Lemmy gives English


@dataclass(frozen=True)
class Spec:
    """How big a corpus, and from which seed."""

    comments: int
    threads: int
    seed: int = 20260105
    instances: int = len(INSTANCES)

    @property
    def name(self) -> str:
        spread = "" if self.instances == len(INSTANCES) else f"-{self.instances}i"
        return f"corpus-{self.comments}c-{self.threads}t{spread}-s{self.seed}-v{LAYOUT}"

    def hosts(self) -> tuple[list[str], list[int]]:
        """The instances' names and shares of threads: the six of ``INSTANCES`` with their
        shares, or the first ``instances`` of ``ALL_INSTANCES`` sharing evenly."""
        chosen = ALL_INSTANCES[: self.instances]
        even = self.instances != len(INSTANCES)
        return [h for h, *_ in chosen], [1 if even else s for _, s, *_ in chosen]


# --- randomness: SplitMix64 of (seed, stream, row), as Polars expressions ---------------

_GOLDEN = 0x9E3779B97F4A7C15


def _mix(x: pl.Expr) -> pl.Expr:
    x = x.xor(x // (1 << 30)) * 0xBF58476D1CE4E5B9
    x = x.xor(x // (1 << 27)) * 0x94D049BB133111EB
    return x.xor(x // (1 << 31))


def uniform(row: pl.Expr, seed: int, stream: int) -> pl.Expr:
    """A uniform float in [0, 1) per row, fixed by (seed, stream, row)."""
    key = (seed * 1_000_003 + stream * 7919) & ((1 << 63) - 1)
    x = row.cast(pl.UInt64) * _GOLDEN + key
    return (_mix(x) // 2048).cast(pl.Float64) / float(1 << 53)


def exponential(u: pl.Expr, mean: float) -> pl.Expr:
    return -(1.0 - u).log() * mean


# --- per-thread plan (plain Python over threads: 100k rows at most) --------------------


def _thread_sizes(rng: random.Random, total: int, threads: int) -> list[int]:
    """Log-normal sizes summing to ``total``; ~6 % of threads have no comments."""
    weights = [0.0 if rng.random() < 0.06 else rng.lognormvariate(0, 1.5) for _ in range(threads)]
    scale = total / sum(weights)
    sizes = [int(w * scale) for w in weights]
    by_remainder = sorted(range(threads), key=lambda i: weights[i] * scale - sizes[i])
    for i in by_remainder[len(by_remainder) - (total - sum(sizes)) :]:
        sizes[i] += 1
    return sizes


def plan_threads(spec: Spec) -> pl.DataFrame:
    """One row per thread: instance, size, depth limit, time, post id, fates."""
    rng = random.Random(spec.seed)
    hosts, shares = spec.hosts()
    rows = []
    for t, n in enumerate(_thread_sizes(rng, spec.comments, spec.threads)):
        limit = min(MAX_DEPTH, 2 + int(14 * rng.random() ** 1.5))
        rows.append(
            {
                "thread": t,
                "instance": rng.choices(hosts, shares)[0],
                "n": n,
                "dmax": max(1, min(limit, n)),
                "post_us": rng.randrange(300 * 24 * HOUR_US),
                "op": rng.randrange(1 << 30),
                "post_up": 5 + int(min(rng.paretovariate(1.4), 40.0) * 30 * (1 + n) ** 0.4),
                "early": n >= 2 and rng.random() < 0.15,
                "early_frac": rng.uniform(0.25, 0.7),
                "lossy": n >= 5 and rng.random() < 0.02,
                "no_post": rng.random() < 0.002,
                "community": rng.randrange(40),
                "title": rng.randrange(len(TITLES)),
            }
        )
    frame = pl.DataFrame(rows)
    chunk = pl.col("thread") // CHUNK_THREADS
    return frame.with_columns(
        (
            _instance_base("instance", 1_000, 700_000)
            + chunk * 2_000_000
            + pl.col("post_us").rank("ordinal").over("instance", chunk).cast(pl.Int64)
        ).alias("post_id")
    )


def _instance_base(column: str, low: int, step: int) -> pl.Expr:
    bases = {host: low + i * step for i, (host, *_) in enumerate(ALL_INSTANCES)}
    return pl.col(column).replace_strict(bases, return_dtype=pl.Int64)


TOPICS = (
    "the new firmware",
    "the open-source driver",
    "end-to-end encryption",
    "self-hosting",
    "the right-to-repair law",
    "the package manager",
    "federated moderation",
    "the telemetry opt-out",
    "the license change",
    "the browser engine",
)
TITLES = tuple(
    pattern.format(t=t)
    for t in TOPICS
    for pattern in (
        "Major vendor quietly changes {t}, users push back",
        "Why {t} keeps getting worse, explained",
        "Regulators open an inquiry into {t}",
        "Developers fork the project after a dispute over {t}",
    )
)


def _texts(seed: int) -> list[str]:
    rng = random.Random(seed)
    openers = ("Honestly,", "I think", "Counterpoint:", "Fair, but", "In my experience", "So")
    claims = (
        "{t} was always going to end up like this.",
        "nobody outside this thread will notice {t} for years.",
        "{t} matters more than the headline suggests.",
        "the article skips over how {t} actually works.",
        "I switched away from {t} last year and never looked back.",
        "does anyone know whether {t} works offline?",
    )
    out = []
    for _ in range(1024):
        parts = [
            f"{rng.choice(openers)} {rng.choice(claims).format(t=rng.choice(TOPICS))}"
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5)))
        ]
        out.append(" ".join(parts))
    return out


# --- one chunk of threads → comment rows -----------------------------------------------


def _structure(threads: pl.DataFrame, row0: int, seed: int) -> pl.DataFrame:
    """Rows (thread, i, depth, prow): ``prow`` is the parent's row in this frame."""
    frame = (
        threads.filter(pl.col("n") > 0)
        .select("thread", "n", "dmax", pl.int_ranges(0, "n").alias("i"))
        .explode("i")
        .with_row_index("r")
        .with_columns(pl.col("r").cast(pl.Int64), pl.col("i").cast(pl.Int64))
    )
    u = uniform(pl.col("r") + row0, seed, 1)
    geometric = (1 + (u.log() / math.log(0.5)).floor()).cast(pl.Int64)
    frame = frame.with_columns(
        pl.when(pl.col("i") < pl.col("dmax"))
        .then(pl.col("i") + 1)
        .otherwise(geometric.clip(1, pl.col("dmax")))
        .alias("depth")
    ).with_columns(pl.int_range(pl.len()).over("thread", "depth").alias("rank"))
    level = frame.group_by("thread", "depth").agg(pl.len().alias("above"))
    level = level.with_columns(pl.col("depth") + 1)
    pick = (pl.col("above") * uniform(pl.col("r") + row0, seed, 2) ** 2).floor().cast(pl.Int64)
    frame = frame.join(level, on=["thread", "depth"], how="left").with_columns(pick.alias("prank"))
    parents = frame.select(
        "thread",
        (pl.col("depth") + 1).alias("depth"),
        pl.col("rank").alias("prank"),
        pl.col("r").alias("prow"),
    )
    frame = frame.join(parents, on=["thread", "depth", "prank"], how="left")
    return frame.sort("r").select("thread", "i", "depth", "prow")


def _descendants(depth: pl.Series, prow: pl.Series) -> pl.Series:
    """Descendants of each row (``prow``: the parent's position), summed deepest level first."""
    desc = pl.zeros(len(depth), pl.Int64, eager=True).alias("desc")
    frame = pl.DataFrame({"depth": depth, "prow": prow})
    for d in range(int(depth.max() or 0), 1, -1):
        sub = (
            frame.with_columns(desc=desc)
            .filter(pl.col("depth") == d)
            .group_by("prow")
            .agg(pl.col("desc").add(1).sum().alias("add"))
        )
        idx = sub["prow"]
        desc = desc.scatter(idx, desc.gather(idx) + sub["add"])
    return desc


def _times(frame: pl.DataFrame, row0: int, seed: int) -> pl.Series:
    """Microseconds after the post: bursty delays added down every branch."""
    r = pl.col("r") + row0
    u, kind = uniform(r, seed, 3), uniform(r, seed, 4)
    top = (
        pl.when(kind < 0.6)
        .then(exponential(u, 2.5 * HOUR_US))
        .when(kind < 0.8)
        .then(exponential(u, 16 * HOUR_US))
        .when(kind < 0.95)
        .then(26 * HOUR_US + uniform(r, seed, 5) * 18 * HOUR_US + exponential(u, 3 * HOUR_US))
        .otherwise(48 * HOUR_US + u * 96 * HOUR_US)
    )
    reply = (
        pl.when(kind < 0.7)
        .then(exponential(u, 0.4 * HOUR_US))
        .when(kind < 0.93)
        .then(exponential(u, 5 * HOUR_US))
        .otherwise(20 * HOUR_US + u * 30 * HOUR_US)
    )
    lag = frame.select(
        (30 * US + pl.when(pl.col("depth") == 1).then(top).otherwise(reply)).cast(pl.Int64)
    ).to_series()
    depth, prow = frame["depth"], frame["prow"].fill_null(0)
    offset = lag
    for d in range(2, int(depth.max() or 1) + 1):
        offset = pl.select(
            pl.when(depth == d).then(offset.gather(prow) + lag).otherwise(offset)
        ).to_series()
    return offset


def _paths(ids: pl.Series, depth: pl.Series, prow: pl.Series) -> pl.Series:
    """``0.<ancestor ids>.<id>``, level by level."""
    own = ids.cast(pl.String)
    path = pl.select(pl.lit("0.") + own).to_series()
    parent = prow.fill_null(0)
    for d in range(2, int(depth.max() or 1) + 1):
        path = pl.select(
            pl.when(depth == d).then(path.gather(parent) + "." + own).otherwise(path)
        ).to_series()
    return path


def _comments(threads: pl.DataFrame, chunk: int, row0: int, seed: int) -> pl.DataFrame:
    """Every comment of a chunk's threads in its final state, plus helper columns."""
    frame = _structure(threads, row0, seed).with_row_index("r")
    frame = frame.with_columns(pl.col("r").cast(pl.Int64))
    frame = frame.with_columns(_times(frame, row0, seed).alias("offset"))
    info = threads.select(
        "thread", "instance", "post_id", "post_us", "op", "early", "early_frac", "lossy"
    )
    frame = frame.join(info, on="thread", how="left", maintain_order="left")
    base = _instance_base("instance", 10_000_000, 60_000_000) + chunk * 4_000_000
    frame = frame.with_columns((pl.col("post_us") + pl.col("offset")).alias("at_us"))
    frame = frame.with_columns(
        (base + pl.col("at_us").rank("ordinal").over("instance").cast(pl.Int64)).alias("comment_id")
    )
    paths = _paths(frame["comment_id"], frame["depth"], frame["prow"])
    parent_id = frame["comment_id"].gather(frame["prow"].fill_null(0))
    return frame.with_columns(
        paths.alias("path"),
        pl.when(pl.col("depth") > 1).then(parent_id).alias("parent_id"),
        _descendants(frame["depth"], frame["prow"]).alias("child_count"),
        *_comment_traits(row0, seed),
    )


def _comment_traits(row0: int, seed: int) -> list[pl.Expr]:
    r = pl.col("r") + row0

    def u(stream: int) -> pl.Expr:
        return uniform(r, seed, stream)

    tail = ((1.0 - u(10)) ** (-1 / 1.3) - 1).clip(upper_bound=1500)
    early = pl.when(pl.col("offset") < 6 * HOUR_US).then(3.0).otherwise(1.0)
    up = (1 + tail * 4 * early / (1 + 0.35 * (pl.col("depth") - 1))).floor().cast(pl.Int64)
    down = (up * 0.35 * u(11) ** 2).floor().cast(pl.Int64) + (u(12) < 0.08).cast(pl.Int64)
    fate = u(13)
    pool = 60_000
    by_op = (pl.col("depth") > 1) & (u(14) < 0.05)
    author = pl.when(by_op).then(pl.col("op") % pool).otherwise((u(15) ** 2.5 * pool).floor())
    return [
        up.alias("_up"),
        down.alias("_down_raw"),
        (fate < 0.03).alias("deleted"),
        ((fate >= 0.03) & (fate < 0.04)).alias("removed"),
        (u(16) < 0.001).alias("distinguished"),
        pl.when(u(17) < 0.06)
        .then(pl.col("at_us") + 120 * US + (u(18) * 3 * HOUR_US).cast(pl.Int64))
        .alias("edit_us"),
        author.cast(pl.Int64).alias("author_n"),
        (u(19) * 1024).floor().cast(pl.Int64).alias("text_n"),
        u(20).alias("_lost"),
    ]


# --- snapshots → table rows ------------------------------------------------------------


def _ts(us: pl.Expr) -> pl.Expr:
    return (pl.lit(EPOCH) + pl.duration(microseconds=us)).dt.cast_time_unit("us")


def _author_cols(index: str) -> list[pl.Expr]:
    host = (pl.col(index) % len(AUTHOR_HOSTS)).replace_strict(
        dict(enumerate(AUTHOR_HOSTS)), return_dtype=pl.String
    )
    name = pl.format("user{}", pl.col(index))
    return [
        pl.format("{}@{}", name, host).alias("author"),
        pl.format("https://{}/u/{}", host, name).alias("author_ap_id"),
        *(pl.lit(False).alias(flag) for flag in CREATOR_COLUMNS),  # ordinary accounts
        # a third of the accounts show a display name; every text is in English (37)
        pl.when(pl.col(index) % 3 == 0)
        .then(pl.format("User {}", pl.col(index)))
        .alias("author_display_name"),
        pl.lit(ENGLISH, pl.Int64).alias("language_id"),
    ]


def _provenance(run_id: str) -> list[pl.Expr]:
    versions = {host: v for host, *_, v in ALL_INSTANCES}
    return [
        pl.lit("lemmy-v3").alias("dialect"),
        pl.col("instance").replace_strict(versions, return_dtype=pl.String).alias("server_version"),
        pl.lit(run_id).alias("run_id"),
    ]


def comment_rows(
    comments: pl.DataFrame, collected: pl.DataFrame, texts: pl.Series, run_id: str
) -> pl.DataFrame:
    """Comments (already filtered to one snapshot) as comments-table rows."""
    downvotes = {host: d for host, _, d, _ in ALL_INSTANCES}
    down_on = pl.col("instance").replace_strict(downvotes, return_dtype=pl.Boolean)
    vote = pl.col("vote")
    up = (pl.col("_up") * vote).floor().cast(pl.Int64).clip(lower_bound=1)
    down = pl.when(down_on).then((pl.col("_down_raw") * vote).floor().cast(pl.Int64)).otherwise(0)
    gone = pl.col("deleted") | pl.col("removed")
    return (
        comments.join(collected, on="thread", how="left", maintain_order="left")
        .with_columns(
            up.alias("upvotes"),
            down.cast(pl.Int64).alias("downvotes"),
            texts.gather(comments["text_n"]).alias("_text"),
        )
        .select(
            "instance",
            "comment_id",
            "post_id",
            pl.format("https://{}/comment/{}", "instance", "comment_id").alias("ap_id"),
            pl.format("https://{}/post/{}", "instance", "post_id").alias("post_ap_id"),
            "path",
            "parent_id",
            "depth",
            *_author_cols("author_n"),
            pl.when(gone).then(None).otherwise(pl.col("_text")).alias("content"),
            _ts(pl.col("at_us")).alias("published"),
            _ts(pl.col("edit_us")).alias("updated"),
            "deleted",
            "removed",
            "distinguished",
            (pl.col("upvotes") - pl.col("downvotes")).alias("score"),
            "upvotes",
            "downvotes",
            "child_count",
            pl.lit("lemmy-v3").alias("dialect"),
            *_provenance(run_id)[1:2],
            _ts(pl.col("collected_us")).alias("collected_at"),
            pl.lit(run_id).alias("run_id"),
        )
    )


def post_rows(
    threads: pl.DataFrame, comments: pl.DataFrame, collected: pl.DataFrame, run_id: str
) -> pl.DataFrame:
    """Posts of the threads in ``collected``, counts from the comments the server had."""
    visible = ~pl.col("deleted") & ~pl.col("removed")
    counts = comments.group_by("thread").agg(
        visible.sum().cast(pl.Int64).alias("comments"), pl.col("at_us").max().alias("newest_us")
    )
    downvotes = {host: d for host, _, d, _ in ALL_INSTANCES}
    down_on = pl.col("instance").replace_strict(downvotes, return_dtype=pl.Boolean)
    up = (pl.col("post_up") * pl.col("vote")).floor().cast(pl.Int64)
    communities = [f"{c}@{h}" for c, h in _COMMUNITIES]
    frame = collected.join(threads, on="thread", how="left").join(counts, on="thread", how="left")
    return frame.with_columns(
        up.alias("upvotes"),
        pl.when(down_on).then((up * 0.08).floor().cast(pl.Int64)).otherwise(0).alias("downvotes"),
        pl.col("community").replace_strict(dict(enumerate(communities))).alias("community_name"),
        pl.col("community")
        .replace_strict({i: f"https://{h}/c/{c}" for i, (c, h) in enumerate(_COMMUNITIES)})
        .alias("community_ap_id"),
        (pl.col("op") % 60_000).alias("op_n"),
    ).select(
        "instance",
        "post_id",
        pl.format("https://{}/post/{}", "instance", "post_id").alias("ap_id"),
        pl.col("community_name").alias("community"),
        "community_ap_id",
        *_author_cols("op_n"),
        pl.col("title").replace_strict(dict(enumerate(TITLES))).alias("title"),
        pl.format("https://example.org/news/{}", "thread").alias("url"),
        pl.lit(None, pl.String).alias("body"),
        _ts(pl.col("post_us")).alias("published"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("updated"),
        pl.lit(False).alias("deleted"),
        pl.lit(False).alias("removed"),
        pl.lit(False).alias("locked"),
        pl.lit(False).alias("nsfw"),
        pl.col("comments").fill_null(0),
        (pl.col("upvotes") - pl.col("downvotes")).alias("score"),
        "upvotes",
        "downvotes",
        _ts(pl.col("newest_us")).alias("newest_comment_time"),
        *_provenance(run_id)[:2],
        _ts(pl.col("collected_us")).alias("collected_at"),
        pl.lit(run_id).alias("run_id"),
    )


_COMMUNITIES = [
    (name, host)
    for host in ("lemmy.world", "lemmy.ml", "programming.dev", "beehaw.org")
    for name in ("technology", "linux", "privacy", "opensource", "news", "asklemmy")
] + [(f"topic{i}", "sh.itjust.works") for i in range(16)]


def write_chunk(data_dir: Path, threads: pl.DataFrame, chunk: int, row0: int, seed: int) -> int:
    """Generate one chunk of threads and append its final and early snapshots."""
    comments = _comments(threads, chunk, row0, seed)
    texts = pl.Series(_texts(seed))
    last = comments.group_by("thread").agg(pl.col("at_us").max().alias("last_us"))
    final = threads.join(last, on="thread", how="left").select(
        "thread",
        (
            pl.max_horizontal("post_us", "last_us")
            + 2 * HOUR_US
            + (uniform(pl.col("thread"), seed, 30) * 48 * HOUR_US).cast(pl.Int64)
        ).alias("collected_us"),
        pl.lit(1.0).alias("vote"),
    )
    early = (
        threads.filter("early")
        .join(last, on="thread", how="inner")
        .select(
            "thread",
            (pl.col("post_us") + pl.col("early_frac") * (pl.col("last_us") - pl.col("post_us")))
            .cast(pl.Int64)
            .alias("collected_us"),
            pl.lit(0.6).alias("vote"),
        )
    )
    run = f"bench-{chunk:03d}"
    _append(data_dir, run, threads, comments, final, texts)
    server = comments.join(
        early.select("thread", pl.col("collected_us").alias("_t1")),
        on="thread",
        how="inner",
        maintain_order="left",
    ).filter(pl.col("at_us") <= pl.col("_t1"))
    server = server.with_columns(
        _descendants(server["depth"], _reindex(server)).alias("child_count")
    )
    _append(data_dir, f"{run}-early", threads, server, early, texts)
    return comments.height


def _reindex(frame: pl.DataFrame) -> pl.Series:
    """``prow`` as positions in ``frame``: a subset of a chunk's rows that holds every
    ancestor of its rows, in row order."""
    pos = frame.select(pl.col("r"), pl.int_range(pl.len(), dtype=pl.Int64).alias("pos"))
    parent = frame.select(pl.col("prow").alias("r"))
    return parent.join(pos, on="r", how="left", maintain_order="left")["pos"]


def _append(
    data_dir: Path,
    run: str,
    threads: pl.DataFrame,
    server: pl.DataFrame,
    collected: pl.DataFrame,
    texts: pl.Series,
) -> None:
    """One run's rows: the server's comments minus those the crawl lost, and the posts."""
    with_post = threads.filter(~pl.col("no_post")).select("thread")
    posts = post_rows(threads, server, collected.join(with_post, on="thread"), run)
    kept = server.filter(~(pl.col("lossy") & (pl.col("_lost") < 0.05)))
    rows = comment_rows(kept, collected, texts, run)
    append_snapshots(data_dir, run, "posts", posts)
    append_snapshots(data_dir, run, "comments", rows)


def generate(data_dir: Path, spec: Spec) -> dict[str, object]:
    """Write the corpus of ``spec`` into ``data_dir`` (which must be empty)."""
    started = time.perf_counter()
    threads = plan_threads(spec)
    row0, made = 0, 0
    for chunk in range(math.ceil(spec.threads / CHUNK_THREADS)):
        part = threads.filter((pl.col("thread") // CHUNK_THREADS) == chunk)
        made += write_chunk(data_dir, part, chunk, row0, spec.seed)
        row0 += int(part["n"].sum())
    return {
        **asdict(spec),
        "layout": LAYOUT,
        "comments_made": made,
        "seconds": round(time.perf_counter() - started, 2),
        "rows": {t: _count(data_dir, t) for t in ("posts", "comments")},
    }


def _count(data_dir: Path, table: str) -> int:
    return int(scan_table(data_dir, table).select(pl.len()).collect().item())


def ensure_corpus(root: Path, spec: Spec, *, log: bool = True) -> Path:
    """The data dir of ``spec`` under ``root``, generated unless a finished one is there."""
    data_dir = root / spec.name
    manifest = data_dir / "corpus.json"
    if manifest.exists():
        return data_dir
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if log:
        print(f"generating {spec.comments:,} comments over {spec.threads:,} threads in {data_dir}")
    info = generate(data_dir, spec)
    manifest.write_text(json.dumps(info, indent=2) + "\n")
    if log:
        print(f"  done in {info['seconds']} s: {info['rows']}")
    return data_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to hold the corpus data dir")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=Spec.seed)
    parser.add_argument("--instances", type=int, default=len(INSTANCES), help="at most 100")
    args = parser.parse_args(argv)
    path = ensure_corpus(args.out, Spec(args.comments, args.threads, args.seed, args.instances))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
