"""Pydantic's validation errors rewritten for people editing YAML.

``Input should be greater than 0`` becomes ``must be > 0, got -3``; an unknown key gets ``did you mean ...?``
from the keys allowed at that place; an unknown event action lists the actions there are.
"""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import KeyPath, shorten, show_value


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest option, or ''."""
    names = [str(o) for o in options]
    match = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    if not match and len(str(word)) >= 3:  # 'Mopti' for 'Mopti-Sevare': a unique option that starts with the word
        match = [o for o in names if o.lower().startswith(str(word).lower())][:2]
        match = match if len(match) == 1 else []
    return f" (did you mean {match[0]!r}?)" if match else ""


def normalise_loc(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """Drop the parts of pydantic's location that are not keys in the file (discriminator tags like 'camp_closes')."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            if part in node:
                node = node[part]
                path.append(part)
            elif node.get("action") == part:
                continue  # the tag of a discriminated union: not a key the user wrote
            else:
                path.append(part)
                node = None
        elif isinstance(node, list) and isinstance(part, int):
            path.append(part)
            node = node[part] if part < len(node) else None
        else:
            path.append(part)
            node = None
    return tuple(path)


def _model_for(annotation: Any, node: Any) -> Any:
    """Unwrap Annotated/Optional/discriminated unions to the type that applies to ``node``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _model_for(get_args(annotation)[0], node)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _model_for(members[0], node)
        action = node.get("action") if isinstance(node, dict) else None
        for member in members:
            if isinstance(member, type) and issubclass(member, BaseModel) and "action" in member.model_fields:
                if action in get_args(member.model_fields["action"].annotation):
                    return member
        return None
    return annotation


def allowed_keys(path: KeyPath, data: Any, root: type[BaseModel] = Scenario) -> list[str] | None:
    """The keys the schema allows in the mapping at ``path`` (None if not a fixed-key mapping)."""
    annotation: Any = root
    node = data
    for part in path:
        kind = _model_for(annotation, node)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if part not in kind.model_fields:
                return None
            annotation = kind.model_fields[part].annotation
        elif get_origin(kind) in (dict, tuple, list):
            annotation = get_args(kind)[-1] if get_origin(kind) is dict else get_args(kind)[0]
        else:
            return None
        node = node.get(part) if isinstance(node, dict) else None
    kind = _model_for(annotation, node)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [name for name, field in kind.model_fields.items() if not field.exclude or name == "extends"]
    return None


def _got(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return show_value(value) if isinstance(value, str) else shorten(str(value))


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _relocate(path: KeyPath, message: str, data: Any) -> tuple[KeyPath, str]:
    """A section's validator may name one of its entries ('x.y: a grid needs values'): point at that entry instead."""
    name, sep, rest = message.partition(": ")
    node = _value_at(data, path)
    if sep and isinstance(node, dict):
        for key, child in node.items():
            if isinstance(child, dict) and name in child:
                return path + (key, name), rest
    return path, message


_COMPARISONS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
_TYPES = {
    "int_parsing": "a whole number", "int_type": "a whole number", "int_from_float": "a whole number",
    "float_parsing": "a number", "float_type": "a number",
    "bool_parsing": "true or false", "bool_type": "true or false",
    "string_type": "text", "dict_type": "a mapping of keys to values", "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values", "string_unicode": "text",
    "list_type": "a list", "tuple_type": "a list",
    "date_parsing": "a date (YYYY-MM-DD)", "date_type": "a date (YYYY-MM-DD)", "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
}


def describe_error(err: dict[str, Any], path: KeyPath, data: Any,
                   root: type[BaseModel] = Scenario) -> tuple[KeyPath, str]:
    """(key path, message) for one pydantic error at ``path``; the path may go one key deeper (an event's action)."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    key = path
    if kind == "extra_forbidden":
        options = allowed_keys(path[:-1], data, root) or []
        return key, "unknown key" + did_you_mean(str(path[-1]), options)
    if kind == "missing":
        return key, "required key is missing"
    if kind in _COMPARISONS:
        bound = next(iter(ctx.values()))
        bound = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return key, f"must be {_COMPARISONS[kind]} {bound}, got {_got(value)}"
    if kind == "finite_number":
        return key, f"must be a finite number, got {_got(value)}"
    if kind in _TYPES:
        return key, f"must be {_TYPES[kind]}, got {_got(value)}"
    if kind == "union_tag_invalid":
        from sim.scenario.events import ACTIONS

        tag = ctx.get("tag")
        return path + ("action",), f"unknown action {show_value(tag)}{did_you_mean(tag, ACTIONS)}; one of: {', '.join(ACTIONS)}"
    if kind == "union_tag_not_found":
        from sim.scenario.events import ACTIONS

        return path + ("action",), f"required key is missing; one of: {', '.join(ACTIONS)}"
    if kind == "literal_error":
        return key, f"must be one of {ctx.get('expected')}, got {_got(value)}" + did_you_mean(str(value), [s.strip(" '") for s in str(ctx.get("expected", "")).replace(" or ", ",").split(",")])
    if kind == "string_pattern_mismatch":
        return key, f"{_got(value)} does not match the pattern {ctx.get('pattern')}"
    if kind in ("too_short", "too_long"):
        return key, f"must have {'at least' if kind == 'too_short' else 'at most'} {ctx.get('min_length', ctx.get('max_length'))} item(s)"
    if kind == "string_too_long":
        return key, f"must be at most {ctx.get('max_length')} characters"
    if kind == "value_error":
        return _relocate(key, str(ctx.get("error", err["msg"])), data)
    text = " ".join(str(err["msg"]).split()) or "invalid value"
    return key, text[0].lower() + text[1:] + (f", got {_got(value)}" if value is not None and not isinstance(value, (dict, list)) else "")
