"""What ``fedithreads serve`` starts and prints: fixtures on one server, or a federation.

``start_serving`` checks the combination of arguments (a federation of N ≥ 2 instances
missing a share 0 ≤ F < 1 of the comments, and no FIXTURES with it), starts what was
asked on 127.0.0.1 and returns it with the lines to print: for fixtures the address and
a few post URLs; for a federation (fedithreads.replay.federation) one line per instance
(its URL, dialect, whether it counts downvotes and how many comments of the whole
discussion it holds), the threads on the home instance, and the ``collect --across``
command to paste, so that a user can try the collector on federation gaps at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fedithreads.cli.demo import fixtures_dir
from fedithreads.errors import UsageError
from fedithreads.replay.federation import ReplayFederation
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.serve import serve_fixtures
from fedithreads.replay.server import ReplayServer

DEFAULT_LOSS = 0.1


def start_serving(
    fixtures: Sequence[Path],
    *,
    federation: int | None,
    loss: float | None,
    dialect: str | None,
    quirks: Quirks,
    port: int,
) -> tuple[ReplayServer | ReplayFederation, list[str]]:
    """The started server (or federation) and what to print; UsageError for arguments
    that do not go together or cannot be served."""
    if federation is None and loss is not None:
        raise UsageError("--federation-loss needs --federation N")
    if federation is not None and fixtures:
        raise UsageError("--federation serves a synthetic thread: give it no FIXTURES")
    if federation is not None and federation < 2:
        raise UsageError(f"--federation {federation}: a federation has 2 instances or more")
    loss = DEFAULT_LOSS if loss is None else loss
    if not 0 <= loss < 1:
        raise UsageError(f"--federation-loss {loss}: give a share in [0, 1), e.g. 0.1")
    try:
        if federation is None:
            server = serve_fixtures(
                list(fixtures) or [fixtures_dir()], port=port, dialect=dialect, quirks=quirks
            )
            return server, fixture_lines(server)
        fed = ReplayFederation(
            federation, loss, dialects=dialect or "lemmy-v3", quirks=quirks, port=port
        )
        return fed.start(), federation_lines(fed)
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc}") from None


def fixture_lines(server: ReplayServer) -> list[str]:
    """Where the fixtures are served, and the first few posts."""
    posts = server.dataset.posts()
    lines = [f"serving {len(posts)} posts as {server.dialect} at {server.base_url}"]
    return lines + [f"  {server.base_url}/post/{p.post_id}  {p.title[:60]}" for p in posts[:5]]


def federation_lines(fed: ReplayFederation) -> list[str]:
    """The instances, the home's threads and the ``collect --across`` line."""
    total, threads = len(fed.union), len(fed.post_ap_ids)
    lines = [
        f"serving {threads} thread{'s' * (threads != 1)} of {total} comments on "
        f"{len(fed.members)} instances, each missing about {fed.loss:.0%} of them:"
    ]
    for m in fed.members:
        votes = "downvotes on " if m.downvotes else "downvotes off"
        held = f"{len(m.held):>{len(str(total))}} of {total} comments"
        role = "  (home)" if m is fed.home else ""
        lines.append(f"  {m.base_url}  {m.dialect:<8}  {votes}  {held}{role}")
    home = fed.home
    titles = {p.post_id: p.title for p in home.dataset.posts()}
    urls = [home.post_url(t) for t in range(threads)]
    lines.append("on the home instance:")
    lines += [f"  {u}  {titles[pid][:60]}" for u, pid in zip(urls, home.post_ids, strict=True)]
    mirrors = ",".join(m.key for m in fed.members[1:])
    lines.append("collect it across the federation:")
    lines.append(f"  fedithreads collect {' '.join(urls)} --across {mirrors}")
    return lines


__all__ = ["DEFAULT_LOSS", "federation_lines", "fixture_lines", "start_serving"]
