"""What every dialect model shares: tolerant base model, UTC timestamps, error translation.

Tolerance, where the meaning is clear (reference/lemmy-api.md §8.2): unknown keys are
ignored; a missing optional key and an explicit ``null`` mean the same, also for flags
and ``child_count`` (``Flag``, ``Count0``: null is their default); numbers sent as
strings are numbers; a field renamed between versions (``published``/``published_at``,
``actor_id``/``ap_id``, ``name``/``title``, ``content``/``body``) is read under either
name (``either``). Ids and counts must fit the tables' 64-bit integers, timestamps the
calendar. Everything else is one ParseError naming the JSON path.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, NamedTuple, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
)

from fedithreads.errors import ParseError

I64_MAX = 2**63 - 1


def _as_utc(value: datetime) -> datetime:
    """Naive timestamps (Lemmy 0.18) are UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of the range of dates once converted to UTC") from None


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""RFC 3339 with or without ``Z``/offset and 0-9 fractional digits, always UTC-aware."""


Flag = bool | None
"""A flag; ``null`` is ``false`` (records take ``bool(flag)``)."""
Id = Annotated[int, Field(ge=0, le=I64_MAX)]
"""A local id: a non-negative 64-bit integer."""
Count = Annotated[int, Field(ge=-I64_MAX, le=I64_MAX)]
"""A count or score: a 64-bit integer (scores may be negative)."""
Count0 = Annotated[int, Field(ge=-I64_MAX, le=I64_MAX)] | None
"""A count whose absence or ``null`` means 0 (records take ``count or 0``)."""


def either(*names: str) -> Any:
    """A field read under any of ``names`` (the first present wins)."""
    return Field(validation_alias=AliasChoices(*names))


def either_or(default: Any, *names: str) -> Any:
    """An optional field read under any of ``names``."""
    return Field(default, validation_alias=AliasChoices(*names))


class Model(BaseModel):
    """Tolerant base: unknown keys are ignored, optional keys may be missing or null."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


def blank_to_none(text: str | None) -> str | None:
    """An empty text from the server means "not shown to us", never "empty"."""
    return text if text else None


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("comments", 3, "comment", "published")`` → ``$.comments[3].comment.published``."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], document: Any, *, dialect: str, endpoint: str, source: str) -> M:
    """Validate ``document`` (a dict, or raw JSON bytes/str) or raise one ParseError.

    A decoded document goes through JSON again, so it meets the same rules as raw bytes
    (a lone surrogate is invalid JSON, not a string no table can store).
    """
    try:
        if not isinstance(document, bytes | str):
            try:
                document = json.dumps(document, allow_nan=False)
            except (ValueError, TypeError, RecursionError) as exc:
                raise ParseError(dialect, endpoint, source, "$", f"not JSON data ({exc})") from None
        return model.model_validate_json(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        problem = first["msg"]
        if first["type"] == "json_invalid":
            problem = f"not valid JSON ({first.get('ctx', {}).get('error', 'malformed')})"
        elif first["type"] not in ("missing",) and "input" in first:
            shown = repr(first["input"])
            problem += f" (got {shown[:60]}{'…' if len(shown) > 60 else ''})"
        raise ParseError(dialect, endpoint, source, json_path(first["loc"]), problem) from None


class PostCountFields(Model):
    """A post's counts where v4 keeps them, on the post itself (optional here: older or
    newer shapes keep them in a ``counts`` object instead)."""

    comments: Count | None = None
    score: Count | None = None
    upvotes: Count | None = None
    downvotes: Count | None = None
    newest_comment_time: UtcDatetime | None = either_or(
        None, "newest_comment_time", "newest_comment_time_at"
    )


class PostCounts(Model):
    """A ``counts`` object of a post view (Lemmy 0.18/0.19, PieFed, early 1.0 alphas)."""

    comments: Count
    score: Count
    upvotes: Count
    downvotes: Count
    newest_comment_time: UtcDatetime | None = either_or(
        None, "newest_comment_time", "newest_comment_time_at"
    )


class CommentCountFields(Model):
    """A comment's counts on the comment itself (v4), optional."""

    score: Count | None = None
    upvotes: Count | None = None
    downvotes: Count | None = None
    child_count: Count0 = None


class CommentCounts(Model):
    """A ``counts`` object of a comment view."""

    score: Count
    upvotes: Count
    downvotes: Count
    child_count: Count0 = 0


class Tally(NamedTuple):
    """Counts as a record needs them, wherever the document kept them."""

    score: int
    upvotes: int
    downvotes: int
    comments: int = 0
    newest_comment_time: datetime | None = None
    child_count: int = 0


def post_counts(on_object: PostCountFields, counts: PostCounts | None) -> Tally:
    """The counts object if there is one, else the counts on the post; ValueError if the
    post carries none (parse_page makes it a ParseError)."""
    c: PostCounts | PostCountFields = counts if counts is not None else on_object
    if c.comments is None or c.score is None or c.upvotes is None or c.downvotes is None:
        raise ValueError("a post without counts (neither a counts object nor counts on it)")
    return Tally(c.score, c.upvotes, c.downvotes, c.comments, c.newest_comment_time)


def comment_counts(on_object: CommentCountFields, counts: CommentCounts | None) -> Tally:
    """As ``post_counts``, for a comment."""
    c: CommentCounts | CommentCountFields = counts if counts is not None else on_object
    if c.score is None or c.upvotes is None or c.downvotes is None:
        raise ValueError("a comment without counts (neither a counts object nor counts on it)")
    return Tally(c.score, c.upvotes, c.downvotes, child_count=c.child_count or 0)
