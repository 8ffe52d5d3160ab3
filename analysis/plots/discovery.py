"""Figure of ``pkosim discover``: PRIM's peeling trajectory (coverage against density, each step a box) and the
chosen boxes' limits on each swept parameter's range."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from analysis.plots.style import A4_LANDSCAPE, colour, figure_style, finish
from analysis.summary import ALL, fmt

DIMS = ["#7f7f7f", "#bf9000", "#548235", "#7030a0", "#2e75b6", "#843c0c"]  # by number of restricted parameters


def plot_discovery(result):
    with figure_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=A4_LANDSCAPE, gridspec_kw={"width_ratios": [1, 1.1]})
        dims = sorted({int(d) for b in result.boxes for d in b.trajectory["restricted_dims"]})
        for b in result.boxes:
            t = b.trajectory
            left.plot(t["coverage"], t["density"], color="#a0a0a0", linewidth=1, zorder=2)
            left.scatter([b.coverage], [b.density], s=170, facecolors="none", edgecolors=colour(b.number - 1),
                         linewidths=2, zorder=4, label=f"box {b.number} (reported)")
        for d in dims:
            steps = [b.trajectory[b.trajectory["restricted_dims"] == d] for b in result.boxes]
            left.scatter(np.concatenate([s["coverage"] for s in steps]), np.concatenate([s["density"] for s in steps]),
                         s=18, color=DIMS[d % len(DIMS)], zorder=3, label=f"{d} parameter(s) restricted")
        base = result.hit.mean()
        left.axhline(base, color="#7f7f7f", linestyle=":", linewidth=1, label=f"all cases ({base:.0%})")
        left.set_xlim(0, 1.05)
        left.set_ylim(0, 1.05)
        left.set_xlabel("Coverage")
        left.set_ylabel("Density")
        left.set_title("Peeling trajectory", fontsize=10)
        left.legend(frameon=True, framealpha=0.9, edgecolor="none", loc="lower left", fontsize=9)

        params = list(result.design.parameters)
        y = np.arange(len(params))[::-1]
        right.barh(y, [1.0] * len(params), color="#e0e0e0", height=0.6, label="swept range")
        height = 0.5 / max(1, len(result.boxes))
        for k, b in enumerate(result.boxes):
            lim = b.limits.set_index("parameter").reindex(params)
            span = (lim["range_high"] - lim["range_low"]).to_numpy()
            low = ((lim["low"] - lim["range_low"]).to_numpy()) / span
            high = ((lim["high"] - lim["range_low"]).to_numpy()) / span
            pos = y + (k - (len(result.boxes) - 1) / 2) * height
            right.barh(pos, high - low, left=low, height=height * 0.9, color=colour(b.number - 1),
                       label=f"box {b.number}")
            for yi, p, r in zip(pos, params, lim.itertuples()):
                if r.restricted:
                    right.text(1.02, yi, f"{fmt(r.low)} to {fmt(r.high)}", va="center", fontsize=9)
        right.set_yticks(y, [f"{p}\n({fmt(result.design.bounds[p][0])} to {fmt(result.design.bounds[p][1])})"
                             for p in params])
        right.set_xlim(0, 1.6)
        right.set_xticks([0, 0.5, 1], ["low", "middle", "high"])
        right.set_xlabel("Position in the swept range")
        right.set_title("Box limits", fontsize=10)
        right.grid(axis="y", visible=False)
        right.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.45, -0.15), ncol=3, fontsize=9)
        where = "whole run" if result.year == ALL else result.year
        paired = "paired difference, " if result.other is not None else ""
        cases = "design points (replication means)" if result.cases == "points" else "runs"
        finish(fig, result.batches, f"Where {paired}{result.condition} ({where}): {result.subject}",
               "yearly.parquet and the manifest's design",
               f"PRIM (ema_workbench) on {len(result.hit)} {cases}; {int(result.hit.sum())} meet the condition. "
               "Coverage: share of the cases of interest inside the box; density: share of the box's cases that are of "
               "interest. Reported box: the most coverage with density >= the threshold (docs/explore.md).")
    return fig
