"""TOML tables → frozen dataclasses, strictly, with one clear problem per mistake.

Each field of a settings dataclass says how its value is read (``setting(default,
read)``): a reader takes the TOML value and returns the field's value, or raises
ValueError with what the value must be, in TOML words. ``read_table`` walks a document
and raises one ``Problem`` naming the key path (``limits.concurrency``,
``hosts.lemmy.example.token_env``) for the first mistake. Types are strict, as TOML has
real ones: ``"4"`` is not a number and ``true`` is not 1; a whole number is fine where a
decimal is expected; numbers must be finite.

Plain code rather than a validation library: ``collect`` reads its settings before its
first request, and this costs nothing to import.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")
Reader = Callable[[Any], Any]
"""A TOML value → a field's value; a ValueError says what it must be."""

TABLE = "must be a table (a [section] of keys)"


class Problem(Exception):
    """The first mistake in a document: its key path, what is wrong, the value found
    (``unknown`` for a key no field reads)."""

    def __init__(
        self, key: tuple[str, ...], problem: str, value: object = None, *, unknown: bool = False
    ) -> None:
        super().__init__(".".join(key), problem)
        self.key = key
        self.problem = problem
        self.value = value
        self.unknown = unknown


def setting(default: Any, read: Reader) -> Any:
    """A dataclass field with a default, read from TOML by ``read``."""
    return dataclasses.field(default=default, metadata={"read": read})


def section(cls: type[Any]) -> Any:
    """A dataclass field holding a nested table read into ``cls`` (its defaults when absent)."""
    return dataclasses.field(default_factory=cls, metadata={"table": cls})


def tables(cls: type[Any]) -> Any:
    """A dataclass field holding named tables (``[hosts."a.example"]``), each read into ``cls``."""
    return dataclasses.field(default_factory=dict, metadata={"tables": cls})


def read_table(cls: type[T], raw: object, key: tuple[str, ...] = ()) -> T:
    """``raw`` (a TOML table) read into the dataclass ``cls``, or the first Problem."""
    if not isinstance(raw, dict):
        raise Problem(key, TABLE, raw)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in raw:
        if name not in fields:
            raise Problem((*key, name), "unknown key", raw[name], unknown=True)
    values = {name: _read_field(fields[name], value, (*key, name)) for name, value in raw.items()}
    return cls(**values)


def _read_field(field: dataclasses.Field[Any], value: object, key: tuple[str, ...]) -> Any:
    meta = field.metadata
    if "table" in meta:
        return read_table(meta["table"], value, key)
    if "tables" in meta:
        if not isinstance(value, dict):
            raise Problem(key, TABLE, value)
        return {
            name: read_table(meta["tables"], each, (*key, name)) for name, each in value.items()
        }
    try:
        return meta["read"](value)
    except ValueError as exc:
        raise Problem(key, str(exc), value) from None


def number(*, gt: float | None = None, ge: float | None = None, le: float | None = None) -> Reader:
    """A finite number (a whole one is fine) within the bounds, as a float."""

    def read(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        _bounded(value, gt=gt, ge=ge, le=le)
        return float(value)

    return read


def whole(*, ge: int) -> Reader:
    """A whole number, at least ``ge``."""

    def read(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        _bounded(value, ge=ge)
        return value

    return read


def _bounded(
    value: float, *, gt: float | None = None, ge: float | None = None, le: float | None = None
) -> None:
    if gt is not None and not value > gt:
        raise ValueError(f"must be greater than {gt:g}")
    if ge is not None and not value >= ge:
        raise ValueError(f"must be greater than or equal to {ge:g}")
    if le is not None and not value <= le:
        raise ValueError(f"must be less than or equal to {le:g}")


def flag(value: object) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise ValueError("must be true or false (a boolean)")
    return value


def text(check: Callable[[str], str] | None = None) -> Reader:
    """A quoted string, then ``check`` (which raises ValueError) if given."""

    def read(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a quoted string")
        return check(value) if check is not None else value

    return read
