"""Every page of a small study, and a calibration fit's report, opened in headless Chromium at 1280 px as a reader
would: no horizontal scrolling, every figure loaded, no console errors, and the headline findings on top
(tests/browser.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser import MISSING, chromium, inspect
from calibration_fixtures import write_abc_report, write_fit_report
from pkosim.study import run_study
from sim.calibration.report import check_batch

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
TARGETS = SCENARIOS / "calibration" / "targets_mali_2014_2020.yaml"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]


def small_study(folder: Path) -> Path:
    """Two short withdrawal scenarios (camps closing, trucks held: every figure kind) and a year of history checked
    against the calibration targets: three replications each."""
    base = SCENARIOS / "base.yaml"
    (folder / "wd.yaml").write_text(
        f"extends: {base}\nname: wd\ndescription: A quarter of the 2023 withdrawal, Ber closing in August.\n"
        "start: 2023-07-01\nend: 2023-09-30\n"
        "events:\n  close_ber: {date: 2023-08-13, action: camp_closes, camp: Ber}\n"
        "  close_goundam: {date: 2023-09-16, action: camp_closes, camp: Goundam}\n"
        "  trucks_held: {date: 2023-09-01, action: ground_movement_restricted, hubs: [Gao], until: 2023-09-20}\n")
    (folder / "wd_later.yaml").write_text(
        "extends: wd.yaml\nname: wd_later\ndescription: The same quarter with Ber closing a month later.\n"
        "events:\n  close_ber: {date: 2023-09-13}\n")
    (folder / "history.yaml").write_text(
        f"extends: {base}\nname: history\ndescription: One year of history.\nstart: 2014-01-01\nend: 2014-12-31\n")
    study = folder / "study.yaml"
    study.write_text(
        "name: browser\ndescription: Would closing Ber later have changed the withdrawal?\nreplications: 3\n"
        "groups:\n  - baseline: wd.yaml\n    alternatives: [wd_later.yaml]\n  - baseline: history.yaml\n"
        f"calibration_check:\n  scenario: history.yaml\n  targets: {TARGETS}\n")
    return study


@pytest.fixture(scope="module")
def study_pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_study")
    index = run_study(small_study(folder), folder / "out", workers=1, quiet=True)
    return index


def test_the_small_study_writes_every_page(study_pages):
    pages = sorted(p.name for p in study_pages.parent.glob("*.html"))
    assert pages == ["calibration_check.html", "index.html", "report_history.html", "report_wd.html"]


def test_every_page_reads_well_in_a_browser(study_pages, tmp_path):
    shots = Path(os.environ.get("PKOSIM_SCREENSHOTS", tmp_path))
    problems, reports = [], {}
    with chromium() as browser:
        for page in sorted(study_pages.parent.glob("*.html")):
            report = inspect(browser, page, screenshot=shots / f"{page.stem}.png")
            reports[page.name] = report
            problems += report.problems()
    assert problems == []
    assert reports["report_wd.html"].images >= 6  # effects, time series, breakdown, convergence, map, sequence
    assert "Ber closing a month later" in reports["index.html"].headline
    assert "95% CI" in reports["report_wd.html"].headline or "replication" in reports["report_wd.html"].headline


def test_the_calibration_reports_read_well_in_a_browser(study_pages, tmp_path):
    """The fit's own report: optuna's (its best trial: the study's year of history) and ABC-SMC's (made up, with its
    predictive figure)."""
    table = check_batch(study_pages.parent / "batches" / "history", TARGETS)
    pages = {"optuna": write_fit_report(table, tmp_path / "optuna"), "abc": write_abc_report(tmp_path / "abc")}
    shots = Path(os.environ.get("PKOSIM_SCREENSHOTS", tmp_path))
    with chromium() as browser:
        reports = {kind: inspect(browser, page, screenshot=shots / f"calibration_report_{kind}.png")
                   for kind, page in pages.items()}
    assert [p for report in reports.values() for p in report.problems()] == []
    assert "calibration targets met" in reports["optuna"].headline
    assert reports["abc"].images == 1
