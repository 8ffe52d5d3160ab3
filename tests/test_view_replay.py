"""The view's model side (pkosim/view/): projection, static layer, the per-day adapter and the paired replay, without
a browser; and the command line's errors. The browser tests are in test_view_browser.py."""

from __future__ import annotations

import csv
import math
import socket
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from pkosim.cli import main
from pkosim.view.projection import fit
from pkosim.view.replay import Replay, check_same_window
from sim.errors import ScenarioError
from sim.runner.seeds import run_seed
from sim.scenario import load_scenario
from sim.simulation import simulate
from sim.theatre import load_theatre
from view_fixtures import ROOT, SEED, write_quarter_scenarios


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    quarter, deadlier = write_quarter_scenarios(tmp_path_factory.mktemp("view"))
    return load_scenario(quarter), load_scenario(deadlier)


@pytest.fixture(scope="module")
def pair(scenarios):
    replay = Replay(list(scenarios), seed=SEED)
    replay.ensure(replay.n_days - 1)
    return replay


def on_segment(point, line) -> float:
    """Distance from a point to the segment [x1, y1, x2, y2]."""
    (px, py), (x1, y1, x2, y2) = point, line
    dx, dy = x2 - x1, y2 - y1
    share = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)))
    return math.dist((px, py), (x1 + share * dx, y1 + share * dy))


def test_the_projection_puts_the_whole_border_on_the_map():
    theatre = load_theatre("mali")
    projection = fit(theatre.border)
    points = [projection.xy(lat, lon) for ring in theatre.border for lon, lat in ring]
    assert min(x for x, _ in points) > 0
    assert max(x for x, _ in points) < projection.width
    assert min(y for _, y in points) > 0
    assert max(y for _, y in points) < projection.height


def test_the_projection_keeps_proportions_at_mid_latitude():
    projection = fit(load_theatre("mali").border)
    mid_latitude = projection.lat0 - projection.height / projection.ky / 2
    assert projection.kx / projection.ky == pytest.approx(math.cos(math.radians(mid_latitude)))


def test_every_camp_of_camps_csv_is_drawn_at_its_projected_place(pair):
    layer = pair.runs[0].layer
    projection = fit(load_theatre("mali").border)
    with open(ROOT / "sim" / "theatres" / "mali" / "camps.csv", newline="") as handle:
        expected = {row["camp"]: projection.xy(float(row["lat"]), float(row["lon"])) for row in csv.DictReader(handle)}
    drawn = {camp["name"]: (camp["x"], camp["y"]) for camp in layer["camps"]}
    assert drawn == expected


def test_a_run_watched_by_the_view_gives_the_same_results_as_simulate(scenarios, pair):
    """The view reads the model and never draws from its random streams: its run is pkosim run's run."""
    alone = simulate(scenarios[0].for_replication(0), run_seed(SEED, 0))   # replication 0: draw 0, seed 0
    watched = pair.runs[0].model.output()
    pd.testing.assert_frame_equal(watched.yearly, alone.yearly)
    pd.testing.assert_frame_equal(watched.incidents, alone.incidents)


def test_the_view_runs_replication_k_with_posterior_draw_k_as_pkosim_run_does():
    """The header's promise: the run shown is replication k of ``pkosim run``, parameters as well as seed."""
    scenario = load_scenario(ROOT / "tests" / "posterior_fixtures" / "withdrawal_short.yaml")
    shown = Replay([scenario], seed=SEED, run=2).runs[0].model.params
    assert shown.ieds.killed_per_detonation == scenario.for_replication(2).ieds.killed_per_detonation
    assert shown.ieds.killed_per_detonation != scenario.ieds.killed_per_detonation
    assert shown.armed_groups["jnim"].ieds_per_week == scenario.for_replication(2).armed_groups["jnim"].ieds_per_week


def test_a_convoy_is_drawn_on_the_road_segment_it_is_driving(pair):
    run = pair.runs[0]
    segments = run.layer["segments"]
    checked = 0
    for day in range(pair.n_days):
        run_frame = run.frames[day]
        for convoy in run_frame.convoys:
            drawn = (convoy["x"], convoy["y"])
            assert min(on_segment(drawn, line) for line in segments) < 0.05, (day, convoy)
            checked += 1
    assert checked > 0


def test_a_convoy_on_the_road_moves_from_one_day_to_the_next(pair):
    frames = pair.runs[0].frames
    moved = [c["id"] for day in range(pair.n_days - 1) for c in frames[day].convoys
             for later in frames[day + 1].convoys if later["id"] == c["id"] and (later["x"], later["y"]) != (c["x"], c["y"])]
    assert moved


def test_a_medevac_flight_is_drawn_from_the_base_the_evacuation_column_names(pair):
    run = pair.runs[0]
    flown = [i for f in run.frames for i in f.incidents if " from " in i["evacuation"]]
    assert flown
    projection = fit(load_theatre("mali").border)
    for incident in flown:
        provider_id, _, base_name = incident["evacuation"].rpartition(" from ")
        provider = next(p for p in run.model.air.providers if p.provider_id == provider_id)
        base = next(b for b in provider.helicopter_bases if b.name == base_name)
        assert incident["flight_from"] == list(projection.xy(base.lat, base.lon))


def test_the_days_events_are_reported_on_the_day_they_fire(pair):
    fired = {pair.frame(day).date: pair.frame(day).events for day in range(pair.n_days) if pair.frame(day).events}
    assert fired == {"2014-02-01": ["rotations suspended: until 2014-02-10 (pause_rotations)"]}


def test_a_forward_update_carries_only_the_incidents_of_the_new_days(pair):
    run = pair.runs[0]
    day = next(d for d in range(1, pair.n_days) if run.frames[d].incidents)
    update = pair.map_update(0, day - 1, day, seq=1)
    assert update["incidents"] == run.frames[day].incidents


def test_going_back_resends_the_whole_picture_of_that_day(pair):
    run = pair.runs[0]
    update = pair.map_update(0, pair.n_days - 1, 20, seq=1)
    assert update["reset"]
    assert update["incidents"] == [i for f in run.frames[:21] for i in f.incidents]


def test_the_chart_update_of_one_day_holds_one_value_per_series_and_run(pair):
    update = pair.chart_update(10, 11, seq=1)
    assert [len(values) for run in update["runs"] for values in run.values()] == [1] * 10


def test_cumulative_deaths_in_the_charts_add_up_the_recorders_daily_deaths(pair):
    model = pair.runs[0].model
    daily = model.recorder.values["hostile_deaths"][:pair.n_days]
    charted = [f.values["hostile_deaths"] for f in pair.runs[0].frames]
    assert np.allclose(charted, np.cumsum(daily))


def test_two_runs_of_the_same_scenario_never_differ(scenarios):
    """Common random numbers: the same scenario twice is the same run twice."""
    replay = Replay([scenarios[0], scenarios[0]], seed=SEED)
    replay.ensure(40)
    assert [replay.deaths_difference(d) for d in range(41)] == [0] * 41


def test_the_deadlier_variant_parts_ways_with_the_baseline(pair):
    assert any(pair.deaths_difference(d) != 0 for d in range(pair.n_days))


def test_a_pair_needs_the_same_window(scenarios):
    later = scenarios[1].model_copy(update={"start": scenarios[1].start + timedelta(days=1)})
    with pytest.raises(ScenarioError, match="same window"):
        check_same_window([scenarios[0], later])


def test_view_with_an_unknown_scenario_file_exits_2(tmp_path, capsys):
    assert main(["view", str(tmp_path / "missing.yaml")]) == 2


def test_view_with_a_negative_run_exits_2(tmp_path, capsys):
    quarter, _ = write_quarter_scenarios(tmp_path)
    assert main(["view", str(quarter), "--run", "-1"]) == 2
    assert "--run -1" in capsys.readouterr().err


def test_view_on_a_port_in_use_exits_3_and_names_the_port(tmp_path, capsys):
    quarter, _ = write_quarter_scenarios(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["view", str(quarter), "--port", str(port)]) == 3
    assert f"127.0.0.1:{port}" in capsys.readouterr().err
