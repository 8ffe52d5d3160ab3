"""The scenario format: YAML files validated into typed, immutable ``Scenario`` objects.

Public API:
- ``load_scenario(path) -> Scenario``: read, resolve ``extends``, validate; raises ``ScenarioError`` (one located
  line per problem: ``FILE:LINE:COL: key.path: message``).
- ``resolve_scenario(path) -> ResolvedScenario``: the same, keeping where each value was set (for ``show --diff``)
  and the warnings found (``.warnings``: valid, but probably not what was meant).
- ``check_scenario(path) -> Validation``: what ``pkosim validate`` says, without raising: ``.scenario`` (None if the
  file has problems), ``.problems`` and ``.warnings``, all found in one pass.
- ``with_overrides(scenario, {"dotted.path": value}) -> Scenario``: a re-validated copy (sweeps, calibration).
- ``scenario_hash(scenario)``, ``canonical_json(scenario)``: identity of what was run (without ``seed`` and
  ``replications``, which belong to a batch).
- ``Scenario.posterior`` (the draws a ``posterior:`` file names, ``sim.scenario.posterior``) and
  ``Scenario.for_replication(k)``: the scenario replication k runs, with posterior draw k applied.
"""

from sim.scenario.loader import (
    ResolvedScenario,
    Validation,
    canonical_json,
    check_scenario,
    load_scenario,
    resolve_scenario,
    scenario_hash,
    with_overrides,
)
from sim.scenario.schema import Outputs, ParamRange, Scenario, Sweep

__all__ = [
    "Outputs",
    "ParamRange",
    "ResolvedScenario",
    "Scenario",
    "Sweep",
    "Validation",
    "canonical_json",
    "check_scenario",
    "load_scenario",
    "resolve_scenario",
    "scenario_hash",
    "with_overrides",
]
