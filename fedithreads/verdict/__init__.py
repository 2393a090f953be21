"""What "complete" means for one thread, and how far a copy falls short of it.

    assess     the verdict of a thread from its records: pure, O(n) (the definition)
    columns    a crawl's running verdict from columns, with no object per comment
    wholetree  the verdict of a clean whole tree on flat arrays (the end of a crawl)
    paths      the verdict of a clean thread with orphans, by path arithmetic in Polars

``columns``, ``wholetree`` and ``paths`` are fast ways to the answer ``assess`` gives;
property tests hold them to it.
"""
