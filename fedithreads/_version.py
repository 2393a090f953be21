"""The installed distribution's version, apart from the package face.

Clients and the CLI read ``__version__`` here: importing the package face would load the
analysis and Polars into every process that only wants a User-Agent string.
"""

from importlib import metadata

try:
    __version__ = metadata.version("fedithreads")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
