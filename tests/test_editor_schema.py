"""The JSON Schema editors use (scenarios/scenario.schema.json, named in each file's yaml-language-server modeline)
accepts every shipped scenario file, partial or not, and still rejects wrong ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from sim.scenario.editor_schema import ENUMS, editor_schema, field_at
from sim.scenario.schema import Scenario
from sim.theatre import load_theatre

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[1]
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)", re.MULTILINE)
SHIPPED = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml") if MODELINE.search(p.read_text(encoding="utf-8")))


class EditorLoader(yaml.SafeLoader):
    """YAML as yaml-language-server reads it (YAML 1.2: an unquoted 2023-08-13 is a string, not a date)."""


EditorLoader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def editor_validator(text: str, folder: Path):
    """The validator for the schema a file's modeline names, as the editor resolves it (relative to the file)."""
    schema_path = (folder / MODELINE.search(text).group(1)).resolve()
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def problems(text: str, folder: Path = ROOT / "scenarios") -> list[str]:
    """What the editor underlines in ``text``, a file in ``folder``."""
    data = yaml.load(text, Loader=EditorLoader)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in editor_validator(text, folder).iter_errors(data)]


MODELINE_TEXT = "# yaml-language-server: $schema=scenario.schema.json\n"


def test_the_corpus_has_every_shipped_scenario():
    assert len(SHIPPED) >= 13
    assert ROOT / "scenarios" / "params" / "calibrated.yaml" in SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_scenario_validates_against_the_schema_its_editor_uses(path):
    assert problems(path.read_text(encoding="utf-8"), path.parent) == []


def test_a_file_without_extends_must_be_complete():
    found = problems(MODELINE_TEXT + "name: x\nstart: 2021-01-01\n")
    assert any("'end' is a required property" in p for p in found)


def test_a_partial_file_may_override_one_field_of_an_event_and_remove_another():
    text = MODELINE_TEXT + "extends: base.yaml\nevents:\n  close_kidal: {date: 2023-09-10}\n  leave_gao: null\n"
    assert problems(text) == []


@pytest.mark.parametrize("text, expected", [
    ("extends: base.yaml\ncamps: {strenght_scale: 1}\n", "strenght_scale"),
    ("extends: base.yaml\nevents:\n  close_kidal: {date: 2023-10-31, action: camp_closes, camp: Kidall}\n", "Kidall"),
    ("extends: base.yaml\ncontingents:\n  Chadd: {counter_ied_training: 0.5}\n", "Chadd"),
    ("extends: base.yaml\nreplications: many\n", "many"),
    ("extends: base.yaml\nair_support:\n  providers:\n    x: {helicopter_bases: [Gaoo]}\n", "Gaoo"),
    ("name: x\nstart: 2021-01-01\nend: 2021-12-31\narmed_groups:\n  jnim: {sectors: [Nord]}\n", "Nord"),
])
def test_a_wrong_file_still_fails(text, expected):
    found = problems(MODELINE_TEXT + text)
    assert found, "accepted a wrong file"
    assert any(expected in p for p in found), found


def test_every_enum_target_exists_in_the_parameter_classes():
    schema = Scenario.model_json_schema()
    _editor, missing = editor_schema(schema, load_theatre("mali"))
    assert missing == [], f"ENUMS names key paths that no longer exist in the scenario format: {missing}"
    assert len(ENUMS) >= 10


def test_camp_names_complete_from_the_theatre():
    schema = json.loads((ROOT / "scenarios" / "scenario.schema.json").read_text(encoding="utf-8"))
    camp = field_at(schema["$defs"], ("events", "*", "camp_closes", "camp"))
    assert "Kidal" in camp["enum"] and "Niamey" not in camp["enum"]  # Niamey is a French base, not a camp
