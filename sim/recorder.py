"""Recording a run: one array of doubles per declared result, indexed by day, turned into the tables of
docs/results.md.

Why preallocated arrays: a run has thousands of days; appending dicts or touching pandas every day would dominate the
run time. Every result a module declares (``sim.metrics``) gets an array with a slot per day; modules add to it
(counts), set it (levels) or raise it (maxima) for the current day. The arrays are the standard library's
(``array.array("d")``, C doubles as in numpy's float64): the tens of thousands of single-number updates of a run
cost about half as much on them as on numpy arrays, and numpy reads them without conversion at the end. The daily,
yearly and runs rows are built once, at the end, with fixed columns and dtypes (so every run, even one with no
incidents, has identical schemas), and aggregated by the registry's one definition of each kind (``sim.results``).
"""

from __future__ import annotations

from array import array

import numpy as np
import pandas as pd

from sim.results import Registry


class Recorder:
    """The day's counters of one run (``t`` is the day index)."""

    def __init__(self, dates: pd.DatetimeIndex, registry: Registry):
        self.dates = dates
        self.registry = registry
        n = len(dates)
        self.values = {r.name: array("d", [0.0]) * (n + 1) for r in registry.counted}
        self.scratch = n          # the index written while nothing is recorded (set-up, warm-up); never reported
        self.t = n

    def add(self, name: str, value: float) -> None:
        """Add to a count for today."""
        self.values[name][self.t] += value

    def set(self, name: str, value: float) -> None:
        """Set a level for today."""
        self.values[name][self.t] = value

    def slots(self, name: str) -> array:
        """The day slots of one result, for a module that writes it every day: ``slots[recorder.t] = value`` is
        ``set`` without the call (the arrays are made once, in ``__init__``)."""
        return self.values[name]

    def peak(self, name: str, value: float) -> None:
        """Raise a maximum for today."""
        values = self.values[name]
        if value > values[self.t]:
            values[self.t] = value

    def recorded(self, name: str) -> np.ndarray:
        """The recorded days of one result (the warm-up and set-up scratch slot left out), as a numpy copy."""
        return np.frombuffer(self.values[name], dtype=np.float64)[:self.scratch].copy()

    # --- tables ----------------------------------------------------------------------------------------------
    def daily(self) -> pd.DataFrame:
        data = {"date": self.dates}
        for r in self.registry.daily:
            values = self.recorded(r.name)
            data[r.name] = np.rint(values).astype("int64") if r.integer else values.astype("float64")
        return pd.DataFrame(data)

    def yearly(self) -> pd.DataFrame:
        """One row per calendar year of the window: counts summed, levels averaged, ratios from summed counts."""
        years = self.dates.year.to_numpy()
        unique, starts = np.unique(years, return_index=True)
        days = np.diff(np.append(starts, len(years)))
        sums, levels, maxima = {}, {}, {}
        for r in self.registry.counted:
            recorded = self.recorded(r.name)
            if r.kind == "count":
                sums[r.name] = np.add.reduceat(recorded, starts)
            elif r.kind == "level":
                levels[r.name] = np.add.reduceat(recorded, starts) / days
            else:
                maxima[r.name] = np.maximum.reduceat(recorded, starts)
        values = self.registry.period(sums, levels, maxima, days)
        columns = {"year": unique.astype("int64"), "days": days.astype("int64")}
        for r in self.registry.results:
            column = values[r.name]
            columns[r.name] = np.rint(column).astype("int64") if r.integer and r.kind in ("count", "max") \
                else column.astype("float64")
        return pd.DataFrame(columns)
