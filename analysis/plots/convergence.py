"""Is the batch big enough? The 95% confidence-interval half-width of the mean of a metric (whole run, per
year) against the number of replications used, 1..N in run order, per scenario; a dotted line marks 5% of
each scenario's mean."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from analysis import stats
from analysis.metrics import metric as metric_meta
from analysis.plots.style import A4_LANDSCAPE, colour, figure_style, finish
from analysis.results import Batch
from analysis.summary import ALL, run_values


def convergence_table(batch: Batch, metric: str):
    values = run_values(batch, [metric])
    values = values[values["year"] == ALL].sort_values(["point", "run"])
    return stats.ci_halfwidth_by_n(values["value"].to_numpy())


def plot_convergence(batches: Sequence[Batch], metric: str = "hostile_deaths"):
    meta = metric_meta(metric, "yearly")
    with figure_style():
        fig, ax = plt.subplots(figsize=A4_LANDSCAPE)
        for i, batch in enumerate(batches):
            t = convergence_table(batch, metric)
            ax.plot(t["n"], t["half_width"], color=colour(i), linewidth=2, marker=".", label=batch.name)
            final_mean = t["mean"].iloc[-1] if len(t) else float("nan")
            ax.axhline(abs(final_mean) * 0.05, color=colour(i), linestyle=":", linewidth=1,
                       label=f"{batch.name}: 5% of mean")
        ax.set_xlabel("Replications used (in run order)")
        unit = f"{meta.unit} per year" if meta.agg == "sum" else meta.unit
        ax.set_ylabel(f"95% CI half-width of the mean ({unit})")
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False, ncol=2)
        finish(fig, batches, f"{meta.label}: precision of the mean against the number of replications",
               "yearly.parquet", "Whole-run values (counts as annual rates); t-based 95% interval; logarithmic scale.")
    return fig
