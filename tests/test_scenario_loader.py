"""Loader semantics: extends/merge, provenance, overrides, hashing, ``pkosim show`` (and --diff), the JSON Schema."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pkosim.cli import main
from sim.errors import ScenarioError
from sim.scenario import load_scenario, resolve_scenario, scenario_hash, with_overrides
from sim.scenario.cli import schema_text
from sim.camp import CampParams

FIXTURES = Path(__file__).parent / "scenario_fixtures"
ROOT = Path(__file__).resolve().parent.parent
PARENT, CHILD, GRANDCHILD = FIXTURES / "parent.yaml", FIXTURES / "child.yaml", FIXTURES / "nested" / "grandchild.yaml"


def test_mappings_merge_key_by_key() -> None:
    child = load_scenario(CHILD)
    assert child.camps.strength_scale == 0.9  # set by the child
    assert child.camps.resupply_hubs == ("Gao", "Bamako")  # inherited from the parent
    assert child.roads.speed_paved_km_per_day == 200.0  # inherited from the parent's roads section
    assert child.armed_groups["jnim"].ieds_per_week == 4.0


def test_lists_replace_whole() -> None:
    assert load_scenario(PARENT).roads.rainy_season_months == (6, 7, 8, 9)
    assert load_scenario(CHILD).roads.rainy_season_months == (7, 8)


def test_null_removes_inherited_key_and_event() -> None:
    parent, child = load_scenario(PARENT), load_scenario(CHILD)
    assert parent.seed == 7 and child.seed == 0  # back to the model default
    assert "grounding" in parent.events and "grounding" not in child.events
    assert child.events["close_ber"].date == date(2023, 9, 1)  # one key of an inherited event changed
    assert child.events["close_ber"].transfer_to == "Timbuktu"  # the rest inherited
    assert set(child.events) == {"leave_kidal", "close_ber", "surge", "leave_chad"}


def test_three_level_chain_with_relative_paths() -> None:
    resolved = resolve_scenario(GRANDCHILD)
    scenario = resolved.scenario
    assert scenario.name == "fixture-grandchild"
    assert scenario.camps.initial_stock_days == 30  # grandchild
    assert scenario.camps.strength_scale == 0.9  # child
    assert scenario.camps.resupply_hubs == ("Gao", "Bamako")  # parent
    assert [Path(f).name for f in resolved.files] == ["parent.yaml", "child.yaml", "grandchild.yaml"]


def test_extends_resolved_from_the_childs_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    assert load_scenario(GRANDCHILD).name == "fixture-grandchild"


def test_origin_names_file_and_line_or_default() -> None:
    resolved = resolve_scenario(CHILD)
    assert resolved.origin(("camps", "strength_scale")).endswith("child.yaml:5")
    assert resolved.origin(("camps", "resupply_hubs")).endswith("parent.yaml:13")
    assert resolved.origin(("events", "close_ber", "transfer_to")).endswith("parent.yaml:41")
    assert resolved.origin(("events", "close_ber", "date")).endswith("child.yaml:12")
    assert resolved.origin(("seed",)) == "default"  # removed by null
    assert resolved.origin(("medical", "request_minutes")) == "default"
    # a section set in a file does not make its other keys "set there" (regression: they said child.yaml:4)
    assert resolved.origin(("camps", "rotation_interval_days")) == "default"


def test_error_in_a_parent_points_into_the_parent(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("name: p\nstart: 2021-01-01\nend: 2022-12-31\nconvoys:\n  tonnes_per_truck: -2\n")
    (tmp_path / "c.yaml").write_text("extends: p.yaml\nname: c\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "c.yaml")
    assert info.value.lines() == [f"{tmp_path / 'p.yaml'}:5:3: convoys.tonnes_per_truck: must be > 0, got -2"]


def test_child_can_fix_a_parent_value(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("name: p\nstart: 2021-01-01\nend: 2022-12-31\nconvoys:\n  tonnes_per_truck: -2\n")
    (tmp_path / "c.yaml").write_text("extends: p.yaml\nname: c\nconvoys:\n  tonnes_per_truck: 10\n")
    assert load_scenario(tmp_path / "c.yaml").convoys.tonnes_per_truck == 10


def test_with_overrides_sets_and_revalidates() -> None:
    base = load_scenario(PARENT)
    changed = with_overrides(base, {"ieds.base_detection_probability": 0.5, "camps.strength_scale": 1.2})
    assert changed.ieds.base_detection_probability == 0.5 and changed.camps.strength_scale == 1.2
    assert base.camps.strength_scale == 0.8  # the original is untouched
    assert changed.events == base.events and changed.armed_groups == base.armed_groups


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"ieds.no_such_thing": 1.0}, "<override>: ieds.no_such_thing: no such parameter"),
        ({"nowhere.at_all": 1.0}, "<override>: nowhere.at_all: no such parameter"),
        ({"camps.strength_scale.deeper": 1.0}, "<override>: camps.strength_scale.deeper: no such parameter"),
        ({"camps.strength_scale": -1.0}, "<override>:1:1: camps.strength_scale: must be > 0, got -1.0"),
        ({"ieds.encounter_probability_per_vehicle": "high"}, "<override>:1:1: ieds.encounter_probability_per_vehicle: must be a number, got 'high'"),
    ],
)
def test_with_overrides_rejects_bad_path_or_value(overrides: dict, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        with_overrides(load_scenario(PARENT), overrides)
    assert expected in info.value.lines()


def test_scenario_hash_stable_and_sensitive() -> None:
    first, again = load_scenario(PARENT), load_scenario(PARENT)
    assert scenario_hash(first) == scenario_hash(again)
    assert len(scenario_hash(first)) == 64
    assert scenario_hash(with_overrides(first, {"camps.strength_scale": 0.8})) == scenario_hash(first)
    assert scenario_hash(with_overrides(first, {"camps.strength_scale": 0.81})) != scenario_hash(first)
    assert scenario_hash(load_scenario(CHILD)) != scenario_hash(first)


@pytest.mark.parametrize("source", [PARENT, CHILD, GRANDCHILD, *sorted((ROOT / "scenarios").glob("*.yaml"))], ids=lambda p: p.stem)
def test_show_prints_yaml_that_reloads_to_the_same_scenario(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(source)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# resolved from: ")
    shown = tmp_path / "shown.yaml"
    shown.write_text(out)
    assert load_scenario(shown) == load_scenario(source)
    assert scenario_hash(load_scenario(shown)) == scenario_hash(load_scenario(source))


def test_show_diff_lists_only_changed_keys_with_origin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    assert main(["show", "child.yaml", "--diff", "parent.yaml"]) == 0
    out = capsys.readouterr().out.splitlines()
    keys = [line[:-1] for line in out if line and not line.startswith(" ") and line.endswith(":")]
    assert "camps.strength_scale" in keys and "name" in keys and "seed" in keys and "roads.rainy_season_months" in keys
    assert "camps.resupply_hubs" not in keys and "armed_groups.jnim.ieds_per_week" not in keys
    text = "\n".join(out)
    assert "  child.yaml: 0.9  [child.yaml:5]" in text
    assert "  parent.yaml: 0.8  [parent.yaml:12]" in text
    assert "  child.yaml: 0  [default]" in text  # seed: removed by null, back to the default
    assert "  parent.yaml: 7  [parent.yaml:7]" in text
    assert out[-1] == f"{len(keys)} value(s) differ"


def test_show_diff_default_for_unset_key_in_a_set_section(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text("name: a\nstart: 2021-01-01\nend: 2022-12-31\ncamps:\n  initial_stock_days: 20\n")
    Path("b.yaml").write_text("name: a\nstart: 2021-01-01\nend: 2022-12-31\ncamps:\n  strength_scale: 1.5\n")
    assert main(["show", "a.yaml", "--diff", "b.yaml"]) == 0
    out = capsys.readouterr().out.splitlines()
    default = CampParams.model_fields["strength_scale"].default
    assert out == [
        "camps.initial_stock_days:", "  a.yaml: 20.0  [a.yaml:5]", "  b.yaml: 45.0  [default]",
        "camps.strength_scale:", f"  a.yaml: {default}  [default]", "  b.yaml: 1.5  [b.yaml:5]",
        "2 value(s) differ",
    ]


def test_show_diff_of_identical_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(PARENT), "--diff", str(PARENT)]) == 0
    assert capsys.readouterr().out.startswith("no differences")


def test_show_of_a_bad_file_exits_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent / "bad_scenarios")
    assert main(["show", "range_zero_scale.yaml"]) == 2
    assert "range_zero_scale.yaml:6:3: camps.strength_scale: must be > 0, got 0" in capsys.readouterr().err


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "scenarios" / "scenario.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "scenarios/scenario.schema.json is out of date: run `pkosim schema` and commit it"


def _properties(node: object, path: str = "") -> list[tuple[str, dict]]:
    out = []
    if isinstance(node, dict):
        for name, spec in (node.get("properties") or {}).items():
            out.append((f"{path}.{name}" if path else name, spec))
        for key, value in node.items():
            if key != "properties":
                out += _properties(value, f"{path}/{key}" if path else key)
    elif isinstance(node, list):
        for value in node:
            out += _properties(value, path)
    return out


def test_every_schema_parameter_is_documented() -> None:
    schema = json.loads(schema_text())
    properties = _properties(schema)
    assert len(properties) > 100
    # 'action' is an event's discriminator (a constant naming the kind, documented on the event), not a parameter
    undocumented = [
        name for name, spec in properties
        if not spec.get("description") and "$ref" not in spec and "allOf" not in spec and not name.endswith(".action")
    ]
    assert not undocumented, f"parameters without a description: {undocumented}"
    declared = [(name, spec) for name, spec in properties if "unit" in spec or "source" in spec]
    assert len(declared) > 50
    for name, spec in declared:
        assert spec.get("unit") and spec.get("source"), f"{name}: declared with param/share but lacks a unit or a source"
        assert f"Unit: {spec['unit']}" in spec["description"], name


def test_param_and_share_fields_carry_unit_and_source() -> None:
    """Every field declared with param()/share() in the models reaches the schema with a unit and a source."""
    from pydantic import BaseModel

    from sim.scenario.schema import PARAMETER_SECTIONS

    models = [model for _, model in PARAMETER_SECTIONS]
    assert all(issubclass(m, BaseModel) for m in models)
    checked = 0
    for model in models:
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if "Unit: " in (field.description or ""):
                assert extra.get("unit") and extra.get("source"), f"{model.__name__}.{name}"
                checked += 1
    assert checked > 50


def test_extends_with_an_impossible_path_is_a_located_error(tmp_path: Path) -> None:
    """Regression: a parent name too long for the file system raised OSError with a traceback."""
    (tmp_path / "c.yaml").write_text(f"name: c\nextends: {'p' * 5000}.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "c.yaml")
    [line] = info.value.lines()
    assert line.startswith(f"{tmp_path / 'c.yaml'}:2:1: extends: cannot use 'ppppp") and line.endswith("as a parent scenario file: File name too long")
    assert len(line) < 300


def test_scenarios_pickle_as_data_and_rebuild_by_validation():
    """Workers receive scenarios by pickle: the copy must be equal, of the same types, and built by validation
    (pydantic's default unpickling leaves objects whose attribute reads are slower in the model's daily loop)."""
    import pickle

    from sim.scenario import load_scenario
    from sim.scenario.base import _rebuild

    scenario = load_scenario("scenarios/withdrawal_2023.yaml")
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy == scenario and copy is not scenario
    assert type(copy.events["close_kidal"]) is type(scenario.events["close_kidal"])
    assert copy.air_support.providers["barkhane"] == scenario.air_support.providers["barkhane"]
    assert scenario.__reduce__()[0] is _rebuild


def test_a_scenario_error_survives_pickling_whole(tmp_path):
    """Errors raised in worker processes reach the parent by pickle: rebuilt from the message, a ScenarioError
    crashed the pool's result thread and hung the batch."""
    import pickle

    path = tmp_path / "late.yaml"
    path.write_text(f"extends: {Path('scenarios/base.yaml').resolve()}\nname: late\nstart: 2015-01-01\n"
                    "end: 2024-12-30\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert copy.lines() == caught.value.lines() and "outside the theatre's data" in str(copy)
