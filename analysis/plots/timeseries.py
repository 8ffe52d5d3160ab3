"""A metric over time per scenario: the median over replications with 50% and 90% bands.

The time step follows the window (``resolution``): by year for windows longer than ``QUARTERLY_UP_TO_DAYS`` (three
years), by quarter down to ``MONTHLY_UP_TO_DAYS`` (a year), by month down to ``WEEKLY_UP_TO_DAYS`` (a quarter), by
week below: the six-month 2023 withdrawal is six months, not one dot, and the two-year drawdown eight quarters.
Counts in a partial first or last period are scaled to the full period (value / days in window x days in period) so
that a short period does not look like a drop. ``daily=True`` gives days (counts as a 30-day moving sum per run, so
that a day with no incident does not flatten the picture). The legend sits under the plot, never over the data.
"""

from __future__ import annotations

from typing import Sequence

import warnings

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.metrics import metric as metric_meta
from analysis.plots.style import A4_LANDSCAPE, colour, figure_style, finish, replications_text
from analysis.results import Batch

ROLLING_DAYS = 30
QUARTERLY_UP_TO_DAYS = 3 * 366  # three years or less: by quarter
MONTHLY_UP_TO_DAYS = 366  # a year or less: by month
WEEKLY_UP_TO_DAYS = 92  # a quarter or less: by week
PERIODS = {"quarter": "Q", "month": "M", "week": "W-SUN"}


def resolution(batches: Sequence[Batch]) -> str:
    """'year', 'quarter', 'month' or 'week': the step that shows a window of this length as a series, not a dot or
    two. By year when a batch has no daily table (only yearly rows to plot)."""
    days = [((b.window[1] - b.window[0]).days + 1) for b in batches if b.window[0] and b.window[1]]
    if not days or max(days) > QUARTERLY_UP_TO_DAYS or not all(b.has_table("daily") for b in batches):
        return "year"
    longest = max(days)
    return "week" if longest <= WEEKLY_UP_TO_DAYS else "month" if longest <= MONTHLY_UP_TO_DAYS else "quarter"


def _yearly_matrix(batch: Batch, name: str) -> pd.DataFrame:
    """Rows: year; columns: (point, run); counts annualised over ``days``."""
    meta = metric_meta(name, "yearly")
    frame = batch.read("yearly", ["year", "days", name])
    value = frame[name].astype(float)
    if meta.agg == "sum":
        value = value / frame["days"] * 365.25
    return frame.assign(value=value).pivot_table(index="year", columns=["point", "run"], values="value",
                                                 aggfunc="first", dropna=False)


def _period_matrix(batch: Batch, name: str, step: str) -> pd.DataFrame:
    """Rows: the middle of each quarter, month or week; columns: (point, run). Counts per full period, means as
    means."""
    meta = metric_meta(name, "daily")
    frame = batch.read("daily", ["date", name])
    dates = pd.to_datetime(frame["date"])
    period = dates.dt.to_period(PERIODS[step])
    frame = frame.assign(start=period.dt.start_time, length=period.dt.end_time.dt.normalize() - period.dt.start_time)
    groups = frame.groupby(["start", "point", "run"])
    if meta.agg == "sum":
        length = groups["length"].first().dt.days + 1
        value = groups[name].sum().astype(float) / groups[name].size() * length
    else:
        value = groups[name].mean().astype(float)
    wide = value.unstack(["point", "run"]).sort_index()
    lengths = frame.groupby("start")["length"].first().reindex(wide.index)
    wide.index = wide.index + (lengths / 2).to_numpy()
    return wide


def _daily_matrix(batch: Batch, name: str) -> pd.DataFrame:
    meta = metric_meta(name, "daily")
    frame = batch.read("daily", ["date", name])
    wide = frame.pivot_table(index="date", columns=["point", "run"], values=name, aggfunc="first", dropna=False)
    wide.index = pd.to_datetime(wide.index)
    wide = wide.sort_index().astype(float)
    if meta.agg == "sum":
        wide = wide.rolling(ROLLING_DAYS, min_periods=ROLLING_DAYS).sum()
    return wide


def _legend(ax, batches: Sequence[Batch], markers: bool) -> None:
    """One entry per scenario and one per band: short, and under the plot so it never covers a line."""
    handles = [Line2D([], [], color=colour(i), linewidth=2, marker="o" if markers else None, label=b.name)
               for i, b in enumerate(batches)]
    grey = "#606060"
    handles += [Line2D([], [], color=grey, linewidth=2, label="median of runs"),
                Patch(facecolor=grey, alpha=0.45, label="50% of runs"),
                Patch(facecolor=grey, alpha=0.18, label="90% of runs")]
    ncol = 2 if max(len(b.name) for b in batches) > 22 or len(batches) > 3 else len(batches) + 3
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(ncol, 4), frameon=False)


def plot_timeseries(batches: Sequence[Batch], metric: str = "hostile_deaths", daily: bool = False):
    step = "day" if daily else resolution(batches)
    meta = metric_meta(metric, "yearly" if step == "year" else "daily")
    with figure_style():
        fig, ax = plt.subplots(figsize=A4_LANDSCAPE)
        for i, batch in enumerate(batches):
            wide = (_daily_matrix(batch, metric) if step == "day" else _yearly_matrix(batch, metric)
                    if step == "year" else _period_matrix(batch, metric, step))
            if not wide.shape[1]:
                continue
            with warnings.catch_warnings():  # days before the first full moving window are all NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanpercentile(wide.to_numpy(dtype=float), [5, 25, 50, 75, 95], axis=1)
            x = wide.index.to_numpy()
            c = colour(i)
            ax.fill_between(x, q[0], q[4], color=c, alpha=0.12, linewidth=0)
            ax.fill_between(x, q[1], q[3], color=c, alpha=0.28, linewidth=0)
            ax.plot(x, q[2], color=c, linewidth=2, marker=None if step == "day" else "o", markersize=4)
        per = step if step != "day" else None
        if step == "year":
            ax.set_xlabel("Year")
            ax.set_ylabel(meta.axis_label("year"))
            years = sorted({int(y) for b in batches for y in _years(b)})
            ax.set_xticks(years)
        else:
            ax.set_xlabel("Date")
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y" if step == "week" else "%b %Y"))
            if step == "day":
                ax.set_ylabel(f"{meta.label} ({meta.unit} per {ROLLING_DAYS} days, moving sum)" if meta.agg == "sum"
                              else meta.axis_label())
            else:
                ax.set_ylabel(meta.axis_label(per))
        ax.set_ylim(bottom=0 if ax.get_ylim()[0] >= 0 else None)
        _legend(ax, batches, markers=step != "day")
        what = "daily" if step == "day" else f"by {step}"
        title = f"{meta.label} {what}: median and 50%/90% ranges over {replications_text(batches)}"
        note = ""
        if meta.agg == "sum":
            note = {"day": f"Daily counts as a {ROLLING_DAYS}-day moving sum per run.",
                    "year": "Counts in partial years are annualised (value / days in window x 365.25)."}.get(
                step, f"Counts per {per}; a partial first or last {per} is scaled to a full one.")
        finish(fig, batches, title, "daily.parquet" if step != "year" else "yearly.parquet", note)
    return fig


def _years(batch: Batch):
    return batch.read("yearly", ["year"])["year"].unique()
