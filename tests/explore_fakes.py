"""Stand-in run functions with known answers for the exploration tests (sensitivity, discovery, attribution).

They run through the real batch engine (``run_batch(..., run_fn=...)``) on ``sim.runner.fakes.FakeScenario`` or on
real scenarios, and return one yearly row whose ``hostile_deaths`` is a known function of the inputs plus noise.
Noise has two parts, as in the model: one common to every design point with the same seed (common random numbers)
and one that differs between points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.output import RunOutput

# hostile_deaths = BASE + A1 * ieds.base_detection_probability + A2 * ieds.laid_per_day + noise
BASE, A1, A2 = 50.0, -40.0, 10.0
COMMON_SD = 5.0   # the seed's part, the same at every point
POINT_SD = 0.5    # the part that differs between points


def _yearly(year: int, deaths: float, wounded: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({"year": [year], "days": [365], "hostile_deaths": [deaths], "wounded": [wounded],
                         "coverage": [0.5]})


def _output(yearly: pd.DataFrame) -> RunOutput:
    return RunOutput(yearly=yearly, daily=pd.DataFrame(), incidents=pd.DataFrame(),
                     summary={"total_hostile_deaths": float(yearly["hostile_deaths"].sum())})


def _point_rng(seed: np.random.SeedSequence, *values: float) -> np.random.Generator:
    """A stream that depends on the seed and on the point's inputs (noise that differs between points)."""
    return np.random.default_rng([*seed.spawn_key, *(int(round(v * 1e6)) % 2**32 for v in values), 7])


def linear_run(scenario, seed: np.random.SeedSequence) -> RunOutput:
    """A linear model of the two FakeScenario IED parameters, in the scenario's start year."""
    x1, x2 = scenario.ieds.base_detection_probability, scenario.ieds.laid_per_day
    common = np.random.default_rng(seed).normal(0.0, COMMON_SD)
    own = _point_rng(seed, x1, x2).normal(0.0, POINT_SD)
    return _output(_yearly(scenario.start.year, BASE + A1 * x1 + A2 * x2 + common + own))


def box_run(scenario, seed: np.random.SeedSequence) -> RunOutput:
    """30 deaths inside the box detection > 0.6 and laid_per_day < 1.3 (on 0..1 and 1..2), 10 outside."""
    x1, x2 = scenario.ieds.base_detection_probability, scenario.ieds.laid_per_day
    inside = x1 > 0.6 and x2 < 1.3
    own = _point_rng(seed, x1, x2).normal(0.0, 1.0)
    return _output(_yearly(scenario.start.year, (30.0 if inside else 10.0) + own))


def option_run(scenario, seed: np.random.SeedSequence) -> RunOutput:
    """``linear_run`` with an option that saves 5 lives inside the box of ``box_run``, and nothing elsewhere."""
    x1, x2 = scenario.ieds.base_detection_probability, scenario.ieds.laid_per_day
    output = linear_run(scenario, seed)
    if x1 > 0.6 and x2 < 1.3:
        output.yearly["hostile_deaths"] -= 5.0
    return output


# Barkhane's departure as a stand-in: each French base left adds WEIGHTS[event] deaths a year, and leaving both
# Gao and Kidal adds INTERACTION more, so the Shapley share of leave_gao and leave_kidal is WEIGHTS + INTERACTION / 2.
WEIGHTS = {"leave_kidal": 1.0, "leave_tessalit": 2.0, "leave_timbuktu": 3.0, "leave_gossi": 0.5, "leave_menaka": 0.25,
           "leave_gao": 4.0}
INTERACTION = 2.0
OWN_SD = 0.5  # noise that depends on the scenario (0: the shares are exactly the known ones)


def departure_deaths(events) -> float:
    present = set(events)
    deaths = 10.0 + sum(w for e, w in WEIGHTS.items() if e in present)
    return deaths + (INTERACTION if {"leave_gao", "leave_kidal"} <= present else 0.0)


def departure_run(scenario, seed: np.random.SeedSequence) -> RunOutput:
    """One yearly row per calendar year of the window, each with ``departure_deaths`` plus noise: a part common to
    every scenario with this seed, and a part that depends on which events the scenario has."""
    common = np.random.default_rng(seed).normal(0.0, 3.0)
    own = np.random.default_rng([*seed.spawn_key, len(scenario.events), 11]).normal(0.0, OWN_SD)
    years = range(scenario.start.year, scenario.end.year + 1)
    yearly = pd.concat([_yearly(y, departure_deaths(scenario.events) + common + own, wounded=3.0) for y in years],
                       ignore_index=True)
    return _output(yearly)
