"""Scenario effects against the first scenario: a forest plot, one row per scenario and one panel per metric.

Black: the paired difference (same seeds) with its 95% confidence interval; grey: the unpaired (Welch) interval
on the same runs, to show what common random numbers buy. Whole-run values (counts as annual rates)."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import textwrap

from analysis.compare import compare
from analysis.metrics import metric as metric_meta
from analysis.plots.style import A4_LANDSCAPE, figure_style, finish
from analysis.results import Batch
from analysis.summary import ALL

DEFAULT = ("hostile_deaths", "wounded", "medevac_within_2h_share", "coverage")


def plot_forest(batches: Sequence[Batch], metrics: Sequence[str] | None = None):
    metrics = list(metrics or DEFAULT)
    table = compare(batches, metrics)
    table = table[table["year"] == ALL]
    scenarios = [b.name for b in batches[1:]]
    with figure_style():
        fig, axes = plt.subplots(1, len(metrics), figsize=A4_LANDSCAPE, sharey=True, squeeze=False)
        axes = axes[0]
        y = np.arange(len(scenarios))[::-1]
        for ax, name in zip(axes, metrics):
            meta = metric_meta(name)
            t = table[table["metric"] == name].set_index("scenario").reindex(scenarios)
            ax.hlines(y - 0.15, t["welch_ci_low"], t["welch_ci_high"], color="#a0a0a0", linewidth=2,
                      label="unpaired (Welch) 95% CI")
            ax.errorbar(t["diff"], y, xerr=[t["diff"] - t["ci_low"], t["ci_high"] - t["diff"]], fmt="o",
                        color="black", capsize=3, linewidth=1.5, label="paired difference, 95% CI")
            ax.axvline(0, color="#c00000", linewidth=1, linestyle="--")
            ax.set_title(textwrap.fill(meta.label, 18), fontsize=10)
            ax.set_xlabel(textwrap.fill(f"{meta.unit} per year" if meta.agg == "sum" else meta.unit, 18))
            ax.grid(axis="y", visible=False)
        axes[0].set_yticks(y, [f"{s}\nvs {batches[0].name}" for s in scenarios])
        axes[0].set_ylim(-0.7, len(scenarios) - 0.3)
        fig.supxlabel("Difference, scenario minus baseline (units under each panel)", fontsize=10, y=0.16)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=2, frameon=False)
        finish(fig, batches, f"Effect of each scenario against {batches[0].name} (whole run)",
               "yearly.parquet",
               "Paired over replications with the same seed (scenario minus baseline); counts as annual rates.")
        fig.subplots_adjust(top=0.78, bottom=0.30, wspace=0.35)
    return fig
