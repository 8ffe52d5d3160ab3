"""The prediction ledger (``pkosim predict``) and its scoring (``pkosim score``): the weighted interval score on a
worked example, a ledger from short runs of the drawdown and withdrawal scenarios with the test posterior, and a
score against a MADE-UP observed file (tests/posterior_fixtures/observed_made_up.yaml: invented numbers, not
observations of 2021-2023)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml

from analysis.scoring import interval_score, weighted_interval_score, wis_parts
from pkosim.cli import main
from pkosim.ledger import MOVE_QUANTITIES, MOVES, YEARLY, load_ledger
from pkosim.score import load_observed, write_score
from sim.scenario import load_scenario, scenario_hash

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "posterior_fixtures"
OBSERVED = FIXTURES / "observed_made_up.yaml"
RECORD_MEAN_DEATHS = (28 + 12 + 27 + 24 + 11 + 22 + 6) / 7   # scenarios/calibration/targets_mali_2014_2020.yaml


# ------------------------------------------------------------------------------------------ the score itself

def test_the_interval_score_charges_the_width_and_2_over_alpha_per_unit_outside():
    assert interval_score(10, 5, 9, 0.5) == pytest.approx(4 + 4 * 1)
    assert interval_score(3, 5, 9, 0.1) == pytest.approx(4 + 20 * 2)
    assert interval_score(7, 5, 9, 0.1) == pytest.approx(4)


def test_the_worked_example_of_the_weighted_interval_score():
    # y = 10, median 7, 50% interval [5, 9], 90% interval [2, 13] (analysis/scoring.py):
    # (0.5 x |10 - 7| + 0.25 x IS_0.5 + 0.05 x IS_0.1) / (2 + 1/2) = (1.5 + 0.25 x 8 + 0.05 x 11) / 2.5 = 1.62
    parts = wis_parts(10, 7, {0.5: (5, 9), 0.1: (2, 13)})
    assert parts["wis"] == pytest.approx(1.62)
    assert parts["dispersion"] == pytest.approx(0.62)
    assert parts["underprediction"] == pytest.approx(1.0)
    assert parts["overprediction"] == 0.0


def test_an_observation_inside_every_interval_pays_only_for_width_and_distance_to_the_median():
    # (0.5 x 1 + 0.25 x 4 + 0.05 x 11) / 2.5 = 0.82
    assert weighted_interval_score(8, 7, {0.5: (5, 9), 0.1: (2, 13)}) == pytest.approx(0.82)


def test_a_point_forecast_scores_its_absolute_error():
    assert weighted_interval_score(10, 7, {}) == pytest.approx(3)
    assert weighted_interval_score(10, 7, {0.5: (7, 7), 0.1: (7, 7)}) == pytest.approx(3)


def test_an_interval_with_its_bounds_reversed_is_refused():
    with pytest.raises(ValueError):
        weighted_interval_score(1, 2, {0.5: (3, 1)})


# ---------------------------------------------------------------------------------------------- the ledger

@pytest.fixture(scope="module")
def ledger_path(tmp_path_factory):
    """A ledger from 3 replications of the two fixture scenarios (two months each) with the test posterior."""
    folder = tmp_path_factory.mktemp("predict")
    code = main(["predict", "--drawdown", str(FIXTURES / "drawdown_short.yaml"), "--withdrawal",
                 str(FIXTURES / "withdrawal_short.yaml"), "--replications", "3", "--workers", "1", "--quiet",
                 "--runs", str(folder / "runs"), "--out", str(folder / "ledger" / "predictions.yaml")])
    assert code == 0
    return folder / "ledger" / "predictions.yaml"


def test_the_ledger_predicts_every_quantity_of_every_year_and_both_withdrawals(ledger_path):
    ledger = load_ledger(ledger_path)
    expected = {f"{year}.{name}" for year in (2021, 2022, 2023) for name in YEARLY}
    expected |= {f"2023.{move}.{name}" for move in MOVES for name in MOVE_QUANTITIES}
    assert set(ledger.predictions) == expected


def test_the_ledger_records_commit_date_posterior_scenarios_and_replications(ledger_path):
    ledger = load_ledger(ledger_path)
    scenario = load_scenario(FIXTURES / "withdrawal_short.yaml")
    assert re.fullmatch(r"[0-9a-f]{40}", ledger.git.commit)
    assert ledger.written.year >= 2024
    assert ledger.posterior.draws_sha256 == scenario.posterior.draws_sha256
    assert ledger.posterior.sha256 == scenario.posterior.sha256
    assert ledger.scenarios["withdrawal_2023"].hash == scenario_hash(scenario)
    assert ledger.replications == 3
    assert ledger.scenarios["barkhane_drawdown_2021_2022"].runs_ok == 3


def test_a_prediction_over_part_of_a_year_says_which_days(ledger_path):
    prediction = load_ledger(ledger_path).predictions["2021.hostile_deaths"]
    assert (str(prediction.window.start), str(prediction.window.end)) == ("2021-12-01", "2021-12-31")
    assert "2021-12-01 to 2021-12-31" in prediction.note


def test_predict_never_replaces_a_ledger(ledger_path, capsys):
    before = ledger_path.read_bytes()
    assert main(["predict", "--out", str(ledger_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "never replaced" in err[0]
    assert ledger_path.read_bytes() == before


def test_predict_refuses_scenarios_without_a_posterior(tmp_path, capsys):
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(f"extends: {FIXTURES / 'drawdown_short.yaml'}\nposterior: null\n")
    assert main(["predict", "--drawdown", str(fixed), "--withdrawal", str(FIXTURES / "withdrawal_short.yaml"),
                 "--out", str(tmp_path / "l.yaml"), "--runs", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "draws no parameters from a posterior" in err[0]
    assert not (tmp_path / "runs").exists()


# ---------------------------------------------------------------------------------------------- the score

def test_score_says_inside_or_not_scores_the_model_and_the_baseline(ledger_path, tmp_path):
    table, paths, markdown = write_score(ledger_path, OBSERVED, out=tmp_path / "score")
    ledger = load_ledger(ledger_path)
    row = table.set_index("id").loc["2022.hostile_deaths"]
    p = ledger.predictions["2022.hostile_deaths"]
    assert bool(row["inside_90"]) == (p.interval_90[0] <= 40 <= p.interval_90[1])
    assert row["wis"] == pytest.approx(weighted_interval_score(40, p.median, {0.5: p.interval_50,
                                                                            0.1: p.interval_90}))
    assert row["baseline"] == pytest.approx(RECORD_MEAN_DEATHS * 31 / 365)   # January 2022 only
    assert row["baseline_wis"] == pytest.approx(abs(40 - RECORD_MEAN_DEATHS * 31 / 365))
    assert math.isnan(table.set_index("id").loc["2023.ied_met", "baseline_wis"])
    assert markdown.startswith("# Prediction score: ")
    assert paths["md"].read_text() == markdown


def test_the_score_names_quantities_without_baseline_and_those_not_observed(ledger_path, tmp_path):
    _table, _paths, markdown = write_score(ledger_path, OBSERVED, out=tmp_path)
    no_baseline = next(line for line in markdown.splitlines() if line.startswith("No baseline"))
    assert "wounded" in no_baseline and "kidal_to_gao.transit_days" in no_baseline
    assert "hostile_deaths" not in no_baseline
    assert "2021.wounded" in next(line for line in markdown.splitlines() if line.startswith("Not observed"))


def test_score_writes_a_self_contained_page(ledger_path, tmp_path, capsys):
    assert main(["score", str(ledger_path), str(OBSERVED), "--out", str(tmp_path)]) == 0
    page = (tmp_path / "score.html").read_text()
    assert "<title>pkosim score:" in page
    assert "2022.hostile_deaths" in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")
    assert main(["score", str(ledger_path), str(OBSERVED), "--out", str(tmp_path)]) == 0  # its own output: replaced


def test_score_never_writes_over_a_file_that_is_not_a_score(ledger_path, tmp_path, capsys):
    (tmp_path / "score.md").write_text("my notes\n")
    assert main(["score", str(ledger_path), str(OBSERVED), "--out", str(tmp_path)]) == 2
    assert (tmp_path / "score.md").read_text() == "my notes\n"
    assert not (tmp_path / "score.html").exists()


def test_an_observed_id_the_ledger_lacks_is_one_located_line_with_the_closest_id(ledger_path, tmp_path, capsys):
    bad = tmp_path / "observed.yaml"
    bad.write_text("observed:\n  2022.hostile_death: {value: 1, source: made up}\n")
    assert main(["score", str(ledger_path), str(bad), "--out", str(tmp_path / "s")]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert re.match(r".*observed\.yaml:2:\d+: observed\.2022\.hostile_death: not a prediction of the ledger "
                    r"\(did you mean '2022\.hostile_deaths'\?\)", line), line


@pytest.mark.parametrize("text, message", [
    ("observed:\n  2022.hostile_deaths: {value: 1}\n", "source"),
    ("observed:\n  2022.hostile_deaths: {value: 9, range: [1, 3], source: x}\n", "outside its range"),
    ("observed: {}\n", "observed"),
])
def test_a_bad_observed_file_is_one_line_and_exit_code_2(ledger_path, tmp_path, capsys, text, message):
    bad = tmp_path / "observed.yaml"
    bad.write_text(text)
    assert main(["score", str(ledger_path), str(bad), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_the_made_up_observed_file_says_it_is_made_up():
    text = OBSERVED.read_text()
    assert text.startswith("# MADE UP FOR TESTS")
    assert all(v["source"] == "made up for tests" for v in yaml.safe_load(text)["observed"].values())


def test_a_missing_ledger_is_one_line_and_exit_code_2(tmp_path, capsys):
    assert main(["score", str(tmp_path / "none.yaml"), str(OBSERVED), "--out", str(tmp_path)]) == 2
    assert "ledger not found" in capsys.readouterr().err


def test_the_made_up_observed_file_matches_ledger_ids(ledger_path):
    observed = load_observed(OBSERVED, load_ledger(ledger_path))
    assert "2023.kidal_to_gao.transit_days" in observed.observed
