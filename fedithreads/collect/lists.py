"""The posts a listing target names: a community's, an instance's or a person's.

One entry for the run (``collect.run``) and the dry run (``collect.plan``) alike, so that
both judge the same threads: a community and an instance are read as a post listing
(``collect.listing``), a person as their content (``collect.person``), each cut to the
target's window and ``max_posts``.
"""

from __future__ import annotations

from fedithreads.collect.api import ThreadApi
from fedithreads.collect.listing import ListedPosts, Scope, list_posts
from fedithreads.collect.person import list_person_threads
from fedithreads.collect.targets import CommunityTarget, ListingTarget, UserTarget


async def list_target(api: ThreadApi, target: ListingTarget, *, max_pages: int) -> ListedPosts:
    """The posts ``target`` lists on ``api``'s host, newest first."""
    scope = Scope(target.window, target.max_posts)
    if isinstance(target, UserTarget):
        return await list_person_threads(api, target.name, scope, max_pages=max_pages)
    name = target.name if isinstance(target, CommunityTarget) else None
    return await list_posts(lambda token: api.fetch_posts(name, token), scope, max_pages=max_pages)
