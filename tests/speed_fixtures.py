"""Models of ``base.yaml`` part-way through a run, for the tests of the model's caches (``tests/test_speed*.py``):
each test checks a cache against a fresh computation from the state these models reach."""

from __future__ import annotations

from datetime import date

from sim.scenario import Scenario, load_scenario
from sim.simulation import PeacekeepingModel


def base_model(seed: int, days: int = 0, year: int | None = None, until=None) -> PeacekeepingModel:
    """``base.yaml`` (its year ``year`` only, when given) run with ``seed`` for ``days`` days, then until
    ``until(model)`` holds."""
    scenario = load_scenario("scenarios/base.yaml")
    if year is not None:
        window = {"start": date(year, 1, 1), "end": date(year, 12, 31)}
        scenario = Scenario.model_validate(scenario.model_dump(mode="python") | window)
    model = PeacekeepingModel(scenario=scenario, seed=seed)
    for _ in range(days):
        model.day_step()
    while until is not None and not until(model):
        model.day_step()
    return model
