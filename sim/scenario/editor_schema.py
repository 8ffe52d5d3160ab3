"""The JSON Schema editors use for scenario files: pydantic's schema of ``Scenario``, post-processed so that it
accepts every file pkosim accepts and completes the names the theatre knows.

Two changes, made on the generated schema (so they follow any change to the parameter classes):

- **A partial form for files that ``extends`` another.** Such a file states only what differs from its parent, so
  nothing is required in it, and ``null`` is allowed wherever the merge allows it (everywhere: ``null`` removes an
  inherited key, or drops an inherited event). An event override may be partial (``close_kidal: {date: ...}``), so
  the partial event is any one of the partial event kinds. The root of the schema selects the form with JSON Schema
  ``if``/``then``/``else`` on the presence of ``extends`` (yaml-language-server, VS Code's YAML extension,
  ``jsonschema`` and ``check-jsonschema`` support it), so one schema file serves every scenario file and the
  ``# yaml-language-server: $schema=scenario.schema.json`` modeline stays as it is.
- **Names from the theatre** (``sim/theatres/mali/``) as enums: camps, French bases, contingents and sectors,
  wherever a field holds one (``ENUMS``), so an editor completes them and underlines a misspelt one. Armed groups
  are not in the theatre data (a scenario defines them under ``armed_groups``), so their ids get no enum.
"""

from __future__ import annotations

import copy
from typing import Any

from sim.theatre import SECTORS, Theatre

ROOT = "Scenario"
PARTIAL = "Partial"
NULL = {"type": "null"}
# Where a field holds a theatre name, by its key path in a scenario file (the format, not the Python classes, so a
# renamed parameter class does not lose its enum): "*" is any key of a mapping, an action name picks that kind of
# event. -> (where in the field, which names): "value" the string itself (or its string branch), "items" each item
# of a list, "keys" each key of a mapping.
ENUMS: dict[tuple[str, ...], tuple[str, str]] = {
    ("camps", "resupply_hubs"): ("items", "camp"),
    ("armed_groups", "*", "sectors"): ("items", "sector"),
    ("armed_groups", "*", "sector_weights"): ("keys", "sector"),
    ("air_support", "providers", "*", "helicopter_bases"): ("items", "base"),
    ("air_support", "providers", "*", "fixed_wing_bases"): ("items", "base"),
    ("events", "*", "french_base_left", "base"): ("value", "french_base"),
    ("events", "*", "camp_closes", "camp"): ("value", "camp"),
    ("events", "*", "camp_closes", "transfer_to"): ("value", "camp"),
    ("events", "*", "contingent_leaves", "contingent"): ("value", "contingent"),
    ("events", "*", "contingent_leaves", "camps"): ("items", "camp"),
    ("events", "*", "ground_movement_restricted", "hubs"): ("items", "camp"),
    ("contingents",): ("keys", "contingent"),
}
# Keywords that describe a property (kept on the nullable wrapper, for hovers and completion).
DESCRIBING = ("title", "description", "default", "unit", "source")


def theatre_names(theatre: Theatre) -> dict[str, list[str]]:
    return {
        "camp": sorted(theatre.camps),
        "french_base": sorted(theatre.french_bases),
        "base": sorted(set(theatre.camps) | set(theatre.french_bases)),
        "contingent": sorted(theatre.contingents),
        "sector": list(SECTORS),
    }


def editor_schema(schema: dict[str, Any], theatre: Theatre) -> tuple[dict[str, Any], list[str]]:
    """The schema editors use, from pydantic's ``Scenario.model_json_schema()``; and the ``ENUMS`` targets that were
    not found (a renamed field: a test fails on them)."""
    schema = copy.deepcopy(schema)
    defs = schema.pop("$defs", {})
    head = {k: schema.pop(k) for k in ("$schema", "title") if k in schema}
    defs[ROOT] = schema
    missing = add_enums(defs, theatre_names(theatre))
    for name in list(defs):
        defs[name + PARTIAL] = partial(defs[name], defs)
    root = {
        **head,
        "description": schema.get("description", ""),
        "$defs": defs,
        "if": {"required": ["extends"]},
        "then": {"$ref": f"#/$defs/{ROOT}{PARTIAL}"},
        "else": {"$ref": f"#/$defs/{ROOT}"},
    }
    return root, missing


def add_enums(defs: dict[str, Any], names: dict[str, list[str]]) -> list[str]:
    missing = []
    for path, (where, kind) in ENUMS.items():
        target = field_at(defs, path)
        strings = [b for b in (target or {}).get("anyOf", [target]) if b and b.get("type") == "string"]
        if target is None or (where == "value" and not strings):
            missing.append(".".join(path))
            continue
        enum = {"enum": names[kind]}
        if where == "items":
            target.setdefault("items", {}).update(enum)
        elif where == "keys":
            target["propertyNames"] = enum
        else:
            strings[0].update(enum)
    return missing


def field_at(defs: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    """The schema of the field at a scenario key path (see ``ENUMS``), inside ``defs`` (so it can be changed)."""
    node: dict[str, Any] | None = defs[ROOT]
    for part in path:
        node = _object(defs, node)
        if node is None:
            return None
        if part == "*":
            node = node.get("additionalProperties") if isinstance(node.get("additionalProperties"), dict) else None
        elif "properties" in node:
            node = node["properties"].get(part)
        else:  # a union of event kinds: the branch whose action is ``part``
            branches = [_object(defs, b) for b in node.get("oneOf", node.get("anyOf", []))]
            node = next((b for b in branches if b and b.get("properties", {}).get("action", {}).get("const") == part),
                        None)
    return node


def _object(defs: dict[str, Any], node: dict[str, Any] | None) -> dict[str, Any] | None:
    """Follow a reference, or the one non-null branch of an optional field, to the schema behind it."""
    while node is not None:
        if "$ref" in node:
            node = defs.get(node["$ref"].removeprefix("#/$defs/"))
        elif "anyOf" in node and "oneOf" not in node and all("$ref" in b or b == NULL for b in node["anyOf"]):
            refs = [b for b in node["anyOf"] if b != NULL]
            if len(refs) != 1:
                return node
            node = refs[0]
        else:
            return node
    return None


def partial(definition: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A definition with nothing required and ``null`` allowed for every property and mapping value; references
    point to the partial definitions; a discriminated union becomes "any of" (a partial event has no action)."""
    out = _loosen(_refs_to_partial(copy.deepcopy(definition)))
    out.pop("required", None)
    for name, prop in out.get("properties", {}).items():
        referenced = defs.get(prop.get("$ref", "").removeprefix("#/$defs/").removesuffix(PARTIAL), {})
        if "description" not in prop and "description" in referenced:  # a section: its class's description
            prop = {"description": referenced["description"], **prop}
        out["properties"][name] = nullable(_loosen(prop))
    return out


def _loosen(node: dict[str, Any]) -> dict[str, Any]:
    """Mapping values (events by id, providers by id, ...) may be null or partial too."""
    if "discriminator" in node:  # a partial event has no action to select its kind by
        node = {k: v for k, v in node.items() if k != "discriminator"}
        node["anyOf"] = node.pop("oneOf")
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = nullable(_loosen(node["additionalProperties"]))
    if "anyOf" in node:
        node["anyOf"] = [_loosen(branch) for branch in node["anyOf"]]
    return node


def nullable(prop: dict[str, Any]) -> dict[str, Any]:
    if prop.get("type") == "null" or NULL in prop.get("anyOf", []):
        return prop
    described = {k: prop[k] for k in DESCRIBING if k in prop}
    inner = {k: v for k, v in prop.items() if k not in described}
    if "anyOf" in inner and len(inner) == 1:
        return {**described, "anyOf": [*inner["anyOf"], NULL]}
    return {**described, "anyOf": [inner, NULL]}


def _refs_to_partial(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = value + PARTIAL
            elif key == "mapping" and isinstance(value, dict):
                out[key] = {k: v + PARTIAL for k, v in value.items()}
            else:
                out[key] = _refs_to_partial(value)
        return out
    if isinstance(node, list):
        return [_refs_to_partial(item) for item in node]
    return node
