"""Each dialect's read API: ``base`` (``Api``), ``routes`` (the table), ``params``, dialects."""
