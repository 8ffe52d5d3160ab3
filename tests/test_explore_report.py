"""Sweeps in figures and reports: footers count points x replications, and ``pkosim report`` shows what the
exploration commands found (the sensitivity of a sweep, saved discovery and attribution sections)."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import analysis.attribution as attribution_mod
import tests.explore_fakes as fakes
from analysis.discovery import write_discovery
from analysis.fragments import PNG_MAGIC, read_section, saved_section, section_html, write_section
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


# -- sections on the page ------------------------------------------------------------------------------------------

def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid grey PNG of ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress((b"\0" * (width + 1)) * height)
    return (PNG_MAGIC + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def hostile_page(batches, tmp_path_factory):
    """A report showing a section file whose every text is markup."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "figure.png").write_bytes(tiny_png())
    write_section(folder, "hostile", kind="discovery", section_id="discovery/hostile", title=SCRIPT, lines=[SCRIPT],
                  table=pd.DataFrame({SCRIPT: ["<img src=x onerror=alert(1)>"]}),
                  figures=[(str(folder / "figure.png"), f'">{SCRIPT}')])
    return build_report([batches["plain"].path], ["hostile_deaths"], figures=False, folders=[folder])


def test_markup_in_a_saved_section_does_not_reach_the_page_as_markup(hostile_page):
    assert "<script" not in hostile_page
    assert "<img src=x" not in hostile_page


def test_a_hostile_title_and_caption_are_shown_as_text(hostile_page):
    section = section_of(hostile_page, "discovery")
    assert "<h3>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</h3>" in section
    assert 'alt="&#34;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"' in section


class Tags(HTMLParser):
    """The start tags of a fragment, in order, with their attributes."""

    def __init__(self, fragment: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_a_section_has_the_heading_level_asked_for_and_its_figure_an_img_with_alt_text(tmp_path):
    (tmp_path / "figure.png").write_bytes(tiny_png(3, 2))
    path = Path(write_section(tmp_path, "sample", kind="discovery", section_id="discovery/x/sample", title="A box",
                              lines=["One sentence."], table=pd.DataFrame({"parameter": ["a"]}),
                              figures=[(str(tmp_path / "figure.png"), "The box")]))
    tags = Tags(section_html(saved_section(path, read_section(path)), level=4)).tags
    images = [attrs for tag, attrs in tags if tag == "img"]
    assert tags[:2] == [("section", {"class": "pkosim-discovery"}), ("h4", {})]
    assert [(i["alt"], i["width"], i["height"]) for i in images] == [("The box", "3", "2")]
    assert images[0]["src"].startswith("data:image/png;base64,")
