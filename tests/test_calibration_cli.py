"""``pkosim calibrate`` through the real command line: bad input is one located line and exit 2; a tiny real fit
(the real model, a 1-year window, 2 trials x 2 replications) writes the parameter file and the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkosim.cli import main
from sim.calibration.config import load_calibration
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "scenarios/history_2014_2020.yaml"
TARGETS = ROOT / "scenarios/calibration/targets_mali_2014_2020.yaml"


def write_calibration(tmp_path: Path, parameters: str, *, targets: Path = TARGETS, extra: str = "") -> Path:
    (tmp_path / "one_year.yaml").write_text(f"extends: {HISTORY}\nname: one_year\nend: 2014-12-31\n")
    path = tmp_path / "calibration.yaml"
    path.write_text(f"scenario: one_year.yaml\ntargets: {targets}\noutput: params/calibrated.yaml\n"
                    f"trials: 2\nreplications: 2\nseed: 3\n{extra}parameters:\n{parameters}")
    return path


def error_of(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    return err


def test_missing_calibration_file(tmp_path, capsys):
    err = error_of(capsys, ["calibrate", str(tmp_path / "nope.yaml")])
    assert err.endswith("nope.yaml: file not found") and "\n" not in err


def test_unknown_parameter_says_where_and_suggests(tmp_path, capsys):
    path = write_calibration(tmp_path, "  ieds.killed_per_detonaton: {low: 0.2, high: 2.0}\n")
    err = error_of(capsys, ["calibrate", str(path)])
    assert "calibration.yaml:8:3: parameters.ieds.killed_per_detonaton: no numeric parameter" in err
    assert "did you mean 'ieds.killed_per_detonation'?" in err


def test_low_not_below_high(tmp_path, capsys):
    path = write_calibration(tmp_path, "  ieds.killed_per_detonation: {low: 2.0, high: 2.0}\n")
    err = error_of(capsys, ["calibrate", str(path)])
    assert "calibration.yaml:8:" in err and "low (2) must be below high (2)" in err


def test_targets_file_with_a_bad_key(tmp_path, capsys):
    bad = tmp_path / "targets.yaml"
    bad.write_text(TARGETS.read_text().replace("hostile_deaths_per_year:", "hostile_deaths_per_yaer:", 1))
    path = write_calibration(tmp_path, "  ieds.killed_per_detonation: {low: 0.2, high: 2.0}\n", targets=bad)
    err = error_of(capsys, ["calibrate", str(path)])
    assert "targets.yaml:" in err and "hostile_deaths_per_yaer: unknown key (did you mean 'hostile_deaths_per_year'?)" in err


def test_missing_scenario_and_unknown_weight(tmp_path, capsys):
    path = write_calibration(tmp_path, "  ieds.killed_per_detonation: {low: 0.2, high: 2.0}\n",
                             extra="weights: {wounded_per_deth: 2}\n")
    err = error_of(capsys, ["calibrate", str(path)])
    assert "weights.wounded_per_deth: unknown target (did you mean 'wounded_per_death'?)" in err
    path.write_text(path.read_text().replace("scenario: one_year.yaml", "scenario: one_yaer.yaml"))
    err = error_of(capsys, ["calibrate", str(path)])
    assert "calibration.yaml:1:1: scenario: file 'one_yaer.yaml' not found" in err and "did you mean 'one_year.yaml'" in err


def test_fixed_values_are_checked_and_never_also_fitted(tmp_path, capsys):
    fitted = "  ieds.killed_per_detonation: {low: 0.2, high: 2.0}\n"
    path = write_calibration(tmp_path, fitted, extra="fixed: {ieds.wounded_per_detonaton: 4.5}\n")
    err = error_of(capsys, ["calibrate", str(path)])
    assert "fixed.ieds.wounded_per_detonaton: no numeric parameter" in err
    assert "did you mean 'ieds.wounded_per_detonation'?" in err
    path = write_calibration(tmp_path, fitted, extra="fixed: {ieds.wounded_per_detonation: -1}\n")
    assert "fixed.ieds.wounded_per_detonation: -1 is not a valid value" in error_of(capsys, ["calibrate", str(path)])
    path = write_calibration(tmp_path, fitted, extra="fixed: {ieds.killed_per_detonation: 0.5}\n")
    assert "either fitted or fixed, not both: ieds.killed_per_detonation" in error_of(capsys, ["calibrate", str(path)])


def test_bad_command_line_values(tmp_path, capsys):
    path = write_calibration(tmp_path, "  ieds.killed_per_detonation: {low: 0.2, high: 2.0}\n")
    assert "--trials 0: must be at least 1" in error_of(capsys, ["calibrate", str(path), "--trials", "0"])
    assert "--workers 0" in error_of(capsys, ["calibrate", str(path), "--workers", "0"])


def test_tiny_real_fit_writes_parameters_and_report(tmp_path, capsys):
    pytest.importorskip("sim.simulation")
    path = write_calibration(tmp_path, "  ieds.killed_per_detonation: {low: 0.2, high: 2.0}\n"
                                       "  armed_groups.jnim.complex_attacks_per_year: {low: 0.3, high: 4.0, log: true}\n",
                             extra="fixed: {ieds.wounded_per_detonation: 4.5}\n")
    assert load_calibration(path).scenario.ieds.wounded_per_detonation == 4.5    # the fit runs the held value
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--workers", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\ntrial ") == 2 and "best trial" in captured.out
    written = tmp_path / "params" / "calibrated.yaml"
    assert written.read_text().startswith("# yaml-language-server: $schema=../scenario.schema.json\n")
    report = (out / "calibration_report.md").read_text()
    assert "hostile deaths per year, mean 2014" in report and "| 2014 |" in report
    assert (out / "trials.csv").is_file()
    page = (out / "calibration_report.html").read_text()
    assert page.index('id="headlines"') < page.index("<table")  # the report templates' page, headline first
    (tmp_path / "uses.yaml").write_text("extends: params/calibrated.yaml\nname: uses\n")
    scenario = load_scenario(tmp_path / "uses.yaml")
    assert 0.2 <= scenario.ieds.killed_per_detonation <= 2.0
    assert scenario.ieds.wounded_per_detonation == 4.5                               # and writes it with the fit
    assert main(["calibrate", str(path), "--workers", "1", "--out", str(out), "--quiet"]) == 0  # re-run replaces
    assert "\ntrial " not in capsys.readouterr().err
