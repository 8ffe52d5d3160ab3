"""Scenario effects against the first scenario: a forest plot, one row per scenario and one panel per metric.

Black: the paired difference (same seeds) with its 95% confidence interval; grey: the unpaired (Welch) interval
on the same runs, to show what common random numbers buy. Whole-run values (counts as annual rates).

A scenario whose runs are identical to the baseline's on a metric is marked "identical" at zero, and a panel where
every scenario is identical says so instead of drawing an axis around rounding noise (a ±1e-18 scale)."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
import textwrap

from analysis.compare import compare
from analysis.headlines import is_identical
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
            same = np.array([not np.isnan(r["n_pairs"]) and is_identical(r) for r in t.to_dict("records")], dtype=bool)
            share = meta.unit.startswith("share")
            if share:  # shares read better as percentage points than as 0.0025 of 1
                cols = ["diff", "ci_low", "ci_high", "welch_ci_low", "welch_ci_high", "mean_baseline"]
                t = t.assign(**{c: t[c] * 100 for c in cols})
            ax.set_title(textwrap.fill(meta.label, 18), fontsize=10)
            unit = "percentage points" if share else f"{meta.unit} per year" if meta.agg == "sum" else meta.unit
            ax.set_xlabel(textwrap.fill(unit, 18))
            ax.grid(axis="y", visible=False)
            if same.all():
                ax.text(0.5, 0.5, "no effect:\nidentical in\nevery run", transform=ax.transAxes, ha="center",
                        va="center", fontsize=9, color="#404040")
                ax.set_xticks([])
                ax.set_xlabel("")
                continue
            shown = t[~same]
            ys = y[~same]
            ax.hlines(ys - 0.15, shown["welch_ci_low"], shown["welch_ci_high"], color="#a0a0a0", linewidth=2,
                      label="unpaired (Welch) 95% CI")
            ax.errorbar(shown["diff"], ys, xerr=[shown["diff"] - shown["ci_low"], shown["ci_high"] - shown["diff"]],
                        fmt="o", color="black", capsize=3, linewidth=1.5, label="paired difference, 95% CI")
            for yy in y[same]:
                ax.plot([0], [yy], marker="|", color="#606060", markersize=12)
                ax.annotate("identical", (0, yy), xytext=(4, 4), textcoords="offset points", fontsize=9,
                            color="#404040")
            ax.axvline(0, color="#c00000", linewidth=1, linestyle="--")
            bounds = np.abs(shown[["welch_ci_low", "welch_ci_high", "ci_low", "ci_high", "diff"]].to_numpy(dtype=float))
            span = np.nanmax(bounds) if np.isfinite(bounds).any() else np.nan
            means = np.abs(t["mean_baseline"].to_numpy(dtype=float))
            reference = float(np.nanmax(means)) if np.isfinite(means).any() else 0.0
            floor = 0.02 * reference if reference > 0 else 1.0
            if not np.isfinite(span) or span < floor:  # a difference lost in rounding: keep a readable scale
                ax.set_xlim(-floor, floor)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
        axes[0].set_yticks(y, [f"{s}\nvs {batches[0].name}" for s in scenarios])
        axes[0].set_ylim(-0.7, len(scenarios) - 0.3)
        fig.supxlabel("Difference, scenario minus baseline (units under each panel)", fontsize=10, y=0.16)
        handles, labels = next((ax.get_legend_handles_labels() for ax in axes if ax.get_legend_handles_labels()[0]),
                               ([], []))
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=2, frameon=False)
        finish(fig, batches, f"Effect of each scenario against {batches[0].name} (whole run)",
               "yearly.parquet",
               "Paired over replications with the same seed (scenario minus baseline); counts as annual rates.")
        fig.subplots_adjust(top=0.78, bottom=0.30, wspace=0.35)
    return fig
