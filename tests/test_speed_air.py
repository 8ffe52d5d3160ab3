"""The speed-ups in incidents.py, medical.py and air_support.py give the very numbers of the code they replace."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.incidents import binom_ppf, nbinom_ppf, poisson_ppf
from sim.roads import km_between
from sim.scenario import load_scenario
from sim.simulation import PeacekeepingModel

EDGE_QS = [0.0, 1.0, 5e-324, 1e-300, 1e-12, 0.5, 1 - 1e-16, 1 - 2 ** -53, 0.9999999999, -0.1, 1.1, math.nan,
           -0.0, math.inf, -math.inf]
QS = EDGE_QS + list(np.random.default_rng(7).random(150))


def same(ours: float, theirs) -> bool:
    """Equal to the bit (NaN equals NaN; 0.0 and -0.0 differ)."""
    theirs = float(theirs)
    return np.array(ours, dtype=float).tobytes() == np.array(theirs, dtype=float).tobytes()


@pytest.mark.parametrize("mu", [0.0, -0.0, 1e-300, 1e-9, 0.07, 0.5, 1, 1.0, 2.75, 3.5, 17.0, 250.0, 1e6,
                                np.float64(3.2), np.float32(0.3), -1.0, math.inf, math.nan])
def test_poisson_ppf_is_scipy_stats(mu):
    for q in QS:
        assert same(poisson_ppf(q, mu), stats.poisson.ppf(q, mu)), (q, mu)


@pytest.mark.parametrize("mu", [1e-6, 0.4, 2.75, 9.0, 29.9, 30.0, 30.5])
def test_poisson_ppf_is_scipy_stats_at_and_around_each_step(mu):
    """Below 30 the quantile is found by walking up the distribution function: q exactly at a step, a bit either
    side of it, and at the distance where the walk hands over to scipy's own formula give scipy's numbers."""
    from scipy import special
    for k in range(int(mu) + 12):
        step = float(special.pdtr(k, mu))
        for q in (step, np.nextafter(step, 0), np.nextafter(step, 1), step - 1e-6, step + 1e-6, step - 2e-6,
                  step + 2e-6, step - 1e-9, step + 1e-9):
            assert same(poisson_ppf(q, mu), stats.poisson.ppf(q, mu)), (q, mu, k)
    for q in np.random.default_rng(11).random(2000):
        assert same(poisson_ppf(q, mu), stats.poisson.ppf(q, mu)), (q, mu)


@pytest.mark.filterwarnings("ignore:Error in function boost:RuntimeWarning")   # as scipy.stats, at extreme edges
@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 40, 1000, np.int64(5), 3.0, 2.5, -1, math.inf, math.nan])
@pytest.mark.parametrize("p", [0.0, 1e-12, 0.04, 0.1854, 0.5, 0.6, 0.999, 1.0, 1.2, -0.1, math.nan])
def test_binom_ppf_is_scipy_stats(n, p):
    for q in QS:
        assert same(binom_ppf(q, n, p), stats.binom.ppf(q, n, p)), (q, n, p)


@pytest.mark.parametrize("n", [1e-6, 0.3, 0.5, 1, 1.0, 2.5, 40.0, 0.0, -1.0, math.inf, math.nan])
@pytest.mark.parametrize("p", [1e-3, 0.01, 0.125, 0.5, 0.9, 1.0, 0.0, 1.5, math.nan])
def test_nbinom_ppf_is_scipy_stats(n, p):
    for q in QS:
        with np.errstate(over="ignore", invalid="ignore"):
            theirs = stats.nbinom.ppf(q, n, p)
        assert same(nbinom_ppf(q, n, p), theirs), (q, n, p)


def test_without_scipys_private_quantiles_the_public_ones_give_the_same_numbers(monkeypatch):
    """A scipy that moved its private binom/nbinom quantiles falls back to scipy.stats, with the same numbers."""
    import sim.incidents as incidents

    fast = [(incidents.binom_ppf(q, 8, 0.3), incidents.nbinom_ppf(q, 2.5, 0.4)) for q in QS[:40]]
    monkeypatch.setattr(incidents, "_binom_ppf", None)
    monkeypatch.setattr(incidents, "_nbinom_ppf", None)
    slow = [(incidents.binom_ppf(q, 8, 0.3), incidents.nbinom_ppf(q, 2.5, 0.4)) for q in QS[:40]]
    assert all(same(a, b) and same(c, d) for (a, c), (b, d) in zip(fast, slow))


def test_the_distance_to_surgery_follows_the_surgical_units():
    """MedicalChain.to_surgery_km remembers distances only for the surgical units they were measured to."""
    model = PeacekeepingModel(scenario=load_scenario("scenarios/base.yaml"), seed=1)
    model.step()
    units = model.medical.surgical_units()
    lat, lon = 18.44, 1.41

    def fresh(units):
        return float(km_between(lat, lon, np.array([u[0] for u in units]), np.array([u[1] for u in units])).min())

    nearest = min(units, key=lambda u: float(km_between(lat, lon, *u)))
    fewer = [u for u in units if u != nearest]
    assert fewer
    assert model.medical.to_surgery_km(lat, lon, units) == fresh(units)
    assert model.medical.to_surgery_km(lat, lon, fewer) == fresh(fewer) > fresh(units)
    assert model.medical.to_surgery_km(lat, lon, units) == fresh(units)


def test_surveillance_takes_the_top_segments_ties_by_index():
    """AirProvider.watch's shortcuts (nothing watched yet; exactly k at the k-th value) pick the same segments as
    a plain ranking: highest priority first, ties by segment index, among the in-range segments not yet watched."""
    model = PeacekeepingModel(scenario=load_scenario("scenarios/base.yaml"), seed=1)
    model.step()
    provider = model.air._watchers[0]
    k = int(round(provider.surveillance_sorties() * provider.spec.segments_per_sortie))
    assert 0 < k < len(provider.surveillance_segments)
    rng = np.random.default_rng(3)
    n = model.roads.n
    for trial in range(300):
        ties = trial % 3
        priority = rng.integers(0, 4, n).astype(float) if ties else rng.random(n)
        watched = rng.random(n) < (0.3 if trial % 2 else 0.0)
        before = watched.astype(float)
        candidates = [s for s in provider.surveillance_segments if before[s] < 1.0]
        expected = before.copy()
        expected[sorted(candidates, key=lambda s: (-priority[s], s))[:k]] = 1.0
        got = before.copy()
        provider.watch(priority, got, none_watched=not watched.any())
        assert np.array_equal(got, expected)
        if not watched.any():
            looked = before.copy()
            provider.watch(priority, looked)
            assert np.array_equal(looked, expected)
