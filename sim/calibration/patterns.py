"""Simulated patterns from result tables (docs/results.md): pure functions of pandas frames, one row per run.

Definitions follow the observed record so that like is compared with like:

- an **incident** in the record is a date with at least one malicious-act death (``fatal_incidents_per_year``), so a
  simulated fatal incident is a *date* on which the run's incidents killed at least one person, and its deaths are
  the deaths of all incidents on that date;
- **deaths** of an incident are ``killed + died_of_wounds`` (hostile deaths: killed in action plus died of wounds);
- **wounded per death** counts the wounded who survived, ``(wounded - died_of_wounds) / hostile_deaths`` (the
  yearly ``wounded`` includes those who later died of wounds, while the observed tallies count them as killed);
- the **northern share** is the share of a run's deaths among personnel of the given contingents (incidents'
  ``contingent`` column), pooled over the window;
- the **found share** is ``ied_found / (ied_found + ied_detonated)`` pooled over the window;
- the **died-of-wounds share** is ``died_of_wounds / hostile_deaths`` pooled over the window;
- **patrols per day** in the window's first year are its patrols / days.

A pattern that the tables cannot give (no ``contingent`` column, say) is left out of the result rather than
reported as zero; a pattern that is undefined for a run (no deaths at all) is NaN for that run.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

RUN = ["point", "run"]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return num.astype(float) / den.where(den > 0)


def incident_deaths(incidents: pd.DataFrame) -> pd.Series:
    """Deaths per incident row: killed (in action) plus died of wounds."""
    killed = incidents["killed"] if "killed" in incidents else pd.Series(0, index=incidents.index)
    dow = incidents["died_of_wounds"] if "died_of_wounds" in incidents else pd.Series(0, index=incidents.index)
    return killed.fillna(0).astype(float) + dow.fillna(0).astype(float)


def fatal_days(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per run and date with deaths: ``point, run, year, date, deaths`` (the record's 'incidents')."""
    if incidents.empty or "date" not in incidents:
        return pd.DataFrame({"point": pd.Series(dtype="int64"), "run": pd.Series(dtype="int64"),
                             "year": pd.Series(dtype="int64"), "date": pd.Series(dtype="datetime64[ns]"),
                             "deaths": pd.Series(dtype=float)})
    frame = incidents[RUN].copy()
    frame["date"] = pd.to_datetime(incidents["date"])
    frame["deaths"] = incident_deaths(incidents)
    days = frame.groupby(RUN + ["date"], as_index=False)["deaths"].sum()
    days = days[days["deaths"] > 0].copy()
    days["year"] = days["date"].dt.year.astype("int64")
    return days[["point", "run", "year", "date", "deaths"]].reset_index(drop=True)


def yearly_patterns(yearly: pd.DataFrame, incidents: pd.DataFrame, years: Iterable[int] | None = None) -> pd.DataFrame:
    """Per run and year: ``hostile_deaths`` (yearly table), ``fatal_incidents`` and ``largest_incident_deaths``
    (from the incidents, as fatal dates). Every run-year of the yearly table appears, with 0 when nothing happened."""
    frame = yearly[RUN + ["year", "hostile_deaths"]].copy()
    if years is not None:
        frame = frame[frame["year"].isin(list(years))]
    days = fatal_days(incidents)
    per_year = days.groupby(RUN + ["year"]).agg(fatal_incidents=("deaths", "size"),
                                                largest_incident_deaths=("deaths", "max")).reset_index()
    frame = frame.merge(per_year, on=RUN + ["year"], how="left")
    frame[["fatal_incidents", "largest_incident_deaths"]] = (
        frame[["fatal_incidents", "largest_incident_deaths"]].fillna(0).astype(float))
    frame["hostile_deaths"] = frame["hostile_deaths"].astype(float)
    return frame.sort_values(RUN + ["year"]).reset_index(drop=True)


def run_patterns(yearly: pd.DataFrame, incidents: pd.DataFrame, *, northern: Iterable[str] | None = None,
                 years: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per run (``point, run``) with the patterns the targets name (see the module docstring)."""
    years = None if years is None else list(years)
    per_year = yearly_patterns(yearly, incidents, years)
    grouped = per_year.groupby(RUN)
    out = pd.DataFrame({
        "hostile_deaths_mean": grouped["hostile_deaths"].mean(),
        "hostile_deaths_sd": grouped["hostile_deaths"].std(ddof=1),
        "fatal_incidents_mean": grouped["fatal_incidents"].mean(),
        "deaths_per_fatal_incident": _ratio(grouped["hostile_deaths"].sum(), grouped["fatal_incidents"].sum()),
        "largest_incident_deaths_mean": grouped["largest_incident_deaths"].mean(),
        "largest_incident_deaths_max": grouped["largest_incident_deaths"].max(),
    })
    window = yearly if years is None else yearly[yearly["year"].isin(years)]
    sums = window.groupby(RUN).sum(numeric_only=True).reindex(out.index)
    if {"wounded", "died_of_wounds", "hostile_deaths"} <= set(window.columns):
        out["wounded_per_death"] = _ratio(sums["wounded"] - sums["died_of_wounds"], sums["hostile_deaths"])
    if northern is not None and "contingent" in incidents.columns:
        out["deaths_north_share"] = northern_share(incidents, northern, years).reindex(out.index)
    if {"ied_found", "ied_detonated"} <= set(window.columns):
        out["ied_found_share"] = _ratio(sums["ied_found"], sums["ied_found"] + sums["ied_detonated"])
    if {"died_of_wounds", "hostile_deaths"} <= set(window.columns):
        out["died_of_wounds_share"] = _ratio(sums["died_of_wounds"], sums["hostile_deaths"])
    if {"patrols", "days"} <= set(window.columns) and len(window):
        first = window[window["year"] == window["year"].min()].groupby(RUN)[["patrols", "days"]].sum()
        out[f"patrols_per_day_{int(window['year'].min())}"] = (first["patrols"] / first["days"]).reindex(out.index)
    return out.reset_index()


def northern_share(incidents: pd.DataFrame, northern: Iterable[str], years: Iterable[int] | None = None) -> pd.Series:
    """Per run: deaths among the given contingents / all deaths (NaN for a run without deaths)."""
    frame = incidents[RUN].copy()
    frame["deaths"] = incident_deaths(incidents)
    frame["north"] = frame["deaths"].where(incidents["contingent"].isin(list(northern)), 0.0)
    if years is not None:
        frame = frame[pd.to_datetime(incidents["date"]).dt.year.isin(list(years)).to_numpy()]
    sums = frame.groupby(RUN)[["deaths", "north"]].sum()
    return _ratio(sums["north"], sums["deaths"])


def summarise(values: pd.Series, level: float = 0.90) -> dict[str, float]:
    """Mean and central ``level`` interval of a pattern across replications (NaN runs left out)."""
    clean = values.dropna().astype(float)
    if clean.empty:
        return {"mean": np.nan, "low": np.nan, "high": np.nan, "runs": 0}
    tail = (1 - level) / 2
    return {"mean": float(clean.mean()), "low": float(clean.quantile(tail)),
            "high": float(clean.quantile(1 - tail)), "runs": int(clean.size)}
