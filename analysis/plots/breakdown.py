"""Where the casualties fall: hostile deaths by cause (yearly table), by contingent and by sector (incidents),
per scenario, as annual rates averaged over replications with 95% confidence intervals of the mean.

Within each category the bars run top to bottom in the legend's order (the first scenario on top), and the legend
wraps to as many rows as the scenario names need, so it is never cut at the page's edges."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis import stats
from analysis.metrics import DEATH_CAUSES, metric
from analysis.plots.style import A4_LANDSCAPE, colour, figure_style, finish, replications_text
from analysis.results import Batch

CAUSE_LABELS = {c: metric(c).label.replace("Deaths by ", "").replace("Deaths in ", "") for c in DEATH_CAUSES}


def _years(batch: Batch) -> float:
    start, end = batch.window
    if start and end:
        return ((end - start).days + 1) / 365.25
    return float(batch.read("yearly", ["days"])["days"].sum() / 365.25 / max(batch.n_ok, 1))


def _runs(batch: Batch) -> pd.DataFrame:
    return batch.read("yearly", ["year"])[["point", "run"]].drop_duplicates()


def by_cause(batch: Batch) -> pd.DataFrame:
    """Rows: cause; columns mean, ci_low, ci_high (deaths per year)."""
    frame = batch.read("yearly", ["days", *DEATH_CAUSES])
    per_run = frame.groupby(["point", "run"])[["days", *DEATH_CAUSES]].sum()
    rates = per_run[list(DEATH_CAUSES)].div(per_run["days"], axis=0) * 365.25
    return _describe(rates.rename(columns=CAUSE_LABELS))


def by_incident_field(batch: Batch, field: str) -> pd.DataFrame:
    """Deaths (killed + died of wounds) per year by ``field`` of incidents (contingent or sector); zero-filled
    for runs without such deaths."""
    frame = batch.read("incidents", [field, "killed", "died_of_wounds"])
    frame = frame.assign(deaths=frame["killed"].fillna(0) + frame["died_of_wounds"].fillna(0))
    wide = frame.pivot_table(index=["point", "run"], columns=field, values="deaths", aggfunc="sum", fill_value=0)
    runs = pd.MultiIndex.from_frame(_runs(batch))
    wide = wide.reindex(runs, fill_value=0) / _years(batch)
    return _describe(wide)


def _describe(wide: pd.DataFrame) -> pd.DataFrame:
    rows = {}
    for col in wide.columns:
        m, lo, hi = stats.mean_ci(wide[col])
        rows[col] = {"mean": m, "ci_low": lo, "ci_high": hi}
    return pd.DataFrame.from_dict(rows, orient="index")


def _bars(ax, tables: list[pd.DataFrame], batches: Sequence[Batch], title: str, top: int | None = None):
    cats = pd.concat([t["mean"] for t in tables], axis=1).fillna(0).max(axis=1).sort_values(ascending=True)
    if top:
        cats = cats.iloc[-top:]
    labels = list(cats.index)
    y = np.arange(len(labels))
    h = 0.8 / max(len(batches), 1)
    for i, (t, b) in enumerate(zip(tables, batches)):
        t = t.reindex(labels)
        mean = t["mean"].fillna(0).to_numpy()
        err = np.vstack([(mean - t["ci_low"]).clip(lower=0).fillna(0), (t["ci_high"] - mean).clip(lower=0).fillna(0)])
        ax.barh(y + ((len(batches) - 1) / 2 - i) * h, mean, height=h, color=colour(i), label=b.name,
                xerr=err, error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#404040"})
    ax.set_yticks(y, labels)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", visible=False)


def legend_columns(labels: Sequence[str], width_chars: int = 110) -> int:
    """As many legend columns as fit the page width (about ``width_chars`` characters of 9-point text)."""
    if not labels:
        return 1
    longest = max(len(label) for label in labels) + 6  # the colour patch and the gap
    return max(1, min(len(labels), 4, width_chars // longest))


def row_major(items: list, ncol: int) -> list:
    """Reorder legend items so that a legend of ``ncol`` columns (filled column by column) reads in their order
    left to right, then top to bottom."""
    rows = -(-len(items) // max(ncol, 1))
    out = [None] * len(items)
    slots = [(k % ncol) * rows + k // ncol for k in range(len(items))]  # column-major slot of reading position k
    order = sorted(range(len(items)), key=lambda k: slots[k])
    for position, k in enumerate(order):
        out[position] = items[k]
    return out


def plot_breakdown(batches: Sequence[Batch], metric: str | None = None):
    with figure_style():
        fig, axes = plt.subplots(1, 3, figsize=A4_LANDSCAPE)
        if all(set(DEATH_CAUSES) <= set(b.columns("yearly")) for b in batches):
            _bars(axes[0], [by_cause(b) for b in batches], batches, "By cause")
        else:
            axes[0].set_title("By cause", fontsize=10)
            axes[0].text(0.5, 0.5, "no deaths by cause in\nthe yearly table", ha="center", va="center",
                         transform=axes[0].transAxes)
        has_incidents = all(b.has_table("incidents") for b in batches)
        for ax, field, title in ((axes[1], "contingent", "By contingent (top 8)"), (axes[2], "sector", "By sector")):
            if has_incidents and all(field in b.columns("incidents") for b in batches):
                _bars(ax, [by_incident_field(b, field) for b in batches], batches, title, top=8)
            else:
                ax.set_title(title, fontsize=10)
                ax.text(0.5, 0.5, f"no {field} in\nthe incident table", ha="center", va="center",
                        transform=ax.transAxes)
        handles, labels = next((ax.get_legend_handles_labels() for ax in axes if ax.patches), ([], []))
        ncol = legend_columns(labels)
        handles, labels = row_major(handles, ncol), row_major(labels, ncol)
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=ncol, frameon=False)
        rows = -(-max(len(labels), 1) // ncol)
        finish(fig, batches, f"Where hostile deaths fall: mean per year over {replications_text(batches)}",
               "yearly.parquet (cause), incidents.parquet (contingent, sector)",
               "Bars: mean annual rate over replications; whiskers: 95% confidence interval of the mean.")
        fig.supxlabel("Hostile deaths (persons per year)", fontsize=10, y=0.13)
        fig.subplots_adjust(top=0.84 - 0.04 * rows, bottom=0.24, wspace=0.6)
    return fig
