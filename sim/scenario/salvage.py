"""What can still be checked in a scenario the schema refuses, so that every problem is reported in one pass.

A schema error (a date that does not exist, a share above one) must not hide the problems the theatre checks would
find elsewhere in the file (an unknown camp in an event, a second closure of the same camp). ``salvage`` takes the
merged data and pydantic's errors and leaves out what the schema refused, one key at a time, until what remains
validates:

- a refused value is left out: a parameter falls back to its default; an event, an armed group or an air provider
  that then lacks a required key is left out whole (never an item of a list: that would renumber the others);
- a required top-level key (``name``, ``start``, ``end``) gets a stand-in, and the checks that need the real value
  (the window, the closure warnings) are skipped.

The theatre checks then run on the remaining scenario, minus their findings that rest on a key left out (a sweep over
a parameter of a left-out group is not "no such parameter"; an event that names a group left out does not name an
unknown group), plus the names in the parts left out, checked on the file's data (an event with a bad date still
names a camp). The errors the schema gave are reported as they were; the errors of the pruned versions are not
(they only follow from what was left out).

``misspelt_entries`` runs first: a new entry of ``armed_groups`` or ``air_support.providers`` that lacks required keys
and is named like an existing one is a typo of that one (``jnimm`` for ``jnim`` in a file that extends the one that
defines ``jnim``): "unknown armed group 'jnimm' (did you mean 'jnim'?)", not "sectors: required key is missing".
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.air_provider import AirProviderParams
from sim.armed_group import ArmedGroupParams
from sim.scenario.messages import did_you_mean, normalise_loc
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import KeyPath, show_value

Finding = tuple[KeyPath, str]

#: Mappings of entries that a scenario names itself (not the theatre): where, what an entry is, its parameters.
NAMED_ENTRIES: tuple[tuple[KeyPath, str, type[BaseModel]], ...] = (
    (("armed_groups",), "armed group", ArmedGroupParams),
    (("air_support", "providers"), "air provider", AirProviderParams),
)

#: The keys whose real values the window checks need; a stand-in for any of them skips those checks.
WINDOW_KEYS: tuple[KeyPath, ...] = (("start",), ("end",), ("warmup_days",))

MAX_ROUNDS = 50  # each round leaves out at least one key; real files need two or three


def _node(data: Any, path: KeyPath) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def misspelt_entries(data: dict[str, Any]) -> tuple[list[Finding], dict[str, Any]]:
    """Findings for new named entries that look like typos of complete ones, and the data without them."""
    findings: list[Finding] = []
    for where, kind, model in NAMED_ENTRIES:
        entries = _node(data, where)
        if not isinstance(entries, dict):
            continue
        required = [name for name, field in model.model_fields.items() if field.is_required()]
        complete = [str(k) for k, v in entries.items() if isinstance(v, dict) and all(r in v for r in required)]
        for entry_id, entry in entries.items():
            missing = [r for r in required if isinstance(entry, dict) and r not in entry]
            hint = did_you_mean(str(entry_id), [c for c in complete if c != entry_id]) if missing else ""
            if hint:
                findings.append((where + (entry_id,), f"unknown {kind} {show_value(entry_id)}{hint}; a new {kind} "
                                                      f"also needs {', '.join(missing)}"))
    if not findings:
        return findings, data
    data = copy.deepcopy(data)
    for path, _ in findings:
        del _node(data, path[:-1])[path[-1]]
    return findings, data


def _stand_in(data: dict[str, Any], key: str) -> Any:
    """A valid value for a required top-level key the schema refused (only checks that do not read it run)."""
    if key == "name":
        return "unnamed"
    other = data.get("end" if key == "start" else "start")
    if key in ("start", "end"):
        return other if type(other) is date else date(2000, 1, 1)
    return None


def _leave_out(data: dict[str, Any], path: KeyPath, pruned: set[KeyPath]) -> None:
    """Leave out what the schema refused at ``path`` (or give it a stand-in) and add its path to ``pruned``."""
    for index, part in enumerate(path):
        if isinstance(part, int):  # never an item of a list: the list as a whole
            path = path[:index]
            break
    while path:
        parent = _node(data, path[:-1])
        if isinstance(parent, dict) and path[-1] in parent:
            del parent[path[-1]]
            pruned.add(path)
            return
        if len(path) == 1:  # a required top-level key is missing
            value = _stand_in(data, str(path[0]))
            if value is not None and data.get(path[0]) != value:
                data[path[0]] = value
                pruned.add(path)
            return
        path = path[:-1]  # a required key is missing: leave out the entry that lacks it


def salvage(data: dict[str, Any], errors: Iterable[dict[str, Any]]) -> tuple[Scenario | None, set[KeyPath]]:
    """The scenario that remains once what the schema refused is left out, and the key paths left out (or given a
    stand-in); ``None`` if nothing valid remains."""
    data = copy.deepcopy(data)
    pruned: set[KeyPath] = set()
    for _ in range(MAX_ROUNDS):
        this_round: set[KeyPath] = set()
        for path in [normalise_loc(err["loc"], data) for err in errors]:
            if not is_under(path, this_round):  # an entry left out whole takes its other errors with it
                _leave_out(data, path, this_round)
        if not this_round:
            return None, pruned
        pruned |= this_round
        try:
            return Scenario.model_validate(data), pruned
        except ValidationError as error:
            errors = error.errors()
    return None, pruned


def is_under(path: KeyPath, prefixes: Iterable[KeyPath]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or lies under one of them."""
    return any(path[: len(prefix)] == prefix for prefix in prefixes)


def depends_on(finding_path: KeyPath, pruned: Collection[KeyPath]) -> bool:
    """Whether a theatre finding rests on something left out: its own key, the swept parameter, or the window."""
    if is_under(finding_path, pruned):
        return True
    if finding_path[:2] == ("sweep", "parameters") and len(finding_path) > 2:
        return is_under(tuple(str(finding_path[2]).split(".")), pruned)
    return finding_path in WINDOW_KEYS and any(key in pruned for key in WINDOW_KEYS)
