"""Second round of speed work on camps and convoys: the shortcuts give what the plain computations give."""

import math
from datetime import timedelta

import pytest

from sim.streams import CodeFamily, entity_code
from speed_fixtures import base_model


@pytest.fixture(scope="module")
def model():
    return base_model(seed=4, days=40, year=2016)


def _routine_until(camp) -> float:
    """When a camp's routine days end, computed from scratch (``Camp._refresh_routine``)."""
    if not (camp.stocked and camp.hub is not None and camp.withdrawal is None):
        return -math.inf
    start = (camp.withdrawal_start - camp.model.first_day).days
    return min(start, camp.next_rotation_day)


def test_code_families_give_entity_codes():
    move = CodeFamily("resupply", "Gao", "Kidal")
    assert [move(n) for n in (0, 1, 17, 812)] == [entity_code("resupply", "Gao", "Kidal", n) for n in (0, 1, 17, 812)]
    key = entity_code("rotation", "Kidal", "Gao", 3)
    for turned_back in (False, True):
        passage = CodeFamily(key, turned_back)
        assert passage(4, 123456789) == entity_code(key, turned_back, 4, 123456789)


def test_routine_days_follow_what_they_depend_on(model):
    camps = [c for c in model.camps if c.open]
    assert all(c._routine_until == _routine_until(c) for c in model.camps)
    camp = next(c for c in camps if c.hub is not None and c.withdrawal is None)
    camp.next_rotation_day = model.day + 3.5
    assert camp._routine_until == _routine_until(camp) == model.day + 3.5
    camp.plan_closure(model.today + timedelta(days=int(model.params.withdrawal.lead_days) + 2), None)
    assert camp._routine_until == _routine_until(camp) == model.day + 2
    for _ in range(3):
        model.step()
    assert camp.withdrawal is not None and camp._routine_until == -math.inf
    assert all(c._routine_until == _routine_until(c) for c in model.camps)


def test_timetables_list_their_array(model):
    assert model.logistics._timetables
    for starts, starts_list, _ in model.logistics._timetables.values():
        assert starts_list == starts.tolist()
