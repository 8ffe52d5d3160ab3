"""Checks that need the theatre or the whole scenario: a window inside the theatre's data, names that must exist,
dates that must fit the window, events that must come in a possible order, numbers written as numbers (not
``true``), and sweeps over model parameters whose every value (grid values, low and high) is a valid value.

Each check yields ``(key path, message)``; the loader turns the path into a file, line and column.
``check_warnings`` finds what is valid but probably not what was meant (a closure whose draw-down would start
before the simulated period); the loader reports those as warnings, which never make a file invalid.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Collection, Iterator
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.editor_schema import ENUMS, theatre_names
from sim.scenario.events import (
    ACTIONS,
    EVENT_CLASSES,
    ArmedGroupCapacity,
    ArmedGroupTargeting,
    CampCloses,
    ContingentLeaves,
    FrenchBaseLeft,
    GroundMovementRestricted,
)
from sim.scenario.messages import describe_error, did_you_mean, normalise_loc
from sim.scenario.salvage import depends_on, is_under
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import KeyPath, show_value
from sim.theatre import SECTORS, THEATRES_DIR, Theatre, load_theatre

Finding = tuple[KeyPath, str]

# Top-level keys that are not model parameters: a sweep over them would change nothing in the runs (seed and
# replications belong to the batch, not to a design point) or nothing numeric.
NON_MODEL_KEYS = ("name", "description", "theatre", "start", "end", "replications", "seed", "sweep", "outputs")
SAMPLED_METHODS = ("latin_hypercube", "sobol", "morris")


def _unknown(kind: str, name: str, known: list[str] | tuple[str, ...]) -> str:
    return f"unknown {kind} {show_value(name)}{did_you_mean(name, known)}"


def _known_theatres() -> list[str]:
    return sorted(p.name for p in THEATRES_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def check_references(scenario: Scenario, data: dict[str, Any], *, sweep_values: bool = True,
                     window: bool = True, left_out: Collection[KeyPath] = ()) -> list[Finding]:
    """Every finding for ``scenario`` (validated from ``data``, the merged file data, or from what remains of it
    when the schema refused some of it: ``sim.scenario.salvage``, whose ``left_out`` key paths still have their
    names checked, on the file's data). ``sweep_values=False`` skips re-validating each sweep value (done once when
    the file is read, not for every design point); ``window=False`` skips the window checks (``start`` or ``end``
    is a stand-in)."""
    known = _known_theatres()
    if scenario.theatre not in known:  # also keeps '..', '' and other paths out of the theatre loader
        return [(("theatre",), f"{_unknown('theatre', scenario.theatre, known)}; known: {', '.join(known)}")]
    try:
        theatre = load_theatre(scenario.theatre)
    except ScenarioError as error:
        return [(("theatre",), f"theatre {scenario.theatre!r} has bad data: {error.lines()[0]}")]
    groups = set(scenario.armed_groups)
    if isinstance(data.get("armed_groups"), dict):  # a group the schema refused is still a group the file defines
        groups |= set(data["armed_groups"])
    findings = [
        *(_check_window(scenario, theatre) if window else ()),
        *_check_numbers(data, scenario.model_dump(mode="json")),
        *_check_names(scenario, theatre),
        *_check_events(scenario, theatre, sorted(groups)),
        *_check_sweep(scenario),
        *(_check_sweep_values(scenario) if sweep_values else ()),
    ]
    return [*(f for f in findings if not depends_on(f[0], left_out)),
            *_check_left_out_names(data, left_out, theatre, sorted(groups))]


def _check_window(scenario: Scenario, theatre: Theatre) -> Iterator[Finding]:
    first, last = theatre.data_window
    where = f"the {theatre.name} theatre's data cover {first}..{last}"
    if not first <= scenario.start <= last:
        yield ("start",), f"{scenario.start} is outside the theatre's data: {where}"
    if not first <= scenario.end <= last:
        yield ("end",), f"{scenario.end} is outside the theatre's data: {where}"


def _check_numbers(raw: Any, validated: Any, path: KeyPath = ()) -> Iterator[Finding]:
    """``true``/``false`` where the scenario holds a number: pydantic reads them as 1 and 0; a person meant
    something else."""
    if isinstance(raw, bool):
        if not isinstance(validated, bool) and isinstance(validated, (int, float)):
            yield path, f"must be a number, got {str(raw).lower()}"
    elif isinstance(raw, dict) and isinstance(validated, dict):
        for key, value in raw.items():
            if key in validated:
                yield from _check_numbers(value, validated[key], path + (key,))
    elif isinstance(raw, list) and isinstance(validated, list) and len(raw) == len(validated):
        for index, (value, checked) in enumerate(zip(raw, validated)):
            yield from _check_numbers(value, checked, path + (index,))


def _check_names(scenario: Scenario, theatre: Theatre) -> Iterator[Finding]:
    camps = sorted(theatre.camps)
    bases = sorted(set(theatre.camps) | set(theatre.french_bases))
    for index, hub in enumerate(scenario.camps.resupply_hubs):
        if hub not in theatre.camps:
            yield ("camps", "resupply_hubs", index), _unknown("camp", hub, camps)
    for group_id, group in scenario.armed_groups.items():
        for index, sector in enumerate(group.sectors):
            if sector not in SECTORS:
                yield ("armed_groups", group_id, "sectors", index), _unknown("sector", sector, SECTORS)
    for provider_id, provider in scenario.air_support.providers.items():
        for field in ("helicopter_bases", "fixed_wing_bases"):
            for index, base in enumerate(getattr(provider, field)):
                if base not in bases:
                    yield ("air_support", "providers", provider_id, field, index), _unknown("camp or French base", base, bases)
    for contingent in scenario.contingents:
        if contingent not in theatre.contingents:
            yield ("contingents", contingent), _unknown("contingent", contingent, sorted(theatre.contingents))
    kinds = sorted({h.kind for h in theatre.hotspots})
    for index, kind in enumerate(scenario.patrols.hotspot_kinds):
        if kind not in kinds:
            yield ("patrols", "hotspot_kinds", index), _unknown("hotspot kind", kind, kinds)
    for index, month in enumerate(scenario.roads.rainy_season_months):
        if not 1 <= month <= 12:
            yield ("roads", "rainy_season_months", index), f"must be a month number 1-12, got {month}"


def _check_events(scenario: Scenario, theatre: Theatre, groups: list[str]) -> Iterator[Finding]:
    camps = sorted(theatre.camps)
    closes: dict[str, tuple[str, date]] = {}
    bases_left: dict[str, str] = {}
    for event_id, event in scenario.events_in_order():
        here: KeyPath = ("events", event_id)
        if isinstance(event, FrenchBaseLeft):
            if event.base not in theatre.french_bases:
                yield here + ("base",), _unknown("French base", event.base, sorted(theatre.french_bases))
            elif event.base in bases_left:
                yield here + ("base",), f"French base {event.base} is already left by event {bases_left[event.base]!r}"
            bases_left[event.base] = event_id
        elif isinstance(event, CampCloses):
            if event.camp not in theatre.camps:
                yield here + ("camp",), _unknown("camp", event.camp, camps)
                continue
            camp = theatre.camps[event.camp]
            if event.date < camp.opened:
                yield here + ("date",), f"camp {event.camp} opens on {camp.opened}; it cannot close before that ({event.date})"
            if event.camp in closes:
                yield here + ("camp",), f"camp {event.camp} already closes on {closes[event.camp][1]} (event {closes[event.camp][0]!r})"
            closes[event.camp] = (event_id, event.date)
            if event.transfer_to is not None:
                if event.transfer_to not in theatre.camps:
                    yield here + ("transfer_to",), _unknown("camp", event.transfer_to, camps)
                elif event.transfer_to == event.camp:
                    yield here + ("transfer_to",), "a camp cannot transfer its garrison to itself"
                elif event.transfer_to in closes and closes[event.transfer_to][1] <= event.date:
                    yield here + ("transfer_to",), f"camp {event.transfer_to} has already closed by {event.date}"
        elif isinstance(event, ContingentLeaves):
            if event.contingent not in theatre.contingents:
                yield here + ("contingent",), _unknown("contingent", event.contingent, sorted(theatre.contingents))
            for index, camp_name in enumerate(event.camps):
                if camp_name not in theatre.camps:
                    yield here + ("camps", index), _unknown("camp", camp_name, camps)
                elif camp_name in closes and closes[camp_name][1] < event.date:
                    yield here + ("date",), f"camp {camp_name} closes on {closes[camp_name][1]} (event {closes[camp_name][0]!r}), before the contingent leaves it"
        elif isinstance(event, GroundMovementRestricted):
            for index, hub in enumerate(event.hubs):
                if hub not in theatre.camps:
                    yield here + ("hubs", index), _unknown("camp", hub, camps)
        elif isinstance(event, (ArmedGroupCapacity, ArmedGroupTargeting)):
            if event.group not in groups:
                yield here + ("group",), _unknown("armed group", event.group, groups)


# Where the file names something, for the names in parts the schema refused: the editor schema's table of theatre
# names (the sector weights excepted: they are not checked anywhere), and the armed group of an event.
_NAMED_FIELDS: dict[tuple[str, ...], tuple[str, str]] = {
    **{path: spec for path, spec in ENUMS.items() if path[-1] != "sector_weights"},
    **{("events", "*", action, "group"): ("value", "armed_group")
       for action, cls in zip(ACTIONS, EVENT_CLASSES) if "group" in cls.model_fields},
}
_KIND_WORDS = {"camp": "camp", "base": "camp or French base", "french_base": "French base",
               "contingent": "contingent", "sector": "sector", "armed_group": "armed group"}


def _named(node: Any, pattern: tuple[str, ...], path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """(key path, value) of every place in the file's data that ``pattern`` (an ``ENUMS`` key) matches."""
    if not pattern:
        yield path, node
    elif isinstance(node, dict):
        head, rest = pattern[0], pattern[1:]
        if head == "*":
            for key, child in node.items():
                yield from _named(child, rest, path + (key,))
        elif head in ACTIONS:  # the kind of event: a level of the format, not a key
            if node.get("action") == head:
                yield from _named(node, rest, path)
        elif head in node:
            yield from _named(node[head], rest, path + (head,))


def _check_left_out_names(data: dict[str, Any], left_out: Collection[KeyPath], theatre: Theatre,
                          groups: list[str]) -> Iterator[Finding]:
    """Unknown names in the parts of the file the schema refused (an event with a bad date still names a camp)."""
    if not left_out:
        return
    names = {**theatre_names(theatre), "armed_group": groups}
    for pattern, (where, kind) in _NAMED_FIELDS.items():
        for path, value in _named(data, pattern):
            if where == "keys":
                found = [(path + (key,), key) for key in value] if isinstance(value, dict) else []
            elif where == "items":
                found = [(path + (i,), item) for i, item in enumerate(value)] if isinstance(value, list) else []
            else:
                found = [(path, value)]
            for at, name in found:  # a name in a part that was kept has been checked with the rest
                if is_under(at, left_out) and isinstance(name, str) and name not in names[kind]:
                    yield at, _unknown(_KIND_WORDS[kind], name, names[kind])


def check_warnings(scenario: Scenario) -> list[Finding]:
    """What is valid but probably not what was meant: a camp that closes inside the window but whose draw-down
    (``withdrawal.lead_days`` before its closing date) would start before the first simulated day (``start``, or
    the start of the warm-up): the camp starts withdrawing on that first day and has fewer days to get out than
    planned. Closures dated before the window are applied at set-up and are not warned about."""
    first_day = scenario.start - timedelta(days=scenario.warmup_days)
    lead_days = int(scenario.withdrawal.lead_days)  # as the camp counts it (sim.camp.Camp.plan_closure)
    findings: list[Finding] = []
    for event_id, event in scenario.events_in_order():
        if not isinstance(event, CampCloses) or not scenario.start <= event.date <= scenario.end:
            continue
        begins = event.date - timedelta(days=lead_days)
        if begins < first_day:
            simulated = "the warm-up starts" if scenario.warmup_days else "the simulation starts"
            findings.append((("events", event_id, "date"), (
                f"the draw-down of camp {event.camp} (withdrawal.lead_days: {lead_days} before it closes on "
                f"{event.date}) would start on {begins}, before {simulated} on {first_day}: it gets "
                f"{(event.date - first_day).days} days instead of {lead_days} (set warmup_days to at least "
                f"{(scenario.start - begins).days}, or shorten withdrawal.lead_days)")))
    return findings


def _check_sweep(scenario: Scenario) -> Iterator[Finding]:
    if scenario.sweep is None:
        return
    data = scenario.model_dump(mode="json")
    for path in scenario.sweep.parameters:
        here: KeyPath = ("sweep", "parameters", path)
        node: Any = data
        parts = path.split(".")
        if parts[0] in NON_MODEL_KEYS:
            yield here, (f"{show_value(path)} is not a model parameter; a sweep varies model parameters (set the "
                         "batch's seed and replications with seed:/replications: or --seed/--replications)")
            continue
        for depth, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                options = sorted(node) if isinstance(node, dict) else []
                prefix = ".".join(parts[:depth])
                hint = did_you_mean(part, options)
                if hint and prefix:  # suggest the whole dotted path, as it is written in the sweep
                    hint = did_you_mean(".".join([prefix, *difflib.get_close_matches(part, options, n=1)]), [".".join([prefix, o]) for o in options])
                yield here, f"no parameter {show_value(path)}" + hint
                break
            node = node[part]
        else:
            if isinstance(node, bool) or not isinstance(node, (int, float)):
                kind = {"dict": "a section", "list": "a list", "str": "text", "bool": "true/false", "NoneType": "unset"}.get(type(node).__name__, type(node).__name__)
                yield here, f"{show_value(path)} is not a numeric parameter (it is {kind})"
            elif isinstance(node, int) and scenario.sweep.method in SAMPLED_METHODS:
                yield here, (f"{show_value(path)} is a whole-number parameter; {scenario.sweep.method} samples "
                             "fractions between low and high: sweep it with method grid and a list of values")


def _sweep_candidates(spec: Any) -> Iterator[tuple[KeyPath, float]]:
    for index, value in enumerate(spec.values or ()):
        yield ("values", index), value
    for end in ("low", "high"):
        if getattr(spec, end) is not None:
            yield (end,), getattr(spec, end)


def _check_sweep_values(scenario: Scenario) -> Iterator[Finding]:
    """Each grid value and each of low and high, set in the scenario and validated as the runs will be: a value
    the model refuses is found now, with its line, not hours into a batch."""
    if scenario.sweep is None:
        return
    base = scenario.model_dump(mode="json", exclude_none=True)
    base.pop("sweep", None)
    for path, spec in scenario.sweep.parameters.items():
        parts = path.split(".")
        if parts[0] in NON_MODEL_KEYS:
            continue  # refused by _check_sweep
        for where, value in _sweep_candidates(spec):
            data = copy.deepcopy(base)
            node: Any = data
            for part in parts[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict) or parts[-1] not in node:
                break  # no such parameter: reported by _check_sweep
            node[parts[-1]] = value
            try:
                Scenario.model_validate(data)
            except ValidationError as error:
                err = error.errors()[0]
                _, message = describe_error(err, normalise_loc(err["loc"], data), data)
                yield ("sweep", "parameters", path) + where, f"{value:g} is not a valid value of {path}: {message}"
