"""Third round of speed work on convoys: the parts of routes they remember and the segment they are at stay in step
with their routes and clocks."""

from bisect import bisect_left

import numpy as np
import pytest

from sim.roads import basic_index
from speed_fixtures import base_model


@pytest.fixture(scope="module")
def model():
    return base_model(seed=4, year=2016, until=lambda m: any(c.kind == "resupply" for c in m.logistics.convoys))


def _check_parts(model):
    lengths = model.roads.length_km
    for move in model.logistics._moves.values():
        if move is None:
            continue
        for (first, last), (segs, km, index, ones) in move.parts.items():
            assert np.array_equal(segs, move.route[first:last])
            assert km == float(lengths[segs].sum())
            assert np.array_equal(lengths[index], lengths[segs])
            assert np.array_equal(ones, np.ones(len(segs)))


def _check_convoys(model):
    for convoy in model.logistics.convoys:
        assert convoy._next == bisect_left(convoy._starts, convoy.clock)


def test_basic_index_reads_the_same_elements():
    values = np.arange(30.0) * 1.5
    runs = ([3, 4, 5], [5, 4, 3], [2, 1, 0], [0], [9], [1, 0], [0, 1])
    for segments in runs + ([3, 5, 6], [6, 5, 3], [4, 3, 4], []):
        segments = np.array(segments, dtype=np.int64)
        index = basic_index(segments)
        assert np.array_equal(values[index], values[segments])
        assert isinstance(index, slice) == (segments.tolist() in runs)


def test_parts_and_clocks_follow_the_routes_day_after_day(model):
    for _ in range(40):
        model.day_step()
        _check_parts(model)
        _check_convoys(model)


def test_a_convoy_turning_back_drives_its_own_reversed_route(model):
    def far_enough(c):
        return c.kind == "resupply" and c._next >= 3 and not c.turned_back and c.held_days <= 0

    while not any(far_enough(c) for c in model.logistics.convoys):
        model.day_step()
    convoy = next(c for c in model.logistics.convoys if far_enough(c))
    convoy.turn_back()
    _check_convoys(model)
    model.day_step()
    driven = convoy.today_segments                 # the first segments of the way back, not of the way out
    assert len(driven) and np.array_equal(driven, convoy.route[:len(driven)])
    _check_parts(model)
    _check_convoys(model)
