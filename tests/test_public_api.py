"""The package's public surface is deliberate: __all__ is exactly what it exports."""

from __future__ import annotations

import types

import fedithreads


def test_all_lists_every_public_name_and_nothing_else() -> None:
    """Every public, non-module attribute is in __all__, and every name in __all__ exists."""
    public = {
        name
        for name, value in vars(fedithreads).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert public | {"__version__"} == set(fedithreads.__all__)


def test_version_comes_from_the_installed_metadata() -> None:
    """__version__ is the distribution's version, not a hard-coded copy."""
    from importlib.metadata import version

    assert fedithreads.__version__ == version("fedithreads")
