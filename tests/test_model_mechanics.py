"""Unit tests of the model's submodels: each mechanism moves in the documented direction."""

import numpy as np
import pytest

from sim.armed_group import (Arrivals, camp_attack_weights, emplacement_plan, garrison_defence_factor, race,
                             race_winner)
from sim.convoy import meet_probability_for, segment_start_days
from sim.ied import (IedField, IedParams, detection_probability, detonation_casualty_means, lifetimes_days,
                     meet_probability)
from sim.air_support import air_support_factor
from sim.incidents import clustered_deaths, poisson_count, thinned
from sim.medical import air_medevac_minutes, ground_minutes, p_die_of_wounds
from sim.roads import RoadParams, build_roads, speed_km_per_day
from sim.streams import Streams, entity_code
from sim.theatre import load_theatre

CURVE = dict(max_probability=0.3, time_constant_minutes=240.0)


def test_dying_of_wounds_rises_with_delay_and_falls_with_capability():
    p = [p_die_of_wounds(t, **CURVE) for t in (0, 30, 60, 120, 240, 600)]
    assert p[0] == 0.0 and all(a < b for a, b in zip(p, p[1:])) and p[-1] < 0.3
    assert p_die_of_wounds(90, **CURVE, medical_capability=1.0, capability_effect=0.3) < p_die_of_wounds(90, **CURVE)
    # golden hour: 43 vs 90 minutes (Kotwal et al. 2016) roughly halves the risk
    assert 0.4 < p_die_of_wounds(43, **CURVE) / p_die_of_wounds(90, **CURVE) < 0.6
    with pytest.raises(ValueError):
        p_die_of_wounds(-1, **CURVE)


def test_air_medevac_beats_road_over_distance():
    road = ground_minutes(200, speed_kmh=40, route_factor=1.3, request_minutes=15)
    air = air_medevac_minutes(100, 200, speed_kmh=230, readiness_minutes=30, request_minutes=15)
    assert air < road


def test_surveillance_lowers_emplacement_on_watched_segments():
    traffic = np.array([5.0, 5.0, 5.0, 5.0])
    watched = np.array([1.0, 0.0, 0.0, 0.0])
    share0, q0 = emplacement_plan(traffic, prior=0.2, preference=1, surveillance=np.zeros(4), deterrence=0.6, relocation=0.5)
    share1, q1 = emplacement_plan(traffic, prior=0.2, preference=1, surveillance=watched, deterrence=0.6, relocation=0.5)
    assert q1[0] < q0[0] and share1 < share0 == 1.0
    assert np.isclose(q1.sum(), 1.0)


def test_traffic_attracts_emplacement():
    _, q = emplacement_plan(np.array([10.0, 0.0]), prior=0.2, preference=1, surveillance=np.zeros(2), deterrence=0.6, relocation=0.5)
    assert q[0] > 0.9


def test_surveillance_training_and_clearance_raise_detection():
    kw = dict(base=0.3, training_bonus=0.25, clearance_bonus=0.2, surveillance_bonus=0.15, maximum=0.9)
    plain = detection_probability(training=0.0, clearance=False, surveillance=0.0, **kw)
    assert detection_probability(training=0.0, clearance=False, surveillance=1.0, **kw) > plain
    assert detection_probability(training=1.0, clearance=False, surveillance=0.0, **kw) > plain
    assert detection_probability(training=0.0, clearance=True, surveillance=0.0, **kw) > plain
    assert detection_probability(training=1.0, clearance=True, surveillance=1.0, **kw) == 0.9


def test_protection_lowers_casualties_per_detonation():
    open_k, open_w = detonation_casualty_means(killed_mean=0.5, wounded_mean=3.0, protected=False, protection_reduction=0.7)
    prot_k, prot_w = detonation_casualty_means(killed_mean=0.5, wounded_mean=3.0, protected=True, protection_reduction=0.7)
    assert prot_k < open_k and prot_w < open_w


def test_rainy_season_slows_convoys():
    roads = RoadParams()
    paved = np.array([True, False])
    assert (speed_km_per_day(paved, True, roads) < speed_km_per_day(paved, False, roads)).all()
    lengths = np.full(20, 25.0)
    _, dry = segment_start_days(lengths, speed_km_per_day(np.zeros(20, bool), False, roads))
    _, wet = segment_start_days(lengths, speed_km_per_day(np.zeros(20, bool), True, roads))
    assert wet > dry


def test_segments_are_entered_in_order_and_the_route_takes_its_length_over_speed():
    starts, days = segment_start_days(np.array([25.0] * 15), np.array([125.0] * 15))
    assert starts[0] == 0
    assert (np.diff(starts) > 0).all()
    assert days == pytest.approx(3.0)


def test_longer_convoys_meet_more_of_the_devices_they_pass():
    assert meet_probability_for(20, 0.025) == pytest.approx(1 - 0.975 ** 20)
    assert meet_probability_for(40, 0.025) > meet_probability_for(20, 0.025) > meet_probability_for(5, 0.025)


def test_air_support_factor_earlier_is_better():
    f = [air_support_factor(t, before_share=0.5, window_minutes=180) for t in (0, 60, 180, 400)]
    assert f[0] == 0.5 and f[0] < f[1] < f[2] == f[3] == 1.0
    assert air_support_factor(float("nan"), before_share=0.5, window_minutes=180) == 1.0


def test_complex_attack_deaths_heavy_tailed_and_garrison_defends():
    rng = np.random.default_rng(0)
    draws = np.array([clustered_deaths(rng, 3.5, 1.0) for _ in range(5000)])
    assert abs(draws.mean() - 3.5) < 0.3 and draws.max() >= 15 and (draws == 0).mean() > 0.15
    assert garrison_defence_factor(3000, 0.2, 0.8) < garrison_defence_factor(300, 0.2, 0.8)
    w = camp_attack_weights(np.array([100.0, 2000.0]), np.zeros(2), 0.6, prefer_small=True)
    assert w[0] > w[1]


def test_ied_field_never_negative_and_meet_removes():
    rng = np.random.default_rng(1)
    field = IedField(5, IedParams(decay_per_day=0.0), Streams(1).decision("ieds.device"))
    field.lay(np.array([0, 0, 1, 3]), lifetimes_days(rng, 4, 0.0), [10, 11, 12, 13], 0)
    assert [field.meet_on(s, 1.0, lambda code: rng.random()) for s in (0, 1, 2)] == [[10, 11], [12], []]
    assert (field.count >= 0).all()
    assert field.emplaced == 1
    assert meet_probability(0.4, 0) == 0 and meet_probability(0.4, 2) > meet_probability(0.4, 1)


def test_devices_decay_on_their_drawn_day_and_met_ones_never_decay_twice():
    rng = np.random.default_rng(3)
    field = IedField(3, IedParams(decay_per_day=0.05), Streams(1).decision("ieds.device"))
    field.lay(np.array([0, 1, 2] * 200), lifetimes_days(rng, 600, 0.05), list(range(600)), 0)
    field.meet_on(0, 1.0, lambda code: rng.random())         # every device on segment 0 met and removed
    alive = [field.emplaced]
    for day in range(1, 400):
        field.decay(day)
        alive.append(field.emplaced)
    assert alive[0] == 400 and field.count[0] == 0
    assert all(a >= b for a, b in zip(alive, alive[1:]))
    # geometric lifetimes with p = 0.05: about 95% left after a day, exp(-0.05 * 20) ~ 36% after 20 days
    assert 0.30 < alive[20] / 400 < 0.43
    assert alive[-1] == 0


def test_roads_segments_short_and_routes_connected():
    theatre = load_theatre("mali")
    roads = build_roads(theatre, 25.0)
    assert roads.length_km.max() <= 25.0 + 1e-9
    assert abs(roads.length_km.sum() - sum(leg.km for leg in theatre.legs)) < 1e-6
    route = roads.route("Gao", "Kidal")
    assert abs(roads.length_km[route].sum() - 352) < 1e-6
    assert set(roads.sector) <= {"North", "East", "West", "Centre", "HQ"}


def test_a_decision_draws_the_same_numbers_from_an_int_or_a_seed_sequence():
    a, b = Streams(7), Streams(np.random.SeedSequence(7))
    for day in (-1, 0, 5):
        a.day = b.day = day
        assert a.decision("x").generator().random() == b.decision("x").generator().random()


def test_different_decisions_and_days_draw_different_numbers():
    s = Streams(7)
    s.day = 3
    assert s.decision("jnim.ied_laying").generator().random() != s.decision("isgs.ied_laying").generator().random()
    first = s.decision("x").generator().random(3)
    s.day = 4
    assert not np.array_equal(s.decision("x").generator().random(3), first)


def test_extra_draws_by_one_decision_leave_every_other_decision_and_day_unchanged():
    """The common-random-numbers property: decision X's draws on day d depend on (seed, X, d) only."""
    def draws(extra: int) -> dict[tuple[str, int], np.ndarray]:
        s = Streams(np.random.SeedSequence(42, spawn_key=(3,)))
        out = {}
        for day in range(5):
            s.day = day
            for name in ("a", "b", "c"):
                n = 2 + (extra if name == "b" else 0)
                out[name, day] = s.decision(name).generator().random(n)[:2]
                if name == "b" and day == 1:
                    s.decision("b").generator().random(100 * extra)   # a burst of extra draws on one day
        return out

    plain, noisy = draws(0), draws(3)
    for key in plain:
        np.testing.assert_array_equal(plain[key], noisy[key], err_msg=str(key))


def test_an_entity_block_ignores_draws_in_other_blocks_and_resumes_the_same_day():
    s = Streams(5)
    s.day = 3
    clean = s.decision("convoys.ied").generator(11).random(4)
    t = Streams(5)
    t.day = 3
    x = t.decision("convoys.ied")
    first = x.generator(11).random(2)
    x.generator(12).random(9)                      # another convoy's encounters in between
    x.generator().random(3)                        # and the day's own block
    np.testing.assert_array_equal(np.concatenate([first, x.generator(11).random(2)]), clean)
    assert x.generator(12).random() != clean[0]


def test_an_event_block_draws_the_same_numbers_on_any_day():
    """The k-th event (a waiting time, a device) meets the same numbers whenever it happens; other events differ."""
    a, b = Streams(9), Streams(9)
    a.day, b.day = 4, 40
    assert a.decision("jnim.ied_laying").event(7).random() == b.decision("jnim.ied_laying").event(7).random()
    assert a.decision("jnim.ied_laying").event(8).random() != b.decision("jnim.ied_laying").event(7).random()
    assert a.decision("jnim.ied_laying").generator(7).random() != b.decision("jnim.ied_laying").event(7).random()


def test_a_race_picks_with_the_weights_and_keeps_its_winner_when_others_change():
    rng = np.random.default_rng(1)
    weights = np.array([1.0, 2.0, 0.0, 7.0])
    shares = np.bincount([race(rng, weights) for _ in range(20000)], minlength=4) / 20000
    np.testing.assert_allclose(shares, [0.1, 0.2, 0.0, 0.7], atol=0.015)
    watched = weights * np.array([1.0, 1.0, 1.0, 0.2])        # surveillance deters laying on the last segment
    kept = moved = 0
    for seed in range(500):
        before = race(np.random.default_rng(seed), weights)
        after = race(np.random.default_rng(seed), watched)
        if before != 3:
            kept += after == before                             # a device not on the watched segment stays put
        moved += after != before
    assert kept == sum(race(np.random.default_rng(seed), weights) != 3 for seed in range(500))
    assert 0 < moved < 500 * 0.7 * 0.9


def test_a_race_is_won_by_the_smallest_clock_over_weight_and_never_by_a_weightless_candidate():
    assert race_winner([2.0, 1.0, 3.0], [1.0, 1.0, 4.0]) == 2        # 3 / 4 beats 1 / 1
    assert race_winner([1.0, 2.0], [1.0, 2.0]) == 0                  # a tie goes to the first
    assert race_winner([1e-9, 5.0], [0.0, 1.0]) == 1                 # weight 0 never wins, however small its clock
    assert race_winner([0.5, 0.5], [0.0, 0.0]) is None
    assert race_winner([], []) is None


def test_arrivals_at_double_the_rate_bring_the_same_events_in_half_the_time():
    """Time rescaling: the k-th waiting time is the k-th event's own draw, so doubling a group's rate moves its
    events earlier instead of drawing new ones (what keeps a counterfactual's attacks paired with the baseline's)."""
    def counts(rate: float, days: int) -> list[int]:
        s = Streams(3)
        arrivals, total, out = Arrivals(s.decision("jnim.ambush_timing")), 0, []
        for day in range(days):
            s.day = day
            total += arrivals.today(rate)
            out.append(total)
        return out

    slow, fast = counts(0.3, 400), counts(0.6, 200)
    assert fast[-1] > 50
    assert fast == slow[1::2]


def test_entity_codes_are_stable_and_tell_entities_apart():
    assert entity_code("resupply", "Gao", "Kidal", 812, 0) == entity_code("resupply", "Gao", "Kidal", 812, 0)
    assert entity_code("resupply", "Gao", "Kidal", 812, 0) != entity_code("resupply", "Gao", "Kidal", 812, 1)
    assert entity_code("ab", "c") != entity_code("a", "bc")
    assert 0 <= entity_code(18.44, 1.41) < 2**63


def test_a_day_repeats_its_draws_when_revisited():
    s = Streams(1)
    s.day = 2
    first = s.decision("x").generator().random(4)
    s.day = 3
    s.decision("x").generator().random()
    s.day = 2
    np.testing.assert_array_equal(s.decision("x").generator().random(4), first)


def test_casualty_counts_take_one_number_each_and_a_lower_mean_never_gives_more():
    """Inverse transform: the same numbers give counts ordered like their means, and the draws after a count stay
    in place whatever its mean (numpy's samplers take a varying number of draws)."""
    for seed in range(300):
        counts = []
        for scale in (1.0, 0.3):
            rng = np.random.default_rng(seed)
            counts.append((clustered_deaths(rng, 2.0 * scale, 0.5), poisson_count(rng, 3.0 * scale),
                           thinned(rng, 8, 0.6 * scale), rng.random()))
        (k_hi, w_hi, t_hi, after_hi), (k_lo, w_lo, t_lo, after_lo) = counts
        assert k_lo <= k_hi and w_lo <= w_hi and t_lo <= t_hi
        assert after_lo == after_hi
    rng = np.random.default_rng(5)
    wounded = np.array([poisson_count(rng, 3.0) for _ in range(4000)])
    assert abs(wounded.mean() - 3.0) < 0.15 and abs(wounded.var() - 3.0) < 0.4


def test_whether_a_passage_meets_a_device_does_not_depend_on_the_other_devices_there():
    """A number per (passage, device): deterring device 2 onto another road leaves the fate of devices 1 and 3."""
    numbers = {1: 0.9, 2: 0.1, 3: 0.2}
    met = []
    for codes in ([1, 2, 3], [1, 3]):
        field = IedField(2, IedParams(decay_per_day=0.0), Streams(1).decision("ieds.device"))
        field.lay(np.zeros(len(codes), dtype=np.int64), np.full(len(codes), 100), codes, 0)
        met.append(field.meet_on(0, 0.5, numbers.__getitem__))
    assert met == [[2, 3], [3]]


def test_a_device_has_the_same_luck_whoever_meets_it_and_whenever():
    """What a device does comes from its own block of ieds.device, on any day and after any other draws."""
    def first_numbers(day: int, others: int) -> np.ndarray:
        streams = Streams(8)
        field = IedField(1, IedParams(), streams.decision("ieds.device"))
        streams.day = day
        for code in range(others):
            field.outcome(1000 + code).random(3)
        return field.outcome(entity_code("jnim", 17)).random(4)

    reference = first_numbers(10, 0)
    assert np.array_equal(first_numbers(400, 5), reference)
    assert not np.array_equal(Streams(9).decision("ieds.device").event(entity_code("jnim", 17)).random(4), reference)
