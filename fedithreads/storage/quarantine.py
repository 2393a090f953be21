"""Where ``repair`` puts what it takes out of the data dir: moved, never deleted.

``<data_dir>/quarantine/<the file's path relative to the data dir>``; a name already
taken there (the same damage repaired twice) gets ``.1``, ``.2``, … appended, so no
quarantined file is ever overwritten. Nothing in fedithreads reads the quarantine back
but ``check`` and ``repair`` themselves, which take a quarantined copy as the sign that
repair has already said what was lost with it.
"""

from __future__ import annotations

import itertools

from fedithreads.errors import StoreError
from fedithreads.storage.atomic import move_atomic
from fedithreads.storage.objects import Location

QUARANTINE_DIR = "quarantine"


def quarantine_path(data_dir: Location, path: Location) -> Location:
    """The first free place in the quarantine for ``path`` (a file in ``data_dir``)."""
    base = data_dir / QUARANTINE_DIR / path.relative_to(data_dir)
    for n in itertools.count():
        candidate = base if n == 0 else base.with_name(f"{base.name}.{n}")
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def quarantine(data_dir: Location, path: Location) -> Location:
    """Move ``path`` into the quarantine; where it went."""
    target = quarantine_path(data_dir, path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"{target.parent}: cannot create ({exc.strerror or exc}); nothing was moved"
        ) from None
    move_atomic(path, target)
    return target


def was_quarantined(data_dir: Location, path: Location) -> bool:
    """Whether a copy of ``path`` (or of a file of that name) is in the quarantine."""
    base = data_dir / QUARANTINE_DIR / path.relative_to(data_dir)
    return base.exists() or any(base.parent.glob(f"{base.name}.*"))
