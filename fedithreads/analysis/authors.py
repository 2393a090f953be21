"""The authors table: one row per author and instance, from the current posts and comments.

For each (instance, author_ap_id) among the authors of the instance's current posts and
comments (deleted and removed ones included: the server still names their author):

- ``author``: the handle ``name@host`` (the latest snapshot's); ``display_name``: the
  name shown beside it, as the latest snapshot giving one has it (null if none did);
  ``host``: its host, the
  author's home instance; ``local``: whether that is the instance the rows come from.
- ``bot``, ``banned``, ``deleted``: the author's flags as the latest snapshot that showed
  them says (a bot account; banned from the instance, as the instance's API says: Lemmy
  0.19 and PieFed ``person.banned``, Lemmy 1.0 ``creator_banned``; the account deleted);
  null when no page showed them (rows written before the flags were stored).
- ``first_seen``, ``last_seen``: the earliest and the latest ``published`` of their
  posts and comments.
- ``posts``, ``comments``: how many they wrote; ``threads``: in how many distinct threads
  (their own posts' and those they commented in).
- ``replies_given``: their comments answering a post or comment by another author;
  ``replies_received``: comments by other authors answering theirs. A reply to oneself
  counts in neither, nor does one answering what was not collected
  (fedithreads.analysis.replies); so each is the author graph's weight out of or into
  the author, loops left out.
"""

from __future__ import annotations

import polars as pl

from fedithreads.analysis.replies import THREAD_KEY, parent_authors, parent_rows
from fedithreads.core import schema
from fedithreads.core.keys import name_codes, pack, widths

AUTHOR = ["instance", "author_ap_id"]
_FLAGS = {"bot": "author_bot", "banned": "author_banned", "deleted": "author_deleted"}


def authors_table(
    posts: pl.DataFrame, comments: pl.DataFrame, *, codes: str = "author_ap_id"
) -> pl.DataFrame:
    """The authors of current ``posts`` and ``comments`` (either may be empty), in the
    authors schema, in the order they first appear in ``posts``, then in ``comments``
    (not sorted again: sorting 300,000 URLs costs a fifth of the table's time).

    ``codes``: a column of both frames naming each author one to one as
    ``author_ap_id`` does, such as the integer codes the analysis reads authors as
    (fedithreads.analysis.parts): the rows are grouped and compared on it, and on the
    instances' numbers, instead of on the strings."""
    if posts.is_empty() and comments.is_empty():
        return schema.empty("authors")
    names = pl.concat([posts["instance"], comments["instance"]]).unique().sort()
    keyed = [
        frame.with_columns(name_codes("instance", names).alias(_I), pl.col(codes).alias(_A))
        for frame in (posts, comments)
    ]
    written = _written(*keyed)
    table = written.group_by(_key(written), maintain_order=True).agg(
        *(pl.col(c).first() for c in AUTHOR), *_PER_AUTHOR
    )
    host = pl.col("author").str.extract(r"@([^@]*)$")
    table = table.with_columns(host.alias("host"), (host == pl.col("instance")).alias("local"))
    return schema.conform(table, "authors")


_I, _A = "_instance_code", "_author_code"
"""The columns the rows are grouped on: the instance's number, the author's code."""


def _key(rows: pl.DataFrame) -> list[pl.Expr]:
    """What ``rows`` are grouped on: (``_I``, ``_A``) packed in one integer when the codes
    are integers without nulls that fit (a group-by on one integer column took two
    thirds of the time of one on two), else both."""
    codes = rows.select(_I, _A)
    integers = (
        all(t.is_integer() for t in codes.dtypes) and not codes.null_count().sum_horizontal()[0]
    )
    bits = widths(codes) if integers else None
    return [pack([_I, _A], bits).alias("_key")] if bits else [pl.col(_I), pl.col(_A)]


def _written(posts: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """One row per current post and comment: who wrote it, when, in which thread, the
    author's flags then, whether it is a post, whether it answers another author
    (``_gives``) and how many comments of other authors answer it (``_received``)."""
    coded = {_I: "instance", _A: "author_ap_id"}
    slim_posts = posts.select(*coded, "post_id").rename(coded)
    slim = comments.select(*coded, "post_id", "comment_id", "parent_id").rename(coded)
    rows = parent_rows(slim)
    answered = parent_authors(slim_posts, slim, rows)
    gives = (answered.is_not_null() & (answered != slim["author_ap_id"])).fill_null(False)
    top = comments["parent_id"].is_null()
    under_posts = slim.select(THREAD_KEY).filter(top & gives).group_by(THREAD_KEY).len()
    under_comments = pl.DataFrame({"row": rows.filter(gives & ~top)}).group_by("row").len()
    received = pl.zeros(comments.height, pl.UInt32, eager=True).scatter(
        under_comments["row"], under_comments["len"]
    )
    columns = [*coded, *AUTHOR, "author", "author_display_name", "post_id", "published"]
    columns += ["collected_at", *_FLAGS.values()]
    of_posts = posts.select(*columns, pl.lit(True).alias("_post"), pl.lit(False).alias("_gives"))
    answers = slim_posts.join(under_posts, on=THREAD_KEY, how="left", maintain_order="left")
    return pl.concat(
        [
            of_posts.with_columns(answers["len"].alias("_received")),
            comments.select(
                *columns,
                pl.lit(False).alias("_post"),
                gives.alias("_gives"),
                received.alias("_received"),
            ),
        ],
        how="vertical_relaxed",
    )


def _latest(flag: str) -> pl.Expr:
    """A flag as the latest snapshot showing it says (null if none does): the maximum
    of 2 × collected_at (µs) + flag, whose last bit is then the flag (at one instant,
    true wins)."""
    packed = pl.col("collected_at").dt.epoch("us") * 2 + pl.col(flag).cast(pl.Int64)
    return packed.max() % 2 == 1


def _latest_named(column: str) -> pl.Expr:
    """The non-null value of ``column`` of the latest row giving one (greatest
    ``collected_at``, null counting as earliest; the later row of equal ones): its row
    found by one arg_max over the named rows backwards, not by sorting each group (which
    took twice as long)."""
    named = pl.col(column).is_not_null()
    at = pl.col("collected_at").dt.epoch("us").fill_null(-(2**63)).filter(named).reverse()
    return pl.col(column).filter(named).reverse().get(at.arg_max())


_PER_AUTHOR = [
    pl.col("author").get(pl.col("collected_at").arg_max()),
    _latest_named("author_display_name").alias("display_name"),
    *(_latest(column).alias(name) for name, column in _FLAGS.items()),
    pl.col("published").min().alias("first_seen"),
    pl.col("published").max().alias("last_seen"),
    pl.col("_post").sum().alias("posts"),
    (~pl.col("_post")).sum().alias("comments"),
    pl.col("post_id").n_unique().alias("threads"),
    pl.col("_gives").sum().alias("replies_given"),
    pl.col("_received").sum().alias("replies_received"),
]
"""The aggregations of one author's rows (``_written``)."""


PEOPLE = ["author_ap_id", "author", "host", "bot", "banned", "deleted"]


def people(authors: pl.DataFrame) -> pl.DataFrame:
    """One row per author over every instance (``PEOPLE``): each value as the author's
    home instance shows it where that copy is collected, else as another instance does
    (the first of them by name that shows it)."""
    ordered = authors.sort("author_ap_id", pl.col("local").not_(), "instance", nulls_last=True)
    return (
        ordered.group_by("author_ap_id", maintain_order=True)
        .agg(pl.col(c).drop_nulls().first() for c in PEOPLE[1:])
        .select(PEOPLE)
    )
