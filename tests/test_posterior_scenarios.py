"""Scenarios that draw their parameters from a posterior (``posterior:``, sim/scenario/posterior.py): where the file
is found, what the scenario records, one located line for a bad file, replication k with draw k in every scenario
and design point, and calibration's own runs never drawing from it. The posterior is the hand-made test fixture in
tests/posterior_fixtures/ (not a fit)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pkosim.cli import main
from sim.calibration import abc
from sim.calibration.config import load_calibration
from sim.calibration.fit import evaluate
from sim.errors import ScenarioError
from sim.runner import run_batch
from sim.runner.fakes import FakeIeds, FakeRange, FakeScenario, FakeSweep, fake_simulate
from sim.runner.plan import plan_resume
from sim.runner.scenarios import for_replication
from sim.scenario import load_scenario, scenario_hash, with_overrides
from sim.scenario.posterior import PosteriorDraws

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "posterior_fixtures"
DRAWS = pd.read_csv(FIXTURES / "posterior_draws.csv")


def write_posterior(folder: Path, draws: str | None = None, yaml_text: str | None = None) -> Path:
    """A copy of the fixture posterior in ``folder``, with its draws CSV or its YAML replaced when given."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "posterior.yaml", folder / "posterior.yaml")
    shutil.copy(FIXTURES / "posterior_draws.csv", folder / "posterior_draws.csv")
    if draws is not None:
        (folder / "posterior_draws.csv").write_text(draws)
    if yaml_text is not None:
        (folder / "posterior.yaml").write_text(yaml_text)
    return folder / "posterior.yaml"


def scenario_file(path: Path, posterior_line: str, extends: Path = ROOT / "scenarios" / "withdrawal_2023.yaml") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"extends: {extends}\nname: with_posterior\n{posterior_line or 'posterior: null'}\n")
    return path


# ------------------------------------------------------------------------------------------------ the key

def test_a_posterior_path_is_relative_to_the_file_that_sets_it_and_children_inherit_it(tmp_path):
    write_posterior(tmp_path / "params" / "fit")
    parent = scenario_file(tmp_path / "params" / "parent.yaml", "posterior: fit/posterior.yaml")
    child = tmp_path / "elsewhere" / "child.yaml"
    child.parent.mkdir()
    child.write_text("extends: ../params/parent.yaml\nname: child\n")
    scenario = load_scenario(child)
    assert scenario.posterior.size == 4
    assert Path(scenario.posterior.file).resolve() == (tmp_path / "params" / "fit" / "posterior.yaml").resolve()
    assert scenario.posterior.draws["ieds.killed_per_detonation"] == tuple(DRAWS["ieds.killed_per_detonation"])
    assert load_scenario(parent).posterior == scenario.posterior


def test_posterior_null_in_a_child_switches_it_off(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {FIXTURES / 'withdrawal_short.yaml'}\nposterior: null\n")
    assert load_scenario(child).posterior is None


def test_the_scenario_hash_records_which_posterior_and_none_leaves_it_unchanged(tmp_path):
    write_posterior(tmp_path / "a")
    write_posterior(tmp_path / "b", draws="ieds.killed_per_detonation\n0.3\n")
    with_a = load_scenario(scenario_file(tmp_path / "a" / "s.yaml", "posterior: posterior.yaml"))
    with_b = load_scenario(scenario_file(tmp_path / "b" / "s.yaml", "posterior: posterior.yaml"))
    without = load_scenario(scenario_file(tmp_path / "c" / "s.yaml", ""))
    assert scenario_hash(with_a) != scenario_hash(with_b)
    assert scenario_hash(with_a) != scenario_hash(without)
    assert scenario_hash(without) == scenario_hash(with_overrides(with_a, {"posterior": None}))


BAD = {
    "missing file": ("posterior: nowhere.yaml", None, None, "nowhere.yaml not found"),
    "not a path": ("posterior: 3", None, None, "must be the path of a posterior file"),
    "no draws key": ("posterior: fit/posterior.yaml", None, "method: x\n", "draws: must name the CSV"),
    "not a number": ("posterior: fit/posterior.yaml", "ieds.killed_per_detonation\n0.2\nabc\n", None,
                     "line 3, column ieds.killed_per_detonation: 'abc' is not a finite number"),
    "no rows": ("posterior: fit/posterior.yaml", "ieds.killed_per_detonation\n", None, "holds no draws"),
    "unknown parameter": ("posterior: fit/posterior.yaml", "ieds.killed_per_detonatoin\n0.2\n", None,
                          "'ieds.killed_per_detonatoin', which is not a numeric parameter"),
    "out of range": ("posterior: fit/posterior.yaml", "ieds.base_detection_probability\n0.2\n1.5\n", None,
                     "do not fit the scenario: ieds.base_detection_probability"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_posterior_is_one_located_line_and_exit_code_2(case, tmp_path, capsys, monkeypatch):
    line, draws, yaml_text, message = BAD[case]
    write_posterior(tmp_path / "fit", draws, yaml_text)
    path = scenario_file(tmp_path / "s.yaml", line)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "s.yaml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("s.yaml:3:"), err
    assert ": posterior: " in err[0]
    assert message in err[0]
    assert len(err) == 2 and "Traceback" not in "\n".join(err)  # the line, and "1 of 1 file(s) invalid"
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_a_bad_posterior_does_not_hide_the_scenarios_other_problems(tmp_path):
    path = scenario_file(tmp_path / "s.yaml", "posterior: nowhere.yaml\nseed: -1")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    keys = [problem.key for problem in raised.value.problems]
    assert keys == ["posterior", "seed"]
    assert "nowhere.yaml not found" in raised.value.problems[0].message


def test_show_gives_the_posterior_by_its_file_and_size_not_every_draw(capsys):
    assert main(["show", str(FIXTURES / "withdrawal_short.yaml")]) == 0
    out = capsys.readouterr().out
    header = [line for line in out.splitlines() if line.startswith("# posterior: ")]
    assert len(header) == 1 and "4 draws of 3 parameters" in header[0] and "sha256 " in header[0]
    shown = yaml.safe_load(out)["posterior"]
    assert Path(shown).resolve() == (FIXTURES / "posterior.yaml").resolve()   # a path: the YAML loads back


# ------------------------------------------------------------------------------------- replications and draws

def test_replication_k_runs_with_draw_k_modulo_the_number_of_draws():
    scenario = load_scenario(FIXTURES / "withdrawal_short.yaml")
    for k in range(9):
        run = scenario.for_replication(k)
        assert run.ieds.killed_per_detonation == DRAWS["ieds.killed_per_detonation"][k % 4]
        assert run.armed_groups["jnim"].ieds_per_week == DRAWS["armed_groups.jnim.ieds_per_week"][k % 4]
        assert run.posterior is None
    assert load_scenario(ROOT / "scenarios" / "withdrawal_2023.yaml").for_replication(3).posterior is None


def test_a_parameter_the_sweep_varies_keeps_the_design_points_value(tmp_path):
    path = tmp_path / "swept.yaml"
    path.write_text(f"extends: {FIXTURES / 'withdrawal_short.yaml'}\n"
                    "sweep: {method: grid, parameters: {ieds.killed_per_detonation: {values: [0.7, 0.9]}}}\n")
    point = with_overrides(load_scenario(path), {"ieds.killed_per_detonation": 0.9})
    run = point.for_replication(2)
    assert run.ieds.killed_per_detonation == 0.9
    assert run.armed_groups["jnim"].ieds_per_week == DRAWS["armed_groups.jnim.ieds_per_week"][2]


FAKE_POSTERIOR = PosteriorDraws(file="fake/posterior.yaml", sha256="0" * 64, draws_file="posterior_draws.csv",
                                draws_sha256="1" * 64, draws={"ieds.base_detection_probability": (0.1, 0.3, 0.5)})


def recording_simulate(scenario, seed):
    """The fake model, recording in its yearly table the detection probability the run was given."""
    output = fake_simulate(scenario, seed)
    output.yearly["drawn_detection"] = scenario.ieds.base_detection_probability
    output.yearly["laid_per_day"] = scenario.ieds.laid_per_day
    return output


def test_replication_k_of_every_scenario_and_design_point_shares_draw_k_and_seed_k(tmp_path):
    base = FakeScenario(name="base", replications=5, posterior=FAKE_POSTERIOR)
    variant = FakeScenario(name="variant", replications=5, posterior=FAKE_POSTERIOR, ieds=FakeIeds(laid_per_day=3.0),
                           sweep=FakeSweep(method="grid", parameters={"ieds.laid_per_day": FakeRange(values=[1, 3])}))
    run_batch([base, variant], tmp_path, workers=1, run_fn=recording_simulate)
    for name, points in (("base", 1), ("variant", 2)):
        yearly = pd.read_parquet(tmp_path / name / "yearly.parquet")
        by_run = yearly.groupby(["point", "run"]).agg(drawn=("drawn_detection", "first"), seed=("seed", "first"),
                                                      laid=("laid_per_day", "first")).reset_index()
        assert len(by_run) == 5 * points
        assert (by_run["drawn"] == [(0.1, 0.3, 0.5)[k % 3] for k in by_run["run"]]).all()
        assert (by_run["seed"] == [f"20140101/{k}" for k in by_run["run"]]).all()
    variant_runs = pd.read_parquet(tmp_path / "variant" / "yearly.parquet").groupby("point")["laid_per_day"].first()
    assert variant_runs.tolist() == [1.0, 3.0]  # the design point's value, on top of the draw


def test_a_batch_records_its_posterior_in_the_manifest_and_resumes_from_it(tmp_path):
    [result] = run_batch([FakeScenario(name="base", replications=2, posterior=FAKE_POSTERIOR)], tmp_path, workers=1)
    manifest = json.loads((result.directory / "manifest.json").read_text())
    assert manifest["scenario"]["posterior"]["draws_sha256"] == "1" * 64
    assert manifest["scenario"]["posterior"]["draws"] == {"ieds.base_detection_probability": [0.1, 0.3, 0.5]}
    [plan] = plan_resume([result.directory])
    assert plan.scenario.posterior == FAKE_POSTERIOR
    assert for_replication(plan.scenario, 4).ieds.base_detection_probability == 0.3


def test_a_batch_without_posterior_stores_no_posterior_key(tmp_path):
    [result] = run_batch([FakeScenario(name="base", replications=1)], tmp_path, workers=1)
    assert "posterior" not in json.loads((result.directory / "manifest.json").read_text())["scenario"]


# ---------------------------------------------------------------------------------------- calibration

def history_with_posterior(folder: Path):
    """The history scenario over 2015-2016, drawing from the test posterior."""
    path = folder / "history.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'history_2014_2020.yaml'}\nposterior: "
                    f"{FIXTURES / 'posterior.yaml'}\nstart: 2015-01-01\nend: 2016-12-31\n")
    return load_scenario(path)


def test_calibration_particles_never_draw_from_a_posterior(tmp_path):
    calibration = load_calibration()
    calibration.scenario = history_with_posterior(tmp_path)
    model = abc.PatternModel(calibration, abc.AbcSettings(replications=1), [2015, 2016])
    assert calibration.scenario.posterior is not None
    assert model.scenario.posterior is None


def test_calibration_trials_run_their_own_values_not_the_posteriors(tmp_path):
    from tests.test_calibration_abc import synthetic_run

    seen = []

    def run(scenario, seed):
        seen.append(scenario.ieds.killed_per_detonation)
        return synthetic_run(scenario, seed)

    calibration = load_calibration()
    calibration.scenario = history_with_posterior(tmp_path)
    calibration.replications = 3
    evaluate(calibration, {"ieds.killed_per_detonation": 0.77}, tmp_path / "trial", workers=1, run_fn=run)
    assert seen == [0.77, 0.77, 0.77]


def test_a_scenario_that_sets_a_fitted_parameter_keeps_it_in_every_replication(tmp_path):
    """A counterfactual's deliberate change (deadlier devices) is pinned: the posterior's draws do not undo it,
    while the parameters it leaves alone still come from the draws."""
    fixtures = Path(__file__).parent / "posterior_fixtures"
    deadlier = tmp_path / "deadlier.yaml"
    deadlier.write_text(f"extends: {fixtures / 'withdrawal_short.yaml'}\nname: deadlier\n"
                        "ieds:\n  killed_per_detonation: 2.5\n")
    scenario, parent = load_scenario(deadlier), load_scenario(fixtures / "withdrawal_short.yaml")
    assert scenario.posterior.pinned == ("ieds.killed_per_detonation",) and parent.posterior.pinned == ()
    for k in range(4):
        assert scenario.for_replication(k).ieds.killed_per_detonation == 2.5
        assert (scenario.for_replication(k).armed_groups["jnim"].ieds_per_week
                == parent.for_replication(k).armed_groups["jnim"].ieds_per_week)
    assert len({parent.for_replication(k).ieds.killed_per_detonation for k in range(4)}) == 4
