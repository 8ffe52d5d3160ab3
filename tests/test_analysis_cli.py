"""The analysis commands end to end through ``pkosim``: outputs, exit codes, one-line errors; and the report."""

import json
from html import unescape
import re

import pytest
from PIL import Image

from analysis_fixtures import study_dir, write_batch
from pkosim.cli import main


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return study_dir(tmp_path_factory)


def test_summarize_writes_csv_and_markdown(study, tmp_path, capsys):
    assert main(["summarize", str(study / "baseline"), "--out", str(tmp_path), "--metrics", "hostile_deaths"]) == 0
    out = capsys.readouterr().out
    assert "hostile_deaths" in out and "whole run, per year" in out
    assert max(len(line) for line in out.splitlines() if not line.startswith("wrote")) <= 120
    assert (tmp_path / "summary.csv").read_text().startswith("scenario,point,metric,unit,year")
    assert "| scenario |" in (tmp_path / "summary.md").read_text()


def test_compare_with_baseline_option(study, tmp_path, capsys):
    code = main(["compare", str(study), "--baseline", "baseline", "--metric", "hostile_deaths", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "barkhane_stays vs baseline" in out and "own_drones vs baseline" in out
    assert (tmp_path / "comparison.csv").exists()


def test_plot_writes_png(study, tmp_path, capsys):
    out = tmp_path / "ts.png"
    assert main(["plot", str(study / "baseline"), "--kind", "timeseries", "--metric", "wounded", "--out", str(out)]) == 0
    assert Image.open(out).text["scenarios"] == "baseline"


@pytest.mark.parametrize("argv, message", [
    (["summarize", "{tmp}/missing"], "no such directory"),
    (["compare", "{study}/baseline"], "compare needs at least two batches"),
    (["summarize", "{study}/baseline", "--metrics", "deaths"], "unknown metric 'deaths'"),
    (["plot", "{study}/baseline", "--kind", "pie"], "unknown plot kind 'pie'"),
    (["compare", "{study}", "--baseline", "nope"], "no batch named 'nope'"),
])
def test_user_errors_exit_2_with_one_line(study, tmp_path, capsys, argv, message):
    argv = [a.format(tmp=tmp_path, study=study) for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_unpaired_batches_refused(study, tmp_path, capsys):
    other = write_batch(tmp_path, "other_seed", runs=3, root_seed=7, end="2021-02-28")
    assert main(["compare", str(study / "baseline"), str(other)]) == 2
    assert "different root seeds" in capsys.readouterr().err


def test_report_is_self_contained_with_provenance(study, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(study), "--baseline", "baseline", "--out", str(out)]) == 0
    html = out.read_text()
    assert html.count('src="data:image/png;base64,') == 6  # effects, time series, breakdown, convergence, map, sequence
    assert not re.search(r'(src|href)="(http|//)', html)
    meta = re.search(r'<meta name="pkosim-provenance" content="([^"]+)"', html).group(1)
    prov = json.loads(unescape(meta))
    assert [p["scenario"] for p in prov] == ["baseline", "barkhane_stays", "own_drones"]
    for heading in ("Scenarios", "Summary", "Effects against baseline", "Figures", "Assumptions", "Provenance"):
        assert re.search(f"<h2[^>]*>{heading}", html), heading
    assert "air_support.un_drones" in html  # a parameter that differs between scenarios
    assert "camps.strength_scale" not in html  # equal everywhere: not listed
    assert "Counterfactual: Barkhane stays" in html and "20140101" in html
