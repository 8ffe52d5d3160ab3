"""``pkosim validate`` in one pass: every problem of a file at once (a schema error never hides the theatre checks),
"did you mean" for a misspelt armed group or air provider id, and warnings (valid, but probably not what was meant)
that are printed, available to Python, and never change the exit code."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import pkosim
from pkosim.cli import main
from sim.errors import ScenarioError
from sim.scenario import check_scenario, load_scenario, resolve_scenario
from sim.scenario.events import EVENT_CLASSES

ROOT = Path(__file__).resolve().parent.parent

GROUPS_PARENT = """\
name: parent
start: 2021-01-01
end: 2022-12-31
armed_groups:
  jnim:
    name: JNIM
    sectors: [North]
  isgs:
    sectors: [East]
air_support:
  providers:
    barkhane:
      operator: france
      helicopter_bases: [Gao]
"""


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def validate(capsys: pytest.CaptureFixture[str], name: str) -> tuple[int, list[str], list[str]]:
    code = main(["validate", name])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "parent.yaml", GROUPS_PARENT)
    return tmp_path


# ------------------------------------------------------------------------------------------ every problem at once

SEVERAL = """\
name: several
start: 2021-02-30
end: 2022-12-31
camps:
  strenght_scale: 0.8
events:
  close_kidal:
    action: camp_closes
    date: 2022-06-01
    camp: Kidall
"""


def test_a_bad_date_an_unknown_key_and_an_unknown_camp_are_reported_in_one_run(here, capsys) -> None:
    code, _, err = validate(capsys, write(here, "several.yaml", SEVERAL))
    assert code == 2
    assert "several.yaml:2:8: start: cannot read value '2021-02-30': day is out of range for month" in err
    assert "several.yaml:5:3: camps.strenght_scale: unknown key (did you mean 'strength_scale'?)" in err
    assert "several.yaml:10:5: events.close_kidal.camp: unknown camp 'Kidall' (did you mean 'Kidal'?)" in err
    assert err[-1] == "1 of 1 file(s) invalid"


def test_a_value_that_cannot_be_read_is_not_also_reported_missing(here, capsys) -> None:
    _, _, err = validate(capsys, write(here, "several.yaml", SEVERAL))
    assert len(err) == 4  # three problems and the count: no "start: required key is missing", no window check
    assert not any("required key is missing" in line for line in err)


def test_the_python_api_gets_the_same_problems_without_raising(here) -> None:
    validation = check_scenario(write(here, "several.yaml", SEVERAL))
    assert not validation.ok
    assert validation.scenario is None
    assert [p.key for p in validation.problems] == ["start", "camps.strenght_scale", "events.close_kidal.camp"]


def test_an_event_the_schema_refuses_still_has_its_names_checked(here, capsys) -> None:
    text = SEVERAL.replace("start: 2021-02-30", "start: 2021-01-01").replace("date: 2022-06-01", "date: 2022-06-31")
    _, _, err = validate(capsys, write(here, "event.yaml", text))
    assert "event.yaml:9:11: events.close_kidal.date: cannot read value '2022-06-31': day is out of range for month" in err
    assert "event.yaml:10:5: events.close_kidal.camp: unknown camp 'Kidall' (did you mean 'Kidal'?)" in err


def test_schema_errors_in_several_sections_come_with_the_theatre_checks(here, capsys) -> None:
    name = write(here, "mixed.yaml", """\
name: mixed
start: 2021-01-01
end: 2022-12-31
ieds:
  encounter_probability_per_vehicle: 1.5
camps:
  resupply_hubs: [Gao, Timbuctu]
events:
  surge: {date: 2022-01-01, action: armed_group_capacity, group: jnmi, factor: 200}
  hold: {date: 2022-01-01, action: ground_movement_restricted, hubs: [Gaoo], until: 2021-12-01}
armed_groups:
  jnim: {sectors: [North]}
""")
    _, _, err = validate(capsys, name)
    assert "mixed.yaml:5:3: ieds.encounter_probability_per_vehicle: must be <= 1, got 1.5" in err
    assert "mixed.yaml:7:24: camps.resupply_hubs[1]: unknown camp 'Timbuctu' (did you mean 'Timbuktu'?)" in err
    assert "mixed.yaml:9:59: events.surge.group: unknown armed group 'jnmi' (did you mean 'jnim'?)" in err
    assert "mixed.yaml:9:72: events.surge.factor: must be <= 100, got 200" in err
    assert "mixed.yaml:10:71: events.hold.hubs[0]: unknown camp 'Gaoo' (did you mean 'Gao'?)" in err
    assert "mixed.yaml:10:78: events.hold.until: must not be before date (2022-01-01), got 2021-12-01" in err


def test_a_group_the_schema_refuses_is_still_one_events_and_sweeps_may_name(here, capsys) -> None:
    name = write(here, "group.yaml", """\
extends: parent.yaml
name: group
armed_groups:
  jnim: {ieds_per_week: -1}
events:
  surge: {date: 2022-01-01, action: armed_group_capacity, group: jnim, factor: 2}
sweep:
  method: grid
  parameters:
    armed_groups.jnim.ieds_per_week: {values: [1, 2]}
""")
    _, _, err = validate(capsys, name)
    assert err == ["group.yaml:4:10: armed_groups.jnim.ieds_per_week: must be >= 0, got -1", "1 of 1 file(s) invalid"]


def test_a_value_the_child_cannot_set_is_not_replaced_by_the_parents(here, capsys) -> None:
    write(here, "old.yaml", "name: old\nstart: 2005-01-01\nend: 2022-12-31\n")  # outside the theatre's data
    name = write(here, "child.yaml", "extends: old.yaml\nname: child\nstart: 2021-02-30\n")
    _, _, err = validate(capsys, name)
    assert err == ["child.yaml:3:8: start: cannot read value '2021-02-30': day is out of range for month",
                   "1 of 1 file(s) invalid"]


def test_several_values_that_cannot_be_read_are_all_reported(here, capsys) -> None:
    name = write(here, "unreadable.yaml", """\
name: unreadable
start: 2021-01-01
end: 2022-12-31
seed: 1
seed: 2
camps:
  strength_scale: !float 0.5
  resupply_hubs: [Gao, !camp Kidal]
events:
  close_ber: {date: 2023-02-29, action: camp_closes, camp: Ber}
""")
    _, _, err = validate(capsys, name)
    assert "unreadable.yaml:5:1: seed: duplicate key (first set at line 4)" in err
    assert "unreadable.yaml:7:19: camps.strength_scale: YAML tag '!float' is not allowed; scenario files hold plain values only" in err
    assert "unreadable.yaml:8:24: camps.resupply_hubs[1]: YAML tag '!camp' is not allowed; scenario files hold plain values only" in err
    assert "unreadable.yaml:10:21: events.close_ber.date: cannot read value '2023-02-29': day is out of range for month" in err
    assert len(err) == 5


# ------------------------------------------------------------------------------------ misspelt group and provider ids

def test_a_misspelt_group_id_in_a_child_suggests_the_parents_group(here, capsys) -> None:
    name = write(here, "typo.yaml", "extends: parent.yaml\nname: typo\narmed_groups:\n  jnimm:\n    ieds_per_week: 2\n")
    _, _, err = validate(capsys, name)
    assert err == ["typo.yaml:4:3: armed_groups.jnimm: unknown armed group 'jnimm' (did you mean 'jnim'?); a new armed "
                   "group also needs sectors", "1 of 1 file(s) invalid"]


def test_the_same_typo_in_an_event_is_reported_too(here, capsys) -> None:
    name = write(here, "typo.yaml", """\
extends: parent.yaml
name: typo
armed_groups:
  jnimm: {ieds_per_week: 2}
events:
  surge: {date: 2022-01-01, action: armed_group_capacity, group: jnimm, factor: 2}
""")
    _, _, err = validate(capsys, name)
    assert "typo.yaml:4:3: armed_groups.jnimm: unknown armed group 'jnimm' (did you mean 'jnim'?); a new armed group also needs sectors" in err
    assert "typo.yaml:6:59: events.surge.group: unknown armed group 'jnimm' (did you mean 'jnim'?)" in err


def test_a_new_group_with_its_required_keys_is_not_a_typo(here) -> None:
    name = write(here, "new.yaml", "extends: parent.yaml\nname: new\narmed_groups:\n  jnim2: {sectors: [West]}\n")
    assert set(load_scenario(name).armed_groups) == {"jnim", "jnim2", "isgs"}


def test_a_new_group_unlike_any_other_reports_its_missing_keys(here, capsys) -> None:
    name = write(here, "new.yaml", "extends: parent.yaml\nname: new\narmed_groups:\n  katiba_macina: {ieds_per_week: 1}\n")
    _, _, err = validate(capsys, name)
    assert err[0] == "new.yaml:4:3: armed_groups.katiba_macina.sectors: required key is missing"


def test_a_misspelt_provider_id_suggests_the_existing_provider(here, capsys) -> None:
    name = write(here, "air.yaml", "extends: parent.yaml\nname: air\nair_support:\n  providers:\n    barkhan:\n      helicopters: 4\n")
    _, _, err = validate(capsys, name)
    assert err[0] == ("air.yaml:5:5: air_support.providers.barkhan: unknown air provider 'barkhan' (did you mean "
                      "'barkhane'?); a new air provider also needs operator")


# ----------------------------------------------------------------------------------------------------- warnings

def closures(start: str, close: str, warmup: int = 0, lead: float = 60) -> str:
    return (f"name: closures\nstart: {start}\nend: 2023-12-31\nwarmup_days: {warmup}\nwithdrawal:\n  lead_days: {lead}\n"
            f"events:\n  close_ber: {{date: {close}, action: camp_closes, camp: Ber}}\n")


def test_a_closure_whose_draw_down_starts_before_the_simulation_warns_and_stays_valid(here, capsys) -> None:
    code, out, err = validate(capsys, write(here, "early.yaml", closures("2023-07-01", "2023-08-13")))
    assert code == 0
    assert err == ["early.yaml:8:15: events.close_ber.date: warning: the draw-down of camp Ber (withdrawal.lead_days: 60 "
                   "before it closes on 2023-08-13) would start on 2023-06-14, before the simulation starts on "
                   "2023-07-01: it gets 43 days instead of 60 (set warmup_days to at least 17, or shorten "
                   "withdrawal.lead_days)"]
    assert out == ["early.yaml: ok (closures, 2023-07-01..2023-12-31, 1 warning(s))"]


def test_a_draw_down_that_starts_in_the_warm_up_does_not_warn(here, capsys) -> None:
    code, out, err = validate(capsys, write(here, "warm.yaml", closures("2023-07-01", "2023-08-13", warmup=17)))
    assert (code, err) == (0, [])
    assert out == ["warm.yaml: ok (closures, 2023-07-01..2023-12-31)"]


def test_a_warm_up_too_short_for_the_draw_down_warns_from_the_warm_up(here) -> None:
    [warning] = resolve_scenario(write(here, "warm.yaml", closures("2023-07-01", "2023-08-13", warmup=10))).warnings
    assert "before the warm-up starts on 2023-06-21: it gets 53 days instead of 60" in warning.message


def test_a_closure_dated_before_the_window_is_applied_at_set_up_without_warning(here) -> None:
    assert resolve_scenario(write(here, "before.yaml", closures("2023-07-01", "2023-06-20"))).warnings == ()


def test_a_closure_with_time_to_draw_down_does_not_warn(here) -> None:
    assert resolve_scenario(write(here, "late.yaml", closures("2023-07-01", "2023-09-30"))).warnings == ()
    assert resolve_scenario(write(here, "short.yaml", closures("2023-07-01", "2023-08-13", lead=30))).warnings == ()


def test_warnings_are_available_to_python(here) -> None:
    name = write(here, "early.yaml", closures("2023-07-01", "2023-08-13"))
    validation = pkosim.validate(name)
    assert validation.ok and validation.scenario is not None
    assert [str(w) for w in validation.warnings] == [str(w) for w in resolve_scenario(name).warnings]
    assert validation.warnings[0].warning and validation.warnings[0].key == "events.close_ber.date"
    assert validation.lines()[0].startswith("early.yaml:8:15: events.close_ber.date: warning: the draw-down")


def test_running_a_scenario_with_a_warning_issues_a_python_warning(here) -> None:
    from pkosim.api import ScenarioWarning, _scenario_of

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _scenario_of(here / write(here, "early.yaml", closures("2023-07-01", "2023-08-13")))
    assert [w.category for w in caught] == [ScenarioWarning]
    assert "warning: the draw-down of camp Ber" in str(caught[0].message)


def test_warnings_are_printed_with_the_problems_of_an_invalid_file(here, capsys) -> None:
    text = closures("2023-07-01", "2023-08-13").replace("name: closures", "name: closures\nreplicatons: 3")
    code, _, err = validate(capsys, write(here, "both.yaml", text))
    assert code == 2
    assert err[0] == "both.yaml:2:1: replicatons: unknown key (did you mean 'replications'?)"
    assert err[1].startswith("both.yaml:9:15: events.close_ber.date: warning: the draw-down of camp Ber")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(here / "both.yaml")
    assert len(raised.value.problems) == 1 and len(raised.value.warnings) == 1


def test_no_shipped_scenario_has_warnings() -> None:
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert resolve_scenario(path).warnings == (), path.name


# ------------------------------------------------------------------------------------------ event documentation

@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=[c.__name__ for c in EVENT_CLASSES])
def test_every_event_kind_has_a_documented_example_that_validates(cls, here) -> None:
    event_id, _, flow = cls.example.partition(": ")
    text = (f"name: example\nstart: 2014-01-01\nend: 2023-12-31\narmed_groups:\n  jnim: {{sectors: [North]}}\n"
            f"events:\n  {event_id}: {flow}\n")
    event = load_scenario(write(here, "example.yaml", text)).events[event_id]
    assert isinstance(event, cls)
    assert all(name in flow for name, field in cls.model_fields.items() if field.is_required())
    assert all(field.description for field in cls.model_fields.values()), "every field is described"
