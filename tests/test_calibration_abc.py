"""Bayesian calibration (ABC-SMC): the distance, the posterior's summaries, resampling, a small recovery test, and
the report of a fit."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from calibration_fixtures import HOSTILE, write_abc_report
from sim.calibration import abc
from sim.calibration.fit_report import PREDICTIVE_FIGURE
from sim.calibration.config import Prior, load_calibration
from sim.calibration.posterior import recovery
from sim.calibration.targets import INTERVAL, RANGE, Target
from sim.output import RunOutput
from sim.runner import scenarios as runner_scenarios


def test_a_range_target_costs_nothing_inside_and_grows_outside():
    t = Target("x", "x", 0.5, 0.1, RANGE, 0.4, 0.6)
    assert abc.z_of(t, 0.45) == 0.0
    assert abc.z_of(t, 0.8) == pytest.approx(2.0)
    assert abc.z_of(Target("y", "y", 10.0, 2.0, INTERVAL), 6.0) == pytest.approx(-2.0)
    assert abc.z_of(t, math.nan) == 5.0


def test_the_distance_weighs_each_target():
    targets = [Target("a", "a", 0.0, 1.0, INTERVAL, weight=1.0), Target("b", "b", 0.0, 1.0, INTERVAL, weight=0.25)]
    assert abc.Distance(targets)({"a": 3.0, "b": 4.0}, {}) == pytest.approx(math.sqrt(9 + 4))


def test_weighted_quantiles_and_deterministic_resampling():
    particles = pd.DataFrame({"p": [1.0, 2.0, 3.0], "weight": [0.1, 0.1, 0.8]})
    assert abc.weighted_quantile(particles["p"], particles["weight"], 0.5) == 3.0
    a, b = abc.resample(particles, 200, seed=4), abc.resample(particles, 200, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert 0.74 < (a["p"] == 3.0).mean() < 0.86


def synthetic_run(scenario, seed) -> RunOutput:
    """A stand-in for the model whose deaths depend on one parameter (killed per detonation) plus noise."""
    rng = np.random.default_rng(seed)
    years = list(range(scenario.start.year, scenario.end.year + 1))
    rate = 30.0 * scenario.ieds.killed_per_detonation
    deaths = rng.poisson(rate, len(years))
    yearly = pd.DataFrame({"year": years, "days": 365, "hostile_deaths": deaths, "wounded": deaths * 4,
                           "died_of_wounds": deaths // 4, "ied_found": 10, "ied_detonated": 10, "patrols": 46 * 365})
    dates = [date(y, 6, 1 + i) for y, d in zip(years, deaths) for i in range(int(min(d, 25)))]
    incidents = pd.DataFrame({"date": pd.to_datetime(dates), "killed": 1, "died_of_wounds": 0,
                              "contingent": "Chad"})
    return RunOutput(yearly=yearly, daily=None, incidents=incidents)


@pytest.mark.parametrize("log", [False, True], ids=["uniform", "log-uniform"])
def test_abc_recovers_a_known_parameter_from_data_simulated_with_it(tmp_path, log):
    calibration = load_calibration()
    calibration.scenario = runner_scenarios.with_overrides(calibration.scenario, {"start": "2015-01-01",
                                                                                    "end": "2018-12-31"})
    calibration.parameters = {"ieds.killed_per_detonation": Prior(low=0.1, high=2.0, log=log)}
    calibration.integer = {}
    settings = abc.AbcSettings(population=20, generations=3, replications=1, max_simulations=400, seed=11)
    truth = {"ieds.killed_per_detonation": 0.8}
    years = abc.fit_years(calibration.targets, calibration.scenario)
    observed = abc.PatternModel(calibration, settings, years, synthetic_run).simulate(truth)
    result = abc.fit(calibration, settings, tmp_path, workers=1, observed=observed, run_fn=synthetic_run)
    table = recovery(result, truth)
    assert table["inside"].all(), table
    low, high = result.interval("ieds.killed_per_detonation")
    assert high - low < 1.0          # narrower than the prior (0.1-2.0): the data told the fit something
    assert result.particles["weight"].sum() == pytest.approx(1.0)
    # particles come back in the parameter's own unit, inside its prior, whether sampled as it or as its logarithm
    assert result.particles["ieds.killed_per_detonation"].between(0.1, 2.0).all()
    # each generation records its effective sample size, between 1 and the population
    generations = result.populations[result.populations["t"] >= 0]
    assert generations["ess"].between(1.0, settings.population + 1e-9).all()
    assert generations["ess"].iloc[0] == pytest.approx(settings.population)   # the first: equal weights


def test_a_log_scale_prior_is_sampled_as_its_logarithm():
    calibration = load_calibration()
    calibration.parameters = {"x": Prior(low=0.01, high=1.0, log=True), "y": Prior(low=2.0, high=4.0)}
    np.random.seed(3)
    prior = abc.prior(calibration)
    draws = pd.DataFrame([dict(prior.rvs()) for _ in range(2000)])
    natural = np.exp(draws["x"])
    assert natural.between(0.01, 1.0).all() and draws["y"].between(2.0, 4.0).all()
    assert 0.07 < natural.median() < 0.14        # log-uniform: the median is the geometric middle, 0.1
    assert abc.natural(calibration.parameters["x"], math.log(0.5)) == pytest.approx(0.5)
    assert abc.natural(calibration.parameters["y"], 3.0) == 3.0



@pytest.fixture
def abc_report(tmp_path):
    """A made-up fit's report: its Markdown and its page."""
    page = write_abc_report(tmp_path / "abc")
    return (tmp_path / "abc" / "calibration_report.md").read_text(), page.read_text()


def test_the_abc_report_leads_with_the_predictive_check(abc_report):
    markdown, page = abc_report
    assert page.index('id="headlines"') < page.index("<table")
    assert "<strong>1 of 2 calibration targets met by the posterior predictive check.</strong>" in page
    assert "Not met: wounded per hostile death 2014." in page
    assert markdown.splitlines()[2] == "**1 of 2 calibration targets met by the posterior predictive check.**"


def test_the_abc_report_embeds_its_figure_at_its_size_and_the_markdown_links_it(abc_report, tmp_path):
    markdown, page = abc_report
    assert (tmp_path / "abc" / PREDICTIVE_FIGURE).is_file()
    assert page.count('src="data:image/png;base64,') == 1
    assert 'width="1040"' in page  # 8 inches at 130 dpi
    assert f"]({PREDICTIVE_FIGURE})" in markdown


def test_the_abc_report_shows_a_parameter_name_as_text_not_markup(abc_report):
    _, page = abc_report
    assert "<script>" not in page
    assert "ieds.&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "0.10-10.0 (log)" in page  # its prior, beside it


def test_a_new_fit_replaces_the_report_an_earlier_version_wrote(tmp_path):
    (tmp_path / "abc").mkdir()
    (tmp_path / "abc" / "calibration_report.html").write_text("<!doctype html><html><body>old</body></html>")
    page = write_abc_report(tmp_path / "abc").read_text()
    assert "<body>old" not in page
    assert 'id="headlines"' in page
