"""The few numbers printed after a batch: key metrics per scenario, mean and 90% interval across runs.

Each run's whole-run value by the model's one definition (``sim.results.Registry.whole_run``: counts as annual
rates, "per year"; ratios from the window's summed counts; levels as means over days), then across runs the mean
and the 5th-95th percentile interval. ``pkosim summarize``, ``compare`` and ``report`` use the same definition, so
the same batch prints the same numbers everywhere. This is a first look, read back from the files just written.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.metrics import REGISTRY

KEY_METRICS = ["hostile_deaths", "killed_in_action", "died_of_wounds", "wounded", "ied_detonated", "ied_found",
               "convoys_sent", "coverage", "medevac_within_1h_share"]


def key_metrics(batch_dir: Path) -> pd.DataFrame:
    """Rows: metrics; columns: mean, p5, p95 (of each run's whole-run value). Empty if nothing was written."""
    table = Path(batch_dir) / "yearly.parquet"
    try:
        yearly = pd.read_parquet(table)
    except (OSError, ValueError):
        return pd.DataFrame(columns=["mean", "p5", "p95"])
    metrics = [m for m in KEY_METRICS if all(c in yearly.columns for c in REGISTRY.inputs([m]))]
    if yearly.empty or not metrics:
        return pd.DataFrame(columns=["mean", "p5", "p95"])
    per_run = REGISTRY.whole_run(yearly, ["point", "run"])[metrics]
    return pd.DataFrame({"mean": per_run.mean(), "p5": per_run.quantile(0.05), "p95": per_run.quantile(0.95)})


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def format_table(tables: dict[str, pd.DataFrame]) -> str:
    """One column per scenario, one row per metric with its whole-run unit: ``mean [p5, p95]``."""
    names = list(tables)
    rows = [["metric (whole run)"] + names]
    for metric in KEY_METRICS:
        cells = [f"{metric} ({_unit(metric)})"]
        for name in names:
            frame = tables[name]
            cells.append(f"{_fmt(frame.at[metric, 'mean'])} [{_fmt(frame.at[metric, 'p5'])}, "
                         f"{_fmt(frame.at[metric, 'p95'])}]" if metric in frame.index else "-")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("mean across runs [90% interval]; counts are annual rates over each run's window (total / days x "
                 "365.25), as in pkosim summarize")
    return "\n".join(lines)


def _unit(name: str) -> str:
    result = REGISTRY[name]
    return f"{result.unit} per year" if result.kind == "count" else result.unit
