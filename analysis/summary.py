"""Per scenario, metric and year: mean, median, 5-95% interval and the 95% confidence interval of the mean.

Besides one row per calendar year, each metric gets a whole-run row (``year == "all"``): for counts the annual
rate over the window (total / days x 365.25, its unit "... per year"), for ratios the ratio of the window's summed
counts, for daily levels their mean (``sim.results``: the same definition ``pkosim run`` prints). Both are computed
per replication first (``run_values``), then summarised over replications.
"""

from __future__ import annotations

import math
from typing import Sequence

import pandas as pd

from analysis import stats
from analysis.metrics import KEY_METRICS, metric
from analysis.results import Batch, find_batches, replications_text
from sim.metrics import REGISTRY

ALL = "all"
SUMMARY_COLUMNS = ["scenario", "point", "metric", "unit", "year", "days", "n", "mean", "median", "p5", "p95",
                   "ci_low", "ci_high", "sd"]


def run_values(batch: Batch, metrics: Sequence[str]) -> pd.DataFrame:
    """Long table of one value per run, year and metric: columns scenario, point, run, seed, year, days, metric,
    value. ``year`` is the calendar year as a string, or ``"all"`` for the whole-run value, computed by the model's
    one definition (``sim.results.Registry.whole_run``: counts per year, ratios from summed counts)."""
    for name in metrics:
        metric(name, "yearly")
    frame = batch.read("yearly", ["year", "days", *REGISTRY.inputs(metrics)])
    frame["scenario"] = batch.name
    keys = ["scenario", "point", "run", "seed"]
    long = frame.melt(id_vars=keys + ["year", "days"], value_vars=list(metrics), var_name="metric", value_name="value")
    long["value"] = long["value"].astype(float)
    long["year"] = long["year"].astype(int).astype(str)
    whole = REGISTRY.whole_run(frame, keys)
    whole = whole.melt(id_vars=keys + ["days"], value_vars=list(metrics), var_name="metric", value_name="value")
    out = pd.concat([long, whole.assign(year=ALL)], ignore_index=True)
    return out[keys + ["year", "days", "metric", "value"]]


def summarize(dirs, metrics: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Summary table for the batches in ``dirs`` (paths or ``Batch`` objects); columns ``SUMMARY_COLUMNS``.

    ``metrics`` defaults to ``analysis.metrics.KEY_METRICS``. Rows are ordered by scenario (as given), metric (as
    given), then year with the whole-run row last."""
    batches = find_batches(dirs)
    metrics = list(metrics or KEY_METRICS)
    rows = []
    for batch in batches:
        values = run_values(batch, metrics)
        for (point, name), group in values.groupby(["point", "metric"], sort=False):
            years = sorted(y for y in group["year"].unique() if y != ALL) + [ALL]
            for year in years:
                g = group[group["year"] == year]
                d = stats.describe(g["value"], level)
                rows.append({"scenario": batch.name, "point": int(point), "metric": name,
                             "unit": metric(name).whole_run_unit if year == ALL else metric(name).unit, "year": year,
                             "days": float(g["days"].max()) if len(g) else math.nan,
                             **{k: d[k] for k in ("n", "mean", "median", "p5", "p95", "ci_low", "ci_high", "sd")}})
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    order = {m: i for i, m in enumerate(metrics)}
    scen = {b.name: i for i, b in enumerate(batches)}
    table = table.sort_values(["scenario", "point", "metric"],
                              key=lambda s: s.map(scen) if s.name == "scenario" else s.map(order) if s.name == "metric"
                              else s, kind="stable").reset_index(drop=True)
    return table


# -- formatting ---------------------------------------------------------------------------------------------------

def fmt(value: float) -> str:
    """Numbers for people: 3 significant figures, thousands separated, shares to 2 decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if a >= 1 or a == 0:
        return f"{value:.2f}"
    return f"{value:.3f}"


def never_varies(row) -> bool:
    """All replications gave the same value (a metric the scenario does not move, or one the model holds fixed)."""
    sd = row["sd"]
    return bool(row["n"] > 1 and not math.isnan(sd) and sd <= 1e-9 * max(abs(row["mean"]), 1e-6))


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The summary as strings, one column per reading: mean, median, 5-95% range, 95% CI of the mean. A metric that
    is the same in every replication says so instead of showing a zero-width range."""
    rows = table.to_dict("records")
    fixed = [never_varies(r) if "sd" in r else False for r in rows]
    out = pd.DataFrame({
        "scenario": table["scenario"].tolist(),
        "metric": table["metric"].tolist(),
        "unit": table["unit"].tolist(),
        "year": [("whole run, per year" if y == ALL else y) + ("" if y == ALL or d >= 365 else f" ({d:.0f} d)")
                 for y, d in zip(table["year"], table["days"].fillna(365))],
        "n": table["n"].astype(int).astype(str).tolist(),
        "mean": table["mean"].map(fmt).tolist(),
        "median": table["median"].map(fmt).tolist(),
        "5-95%": ["same in every run" if f else f"{fmt(r['p5'])} - {fmt(r['p95'])}" for r, f in zip(rows, fixed)],
        "95% CI of mean": ["-" if f else f"{fmt(r['ci_low'])} - {fmt(r['ci_high'])}" for r, f in zip(rows, fixed)],
    })
    if "point" in table and table["point"].nunique() > 1:
        out.insert(1, "point", table["point"].astype(str).tolist())
    return out


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_text(frame: pd.DataFrame) -> str:
    """A plain aligned table for the terminal; repeated scenario/metric names are blanked for readability."""
    frame = frame.copy()
    keys = {"scenario": frame["scenario"].astype(str) if "scenario" in frame else None}
    if "metric" in frame and "scenario" in frame:
        keys["metric"] = keys["unit"] = frame["scenario"].astype(str) + "/" + frame["metric"].astype(str)
    for col, keyed in keys.items():
        if keyed is None or col not in frame:
            continue
        prev, new = None, []
        for k, v in zip(keyed, frame[col]):
            new.append("" if k == prev else v)
            prev = k
        frame[col] = new
    cols = list(frame.columns)
    widths = [max(len(c), *(len(str(v)) for v in frame[c])) if len(frame) else len(c) for c in cols]
    numeric = {"n", "mean", "median", "5-95%", "95% CI of mean", "diff", "paired 95% CI", "Welch 95% CI"}

    def line(values):
        return "  ".join(str(v).rjust(w) if c in numeric else str(v).ljust(w)
                         for c, v, w in zip(cols, values, widths)).rstrip()

    out = [line(cols), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in frame.itertuples(index=False)]
    return "\n".join(out) + "\n"


def write_summary(dirs, out_dir=None, metrics: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Summarise, then write ``summary.csv`` and ``summary.md`` atomically into ``out_dir`` (default: the first
    batch's directory). Returns the table and the written paths."""
    from pathlib import Path

    from analysis.io import write_text

    batches = find_batches(dirs)
    table = summarize(batches, metrics)
    out = Path(out_dir) if out_dir else batches[0].path
    csv_path = write_text(out / "summary.csv", table.to_csv(index=False))
    from analysis.headlines import interval_kind
    from analysis.results import posteriors

    header = "# Summary\n\n" + "\n".join(
        f"- **{b.name}**: {replications_text([b])}, root seed {b.root_seed}, pkosim {b.version}, "
        f"scenario hash `{b.scenario_hash}`" for b in batches) + \
        f"\n\nIntervals (5-95% of replications, 95% CI of the mean): {interval_kind(posteriors(batches))}.\n\n"
    md_path = write_text(out / "summary.md", header + to_markdown(display_table(table)))
    return table, {"csv": str(csv_path), "md": str(md_path)}
