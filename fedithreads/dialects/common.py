"""What every dialect model shares: tolerant base model, UTC timestamps, error translation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from fedithreads.errors import ParseError


def _as_utc(value: datetime) -> datetime:
    """Naive timestamps (Lemmy 0.18) are UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""RFC 3339 with or without ``Z``/offset and 0-9 fractional digits, always UTC-aware."""


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
    """Validate ``document`` (a dict, or raw JSON bytes/str) or raise one ParseError."""
    try:
        if isinstance(document, bytes | str):
            return model.model_validate_json(document)
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        problem = first["msg"]
        if first["type"] == "json_invalid":
            problem = f"not valid JSON ({first.get('ctx', {}).get('error', 'malformed')})"
        elif first["type"] not in ("missing",) and "input" in first:
            shown = repr(first["input"])
            problem += f" (got {shown[:60]}{'…' if len(shown) > 60 else ''})"
        raise ParseError(dialect, endpoint, source, json_path(first["loc"]), problem) from None
