"""Parsing and normalising raw comment-list pages into the tables, on one core.

Pages are built once, outside the timing: deterministic synthetic threads
(``fedithreads.synth.generate``) encoded as lemmy-v3 ``/comment/list`` responses of 50
comments (``fedithreads.replay.encode.documents.Encoder``), as bytes on the wire. The timed
work is what ``collect`` does with them: ``fedithreads.dialects.parse_page`` on each page, then
``fedithreads.analysis.frames.build_tables`` on all the records. Throughput is comments per CPU
second of the process, with Polars limited to one thread (``POLARS_MAX_THREADS=1`` is set
by the caller before Polars is imported), best of a few repeats. The baseline, measured
alternately in the same process on the same page bytes, is ``json.loads`` alone: decoding
the pages into Python objects, no validation, no records, no tables.

``python bench/parse_bench.py`` runs this section alone (in a child process with
``POLARS_MAX_THREADS=1``) and prints the two figures and their ratio; ``bench/run.py`` runs
it as one row of the analysis benchmarks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from fedithreads.analysis.frames import build_tables
from fedithreads.core.records import Provenance
from fedithreads.dialects import parse_page
from fedithreads.replay.encode.documents import Encoder
from fedithreads.synth.generate import generate_thread

PAGE = 50
INSTANCE = "lemmy.world"


def build_pages(threads: int = 20, comments: int = 1000) -> tuple[list[bytes], int]:
    """Raw lemmy-v3 comment-list pages of ``threads`` synthetic threads, and their comments."""
    pages, total = [], 0
    for seed in range(threads):
        thread = generate_thread(seed, instance=INSTANCE, n_comments=comments)
        encoder = Encoder(
            INSTANCE, "lemmy-v3", moderators={thread.post.community_ap_id: thread.moderators}
        )
        rows = list(thread.comments)
        for i in range(0, len(rows), PAGE):
            pages.append(encoder.dumps(encoder.comment_list(rows[i : i + PAGE], thread.post)))
        total += len(rows)
    return pages, total


def parse_and_build(pages: list[bytes]) -> int:
    """The timed work: every page parsed, all records normalised into the two tables."""
    prov = Provenance(INSTANCE, "lemmy-v3", "0.19.20", datetime(2026, 6, 1, tzinfo=UTC), "b")
    comments = []
    for body in pages:
        page = parse_page(
            body, dialect="lemmy-v3", endpoint="comment/list", prov=prov, source="bench"
        )
        comments.extend(page.comments)
    tables = build_tables([], comments)
    return tables.comments.height


def json_only(pages: list[bytes]) -> int:
    """The baseline: every page decoded by ``json.loads``, nothing more."""
    return sum(len(json.loads(body)["comments"]) for body in pages)


def throughput(repeats: int = 3) -> dict[str, float]:
    """Comments per CPU second (best of ``repeats``), ours and ``json.loads`` alone."""
    pages, total = build_pages()
    best, best_json = float("inf"), float("inf")
    for _ in range(repeats):
        started = time.process_time()
        rows = parse_and_build(pages)
        best = min(best, time.process_time() - started)
        started = time.process_time()
        decoded = json_only(pages)
        best_json = min(best_json, time.process_time() - started)
    if rows != total or decoded != total:
        raise AssertionError(f"{rows} rows and {decoded} decoded from {total} comments")
    return {
        "comments": total,
        "cpu_seconds": best,
        "per_second": total / best,
        "json_per_second": total / best_json,
    }


def main() -> int:
    """Print ours, the baseline and the ratio; exit 1 when slower than ``json.loads``."""
    if os.environ.get("POLARS_MAX_THREADS") != "1":  # Polars reads it once, on import
        env = {**os.environ, "POLARS_MAX_THREADS": "1"}
        return subprocess.run([sys.executable, __file__], env=env, check=False).returncode
    report = throughput()
    ratio = report["per_second"] / report["json_per_second"]
    print(
        f"parse + normalise: {report['per_second']:,.0f} comments/s; "
        f"json.loads alone: {report['json_per_second']:,.0f} comments/s; "
        f"ratio {ratio:.2f}× (target ≥ 1×: {'met' if ratio >= 1 else 'missed'})"
    )
    return 0 if ratio >= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
