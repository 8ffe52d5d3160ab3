"""Building blocks of the scenario schema, re-exported from ``sim.parameters`` (where the actor modules find them
without importing the scenario package)."""

from sim.parameters import StrictModel, _rebuild, param, share

__all__ = ["StrictModel", "_rebuild", "param", "share"]
