"""Is the batch big enough? The 95% confidence-interval half-width of the mean of a metric (whole run, per
year) against the number of replications used, 1..N in run order, per scenario.

The rule (``verdict``): a batch is large enough for the precision a report shows when, with all N replications,
the half-width is at most ``TARGET_RELATIVE_HALF_WIDTH`` (10%) of the scenario's mean, for every scenario. When it
is not, the half-width shrinks as 1/sqrt(n), so about N x (half-width / target)^2 replications would reach it; the
verdict says how many. A dotted line per scenario marks the target; the verdict is printed on the figure.
"""

from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from analysis import stats
from analysis.metrics import metric as metric_meta
from analysis.plots.style import A4_LANDSCAPE, colour, figure_style, finish
from analysis.results import Batch
from analysis.summary import ALL, run_values

TARGET_RELATIVE_HALF_WIDTH = 0.10


def convergence_table(batch: Batch, metric: str):
    values = run_values(batch, [metric])
    values = values[values["year"] == ALL].sort_values(["point", "run"])
    return stats.ci_halfwidth_by_n(values["value"].to_numpy())


def precision(batch: Batch, metric: str) -> dict:
    """n, mean, half-width and half-width / |mean| with all replications, and the replications the target needs."""
    t = convergence_table(batch, metric)
    if len(t) < 2:
        return {"n": len(t), "mean": math.nan, "half_width": math.nan, "relative": math.nan, "needed": math.nan}
    last = t.iloc[-1]
    n, mean, half = int(last["n"]), float(last["mean"]), float(last["half_width"])
    if half <= 1e-9 * max(abs(mean), 1e-6):
        relative = 0.0
    else:
        relative = half / abs(mean) if mean else math.inf
    needed = (math.ceil(n * (relative / TARGET_RELATIVE_HALF_WIDTH) ** 2) if math.isfinite(relative)
              else math.nan)
    return {"n": n, "mean": mean, "half_width": half, "relative": relative, "needed": needed}


def verdict(batches: Sequence[Batch], metric: str = "hostile_deaths") -> str:
    """Whether the batches are large enough for the precision shown (the module's rule), in one sentence."""
    label = metric_meta(metric).label.lower()
    target = f"±{TARGET_RELATIVE_HALF_WIDTH:.0%}"
    checks = [(b.name, precision(b, metric)) for b in batches]
    short = [(name, p) for name, p in checks if p["n"] < 2]
    if short:
        return f"Too few replications to judge ({short[0][0]} has {short[0][1]['n']})."
    worst_name, worst = max(checks, key=lambda c: c[1]["relative"])
    n = min(p["n"] for _name, p in checks)
    if worst["relative"] <= TARGET_RELATIVE_HALF_WIDTH:
        if worst["relative"] == 0:
            return f"Large enough: {label} never varies between replications."
        return (f"Large enough: with {n} replications the 95% CI of the mean {label} is within "
                f"±{worst['relative']:.0%} of the mean for every scenario (rule: at most {target}).")
    if not math.isfinite(worst["relative"]):
        return (f"Precision relative to the mean cannot be judged: the mean {label} of {worst_name} is zero "
                "(rule: a half-width of at most 10% of the mean).")
    return (f"Not large enough for {target}: the 95% CI of the mean {label} of {worst_name} is "
            f"±{worst['relative']:.0%} of its mean with {worst['n']} replications; about {worst['needed']} "
            f"would reach {target} (rule: at most {target} of the mean for every scenario).")


def plot_convergence(batches: Sequence[Batch], metric: str = "hostile_deaths"):
    meta = metric_meta(metric, "yearly")
    with figure_style():
        fig, ax = plt.subplots(figsize=A4_LANDSCAPE)
        handles = []
        for i, batch in enumerate(batches):
            t = convergence_table(batch, metric)
            half = t["half_width"].where(t["half_width"] > 0)  # a zero width (equal first values) has no log
            ax.plot(t["n"], half, color=colour(i), linewidth=2, marker=".")
            final_mean = t["mean"].iloc[-1] if len(t) else float("nan")
            if final_mean:
                ax.axhline(abs(final_mean) * TARGET_RELATIVE_HALF_WIDTH, color=colour(i), linestyle=":",
                           linewidth=1.2)
            handles.append(Line2D([], [], color=colour(i), linewidth=2, marker=".", label=batch.name))
        handles.append(Line2D([], [], color="#606060", linestyle=":", linewidth=1.2,
                              label=f"target: {TARGET_RELATIVE_HALF_WIDTH:.0%} of the scenario's mean"))
        ax.set_xlabel("Replications used (in run order)")
        unit = f"{meta.unit} per year" if meta.agg == "sum" else meta.unit
        ax.set_ylabel(f"95% CI half-width of the mean ({unit})")
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ncol = 2 if max(len(b.name) for b in batches) > 22 or len(batches) > 3 else len(batches) + 1
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(ncol, 3),
                  frameon=False)
        finish(fig, batches, f"{meta.label}: precision of the mean against the number of replications",
               "yearly.parquet", verdict(batches, metric) + " Whole-run values (counts as annual rates); t-based "
               "95% interval; logarithmic scale.")
    return fig
