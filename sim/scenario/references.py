"""Checks that need the theatre or the whole scenario: names that must exist, dates that must fit the window,
events that must come in a possible order, sweep paths that must name numeric parameters.

Each check yields ``(key path, message)``; the loader turns the path into a file, line and column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import date
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.events import (
    ArmedGroupCapacity,
    ArmedGroupTargeting,
    CampCloses,
    ContingentLeaves,
    FrenchBaseLeft,
    GroundMovementRestricted,
)
from sim.scenario.messages import did_you_mean
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import KeyPath, show_value
from sim.theatre import SECTORS, THEATRES_DIR, Theatre, load_theatre

Finding = tuple[KeyPath, str]


def _unknown(kind: str, name: str, known: list[str] | tuple[str, ...]) -> str:
    return f"unknown {kind} {show_value(name)}{did_you_mean(name, known)}"


def _known_theatres() -> list[str]:
    return sorted(p.name for p in THEATRES_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def check_references(scenario: Scenario, data: dict[str, Any]) -> list[Finding]:
    known = _known_theatres()
    if scenario.theatre not in known:  # also keeps '..', '' and other paths out of the theatre loader
        return [(("theatre",), f"{_unknown('theatre', scenario.theatre, known)}; known: {', '.join(known)}")]
    try:
        theatre = load_theatre(scenario.theatre)
    except ScenarioError as error:
        return [(("theatre",), f"theatre {scenario.theatre!r} has bad data: {error.lines()[0]}")]
    return [
        *_check_names(scenario, theatre),
        *_check_events(scenario, theatre),
        *_check_sweep(scenario),
    ]


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


def _check_events(scenario: Scenario, theatre: Theatre) -> Iterator[Finding]:
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
            if event.group not in scenario.armed_groups:
                yield here + ("group",), _unknown("armed group", event.group, sorted(scenario.armed_groups))


def _check_sweep(scenario: Scenario) -> Iterator[Finding]:
    if scenario.sweep is None:
        return
    data = scenario.model_dump(mode="json")
    for path in scenario.sweep.parameters:
        here: KeyPath = ("sweep", "parameters", path)
        node: Any = data
        parts = path.split(".")
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
