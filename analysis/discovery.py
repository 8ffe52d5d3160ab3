"""Scenario discovery: where in a sweep's input space does a condition on the outcome hold (``pkosim discover``)?

PRIM (the Patient Rule Induction Method, Friedman and Fisher 1999, as implemented for scenario discovery by
``ema_workbench.analysis.prim``, Kwakkel 2017) peels the box of swept ranges, a little at a time, towards the design
points where the condition holds, then pastes back what it over-peeled. Each step of that *peeling trajectory* is a
box with a **coverage** (the share of all points meeting the condition that fall in the box) and a **density** (the
share of the points in the box that meet the condition). A box is reported in the scenario's own parameter names
(dotted paths), with each limit and the quasi-p value of each restriction (a one-sided binomial test: could the
restriction be chance?).

Cases. By default a case is a design point, and its outcome is the mean over its replications (``--cases points``:
"where does the option pay on average?"); ``--cases runs`` makes every run a case ("where is it likely to pay?").

Paired differences. With two batches run from the same design and seeds (a sweep of the baseline and the same sweep
with the option), every metric in the condition is the paired difference *second minus first*, run by run (as in
``pkosim compare``), so common random numbers remove the noise the two share: ``discover drawdown drones --where
"hostile_deaths <= -2"`` finds where the drones save at least two lives a year.

Which box. PRIM's trajectory trades coverage for density; the chosen box is the one with the most coverage whose
density reaches ``min_density`` (default 0.8), the densest of those on a tie; when none reaches it, the densest. ``boxes`` > 1 looks for further boxes
among the points left outside the earlier ones.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.conditions import Condition, parse
from analysis.results import Batch, find_batches
from analysis.summary import ALL, fmt, run_values
from analysis.sweeps import SweepDesign, check_year, read_sweep
from sim.errors import PkosimError

MIN_DENSITY = 0.8
CASES = ("points", "runs")
LIMIT_COLUMNS = ["box", "parameter", "low", "high", "range_low", "range_high", "restricted", "quasi_p"]
TRAJECTORY_COLUMNS = ["box", "step", "coverage", "density", "mass", "restricted_dims", "cases", "chosen"]


@dataclass
class Box:
    number: int
    trajectory: pd.DataFrame      # one row per step: coverage, density, mass, restricted_dims, cases
    chosen: int                   # the step reported
    limits: pd.DataFrame          # one row per parameter: low, high, range_low, range_high, restricted, quasi_p

    @property
    def coverage(self) -> float:
        return float(self.trajectory.loc[self.chosen, "coverage"])

    @property
    def density(self) -> float:
        return float(self.trajectory.loc[self.chosen, "density"])

    @property
    def mass(self) -> float:
        return float(self.trajectory.loc[self.chosen, "mass"])

    def restricted(self) -> pd.DataFrame:
        return self.limits[self.limits["restricted"]]


@dataclass
class Discovery:
    design: SweepDesign
    other: Batch | None           # the second batch of a paired discovery
    condition: Condition
    year: str
    cases: str
    inputs: pd.DataFrame          # one row per case: the swept parameters
    outcomes: pd.DataFrame        # one row per case: each metric of the condition (or its paired difference)
    hit: np.ndarray               # the condition, per case
    boxes: list[Box] = field(default_factory=list)

    @property
    def batches(self) -> list[Batch]:
        return [self.design.batch] + ([self.other] if self.other is not None else [])

    @property
    def subject(self) -> str:
        if self.other is None:
            return self.design.batch.name
        return f"{self.other.name} minus {self.design.batch.name}"


# -- the cases --------------------------------------------------------------------------------------------------

def _same_design(a: SweepDesign, b: SweepDesign) -> None:
    same = (a.method == b.method and a.parameters == b.parameters and a.points == b.points
            and np.allclose(a.inputs.to_numpy(), b.inputs.to_numpy(), rtol=1e-9, atol=1e-12))
    if not same:
        raise PkosimError(f"cannot pair {b.batch.name} with {a.batch.name}: their sweeps differ (method, parameters "
                          "or design points); run both from the same sweep: block and sweep seed")


def case_table(design: SweepDesign, metrics: list[str], year: str, cases: str,
               other: SweepDesign | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(inputs, outcomes), one row per case: per point (replication means) or per run; with ``other``, the
    outcomes are paired differences other - design."""
    if cases not in CASES:
        raise PkosimError(f"--cases {cases}: choose points or runs")
    values = run_values(design.batch, metrics)
    check_year(values, year, design.batch)
    values = values[values["year"] == year]
    wide = values.pivot_table(index=["point", "run", "seed"], columns="metric", values="value", aggfunc="first",
                              dropna=False).reset_index()
    if other is not None:
        from analysis.compare import check_paired

        _same_design(design, other)
        values_b = run_values(other.batch, metrics)
        values_b = values_b[values_b["year"] == year]
        check_paired(design.batch, other.batch, values, values_b)
        wide_b = values_b.pivot_table(index=["point", "run"], columns="metric", values="value", aggfunc="first",
                                      dropna=False).reset_index()
        joined = wide.merge(wide_b, on=["point", "run"], suffixes=("_a", "_b"))
        wide = joined[["point", "run"]].copy()
        for m in metrics:
            wide[m] = joined[f"{m}_b"] - joined[f"{m}_a"]
    if cases == "points":
        wide = wide.groupby("point")[metrics].mean().reset_index()
    wide = wide.dropna(subset=metrics, how="all")
    wide = wide[wide["point"].isin(design.inputs.index)].reset_index(drop=True)
    inputs = design.inputs.loc[wide["point"]].reset_index(drop=True).astype(float)
    return inputs, wide


def _limits(box_lims: pd.DataFrame, initial: pd.DataFrame, design: SweepDesign, number: int,
            quasi_p: dict) -> pd.DataFrame:
    """The box in the sweep's terms: a side PRIM did not peel is the swept range's bound (PRIM's initial box is
    the data's minimum and maximum, which a sampled design does not quite reach)."""
    rows = []
    for p in design.parameters:
        lo_all, hi_all = design.bounds[p]
        low_peeled = not np.isclose(box_lims.loc[0, p], initial.loc[0, p])
        high_peeled = not np.isclose(box_lims.loc[1, p], initial.loc[1, p])
        q = [x for x in quasi_p.get(p, []) if x is not None and not math.isnan(float(x)) and x >= 0]
        rows.append({"box": number, "parameter": p, "low": float(box_lims.loc[0, p]) if low_peeled else lo_all,
                     "high": float(box_lims.loc[1, p]) if high_peeled else hi_all, "range_low": lo_all,
                     "range_high": hi_all, "restricted": low_peeled or high_peeled,
                     "quasi_p": max(q) if q else math.nan})
    return pd.DataFrame(rows, columns=LIMIT_COLUMNS)


def find_boxes(inputs: pd.DataFrame, hit: np.ndarray, design: SweepDesign, *, boxes: int = 1,
               min_density: float = MIN_DENSITY, mass_min: float = 0.05, peel_alpha: float = 0.05) -> list[Box]:
    """Up to ``boxes`` PRIM boxes for the cases where ``hit`` is true."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optional ema_workbench extras (altair, ipyparallel) are not needed
        from ema_workbench.analysis.prim import Prim
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prim = Prim(inputs.reset_index(drop=True), hit.astype(int), peel_alpha=peel_alpha, mass_min=mass_min)
        for number in range(1, boxes + 1):
            box = prim.find_box()
            if box is None:
                break
            t = box.peeling_trajectory
            trajectory = pd.DataFrame({
                "coverage": t["coverage"].astype(float), "density": t["density"].astype(float),
                "mass": t["mass"].astype(float), "restricted_dims": t["res_dim"].astype(int),
                "cases": t["n"].astype(int)}).reset_index(drop=True)
            dense = trajectory[trajectory["density"] >= min_density - 1e-12]
            ranked = (dense.sort_values(["coverage", "density"], ascending=False, kind="stable") if len(dense) else
                      trajectory.sort_values(["density", "coverage"], ascending=False, kind="stable"))
            chosen = int(ranked.index[0])
            box.select(chosen)
            quasi_p = {p: list(v) for p, v in box.p_values[chosen].items()}
            limits = _limits(box.box_lims[chosen], prim.box_init, design, number, quasi_p)
            found.append(Box(number, trajectory, chosen, limits))
            if box.coverage >= 1.0 - 1e-12:
                break
    return found


def discover(first, second=None, *, where: str, metric: str | None = None, year: str = ALL,
             cases: str = "points", boxes: int = 1, min_density: float = MIN_DENSITY) -> Discovery:
    """Scenario discovery on a sweep batch (or the paired difference ``second - first``) for the ``where``
    condition; see the module docstring."""
    first = first if isinstance(first, Batch) else find_batches(first)[0]
    second = second if second is None or isinstance(second, Batch) else find_batches(second)[0]
    if boxes < 1:
        raise PkosimError(f"--boxes {boxes}: needs at least 1")
    if not 0 < min_density <= 1:
        raise PkosimError(f"--min-density {min_density}: a share in (0, 1]")
    condition = parse(where, metric)
    year = str(year)
    design = read_sweep(first)
    other = read_sweep(second) if second is not None else None
    inputs, outcomes = case_table(design, condition.metrics, year, cases, other)
    hit = condition.evaluate(outcomes)
    result = Discovery(design, second, condition, year, cases, inputs, outcomes, hit)
    n, k = len(hit), int(hit.sum())
    what = f"{'paired difference ' if second is not None else ''}{condition}"
    if k == 0:
        raise PkosimError(f"no {cases[:-1]} of {result.subject} meets {what} (0 of {n}); nothing to discover")
    if k == n:
        raise PkosimError(f"every {cases[:-1]} of {result.subject} meets {what} ({n} of {n}): it holds across the "
                          "whole swept ranges, no box needed")
    result.boxes = find_boxes(inputs, hit, design, boxes=boxes, min_density=min_density)
    return result


# -- tables and files ----------------------------------------------------------------------------------------------

def limits_table(result: Discovery) -> pd.DataFrame:
    return pd.concat([b.limits for b in result.boxes], ignore_index=True)


def trajectory_table(result: Discovery) -> pd.DataFrame:
    frames = [b.trajectory.assign(box=b.number, step=b.trajectory.index, chosen=b.trajectory.index == b.chosen)
              for b in result.boxes]
    return pd.concat(frames, ignore_index=True)[TRAJECTORY_COLUMNS]


def display_boxes(result: Discovery) -> pd.DataFrame:
    """One row per restricted parameter of each box, with the box's coverage and density."""
    rows = []
    for b in result.boxes:
        restricted = b.restricted()
        if restricted.empty:
            rows.append({"box": b.number, "coverage": f"{b.coverage:.0%}", "density": f"{b.density:.0%}",
                         "parameter": "(no restriction)", "box limits": "-", "swept range": "-", "quasi-p": "-"})
        for _, r in restricted.iterrows():
            rows.append({"box": b.number, "coverage": f"{b.coverage:.0%}", "density": f"{b.density:.0%}",
                         "parameter": r["parameter"], "box limits": f"{fmt(r['low'])} to {fmt(r['high'])}",
                         "swept range": f"{fmt(r['range_low'])} to {fmt(r['range_high'])}",
                         "quasi-p": "-" if math.isnan(r["quasi_p"]) else f"{r['quasi_p']:.2g}"})
    return pd.DataFrame(rows)


def summary_lines(result: Discovery) -> list[str]:
    n, k = len(result.hit), int(result.hit.sum())
    where = "whole run" if result.year == ALL else result.year
    paired = (f"paired difference {result.other.name} minus {result.design.batch.name} (same seeds), "
              if result.other is not None else "")
    case = "design points (replication means)" if result.cases == "points" else "runs"
    lines = [f"{result.design.batch.name if result.other is None else result.subject}: where {paired}"
             f"{result.condition} ({where}); {k} of {n} {case} meet it ({k / n:.0%})."]
    for b in result.boxes:
        limits = "; ".join(f"{r['parameter']} {fmt(r['low'])} to {fmt(r['high'])}" for _, r in b.restricted().iterrows())
        lines.append(f"Box {b.number}: coverage {b.coverage:.0%}, density {b.density:.0%}, mass {b.mass:.0%}: "
                     f"{limits or 'no restriction'}.")
    return lines


def file_stem(result: Discovery) -> str:
    year = "" if result.year == ALL else f"_{result.year}"
    pair = f"_{result.other.name}_minus_{result.design.batch.name}" if result.other is not None else ""
    return f"discovery{pair}_{result.condition.slug()}{year}"


def _headings(result: Discovery) -> tuple[str, str]:
    """The section's title and the figure's caption."""
    return (f"When it holds: {result.condition} ({result.subject})",
            f"Where {result.condition}: PRIM peeling trajectory and box limits")


def write_discovery(first, second=None, out_dir=None, **options) -> tuple[Discovery, dict[str, str]]:
    """Discover, then write ``discovery_<condition>.csv`` (box limits), ``_trajectory.csv``, ``.md``, ``.png``
    (peeling trajectory and box limits) and the section file a report shows (``.section.json``) into ``out_dir``
    (default: the first batch directory)."""
    from analysis.fragments import write_section
    from analysis.io import write_text
    from analysis.plots.discovery import plot_discovery
    from analysis.plots.style import save
    from analysis.summary import to_markdown

    result = discover(first, second, **options)
    out = Path(out_dir) if out_dir else result.design.batch.path
    stem = file_stem(result)
    paths = {"csv": str(write_text(out / f"{stem}.csv", limits_table(result).to_csv(index=False))),
             "trajectory": str(write_text(out / f"{stem}_trajectory.csv",
                                          trajectory_table(result).to_csv(index=False)))}
    md = (f"# Scenario discovery: {result.condition}\n\n" + "\n".join(f"{s}\n" for s in summary_lines(result))
          + "\n" + to_markdown(display_boxes(result))
          + "\nCoverage: share of the cases meeting the condition that are in the box. Density: share of the cases "
            "in the box that meet it. Quasi-p: one-sided binomial test of each restriction (docs/explore.md).\n")
    paths["md"] = str(write_text(out / f"{stem}.md", md))
    paths["png"] = str(save(plot_discovery(result), out / f"{stem}.png", result.batches))
    title, caption = _headings(result)
    paths["section"] = write_section(out, stem, kind="discovery", section_id=f"discovery/{result.subject}/{stem}",
                                     title=title, lines=summary_lines(result), table=display_boxes(result),
                                     figures=[(paths["png"], caption)])
    return result, paths


def discovery_report(first, second=None, *, level: int = 2, **options) -> str:
    """An HTML fragment (a ``<section>`` with an ``<h{level}>`` title): the reading, the boxes and the
    peeling-trajectory figure."""
    from analysis.fragments import section, section_html
    from analysis.html import figure
    from analysis.plots.discovery import plot_discovery

    result = discover(first, second, **options)
    title, caption = _headings(result)
    return section_html(section("discovery", title, summary_lines(result), display_boxes(result),
                                [figure(plot_discovery(result), result.batches, caption)]), level)
