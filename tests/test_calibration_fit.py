"""The fit on a tiny problem (the batch engine's stand-in model): it moves toward the truth, is reproducible, and
its parameter file re-loads when a scenario extends it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from calibration_fixtures import HOSTILE, write_fit_report
from sim.calibration.config import Calibration, Prior, check_parameters
from sim.calibration.fit import evaluate, fit
from sim.calibration.paramfile import nest, optuna_fit_line, rounded, write_parameters
from sim.calibration.report import check_batch, check_page, headline, not_met, read_batch, write_check
from sim.calibration.targets import Targets
from sim.errors import ScenarioError
from sim.runner.fakes import FakeIeds, FakeScenario, fake_simulate
from sim.runner.scenarios import with_overrides
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TRUTH = {"ieds.base_detection_probability": 0.3, "ieds.laid_per_day": 2.0}
# One identifiable parameter: the found share pins the detection probability (the fake's deaths trade
# laid_per_day against detection, a ridge a 6-trial fit cannot be asked to resolve).
PRIORS = {"ieds.base_detection_probability": Prior(low=0.02, high=0.95)}


def scenario() -> FakeScenario:
    """The fit starts from detection 0.8 (the scenario's value, tried first); the truth is 0.3."""
    return FakeScenario(start=dt.date(2014, 1, 1), end=dt.date(2014, 12, 31), replications=3, seed=11,
                        ieds=FakeIeds(base_detection_probability=0.8))


def targets_at_truth(tmp_path: Path) -> Targets:
    """A record made by the model itself at TRUTH: the fit should find its way back."""
    truth = Calibration(scenario=scenario(), targets=None, parameters={}, output=tmp_path / "x.yaml", replications=3)
    yearly, incidents = _tables(truth, tmp_path / "truth")
    deaths = yearly["hostile_deaths"].mean()
    wounded = ((yearly["wounded"] - yearly["died_of_wounds"]).sum() / yearly["hostile_deaths"].sum())
    found = yearly["ied_found"].sum() / (yearly["ied_found"] + yearly["ied_detonated"]).sum()
    return Targets.model_validate({
        "window": {"start": "2014-01-01", "end": "2014-12-31"},
        "hostile_deaths_per_year": {"source": "fake", "values": {2014: deaths}},
        "fatal_incidents_per_year": {"source": "fake", "values": {2014: 100}, "largest_incident_deaths": {2014: 3}},
        "hostile_deaths_by_nationality_2013_2020": {"source": "fake", "values": {"A": 1}},
        "wounded_per_hostile_death": {"source": "fake", "value": wounded, "range": [wounded - 0.05, wounded + 0.05]},
        "ied_found_before_detonation_share": {"source": "fake", "value": found, "range": [found - 0.02, found + 0.02]},
    })


def _tables(calibration, out):
    from sim.runner import run_batch

    [result] = run_batch([with_overrides(calibration.scenario, TRUTH)], out, workers=1, run_fn=fake_simulate)
    return read_batch(result.directory)


def calibration(tmp_path: Path, trials: int = 10) -> Calibration:
    sc = with_overrides(scenario(), {"ieds.laid_per_day": TRUTH["ieds.laid_per_day"]})
    return Calibration(scenario=sc, targets=targets_at_truth(tmp_path), parameters=PRIORS, trials=trials,
                       replications=3, seed=7, integer=check_parameters(sc, PRIORS),
                       output=tmp_path / "params" / "calibrated.yaml",
                       weights={"fatal_incidents_mean": 0, "largest_incident_deaths_mean": 0,
                                "largest_incident_deaths_max": 0})


def test_fit_moves_toward_the_truth_and_is_reproducible(tmp_path):
    cal = calibration(tmp_path)
    first = fit(cal, tmp_path / "a", run_fn=fake_simulate, quiet=True)
    objectives = [r.objective for r in first.trials]
    assert len(objectives) == 10 and first.objective == min(objectives)
    assert first.trials[0].values == {"ieds.base_detection_probability": 0.8}  # the starting point
    assert first.objective < sorted(objectives)[len(objectives) // 2]
    p = first.best_values["ieds.base_detection_probability"]
    assert abs(p - TRUTH["ieds.base_detection_probability"]) < 0.1, first.best_values
    truth_value, _, _ = evaluate(cal, TRUTH, tmp_path / "truth-eval", run_fn=fake_simulate)
    # Same seeds every trial (common random numbers): the truth reproduces its own record exactly.
    assert truth_value < 0.05 and truth_value < first.objective
    second = fit(cal, tmp_path / "b", run_fn=fake_simulate, quiet=True)
    assert second.best_values == first.best_values and second.objective == first.objective


def test_progress_lines(tmp_path, capsys):
    import sys

    fit(calibration(tmp_path, trials=2), tmp_path / "p", run_fn=fake_simulate, stream=sys.stdout)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("trial 1/2: objective ")


def test_unknown_parameter_and_bad_prior():
    with pytest.raises(ScenarioError, match=r"did you mean 'ieds.laid_per_day'"):
        check_parameters(scenario(), {"ieds.laid_per_dya": Prior(low=1, high=2)})
    real = load_scenario(ROOT / "scenarios/history_2014_2020.yaml")
    with pytest.raises(ScenarioError, match="high = 2 is not a valid value: must be <= 1"):
        check_parameters(real, {"ieds.base_detection_probability": Prior(low=0.1, high=2)})
    with pytest.raises(ValueError, match="must be below high"):
        Prior(low=2, high=1)


def test_parameter_file_reloads_when_extended(tmp_path):
    cal = calibration(tmp_path, trials=1)
    result = fit(cal, tmp_path / "fit", run_fn=fake_simulate, quiet=True)
    # The fake's parameter paths are not in the real schema: write real ones with the same machinery.
    result.best.values = {"ieds.killed_per_detonation": 0.83456, "armed_groups.jnim.ieds_per_week": 2.0411,
                          "convoys.max_trucks_per_convoy": 61}
    cal.integer = {"convoys.max_trucks_per_convoy": True}
    (tmp_path / "base.yaml").write_text(
        "name: base\nstart: 2014-01-01\nend: 2014-12-31\narmed_groups:\n  jnim: {sectors: [North]}\n")
    written = write_parameters(result.calibration, result.best_values, fit_line=optuna_fit_line(result),
                               table=result.table, path=tmp_path / "params" / "calibrated.yaml",
                               base=tmp_path / "base.yaml")
    text = written.read_text()
    assert text.startswith("# yaml-language-server: $schema=../scenario.schema.json\n")
    assert "extends: ../base.yaml\nname: calibrated\n" in text and "# Fit per target" in text
    (tmp_path / "history.yaml").write_text("extends: params/calibrated.yaml\nname: history\n")
    loaded = load_scenario(tmp_path / "history.yaml")
    assert loaded.ieds.killed_per_detonation == 0.835
    assert loaded.armed_groups["jnim"].ieds_per_week == 2.04
    assert loaded.armed_groups["jnim"].sectors == ("North",)  # merged with the base, not replaced
    assert loaded.convoys.max_trucks_per_convoy == 61


def test_rounding_and_nesting():
    assert rounded(0.0123456) == 0.0123 and rounded(1234.5) == 1230.0 and rounded(4.6, integer=True) == 5
    assert nest({"a.b": 1, "a.c.d": 2, "e": 3}) == {"a": {"b": 1, "c": {"d": 2}}, "e": 3}


@pytest.fixture
def far_batch(tmp_path):
    """A batch far from the targets, and the targets file."""
    cal = calibration(tmp_path, trials=1)
    _, _, batch = evaluate(cal, {"ieds.base_detection_probability": 0.9}, tmp_path / "far", run_fn=fake_simulate)
    targets_file = tmp_path / "targets.yaml"
    import yaml

    targets_file.write_text(yaml.safe_dump(cal.targets.model_dump(mode="json")))
    return batch, targets_file


def test_write_check_for_a_batch_opens_with_its_headline(far_batch, tmp_path):
    batch, targets_file = far_batch
    path = write_check(batch, targets_file, tmp_path / "check")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# Observed against simulated, 20")
    table = check_batch(batch, targets_file)
    assert lines[2] == f"**{headline(table)}** Not met: {'; '.join(not_met(table))}."
    whole = table[table["year"].isna()]
    assert headline(table) == f"{int(whole['met'].sum())} of {len(whole)} calibration targets met."
    assert any("hostile deaths per year, mean 2014" in line for line in lines)
    assert isinstance(pd.read_parquet(batch / "yearly.parquet"), pd.DataFrame)


def test_the_check_page_is_built_from_the_report_templates_headline_first(far_batch, tmp_path):
    from pkosim.study import _write_check_page

    batch, targets_file = far_batch
    table = check_batch(batch, targets_file)
    page = _write_check_page(check_page(table, batch, targets_file), tmp_path / "calibration_check.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and '<meta name="generator" content="pkosim' in page
    assert page.index('id="headlines"') < page.index("<table")
    assert headline(table).replace("'", "&#39;") in page
    assert page.count('<tr class="bad">') >= len(not_met(table)) > 0  # the targets missed, and the years with one


@pytest.fixture
def fit_report(far_batch, tmp_path):
    """The report of a fit whose best trial is the far batch: its table, Markdown and page."""
    batch, targets_file = far_batch
    table = check_batch(batch, targets_file)
    page = write_fit_report(table, tmp_path / "fit")
    return table, (tmp_path / "fit" / "calibration_report.md").read_text(), page.read_text()


def test_the_fit_report_is_rendered_from_the_report_templates_headline_first(fit_report):
    table, _, page = fit_report
    assert page.startswith("<!DOCTYPE html>")
    assert "section.headlines {" in page  # the stylesheet every page shares (base.html.j2)
    assert page.index('id="headlines"') < page.index("<table")
    assert f"<strong>{headline(table)}</strong>".replace("'", "&#39;") in page
    assert page.count('<tr class="bad">') >= len(not_met(table)) > 0


def test_the_fit_report_shows_a_parameter_name_as_text_not_markup(fit_report):
    _, markdown, page = fit_report
    assert "<script>" not in page
    assert "ieds.&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert HOSTILE in markdown  # Markdown is text: the name as given


def test_the_fit_report_markdown_leads_with_the_same_headline(fit_report):
    table, markdown, _ = fit_report
    lines = markdown.splitlines()
    assert lines[0] == "# Calibration: observed against simulated"
    assert lines[2] == f"**{headline(table)}**"
    assert "Best trial 3 of 4: objective 2." in markdown
    assert "## Per year" in markdown
