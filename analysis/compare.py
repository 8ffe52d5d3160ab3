"""Scenario effects as paired differences over replications that share a seed (common random numbers).

Replication k of every scenario run with the same root seed gets the same seed, so ``b_k - a_k`` removes the
noise both runs share. ``compare`` joins each scenario with the first on ``(point, run)``, checks that the seeds
are equal, and reports per metric and year (and for the whole run, as a per-year rate) the mean paired difference
with its t-based 95% confidence interval, the unpaired Welch interval on the same runs, and how much narrower the
paired interval is. Batches that do not share seeds are refused: a "paired" interval on unpaired runs would be
wrong, not just wide.
"""

from __future__ import annotations

import math
from typing import Sequence

import pandas as pd

from analysis import stats
from analysis.metrics import KEY_METRICS, metric
from analysis.results import Batch, find_batches, posteriors
from analysis.summary import ALL, run_values
from sim.errors import PkosimError

COMPARE_COLUMNS = ["baseline", "scenario", "metric", "unit", "year", "n_pairs", "mean_baseline", "mean_scenario",
                   "diff", "ci_low", "ci_high", "relative_diff", "welch_ci_low", "welch_ci_high", "narrowing", "sd_diff"]


def check_paired(a: Batch, b: Batch, values_a: pd.DataFrame, values_b: pd.DataFrame) -> pd.DataFrame:
    """The (point, run, seed) pairs shared by ``a`` and ``b``; ``PkosimError`` when the batches do not share seeds."""
    if a.root_seed is not None and b.root_seed is not None and str(a.root_seed) != str(b.root_seed):
        raise PkosimError(f"cannot pair {b.name} with {a.name}: different root seeds ({b.root_seed} vs {a.root_seed}); "
                          "rerun one with the other's seed for a paired comparison")
    ids_a = values_a[["point", "run", "seed"]].drop_duplicates()
    ids_b = values_b[["point", "run", "seed"]].drop_duplicates()
    joined = ids_a.merge(ids_b, on=["point", "run"], suffixes=("_a", "_b"))
    bad = joined[joined["seed_a"].astype(str) != joined["seed_b"].astype(str)]
    if len(bad):
        r = bad.iloc[0]
        raise PkosimError(f"cannot pair {b.name} with {a.name}: run {int(r['run'])} (point {int(r['point'])}) has seed "
                          f"{r['seed_b']} vs {r['seed_a']}; {len(bad)} run(s) differ, so the runs are not paired")
    if joined.empty:
        raise PkosimError(f"cannot pair {b.name} with {a.name}: no replication (point, run) in common")
    return joined


def compare(dirs, metrics: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Effects of every batch against the first one; columns ``COMPARE_COLUMNS``.

    ``diff`` is the mean paired difference (scenario - baseline) and ``ci_low``/``ci_high`` its confidence
    interval; ``welch_ci_*`` is the unpaired interval on the same runs and ``narrowing`` = 1 - paired width /
    Welch width (0.6 means the paired interval is 60% narrower; NaN when the paired differences do not vary, e.g.
    identical runs). ``relative_diff`` = diff / baseline mean; ``sd_diff`` the standard deviation of the paired
    differences (0 with a zero ``diff``: the scenarios gave the same value in every replication).
    The ``year == "all"`` rows use whole-run per-year rates (counts) or days-weighted means (shares)."""
    batches = find_batches(dirs)
    if len(batches) < 2:
        raise PkosimError(f"compare needs at least two batches; got only {batches[0].name} ({batches[0].path})")
    metrics = list(metrics or KEY_METRICS)
    base = batches[0]
    values_base = run_values(base, metrics)
    rows = []
    for other in batches[1:]:
        values_other = run_values(other, metrics)
        pairs = check_paired(base, other, values_base, values_other)
        keys = ["point", "run", "year", "metric"]
        joined = values_base.merge(values_other, on=keys, suffixes=("_a", "_b"))
        joined = joined.merge(pairs[["point", "run"]], on=["point", "run"])
        for name in metrics:
            sub = joined[joined["metric"] == name]
            years = sorted(y for y in sub["year"].unique() if y != ALL) + [ALL]
            for year in years:
                g = sub[sub["year"] == year]
                p = stats.paired_difference(g["value_a"], g["value_b"], level)
                w = stats.welch_difference(g["value_a"], g["value_b"], level)
                mean_a = float(g["value_a"].mean())
                width_p = p["ci_high"] - p["ci_low"]
                width_w = w["ci_high"] - w["ci_low"]
                # Pairing cannot be credited when the pairs are identical (no effect) or the runs never vary.
                narrowing = (1 - width_p / width_w if width_w and width_p and not math.isnan(width_w) and
                             not math.isnan(width_p) else math.nan)
                rows.append({
                    "baseline": base.name, "scenario": other.name, "metric": name,
                    "unit": metric(name).whole_run_unit if year == ALL else metric(name).unit,
                    "year": year, "n_pairs": p["n_pairs"], "mean_baseline": mean_a,
                    "mean_scenario": float(g["value_b"].mean()), "diff": p["diff"], "ci_low": p["ci_low"],
                    "ci_high": p["ci_high"], "relative_diff": p["diff"] / mean_a if mean_a else math.nan,
                    "welch_ci_low": w["ci_low"], "welch_ci_high": w["ci_high"], "narrowing": narrowing,
                    "sd_diff": p["sd_diff"],
                })
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def display_table(table: pd.DataFrame, whole_run_only: bool = False) -> pd.DataFrame:
    """Strings for the terminal, Markdown and HTML: effect, paired CI, Welch CI, and how much narrower pairing made
    it. A metric that is the same in every pair of runs says so ("no effect: identical in every run") instead of
    showing a zero-width interval and a "100% narrower"."""
    from analysis.headlines import is_identical
    from analysis.summary import fmt

    t = table[table["year"] == ALL] if whole_run_only else table
    rows = t.to_dict("records")
    same = [is_identical(r) for r in rows]
    return pd.DataFrame({
        "scenario": [f"{r['scenario']} vs {r['baseline']}" for r in rows],
        "metric": t["metric"].tolist(),
        "unit": t["unit"].tolist(),
        "year": ["whole run, per year" if r["year"] == ALL else r["year"] for r in rows],
        "n": [str(r["n_pairs"]) for r in rows],
        "diff": ["no effect: identical in every run" if s else
                 f"{fmt(r['diff'])} ({r['relative_diff']:+.0%})" if not math.isnan(r["relative_diff"])
                 else fmt(r["diff"]) for r, s in zip(rows, same)],
        "paired 95% CI": ["-" if s else f"{fmt(r['ci_low'])} to {fmt(r['ci_high'])}" for r, s in zip(rows, same)],
        "Welch 95% CI": ["-" if s else f"{fmt(r['welch_ci_low'])} to {fmt(r['welch_ci_high'])}"
                         for r, s in zip(rows, same)],
        "narrower": ["-" if s or math.isnan(r["narrowing"]) else f"{r['narrowing']:.0%}" for r, s in zip(rows, same)],
    })


def _same_comparison(csv_path, table: pd.DataFrame) -> bool:
    """Whether ``csv_path`` holds a comparison of the same baseline and scenarios as ``table``."""
    try:
        old = pd.read_csv(csv_path, usecols=["baseline", "scenario"])
    except (OSError, ValueError):
        return False
    return set(map(tuple, old.drop_duplicates().to_numpy().tolist())) == \
        set(map(tuple, table[["baseline", "scenario"]].drop_duplicates().to_numpy().tolist()))


def _default_name(folder, table: pd.DataFrame) -> str:
    """``comparison`` unless the baseline's folder already holds a comparison of other scenarios: then the first
    ``comparison_N`` that is free or holds this same comparison (a comparison never replaces another)."""
    for n in range(1, 10_000):
        name = "comparison" if n == 1 else f"comparison_{n}"
        csv_path = folder / f"{name}.csv"
        if not csv_path.exists() or _same_comparison(csv_path, table):
            return name
    raise PkosimError(f"{folder}: too many comparisons; give --out")


def write_comparison(dirs, out_dir=None, metrics: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compare, then write ``comparison.csv`` and ``comparison.md`` atomically into ``out_dir``; by default into the
    baseline's folder, as ``comparison_2.csv`` (3, ...) when ``comparison.csv`` there compares other scenarios.
    The Markdown opens with the headline findings (``analysis.headlines``) when the lead metric is compared."""
    from pathlib import Path

    from analysis import headlines
    from analysis.io import check_target, write_text
    from analysis.summary import to_markdown

    batches = find_batches(dirs)
    table = compare(batches, metrics)
    out = Path(out_dir) if out_dir else batches[0].path
    name = "comparison" if out_dir else _default_name(out, table)
    top = ""
    if metrics is None or headlines.LEAD in metrics:
        found, notes, _table = findings(batches)
        top = headlines.to_markdown(found, notes) + "\n"
    md = (f"# Comparison against {batches[0].name}\n\nIntervals: {headlines.interval_kind(posteriors(batches))}."
          f"\n\n{top}## Effects\n\nPaired differences over replications with "
          "the same seed (scenario minus baseline), 95% confidence intervals; 'narrower' is how much narrower the "
          "paired interval is than an unpaired (Welch) one.\n\n" + to_markdown(display_table(table)))
    check_target(out / f"{name}.md", md.encode())  # both files or neither
    csv_path = write_text(out / f"{name}.csv", table.to_csv(index=False))
    md_path = write_text(out / f"{name}.md", md)
    return table, {"csv": str(csv_path), "md": str(md_path)}


def window_days(batches: Sequence[Batch]) -> dict[str, float]:
    """Days in each batch's run window (for effects over a short window), where the manifest gives it."""
    out = {}
    for b in batches:
        start, end = b.window
        if start and end:
            out[b.name] = float((end - start).days + 1)
    return out


def findings(batches: Sequence[Batch], **caveat_args) -> tuple[list, list[str], pd.DataFrame]:
    """Headline findings of every batch against the first (``analysis.headlines``), the report-wide caveats, and the
    comparison they come from (``headlines.HEADLINE_METRICS`` that every batch's yearly table has).
    ``caveat_args`` go to ``headlines.caveats`` (calibration targets missed, extra caveats); the last caveat says
    which kind of interval the batches give (``headlines.intervals_caveat``)."""
    from analysis import headlines

    batches = find_batches(batches)
    columns = set.intersection(*(set(b.columns("yearly")) for b in batches))
    wanted = [m for m in headlines.HEADLINE_METRICS if m in columns]
    table = compare(batches, wanted)
    found = headlines.headline_findings(table, descriptions={b.name: b.description for b in batches},
                                        window_days=window_days(batches))
    notes = headlines.caveats(table, failed_runs=sum(b.n_failed for b in batches),
                              intervals=headlines.intervals_caveat(posteriors(batches)), **caveat_args)
    return found, notes, table
