"""The few things the runner asks of a scenario object, in one place.

The runner treats a scenario as an opaque, validated, frozen pydantic model. It needs to: read ``name``,
``replications``, ``seed``, ``outputs`` and ``sweep``; apply overrides (design points, ``--seed``); hash it; dump
it to JSON for the manifest; and rebuild it from that JSON on ``--resume``. For ``sim.scenario.Scenario`` these go
through ``sim.scenario`` (``with_overrides``, ``scenario_hash``); any other pydantic model (the engine's own test
stand-in, ``sim.runner.fakes``, which keeps the engine's tests independent of the model) gets the same behaviour
generically. The class is recorded in the manifest as
``module:qualname`` so that a resume rebuilds the same kind of object.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
from typing import Any

import sim.scenario as sim_scenario
from sim.errors import PkosimError
from sim.scenario import Scenario


def to_json(scenario: Any) -> dict:
    return scenario.model_dump(mode="json")


def scenario_hash(scenario: Any) -> str:
    if isinstance(scenario, Scenario):
        return sim_scenario.scenario_hash(scenario)
    return hashlib.sha256(json.dumps(to_json(scenario), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def with_overrides(scenario: Any, values: dict[str, Any]) -> Any:
    """A re-validated copy of ``scenario`` with each dotted path set to its value."""
    if not values:
        return scenario
    if isinstance(scenario, Scenario):
        return sim_scenario.with_overrides(scenario, dict(values))
    data = copy.deepcopy(to_json(scenario))
    for path, value in values.items():
        node = data
        *parents, leaf = path.split(".")
        for key in parents:
            if not isinstance(node, dict) or key not in node:
                raise PkosimError(f"scenario {scenario.name!r}: no parameter {path!r} to override")
            node = node[key]
        if not isinstance(node, dict) or leaf not in node:
            raise PkosimError(f"scenario {scenario.name!r}: no parameter {path!r} to override")
        node[leaf] = value
    return type(scenario).model_validate(data)


def class_path(scenario: Any) -> str:
    cls = type(scenario)
    return f"{cls.__module__}:{cls.__qualname__}"


def from_json(data: dict, cls_path: str | None) -> Any:
    """Rebuild a scenario from its manifest JSON (the class defaults to ``sim.scenario.Scenario``)."""
    module_name, _, qualname = (cls_path or "sim.scenario:Scenario").partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as error:
        raise PkosimError(f"cannot rebuild the scenario class {cls_path!r} recorded in the manifest: {error}") from None
    return obj.model_validate(data)
