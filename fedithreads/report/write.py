"""The report's last step: pages, the Vega asset and chart PNGs written to files.

Every file is written atomically (never half a page) and readable by others (a report
is meant to be shared or served); pages of threads no longer in the corpus are left as
they are. With PNGs, each drawn chart of a page becomes ``png/<page>-<chart>.png``,
rendered in-process by vl-convert at the Vega-Lite version of the specs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import vl_convert

from fedithreads.report.charts import VEGALITE_VERSION
from fedithreads.report.figures import Figure
from fedithreads.storage.atomic import write_atomic

PNG_SCALE = 2


def write_page(out: Path, path: str, text: str, figures: Sequence[Figure] = ()) -> int:
    """Write ``text`` at ``out/path`` and each drawn figure as a PNG; the PNGs written."""
    write_text(out, path, text)
    stem = Path(path).stem
    drawn = [(f.name, f.spec) for f in figures if f.spec is not None]
    for name, spec in drawn:
        _write_bytes(out / "png" / f"{stem}-{name}.png", chart_png(spec))
    return len(drawn)


def write_text(out: Path, path: str, text: str) -> None:
    """Write ``text`` as UTF-8 at ``out/path``."""
    _write_bytes(out / path, text.encode("utf-8"))


def chart_png(spec: dict[str, object]) -> bytes:
    """A chart as PNG, rendered in-process by vl-convert; external URLs are refused."""
    png = vl_convert.vegalite_to_png(
        spec, vl_version=VEGALITE_VERSION, scale=PNG_SCALE, allowed_base_urls=[]
    )
    return bytes(png)


def _write_bytes(path: Path, data: bytes) -> None:
    """Atomically, readable by others."""

    def write(fh: IO[bytes]) -> None:
        os.fchmod(fh.fileno(), 0o644)
        fh.write(data)

    write_atomic(path, write)
