"""The random numbers of a convoy's passages follow the direction it drives: a day's stretch is driven before its
incidents are resolved, so a convoy that turns back after one of them meets the rest of that day's stretch going out
(``Convoy._meet_ieds``) and the road back, from the next day, coming back."""

import numpy as np

from sim.streams import CodeFamily, Streams
from speed_fixtures import base_model


class NeverFound:
    """A device's block whose detection draw always fails: the device goes off."""

    def random(self):
        return 0.999


def test_a_convoy_turning_back_part_way_meets_the_rest_of_its_stretch_going_out():
    model = base_model(seed=4, year=2016, until=lambda m: any(
        c.kind == "resupply" and not c.turned_back and len(c.route) >= 3 for c in m.logistics.convoys))
    convoy = next(c for c in model.logistics.convoys
                  if c.kind == "resupply" and not c.turned_back and len(c.route) >= 3)
    draws = model.logistics.ied_draws
    passes, device = [], 7

    def meet_on(segment, p_meet, uniform):
        passes.append(uniform(device))               # this passage's number for the device coded 7
        return [device] if len(passes) == 1 else []  # the first segment's device goes off, and ...

    model.ieds.meet_on = meet_on
    model.ieds.outcome = lambda code: NeverFound()
    convoy._detonation = lambda rng, where, code: convoy.turn_back()   # ... the convoy turns back after it
    first = 0
    segs = convoy.route[first:first + 2]
    convoy._meet_ieds(first, segs, np.ones(2, dtype=np.int64))

    assert convoy.turned_back and len(passes) == 2
    fresh = Streams(model.streams.root).decision(draws.name)     # each block from its start
    going_out = fresh.event(CodeFamily(convoy.key, False)(first + 1, device)).random()
    coming_back = fresh.event(CodeFamily(convoy.key, True)(first + 1, device)).random()
    assert going_out != coming_back
    assert passes[1] == going_out
