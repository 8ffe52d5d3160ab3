"""The ODD parameter table, generated from the scenario models so that docs/ODD.md cannot drift.

``python -m sim.odd_table`` prints the Markdown table; tests compare it with the table in docs/ODD.md.
"""

from __future__ import annotations

from sim.scenario.params import (AirProvider, AirSupport, ArmedGroup, Camps, Convoys, HostState, Ieds, Medical,
                                 Patrols, Roads)

GROUPS = (("roads", Roads), ("camps", Camps), ("patrols", Patrols), ("convoys", Convoys), ("ieds", Ieds),
          ("armed_groups.<id>", ArmedGroup), ("air_support", AirSupport), ("air_support.providers.<id>", AirProvider),
          ("medical", Medical), ("host_state", HostState))


def _range(field) -> str:
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo)) if lo is None else lo
        hi = getattr(m, "le", getattr(m, "lt", hi)) if hi is None else hi
    if lo is None and hi is None:
        return ""
    return f"{'' if lo is None else lo}..{'' if hi is None else hi}"


def table() -> str:
    rows = ["| parameter | unit | default | range | description and source |", "|---|---|---|---|---|"]
    for prefix, model in GROUPS:
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


if __name__ == "__main__":
    print(table())
