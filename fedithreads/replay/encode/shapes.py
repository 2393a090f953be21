"""The shape table: how each dialect and version names, orders and omits an object's keys.

An encoded object starts as a neutral *context* dict (``fedithreads.replay.encode.context``); its
*shape* then picks, renames and orders the keys that dialect's server writes. Shapes are
written in a small language so the table reads like the API reference: one string per
object kind, a whitespace-separated list of tokens, each one output key in output order::

    key                 the value of ctx["key"]
    key=source          the value of ctx["source"], written as "key"
    key:literal         a constant, written as JSON (false, 0, [], "Public", null)
    ...?                leave the key out when the value is None (Lemmy's
                        ``skip_serializing_none``; PieFed writes some nulls)
    ...@tag             keep the token only for server versions that have ``tag``

A token is ``key``, ``key=source`` or ``key:literal`` (a literal cannot also name a
source), then an optional ``?``, then an optional ``@tag``: ``updated_at=updated?``,
``hot_rank:0@v18``, ``next_page?@v19``. Literals hold no spaces; a missing source is a
KeyError in ``project``. Tags (``version_tags``) exist only for lemmy-v3: ``v18`` before
0.19, ``v19`` from 0.19, ``v194`` from 0.19.4 and ``nct`` where ``newest_comment_time`` is
written (all but 0.19.0/0.19.1); the other dialects have none, so their tagged tokens drop.

``compile_shape`` parses a string once per ``Encoder``; ``project`` builds an object from a
context. Shapes follow reference/lemmy-api.md §1.3, §4.3, §5.1 and the saved responses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

Json = dict[str, Any]

_NS = '"NotSubscribed"'
_V3_VIEW_FLAGS = "banned_from_community:false@v194 creator_is_moderator@v19 creator_is_admin@v19"
_V4_VIEW_FLAGS = (
    "creator_is_admin tags:[] can_mod:false creator_banned:false creator_is_moderator "
    "creator_banned_from_community:false"
)
_PF_VIEW_FLAGS = (
    "creator_banned_from_community:false creator_is_moderator creator_is_admin "
    "can_auth_user_moderate:false"
)
_ACTIVE = "users_active_day users_active_week users_active_month users_active_half_year"
_PF_ACTIVE = (
    "active_daily=users_active_day active_weekly=users_active_week "
    "active_monthly=users_active_month active_6monthly=users_active_half_year"
)
_V3_LIMITS = (
    "local_site_id:1 message:180 message_per_second:60 post:6 post_per_second:600 "
    "register=register_limit register_per_second:3600 image:6 image_per_second:3600 "
    "comment:6 comment_per_second:600 search:60 search_per_second:600 published "
    "updated? import_user_settings:1@v19 import_user_settings_per_second:86400@v19"
)
_V4_LIMITS = (
    "local_site_id:1 message_max_requests:180 message_interval_seconds:60 "
    "post_max_requests:6 post_interval_seconds:600 register_max_requests:10 "
    "register_interval_seconds:3600 image_max_requests:6 image_interval_seconds:3600 "
    "comment_max_requests:6 comment_interval_seconds:600 search_max_requests:60 "
    "search_interval_seconds:600 published_at=published import_user_settings_max_requests:1 "
    "import_user_settings_interval_seconds:86400"
)
_SITE_COUNTS = f"site_id:1 users posts comments communities {_ACTIVE}"

SHAPES: dict[str, dict[str, str]] = {
    "lemmy-v3": {
        "person": "id name avatar? banned:false published actor_id local deleted:false "
        "admin@v18 bot_account:false instance_id",
        "community": "id name title removed:false published deleted:false nsfw:false actor_id "
        'local hidden:false posting_restricted_to_mods:false instance_id visibility:"Public"@v194',
        "post": "id name url? body? creator_id community_id removed locked published updated? "
        "deleted nsfw ap_id local language_id? featured_community featured_local:false",
        "post_counts": "id=counts_id@v18 post_id comments score upvotes downvotes published "
        "newest_comment_time_necro=newest_comment_time@v18 newest_comment_time@nct "
        "featured_community@v18 featured_local:false@v18 hot_rank:0@v18 "
        "hot_rank_active:0@v18 community_id@v18 creator_id@v18",
        "post_view": "post creator community creator_banned_from_community:false "
        f"{_V3_VIEW_FLAGS} counts subscribed:{_NS} saved:false read:false hidden:false@v194 "
        "creator_blocked:false unread_comments=comments",
        "comment": "id creator_id post_id content removed published updated? deleted ap_id "
        "local path distinguished language_id?",
        "comment_counts": "id=counts_id@v18 comment_id score upvotes downvotes published "
        "child_count hot_rank:0@v18",
        "comment_view": "comment creator post community counts "
        f"creator_banned_from_community:false {_V3_VIEW_FLAGS} subscribed:{_NS} saved:false "
        "creator_blocked:false",
        "community_counts": "id=community_id@v18 community_id subscribers posts comments "
        f"published {_ACTIVE} subscribers_local@v194 hot_rank:0@v18",
        "community_view": f"community subscribed:{_NS} blocked:false counts "
        "banned_from_community:false@v194",
        "get_post": "post_view community_view moderators cross_posts",
        "get_comment": "comment_view recipient_ids:[]",
        "comment_list": "comments=views",
        "post_list": "posts=views next_page?@v19",
        "person_view": "person counts is_admin:false",
        "person_counts": "id=counts_id@v18 person_id post_count comment_count",
        "person_content": "person_view site? moderates:[] comments posts",
        "site": "site_view admins version all_languages discussion_languages:[] "
        "taglines:[] custom_emojis:[] blocked_urls:[]@v19",
        "site_view": "site local_site local_site_rate_limit counts",
        "site_object": "id:1 name published icon actor_id last_refreshed_at=published "
        "inbox_url public_key instance_id:1",
        "local_site": "id:1 site_id:1 site_setup:true enable_downvotes=downvotes "
        "enable_nsfw:false community_creation_admin_only:false "
        "require_email_verification:false private_instance:false "
        'default_theme:"browser" default_post_listing_type:"Local" '
        "hide_modlog_mod_names:true application_email_admins:false actor_name_max_length:20 "
        'federation_enabled:true captcha_enabled:false captcha_difficulty:"medium" published '
        'registration_mode:"RequireApplication" reports_email_admins:false '
        'federation_signed_fetch:false default_post_listing_mode:"List" '
        'default_sort_type:"Active"',
        "local_site_rate_limit": f"id:1@v18 {_V3_LIMITS}",
        "site_counts": f"id:1@v18 {_SITE_COUNTS}",
    },
    "lemmy-v4": {
        "person": "id name avatar? published_at=published ap_id=actor_id local "
        "last_refreshed_at=published deleted:false bot_account:false instance_id post_count "
        "comment_count",
        "community": "id name title removed:false published_at=published deleted:false "
        "nsfw:false ap_id=actor_id local last_refreshed_at=published "
        'posting_restricted_to_mods:false instance_id visibility:"public" subscribers posts '
        f"comments {_ACTIVE} subscribers_local report_count:0 unresolved_report_count:0 "
        "local_removed:false",
        "post": "id name url? body? creator_id community_id removed locked "
        "published_at=published updated_at=updated? deleted nsfw ap_id local language_id? "
        "featured_community featured_local:false newest_comment_time_at=newest_comment? "
        "comments score upvotes downvotes report_count:0 unresolved_report_count:0 "
        "federation_pending:false",
        "post_view": f"post creator community {_V4_VIEW_FLAGS}",
        "comment": "id creator_id post_id content removed published_at=published "
        "updated_at=updated? deleted ap_id local path distinguished language_id? score "
        "upvotes downvotes child_count report_count:0 unresolved_report_count:0 "
        "federation_pending:false locked:false",
        "comment_view": f"comment creator post community {_V4_VIEW_FLAGS}",
        "community_view": "community can_mod:false tags:[]",
        "get_post": "post_view community_view cross_posts moderators",
        "get_comment": "comment_view",
        "comment_list": "items=views next_page? prev_page?",
        "post_list": "items=views next_page? prev_page?",
        "person_content": "items next_page? prev_page?",
        "site": "site_view admins version all_languages discussion_languages:[] "
        "oauth_providers:[] admin_oauth_providers:[] blocked_urls:[] active_plugins:[] "
        "captcha_enabled:false",
        "site_view": "site local_site local_site_rate_limit instance",
        "site_object": "id:1 name published_at=published icon ap_id=actor_id "
        "last_refreshed_at=published inbox_url instance_id:1",
        "local_site": "id:1 site_id:1 site_setup:true community_creation_admin_only:false "
        'email_verification_required:false private_instance:false default_theme:"browser" '
        'default_post_listing_type:"local" application_email_admins:false '
        "federation_enabled:true published_at=published "
        'registration_mode:"require_application" reports_email_admins:false '
        'federation_signed_fetch:false default_post_listing_mode:"list" '
        'default_post_sort_type:"active" default_comment_sort_type:"hot" '
        'oauth_registration:false post_upvotes:"all" post_downvotes=vote_mode '
        'comment_upvotes:"all" comment_downvotes=vote_mode nsfw_content_disallowed:false '
        f"users posts comments communities {_ACTIVE} email_notifications_disabled:false "
        'default_items_per_page:20 image_mode:"store_link_previews" '
        "image_upload_timeout_seconds:30 image_max_thumbnail_size:512 "
        "image_max_avatar_size:512 image_max_banner_size:1024 image_max_upload_size:1024 "
        "image_allow_video_uploads:false image_upload_disabled:false "
        "max_invites_per_user_allowed:0",
        "local_site_rate_limit": _V4_LIMITS,
        "instance": 'id:1 domain published_at=published software:"lemmy" version',
    },
    "piefed": {
        "person": "id user_name=name title=name banned:false deleted:false bot:false "
        "published actor_id local instance_id avatar? extra_fields:[]",
        "community": "id name title nsfw:false ai_generated:false question_answer:false "
        "banned:false restricted_to_mods:false published updated=published deleted:false "
        "removed:false actor_id local hidden:false instance_id ap_domain",
        "post": "id user_id=creator_id community_id title=name deleted=pf_deleted "
        "sticky=featured_community instance_sticky:false emoji_reactions:null published "
        "ap_id local language_id? removed locked nsfw ai_generated:false body=pf_body? "
        'edited_at=updated? post_type url? cross_posts:[] tags:"" flair:""',
        "post_counts": "post_id comments score upvotes downvotes published "
        "newest_comment_time cross_posts:0",
        "post_view": f"post counts banned_from_community:false subscribed:{_NS} saved:false "
        "read:false hidden:false unread_comments=comments my_vote:0 activity_alert:false "
        f"{_PF_VIEW_FLAGS} flair_list:[] creator community",
        "comment": "id user_id=creator_id post_id body=content deleted=pf_deleted "
        "answer:false emoji_reactions:null published ap_id local language_id? distinguished "
        "locked:false removed repliesEnabled:true path updated?",
        "comment_counts": "comment_id score upvotes downvotes published child_count",
        "comment_view": f"comment counts banned_from_community:false subscribed:{_NS} "
        f"saved:false creator_blocked:false my_vote:0 activity_alert:false {_PF_VIEW_FLAGS} "
        "creator community post",
        "community_counts": "id=community_id subscriptions_count=subscribers "
        "total_subscriptions_count=subscribers post_count=posts post_reply_count=comments "
        f"{_PF_ACTIVE} published",
        "community_view": f"community subscribed:{_NS} blocked:false activity_alert:false "
        "counts flair_list:[]",
        "get_post": "post_view community_view moderators cross_posts",
        "get_comment": "comment_view",
        "comment_list": "comments=views next_page",
        "post_list": "posts=views next_page",
        "person_view": "person counts is_admin:false activity_alert:false",
        "person_counts": "person_id post_count comment_count",
        "person_content": "comments moderates:[] person_view posts",
        "site": "version admins site",
        "site_object": 'enable_downvotes=downvotes icon registration_mode:"Open" name '
        "actor_id user_count=users all_languages",
    },
}


class _Field(NamedTuple):
    """One compiled token: the output ``key`` and a ``source`` key or else a ``literal``."""

    key: str
    source: str | None
    literal: Any
    optional: bool


def compile_shape(spec: str, tags: frozenset[str]) -> tuple[_Field, ...]:
    """Parse one shape string, keeping the tokens whose ``@tag`` is in ``tags``."""
    fields = []
    for token in spec.split():
        token, _, tag = token.partition("@")
        if tag and tag not in tags:
            continue
        optional = token.endswith("?")
        token = token.rstrip("?")
        key, colon, literal = token.partition(":")
        if colon:
            fields.append(_Field(key, None, json.loads(literal), optional))
        else:
            key, _, source = key.partition("=")
            fields.append(_Field(key, source or key, None, optional))
    return tuple(fields)


def project(fields: tuple[_Field, ...], ctx: Mapping[str, Any]) -> Json:
    """Build one object: each field's value from ``ctx`` (or its literal), in order."""
    out: Json = {}
    for key, source, literal, optional in fields:
        value = literal if source is None else ctx[source]
        if value is not None or not optional:
            out[key] = value
    return out


def version_tags(dialect: str, version: tuple[int, int, int]) -> frozenset[str]:
    """The shape tags a server version has: ``v18``, ``v19``, ``v194`` and ``nct``
    (``newest_comment_time`` present: all but 0.19.0/0.19.1)."""
    if dialect != "lemmy-v3":
        return frozenset()
    tags = {"v18"} if version < (0, 19, 0) else {"v19"}
    if version >= (0, 19, 4):
        tags.add("v194")
    if not (0, 19, 0) <= version < (0, 19, 2):
        tags.add("nct")
    return frozenset(tags)


__all__ = ["SHAPES", "Json", "compile_shape", "project", "version_tags"]
