"""Metric metadata for the analysis layer, taken from the model's one registry of results (``sim.metrics``).

Figures take their axis labels and units from here, summaries their default metric set, and the command line its
"did you mean" suggestions. Nothing is declared twice: every result column comes from the module that produces it
(``sim.results`` explains the kinds), and the incident table's columns from ``sim.incidents``. ``agg`` says how a
metric combines over the years of one run:

- ``sum`` (a count): a whole run is summarised as an annual rate (total / days x 365.25, "per year"), so that runs
  and scenarios with windows of different length compare fairly;
- ``mean`` (a ratio, a maximum): a whole run is the ratio of its summed counts, or its maximum;
- ``level`` (a daily state): a whole run is its mean over days.

``whole_run`` (``sim.results.Registry.whole_run``) is the one computation of those whole-run values; ``pkosim run``,
``summarize``, ``compare`` and ``report`` all use it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sim.errors import PkosimError
from sim.incidents import INCIDENT_COLUMNS
from sim.metrics import REGISTRY
from sim.results import PER_YEAR, Result

_AGG = {"count": "sum", "level": "level", "ratio": "mean", "max": "mean"}


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    label: str
    agg: str = "sum"  # sum | mean | level
    tables: tuple[str, ...] = ("yearly", "daily")

    def axis_label(self, per: str | None = None) -> str:
        """``Hostile deaths (persons per year)``; ``per`` names the period of a summed metric."""
        unit = self.unit
        if per and self.agg == "sum":
            unit = f"{unit} per {per}"
        return f"{self.label} ({unit})" if unit else self.label

    @property
    def whole_run_unit(self) -> str:
        """The unit of the whole-run value: counts are annual rates."""
        return f"{self.unit} {PER_YEAR}" if self.agg == "sum" else self.unit


def _from_result(r: Result) -> Metric:
    return Metric(r.name, r.unit, r.label, _AGG[r.kind], ("yearly", "daily") if r.daily else ("yearly",))


def _build() -> dict[str, Metric]:
    metrics = {"days": Metric("days", "days", "Days in window", "sum", ("yearly",))}
    metrics.update({r.name: _from_result(r) for r in REGISTRY.results})
    for name, (dtype, unit, description) in INCIDENT_COLUMNS.items():
        if dtype not in ("int64", "float64") or name in ("lat", "lon"):
            continue
        if name in metrics:
            metrics[name] = Metric(name, metrics[name].unit, metrics[name].label, metrics[name].agg,
                                   metrics[name].tables + ("incidents",))
        else:
            agg = "sum" if dtype == "int64" else "mean"
            metrics[name] = Metric(name, unit, description[0].upper() + description[1:], agg, ("incidents",))
    return metrics


METRICS: dict[str, Metric] = _build()

# A default set that fits a terminal and answers the usual first questions.
KEY_METRICS: tuple[str, ...] = (
    "hostile_deaths",
    "wounded",
    "fatal_incidents",
    "ied_detonated",
    "convoys_attacked",
    "tonnage_delivered",
    "medevac_within_2h_share",
    "coverage",
)

DEATH_CAUSES: tuple[str, ...] = ("deaths_ied", "deaths_ambush", "deaths_indirect_fire", "deaths_complex_attack")


def metric(name: str, table: str | None = None) -> Metric:
    """The metadata of ``name``; a ``PkosimError`` with a "did you mean" for an unknown name."""
    found = METRICS.get(name)
    if found is None or (table is not None and table not in found.tables):
        candidates = [m.name for m in METRICS.values() if table is None or table in m.tables]
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else f"; known metrics: {', '.join(candidates[:12])}, ..."
        where = f" in the {table} table" if table else ""
        raise PkosimError(f"unknown metric '{name}'{where}{hint}")
    return found


def parse_metrics(text: str | list[str] | None, table: str = "yearly", default=KEY_METRICS) -> list[str]:
    """Metric names from a comma-separated option (or list), checked against ``table``; ``default`` when empty."""
    if not text:
        return list(default)
    items = text if isinstance(text, list) else [text]
    names = [n.strip() for item in items for n in item.split(",") if n.strip()]
    for name in names:
        metric(name, table)
    return names
