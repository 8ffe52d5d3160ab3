"""Headline findings (analysis/headlines.py): the sentences a report opens with, on synthetic comparison tables."""

from __future__ import annotations

import math

import pandas as pd

from analysis import headlines
from analysis.compare import COMPARE_COLUMNS
from analysis.metrics import metric


def row(name: str, diff: float, low: float, high: float, *, scenario: str = "cf_barkhane_stays", n: int = 100,
        sd: float = 1.0, mean_baseline: float = 10.0) -> dict:
    return {"baseline": "drawdown", "scenario": scenario, "metric": name, "unit": metric(name).unit, "year": "all",
            "n_pairs": n, "mean_baseline": mean_baseline, "mean_scenario": mean_baseline + diff, "diff": diff,
            "ci_low": low, "ci_high": high, "relative_diff": diff / mean_baseline, "welch_ci_low": low - 1,
            "welch_ci_high": high + 1, "narrowing": 0.5, "sd_diff": sd}


def table(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COMPARE_COLUMNS)


def sentence(*rows: dict, **kwargs) -> str:
    return headlines.headline_findings(table(*rows), **kwargs)[0].sentence


def test_a_clear_reduction_in_deaths_is_said_with_its_interval():
    text = sentence(row("hostile_deaths", -2.3, -3.4, -1.2))
    assert text.startswith("2.3 fewer peacekeepers killed per year (95% CI 1.2 to 3.4)")


def test_an_interval_that_includes_zero_is_no_clear_effect():
    text = sentence(row("hostile_deaths", -0.8, -1.9, 0.3))
    assert text.startswith("No clear effect on peacekeepers killed (-0.80 per year, 95% CI -1.9 to +0.30)")


def test_identical_runs_are_no_effect_not_a_zero_width_interval():
    found = headlines.headline_findings(table(row("hostile_deaths", 0.0, 0.0, 0.0, sd=0.0)))[0]
    assert found.sentence == "No effect on peacekeepers killed: the same in every replication."
    assert found.identical
    assert not found.clear


def test_rounding_noise_in_a_metric_that_never_varies_is_still_identical():
    noisy = row("coverage", 1e-18, -1e-18, 3e-18, sd=1e-18, mean_baseline=0.215)
    assert headlines.is_identical(noisy)
    assert not headlines.is_clear(noisy)


def test_deaths_of_wounds_that_carry_most_of_the_effect_are_named():
    text = sentence(row("hostile_deaths", -2.0, -3.0, -1.0), row("died_of_wounds", -1.6, -2.4, -0.8),
                    row("killed_in_action", -0.4, -1.1, 0.3))
    assert "mostly through fewer deaths of wounds" in text


def test_a_part_below_the_mostly_share_is_not_named():
    text = sentence(row("hostile_deaths", -2.0, -3.0, -1.0), row("died_of_wounds", -1.0, -1.8, -0.2),
                    row("killed_in_action", -1.0, -1.8, -0.2))
    assert "mostly" not in text


def test_a_part_without_a_clear_interval_is_not_named():
    text = sentence(row("hostile_deaths", -2.0, -3.0, -1.0), row("deaths_ambush", -1.8, -3.9, 0.3))
    assert "mostly" not in text


def test_a_cause_that_carries_most_of_the_effect_is_named():
    text = sentence(row("hostile_deaths", -2.0, -3.0, -1.0), row("deaths_ambush", -1.5, -2.2, -0.8),
                    row("deaths_ied", -0.5, -1.2, 0.2))
    assert "mostly in ambushes" in text


def test_other_clear_effects_follow_an_unclear_lead():
    text = sentence(row("hostile_deaths", -0.5, -1.5, 0.5), row("ied_detonated", -3.6, -5.3, -1.9),
                    row("wounded", -1.0, -4.0, 2.0))
    assert "; clear effects: 3.6 fewer IED detonations per year (95% CI 1.9 to 5.3)" in text
    assert "wounded" not in text


def test_shares_are_given_in_percentage_points():
    text = sentence(row("hostile_deaths", -2.0, -3.0, -1.0),
                    row("medevac_within_2h_share", 0.155, 0.123, 0.187, mean_baseline=0.66))
    assert "share of wounded in surgery within 2 hours up 16 percentage points (95% CI 12 to 19)" in text


def test_a_short_window_gives_totals_over_the_window():
    text = sentence(row("hostile_deaths", -1.15, -2.0, -0.3), window_days=184)
    assert text.startswith("0.58 fewer peacekeepers killed over the 184-day window (95% CI 0.15 to 1.0)")


def test_every_scenario_gets_one_finding_in_order():
    found = headlines.headline_findings(table(row("hostile_deaths", -2.0, -3.0, -1.0, scenario="b"),
                                              row("hostile_deaths", 1.0, 0.5, 1.5, scenario="a")),
                                        descriptions={"b": "Drawdown but France stays. More text."})
    assert [f.scenario for f in found] == ["b", "a"]
    assert found[0].subject == "Drawdown but France stays"
    assert found[1].subject == "A"
    assert found[1].sentence.startswith("1.0 more peacekeepers killed per year")


def test_too_few_replications_and_missed_targets_are_caveats():
    notes = headlines.caveats(table(row("hostile_deaths", -2.0, -3.0, -1.0, n=5)),
                              calibration_missed=["deaths per year"], calibration_targets=9)
    assert notes[0].startswith("The model misses 1 of 9 calibration targets (deaths per year)")
    assert notes[1].startswith("Only 5 paired replications per scenario")


def test_enough_replications_give_no_caveat():
    assert headlines.caveats(table(row("hostile_deaths", -2.0, -3.0, -1.0, n=100))) == []


def test_a_single_pair_cannot_tell():
    text = sentence(row("hostile_deaths", -2.0, math.nan, math.nan, n=1, sd=math.nan))
    assert text.startswith("Too few replications to tell an effect on peacekeepers killed")


def test_sentence_numbers_have_two_significant_figures():
    assert [headlines.fmt(v) for v in (2.345, 0.5812, 15.5, 71_304.0, 0.0)] == ["2.3", "0.58", "16", "71,000", "0"]


def test_an_interval_gets_the_figures_it_needs_to_show_two_bounds():
    assert headlines.interval(3870.0, 3910.0) == "95% CI 3,870 to 3,910"
