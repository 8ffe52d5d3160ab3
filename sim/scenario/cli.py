"""``pkosim validate``, ``pkosim show`` and ``pkosim schema``: checking what a scenario file really says."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from sim.errors import PkosimError
from sim.files import atomic_write_text
from sim.scenario.loader import ResolvedScenario, resolve_scenario
from sim.scenario.schema import Scenario

SCHEMA_PATH = Path("scenarios/scenario.schema.json")


def register(subparsers: argparse._SubParsersAction) -> None:
    validate = subparsers.add_parser("validate", help="check scenario files; one line per problem, exit 2 if any")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(func=run_validate)

    show = subparsers.add_parser("show", help="print a scenario fully resolved (after extends and defaults)")
    show.add_argument("file", metavar="FILE")
    show.add_argument("--diff", metavar="OTHER", help="list only the values that differ from OTHER, with where each was set")
    show.set_defaults(func=run_show)

    schema = subparsers.add_parser("schema", help="write the JSON Schema of scenario files (for editor completion)")
    schema.add_argument("--out", default=str(SCHEMA_PATH), help=f"where to write it (default {SCHEMA_PATH})")
    schema.set_defaults(func=run_schema)


def run_validate(args: argparse.Namespace) -> int:
    """Every problem and warning of each file, one located line each (problems first); warnings alone leave a
    file valid and the exit code 0."""
    failed = 0
    for file in args.files:
        try:
            resolved = resolve_scenario(file)
        except PkosimError as error:
            failed += 1
            for line in error.lines():
                print(line, file=sys.stderr)
        else:
            for warning in resolved.warnings:
                print(warning, file=sys.stderr)
            noted = f", {len(resolved.warnings)} warning(s)" if resolved.warnings else ""
            print(f"{file}: ok ({resolved.scenario.name}, {resolved.scenario.start}..{resolved.scenario.end}{noted})")
    if failed:
        print(f"{failed} of {len(args.files)} file(s) invalid", file=sys.stderr)
        return 2
    return 0


def resolved_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in schema order, every default filled in; a posterior as its files, hashes,
    number of draws and parameters rather than every draw."""
    data = scenario.model_dump(mode="json")
    if scenario.posterior is not None:
        data["posterior"] = scenario.posterior.summary()
    return data


def run_show(args: argparse.Namespace) -> int:
    resolved = resolve_scenario(args.file)
    if args.diff is None:
        header = "# resolved from: " + " <- ".join(reversed(resolved.files)) + "\n"
        data = resolved_data(resolved.scenario)
        if resolved.scenario.posterior is not None:
            # The posterior as a path, so that the printed YAML loads back to the same scenario; what it is, above.
            summary = data["posterior"]
            header += (f"# posterior: {summary['file']} (sha256 {summary['sha256'][:12]}), {summary['draws']} draws of "
                       f"{len(summary['parameters'])} parameters"
                       + (f"; pinned by the scenario: {', '.join(summary['pinned'])}" if summary.get("pinned") else "")
                       + "\n")
            data["posterior"] = str(Path(summary["file"]).resolve())
        print(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), end="")
        return 0
    other = resolve_scenario(args.diff)
    rows = diff_scenarios(resolved, other)
    if not rows:
        print(f"no differences between {args.file} and {args.diff}")
        return 0
    for key, ours, theirs in rows:
        print(f"{key}:\n  {args.file}: {ours}\n  {args.diff}: {theirs}")
    print(f"{len(rows)} value(s) differ")
    return 0


def flatten(data: Any, prefix: tuple[str | int, ...] = ()) -> dict[tuple[str | int, ...], Any]:
    """Resolved scenario data as {key path: value}: what two scenarios are compared on (``show --diff``, reports).
    Lists are values (they replace whole under ``extends``); an empty mapping is kept as a value."""
    if isinstance(data, dict) and data:
        out: dict[tuple[str | int, ...], Any] = {}
        for key, value in data.items():
            out.update(flatten(value, prefix + (key,)))
        return out
    return {prefix: data}


_ABSENT = object()


def diff_scenarios(a: ResolvedScenario, b: ResolvedScenario) -> list[tuple[str, str, str]]:
    """(key, 'value (where set)' in a, the same in b) for every value that differs."""
    flat_a, flat_b = flatten(resolved_data(a.scenario)), flatten(resolved_data(b.scenario))
    rows = []
    for key in sorted(set(flat_a) | set(flat_b), key=lambda k: [str(p) for p in k]):
        va, vb = flat_a.get(key, _ABSENT), flat_b.get(key, _ABSENT)
        if va != vb:
            dotted = ".".join(str(p) for p in key)
            rows.append((dotted, _describe(va, a, key), _describe(vb, b, key)))
    return rows


def _describe(value: Any, resolved: ResolvedScenario, key: tuple[str | int, ...]) -> str:
    if value is _ABSENT:
        return "(absent)"
    return f"{json.dumps(value)}  [{resolved.origin(key)}]"


def schema_text() -> str:
    """The JSON Schema of scenario files, as committed in scenarios/scenario.schema.json: pydantic's schema of
    ``Scenario`` with a partial form for files that ``extends`` another and the theatre's names as enums
    (``sim.scenario.editor_schema``)."""
    from sim.scenario.editor_schema import editor_schema
    from sim.theatre import load_theatre

    schema = Scenario.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "pkosim scenario", **schema}
    schema, _missing = editor_schema(schema, load_theatre("mali"))
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def run_schema(args: argparse.Namespace) -> int:
    atomic_write_text(args.out, schema_text())
    print(f"wrote {args.out}")
    return 0
