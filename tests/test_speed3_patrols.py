"""The patrols' coverage picks each hotspot's covering camp from an index rebuilt only when a camp's reach crosses a
hotspot distance, and the IED field keeps the segments with devices as devices come and go: both give, bit for bit,
what a fresh computation from the same state gives."""

import numpy as np
import pytest

from sim.ied import IedField, IedParams
from sim.patrol import coverage_share, effort_factor
from sim.streams import Streams
from speed_fixtures import base_model


@pytest.fixture(scope="module")
def model():
    return base_model(seed=5, days=10)


@pytest.mark.parametrize("year", [2017, 2021])                # one candidate camp a hotspot; two for some
def test_coverage_follows_reach_across_hotspot_distances(model, year):
    patrols = model.patrols
    p = patrols.params
    distance, weights, total = patrols.hotspots_for(year)
    n = distance.shape[0]
    rng = np.random.default_rng(year)
    km = rng.uniform(0.0, 2.0 * p.reference_patrol_km_per_day, n)
    # every camp's reach walks down from full reach and back up in small steps, crossing its hotspots' distances one
    # at a time (some exactly), the way the movement factor drifts from day to day
    steps = np.concatenate([np.linspace(1.0, 0.2, 60), np.linspace(0.2, 1.0, 60)])
    offsets = rng.uniform(0.0, 0.1, n)
    changed = 0
    previous = None
    for step in steps:
        factor = np.clip(step + offsets, 0.0, 1.0)
        reach = p.patrol_reach_km * factor
        within = distance <= reach[:, None]
        expected = coverage_share(within, effort_factor(km, p.reference_patrol_km_per_day), weights, total)
        assert patrols.coverage(year, km, reach) == expected
        changed += previous is not None and not np.array_equal(within, previous)
        previous = within
    assert changed >= 5                                       # the walk did change which hotspots camps reach


def test_occupied_segments_follow_lays_meetings_and_decay():
    field = IedField(6, IedParams(decay_per_day=0.0), Streams(1).decision("ieds.device"))
    lifetimes = np.array([3, 1, 5, 1, 2])
    field.lay(np.array([4, 1, 4, 2, 0]), lifetimes, [10, 11, 12, 13, 14], day=0)
    assert field.occupied() == [0, 1, 2, 4] == np.flatnonzero(field.count).tolist()
    field.decay(1)                                            # the devices on 1 and 2 are lost
    assert field.occupied() == [0, 4] == np.flatnonzero(field.count).tolist()
    assert field.meet_on(4, 1.0, lambda code: 0.0) == [10, 12]
    assert field.occupied() == [0] == np.flatnonzero(field.count).tolist()
    field.lay(np.array([3]), np.array([4]), [15], day=1)
    assert field.occupied() == [0, 3] == np.flatnonzero(field.count).tolist()
