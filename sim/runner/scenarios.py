"""The few things the runner asks of a scenario object, in one place.

The runner treats a scenario as an opaque, validated, frozen pydantic model. It needs to: read ``name``,
``replications``, ``seed``, ``outputs`` and ``sweep``; apply a design point's overrides, and a replication's
posterior draw (``for_replication``, docs in ``sim.scenario.posterior``); hash it; store it in the
manifest; and rebuild it from there on ``--resume``. Two kinds of scenario exist, named in a fixed registry
(``MODELS``) and recorded in the manifest by name, never as an import path: ``pkosim`` (``sim.scenario.Scenario``,
run by ``sim.simulation.simulate``) and ``fake`` (the engine's stand-in, ``sim.runner.fakes``, which keeps the
engine's tests and benchmarks independent of the model).

A scenario's ``seed`` and ``replications`` only give the batch its defaults: the batch's own ``root_seed`` and
``replications`` (``--seed``, ``--replications``, the manifest) are the authority, so they are left out of the
stored scenario and of its hash, and the scenario object the runs receive is never rewritten with them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any, Callable

from pydantic import ValidationError

import sim.scenario as sim_scenario
from sim.errors import PkosimError, ScenarioError
from sim.scenario import Scenario
from sim.scenario.loader import BATCH_KEYS, scenario_data

from .fakes import FakeScenario, fake_simulate

MODELS: dict[str, type] = {"pkosim": Scenario, "fake": FakeScenario}


def model_name(scenario: Any) -> str:
    """The registry name of a scenario's kind."""
    for name, cls in MODELS.items():
        if isinstance(scenario, cls):
            return name
    raise PkosimError(f"cannot run a {type(scenario).__name__}: a scenario is a sim.scenario.Scenario (or the "
                      "engine's FakeScenario in tests)")


def default_run_fn(model: str) -> Callable:
    """The model that runs scenarios of kind ``model`` unless the caller gives another."""
    if model == "fake":
        return fake_simulate
    try:
        from sim.simulation import simulate
    except ImportError as error:
        raise PkosimError(f"the model is not available (sim.simulation.simulate: {error})") from None
    return simulate


def to_json(scenario: Any) -> dict:
    """The scenario as stored in a manifest: JSON data without the batch keys (seed, replications), and without
    ``posterior`` when it has none."""
    if isinstance(scenario, Scenario):
        return scenario_data(scenario)
    data = scenario.model_dump(mode="json")
    for key in BATCH_KEYS:
        data.pop(key, None)
    if data.get("posterior", ...) is None:
        del data["posterior"]
    return data


def scenario_hash(scenario: Any) -> str:
    if isinstance(scenario, Scenario):
        return sim_scenario.scenario_hash(scenario)
    text = json.dumps(to_json(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def with_overrides(scenario: Any, values: dict[str, Any]) -> Any:
    """A re-validated copy of ``scenario`` with each dotted path set to its value."""
    if not values:
        return scenario
    if isinstance(scenario, Scenario):
        return sim_scenario.with_overrides(scenario, dict(values))
    data = copy.deepcopy(scenario.model_dump(mode="json"))
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


def for_replication(scenario: Any, run: int) -> Any:
    """The scenario replication ``run`` runs: the posterior's draw ``run`` (mod the number of draws) applied, except
    to the parameters a sweep varies; the scenario itself when it has no posterior."""
    if getattr(scenario, "posterior", None) is None:
        return scenario
    from sim.scenario.posterior import replication_values

    return with_overrides(scenario, {**replication_values(scenario, run), "posterior": None})


def from_json(model: str, data: Any, where: str) -> Any:
    """Rebuild a stored scenario of kind ``model`` by validation (the same checks as a scenario file: schema and
    theatre); a problem is one line naming ``where`` (the manifest) and the key."""
    if not isinstance(data, dict):
        raise PkosimError(f"{where}: scenario: must be a mapping of keys to values")
    if model == "pkosim":
        from sim.scenario.loader import validate_document
        from sim.scenario.yaml_source import YamlDocument

        try:
            return validate_document(YamlDocument(where, copy.deepcopy(data), {}))
        except ScenarioError as error:
            first = error.problems[0]
            more = f" (and {len(error.problems) - 1} more problem(s))" if len(error.problems) > 1 else ""
            raise PkosimError(f"{where}: scenario.{first.key}: {first.message}{more}" if first.key else
                              f"{where}: scenario: {first.message}{more}") from None
    try:
        return MODELS[model].model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise PkosimError(f"{where}: scenario.{key}: {first['msg'].lower()}") from None
