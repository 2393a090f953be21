"""The package's public surface is deliberate: __all__ is exactly what it exports."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import fedithreads


def public_names() -> set[str]:
    return {
        name
        for name, value in vars(fedithreads).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_all_lists_every_public_name_and_nothing_else() -> None:
    """Every name in __all__ resolves, and once all are read the face holds nothing else."""
    for name in fedithreads.__all__:
        getattr(fedithreads, name)

    assert public_names() | {"__version__"} == set(fedithreads.__all__)
    assert set(fedithreads.__all__) <= set(dir(fedithreads))


def test_unknown_names_are_attribute_errors() -> None:
    """A name the face does not export raises AttributeError, as on any module."""
    with pytest.raises(AttributeError, match="no_such_name"):
        fedithreads.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_face_loads_no_polars_or_models() -> None:
    """``import fedithreads`` alone imports neither Polars nor pydantic nor the analysis."""
    code = (
        "import sys, fedithreads; "
        "print(sorted(m for m in ('polars', 'pydantic', 'fedithreads.analysis') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


def test_version_comes_from_the_installed_metadata() -> None:
    """__version__ is the distribution's version, not a hard-coded copy."""
    from importlib.metadata import version

    assert fedithreads.__version__ == version("fedithreads")
