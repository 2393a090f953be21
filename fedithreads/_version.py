"""The package's version, written here once: pyproject.toml reads it (hatch's
``[tool.hatch.version]``), and clients and the CLI import it from here.

A literal, not ``importlib.metadata``: looking the installed distribution up costs
13–25 ms at every start, before ``collect`` can send its first request, and importing
the package face would load the analysis and Polars for a User-Agent string.
"""

__version__ = "0.1.0"
