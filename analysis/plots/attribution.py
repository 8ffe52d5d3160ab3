"""Figure of ``pkosim attribute``: a waterfall from the baseline's mean to the target's, one step per change (its
Shapley share, with its 95% interval), for one metric over the whole run."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from analysis.metrics import metric as metric_meta
from analysis.plots.style import A4_LANDSCAPE, figure_style, finish
from analysis.summary import ALL, fmt

UP, DOWN, END = "#c55a11", "#1f4e79", "#7f7f7f"


def _short(key: str) -> str:
    """An event's id without the ``events.`` prefix; long parameter paths on two lines."""
    if key.startswith("events."):
        return key[len("events."):] + " (event)"
    if len(key) > 32 and "." in key:
        head, _, tail = key.rpartition(".")
        return f"{head}.\n{tail}"
    return key


def plot_waterfall(plan, table, metric: str, batches):
    meta = metric_meta(metric)
    t = table[(table["metric"] == metric) & (table["year"] == ALL)]
    base = t[t["row"] == "baseline"].iloc[0]
    target = t[t["row"] == "target"].iloc[0]
    total = t[t["row"] == "total"].iloc[0]
    steps = t[t["row"] == "change"]
    with figure_style():
        fig, ax = plt.subplots(figsize=A4_LANDSCAPE)
        y = np.arange(len(steps) + 2)[::-1]  # baseline on top, target at the bottom
        ax.barh(y[0], base["value"], color=END, height=0.6)
        level = base["value"]
        for i, step in enumerate(steps.itertuples(), start=1):
            ax.barh(y[i], step.value, left=level, color=UP if step.value >= 0 else DOWN, height=0.6)
            end = level + step.value
            ax.errorbar(end, y[i], xerr=[[step.value - step.ci_low], [step.ci_high - step.value]], fmt="none",
                        ecolor="black", capsize=3, linewidth=1)
            ax.annotate(("+" if step.value >= 0 else "") + fmt(step.value), (max(level, end, step.ci_high + level),
                        y[i]), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
            ax.plot([end, end], [y[i] - 0.3, y[i] - 0.7], color="#a0a0a0", linewidth=0.8, zorder=0)
            level = end
        ax.barh(y[-1], target["value"], color=END, height=0.6)
        for yi, row in ((y[0], base), (y[-1], target)):
            ax.annotate(fmt(row["value"]), (row["value"], yi), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=9)
        labels = [f"baseline: {plan.baseline}"] + [_short(c) for c in steps["change"]] + [f"target: {plan.target}"]
        ax.set_yticks(y, labels)
        ax.set_xlabel(meta.axis_label("year") if meta.agg == "sum" else meta.axis_label())
        ax.grid(axis="y", visible=False)
        ax.set_xlim(left=0 if min(base["value"], target["value"], level) >= 0 else None)
        handles = [plt.Rectangle((0, 0), 1, 1, color=UP), plt.Rectangle((0, 0), 1, 1, color=DOWN),
                   plt.Line2D([], [], color="black", marker="|", linestyle="-")]
        ax.legend(handles, ["raises", "lowers", "95% interval over replications"], frameon=False,
                  loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
        how = "every combination of the changes" if plan.method == "exact" else f"{len(plan.orders)} sampled orders"
        finish(fig, batches, f"{meta.label}: what made the difference\n{plan.target} against {plan.baseline}",
               "yearly.parquet of every combination",
               f"Whole run{', annual rate' if meta.agg == 'sum' else ''}. Shapley shares ({how}, common random "
               f"numbers), mean of {int(total['n'])} replications; they add up to the total "
               f"{fmt(total['value'])} ({fmt(total['ci_low'])} to {fmt(total['ci_high'])}).")
    return fig
