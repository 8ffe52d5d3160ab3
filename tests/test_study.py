"""`pkosim study`: a whole study from one file, paired groups, reports, and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pkosim.cli import main
from pkosim.study import load_study, run_study
from sim.errors import PkosimError, ScenarioError

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
POSTERIOR = Path(__file__).resolve().parent / "posterior_fixtures" / "posterior.yaml"  # a test fixture, not a fit


def _write_study(folder: Path, *, alt_seed: int | None = None, posterior: bool = False) -> Path:
    base = SCENARIOS / "base.yaml"
    posterior_line = f"posterior: {POSTERIOR}\n" if posterior else ""
    (folder / "short.yaml").write_text(
        f"extends: {base}\nname: short\nstart: 2021-01-01\nend: 2021-02-28\nreplications: 3\n" + posterior_line
    )
    seed_line = f"seed: {alt_seed}\n" if alt_seed is not None else ""
    (folder / "short_no_barkhane.yaml").write_text(
        "extends: short.yaml\nname: short_no_barkhane\n" + seed_line +
        "events:\n  leave_gao: {date: 2021-01-02, action: french_base_left, base: Gao}\n"
    )
    study = folder / "study.yaml"
    study.write_text(
        "name: tiny\ndescription: two short scenarios\nreplications: 3\n"
        "groups:\n  - baseline: short.yaml\n    alternatives: [short_no_barkhane.yaml]\n"
    )
    return study


def test_study_runs_every_scenario_and_writes_paired_comparison_and_reports(tmp_path):
    study = _write_study(tmp_path, posterior=True)
    index = run_study(study, tmp_path / "out", workers=1, quiet=True)
    folder = index.parent
    assert (tmp_path / "out" / "latest").resolve() == folder.resolve()
    for name in ("short", "short_no_barkhane"):
        yearly = pd.read_parquet(folder / "batches" / name / "yearly.parquet")
        assert sorted(yearly["run"].unique()) == [0, 1, 2]
    comparison = pd.read_csv(folder / "comparisons" / "short" / "comparison.csv")
    assert set(comparison["scenario"]) == {"short_no_barkhane"}
    counts = comparison[comparison["metric"].isin(["hostile_deaths", "wounded", "convoys_attacked"])]
    assert (counts["n_pairs"] == 3).all()                 # shares are undefined (NaN) in a run without wounded
    assert (comparison["n_pairs"] <= 3).all()
    report = (folder / "report_short.html").read_text()
    assert "short_no_barkhane" in report and "<img" in report
    page = index.read_text()
    assert 'href="report_short.html"' in page
    assert 'href="summary.csv"' in page
    assert 'id="headlines"' in page and "two short scenarios" in page  # the study's question, then its answers
    assert not re.search(r'href="[^"]*\.md"', page)  # raw Markdown is not a page to open in a browser
    # both scenarios drew replication k's parameters from posterior draw k: every page says what the intervals hold
    assert "intervals: chance and parameter uncertainty" in page
    assert "Intervals include chance and parameter uncertainty" in report
    assert "chance and parameter uncertainty" in (folder / "summary.md").read_text()


def test_a_second_study_never_overwrites_the_first(tmp_path):
    study = _write_study(tmp_path)
    first = run_study(study, tmp_path / "out", workers=1, quiet=True, replications=1)
    first_bytes = (first.parent / "summary.csv").read_bytes()
    import time

    time.sleep(1.1)  # folders are stamped to the second
    second = run_study(study, tmp_path / "out", workers=1, quiet=True, replications=1)
    assert first.parent != second.parent
    assert (first.parent / "summary.csv").read_bytes() == first_bytes


def test_groups_whose_seeds_differ_cannot_be_paired(tmp_path):
    study = _write_study(tmp_path, alt_seed=99)
    with pytest.raises(ScenarioError, match="share a root seed"):
        load_study(study)


def test_study_file_errors_are_one_located_line(tmp_path, capsys):
    study = tmp_path / "study.yaml"
    study.write_text("name: bad\ngroupz: []\n")
    assert main(["study", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert any(line.startswith(f"{study}:2:1: groupz: unknown key") for line in err), err
    assert main(["study", str(tmp_path / "missing.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_calibration_check_must_name_a_study_scenario(tmp_path, capsys):
    study = _write_study(tmp_path)
    study.write_text(study.read_text() + "calibration_check:\n  scenario: other.yaml\n  targets: t.yaml\n")
    assert main(["study", str(study), "--out", str(tmp_path / "out")]) == 2
    assert f"{study}:8:3: calibration_check.scenario: 'other.yaml' is not one of the study's scenarios" in capsys.readouterr().err


def test_standard_study_file_is_valid_and_pairs_every_counterfactual(monkeypatch):
    monkeypatch.chdir(SCENARIOS.parent)               # as `make run` loads it: by a relative path
    study, groups, _ = load_study(Path("scenarios/studies/standard.yaml"))
    assert study.calibration_check is not None
    names = {s.name for base, alts in groups for s in (base, *alts)}
    counterfactuals = {p.stem for p in SCENARIOS.glob("cf_*.yaml")}
    assert counterfactuals <= names, "every counterfactual belongs to the standard study"
    assert {"history_2014_2020", "barkhane_drawdown_2021_2022", "withdrawal_2023"} <= names



def test_impossible_replications_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(PkosimError, match="replications must be >= 1, got 0"):
        run_study(SCENARIOS / "studies" / "standard.yaml", tmp_path / "out", replications=0)
    assert not (tmp_path / "out").exists()


def _failing_run_batch(*args, **kwargs):
    """The study's runner with a model whose run 1 of every batch fails."""
    from sim.runner import run_batch
    from sim.simulation import simulate

    def fail_run_1(scenario, seed):
        if seed.spawn_key[-1] == 1:
            raise ZeroDivisionError("run 1 divides by zero")
        return simulate(scenario, seed)

    return run_batch(*args, **kwargs, run_fn=fail_run_1)


def test_a_study_with_failed_runs_is_written_and_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("pkosim.study.run_batch", _failing_run_batch)
    study = _write_study(tmp_path)
    assert main(["study", str(study), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "pkosim study: 2 run(s) failed; the study in" in err
    assert (tmp_path / "out" / "latest" / "index.html").is_file()
    assert "2 run(s) failed" in (tmp_path / "out" / "latest" / "index.html").read_text()
