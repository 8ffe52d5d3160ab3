"""The observed record the model is calibrated against, and the target patterns it implies.

The targets file (``scenarios/calibration/targets_mali_2014_2020.yaml``) is a copy of the shared
``data/calibration_targets.yaml`` with every source kept, plus what calibration needs to use it: which contingents
count as "northern" (and why), and the plausible range of the share of IEDs found before they go off.

``Targets.patterns(years)`` turns the figures into ``Target`` records: an observed value, a scale (how far from
it a simulated mean may plausibly be: the standard error of the observed statistic, or half the observed range),
and the rule that decides whether the model meets it. ``years`` restricts the yearly figures to the years a run
covers, so a short trial window is compared with the same years of the record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from sim.scenario.base import StrictModel
from sim.scenario.loader import load_input

INTERVAL = "interval"  # met when the observed value lies inside the simulated 90% interval across replications
RANGE = "range"        # met when the simulated mean lies inside the observed range


class Window(StrictModel):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Sourced(StrictModel):
    source: str = Field(..., min_length=1, description="Where the figure comes from.")


class YearlyFigures(Sourced):
    values: dict[int, float] = Field(..., min_length=1, description="Year -> value.")


class FatalIncidents(Sourced):
    values: dict[int, float] = Field(..., min_length=1, description="Year -> incidents with at least one death.")
    largest_incident_deaths: dict[int, float] = Field(..., min_length=1, description="Year -> deaths in the worst incident.")


class ByNationality(Sourced):
    values: dict[str, float] = Field(..., min_length=1, description="Contributing country -> hostile deaths.")


class RangedFigure(Sourced):
    value: float
    range: tuple[float, float] | None = Field(None, description="Plausible [low, high] of the value.")

    @model_validator(mode="after")
    def _value_in_range(self) -> RangedFigure:
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(f"range low ({low}) must be below high ({high})")
            if not low <= self.value <= high:
                raise ValueError(f"value {self.value} is outside its range [{low}, {high}]")
        return self


class NorthernContingents(Sourced):
    contingents: tuple[str, ...] = Field(..., min_length=1, description="Contributing countries counted as northern.")
    rationale: str = Field(..., min_length=1, description="Why these contingents.")


class Targets(StrictModel):
    """The targets file. Sections without a ``Target`` (IED victims, medical) are kept as sourced context."""

    window: Window
    hostile_deaths_per_year: YearlyFigures
    fatal_incidents_per_year: FatalIncidents
    hostile_deaths_by_nationality_2013_2020: ByNationality
    wounded_per_hostile_death: RangedFigure
    ied_found_before_detonation_share: RangedFigure | None = None  # a 2021 figure: a prior for detection, not fitted
    died_of_wounds_share: RangedFigure | None = None
    patrols_per_day: YearlyFigures | None = None
    northern_contingents: NorthernContingents | None = None
    minusma_ied_victims: dict[Any, Any] | None = None
    mali_ied_incidents_2020: dict[str, Any] | None = None
    medical: dict[str, str] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Targets:
        first, last = self.window.start.year, self.window.end.year
        for name, values in (("hostile_deaths_per_year", self.hostile_deaths_per_year.values),
                             ("fatal_incidents_per_year", self.fatal_incidents_per_year.values),
                             ("largest_incident_deaths", self.fatal_incidents_per_year.largest_incident_deaths)):
            outside = sorted(y for y in values if not first <= y <= last)
            if outside:
                raise ValueError(f"{name}: years {outside} are outside the window {first}-{last}")
        if self.northern_contingents is not None:
            known = self.hostile_deaths_by_nationality_2013_2020.values
            unknown = [c for c in self.northern_contingents.contingents if c not in known]
            if unknown:
                raise ValueError(f"northern_contingents: {unknown} not in hostile_deaths_by_nationality_2013_2020 "
                                 f"({', '.join(known)})")
        return self

    def years(self) -> list[int]:
        return sorted(self.hostile_deaths_per_year.values)

    def yearly_observed(self) -> dict[str, dict[int, float]]:
        """The per-year figures, by pattern name."""
        return {"hostile_deaths": dict(self.hostile_deaths_per_year.values),
                "fatal_incidents": dict(self.fatal_incidents_per_year.values),
                "largest_incident_deaths": dict(self.fatal_incidents_per_year.largest_incident_deaths)}

    def patterns(self, years: list[int] | None = None) -> list[Target]:
        """The target patterns over ``years`` (default: every year of the record)."""
        return target_patterns(self, years)


@dataclass(frozen=True)
class Target:
    """One observed pattern: the value, its scale for the objective, and the rule that says whether it is met."""

    name: str
    label: str
    observed: float
    scale: float
    rule: str
    low: float = math.nan   # the observed range (rule RANGE)
    high: float = math.nan
    weight: float = 1.0     # default weight in the objective (the calibration file may change it)
    source: str = ""
    note: str = ""


def _sd(values: np.ndarray) -> float:
    """Year-to-year standard deviation of a count; with a single year, the Poisson value sqrt(count)."""
    return float(values.std(ddof=1)) if len(values) > 1 else math.sqrt(max(float(values.mean()), 1.0))


def _series(values: dict[int, float], years: list[int]) -> np.ndarray:
    return np.array([values[y] for y in years if y in values], dtype=float)


def target_patterns(targets: Targets, years: list[int] | None = None) -> list[Target]:
    """The ``Target`` records of a targets file over the given years (see docs/calibration.md for each scale)."""
    record = targets.years()
    years = sorted(set(record) if years is None else set(years) & set(record))
    deaths_all = _series(targets.hostile_deaths_per_year.values, record)
    fatal_all = _series(targets.fatal_incidents_per_year.values, record)
    largest_all = _series(targets.fatal_incidents_per_year.largest_incident_deaths, record)
    deaths = _series(targets.hostile_deaths_per_year.values, years)
    fatal = _series(targets.fatal_incidents_per_year.values, years)
    largest = _series(targets.fatal_incidents_per_year.largest_incident_deaths, years)
    n = len(years)
    span = (f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])) if years else "no year"
    src_deaths = targets.hostile_deaths_per_year.source
    src_fatal = targets.fatal_incidents_per_year.source
    out: list[Target] = []
    if n:
        # Means of yearly counts: the standard error of the observed mean, sd(year to year) / sqrt(years).
        out.append(Target("hostile_deaths_mean", f"hostile deaths per year, mean {span}", float(deaths.mean()),
                          float(_sd(deaths_all) / math.sqrt(n)), INTERVAL, source=src_deaths))
    for year in years if n >= 2 else ():
        # Each year's deaths, against the record's spread between years: the time structure (weighted half each).
        out.append(Target(f"hostile_deaths_{year}", f"hostile deaths {year}", float(targets.hostile_deaths_per_year.values[year]),
                          _sd(deaths_all), INTERVAL, weight=0.5, source=src_deaths))
    if n >= 3:
        # Spread: standard error of a standard deviation from n values, sd / sqrt(2 (n - 1)).
        sd = float(deaths.std(ddof=1))
        out.append(Target("hostile_deaths_sd", f"hostile deaths per year, sd between years {span}", sd,
                          sd / math.sqrt(2 * (n - 1)), INTERVAL, source=src_deaths))
    if n:
        out.append(Target("fatal_incidents_mean", f"fatal incidents per year, mean {span}", float(fatal.mean()),
                          float(_sd(fatal_all) / math.sqrt(n)), INTERVAL, source=src_fatal,
                          note="an incident is a date with at least one death, as in the record"))
        out.append(Target("deaths_per_fatal_incident", f"deaths per fatal incident {span}",
                          float(deaths.sum() / fatal.sum()), 0.5, INTERVAL, weight=0.0, source=src_fatal,
                          note="implied by the two means above: reported, not weighted"))
        out.append(Target("largest_incident_deaths_mean", f"deaths in the year's worst incident, mean {span}",
                          float(largest.mean()), float(_sd(largest_all) / math.sqrt(n)), INTERVAL,
                          source=src_fatal))
        out.append(Target("largest_incident_deaths_max", f"deaths in the worst incident {span}",
                          float(largest.max()), float(_sd(largest_all)), INTERVAL, weight=0.5,
                          source=src_fatal, note="one value: weighted half"))
    wounded = targets.wounded_per_hostile_death
    low, high = wounded.range if wounded.range else (wounded.value, wounded.value)
    out.append(Target("wounded_per_death", "wounded (survivors) per hostile death", (low + high) / 2,
                      max((high - low) / 2, 0.1 * wounded.value), RANGE if wounded.range else INTERVAL, low, high,
                      source=wounded.source,
                      note="target is the middle of the observed range"))
    if targets.northern_contingents is not None:
        by_country = targets.hostile_deaths_by_nationality_2013_2020.values
        total = sum(by_country.values())
        share = sum(by_country[c] for c in targets.northern_contingents.contingents) / total
        names = ", ".join(targets.northern_contingents.contingents)
        out.append(Target("deaths_north_share", f"share of deaths among northern contingents ({names})", share,
                          math.sqrt(share * (1 - share) / total), INTERVAL,
                          source=targets.hostile_deaths_by_nationality_2013_2020.source,
                          note=f"binomial standard error over {total:g} deaths 2013-2020"))
    if targets.died_of_wounds_share is not None:
        dow = targets.died_of_wounds_share
        low, high = dow.range
        out.append(Target("died_of_wounds_share", "died-of-wounds share of hostile deaths", dow.value,
                          (high - low) / 2, RANGE, low, high, weight=0.5, source=dow.source,
                          note="a range from other forces' data: weighted half"))
    if targets.patrols_per_day is not None and years and years[0] in targets.patrols_per_day.values:
        observed = targets.patrols_per_day.values[years[0]]
        out.append(Target(f"patrols_per_day_{years[0]}", f"patrols per day {years[0]}", observed, observed / 3,
                          INTERVAL, weight=0.5, source=targets.patrols_per_day.source,
                          note="a count of all patrols, most of them short: scale a third of it, weighted half"))
    return out


def load_targets(path: Path | str) -> Targets:
    """Read and validate a targets file; problems are located ``ScenarioError`` lines."""
    targets, _ = load_input(Targets, path)
    return targets
