"""livesim: trial livestream gifting policies on a simulated platform before launch."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("livesim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
