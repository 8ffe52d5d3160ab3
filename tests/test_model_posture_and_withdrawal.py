"""Model v2: time structure, MINUSMA's posture, exposure-driven threat, logistics under strain, the withdrawal."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim.armed_group import Arrivals
from sim.posture import PostureParams, movement_factor
from sim.scenario import Scenario, load_scenario
from sim.simulation import PeacekeepingModel, simulate
from sim.streams import Streams

WITHDRAWAL = "scenarios/withdrawal_2023.yaml"


def edit(scenario: Scenario, **changes) -> Scenario:
    """A re-validated copy with dotted-path changes ('a__b' for 'a.b')."""
    data = scenario.model_dump(mode="python")
    for key, value in changes.items():
        node = data
        *path, last = key.split("__")
        for part in path:
            node = node[part]
        node[last] = value
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def history():
    sc = load_scenario("scenarios/history_2014_2020.yaml")
    return edit(sc, start=date(2016, 1, 1), end=date(2017, 6, 30))


@pytest.fixture(scope="module")
def withdrawal():
    return load_scenario(WITHDRAWAL)


# --- posture ------------------------------------------------------------------------------------------------

def test_movement_falls_with_losses_devices_and_missing_casevac_and_never_below_the_floor():
    p = PostureParams()
    calm = movement_factor(0.0, 0.0, 1.0, p)
    assert calm == 1.0
    assert movement_factor(20.0, 0.0, 1.0, p) < calm
    assert movement_factor(0.0, 3.0, 1.0, p) < calm
    assert movement_factor(0.0, 0.0, 0.0, p) < calm
    assert movement_factor(100.0, 100.0, 0.0, p) == p.min_movement_factor
    assert movement_factor(0.0, 0.0, 1.0, p, restriction=0.5) == 0.5


def test_coverage_patrols_and_tonnage_vary_between_replications(history):
    runs = [simulate(history, seed).summary for seed in range(4)]
    for key in ("coverage", "total_patrol_km", "total_tonnage_delivered"):
        values = [r[key] for r in runs]
        assert np.std(values) > 0, key


def test_less_casevac_cover_means_less_movement(history):
    """Without medevac helicopters more roads are outside the golden hour: camps patrol less."""
    providers = {k: {**v, "medevac": False} for k, v in history.model_dump()["air_support"]["providers"].items()}
    without = edit(history, air_support__providers=providers)
    for seed in range(2):
        assert simulate(without, seed).summary["total_patrol_km"] < simulate(history, seed).summary["total_patrol_km"]


def test_france_leaving_gao_changes_movement_and_coverage_through_the_posture():
    """Drawdown against Barkhane stays, same seeds: after Gao is left (2022-08-15) casevac cover shrinks, camps move
    less, and coverage differs; with the posture switched off the two scenarios' coverage is the same."""
    drawdown = load_scenario("scenarios/barkhane_drawdown_2021_2022.yaml")
    stays = load_scenario("scenarios/cf_barkhane_stays.yaml")
    after = slice(pd.Timestamp("2022-08-16"), pd.Timestamp("2022-12-31"))

    def compare(a_scenario, b_scenario, seed):
        a = simulate(a_scenario, seed).daily.set_index("date").loc[after]
        b = simulate(b_scenario, seed).daily.set_index("date").loc[after]
        return b["movement_factor"].mean() - a["movement_factor"].mean(), b["coverage"].mean() - a["coverage"].mean()

    for seed in range(2):
        movement, coverage = compare(drawdown, stays, seed)
        assert movement > 0
        assert coverage != 0
    fixed = {"posture__loss_sensitivity": 0.0, "posture__ied_sensitivity": 0.0, "posture__casevac_sensitivity": 0.0}
    _, coverage = compare(edit(drawdown, **fixed), edit(stays, **fixed), 0)
    assert coverage == 0


# --- exposure-driven threat ---------------------------------------------------------------------------------

def test_a_higher_rate_never_gives_fewer_events_with_the_same_numbers():
    """Waiting times: the same random numbers at a higher daily rate give at least as many events every day."""
    low, high = Streams(3), Streams(3)
    a, b = Arrivals(low.decision("x")), Arrivals(high.decision("x"))
    total_low = total_high = 0
    for day in range(400):
        low.day = high.day = day
        total_low += a.today(0.05)
        total_high += b.today(0.10)
    assert 10 < total_low < total_high


def test_more_traffic_brings_more_ambushes(history):
    """Camps that order resupply twice as often put more convoy-km on the road, and meet more ambushes."""
    busy = edit(history, convoys__min_days_between_convoys=1.0, camps__reorder_stock_days=44.0)
    quiet_ambushes = busy_ambushes = 0
    for seed in range(3):
        quiet_ambushes += (simulate(history, seed).incidents["kind"] == "ambush").sum()
        busy_ambushes += (simulate(busy, seed).incidents["kind"] == "ambush").sum()
    assert busy_ambushes > quiet_ambushes


def test_a_group_directing_its_effort_elsewhere_lays_fewer_devices(history):
    elsewhere = edit(history, events={**history.model_dump()["events"],
                                      "turn": {"date": date(2016, 1, 1), "action": "armed_group_targeting",
                                               "group": "jnim", "share": 0.2}})
    assert simulate(elsewhere, 1).summary["total_ied_laid"] < simulate(history, 1).summary["total_ied_laid"]


# --- logistics and the convoy table --------------------------------------------------------------------------

def test_the_convoy_table_has_one_row_per_convoy_sent(history):
    out = simulate(history, 2)
    convoys = out.convoys
    assert len(convoys) == out.summary["total_convoys_sent"]
    assert set(convoys["status"]) <= {"arrived", "turned_back", "destroyed", "en_route"}
    arrived = convoys[convoys["status"] == "arrived"]
    assert (arrived["transit_days"] >= 1).all()
    assert arrived.loc[arrived["purpose"] == "resupply", "tonnes_delivered"].sum() == pytest.approx(
        out.summary["total_tonnage_delivered"])
    assert convoys["ieds_met"].sum() <= out.summary["total_ied_met"]


def test_a_hub_with_few_trucks_delivers_less(history):
    short = edit(history, logistics__trucks_per_hub=20)
    for seed in range(2):
        assert (simulate(short, seed).summary["total_tonnage_delivered"]
                < simulate(history, seed).summary["total_tonnage_delivered"])


# --- the withdrawal -----------------------------------------------------------------------------------------

def test_every_person_and_tonne_of_a_closing_camp_is_accounted_for_every_day(withdrawal):
    model = PeacekeepingModel(scenario=withdrawal, seed=4)
    seen = set()
    while model.running:
        model.step()
        for camp in model.camps:
            w = camp.withdrawal
            if w is None:
                continue
            seen.add(camp.name)
            assert abs(w.people_balance()) < 1e-6, (model.today, camp.name, w.people_balance())
            assert abs(w.equipment_balance()) < 1e-6, (model.today, camp.name, w.equipment_balance())
            assert w.withdrawn_people >= 0 and w.on_road_people >= -1e-9 and w.on_road_t >= -1e-9
            if camp.finished:
                assert camp.persons == 0
                assert w.equipment_t == 0
    assert {"Ber", "Kidal", "Tessalit", "Menaka"} <= seen


def test_ber_goes_to_timbuktu_and_its_people_join_the_garrison(withdrawal):
    model = PeacekeepingModel(scenario=withdrawal, seed=1)
    timbuktu = model.camps_by_name["Timbuktu"]
    while model.running and model.today < date(2023, 8, 31):
        model.step()
        for convoy in model.logistics.convoys:
            if convoy.kind == "withdrawal" and convoy.camp.name == "Ber":
                assert convoy.destination == "Timbuktu"
    ber = model.camps_by_name["Ber"].withdrawal
    assert ber.withdrawn_people > 0
    assert timbuktu.persons > 0


def test_a_longer_truck_hold_delays_withdrawal_convoys_and_leaves_more_equipment(withdrawal):
    events = withdrawal.model_dump()["events"]
    longer = edit(withdrawal, events={**events, "trucks_held_at_gao": {**events["trucks_held_at_gao"],
                                                                        "date": date(2023, 8, 1),
                                                                        "until": date(2023, 12, 31)}})
    left, held_left = [], []
    for seed in range(2):
        left.append(simulate(withdrawal, seed).summary["total_equipment_left_t"])
        held_left.append(simulate(longer, seed).summary["total_equipment_left_t"])
    assert sum(held_left) > sum(left)


def test_a_mid_history_scenario_starts_warmed_up(withdrawal):
    """The 2023 run starts after devices were laid and with groups that know the traffic (the first half of 2023
    is simulated unrecorded), and with France gone (earlier events applied at set-up)."""
    model = PeacekeepingModel(scenario=withdrawal, seed=2)
    assert model.air.french_bases_left >= {"Gao", "Kidal", "Tessalit", "Timbuktu"}
    assert model.host_state.refusal_share == pytest.approx(0.24)          # from October 2022
    while model.today < withdrawal.start:
        model.step()
    assert model.host_state.refusal_share == pytest.approx(0.241)         # from 2023-01-01, inside the warm-up
    assert model.ieds.laid > 0                          # armed groups have been at work
    assert all(group.traffic.sum() > 0 for group in model.groups)
    out = None
    while model.running:
        model.step()
    out = model.output()
    assert out.daily["date"].iloc[0] == pd.Timestamp("2023-07-01")
    assert len(out.daily) == (withdrawal.end - withdrawal.start).days + 1
