"""pkosim attribute: the changes between two scenarios, Shapley values with a known answer, exact additivity,
sampling above the exact limit, the runtime guard, files."""

from __future__ import annotations

import itertools
import numpy as np
import pandas as pd
import pytest

import tests.explore_fakes as fakes
from analysis.attribution import attribute, attribution_report, shapley_exact, shapley_sampled
from analysis.io import check_target
from pkosim import attribute as attribute_cmd
from pkosim.attribute import changes_between, plan_coalitions, run_attribution
from pkosim.cli import main
from sim.errors import PkosimError
from sim.scenario import load_scenario

STAYS = "scenarios/cf_barkhane_stays.yaml"
DRAWDOWN = "scenarios/barkhane_drawdown_2021_2022.yaml"
FOUR = ("leave_kidal", "leave_tessalit", "leave_menaka", "leave_gao")  # two additive departures, two that interact


def game(weights, interaction):
    """v(S) = sum of weights in S, plus ``interaction`` when players 0 and 1 are both in S; two replications."""
    k = len(weights)
    return {frozenset(s): np.array([1.0, 2.0]) * 0 + sum(weights[j] for j in s) + (interaction if {0, 1} <= set(s)
                                                                                    else 0.0)
            for size in range(k + 1) for s in itertools.combinations(range(k), size)}


def shares(table: pd.DataFrame, year: str, metric: str = "hostile_deaths") -> pd.Series:
    t = table[(table["metric"] == metric) & (table["year"] == year)]
    return t[t["row"] == "change"].set_index("change")["value"]


def total(table: pd.DataFrame, year: str, metric: str = "hostile_deaths") -> float:
    t = table[(table["metric"] == metric) & (table["year"] == year)]
    return float(t[t["row"] == "total"]["value"].iloc[0])


@pytest.fixture
def quiet_noise(monkeypatch):
    monkeypatch.setattr(fakes, "OWN_SD", 0.0)


def three_changes(tmp_path):
    """The drawdown without three of its departures (baseline) and the drawdown itself (target)."""
    base = tmp_path / "three_stay.yaml"
    base.write_text(f"extends: {(attribute_cmd.Path(DRAWDOWN)).resolve()}\nname: three_stay\n"
                    "events:\n  leave_gao: null\n  leave_kidal: null\n  leave_menaka: null\n")
    return base, DRAWDOWN


def test_shapley_values_of_an_additive_game_with_an_interaction_split_the_interaction():
    phi = shapley_exact(game([1.0, 2.0, 3.0], 4.0), 3)
    assert phi[:, 0].tolist() == pytest.approx([3.0, 4.0, 3.0])


def test_sampled_shapley_values_add_up_to_the_total_in_every_order():
    values = game([1.0, 2.0, 3.0, 0.5], 4.0)
    _, orders, _ = plan_coalitions(4, max_exact=0, permutations=5, seed=1)
    phi = shapley_sampled(values, 4, orders)
    assert phi.sum(axis=0) == pytest.approx(values[frozenset(range(4))] - values[frozenset()])


def test_the_changes_from_barkhane_staying_to_the_drawdown_are_the_six_departures_in_date_order():
    changes = changes_between(load_scenario(STAYS), load_scenario(DRAWDOWN))
    assert [c.key for c in changes] == ["events.leave_kidal", "events.leave_tessalit", "events.leave_timbuktu",
                                        "events.leave_gossi", "events.leave_menaka", "events.leave_gao"]


def test_an_added_air_provider_is_one_change():
    changes = changes_between(load_scenario(DRAWDOWN), load_scenario("scenarios/cf_minusma_drones.yaml"))
    assert [(c.key, c.kind) for c in changes] == [("air_support.providers.minusma_drones", "added")]


def test_each_changed_parameter_is_one_change():
    changes = changes_between(load_scenario("scenarios/history_2014_2020.yaml"),
                              load_scenario("scenarios/cf_larger_escorted_convoys.yaml"))
    assert {(c.key, c.kind) for c in changes} == {
        ("convoys.max_trucks_per_convoy", "parameter"), ("convoys.min_days_between_convoys", "parameter"),
        ("convoys.escort_vehicles_per_10_trucks", "parameter"), ("convoys.route_clearance_share", "parameter"),
        ("camps.reorder_stock_days", "parameter")}


def test_scenarios_that_do_not_differ_are_refused():
    with pytest.raises(PkosimError, match="do not differ"):
        changes_between(load_scenario(DRAWDOWN), load_scenario(DRAWDOWN))


def test_scenarios_over_different_windows_are_refused():
    with pytest.raises(PkosimError, match="same window"):
        changes_between(load_scenario(DRAWDOWN), load_scenario("scenarios/withdrawal_2023.yaml"))


@pytest.fixture(scope="module")
def barkhane(tmp_path_factory):
    """Four departures (Kidal, Tessalit, Menaka, Gao) with the stand-in model and no scenario-specific noise:
    the shares are known exactly."""
    folder = tmp_path_factory.mktemp("attribution")
    base = folder / "four_stay.yaml"
    base.write_text(f"extends: {attribute_cmd.Path(DRAWDOWN).resolve()}\nname: four_stay\nevents:\n"
                    + "".join(f"  {e}: null\n" for e in FOUR))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fakes, "OWN_SD", 0.0)
        run_attribution(base, DRAWDOWN, folder / "out", metrics=["hostile_deaths"], replications=2, workers=1,
                        run_fn=fakes.departure_run, echo=lambda line: None)
    return folder / "out", pd.read_csv(folder / "out" / "attribution.csv", dtype={"year": str})


def test_each_departure_gets_its_known_shapley_share(barkhane):
    got = shares(barkhane[1], "2021")
    known = {f"events.{e}": fakes.WEIGHTS[e] + (fakes.INTERACTION / 2 if e in ("leave_gao", "leave_kidal") else 0.0)
             for e in FOUR}
    assert got.to_dict() == pytest.approx(known)


def test_whole_run_shares_are_annual_rates(barkhane):
    got = shares(barkhane[1], "all")
    assert got["events.leave_gao"] == pytest.approx(5.0 * 365.25 / 365)


def test_shares_add_up_exactly_to_the_total_difference_despite_noise(tmp_path):
    base, target = three_changes(tmp_path)
    run_attribution(base, target, tmp_path / "out", metrics=["hostile_deaths", "wounded"], replications=3, workers=1,
                    run_fn=fakes.departure_run, echo=lambda line: None)
    table = attribute(tmp_path / "out", ["hostile_deaths"])
    for year in ("2021", "2022", "all"):
        assert shares(table, year).sum() == pytest.approx(total(table, year), abs=1e-9)


def test_above_the_exact_limit_sampled_orders_still_add_up_and_find_additive_shares(tmp_path, quiet_noise):
    base, target = three_changes(tmp_path)
    run_attribution(base, target, tmp_path / "out", metrics=["hostile_deaths"], replications=2, workers=1,
                    max_exact=2, permutations=4, run_fn=fakes.departure_run, echo=lambda line: None)
    table = attribute(tmp_path / "out", ["hostile_deaths"])
    got = shares(table, "2021")
    assert got.sum() == pytest.approx(total(table, "2021"), abs=1e-9)
    assert got["events.leave_menaka"] == pytest.approx(fakes.WEIGHTS["leave_menaka"])


def test_a_long_design_runs_only_with_yes(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(attribute_cmd, "ASK_ABOVE_S", -1.0)
    base, target = three_changes(tmp_path)
    args = ["attribute", str(base), target, "--run-fn", "tests.explore_fakes:departure_run", "--workers", "1",
            "--replications", "2", "--metric", "hostile_deaths", "--out", str(tmp_path / "out")]
    refused = main(args)
    err = capsys.readouterr().err
    assert refused == 2
    assert "--yes" in err
    assert not (tmp_path / "out").exists()
    assert main(args + ["--yes", "--quiet"]) == 0


def test_a_dry_run_prints_the_estimate_and_writes_nothing(tmp_path, capsys):
    base, target = three_changes(tmp_path)
    code = main(["attribute", str(base), target, "--run-fn", "tests.explore_fakes:departure_run", "--dry-run",
                 "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "8 combinations x 20 replications = 160 runs" in out
    assert not (tmp_path / "out").exists()


def test_attribution_writes_a_table_and_a_waterfall(barkhane):
    written = sorted(p.name for p in barkhane[0].iterdir())
    assert written == ["attribution.csv", "attribution.json", "attribution.md", "attribution.section.json",
                       "attribution_hostile_deaths.png", "batches"]


def test_a_second_attribution_write_may_replace_the_first_ones_files(barkhane):
    for path in barkhane[0].iterdir():
        if path.is_file() and path.name != "attribution.json":  # the plan is pkosim attribute's, written once
            assert check_target(path, path.read_bytes()) == path


def test_attribution_report_is_an_html_fragment_with_a_waterfall(tmp_path):
    base, target = three_changes(tmp_path)
    run_attribution(base, target, tmp_path / "out", metrics=["hostile_deaths"], replications=2, workers=1,
                    run_fn=fakes.departure_run, echo=lambda line: None)
    fragment = attribution_report(tmp_path / "out", ["hostile_deaths"])
    assert fragment.startswith('<section class="pkosim-attribution">')
    assert fragment.count("data:image/png;base64,") == 1
