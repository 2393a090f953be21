"""What every dialect model shares: tolerant base model, UTC timestamps, error translation.

Tolerance, where the meaning is clear (reference/lemmy-api.md §8.2): unknown keys are
ignored; a missing optional key and an explicit ``null`` mean the same, also for flags
and ``child_count`` (``Flag``, ``Count0``: null is their default); numbers sent as
strings are numbers; a field renamed between versions (``published``/``published_at``,
``actor_id``/``ap_id``, ``name``/``title``, ``content``/``body``) is read under either
name (``names.Dialect``; ``either_or`` where all dialects agree). Ids and counts must fit
the tables' 64-bit integers and be what the API can send (no negative count: only a
score may be negative), timestamps the calendar. Everything else is one ParseError
naming the JSON path.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

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
Score = Annotated[int, Field(ge=-I64_MAX, le=I64_MAX)]
"""A score (upvotes − downvotes): a 64-bit integer, negative too."""
Count = Annotated[int, Field(ge=0, le=I64_MAX)]
"""A count (comments, upvotes, downvotes, child_count): Lemmy keeps them in 64-bit
columns (``i64`` on 0.19, ``i32`` on 1.0) and never sends a negative one."""
Count0 = Count | None
"""A count whose absence or ``null`` means 0 (records take ``count or 0``)."""


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
