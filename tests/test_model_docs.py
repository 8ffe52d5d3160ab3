"""Generated documentation (ODD, docs/results.md, README tables) and base.yaml must match the code."""

from pathlib import Path

import yaml

from sim.documentation import stale_blocks
from sim.scenario.schema import PARAMETER_SECTIONS


def test_every_generated_documentation_block_is_current():
    assert stale_blocks() == [], "regenerate with: python -m sim.documentation"


def test_base_yaml_restates_every_default():
    base = yaml.safe_load(Path("scenarios/base.yaml").read_text())
    for key, model in PARAMETER_SECTIONS:
        if "." in key:
            continue                                # per-id sections (groups, providers) are set per entry
        for name, field in model.model_fields.items():
            if "unit" not in (field.json_schema_extra or {}):
                continue                                # sub-sections and id-keyed mappings
            value = base[key][name]
            default = field.default
            assert (list(default) if isinstance(default, tuple) else default) == value, f"{key}.{name}"
