"""The shortcuts taken for speed in the armed groups' races and the posture's route factors give, bit for bit, what
the plain computations they replace give."""

import math

import numpy as np

from sim.armed_group import race_winner
from sim.posture import PostureParams, _higher, _lower, movement_factor


def plain_race_winner(clocks, weights):
    """race_winner as first written: every clock over its weight, the weightless ones out of the race."""
    weights = np.asarray(weights, dtype=float)
    if not (weights > 0).any():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        times = np.asarray(clocks, dtype=float) / weights
    times[~(weights > 0)] = np.inf
    return int(np.argmin(times))


def test_race_winner_with_and_without_weightless_candidates_is_the_plain_race():
    rng = np.random.default_rng(5)
    for trial in range(3000):
        n = int(rng.integers(0, 40))
        clocks = rng.exponential(size=n)
        weights = rng.random(n) * (rng.random(n) < (0.5 if trial % 2 else 1.0))
        if trial % 5 == 0 and n:
            clocks[rng.integers(n)] = clocks[0]                  # a tie
            weights[rng.integers(n)] = math.nan                  # a weight that is not positive either
        assert race_winner(clocks, weights) == plain_race_winner(clocks, weights)
        assert race_winner(clocks.tolist(), weights.tolist()) == plain_race_winner(clocks, weights)


def test_lower_and_higher_are_min_and_max_including_ties_signed_zeros_and_nan():
    values = [0.0, -0.0, 1.0, 0.3, -2.5, math.inf, -math.inf, math.nan]
    for a in values:
        for b in values:
            assert repr(_lower(a, b)) == repr(min(a, b)), (a, b)
            assert repr(_higher(a, b)) == repr(max(a, b)), (a, b)


def test_movement_factor_on_numbers_is_its_value_on_arrays():
    p = PostureParams()
    rng = np.random.default_rng(2)
    losses, density, cover = rng.uniform(0, 20, 500), rng.uniform(0, 3, 500), rng.uniform(0, 1.0000001, 500)
    for restriction in (1.0, 0.7):
        on_arrays = movement_factor(losses, density, cover, p, restriction)
        on_numbers = [movement_factor(float(x), float(d), float(c), p, restriction)
                      for x, d, c in zip(losses, density, cover)]
        assert np.array(on_numbers).tobytes() == on_arrays.tobytes()
