"""Documentation generated from the code, so that it cannot drift: parameter, result, decision and event tables.

Each table sits in a Markdown file between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers.
``python -m sim.documentation`` rewrites every block; a test fails when a committed block differs from what the
code generates (run the command, then commit).
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path
from typing import Callable, get_args

from sim.incidents import INCIDENT_COLUMNS
from sim.logistics import CONVOY_COLUMNS
from sim.metrics import REGISTRY
from sim.scenario.events import EVENT_CLASSES
from sim.scenario.schema import PARAMETER_SECTIONS

ROOT = Path(__file__).resolve().parents[1]


def _range(field) -> str:
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo)) if lo is None else lo
        hi = getattr(m, "le", getattr(m, "lt", hi)) if hi is None else hi
    if lo is None and hi is None:
        return ""
    return f"{'' if lo is None else lo}..{'' if hi is None else hi}"


def parameter_table() -> str:
    """Every documented parameter: key path, unit, default, range, description and source."""
    rows = ["| parameter | unit | default | range | description and source |", "|---|---|---|---|---|"]
    for prefix, model in PARAMETER_SECTIONS:
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra or {}
            if "unit" not in extra:
                continue
            default = field.default
            if isinstance(default, tuple):
                default = ", ".join(str(v) for v in default)
            desc = (field.description or "").replace("|", "/")
            rows.append(f"| `{prefix}.{name}` | {extra['unit']} | {default} | {_range(field)} | {desc} |")
    return "\n".join(rows)


_KIND_TEXT = {
    "count": "count: yearly sum; whole run per year",
    "level": "daily level: yearly and whole-run mean over days",
    "ratio": "ratio of summed counts",
    "max": "largest daily value",
}


def results_table() -> str:
    """Every result: column, unit, kind (how it aggregates), tables it appears in, meaning."""
    rows = ["| column | unit | kind | in | meaning |", "|---|---|---|---|---|"]
    for r in REGISTRY.results:
        tables = "yearly, daily" if r.daily else "yearly"
        meaning = r.description
        if r.kind == "ratio":
            den = " + ".join(f"`{d}`" for d in r.denominator)
            scale = f"{r.scale:g} x " if r.scale != 1 else ""
            meaning += f" ({scale}`{r.numerator}` / {den})"
        rows.append(f"| `{r.name}` | {r.unit} | {_KIND_TEXT[r.kind]} | {tables} | {meaning} |")
    return "\n".join(rows)


def runs_table() -> str:
    """The whole-run summary columns of runs.parquet."""
    rows = ["| column | unit | meaning |", "|---|---|---|"]
    for r in REGISTRY.results:
        if r.kind == "count":
            rows.append(f"| `total_{r.name}` | {r.unit} | {r.label}: total over the run |")
        else:
            rows.append(f"| `{r.name}` | {r.unit} | {r.label}: whole run ({_KIND_TEXT[r.kind]}) |")
    return "\n".join(rows)


def _columns_table(columns: dict[str, tuple[str, str, str]]) -> str:
    rows = ["| column | type | unit | meaning |", "|---|---|---|---|"]
    for name, (dtype, unit, description) in columns.items():
        rows.append(f"| `{name}` | {dtype} | {unit} | {description} |")
    return "\n".join(rows)


def incident_table() -> str:
    return _columns_table(INCIDENT_COLUMNS)


def convoy_table() -> str:
    return _columns_table(CONVOY_COLUMNS)


def decisions_table() -> str:
    """The model's random decisions (one stream each, in blocks: ``streams.py``), as created for ``scenarios/base.yaml``."""
    from sim.scenario import load_scenario
    from sim.simulation import PeacekeepingModel

    model = PeacekeepingModel(scenario=load_scenario(ROOT / "scenarios" / "base.yaml"), seed=0)
    groups = {g.group_id for g in model.groups}
    providers = {p.provider_id for p in model.air.providers}
    names = set()
    for name in model.streams.names:
        head, _, rest = name.partition(".")
        if head in groups:
            name = f"<group>.{rest}"
        elif head == "air" and rest.split(".")[0] in providers:
            name = "air.<provider>." + rest.split(".", 1)[1]
        names.add(name)
    return "\n".join(f"- `{name}`" for name in sorted(names))


_EVENT_FIELD_KINDS = {date: "date", str: "name", bool: "true/false", float: "number", int: "whole number",
                      tuple[str, ...]: "list of names"}


def _event_bounds(field) -> str:
    """A field's bounds in words: '0 to 1', 'above 0, up to 1', 'at least 0'."""
    low = high = ""
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            low = f"{m.ge:g}"
        elif getattr(m, "gt", None) is not None:
            low = f"above {m.gt:g}"
        if getattr(m, "le", None) is not None:
            high = f"{m.le:g}"
        elif getattr(m, "lt", None) is not None:
            high = f"below {m.lt:g}"
    if low and high:
        return f"{low} to {high}" if not low.startswith("above") and not high.startswith("below") else f"{low}, up to {high}"
    return f"at least {low}" if low and not low.startswith("above") else low or (f"at most {high}" if high else "")


def _event_field(name: str, field) -> str:
    """'`share` (number, 0 to 1; required): ...' for one field of an event kind."""
    annotation = field.annotation
    optional = type(None) in get_args(annotation)
    kind = _EVENT_FIELD_KINDS.get(next((a for a in get_args(annotation) if a is not type(None)), annotation)
                                  if optional else annotation, "value")
    bounds = _event_bounds(field)
    if field.is_required():
        need = "required"
    elif field.default in (None, ()):
        need = "optional"
    else:
        need = "default " + (str(field.default).lower() if isinstance(field.default, bool) else f"{field.default:g}"
                             if isinstance(field.default, float) else str(field.default))
    return f"`{name}` ({kind}{', ' + bounds if bounds else ''}; {need}): {field.description}"


def events_table() -> str:
    """Every event kind: what it does, its fields (besides ``date``, ``action`` and ``note``, which every event
    has) with their kind, bounds and default, and an example line of a scenario's ``events``."""
    rows = ["| action | what it does | fields | example |", "|---|---|---|---|"]
    for cls in EVENT_CLASSES:
        action = get_args(cls.model_fields["action"].annotation)[0]
        fields = [_event_field(name, field) for name, field in cls.model_fields.items()
                  if name not in ("date", "action", "note")]
        doc = " ".join((cls.__doc__ or "").split()).replace("|", "/")
        rows.append(f"| `{action}` | {doc} | {'<br>'.join(fields) or '-'} | `{cls.example}` |")
    return "\n".join(rows)


#: (file, block name, generator)
BLOCKS: tuple[tuple[str, str, Callable[[], str]], ...] = (
    ("docs/ODD.md", "parameter-table", parameter_table),
    ("docs/ODD.md", "results-table", results_table),
    ("docs/ODD.md", "decisions-table", decisions_table),
    ("docs/ODD.md", "events-table", events_table),
    ("docs/results.md", "results-table", results_table),
    ("docs/results.md", "runs-table", runs_table),
    ("docs/results.md", "incident-table", incident_table),
    ("docs/results.md", "convoy-table", convoy_table),
    ("README.md", "events-table", events_table),
)


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)


def stale_blocks() -> list[str]:
    """The blocks whose committed text differs from what the code generates ('file: block')."""
    stale = []
    for file, name, make in BLOCKS:
        text = (ROOT / file).read_text(encoding="utf-8")
        found = _pattern(name).search(text)
        if found is None or text[found.end(1):found.start(2)] != make() + "\n":
            stale.append(f"{file}: {name}")
    return stale


def write_blocks() -> list[str]:
    """Rewrite every block in place; return the files changed."""
    changed = []
    cache: dict[str, str] = {}
    for file, name, make in BLOCKS:
        path = ROOT / file
        text = cache.get(file, path.read_text(encoding="utf-8"))
        pattern = _pattern(name)
        if pattern.search(text) is None:
            raise SystemExit(f"{file}: no <!-- {name}:start --> ... <!-- {name}:end --> block to fill")
        cache[file] = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    for file, text in cache.items():
        if (ROOT / file).read_text(encoding="utf-8") != text:
            (ROOT / file).write_text(text, encoding="utf-8")
            changed.append(file)
    return changed


if __name__ == "__main__":
    files = write_blocks()
    print("updated: " + ", ".join(files) if files else "every generated block is current", file=sys.stderr)
    sys.exit(0)

