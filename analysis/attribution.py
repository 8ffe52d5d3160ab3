"""What caused a difference: each change's Shapley share of the difference between two scenarios.

``pkosim attribute`` (``pkosim/attribute.py``) derives the changes that turn a baseline scenario into a target,
runs combinations of them (coalitions) with common random numbers, and writes ``attribution.json`` and one batch
per coalition. This module reads that folder and computes, for every metric and year (and the whole run, counts as
an annual rate), each change's Shapley value:

    phi_j = sum over coalitions S without j of |S|! (k - |S| - 1)! / k! * (v(S + j) - v(S))

the average, over every order in which the k changes could be made, of what adding change j adds. With
``method: permutations`` (many changes), the average runs over the sampled orders instead. Either way, the values
are computed per replication (replication r of every coalition shares its seed), so within each replication they
add up exactly to ``v(target) - v(baseline)``; the table gives their mean over replications with a t-based 95%
interval, and the means add up exactly to the mean total difference.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from analysis import stats
from analysis.metrics import metric as metric_meta
from analysis.results import Batch, find_batches
from analysis.summary import ALL, fmt, run_values
from analysis.sweeps import outcome_unit
from sim.errors import PkosimError

PLAN_FILE = "attribution.json"
DEFAULT_METRICS = ("hostile_deaths", "wounded", "medevac_within_2h_share")
TABLE_COLUMNS = ["metric", "unit", "year", "row", "change", "n", "value", "ci_low", "ci_high"]


# -- Shapley values --------------------------------------------------------------------------------------------

def shapley_exact(values: dict[frozenset, np.ndarray], k: int) -> np.ndarray:
    """``phi[j, r]`` from ``values[coalition][r]`` for every coalition of the changes 0..k-1."""
    weight = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    n = len(next(iter(values.values())))
    phi = np.zeros((k, n))
    for j in range(k):
        others = [i for i in range(k) if i != j]
        for size in range(k):
            for subset in combinations(others, size):
                s = frozenset(subset)
                phi[j] += weight[size] * (values[s | {j}] - values[s])
    return phi


def shapley_sampled(values: dict[frozenset, np.ndarray], k: int, orders: Sequence[Sequence[int]]) -> np.ndarray:
    """``phi[j, r]``: what change j adds when made in each of the sampled ``orders``, averaged over the orders."""
    n = len(next(iter(values.values())))
    phi = np.zeros((k, n))
    for order in orders:
        before: frozenset = frozenset()
        for j in order:
            after = before | {j}
            phi[j] += values[after] - values[before]
            before = after
    return phi / len(orders)


# -- the folder ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """``attribution.json``: the changes, the coalitions run (each a batch) and how they are combined."""

    folder: Path
    baseline: str
    target: str
    changes: list[dict]          # key, kind, baseline, target
    method: str                  # exact | permutations
    orders: list[list[int]]      # the sampled orders (method permutations)
    coalitions: dict[frozenset, str]  # members -> batch directory name

    @property
    def k(self) -> int:
        return len(self.changes)

    def labels(self) -> list[str]:
        return [c["key"] for c in self.changes]


def read_plan(folder) -> Plan:
    """The validated plan of an attribution folder; ``PkosimError`` if it is missing or damaged."""
    folder = Path(folder)
    path = folder / PLAN_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PkosimError(f"{folder}: not an attribution folder (no {PLAN_FILE}); run pkosim attribute first") from None
    except json.JSONDecodeError as error:
        raise PkosimError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    try:
        changes = list(data["changes"])
        k = len(changes)
        if not k or not all(isinstance(c, dict) and isinstance(c.get("key"), str) for c in changes):
            raise ValueError("changes")
        coalitions = {}
        for entry in data["coalitions"]:
            members = frozenset(int(m) for m in entry["members"])
            name = str(entry["name"])
            if not members <= set(range(k)) or "/" in name or name in (".", ".."):
                raise ValueError("coalition")
            coalitions[members] = name
        method = data["method"]
        orders = [[int(j) for j in order] for order in data.get("orders", [])]
        if method not in ("exact", "permutations") or any(sorted(o) != list(range(k)) for o in orders):
            raise ValueError("method")
        if method == "permutations" and not orders:
            raise ValueError("orders")
        plan = Plan(folder, str(data["baseline"]), str(data["target"]), changes, method, orders, coalitions)
    except (KeyError, TypeError, ValueError) as error:
        raise PkosimError(f"{path}: damaged attribution plan ({error}); rerun pkosim attribute") from None
    needed = {frozenset(), frozenset(range(k))}
    needed |= ({frozenset(s) for size in range(k + 1) for s in combinations(range(k), size)}
               if method == "exact" else {frozenset(o[:i]) for o in orders for i in range(k + 1)})
    missing = needed - set(coalitions)
    if missing:
        raise PkosimError(f"{path}: {len(missing)} combination(s) of changes the {method} method needs are not in the "
                          "plan; rerun pkosim attribute")
    return plan


def _batches(plan: Plan) -> dict[frozenset, Batch]:
    out = {}
    for members, name in plan.coalitions.items():
        batch = find_batches(plan.folder / "batches" / name)[0]
        out[members] = batch
    return out


def end_batches(plan: Plan) -> list[Batch]:
    """The batches of the baseline (no change) and the target (every change): what figures cite as their source."""
    return [find_batches(plan.folder / "batches" / plan.coalitions[members])[0]
            for members in (frozenset(), frozenset(range(plan.k)))]


def coalition_values(plan: Plan, metrics: Sequence[str]) -> pd.DataFrame:
    """Long table: coalition (frozenset), run, year, metric, value; only runs finished in every coalition."""
    frames = []
    for members, batch in _batches(plan).items():
        v = run_values(batch, metrics)
        frames.append(v.assign(coalition=[members] * len(v))[["coalition", "run", "seed", "year", "metric", "value"]])
    table = pd.concat(frames, ignore_index=True)
    seeds = table.groupby("run")["seed"].nunique()
    if (seeds > 1).any():
        raise PkosimError(f"{plan.folder}: replication {int(seeds[seeds > 1].index[0])} has different seeds in "
                          "different combinations; the runs are not paired")
    runs = table.groupby("coalition")["run"].apply(set)
    common = set.intersection(*runs.tolist())
    if not common:
        raise PkosimError(f"{plan.folder}: no replication finished in every combination of changes")
    return table[table["run"].isin(common)]


def attribute(folder, metrics: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """The attribution table (``TABLE_COLUMNS``): per metric and year, rows ``baseline`` and ``target`` (their
    means), ``total`` (the paired difference) and one ``change`` row per change (its Shapley share); every row has
    its mean over replications and a t-based interval. Shares add up exactly to ``total``."""
    plan = read_plan(folder)
    metrics = list(metrics or DEFAULT_METRICS)
    for m in metrics:
        metric_meta(m, "yearly")
    table = coalition_values(plan, metrics)
    empty, full = frozenset(), frozenset(range(plan.k))
    rows = []
    for m in metrics:
        unit_meta = metric_meta(m)
        sub = table[table["metric"] == m]
        years = sorted(y for y in sub["year"].unique() if y != ALL) + [ALL]
        for year in years:
            wide = sub[sub["year"] == year].pivot_table(index="run", columns="coalition", values="value",
                                                        aggfunc="first")
            wide = wide.dropna()  # a share undefined in some combination (no wounded) drops that replication
            unit = outcome_unit(unit_meta, year)
            base = dict(metric=m, unit=unit, year=year)
            if wide.empty:
                continue
            values = {c: wide[c].to_numpy(dtype=float) for c in wide.columns}
            if plan.method == "exact":
                phi = shapley_exact(values, plan.k)
            else:
                phi = shapley_sampled(values, plan.k, plan.orders)
            n = len(wide)
            for row, label, series in (("baseline", plan.baseline, values[empty]), ("target", plan.target, values[full]),
                                       ("total", f"{plan.target} minus {plan.baseline}", values[full] - values[empty])):
                mean, low, high = stats.mean_ci(series, level)
                rows.append({**base, "row": row, "change": label, "n": n, "value": mean, "ci_low": low, "ci_high": high})
            for j, label in enumerate(plan.labels()):
                mean, low, high = stats.mean_ci(phi[j], level)
                rows.append({**base, "row": "change", "change": label, "n": n, "value": mean, "ci_low": low,
                             "ci_high": high})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


# -- tables and files ----------------------------------------------------------------------------------------------

def display_table(table: pd.DataFrame, year: str = ALL) -> pd.DataFrame:
    """Strings per row; 'share of total' only where the total's interval excludes zero."""
    t = table[table["year"] == year]
    totals = t[t["row"] == "total"].set_index("metric")
    clear = {m: bool(r["ci_low"] > 0 or r["ci_high"] < 0) for m, r in totals.iterrows()}  # a share of ~0 is noise
    share = [f"{v / totals.loc[m, 'value']:.0%}" if r == "change" and clear.get(m) else "" for m, r, v in
             zip(t["metric"], t["row"], t["value"])]
    return pd.DataFrame({
        "metric": t["metric"], "unit": t["unit"],
        "what": [c if r == "change" else f"{r}: {c}" for r, c in zip(t["row"], t["change"])],
        "value": t["value"].map(fmt), "95% CI": [f"{fmt(a)} to {fmt(b)}" for a, b in zip(t["ci_low"], t["ci_high"])],
        "share of total": share})


def summary_lines(plan: Plan, table: pd.DataFrame) -> list[str]:
    method = ("every combination of the changes" if plan.method == "exact" else
              f"{len(plan.orders)} random orders of the changes (sampled Shapley values)")
    n = int(table["n"].max()) if len(table) else 0
    lines = [f"{plan.target} against {plan.baseline}: {plan.k} change(s), {len(plan.coalitions)} combinations run "
             f"({method}), {n} paired replications."]
    whole = table[(table["year"] == ALL)]
    for m, g in whole.groupby("metric", sort=False):
        total = g[g["row"] == "total"].iloc[0]
        top = g[g["row"] == "change"].reindex(g[g["row"] == "change"]["value"].abs().sort_values(ascending=False).index)
        lead = ", ".join(f"{r.change} {fmt(r.value)}" for r in top.head(3).itertuples())
        lines.append(f"{metric_meta(m).label} ({total['unit']}): total {fmt(total['value'])} "
                     f"({fmt(total['ci_low'])} to {fmt(total['ci_high'])}); largest shares: {lead}.")
    return lines


def _title(plan: Plan) -> str:
    return f"What caused the difference: {plan.target} against {plan.baseline}"


def _caption(metric: str) -> str:
    return f"{metric_meta(metric).label}: each change's share of the difference"


def write_attribution(folder, metrics: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compute, then write ``attribution.csv``, ``attribution.md``, ``attribution_<metric>.png`` (waterfall, whole
    run) and the section file a report shows (``attribution.section.json``) into the attribution folder. Returns
    the table and the written paths."""
    from analysis.fragments import write_section
    from analysis.io import write_text
    from analysis.plots.attribution import plot_waterfall
    from analysis.plots.style import save
    from analysis.summary import to_markdown

    plan = read_plan(folder)
    table = attribute(folder, metrics)
    paths = {"csv": str(write_text(plan.folder / "attribution.csv", table.to_csv(index=False)))}
    changes = "\n".join(f"- `{c['key']}` ({c['kind']}): {json.dumps(c.get('baseline'))} -> {json.dumps(c.get('target'))}"
                        for c in plan.changes)
    md = (f"# What caused the difference: {plan.target} against {plan.baseline}\n\n"
          + "\n".join(f"{s}\n" for s in summary_lines(plan, table))
          + f"\nChanges:\n\n{changes}\n\nWhole run (counts as annual rates; per-year rows in attribution.csv). "
            "Shapley shares over replications with the same seed, 95% intervals; the shares add up to the total.\n\n"
          + to_markdown(display_table(table)))
    paths["md"] = str(write_text(plan.folder / "attribution.md", md))
    batches = end_batches(plan)
    shown = list(dict.fromkeys(table["metric"]))
    for m in shown:
        paths[m] = str(save(plot_waterfall(plan, table, m, batches), plan.folder / f"attribution_{m}.png", batches))
    paths["section"] = write_section(plan.folder, "attribution", kind="attribution",
                                     section_id=f"attribution/{plan.target}/{plan.baseline}",
                                     title=_title(plan),
                                     lines=summary_lines(plan, table), table=display_table(table),
                                     figures=[(paths[m], _caption(m)) for m in shown])
    return table, paths


def attribution_report(folder, metrics: Sequence[str] | None = None, *, level: int = 2) -> str:
    """An HTML fragment (a ``<section>`` with an ``<h{level}>`` title): the reading, the whole-run table and one
    waterfall per metric."""
    from analysis.fragments import section, section_html
    from analysis.html import figure
    from analysis.plots.attribution import plot_waterfall

    plan = read_plan(folder)
    table = attribute(folder, metrics)
    batches = end_batches(plan)
    figures = [figure(plot_waterfall(plan, table, m, batches), batches, _caption(m))
               for m in dict.fromkeys(table["metric"])]
    return section_html(section("attribution", _title(plan), summary_lines(plan, table), display_table(table),
                                figures), level)
