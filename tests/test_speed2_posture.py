"""Posture's in-place movement factors and the patrols' coverage from the hotspots in reach give, bit for bit, what
the plain formulas (movement_factor, coverage_share) give."""

from datetime import date

import numpy as np
import pytest

from sim.patrol import PatrolNetwork, coverage_share, effort_factor
from sim.posture import movement_factor
from sim.scenario import load_scenario
from sim.simulation import PeacekeepingModel
from speed_fixtures import base_model


@pytest.fixture(scope="module")
def model():
    return base_model(seed=3, days=30)


def fresh_camp_factor(posture):
    density = posture._area_km @ posture.ied_events / posture._area_total * 100.0
    return movement_factor(posture.losses, density, posture._area_cover, posture.params, posture.restriction)


def test_camp_factor_is_movement_factor_after_losses_events_and_restrictions(model):
    posture = model.posture
    camps = [c for c in model.camps if len(model.patrols.near[model.camps.index(c)])]
    for day, (persons, restriction) in enumerate([(0, 1.0), (4, 1.0), (40, 0.7), (1, 0.0)]):
        posture.casualties(camps[day % len(camps)], persons)
        segment = int(model.patrols.near[model.camps.index(camps[0])][0])
        posture.ied_event(segment, day + 1)
        posture.restrict(restriction, date(2100, 1, 1))
        posture.new_day()
        assert posture.camp_factor.tobytes() == fresh_camp_factor(posture).tobytes()
        assert np.shares_memory(posture.losses, posture._pressure)     # casualties land in the arithmetic's row


@pytest.mark.parametrize("reach_km", [None, 300.0])          # the scenario's reach (1-2 camps a hotspot), a far one
@pytest.mark.parametrize("year", range(2012, 2026))
def test_coverage_from_hotspots_in_reach_is_coverage_share(model, year, reach_km):
    patrols = model.patrols
    if reach_km is not None:
        patrols = PatrolNetwork(model, patrols.params.model_copy(update={"patrol_reach_km": reach_km}))
    p = patrols.params
    distance, weights, total = patrols.hotspots_for(year)
    rng = np.random.default_rng(year)
    n = distance.shape[0]
    for trial in range(20):
        factor = rng.uniform(0.0, 1.0, n)
        factor[rng.random(n) < 0.3] = 1.0
        if trial % 2:                                       # reach exactly at some hotspots' distance
            near = distance.min(axis=1)
            factor = np.where(near <= p.patrol_reach_km, near / p.patrol_reach_km, factor)
        km = rng.uniform(0.0, 2.0 * p.reference_patrol_km_per_day, n) * (rng.random(n) < 0.8)
        reach = p.patrol_reach_km * factor
        expected = coverage_share(distance <= reach[:, None], effort_factor(km, p.reference_patrol_km_per_day),
                                  weights, total)
        assert patrols.coverage(year, km, reach) == expected


def test_camp_factor_is_capped_at_one_when_the_area_cover_rounds_above_one():
    m = PeacekeepingModel(scenario=load_scenario("scenarios/base.yaml"), seed=4)
    m.day_step()
    posture = m.posture
    above_one = np.full(m.roads.n, np.nextafter(1.0, 2.0))
    m.air.golden_hour_cover = lambda: above_one
    posture._memory[:] = 0.0                            # no losses, no IED events: only the casevac cut, below 0
    posture.new_day()
    assert posture._may_exceed_one
    assert posture.camp_factor.max() == 1.0
    assert posture.camp_factor.tobytes() == fresh_camp_factor(posture).tobytes()
    m.air.golden_hour_cover = lambda: np.ones(m.roads.n)
    posture.new_day()
    assert not posture._may_exceed_one
    assert posture.camp_factor.tobytes() == fresh_camp_factor(posture).tobytes()
