"""The second round's caches in air_support.py and armed_group.py give what a fresh computation would, after their
inputs change: the golden-hour cover's state check, the air picture ranked when first read, and the groups'
traffic learned in one array; and the incident log built column by column is the one built from its rows."""

import numpy as np
import pandas as pd
import pytest

from sim.incidents import INCIDENT_COLUMNS
from speed_fixtures import base_model


@pytest.fixture
def model():
    return base_model(seed=1, days=60)


def fresh_cover(air):
    """The golden-hour cover computed with every cache emptied."""
    cover, state = air._cover, air._cover_state
    air._cover = air._cover_state = None
    fresh = air.golden_hour_cover().copy()
    air._cover, air._cover_state = cover, state
    return fresh


def new_year_without_unit(model, camp):
    """What ``Camp.set_year`` does to the cover's inputs on a new year whose record has no surgical unit."""
    model.year += 1
    camp.medical_unit = False


def test_golden_hour_cover_follows_each_input(model):
    air = model.air
    gao, timbuktu = model.camps_by_name["Gao"], model.camps_by_name["Timbuktu"]
    assert gao.medical_unit and timbuktu.medical_unit and gao.open and timbuktu.open
    changes = [
        lambda: air.french_base_left("Gao"),                                # France leaves Gao (and its Role 2)
        lambda: setattr(gao, "open", False),                                # a surgical unit's camp closes
        lambda: setattr(model, "rainy", not model.rainy),                   # the season turns
        lambda: setattr(model, "today", air._medevac[1]._first_day),       # a provider starts flying
        lambda: new_year_without_unit(model, timbuktu),                     # a camp's unit leaves with the year
        lambda: model.host_state.set_refusal_share(0.4),                    # clearance refused more often
    ]
    before = air.golden_hour_cover().copy()
    assert np.array_equal(before, fresh_cover(air))
    moved = 0
    for change in changes:
        change()
        now = air.golden_hour_cover()
        assert np.array_equal(now, fresh_cover(air))
        moved += not np.array_equal(now, before)
        before = now.copy()
    assert moved == len(changes)


def test_surveillance_read_late_is_the_allocation_of_its_day(model):
    air = model.air
    priority = model.own_traffic.copy()
    air.allocate_surveillance(priority)
    eager = air.surveillance.copy()
    assert eager.sum() > 0
    air.allocate_surveillance(priority)
    priority *= np.random.default_rng(3).random(len(priority))         # the priority moves overnight...
    for base in air.providers[0].mali_bases:                             # ...and France leaves Mali
        air.french_base_left(base)
    assert np.array_equal(air.surveillance, eager)
    assert np.array_equal(air.surveillance, eager)                       # read twice: the same picture
    air.allocate_surveillance(priority)                                  # the next day's allocation sees both
    assert not np.array_equal(air.surveillance, eager)


def test_traffic_learned_in_one_array_is_each_groups_own(model):
    passes = np.random.default_rng(5).random(model.roads.n)
    expected = [g.traffic * g.memory + passes[g.segments] for g in model.groups]
    own = model.own_traffic * model.own_memory + passes
    model.traffic_memory.learn(passes)
    for group, traffic in zip(model.groups, expected):
        assert np.array_equal(group.traffic, traffic)
    assert np.array_equal(model.own_traffic, own)
    group = model.groups[0]
    alone = group.traffic * group.memory + passes[group.segments]
    group.learn(passes)                                                  # a group's own learning still works
    assert np.array_equal(group.traffic, alone)
    assert np.shares_memory(group.traffic, model.traffic_memory.traffic)
    assert np.shares_memory(model.own_traffic, model.traffic_memory.traffic)


def slow_incident_table(rows):
    """The incident log built as before: from the rows, each column then converted to its declared dtype."""
    frame = pd.DataFrame.from_records(rows, columns=list(INCIDENT_COLUMNS))
    if len(frame):
        frame["date"] = pd.to_datetime(frame["date"])
    return frame.astype({name: spec[0] for name, spec in INCIDENT_COLUMNS.items()})


def test_incident_table_is_the_rows_converted_column_by_column(model):
    for _ in range(400):
        model.day_step()
    log = model.incidents
    assert log.rows and any(row[15] is None for row in log.rows) and any(row[15] is not None for row in log.rows)
    full = log.rows
    for rows in (full, full[:1], []):
        log.rows = rows
        pd.testing.assert_frame_equal(log.table(), slow_incident_table(rows))
