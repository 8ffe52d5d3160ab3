"""A metric over time per scenario: the median over replications with 50% and 90% bands.

Yearly by default (counts in partial first/last years are annualised so a short year does not look like a
drop); daily with ``daily=True`` (counts as a 30-day moving sum per run, so that a day with no incident does not
flatten the picture).
"""

from __future__ import annotations

from typing import Sequence

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.metrics import metric as metric_meta
from analysis.plots.style import A4_LANDSCAPE, colour, figure_style, finish
from analysis.results import Batch

ROLLING_DAYS = 30


def _yearly_matrix(batch: Batch, name: str) -> pd.DataFrame:
    """Rows: year; columns: (point, run); counts annualised over ``days``."""
    meta = metric_meta(name, "yearly")
    frame = batch.read("yearly", ["year", "days", name])
    value = frame[name].astype(float)
    if meta.agg == "sum":
        value = value / frame["days"] * 365.25
    return frame.assign(value=value).pivot_table(index="year", columns=["point", "run"], values="value",
                                                 aggfunc="first", dropna=False)


def _daily_matrix(batch: Batch, name: str) -> pd.DataFrame:
    meta = metric_meta(name, "daily")
    frame = batch.read("daily", ["date", name])
    wide = frame.pivot_table(index="date", columns=["point", "run"], values=name, aggfunc="first", dropna=False)
    wide.index = pd.to_datetime(wide.index)
    wide = wide.sort_index().astype(float)
    if meta.agg == "sum":
        wide = wide.rolling(ROLLING_DAYS, min_periods=ROLLING_DAYS).sum()
    return wide


def plot_timeseries(batches: Sequence[Batch], metric: str = "hostile_deaths", daily: bool = False):
    meta = metric_meta(metric, "daily" if daily else "yearly")
    with figure_style():
        fig, ax = plt.subplots(figsize=A4_LANDSCAPE)
        for i, batch in enumerate(batches):
            wide = _daily_matrix(batch, metric) if daily else _yearly_matrix(batch, metric)
            if not wide.shape[1]:
                continue
            with warnings.catch_warnings():  # days before the first full moving window are all NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanpercentile(wide.to_numpy(dtype=float), [5, 25, 50, 75, 95], axis=1)
            x = wide.index.to_numpy()
            c = colour(i)
            ax.fill_between(x, q[0], q[4], color=c, alpha=0.12, linewidth=0, label=f"{batch.name}: 90% of runs")
            ax.fill_between(x, q[1], q[3], color=c, alpha=0.28, linewidth=0, label=f"{batch.name}: 50% of runs")
            ax.plot(x, q[2], color=c, linewidth=2, marker=None if daily else "o", label=f"{batch.name}: median")
        if daily:
            ax.set_xlabel("Date")
            ax.set_ylabel(f"{meta.label} ({meta.unit} per {ROLLING_DAYS} days, moving sum)" if meta.agg == "sum"
                          else meta.axis_label())
        else:
            ax.set_xlabel("Year")
            ax.set_ylabel(meta.axis_label("year"))
            years = sorted({int(y) for b in batches for y in _years(b)})
            ax.set_xticks(years)
        ax.set_ylim(bottom=0 if ax.get_ylim()[0] >= 0 else None)
        ax.legend(loc="best", ncol=1 if len(batches) == 1 else 2, frameon=False)
        n = ", ".join(sorted({str(b.n_ok) for b in batches}))
        what = "daily" if daily else "by year"
        title = f"{meta.label} {what}: median and 50%/90% ranges over {n} replications"
        note = ("Counts in partial years are annualised (value / days in window x 365.25)."
                if not daily and meta.agg == "sum" else
                f"Daily counts as a {ROLLING_DAYS}-day moving sum per run." if daily and meta.agg == "sum" else "")
        finish(fig, batches, title, "daily.parquet" if daily else "yearly.parquet", note)
    return fig


def _years(batch: Batch):
    return batch.read("yearly", ["year"])["year"].unique()
