"""Caches added for speed in the streams, the armed groups and the day loop give the same numbers as the plain
computation they replace."""

import numpy as np

from sim.streams import Streams, decision_code


def _block_draws(streams: Streams, name: str, word: int, entity: int, n: int, skip: int = 0) -> np.ndarray:
    """Draws ``skip`` to ``skip + n`` of a block, from a fresh Philox positioned at its start."""
    root = streams.root
    key = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (decision_code(name),),
                                 pool_size=root.pool_size).generate_state(2, dtype=np.uint64)
    rng = np.random.Generator(np.random.Philox(key=key, counter=np.array([0, 0, word, entity], dtype=np.uint64)))
    return rng.random(skip + n)[skip:]


def test_parked_blocks_resume_where_they_stopped_and_a_new_day_restarts_them():
    streams = Streams(7)
    decision = streams.decision("test.blocks")
    streams.day = 3
    word = 3 + 1
    first = decision.generator(11).random(2)
    other = decision.generator(12).random(3)
    again = decision.generator(11).random(2)          # the parked block continues
    event = decision.event(5).random(1)
    more = decision.generator(12).random(1)
    assert np.array_equal(first, _block_draws(streams, "test.blocks", word, 11, 2))
    assert np.array_equal(other, _block_draws(streams, "test.blocks", word, 12, 3))
    assert np.array_equal(again, _block_draws(streams, "test.blocks", word, 11, 2, skip=2))
    assert np.array_equal(event, _block_draws(streams, "test.blocks", 2**63, 5, 1))
    assert np.array_equal(more, _block_draws(streams, "test.blocks", word, 12, 1, skip=3))
    streams.day = 4                                    # a new day: spares reused, every block from its start
    assert np.array_equal(decision.event(5).random(2), _block_draws(streams, "test.blocks", 2**63, 5, 2))
    assert np.array_equal(decision.generator(11).random(1), _block_draws(streams, "test.blocks", 5, 11, 1))
    assert np.array_equal(decision.event(5).random(1), _block_draws(streams, "test.blocks", 2**63, 5, 1, skip=2))


def test_camps_refreshed_only_on_change_days_are_open_as_a_daily_refresh_would_say():
    from sim.scenario import load_scenario
    from sim.simulation import PeacekeepingModel

    model = PeacekeepingModel(scenario=load_scenario("scenarios/cf_fewer_larger_camps.yaml"), seed=3)
    for _ in range(model.n_days):
        model.day_step()
        for camp in model.camps:
            kept = camp.open
            camp.refresh_open()
            assert camp.open == kept, (model.today, camp.name)


def test_devices_on_the_roads_kept_as_a_running_total_match_the_field():
    from sim.ied import IedField, IedParams
    from sim.streams import Streams

    field = IedField(5, IedParams(), Streams(1).decision("ieds.device"))
    field.lay(np.array([1, 1, 3]), np.array([2, 5, 1]), [10, 11, 12], day=0)
    assert field.emplaced == field.count.sum() == 3
    field.decay(1)
    assert field.emplaced == field.count.sum() == 2
    assert field.meet_on(1, 1.0, lambda code: 0.0) == [10, 11]
    field.decay(2)                                   # device 10 was met: its expiry finds it gone
    assert field.emplaced == field.count.sum() == 0
