"""Lemmy 0.18/0.19 (``/api/v3``): its names are the defaults of ``names.Dialect``.

0.18 writes naive timestamps and extra aggregate keys; 0.19.0/0.19.1 omit
``newest_comment_time``; both shapes validate here (see reference/lemmy-api.md §1.3).
Counts come from the ``counts`` object; comment lists carry no cursor in 0.19, so a
``next_page`` there is ignored. The hottest page, ``/comment/list``, usually takes
``fastpath`` instead of these models.
"""

from __future__ import annotations

from fedithreads.dialects.models import build_models
from fedithreads.dialects.names import Dialect

NAMES = Dialect("lemmy-v3")
DIALECT = NAMES.name
MODELS = build_models(NAMES)
