"""What every dialect serves: the API route table, and the nodeinfo documents.

The route table is declared once: ``SHARED`` names the endpoints every dialect answers,
and ``route_table`` lays them under a dialect's prefix (``/api/v3``, ``/api/v4``,
``/api/alpha``) less those it lacks, plus those it adds. Each ``Api`` class builds its
table once, when the class is defined; an endpoint calls the method of the API it is
bound to, so a dialect changes what an endpoint answers by overriding that method.
``/.well-known/nodeinfo`` and ``/nodeinfo/2.1`` lie outside ``/api/`` and the table: the
server answers them for every dialect alike, with the documents built here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType

from fedithreads.replay.api.base import Endpoint
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.encode.shapes import Json

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
SHARED: Mapping[str, Endpoint] = {
    "site": lambda api, _: api.site_document(),
    "post": lambda api, params: api.get_post(params),
    "post/list": lambda api, params: api.post_list(params),
    "comment": lambda api, params: api.get_comment(params),
    "comment/list": lambda api, params: api.comment_list(params),
    "community": lambda api, params: api.community_document(params),
    "resolve_object": lambda api, params: api.resolve_object(params),
}


def route_table(
    prefix: str, *, lacks: Collection[str] = (), adds: Mapping[str, Endpoint] | None = None
) -> Mapping[str, Endpoint]:
    """Full path → endpoint: the ``SHARED`` endpoints but ``lacks``, and ``adds``, each
    under ``prefix`` unless its name is a full path (starts with ``/``)."""
    unknown = set(lacks) - set(SHARED)
    if unknown:
        raise ValueError(f"no shared endpoint {sorted(unknown)}; use some of {list(SHARED)}")
    endpoints = {name: e for name, e in SHARED.items() if name not in lacks} | dict(adds or {})
    return MappingProxyType({_path(prefix, name): e for name, e in endpoints.items()})


def _path(prefix: str, name: str) -> str:
    return name if name.startswith("/") else f"{prefix}/{name}"


def nodeinfo_links(base_url: str) -> Json:
    """``/.well-known/nodeinfo``."""
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{base_url}/nodeinfo/2.1"}]}


def nodeinfo(dialect: str, version: str, dataset: ReplayDataset) -> Json:
    """``/nodeinfo/2.1``: the software name and version clients detect the dialect by."""
    piefed = dialect == "piefed"
    users = len({c.author_ap_id for c in dataset.all_comments()})
    return {
        "version": "2.1",
        "software": {
            "name": "piefed" if piefed else "lemmy",
            "version": version,
            "repository": "https://codeberg.org/rimu/pyfedi"
            if piefed
            else "https://github.com/LemmyNet/lemmy",
            "homepage": "https://join.piefed.social" if piefed else "https://join-lemmy.org/",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {"total": users, "activeHalfyear": users, "activeMonth": users},
            "localPosts": len(dataset.posts()),
            "localComments": len(dataset.all_comments()),
        },
        "metadata": {},
    }


__all__ = ["NODEINFO_SCHEMA", "SHARED", "nodeinfo", "nodeinfo_links", "route_table"]
