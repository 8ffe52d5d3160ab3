"""The caches of camps, convoys and roads (speed work) stay in step with what they are computed from."""

import numpy as np
import pytest

from sim.roads import km_between
from speed_fixtures import base_model


@pytest.fixture(scope="module")
def model():
    return base_model(seed=4, year=2016, until=lambda m: any(c.kind == "resupply" for c in m.logistics.convoys))


def _camp_with_hub(model):
    return next(c for c in model.camps if c.hub is not None and c.persons > 0 and len(c.garrison) > 1)


def test_stock_levels_follow_the_garrison(model):
    camp = _camp_with_hub(model)
    p = model.params.camps
    for change in (lambda: camp.people_leave(camp.persons / 3),
                   lambda: camp.contingent_leaves(next(iter(camp.garrison)), 0.5),
                   lambda: camp.receive({next(iter(camp.garrison)): 1.0}, 40.0, 0.0),
                   lambda: camp.set_year(2017)):
        change()
        assert camp._critical_t == p.critical_stock_days * camp.consumption_t()
        assert camp._reorder_t == p.reorder_stock_days * camp.consumption_t()
        assert camp._draw_cumulative == np.cumsum([n for n in camp.garrison.values() if n > 0]).tolist()


def test_the_hub_route_is_the_roads_route(model):
    for camp in model.camps:
        if camp.hub is not None:
            assert camp._hub_route is model.roads.route(camp.hub, camp.name)


def test_a_convoy_turning_back_bisects_its_new_timetable(model):
    convoy = next(c for c in model.logistics.convoys if c.kind == "resupply")
    durations = np.diff(np.append(convoy.start_days, convoy.total_days))
    convoy.clock = float(convoy.start_days[min(2, len(convoy.start_days) - 1)]) + 1e-6
    done = int(np.searchsorted(convoy.start_days, convoy.clock, side="left"))
    convoy.turn_back()
    assert convoy._starts == convoy.start_days.tolist()
    assert np.array_equal(convoy.start_days, np.concatenate(([0.0], np.cumsum(durations[:done][::-1])[:-1])))
    assert convoy.total_days == float(durations[:done][::-1].sum())


def test_road_caches_match_the_arrays(model):
    roads = model.roads
    route = roads.route("Gao", "Kidal")
    assert roads.route_km("Gao", "Kidal") == float(roads.length_km[route].sum())
    for first, last in ((0, 3), (2, 12), (0, len(route))):
        segments, km = roads.part("Gao", "Kidal", first, last)
        assert np.array_equal(segments, route[first:last])
        assert km == float(roads.length_km[route[first:last]].sum())


def test_km_between_points_is_the_array_formula():
    lat = np.array([16.27, 14.49, 18.44])
    lon = np.array([-0.04, -4.19, 1.41])
    for i in range(3):
        for j in range(3):
            one = km_between(float(lat[i]), float(lon[i]), float(lat[j]), float(lon[j]))
            assert one == km_between(float(lat[i]), float(lon[i]), lat[j:j + 1], lon[j:j + 1])[0]
