"""The statistics behind every table and figure, checked against hand computations with scipy."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from analysis import stats


def test_mean_ci_matches_scipy_t_interval():
    x = np.array([3.0, 5.0, 4.0, 8.0, 6.0, 7.0])
    m, lo, hi = stats.mean_ci(x)
    want = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert m == pytest.approx(x.mean())
    assert (lo, hi) == pytest.approx(want)


def test_paired_interval_matches_hand_computation():
    a = np.array([10.0, 12.0, 9.0, 14.0, 11.0, 13.0, 10.5])
    b = np.array([8.0, 11.0, 7.5, 12.0, 10.0, 11.0, 9.0])
    d = b - a
    half = sps.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    got = stats.paired_difference(a, b)
    assert got["n_pairs"] == 7
    assert got["diff"] == pytest.approx(d.mean())
    assert got["ci_low"] == pytest.approx(d.mean() - half)
    assert got["ci_high"] == pytest.approx(d.mean() + half)
    # and the same as scipy's paired t-test interval
    ci = sps.ttest_rel(b, a).confidence_interval(0.95)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_welch_interval_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 15), rng.normal(1, 3, 25)
    got = stats.welch_difference(a, b)
    ci = sps.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_paired_narrower_than_unpaired_when_runs_share_noise():
    rng = np.random.default_rng(7)
    shared = rng.normal(0, 5, 30)  # per-run noise common to both scenarios (common random numbers)
    a = 20 + shared + rng.normal(0, 0.5, 30)
    b = 18 + shared + rng.normal(0, 0.5, 30)
    p, w = stats.paired_difference(a, b), stats.welch_difference(a, b)
    assert p["ci_high"] - p["ci_low"] < 0.3 * (w["ci_high"] - w["ci_low"])
    assert p["ci_low"] < -2 < p["ci_high"]


def test_nan_values_are_dropped_pairwise():
    got = stats.paired_difference([1.0, np.nan, 3.0, 4.0], [2.0, 5.0, np.nan, 6.0])
    assert got["n_pairs"] == 2 and got["diff"] == pytest.approx(1.5)


def test_describe_and_too_few_values():
    d = stats.describe(np.arange(101.0))
    assert (d["p5"], d["median"], d["p95"], d["n"]) == (5.0, 50.0, 95.0, 101)
    m, lo, hi = stats.mean_ci([4.0])
    assert m == 4.0 and math.isnan(lo) and math.isnan(hi)


def test_halfwidth_shrinks_with_replications():
    x = np.random.default_rng(3).normal(10, 2, 40)
    t = stats.ci_halfwidth_by_n(x)
    assert list(t["n"]) == list(range(1, 41))
    assert math.isnan(t["half_width"].iloc[0])
    assert t["half_width"].iloc[-1] < t["half_width"].iloc[4]
