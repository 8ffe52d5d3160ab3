"""pkosim discover: the --where grammar, a known PRIM box, paired differences between two sweeps, refusals, files."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.conditions import parse
from analysis.discovery import discover, discovery_report, write_discovery
from analysis.io import check_target
from analysis.results import find_batches
from pkosim.cli import main
from sim.errors import PkosimError
from sim.runner import run_batch
from sim.runner.fakes import FakeOutputs, FakeRange, FakeScenario, FakeSweep
from tests.explore_fakes import box_run, linear_run, option_run

RANGES = {"ieds.base_detection_probability": FakeRange(low=0.0, high=1.0), "ieds.laid_per_day": FakeRange(low=1.0, high=2.0)}


def fake(name: str, samples: int = 100, seed: int = 3) -> FakeScenario:
    return FakeScenario(name=name, replications=2, start=dt.date(2015, 1, 1), end=dt.date(2015, 12, 31),
                        outputs=FakeOutputs(daily=False, incidents=False),
                        sweep=FakeSweep(method="latin_hypercube", samples=samples, seed=seed, parameters=RANGES))


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    out = tmp_path_factory.mktemp("discovery")
    run_batch([fake("boxed")], out, workers=1, run_fn=box_run)
    run_batch([fake("baseline")], out, workers=1, run_fn=linear_run)
    run_batch([fake("option")], out, workers=1, run_fn=option_run)
    run_batch([fake("other_design", seed=4)], out, workers=1, run_fn=option_run)
    return {b.name: b for b in find_batches(out)}


def limits(result) -> pd.DataFrame:
    return result.boxes[0].limits.set_index("parameter")


def test_parse_reads_clauses_joined_by_and():
    condition = parse("hostile_deaths > 20 and coverage <= 0.5")
    assert [(c.metric, c.op, c.threshold) for c in condition.clauses] == [("hostile_deaths", ">", 20.0),
                                                                        ("coverage", "<=", 0.5)]


def test_a_clause_without_a_metric_uses_the_default_metric():
    assert parse("<= -2", "hostile_deaths").clauses[0].metric == "hostile_deaths"


@pytest.mark.parametrize("text, message", [
    ("hostile_deaths >", "expected a number"),
    ("hostile_deaths = 3", "unexpected '='"),
    ("hostile_deaths > 2 or wounded > 1", "expected 'and'"),
    ("__import__('os').system('true')", "unexpected '('"),
    ("deaths > 2", "unknown metric"),
    ("> 2", "needs a metric"),
    ("", "empty condition"),
])
def test_a_bad_condition_is_a_one_line_error(text, message):
    with pytest.raises(PkosimError, match=re.escape(message)) as error:
        parse(text)
    assert "\n" not in str(error.value)


def test_prim_finds_the_box_where_the_condition_holds(batches):
    result = discover(batches["boxed"], where="hostile_deaths > 20", year="2015")
    box = limits(result)
    assert box.loc["ieds.base_detection_probability", "low"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["ieds.base_detection_probability", "high"] >= 0.9
    assert box.loc["ieds.laid_per_day", "high"] == pytest.approx(1.3, abs=0.05)
    assert result.boxes[0].density == 1.0
    assert result.boxes[0].coverage == 1.0


def test_paired_differences_find_where_the_option_saves_lives(batches):
    result = discover(batches["baseline"], batches["option"], where="hostile_deaths <= -2", year="2015")
    box = limits(result)
    assert box.loc["ieds.base_detection_probability", "low"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["ieds.laid_per_day", "high"] == pytest.approx(1.3, abs=0.05)
    assert result.boxes[0].density == 1.0


def test_runs_can_be_the_cases(batches):
    result = discover(batches["boxed"], where="hostile_deaths > 20", year="2015", cases="runs")
    assert len(result.hit) == 2 * len(result.design.inputs)


def test_batches_of_different_designs_are_not_paired(batches):
    with pytest.raises(PkosimError, match="their sweeps differ"):
        discover(batches["baseline"], batches["other_design"], where="hostile_deaths <= -2")


def test_a_condition_no_point_meets_is_refused(batches):
    with pytest.raises(PkosimError, match="0 of 100"):
        discover(batches["boxed"], where="hostile_deaths > 1000")


def test_discover_writes_tables_and_a_figure_and_an_html_fragment(batches, tmp_path, capsys):
    code = main(["discover", str(batches["baseline"].path), str(batches["option"].path), "--metric",
                 "hostile_deaths", "--where", "<= -2", "--out", str(tmp_path)])
    written = sorted(p.name for p in tmp_path.iterdir())
    fragment = discovery_report(batches["boxed"], where="hostile_deaths > 20")
    assert code == 0
    assert written == [f"discovery_option_minus_baseline_hostile_deaths_le_m2{suffix}"
                       for suffix in (".csv", ".md", ".png", ".section.json", "_trajectory.csv")]
    assert fragment.count("data:image/png;base64,") == 1


def test_a_bad_where_on_the_command_line_exits_2_with_one_line(batches, capsys):
    code = main(["discover", str(batches["boxed"].path), "--where", "hostile_deaths >> 2"])
    assert code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_second_discovery_run_may_replace_the_first_ones_files(batches, tmp_path):
    _, paths = write_discovery(batches["boxed"], where="hostile_deaths > 20", out_dir=tmp_path)
    for path in paths.values():
        assert check_target(path, Path(path).read_bytes()) == Path(path)
