"""The replay server's read API, one class per dialect over a shared base.

base      Api: lookups, documents and errors every dialect shares
routes    the route table, declared once and laid under each dialect's prefix; nodeinfo
params    limit, page and the thread parameters, read alike with per-dialect data
lemmy_v3  Lemmy 0.18/0.19 ``/api/v3``, with the quirks collectors trip over
lemmy_v4  Lemmy 1.0 ``/api/v4``: cursor pages, snake_case enums
piefed    PieFed ``/api/alpha``: page numbers, its own depth and error shapes
"""
