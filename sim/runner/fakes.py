"""A stand-in scenario and model with the real ones' shapes, to test and benchmark the engine on its own.

The engine only needs a frozen pydantic scenario with ``name``, ``replications``, ``seed``, ``start``, ``end``,
``outputs`` and ``sweep``, and a run function ``(scenario, SeedSequence) -> RunOutput``. ``FakeScenario`` and
``fake_simulate`` provide exactly that, in an importable module so that worker processes and Dask workers can
unpickle them. The fake model draws its numbers from the run seed only, so it is as reproducible as the real one,
and it can be told to fail or to be slow for chosen replications to test fault handling.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from sim.output import RunOutput
from sim.scenario.posterior import PosteriorDraws

YEARLY_SUMS = [
    "hostile_deaths", "killed_in_action", "died_of_wounds", "wounded", "fatal_incidents", "ied_laid", "ied_met",
    "ied_found", "ied_detonated", "convoys_sent", "convoys_arrived", "convoy_km", "patrol_km",
]
INCIDENT_KINDS = ["ied_detonation", "ied_found", "ambush", "indirect_fire", "complex_attack"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FakeOutputs(_Frozen):
    daily: bool = True
    incidents: bool = True
    convoys: bool = True


class FakeRange(_Frozen):
    low: float | None = None
    high: float | None = None
    values: list[float] | None = None


class FakeSweep(_Frozen):
    method: Literal["grid", "latin_hypercube", "sobol", "morris"]
    samples: int = 0
    seed: int = 0
    parameters: dict[str, FakeRange]


class FakeIeds(_Frozen):
    base_detection_probability: float = 0.3
    laid_per_day: float = 2.0


class FakeScenario(_Frozen):
    """Shaped like ``sim.scenario.Scenario`` where the runner looks, plus knobs to make runs slow or fail."""

    name: str = "fake"
    replications: int = 4
    seed: int = 20140101
    start: dt.date = dt.date(2014, 11, 1)
    end: dt.date = dt.date(2015, 2, 28)
    outputs: FakeOutputs = FakeOutputs()
    sweep: FakeSweep | None = None
    ieds: FakeIeds = FakeIeds()
    posterior: PosteriorDraws | None = None  # draws over ieds.* (sim.scenario.posterior)
    fail_runs: list[int] = []  # replications that raise
    sleep_s: float = 0.0       # wall time each run takes


def fake_simulate(scenario: FakeScenario, seed: np.random.SeedSequence) -> RunOutput:
    """One fake run: daily Poisson counts, rolled up into years, and a few incidents."""
    run = int(seed.spawn_key[-1]) if seed.spawn_key else 0
    if scenario.sleep_s:
        time.sleep(scenario.sleep_s)
    if run in scenario.fail_runs:
        raise RuntimeError(f"fake failure in run {run}")
    rng = np.random.default_rng(seed)
    dates = pd.date_range(scenario.start, scenario.end, freq="D")
    n = len(dates)
    laid = rng.poisson(scenario.ieds.laid_per_day, n)
    found = rng.binomial(laid, scenario.ieds.base_detection_probability)
    detonated = rng.binomial(laid - found, 0.2)
    kia = rng.binomial(detonated, 0.3)
    dow = rng.binomial(kia + 1, 0.1)
    wounded = rng.poisson(0.4 * detonated) + dow
    daily = pd.DataFrame({
        "date": dates.date,
        "hostile_deaths": kia + dow, "killed_in_action": kia, "died_of_wounds": dow, "wounded": wounded,
        "fatal_incidents": (kia + dow > 0).astype(int), "ied_laid": laid, "ied_met": found + detonated,
        "ied_found": found, "ied_detonated": detonated, "convoys_sent": rng.poisson(3.0, n),
        "convoys_arrived": rng.poisson(2.8, n), "convoy_km": rng.gamma(4.0, 100.0, n),
        "patrol_km": rng.gamma(4.0, 50.0, n), "coverage": rng.beta(5.0, 3.0, n),
        "wounded_in_surgery_1h": rng.binomial(wounded, 0.6),
    })
    years = pd.DatetimeIndex(daily["date"]).year
    yearly = daily.drop(columns=["date", "coverage"]).groupby(years).sum()
    yearly.insert(0, "days", daily.groupby(years).size())
    yearly["coverage"] = daily.groupby(years)["coverage"].mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        yearly["medevac_within_1h_share"] = (yearly["wounded_in_surgery_1h"]
                                             / yearly["wounded"].where(yearly["wounded"] > 0))
    yearly = yearly.rename_axis("year").reset_index()
    n_inc = int(detonated.sum() + rng.poisson(2.0))
    incidents = pd.DataFrame({
        "date": rng.choice(dates.date, n_inc) if n_inc else np.array([], dtype=object),
        "lat": rng.uniform(14.0, 20.0, n_inc), "lon": rng.uniform(-4.0, 2.0, n_inc),
        "place": rng.choice(["Gao", "Kidal", "Tessalit", "Timbuktu"], n_inc).astype(object),
        "kind": rng.choice(INCIDENT_KINDS, n_inc).astype(object),
        "killed": rng.poisson(0.5, n_inc), "wounded": rng.poisson(1.0, n_inc),
        "support_arrival_minutes": np.where(rng.random(n_inc) < 0.5, rng.gamma(4.0, 15.0, n_inc), np.nan),
    })
    daily = daily.drop(columns=["wounded_in_surgery_1h"])
    if not scenario.outputs.daily:
        daily = daily.iloc[0:0]
    if not scenario.outputs.incidents:
        incidents = incidents.iloc[0:0]
    summary = {f"total_{name}": float(yearly[name].sum()) for name in YEARLY_SUMS}
    summary["coverage"] = float(daily["coverage"].mean()) if len(daily) else float(yearly["coverage"].mean())
    return RunOutput(yearly=yearly, daily=daily, incidents=incidents, summary=summary)
