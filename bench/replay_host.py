"""Serve synthetic threads from replay servers in their own process, for benchmarks.

    python bench/replay_host.py SPEC_JSON

SPEC is a list of servers: {"dialect", "quirks": {Quirks fields}, "threads": [{"seed",
"n", "post_id", "id_base", "top_level"}]}. Prints one JSON line with each server's base
URL and its ground truth (comment ids per post), then serves until stdin closes, and
prints every server's request log (time, path, outcome) as a last JSON line. Running
the servers apart keeps their CPU out of the collector's measurements.

SPEC may instead be {"federation": {ReplayFederation arguments, "quirks": {Quirks
fields} for every instance or a list of one per instance}}: a replay federation
(fedithreads.replay.federation). Its JSON line is {"members": [{"key", "base_url",
"post_url", "held", "missing"}, …] (home first), "union": [ap_ids]}; the last line is
each member's request log, in the same order.

Before it says it is ready, each server sorts every thread both ways a flat listing asks
for (``Old``, ``New``), as a real server's indexes already have: otherwise the first
page of a big thread pays for a sort that whoever asks first (our collector, not the
naive loop measured after it) would be charged for.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

from fedithreads.dialects import API_ROOTS
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.federation import ReplayFederation
from fedithreads.replay.http import Request
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread

START = datetime(2026, 1, 5, tzinfo=UTC)


def quirks_of(fields: dict) -> Quirks:  # type: ignore[type-arg]
    return Quirks(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def build(spec: dict) -> ReplayServer:  # type: ignore[type-arg]
    threads = [
        generate_thread(
            t["seed"],
            instance="lemmy.ca",
            n_comments=t["n"],
            post_id=t["post_id"],
            comment_id_base=t["id_base"],
            top_level_fraction=t.get("top_level", 0.3),
            depth=t.get("depth", 12),
            start=START + timedelta(hours=i),
        )
        for i, t in enumerate(spec["threads"])
    ]
    quirks = quirks_of(spec["quirks"])
    dataset = ReplayDataset.from_threads(threads)
    return ReplayServer(
        dataset, dialect=spec["dialect"], server_version=spec.get("version"), quirks=quirks
    )


def warm(server: ReplayServer) -> None:
    """Sort every thread's flat listings once, outside the log, limiter and latency."""
    for post_id in server.dataset.post_ids():
        for sort in ("Old", "New"):
            params = {"post_id": str(post_id), "type_": "All", "sort": sort, "limit": "50"}
            server.api.handle(
                Request("GET", API_ROOTS[server.dialect] + "/comment/list", params, "warm-up")
            )


def build_federation(spec: dict) -> ReplayFederation:  # type: ignore[type-arg]
    args = dict(spec)
    quirks = args.pop("quirks", None)
    if isinstance(quirks, dict):
        args["quirks"] = quirks_of(quirks)
    elif quirks is not None:
        args["quirks"] = [quirks_of(q) for q in quirks]
    return ReplayFederation(**args).start()


def main() -> None:
    specs = json.loads(sys.argv[1])
    fed = build_federation(specs["federation"]) if isinstance(specs, dict) else None
    servers = [m.server for m in fed.members] if fed else [build(s).start() for s in specs]
    for s in servers:
        warm(s)
    if fed is None:
        info: object = [
            {
                "base_url": s.base_url,
                "truth": {str(p): sorted(s.dataset.comment_ids(p)) for p in s.dataset.post_ids()},
            }
            for s in servers
        ]
    else:
        info = {
            "members": [
                {
                    "key": m.key,
                    "base_url": m.base_url,
                    "post_url": m.post_url(0),
                    "held": sorted(m.held),
                    "missing": sorted(m.missing),
                }
                for m in fed.members
            ],
            "union": sorted(fed.union),
        }
    print(json.dumps(info), flush=True)
    sys.stdin.read()
    print(
        json.dumps([[[e.time, e.path, e.outcome] for e in s.log.entries()] for s in servers]),
        flush=True,
    )
    for s in servers:
        s.stop()


if __name__ == "__main__":
    main()
