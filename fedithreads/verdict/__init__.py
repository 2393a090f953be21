"""What "complete" means for one thread, and how far a copy falls short of it.

    assess   the verdict of a thread from its records: pure, O(n) (the definition)
    columns  a crawl's running verdict from columns, with no object per comment
    paths    the verdict of a clean thread with orphans, by path arithmetic in Polars

``columns`` and ``paths`` are fast ways to the answer ``assess`` gives; property tests
hold them to it.
"""
