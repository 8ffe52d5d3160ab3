"""The few numbers printed after a batch: key yearly metrics per scenario, mean and 90% interval across runs.

For each run, the mean over its calendar years of each metric; then across runs, the mean and the 5th-95th
percentile interval. This is a first look, read back from the files just written; the analysis layer does the rest.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

KEY_METRICS = ["hostile_deaths", "killed_in_action", "died_of_wounds", "wounded", "ied_detonated", "ied_found",
               "convoys_sent", "coverage", "medevac_within_1h_share"]


def key_metrics(batch_dir: Path) -> pd.DataFrame:
    """Rows: metrics; columns: mean, p5, p95 (of the per-run mean yearly value). Empty if nothing was written."""
    table = Path(batch_dir) / "yearly.parquet"
    try:
        yearly = pd.read_parquet(table)
    except (OSError, ValueError):
        return pd.DataFrame(columns=["mean", "p5", "p95"])
    metrics = [m for m in KEY_METRICS if m in yearly.columns]
    if yearly.empty or not metrics:
        return pd.DataFrame(columns=["mean", "p5", "p95"])
    per_run = yearly.groupby(["point", "run"])[metrics].mean()
    return pd.DataFrame({"mean": per_run.mean(), "p5": per_run.quantile(0.05), "p95": per_run.quantile(0.95)})


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def format_table(tables: dict[str, pd.DataFrame]) -> str:
    """One column per scenario, one row per metric: ``mean [p5, p95]``."""
    names = list(tables)
    rows = [["per-year metric"] + names]
    for metric in KEY_METRICS:
        cells = [metric]
        for name in names:
            frame = tables[name]
            cells.append(f"{_fmt(frame.at[metric, 'mean'])} [{_fmt(frame.at[metric, 'p5'])}, "
                         f"{_fmt(frame.at[metric, 'p95'])}]" if metric in frame.index else "-")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("mean across runs [90% interval], of each run's mean over its calendar years")
    return "\n".join(lines)
