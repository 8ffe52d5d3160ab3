"""Third round of speed work on camps: the cached camp levels (open camps, personnel) give what the plain
computations give."""

import pytest

from speed_fixtures import base_model


@pytest.fixture(scope="module")
def model():
    """The whole window: camps open, contingents leave, camps withdraw and close (garrisons and open flags
    change)."""
    return base_model(seed=5)


def test_camp_levels_follow_the_camps(model):
    record = model.recorder
    for _ in range(model.n_days):
        model.day_step()
        if model.recording:
            open_camps = [c for c in model.camps if c.open]
            assert record.values["open_camps"][record.t] == len(open_camps)
            assert record.values["personnel_in_theatre"][record.t] == sum(c.persons for c in open_camps)
    assert any(c.finished for c in model.camps)


def test_camp_levels_follow_a_camp_that_opens_later():
    model = base_model(seed=6, days=30, year=2016)
    camp = next(c for c in model.camps if c.open and c.hub is not None)
    camp.opens = model.calendar_of(model.day + 5)       # as if it opened later: closed until then
    camp.refresh_open()
    model.day_step()
    record = model.recorder
    open_camps = [c for c in model.camps if c.open]
    assert camp not in open_camps
    assert record.values["open_camps"][record.t] == len(open_camps)
    assert record.values["personnel_in_theatre"][record.t] == sum(c.persons for c in open_camps)
