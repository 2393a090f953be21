"""The moderation log a replay server serves: ``GET /modlog`` of each dialect.

The dataset's log (``ReplayDataset.log``: removals, bans) newest first, ``community_id``
filtering it. Lemmy 0.19 answers one list per kind, each cut by the same ``page`` and
``limit``, the moderator left out (``hide_modlog_mod_names``, on by default, hides it from
anonymous readers) and missing optionals omitted; PieFed the lists it has, the moderator
shown, nulls written; Lemmy 1.0 ``items`` newest first with ``next_page`` (an offset
cursor), the moderator left out (anonymous readers never see it). Shapes as
fedithreads.dialects.modlog reads them.
"""

from __future__ import annotations

from fedithreads.core.hosts import host_of
from fedithreads.core.records import CommentRecord, ModAction, PostRecord
from fedithreads.replay.api.base import Api
from fedithreads.replay.api.params import Paging
from fedithreads.replay.api.people import offset_page
from fedithreads.replay.encode.documents import actor_name
from fedithreads.replay.encode.shapes import Json
from fedithreads.replay.http import Params

V3_LISTS = (
    "removed_posts", "locked_posts", "featured_posts", "removed_comments",
    "removed_communities", "banned_from_community", "banned", "added_to_community",
    "transferred_to_community", "added", "admin_purged_persons", "admin_purged_communities",
    "admin_purged_posts", "admin_purged_comments", "hidden_communities",
)  # fmt: skip
PIEFED_LISTS = (*V3_LISTS[:8], "added")
KINDS = {
    "mod_remove_comment": ("removed_comments", "removed"),
    "mod_remove_post": ("removed_posts", "removed"),
    "mod_ban_from_community": ("banned_from_community", "banned"),
}
"""Action → (its 0.19 list, the flag that is true when it was done, not undone)."""


def entries(api: Api, params: Params) -> list[ModAction]:
    """The log newest first, of the community ``community_id`` names if it is given."""
    community_id = params.integer("community_id")
    log = sorted(api.data.log, key=lambda a: (a.acted_at, a.log_id), reverse=True)
    if community_id is None:
        return log
    community = api.community_ids().get(community_id, "")
    return [a for a in log if a.community_ap_id == community]


def lists(api: Api, params: Params, paging: Paging) -> Json:
    """Lemmy 0.19's and PieFed's ``GetModlogResponse``: one page of each list."""
    piefed = api.dialect == "piefed"
    limit, page = paging.read(params)
    grouped: dict[str, list[ModAction]] = {n: [] for n in (PIEFED_LISTS if piefed else V3_LISTS)}
    for action in entries(api, params):
        grouped[KINDS[action.action][0]].append(action)
    cut = slice((page - 1) * limit, page * limit)
    return {n: [_v3_view(api, a, piefed) for a in rows[cut]] for n, rows in grouped.items()}


def items(api: Api, params: Params, paging: Paging) -> Json:
    """Lemmy 1.0's ``PagedResponse<ModlogView>``."""
    limit, _ = paging.read(params)
    rows, next_page = offset_page(entries(api, params), params.text("page_cursor"), limit)
    doc: Json = {"items": [_v4_view(api, a) for a in rows]}
    if next_page is not None:
        doc["next_page"] = next_page
    return doc


def _v3_view(api: Api, a: ModAction, nulls: bool) -> Json:
    key, flag = a.action, KINDS[a.action][1]
    inner: Json = {"id": a.log_id, "mod_person_id": _id(api, a.moderator_ap_id)}
    inner |= {"reason": a.reason, flag: not a.reverted, "expires": api.enc.time(a.expires)}
    inner["when_"] = api.enc.time(a.acted_at)
    view: Json = {key: _dropped_nulls(inner, keep=nulls), **_targets(api, a, v4=False)}
    if nulls:  # PieFed shows who did it
        view["moderator"] = _person(api, a.moderator_ap_id)
    return view


def _v4_view(api: Api, a: ModAction) -> Json:
    log: Json = {"id": a.log_id, "kind": a.action, "is_revert": a.reverted, "reason": a.reason}
    log |= {"expires_at": api.enc.time(a.expires), "published_at": api.enc.time(a.acted_at)}
    log["child_count"] = 0
    return {"modlog": _dropped_nulls(log, keep=False), **_targets(api, a, v4=True)}


def _targets(api: Api, a: ModAction, *, v4: bool) -> Json:
    """The objects an entry concerns, under each dialect's names."""
    found = api.data.find_ap_id(a.comment_ap_id or a.post_ap_id or "")
    comment = found if isinstance(found, CommentRecord) else None
    post = api.data.find_ap_id(a.post_ap_id or "") if a.post_ap_id else None
    person = _person(api, a.person_ap_id)
    community = _community(api, a.community_ap_id)
    if v4:
        out: Json = {"target_person": person, "target_community": community}
        if isinstance(post, PostRecord):
            out["target_post"] = api.enc.post_object(post)
        if comment is not None:
            out["target_comment"] = api.enc.comment_object(api.shown(comment))
        return out
    out = {"community": community}
    if isinstance(post, PostRecord):
        out["post"] = api.enc.post_object(post)
    if comment is not None:
        out |= {"comment": api.enc.comment_object(api.shown(comment)), "commenter": person}
    elif a.action == "mod_ban_from_community":
        out["banned_person"] = person
    return out


def _person(api: Api, url: str | None) -> Json | None:
    return api.enc.person(url, actor_name(url)) if url else None


def _community(api: Api, url: str | None) -> Json | None:
    post = api.data.communities().get(url or "")
    return api.enc.community(post) if post is not None else None


def _id(api: Api, url: str | None) -> int | None:
    return api.enc.local_id("person", url) if url and host_of(url) else None


def _dropped_nulls(doc: Json, *, keep: bool) -> Json:
    return doc if keep else {k: v for k, v in doc.items() if v is not None}


__all__ = ["items", "lists"]
