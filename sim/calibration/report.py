"""Observed against simulated, target by target: the table behind the calibration report and the study's check.

``check_batch(batch_dir, targets)`` reads a batch's ``yearly`` and ``incidents`` tables and returns one row per
target (the whole-window patterns) and one row per target year (deaths, fatal incidents, worst incident), each with
the observed value, the simulated mean and 90% interval across replications, and whether the target is met:

- rule ``interval``: the observed value lies inside the simulated 90% interval;
- rule ``range`` (ratio targets with an observed range): the simulated mean lies inside the observed range.

``check_page(table, ...)`` is that table as plain data, led by a one-line ``headline`` (how many targets are met):
``write_check`` writes it as ``calibration_check.md``; ``pkosim study`` renders it as ``calibration_check.html`` from
the report templates (``analysis/templates/``; ``sim`` never imports ``analysis``).
A fit's own report (``calibration_report``) is built from the same rows in ``sim.calibration.fit_report``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from sim.errors import PkosimError
from sim.files import atomic_write_text
from sim.calibration.objective import score
from sim.calibration.patterns import run_patterns, summarise, yearly_patterns
from sim.calibration.targets import INTERVAL, RANGE, Targets, load_targets

YEARLY_COLUMNS = ["point", "run", "year", "days", "hostile_deaths", "wounded", "died_of_wounds", "ied_found",
                  "ied_detonated", "patrols"]
INCIDENT_COLUMNS = ["point", "run", "date", "killed", "died_of_wounds", "contingent"]
YEARLY_LABELS = {"hostile_deaths": "hostile deaths", "fatal_incidents": "fatal incidents",
                 "largest_incident_deaths": "deaths in the worst incident"}
FULL_YEAR_DAYS = 365


def _read(table_dir: Path, wanted: list[str]) -> pd.DataFrame:
    parts = sorted(table_dir.glob("*.parquet"))
    if not parts:
        raise PkosimError(f"{table_dir}: no Parquet parts; is this a batch directory written by pkosim run?")
    names = set(pq.read_schema(parts[0]).names)
    return pd.read_parquet(table_dir, columns=[c for c in wanted if c in names])


def read_batch(batch_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The yearly and incidents tables of a batch (only the columns calibration uses; design point 0 only)."""
    batch_dir = Path(batch_dir)
    if not (batch_dir / "yearly.parquet").is_dir():
        raise PkosimError(f"{batch_dir}: no yearly.parquet here; give a batch directory (OUT/<scenario name>)")
    yearly = _read(batch_dir / "yearly.parquet", YEARLY_COLUMNS)
    incidents_dir = batch_dir / "incidents.parquet"
    incidents = _read(incidents_dir, INCIDENT_COLUMNS) if incidents_dir.is_dir() else pd.DataFrame(columns=["point", "run"])
    if "point" in yearly and yearly["point"].nunique() > 1:
        first = int(yearly["point"].min())
        yearly, incidents = yearly[yearly["point"] == first], incidents[incidents["point"] == first]
    return yearly, incidents


def fit_years(yearly: pd.DataFrame, targets: Targets) -> list[int]:
    """Years of the record the runs cover in full (partial years are not comparable with annual figures)."""
    full = yearly[yearly["days"] >= FULL_YEAR_DAYS] if "days" in yearly else yearly
    years = sorted(set(full["year"].astype(int)) & set(targets.years()))
    if not years:
        covered = sorted(set(yearly["year"].astype(int)))
        raise PkosimError(f"the runs cover no full calendar year of the record {targets.years()[0]}-"
                          f"{targets.years()[-1]} (years in the runs: {covered})")
    return years


def _met(row: Mapping[str, Any]) -> bool:
    if row["rule"] == RANGE:
        return bool(row["observed_low"] <= row["sim_mean"] <= row["observed_high"])
    return bool(row["sim_p05"] <= row["observed"] <= row["sim_p95"])


def check_tables(yearly: pd.DataFrame, incidents: pd.DataFrame, targets: Targets,
                 weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The observed-vs-simulated table (see the module docstring) from in-memory result tables."""
    years = fit_years(yearly, targets)
    northern = targets.northern_contingents.contingents if targets.northern_contingents else None
    patterns = run_patterns(yearly, incidents, northern=northern, years=years)
    table = score(patterns, targets.patterns(years), weights)
    table.insert(2, "year", pd.array([pd.NA] * len(table), dtype="Int64"))
    per_year = yearly_patterns(yearly, incidents, years)
    observed = targets.yearly_observed()
    rows = []
    for name, label in YEARLY_LABELS.items():
        for year in years:
            sim = summarise(per_year.loc[per_year["year"] == year, name])
            rows.append({"target": name, "label": f"{label} {year}", "year": year, "observed": observed[name][year],
                         "observed_low": math.nan, "observed_high": math.nan, "scale": math.nan,
                         "rule": INTERVAL, "weight": 0.0, "sim_mean": sim["mean"], "sim_p05": sim["low"],
                         "sim_p95": sim["high"], "runs": sim["runs"], "z": math.nan, "contribution": 0.0})
    if rows:
        table = pd.concat([table, pd.DataFrame(rows).astype({"year": "Int64"})], ignore_index=True)
    table["met"] = [_met(row) for row in table.to_dict("records")]
    return table


def check_batch(batch_dir: Path | str, targets: Targets | Path | str,
                weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Observed against simulated for a batch (e.g. the standard study's history batch); one row per target and
    per target year, with ``met``. ``targets`` is a ``Targets`` object or the path of a targets file."""
    if not isinstance(targets, Targets):
        targets = load_targets(targets)
    yearly, incidents = read_batch(batch_dir)
    return check_tables(yearly, incidents, targets, weights)


def not_met(table: pd.DataFrame) -> list[str]:
    """Labels of the whole-window targets that are not met."""
    whole = table[table["year"].isna()]
    return list(whole.loc[~whole["met"], "label"])


# ---------------------------------------------------------------------------------------------------- rendering

def fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "-"
    value = float(value)
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _observed(row: Mapping[str, Any]) -> str:
    if row["rule"] == RANGE:
        return f"{fmt(row['observed_low'])}-{fmt(row['observed_high'])}"
    return fmt(row["observed"])


def _simulated(row: Mapping[str, Any]) -> str:
    return f"{fmt(row['sim_mean'])} [{fmt(row['sim_p05'])}, {fmt(row['sim_p95'])}]"


def target_rows(table: pd.DataFrame) -> list[list[str]]:
    """Whole-window rows: target, observed, simulated mean [90%], z, weight, met."""
    rows = []
    for row in table[table["year"].isna()].to_dict("records"):
        rows.append([row["label"], _observed(row), _simulated(row), fmt(row["z"]), f"{row['weight']:g}",
                     "met" if row["met"] else "**not met**"])
    return rows


def year_rows(table: pd.DataFrame) -> list[list[str]]:
    """Per-year rows: year, then observed and simulated for each yearly pattern."""
    per_year = table[table["year"].notna()]
    rows = []
    for year in sorted(per_year["year"].dropna().unique()):
        cells = [str(int(year))]
        for name in YEARLY_LABELS:
            match = per_year[(per_year["year"] == year) & (per_year["target"] == name)]
            if match.empty:
                cells += ["-", "-"]
                continue
            row = match.iloc[0].to_dict()
            cells += [fmt(row["observed"]), _simulated(row) + ("" if row["met"] else " *")]
        rows.append(cells)
    return rows


TARGET_HEADER = ["target", "observed", "simulated mean [90% interval]", "z", "weight", "fit"]
YEAR_HEADER = ["year", "deaths observed", "deaths simulated", "fatal incidents observed", "fatal incidents simulated",
               "worst incident observed", "worst incident simulated"]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


RULES = ("A target is met when the observed value lies inside the simulated 90% interval across replications; "
         "for ratio targets with an observed range (wounded per death, IEDs found), when the simulated mean lies "
         "inside that range. Per year, * marks an observed value outside the simulated 90% interval.")


def headline(table: pd.DataFrame) -> str:
    """The check in one line: how many of the whole-window targets are met."""
    whole = table[table["year"].isna()]
    met = int(whole["met"].sum())
    return f"All {met} calibration targets met." if met == len(whole) else f"{met} of {len(whole)} calibration targets met."


def table_data(header: list[str], rows: list[list[str]], numeric: set[str]) -> dict:
    """A table as plain data (the shape of the report templates' ``table`` macro): rows that miss a target marked."""
    return {"columns": header, "rows": [[c.replace("**", "") for c in cells] for cells in rows],
            "numeric": [h in numeric for h in header], "caption": "",
            "row_classes": ["bad" if any("not met" in c or c.endswith(" *") for c in cells) else "" for cells in rows]}


def check_page(table: pd.DataFrame, batch_dir: Path | str, targets_path: Path | str) -> dict:
    """The calibration check as plain data: title, headline, where it comes from, the target and per-year tables,
    and the rule (``write_check`` writes it as Markdown, ``pkosim study`` as a page)."""
    years = sorted(int(y) for y in table["year"].dropna().unique())
    window = "the record" if not years else str(years[0]) if years[0] == years[-1] else f"{years[0]}-{years[-1]}"
    missed = not_met(table)
    return {
        "title": f"Observed against simulated, {window}",
        "headline": headline(table),
        "missed": f"Not met: {'; '.join(missed)}." if missed else "",
        "provenance": [("batch", str(batch_dir)), ("targets", str(targets_path)), ("runs", str(int(table["runs"].max())))],
        "targets": table_data(TARGET_HEADER, target_rows(table), {"observed", "z", "weight"}),
        "years": table_data(YEAR_HEADER, year_rows(table), {h for h in YEAR_HEADER if h.endswith("observed")}),
        "rules": RULES,
    }


def check_markdown(page: dict) -> str:
    """``check_page`` as a Markdown document, headline first."""
    def table(data: dict) -> str:
        return markdown_table(data["columns"], data["rows"])

    where = ". ".join(f"{name.capitalize()}: {value}" for name, value in page["provenance"]) + "."
    return "\n".join([f"# {page['title']}", "", f"**{page['headline']}** {page['missed']}".strip(), "", where, "",
                      table(page["targets"]), "",
                      "## Per year", "", table(page["years"]), "", page["rules"], ""])


def write_check(batch_dir: Path | str, targets_path: Path | str, out_dir: Path | str,
                table: pd.DataFrame | None = None) -> Path:
    """Write ``calibration_check.md`` for a batch into ``out_dir`` (``table``: its ``check_batch``, if already
    computed); return its path. The page (``calibration_check.html``) is rendered by ``pkosim study``."""
    if table is None:
        table = check_batch(batch_dir, targets_path)
    path = Path(out_dir) / "calibration_check.md"
    atomic_write_text(path, check_markdown(check_page(table, batch_dir, targets_path)))
    return path
