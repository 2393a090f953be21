"""The dialect models, declared once with neutral names and built per dialect.

The classes here name what a record needs (``Post.title``, ``Comment.content``,
``PostList.views``) and are never validated against themselves: ``build_models(dialect)``
derives from each a model of the same name whose fields are read under that dialect's
JSON names (``names.Dialect``) and whose nested models are that dialect's. Only the fields
fedithreads uses are declared; everything else is ignored. Fields keep their declared
order, so the first problem reported in a document is the same in every dialect.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import GenericAlias
from typing import Any, ClassVar, NamedTuple, TypeVar, get_args, get_origin

from pydantic import AliasChoices, Field, create_model
from pydantic.fields import FieldInfo

from fedithreads.dialects.common import (
    Count,
    Count0,
    Flag,
    Id,
    Model,
    Score,
    UtcDatetime,
    either_or,
)
from fedithreads.dialects.names import Dialect, Keys


class PostCountFields(Model):
    """A post's counts where v4 keeps them, on the post itself (optional here: older or
    newer shapes keep them in a ``counts`` object instead)."""

    comments: Count | None = None
    score: Score | None = None
    upvotes: Count | None = None
    downvotes: Count | None = None
    newest_comment_time: UtcDatetime | None = either_or(
        None, "newest_comment_time", "newest_comment_time_at"
    )


class PostCounts(Model):
    """A ``counts`` object of a post view (Lemmy 0.18/0.19, PieFed, early 1.0 alphas)."""

    comments: Count
    score: Score
    upvotes: Count
    downvotes: Count
    newest_comment_time: UtcDatetime | None = either_or(
        None, "newest_comment_time", "newest_comment_time_at"
    )


class CommentCountFields(Model):
    """A comment's counts on the comment itself (v4), optional."""

    score: Score | None = None
    upvotes: Count | None = None
    downvotes: Count | None = None
    child_count: Count0 = None


class CommentCounts(Model):
    """A ``counts`` object of a comment view."""

    score: Score
    upvotes: Count
    downvotes: Count
    child_count: Count0 = 0


class Person(Model):
    name: str
    ap_id: str
    banned: Flag = None
    bot: Flag = None
    deleted: Flag = None
    display_name: str | None = None


class Community(Model):
    name: str
    ap_id: str


class Post(PostCountFields):
    id: Id
    title: str
    url: str | None = None
    body: str | None = None
    published: UtcDatetime
    updated: UtcDatetime | None = None
    deleted: Flag = False
    removed: Flag = False
    locked: Flag = False
    nsfw: Flag = False
    pinned_community: Flag = False
    pinned_instance: Flag = False
    language_id: Id | None = None
    ap_id: str


class PostView(Model):
    own_counts_first: ClassVar[bool] = False
    """The dialect's ``Dialect.own_counts_first``."""

    post: Post
    creator: Person
    community: Community
    counts: PostCounts | None = None
    creator_banned: Flag = None
    """Lemmy 1.0 keeps the instance ban on the view, not the person."""


class Comment(CommentCountFields):
    id: Id
    post_id: Id
    content: str | None = None
    published: UtcDatetime
    updated: UtcDatetime | None = None
    deleted: Flag = False
    removed: Flag = False
    distinguished: Flag = False
    language_id: Id | None = None
    ap_id: str
    path: str


class PostRef(Model):
    ap_id: str


class CommentView(Model):
    """A full or slim comment view: ``post`` is absent from v4's ``/comment/list/slim``."""

    own_counts_first: ClassVar[bool] = False
    comment: Comment
    creator: Person
    post: PostRef | None = None
    counts: CommentCounts | None = None
    creator_banned: Flag = None


class GetPost(Model):
    """``GET /post``."""

    post_view: PostView


class PostList(Model):
    """``GET /post/list``: ``next_page`` is a cursor (Lemmy 0.19+), a page number
    (PieFed) or absent (0.18, and the last page)."""

    views: list[PostView]
    next_page: str | None = None


class GetComment(Model):
    """``GET /comment``."""

    comment_view: CommentView


class CommentList(Model):
    """``GET /comment/list`` without a cursor (Lemmy 0.19)."""

    views: list[CommentView]


class PagedCommentList(CommentList):
    """``GET /comment/list`` with one (v4, also ``/comment/list/slim``; PieFed)."""

    next_page: str | None = None


class PersonContent(Model):
    """A person's posts and comments, newest first: ``GET /user`` (Lemmy 0.19; PieFed
    with ``include_content``), and v4's ``/person/content`` once its tagged ``items``
    are split by kind (``lemmy_v4.split_person_items``)."""

    posts: list[PostView]
    comments: list[CommentView]
    next_page: str | None = None


class Models(NamedTuple):
    """One dialect's document models."""

    post: type[GetPost]
    post_list: type[PostList]
    comment: type[GetComment]
    comment_list: type[CommentList]
    person_content: type[PersonContent]

    def by_endpoint(self) -> dict[str, type[Model]]:
        return {
            "post": self.post,
            "post/list": self.post_list,
            "comment": self.comment,
            "comment/list": self.comment_list,
            "user": self.person_content,
            "person/content": self.person_content,
        }


M = TypeVar("M", bound=Model)


def build_models(d: Dialect) -> Models:
    """The models of dialect ``d``: each neutral model read under ``d``'s names."""
    built: dict[type[Model], type[Model]] = {}

    def derive(base: type[M], **aliases: Keys) -> type[M]:
        built[base] = model = _derive(base, aliases, built)
        return model

    derive(Person, name=d.person_name, ap_id=d.actor_id, bot=d.bot, display_name=d.display_name)
    derive(Community, ap_id=d.actor_id)
    times = {"published": d.published, "updated": d.updated}
    pins = {"pinned_community": d.pinned_community, "pinned_instance": d.pinned_instance}
    derive(Post, title=d.title, **times, **pins)
    derive(Comment, content=d.content, **times)
    derive(PostView).own_counts_first = d.own_counts_first
    derive(CommentView).own_counts_first = d.own_counts_first
    comments = PagedCommentList if d.comment_cursor else CommentList
    return Models(
        post=derive(GetPost),
        post_list=derive(PostList, views=d.post_list),
        comment=derive(GetComment),
        comment_list=derive(comments, views=d.comment_list),
        person_content=derive(PersonContent),
    )


def _derive(
    base: type[M], aliases: Mapping[str, Keys], built: Mapping[type[Model], type[Model]]
) -> type[M]:
    """A model named as ``base`` whose fields are read under ``aliases`` and whose nested
    models are replaced by those ``built`` from them; other fields are inherited."""
    fields: dict[str, Any] = {}
    for name, info in base.model_fields.items():
        nested = _swap(info.annotation, built)
        if name in aliases or nested is not info.annotation:
            annotation = info.rebuild_annotation() if nested is info.annotation else nested
            fields[name] = (annotation, _field(info, aliases.get(name)))
    return create_model(base.__name__, __base__=base, __module__=base.__module__, **fields)


def _swap(annotation: Any, built: Mapping[type[Model], type[Model]]) -> Any:
    """``annotation`` with a built model for the model it names (alone or in a list)."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return GenericAlias(list, (built[item],)) if item in built else annotation
    return built.get(annotation, annotation) if isinstance(annotation, type) else annotation


def _field(info: FieldInfo, keys: Keys | None) -> Any:
    """``info``'s default, read under ``keys`` (the first present wins) if given."""
    if keys is None:
        return Field(info.default, validation_alias=info.validation_alias)
    return Field(info.default, validation_alias=keys[0] if len(keys) == 1 else AliasChoices(*keys))
