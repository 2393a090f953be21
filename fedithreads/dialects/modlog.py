"""The moderation log of each dialect → ``ModAction`` records.

Lemmy 0.19 (``GET /api/v3/modlog``, ``GetModlogResponse``) answers one list per kind
(``removed_comments``, ``removed_posts``, ``banned_from_community``, …), each entry a view
holding the kind's own object (``mod_remove_comment: {id, reason?, removed, when_}``) and
the objects it concerns (``comment``, ``commenter``, ``post``, ``community``,
``moderator?``; purges name an ``admin?``). PieFed (``/api/alpha/modlog``, from 1.7)
mimics that shape with its own person fields and explicit nulls. Lemmy 1.0
(``/api/v4/modlog``) answers ``PagedResponse<ModlogView>``: ``items`` of ``{modlog: {id,
kind, is_revert, reason?, expires_at?, published_at}, moderator?, target_person?,
target_community?, target_post?, target_comment?}``. Shapes from
``L@0.19.20:crates/db_views_moderator``, ``L@main:crates/db_views/modlog``, the
lemmy-js-client types (``release/v0.19``, ``main``) and PieFed's
``app/api/alpha/utils/misc.py`` (fork reading, see reference/lemmy-api.md).

Every kind is named as 1.0 names it; a 0.19 flag that says the action was undone
(``removed``, ``banned``, ``locked``, ``featured``, ``hidden`` false) is ``reverted``.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from pydantic import Field

from fedithreads.core.hosts import handle
from fedithreads.core.records import ModAction, Page, Provenance
from fedithreads.dialects.common import Flag, Id, Model, UtcDatetime, either_or


class Actor(Model):
    """A person or community as the log names it (any dialect's field names)."""

    name: str = either_or(..., "name", "user_name")
    ap_id: str = either_or(..., "actor_id", "ap_id")


class Thing(Model):
    """A post or comment as the log names it: its ap_id is all that is kept."""

    ap_id: str


class Entry(Model):
    """The kind's own object of a 0.19 entry: id, the undo flag, reason, times."""

    id: Id
    reason: str | None = None
    removed: Flag = None
    banned: Flag = None
    locked: Flag = None
    featured: Flag = None
    hidden: Flag = None
    is_featured_community: Flag = None
    expires: UtcDatetime | None = None
    when_: UtcDatetime


class V3View(Model):
    """One 0.19 (or PieFed) entry: any of the kind objects, and what it concerns."""

    moderator: Actor | None = None
    admin: Actor | None = None
    post: Thing | None = None
    comment: Thing | None = None
    community: Actor | None = None
    commenter: Actor | None = None
    banned_person: Actor | None = None
    modded_person: Actor | None = None
    entries: dict[str, Entry | None] = Field(default_factory=dict)


class Kind(NamedTuple):
    """A 0.19 list: its entries' own key, 1.0's name for it, and the flag that is false
    on an undoing (``None``: never undone)."""

    key: str
    action: str
    flag: str | None


V3_KINDS: dict[str, Kind] = {
    "removed_posts": Kind("mod_remove_post", "mod_remove_post", "removed"),
    "locked_posts": Kind("mod_lock_post", "mod_lock_post", "locked"),
    "featured_posts": Kind("mod_feature_post", "mod_feature_post_community", "featured"),
    "removed_comments": Kind("mod_remove_comment", "mod_remove_comment", "removed"),
    "removed_communities": Kind("mod_remove_community", "admin_remove_community", "removed"),
    "banned_from_community": Kind("mod_ban_from_community", "mod_ban_from_community", "banned"),
    "banned": Kind("mod_ban", "admin_ban", "banned"),
    "added_to_community": Kind("mod_add_community", "mod_add_to_community", "removed"),
    "transferred_to_community": Kind("mod_transfer_community", "mod_transfer_community", None),
    "added": Kind("mod_add", "admin_add", "removed"),
    "admin_purged_persons": Kind("admin_purge_person", "admin_purge_person", None),
    "admin_purged_communities": Kind("admin_purge_community", "admin_purge_community", None),
    "admin_purged_posts": Kind("admin_purge_post", "admin_purge_post", None),
    "admin_purged_comments": Kind("admin_purge_comment", "admin_purge_comment", None),
    "hidden_communities": Kind("mod_hide_community", "mod_hide_community", "hidden"),
}
"""Every list of ``GetModlogResponse`` (0.19.20; PieFed has the first nine)."""
PEOPLE = ("moderator", "admin", "commenter", "banned_person", "modded_person")
"""The persons a 0.19 entry may name (their field names tell PieFed from Lemmy)."""
ADD_KINDS = ("added_to_community", "added")
"""Their ``removed`` flag is true for a moderator removed: the undoing of an add."""


class V3Modlog(Model):
    """``GET /api/v3/modlog`` or ``/api/alpha/modlog``: the lists present."""

    lists: dict[str, list[V3View]]


class V4Log(Model):
    id: Id
    kind: str
    is_revert: Flag = None
    reason: str | None = None
    expires_at: UtcDatetime | None = None
    published_at: UtcDatetime


class V4View(Model):
    modlog: V4Log
    moderator: Actor | None = None
    target_person: Actor | None = None
    target_community: Actor | None = None
    target_post: Thing | None = None
    target_comment: Thing | None = None


class V4Modlog(Model):
    """``GET /api/v4/modlog``."""

    items: list[V4View]
    next_page: str | None = None


def v3_document(document: dict[str, object]) -> dict[str, object]:
    """A 0.19 or PieFed modlog as ``V3Modlog`` reads it: each known list, each entry
    with its kind object moved under ``entries``."""
    lists: dict[str, list[object]] = {}
    for name, kind in V3_KINDS.items():
        views = document.get(name)
        if not isinstance(views, list):
            continue
        lists[name] = [_with_entry(v, kind.key) for v in views]
    return {"lists": lists}


def _with_entry(view: object, key: str) -> object:
    if not isinstance(view, dict) or key not in view:
        return view
    return {**{k: v for k, v in view.items() if k != key}, "entries": {key: view[key]}}


def v3_page(doc: V3Modlog, prov: Provenance) -> Page:
    """The records of a validated 0.19 or PieFed modlog, every list."""
    actions = [
        _v3_action(view, name, prov)
        for name, views in doc.lists.items()
        for view in views
        if view.entries.get(V3_KINDS[name].key) is not None
    ]
    return Page(endpoint="modlog", actions=tuple(actions))


def _v3_action(view: V3View, name: str, prov: Provenance) -> ModAction:
    kind = V3_KINDS[name]
    entry = view.entries[kind.key]
    assert entry is not None
    action = kind.action
    if name == "featured_posts" and entry.is_featured_community is False:
        action = "admin_feature_post_site"
    flag = getattr(entry, kind.flag) if kind.flag else None
    reverted = bool(flag) if name in ADD_KINDS else flag is False
    who = view.moderator or view.admin
    person = view.commenter or view.banned_person or view.modded_person
    return _action(
        prov,
        entry.id,
        action,
        reverted,
        who,
        post=view.post,
        comment=view.comment,
        person=person,
        community=view.community,
        reason=entry.reason,
        expires=entry.expires,
        when=entry.when_,
    )


def v4_page(doc: V4Modlog, prov: Provenance) -> Page:
    """The records of a validated 1.0 modlog page."""
    actions = tuple(
        _action(
            prov,
            v.modlog.id,
            v.modlog.kind,
            bool(v.modlog.is_revert),
            v.moderator,
            post=v.target_post,
            comment=v.target_comment,
            person=v.target_person,
            community=v.target_community,
            reason=v.modlog.reason,
            expires=v.modlog.expires_at,
            when=v.modlog.published_at,
        )
        for v in doc.items
    )
    return Page(endpoint="modlog", actions=actions, next_page=doc.next_page)


def _action(
    prov: Provenance,
    log_id: int,
    action: str,
    reverted: bool,
    who: Actor | None,
    *,
    post: Thing | None,
    comment: Thing | None,
    person: Actor | None,
    community: Actor | None,
    reason: str | None,
    expires: datetime | None,
    when: datetime,
) -> ModAction:
    return ModAction(
        instance=prov.instance,
        log_id=log_id,
        action=action,
        reverted=reverted,
        moderator=handle(who.name, who.ap_id) if who else None,
        moderator_ap_id=who.ap_id if who else None,
        post_ap_id=post.ap_id if post else None,
        comment_ap_id=comment.ap_id if comment else None,
        person_ap_id=person.ap_id if person else None,
        community_ap_id=community.ap_id if community else None,
        reason=reason or None,
        expires=expires,
        acted_at=when,
        dialect=prov.dialect,
        server_version=prov.server_version,
        collected_at=prov.collected_at,
        run_id=prov.run_id,
    )
