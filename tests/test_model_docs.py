"""The ODD parameter table and base.yaml must match the parameter models."""

from pathlib import Path

import yaml

from sim.odd_table import table
from sim.scenario.params import Camps, Convoys, HostState, Ieds, Medical, Patrols, Roads


def test_odd_parameter_table_is_current():
    text = Path("docs/ODD.md").read_text()
    start = text.index("<!-- parameter-table:start -->") + len("<!-- parameter-table:start -->")
    end = text.index("<!-- parameter-table:end -->")
    assert text[start:end].strip() == table().strip(), "regenerate with: python -m sim.odd_table"


def test_base_yaml_restates_every_default():
    base = yaml.safe_load(Path("scenarios/base.yaml").read_text())
    for key, model in (("roads", Roads), ("camps", Camps), ("patrols", Patrols), ("convoys", Convoys),
                       ("ieds", Ieds), ("medical", Medical), ("host_state", HostState)):
        for name, field in model.model_fields.items():
            value = base[key][name]
            default = field.default
            assert (list(default) if isinstance(default, tuple) else default) == value, f"{key}.{name}"
