"""The warm-up thread: what a run will need, imported while its first answers are awaited."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fedithreads.collect.warmup import warm_up


def _module(tmp_path: Path, name: str, body: str = "VALUE = 1\n") -> str:
    (tmp_path / f"{name}.py").write_text(body)
    return name


def test_the_thread_imports_each_module_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the thread has ended, the modules it was given are imported."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names = [_module(tmp_path, "warm_probe_a"), _module(tmp_path, "warm_probe_b")]
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)

    warm_up(names).join(timeout=30)

    assert all(name in sys.modules for name in names)


def test_a_module_that_fails_to_import_stops_the_thread_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing import ends the thread without an unhandled exception (the run's own import
    raises it where it is used); the modules after it are left to the run."""
    monkeypatch.syspath_prepend(str(tmp_path))
    broken = _module(tmp_path, "warm_probe_broken", "raise RuntimeError('broken')\n")
    after = _module(tmp_path, "warm_probe_after")
    monkeypatch.delitem(sys.modules, after, raising=False)

    thread = warm_up([broken, after])
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert broken not in sys.modules
    assert after not in sys.modules
    with pytest.raises(RuntimeError, match="broken"):
        __import__(broken)
