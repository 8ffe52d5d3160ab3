"""Results: every reported metric declared once, by the module that produces it, with how it aggregates.

A module declares its results as ``RESULTS = (Result(...), ...)`` next to the code that counts them (as in
Starsim's ``define_results``). ``sim.metrics`` collects them into one registry, from which the recorder's arrays,
the columns of the daily, yearly and runs tables, the tables in docs/results.md and the ODD, and the analysis
layer's metric list are all built. A metric is therefore defined in one place, and every command that prints it
uses the same definition of "per year".

Kinds and how they aggregate (one run):

- ``count``: an amount added up day by day (deaths, convoys, tonnes, km). A year is the sum of its days; the whole
  run is an **annual rate**: total / days x 365.25 ("per year"), so windows of different lengths compare fairly.
- ``level``: a state read once a day (devices on the roads, open camps). A year and the whole run are the mean of
  their days.
- ``ratio``: ``scale x sum(numerator) / sum(denominator)`` of two counts over the period (NaN when the denominator
  is 0), e.g. the share of wounded in surgery within an hour. Computing it from the period's sums, rather than
  averaging yearly ratios, weighs each case equally.
- ``max``: the largest daily value over the period (deaths in the deadliest incident).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25
KINDS = ("count", "level", "ratio", "max")
PER_YEAR = "per year"


@dataclass(frozen=True)
class Result:
    """One reported metric (see the module docstring for ``kind``)."""

    name: str
    unit: str
    label: str
    description: str
    kind: str = "count"
    daily: bool = False                 # also a column of daily.parquet
    integer: bool = False               # whole numbers in the daily and yearly tables
    numerator: str = ""                 # ratio: a count result
    denominator: tuple[str, ...] = ()   # ratio: one or more count results, added
    scale: float = 1.0                  # ratio: multiplier (e.g. 1000 for "per 1,000 km")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"result {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if (self.kind == "ratio") != bool(self.numerator and self.denominator):
            raise ValueError(f"result {self.name}: a ratio needs a numerator and a denominator, other kinds neither")

    @property
    def counted(self) -> bool:
        """Whether the recorder keeps a daily array for it (every kind but ratio, which is computed from counts)."""
        return self.kind != "ratio"

    def whole_run_label(self) -> str:
        """How the whole-run value reads: '... per year' for counts, the period's value otherwise."""
        return f"{self.label} ({self.unit} {PER_YEAR})" if self.kind == "count" else f"{self.label} ({self.unit})"


class Registry:
    """The results of every module, in declaration order (which is the column order of the tables)."""

    def __init__(self, results: list[Result]):
        self.results = list(results)
        self.by_name = {r.name: r for r in self.results}
        if len(self.by_name) != len(self.results):
            seen: set[str] = set()
            dup = [r.name for r in self.results if r.name in seen or seen.add(r.name)]
            raise ValueError(f"results declared twice: {dup}")
        for r in self.results:
            if r.kind == "ratio":
                for part in (r.numerator, *r.denominator):
                    if self.by_name.get(part) is None or self.by_name[part].kind != "count":
                        raise ValueError(f"ratio {r.name}: {part!r} is not a declared count")

    def __getitem__(self, name: str) -> Result:
        return self.by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    @property
    def counted(self) -> list[Result]:
        return [r for r in self.results if r.counted]

    @property
    def daily(self) -> list[Result]:
        return [r for r in self.results if r.daily]

    def inputs(self, names) -> list[str]:
        """The yearly columns needed to compute ``names`` for whole runs (a ratio needs its counts)."""
        out: list[str] = []
        for name in names:
            r = self.by_name.get(name)
            for column in ((name, r.numerator, *r.denominator) if r is not None and r.kind == "ratio" else (name,)):
                if column not in out:
                    out.append(column)
        return out

    # --- aggregation: one definition for every command ------------------------------------------------------
    def period(self, sums: dict[str, np.ndarray], levels: dict[str, np.ndarray], maxima: dict[str, np.ndarray],
               days: np.ndarray) -> dict[str, np.ndarray]:
        """Values over periods (years, or a whole run) from per-period sums of counts, means of levels and maxima.

        Counts come back as totals of the period (the yearly table); ``annualise`` turns them into rates."""
        out: dict[str, np.ndarray] = {}
        for r in self.results:
            if r.kind == "count":
                out[r.name] = sums[r.name]
            elif r.kind == "level":
                out[r.name] = levels[r.name]
            elif r.kind == "max":
                out[r.name] = maxima[r.name]
            else:
                num = sums[r.numerator]
                den = sum(sums[d] for d in r.denominator)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[r.name] = np.where(den > 0, r.scale * num / np.where(den > 0, den, 1), np.nan)
        return out

    def whole_run(self, yearly: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        """One row per run (grouped by ``keys``) from its yearly rows: counts as annual rates (per year), levels as
        day-weighted means, ratios from the summed counts, maxima as the run's maximum. Columns: keys, days, and
        every result whose inputs are in ``yearly``.

        Each kind's columns are aggregated in one groupby call (pandas' per-column sums, as one call per result
        would do), and the arithmetic on the per-run values is done with numpy: a fraction of pandas' overhead
        (``simulate`` calls this once per run, through ``summary``)."""
        groups = yearly.groupby(keys, sort=False)
        days = groups["days"].sum().astype(float)
        n_days = days.to_numpy()
        counts = [r.name for r in self.results if r.kind == "count" and r.name in yearly]
        levels = [r.name for r in self.results if r.kind == "level" and r.name in yearly]
        maxima = [r.name for r in self.results if r.kind == "max" and r.name in yearly]
        weighted = yearly[levels].astype(float).mul(yearly["days"], axis=0)
        # Every aggregate below has one row per group, in the groups' order (first appearance, as ``days``).
        sums = _columns(groups[counts].sum().astype(float))
        level_sums = _columns(weighted.groupby([yearly[k] for k in keys], sort=False).sum())
        peaks = _columns(groups[maxima].max().astype(float))
        out = {"days": n_days}
        for r in self.results:
            if r.name in sums:
                out[r.name] = sums[r.name] / n_days * DAYS_PER_YEAR
            elif r.name in level_sums:
                out[r.name] = level_sums[r.name] / n_days
            elif r.name in peaks:
                out[r.name] = peaks[r.name]
            elif r.kind == "ratio" and r.numerator in sums and all(d in sums for d in r.denominator):
                den = sum(sums[d] for d in r.denominator)
                out[r.name] = r.scale * sums[r.numerator] / np.where(den > 0, den, np.nan)
        return pd.DataFrame(out, index=days.index).reset_index()

    def summary(self, yearly: pd.DataFrame) -> dict[str, float]:
        """The runs.parquet row of one run: ``total_<count>`` for counts, the whole-run value for the others."""
        out: dict[str, float] = {}
        frame = yearly.assign(_run=0)
        whole = self.whole_run(frame, ["_run"]).iloc[0] if len(frame) else None
        for r in self.results:
            if r.kind == "count":
                out[f"total_{r.name}"] = float(yearly[r.name].sum())
            else:
                out[r.name] = float(whole[r.name]) if whole is not None else float("nan")
        return out


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A frame's columns as numpy arrays."""
    return dict(zip(frame.columns, frame.to_numpy().T))
