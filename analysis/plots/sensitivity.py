"""Figures of ``pkosim sensitivity``: a tornado chart of signed effects and a bar chart of indices with intervals.

The tornado shows, per swept parameter, how much the metric moves over the parameter's range (Morris: mu* signed
by mu; other designs: the linear swing), largest on top, coloured by direction. The index chart shows Sobol S1 and
ST (shares of variance), Morris mu* and sigma (metric units) or the linear fit's SRC^2 (shares), with intervals.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from analysis.metrics import metric as metric_meta
from analysis.plots.style import A4_LANDSCAPE, colour, figure_style, finish
from analysis.summary import ALL, fmt

UP, DOWN = "#c55a11", "#1f4e79"
DATA = "yearly.parquet and the manifest's design"


def _label(result, parameter: str, extra: str = "") -> str:
    """The dotted path (split before its last part when long), then the swept range."""
    low, high = result.design.bounds[parameter]
    head, _, tail = parameter.rpartition(".")
    name = f"{head}.\n{tail}" if len(parameter) > 36 and head else parameter
    return f"{name}\n({fmt(low)} to {fmt(high)}{extra})"


def _where(result) -> str:
    return "whole run" if result.year == ALL else result.year


def _note(result) -> str:
    """Footer lines (each short: ``finish`` sizes the footer by its line breaks)."""
    n = result.noise
    method = result.design.method.replace("_", " ").capitalize()
    lines = [f"{method} design, {result.design.points} points x {n.replications} replication(s); estimated on "
             "replication means."]
    noise = (f"Run-to-run noise: {n.noise_share:.0%} of the variance of the point means. "
             if not math.isnan(n.noise_share) else "")
    warn = f"{len(result.warnings)} warning(s): see the table." if result.warnings else ""
    if noise or warn:
        lines.append(noise + warn)
    return "\n".join(lines)


def plot_tornado(result):
    """Signed effect of each parameter over its range, with 95% intervals."""
    meta = metric_meta(result.metric)
    t = result.tornado.iloc[::-1].reset_index(drop=True)
    with figure_style():
        fig, ax = plt.subplots(figsize=A4_LANDSCAPE)
        y = np.arange(len(t))
        colours = [UP if v >= 0 else DOWN for v in t["value"]]
        ax.barh(y, t["value"], color=colours, height=0.6)
        has_ci = t["ci_low"].notna()
        ax.errorbar(t["value"][has_ci], y[has_ci], xerr=[(t["value"] - t["ci_low"])[has_ci],
                    (t["ci_high"] - t["value"])[has_ci]], fmt="none", ecolor="black", capsize=3, linewidth=1)
        ax.axvline(0, color="black", linewidth=0.8)
        sigma = result.table[result.table["index"] == "sigma"].set_index("parameter")["value"]
        extra = {p: f"; sigma {fmt(sigma[p])}" if p in sigma else "" for p in t["parameter"]}
        ax.set_yticks(y, [_label(result, p, extra[p]) for p in t["parameter"]])
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"Change over the parameter's range ({result.unit})")
        handles = [plt.Rectangle((0, 0), 1, 1, color=UP), plt.Rectangle((0, 0), 1, 1, color=DOWN),
                   plt.Line2D([], [], color="black", marker="|", linestyle="-")]
        ax.legend(handles, ["raises the metric", "lowers the metric", "95% interval (design and noise)"],
                  frameon=True, framealpha=0.9, edgecolor="none", loc="best")
        what = ("Morris mu* (mean absolute elementary effect), signed by mu; sigma: spread of the effects."
                if result.method == "morris" else
                "Linear swing: fitted change from the low to the high end of each range.")
        finish(fig, [result.batch], f"{meta.label} ({_where(result)}): which inputs matter, {result.batch.name}",
               DATA, f"{what}\n{_note(result)}")
    return fig


def plot_indices(result):
    """Sobol S1/ST, Morris mu*/sigma or SRC^2 per parameter, with 95% intervals."""
    meta = metric_meta(result.metric)
    t = result.table
    if result.method == "sobol":
        series, xlabel = [("S1", "first order S1"), ("ST", "total ST")], "Share of the variance of the point means"
        order = t[t["index"] == "ST"].sort_values("value")["parameter"].tolist()
    elif result.method == "morris":
        series, xlabel = [("mu_star", "mu* (mean absolute effect)"), ("sigma", "sigma (spread of effects)")], \
            f"Effect over the parameter's range ({result.unit})"
        order = t[t["index"] == "mu_star"].sort_values("value")["parameter"].tolist()
    else:
        series, xlabel = [("share", "SRC^2 (linear share of variance)")], "Share of the variance of the point means"
        order = t[t["index"] == "share"].sort_values("value")["parameter"].tolist()
    with figure_style():
        fig, ax = plt.subplots(figsize=A4_LANDSCAPE)
        y = np.arange(len(order))
        height = 0.8 / len(series)
        for k, (index, label) in enumerate(series):
            s = t[t["index"] == index].set_index("parameter").reindex(order)
            pos = y + (k - (len(series) - 1) / 2) * height
            ax.barh(pos, s["value"], height=height * 0.9, color=colour(k), label=label)
            ok = s["ci_low"].notna().to_numpy()
            if ok.any():
                ax.errorbar(s["value"][ok], pos[ok], xerr=[(s["value"] - s["ci_low"])[ok], (s["ci_high"] - s["value"])[ok]],
                            fmt="none", ecolor="black", capsize=3, linewidth=1)
        if result.method in ("sobol", "regression"):
            ax.axvline(0, color="black", linewidth=0.8)
            if not math.isnan(result.noise.noise_share):
                ax.axvline(result.noise.noise_share, color="#7f7f7f", linestyle=":", linewidth=1.5,
                           label="run-to-run noise share")
        ax.set_yticks(y, [_label(result, p) for p in order])
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(xlabel)
        ax.legend(frameon=True, framealpha=0.9, edgecolor="none", loc="best")
        method = {"sobol": "Sobol indices", "morris": "Morris elementary effects",
                  "regression": "linear sensitivity (fallback for this design)"}[result.method]
        finish(fig, [result.batch], f"{meta.label} ({_where(result)}): {method}, {result.batch.name}", DATA,
               f"Bars: estimates; whiskers: 95% intervals (design and noise).\n{_note(result)}")
    return fig
