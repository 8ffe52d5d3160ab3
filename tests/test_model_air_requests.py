"""Requests for flights: the fastest provider that may fly answers, and the host state decides once per request."""

from datetime import date

import numpy as np
import pytest

from sim.scenario import Scenario, load_scenario
from sim.simulation import PeacekeepingModel, simulate
from sim.streams import entity_code

BASE = "scenarios/base.yaml"
KIDAL = (18.44, 1.41)


def scenario_with(providers: dict, refusal: float = 0.0, **changes) -> Scenario:
    data = load_scenario(BASE).model_dump(mode="python")
    data.update(start=date(2016, 1, 1), end=date(2016, 3, 31), **changes)
    data["air_support"]["providers"] = providers
    data["host_state"]["flight_refusal_share"] = refusal
    return Scenario.model_validate(data)


def medevac(base: str, readiness: float, subject: bool = True) -> dict:
    return {"operator": "un", "helicopter_bases": [base], "helicopters": 4, "helicopter_availability": 1.0,
            "medevac": True, "helicopter_readiness_minutes": readiness, "subject_to_host_refusal": subject}


def test_medevac_takes_the_fastest_provider_not_the_first_by_name():
    """'a_slow' sorts first but stands at Gao with a slow alert; 'b_fast' stands at Kidal itself."""
    sc = scenario_with({"a_slow": medevac("Gao", 60.0), "b_fast": medevac("Kidal", 10.0)})
    model = PeacekeepingModel(scenario=sc, seed=1)
    model.step()
    flown, refused = model.air.medevac(*KIDAL, to_surgery_km=300.0)
    assert not refused
    assert flown.provider.provider_id == "b_fast"
    slow = next(p for p in model.air.providers if p.provider_id == "a_slow")
    assert flown.minutes < slow.medevac_offer(*KIDAL, 300.0).minutes


def refused_share(providers: dict, refusal: float, requests: int = 3000) -> float:
    model = PeacekeepingModel(scenario=scenario_with(providers, refusal), seed=3)
    model.step()
    refused = 0
    for i in range(requests):
        model.streams.day = i               # one request a day: each its own draw
        model.air.new_day()
        refused += model.air.medevac(*KIDAL, to_surgery_km=300.0)[1]
    return refused / requests


def test_a_refusal_is_one_host_decision_per_request_whoever_would_fly():
    """24.1% refused in, about 24% of requests refused out, with one provider or three (not 0.241^3)."""
    one = refused_share({"a": medevac("Gao", 30.0)}, 0.241)
    three = refused_share({"a": medevac("Gao", 30.0), "b": medevac("Kidal", 30.0),
                           "c": medevac("Timbuktu", 30.0)}, 0.241)
    assert 0.21 < one < 0.27
    assert 0.21 < three < 0.27


def test_a_provider_not_subject_to_the_host_flies_when_the_host_refuses():
    share = refused_share({"a": medevac("Kidal", 10.0), "own": medevac("Gao", 60.0, subject=False)}, 1.0, 200)
    assert share == 0.0


def test_the_host_refusal_share_reported_matches_the_input():
    sc = load_scenario("scenarios/withdrawal_2023.yaml")
    shares = [simulate(sc, seed).summary["host_refusal_share"] for seed in range(3)]
    assert 0.15 < np.nanmean(shares) < 0.33, shares


def test_switched_off_tables_are_not_built():
    data = load_scenario(BASE).model_dump(mode="python")
    data.update(start=date(2016, 1, 1), end=date(2016, 2, 28), outputs={"daily": False, "incidents": False})
    out = simulate(Scenario.model_validate(data), 1)
    assert out.daily is None
    assert out.incidents is None
    assert len(out.yearly) == 1


def test_the_model_reads_its_seed_from_the_runner_not_the_scenario():
    data = load_scenario(BASE).model_dump(mode="python")
    data.update(start=date(2016, 1, 1), end=date(2016, 3, 31))
    a = simulate(Scenario.model_validate({**data, "seed": 1}), np.random.SeedSequence(5, spawn_key=(0,)))
    b = simulate(Scenario.model_validate({**data, "seed": 999}), np.random.SeedSequence(5, spawn_key=(0,)))
    assert a.daily.equals(b.daily)


def test_extra_draws_in_one_decision_leave_every_other_outcome_identical(monkeypatch):
    """Common random numbers in the whole model: more draws by the died-of-wounds decision change nothing else."""
    from sim import medical

    sc = load_scenario(BASE).model_copy(update={"start": date(2016, 1, 1), "end": date(2016, 12, 31)})
    plain = simulate(sc, 4)
    original = medical.MedicalChain.evacuate

    def noisy(self, lat, lon, wounded, capability, incident):
        self.deaths.event(incident).random(7)          # the incident's block moves on: its deaths of wounds change
        return original(self, lat, lon, wounded, capability, incident)

    monkeypatch.setattr(medical.MedicalChain, "evacuate", noisy)
    changed = simulate(sc, 4)
    assert not changed.daily["died_of_wounds"].equals(plain.daily["died_of_wounds"])
    for column in ("ied_laid", "ied_found", "ied_detonated", "killed_in_action", "wounded", "convoys_sent",
                   "patrol_km"):
        assert changed.daily[column].equals(plain.daily[column]), column


def test_one_more_convoy_leaves_what_another_convoy_meets_unchanged():
    """Common random numbers per entity: a convoy sent the same day on another road, moving first, does not change
    a Gao-Kidal convoy's encounters (each convoy draws in its own block, streams.py)."""
    sc = load_scenario(BASE).model_copy(update={"start": date(2016, 1, 1), "end": date(2016, 3, 31)})

    def gao_kidal(extra: bool) -> dict:
        model = PeacekeepingModel(scenario=sc, seed=2)
        model.step()
        for origin, destination in (("Gao", "Kidal"), ("Gao", "Menaka")):
            route = np.repeat(model.roads.route(origin, destination), 5)         # five devices a segment
            model.ieds.lay(route, np.full(len(route), 10**6), [entity_code(origin, destination, i) for i in range(len(route))],
                           model.day)
        if extra:
            model.logistics.dispatch(kind="resupply", origin="Gao", destination="Menaka", cargo_t=60.0,
                                     passengers=0.0, camp=model.camps_by_name["Menaka"], fleet=None)
        convoy, = model.logistics.dispatch(kind="resupply", origin="Gao", destination="Kidal", cargo_t=60.0,
                                           passengers=0.0, camp=model.camps_by_name["Kidal"], fleet=None)
        for _ in range(3):
            model.logistics.step()
        return dict(convoy.tally)

    alone, with_another = gao_kidal(False), gao_kidal(True)
    assert alone["ied_met"] > 0
    assert with_another == alone
