"""Sweeps in figures and reports: footers count points x replications, and ``pkosim report`` shows what the
exploration commands found (the sensitivity of a sweep, saved discovery and attribution sections)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import analysis.attribution as attribution_mod
import tests.explore_fakes as fakes
from analysis.discovery import write_discovery
from analysis.fragments import read_section, saved_section, section_html, write_section
from analysis.plots.style import replications_text, source_note
from analysis.report import build_report
from analysis.results import find_batches
from analysis.sensitivity import write_sensitivity
from pkosim.attribute import run_attribution
from sim.errors import PkosimError
from sim.runner import run_batch
from sim.runner.fakes import FakeOutputs, FakeRange, FakeScenario, FakeSweep
from tests.explore_fakes import linear_run

DRAWDOWN = "scenarios/barkhane_drawdown_2021_2022.yaml"

RANGES = {"ieds.base_detection_probability": FakeRange(low=0.0, high=1.0),
          "ieds.laid_per_day": FakeRange(low=1.0, high=2.0)}


def fake(name: str, method: str | None = "morris", samples: int = 10, replications: int = 3) -> FakeScenario:
    sweep = FakeSweep(method=method, samples=samples, seed=3, parameters=RANGES) if method else None
    return FakeScenario(name=name, replications=replications, start=dt.date(2015, 1, 1), end=dt.date(2015, 12, 31),
                        outputs=FakeOutputs(daily=False, incidents=False), sweep=sweep)


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """A Morris sweep (10 trajectories of 3 points, 3 replications), a tiny one (2 trajectories, one replication)
    and a batch without a sweep, of the linear stand-in model."""
    out = tmp_path_factory.mktemp("sweeps")
    run_batch([fake("morris"), fake("tiny", samples=2, replications=1), fake("plain", None, replications=4)], out,
              workers=1, run_fn=linear_run)
    return {b.name: b for b in find_batches(out)}


def test_a_sweep_figure_footer_counts_points_times_replications(batches):
    assert replications_text([batches["morris"]]) == "30 points x 3 replications"


def test_a_batch_without_a_sweep_footer_counts_replications(batches):
    assert replications_text([batches["plain"]]) == "4 replications"


def test_the_footer_of_a_sweep_says_points_x_replications(batches):
    assert "; 30 points x 3 replications; " in source_note([batches["morris"]], "yearly.parquet")


# -- the report ----------------------------------------------------------------------------------------------------

def section_of(page: str, kind: str) -> str:
    """The HTML of the first ``pkosim-<kind>`` section of a report."""
    start = page.index(f'<section class="pkosim-{kind}">')
    return page[start:page.index("</section>", start)]


@pytest.fixture(scope="module")
def explored(batches):
    """The Morris sweep with a discovery and the same sensitivity the report computes saved in its folder, and its
    report (main figures left out: they have their own tests)."""
    morris = batches["morris"]
    write_discovery(morris, where="hostile_deaths > 45")
    write_sensitivity(morris, "hostile_deaths", "all")
    return build_report(morris.path, ["hostile_deaths"], figures=False)


def test_a_sweep_report_shows_the_sensitivity_of_hostile_deaths_with_both_figures(explored):
    section = section_of(explored, "sensitivity")
    assert "Which inputs matter: hostile deaths in morris" in section
    assert section.count("data:image/png;base64,") == 2


def test_a_sensitivity_saved_by_the_command_is_not_shown_twice(explored):
    assert explored.count('<section class="pkosim-sensitivity">') == 1


def test_a_saved_discovery_in_the_batch_folder_is_shown_with_its_figure(explored):
    section = section_of(explored, "discovery")
    assert "When it holds: hostile_deaths &gt; 45 (morris)" in section
    assert section.count("data:image/png;base64,") == 1


def test_exploration_comes_after_the_headlines_and_summary_and_before_the_assumptions(explored):
    order = [explored.index(f'id="{anchor}"') for anchor in ("headlines", "summary", "exploration", "assumptions")]
    assert order == sorted(order)


def test_a_refused_sensitivity_is_a_note_and_the_report_still_renders(batches):
    page = build_report(batches["morris"].path, ["coverage"], figures=False)
    assert "Sensitivity of hotspot coverage (whole run) in morris: not computed" in page
    assert "same at every design point" in page
    assert page.rstrip().endswith("</html>")


def test_a_batch_without_a_sweep_has_no_exploration(batches):
    assert 'id="exploration"' not in build_report(batches["plain"].path, ["hostile_deaths"], figures=False)


def test_a_damaged_section_file_is_a_note_not_a_failed_report(batches, tmp_path):
    (tmp_path / "bad.section.json").write_text('{"pkosim_section": 1, "kind": "sensitivity"}')
    page = build_report([batches["plain"].path], ["hostile_deaths"], figures=False, folders=[tmp_path])
    assert f"Not shown: {tmp_path / 'bad.section.json'}: " in page


@pytest.fixture(scope="module")
def attribution_folder(tmp_path_factory):
    """The drawdown against the drawdown without two of its departures, run with the stand-in model."""
    folder = tmp_path_factory.mktemp("attribution")
    base = folder / "two_stay.yaml"
    base.write_text(f"extends: {Path(DRAWDOWN).resolve()}\nname: two_stay\nevents:\n  leave_gao: null\n"
                    "  leave_kidal: null\n")
    run_attribution(base, DRAWDOWN, folder / "out", metrics=["hostile_deaths"], replications=2, workers=1,
                    run_fn=fakes.departure_run, echo=lambda line: None)
    return folder / "out"


@pytest.fixture(scope="module")
def attribution_page(attribution_folder):
    """The report of the attribution folder, built with ``attribute`` failing: the report must not compute it."""
    def computed(*args, **kwargs):
        raise AssertionError("the report computed the attribution again")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(attribution_mod, "attribute", computed)
        return build_report(attribution_folder, ["hostile_deaths"], figures=False)


def test_a_report_of_an_attribution_folder_shows_its_waterfall_without_computing_it_again(attribution_page):
    section = section_of(attribution_page, "attribution")
    assert "What caused the difference: barkhane_drawdown_2021_2022 against two_stay" in section
    assert 'alt="Hostile deaths: each change&#39;s share of the difference"' in section


def test_a_report_of_an_attribution_folder_compares_its_target_with_its_baseline(attribution_page):
    assert "<title>pkosim report: two_stay and 1 alternative(s)</title>" in attribution_page


def test_a_report_without_a_sweep_does_not_announce_a_sensitivity(attribution_page):
    start = attribution_page.index('id="exploration"')
    intro = attribution_page[start:attribution_page.index('<section class="pkosim-attribution">', start)]
    assert "computed for this report" not in intro


# -- section files as input ----------------------------------------------------------------------------------------

def saved(folder: Path, figure: str = "figure.png") -> Path:
    """A section file with one figure, written as the exploration commands write it."""
    (folder / figure).write_bytes(b"")
    return Path(write_section(folder, "sample", kind="discovery", section_id="discovery/x/sample", title="A box",
                              lines=["One sentence."], table=pd.DataFrame({"parameter": ["a"], "low": [0.5]}),
                              figures=[(str(folder / figure), "The box")]))


def test_a_saved_figure_that_is_not_a_png_is_a_note_in_its_section(tmp_path):
    path = saved(tmp_path)
    (tmp_path / "figure.png").write_bytes(b"<svg>not a png</svg>")
    page = section_html(saved_section(path, read_section(path)), 3)
    assert f"The box: not shown ({tmp_path / 'figure.png'}: not a PNG file)." in page


def test_a_section_file_naming_a_figure_outside_its_folder_is_refused(tmp_path):
    path = saved(tmp_path)
    path.write_text(path.read_text().replace('"figure.png"', '"../figure.png"'))
    with pytest.raises(PkosimError, match=r"figures\[0\]\.file: .\.\./figure\.png. does not match"):
        read_section(path)


def test_a_section_file_with_a_ragged_table_is_refused(tmp_path):
    path = saved(tmp_path)
    path.write_text(path.read_text().replace('"0.5"', '"0.5", "extra"'))
    with pytest.raises(PkosimError, match="every row must have 2 cells"):
        read_section(path)
