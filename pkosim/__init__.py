"""The ``pkosim`` command-line tool. It joins the ``sim`` and ``analysis`` layers; neither imports it."""

from sim import __version__

__all__ = ["__version__"]
