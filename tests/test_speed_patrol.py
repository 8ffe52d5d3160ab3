"""The caches of posture.py and patrol.py give what a fresh computation would, after their inputs change."""

import numpy as np
import pytest

from sim.patrol import coverage_share, effort_factor
from sim.posture import movement_factor
from speed_fixtures import base_model


@pytest.fixture
def model():
    return base_model(seed=1, days=60)


def fresh_route(posture, route):
    """A route's IED density and casevac cover, computed from scratch."""
    length = posture.model.roads.length_km[route]
    km = float(length.sum())
    return float(posture.ied_events[route].sum()) / km * 100.0, float(posture.cover[route] @ length) / km


def longest_route(m):
    camp = max((c for c in m.camps if m.roads.connected(c.hub, c.name) and c.hub != c.name),
               key=lambda c: len(m.roads.route(c.hub, c.name)))
    return camp, m.roads.route(camp.hub, camp.name)


def test_route_threat_follows_ied_events_the_same_day(model):
    posture = model.posture
    camp, route = longest_route(model)
    before = posture.route_speed_and_cover(route)
    posture.ied_event(int(route[0]), 3)
    assert posture.route_speed_and_cover(route) != before
    assert posture._density_and_cover(route) == fresh_route(posture, route)
    density, cover = fresh_route(posture, route)
    losses = float(posture.losses[posture.camp_index[camp.name]])
    assert posture.route_factor(camp, route) == movement_factor(losses, density, cover, posture.params,
                                                                posture.restriction)


def test_route_threat_and_area_cover_follow_a_new_day(model):
    posture = model.posture
    _, route = longest_route(model)
    posture.route_speed_and_cover(route)
    air = model.air
    changed = np.linspace(0.0, 1.0, model.roads.n)
    air.golden_hour_cover = lambda: changed                      # the air picture changes overnight
    posture.new_day()
    assert posture._density_and_cover(route) == fresh_route(posture, route)
    area = np.where(posture._has_area, posture._area_km @ changed / posture._area_total, 1.0)
    density = posture._area_km @ posture.ied_events / posture._area_total * 100.0
    expected = movement_factor(posture.losses, density, area, posture.params, posture.restriction)
    assert posture.camp_factor.tobytes() == expected.tobytes()


def test_patrol_km_and_coverage_follow_a_garrison_change(model):
    patrols = model.patrols
    patrols.step()
    camp = next(c for c in model.camps if c.open and c.persons > 0)
    i = model.camps.index(camp)
    camp.garrison = {name: n * 2.0 for name, n in camp.garrison.items()}
    patrols.step()
    p = patrols.params
    persons = np.array([c.persons if c.open else 0.0 for c in model.camps])
    factor = model.posture.camp_factor
    km = persons / 1000.0 * p.patrols_per_1000_troops_per_day * factor * p.patrol_length_km
    assert patrols.km_by_camp[i] == km[i] and patrols.km_by_camp.tobytes() == km.tobytes()
    distance, weights, total = patrols.hotspots_for(model.year)
    within = distance <= p.patrol_reach_km * factor[:, None]
    assert patrols.coverage_today == coverage_share(within, effort_factor(km, p.reference_patrol_km_per_day),
                                                    weights, total)
