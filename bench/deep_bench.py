"""Deep threads: ``report`` and ``show`` of reply chains 100, 1,000 and 10,000 deep.

    python bench/deep_bench.py [--dir DIR]

A reply chain d deep holds d²/2 path labels (each comment's path names all its
ancestors): with the ids of a real instance (7 digits), the 10,000-deep chain's paths
are 400 MB of text for 10,000 comments. Each chain is a data dir (as ``collect``
writes it) under ``--dir`` (default ``$FEDITHREADS_BENCH_DIR`` or
``/tmp/fedithreads-bench``), made once. The baseline, measured in the same run, is
a flat thread of as many comments (replies to the post): what the same
number of comments costs without depth (each chain's against its own).

Every command runs as the CLI runs it (``fedithreads.cli.main``) in a child process of
its own, its output to a file; the child reports its wall time and peak RSS (VmHWM).

* ``report`` of each chain: peak RSS ≤ 500 MB;
* ``show`` (text) of the 10,000-deep chain: ≤ 5 s;
* ``show``'s output per comment: the 10,000-deep chain's within 1.5× the 100-deep
  chain's (linear in the thread's size; it was quadratic in its depth);
* ``show --format html`` of the 10,000-deep chain: peak RSS ≤ 500 MB;
* for reference: ``show --format json`` of it (it writes every comment's path).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from analysis_bench import Row, format_table  # noqa: E402

DEPTHS = (100, 1_000, 10_000)
FIRST_ID = 7_046_913
"""Comment ids as a real instance numbers them (the seed thread's reply), 7 digits."""
POST_ID = 9_137_482
BUDGET_MB = 500
SHOW_SECONDS = 5.0
MB = 1024 * 1024
VERSION = "v1"


# --- the data dirs ----------------------------------------------------------------------


def ensure_thread(root: Path, comments: int, *, deep: bool) -> Path:
    """The data dir of a chain ``comments`` deep (``deep``) or of as many top-level
    comments, made once (records built as the tests build them: tests/factories.py)."""
    where = root / f"{'chain' if deep else 'flat'}-{comments}-{VERSION}"
    if (where / "tables").is_dir():
        return where
    from fedithreads.core.rows import comments_frame, posts_frame
    from fedithreads.storage.tables import append_snapshots
    from tests.factories import comment, post

    kind = "A chain" if deep else "A flat thread"
    head = post(POST_ID, title=f"{kind} of {comments:,} comments", comments=comments)
    path, records = "0", []
    for k in range(comments):
        cid = FIRST_ID + k
        path = f"{path}.{cid}" if deep else f"0.{cid}"
        records.append(
            comment(
                cid,
                path,
                minutes=k,
                author=("alice", "bob")[k % 2],
                post_id=POST_ID,
                content=f"Reply {k + 1}: no, you are wrong, and here is why.",
                child_count=comments - k - 1 if deep else 0,
            )
        )
    append_snapshots(where, "bench", "posts", posts_frame([head]))
    append_snapshots(where, "bench", "comments", comments_frame(records))
    return where


# --- one command in a child process -----------------------------------------------------


def _child(args: list[str], output: Path) -> dict[str, Any]:
    """Run the CLI with ``args`` in this process, stdout to ``output``; what it cost."""
    from fedithreads.cli.main import main

    started = time.perf_counter()
    with output.open("w") as sink, contextlib.redirect_stdout(sink):
        try:
            main(args, standalone_mode=False)
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
    return {
        "seconds": time.perf_counter() - started,
        "rss_mb": _peak_rss_mb(),
        "bytes": output.stat().st_size,
    }


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM: ru_maxrss would count the parent's at fork)."""
    with Path("/proc/self/status").open() as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    return int(kib) * 1024 / MB


def measure(args: list[str], output: Path) -> dict[str, Any]:
    """Run ``fedithreads ARGS`` in a fresh child process and return what it measured."""
    command = [sys.executable, __file__, "--child", str(output), "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"fedithreads {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- the rows ---------------------------------------------------------------------------


def rows(work_dir: Path) -> list[Row]:
    out = work_dir / "deep-out"
    out.mkdir(parents=True, exist_ok=True)
    chains = {d: ensure_thread(work_dir, d, deep=True) for d in DEPTHS}
    flats = {d: ensure_thread(work_dir, d, deep=False) for d in DEPTHS}
    table = []
    for depth in DEPTHS:
        got = _report(chains[depth], out / f"r-chain-{depth}")
        base = _report(flats[depth], out / f"r-flat-{depth}")
        table.append(
            Row(
                f"report of a {depth:,}-deep chain: peak RSS (vs {depth:,} flat comments)",
                f"{got['rss_mb']:,.0f} MB ({got['seconds']:.1f} s)",
                f"{base['rss_mb']:,.0f} MB ({base['seconds']:.1f} s)",
                f"{got['rss_mb'] / base['rss_mb']:.2f}×",
                f"≤ {BUDGET_MB} MB",
                got["rss_mb"] <= BUDGET_MB,
            )
        )
    table += show_rows(chains, flats[DEPTHS[-1]], out)
    return table


def _report(data_dir: Path, out: Path) -> dict[str, Any]:
    return measure(
        ["report", "--data-dir", str(data_dir), "--out", str(out)], out.with_suffix(".log")
    )


def show_rows(chains: dict[int, Path], flat: Path, out: Path) -> list[Row]:
    post = str(POST_ID)
    shown = {
        d: measure(["show", post, "--data-dir", str(p)], out / f"s-{d}.txt")
        for d, p in chains.items()
    }
    flat_show = measure(["show", post, "--data-dir", str(flat)], out / "s-flat.txt")
    deepest = shown[DEPTHS[-1]]
    per_comment = {d: shown[d]["bytes"] / d for d in DEPTHS}
    growth = per_comment[DEPTHS[-1]] / per_comment[DEPTHS[0]]
    table = [
        Row(
            "show of the 10,000-deep chain: wall (vs 10,000 flat comments)",
            f"{deepest['seconds']:.2f} s ({deepest['rss_mb']:,.0f} MB)",
            f"{flat_show['seconds']:.2f} s ({flat_show['rss_mb']:,.0f} MB)",
            f"{deepest['seconds'] / flat_show['seconds']:.2f}×",
            f"≤ {SHOW_SECONDS:.0f} s",
            deepest["seconds"] <= SHOW_SECONDS,
        ),
        Row(
            "show: output bytes per comment, 10,000 vs 100 deep",
            " / ".join(f"{per_comment[d]:,.0f}" for d in DEPTHS) + " B (100 / 1k / 10k)",
            f"{per_comment[DEPTHS[0]]:,.0f} B",
            f"{growth:.2f}×",
            "≤ 1.5× (linear in comments)",
            growth <= 1.5,
        ),
    ]
    chain = str(chains[DEPTHS[-1]])
    page = measure(["show", post, "--data-dir", chain, "--format", "html"], out / "s.html")
    table.append(
        Row(
            "show --format html of the 10,000-deep chain: peak RSS",
            f"{page['rss_mb']:,.0f} MB ({page['seconds']:.2f} s)",
            f"{deepest['rss_mb']:,.0f} MB (show as text)",
            f"{page['rss_mb'] / deepest['rss_mb']:.2f}×",
            f"≤ {BUDGET_MB} MB",
            page["rss_mb"] <= BUDGET_MB,
        )
    )
    nested = measure(["show", post, "--data-dir", chain, "--format", "json"], out / "s.json")
    table.append(
        Row(
            "show --format json of the 10,000-deep chain",
            f"{nested['seconds']:.2f} s, {nested['rss_mb']:,.0f} MB",
            f"{nested['bytes'] / MB:,.1f} MB written (every comment's path)",
            "",
            "(for reference)",
            True,
        )
    )
    return table


def run_all(*, full: bool = False) -> list[Row]:
    """The rows (``bench/run.py`` calls this; there is no bigger size for ``full``)."""
    work = Path(os.environ.get("FEDITHREADS_BENCH_DIR", "/tmp/fedithreads-bench"))
    return rows(work)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(_child(argv[3:], Path(argv[1]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="where the chains are made and kept")
    args = parser.parse_args(argv)
    work = args.dir or Path(os.environ.get("FEDITHREADS_BENCH_DIR", "/tmp/fedithreads-bench"))
    started = time.perf_counter()
    table = rows(work)
    print(format_table(table))
    passed = sum(r.passed for r in table)
    print(f"\n{passed}/{len(table)} pass in {time.perf_counter() - started:.0f} s")
    return 0 if passed == len(table) else 1


if __name__ == "__main__":
    sys.exit(main())
