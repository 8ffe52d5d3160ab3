"""Metric metadata: one table naming every result column of docs/results.md with its unit and how it aggregates.

Figures take their axis labels and units from here, summaries their default metric set, and the command line its
"did you mean" suggestions. ``agg`` says how a metric combines over years of one run:

- ``sum``: a count or amount; a whole run is summarised as an annual rate (total / days x 365.25) so that runs
  and scenarios with windows of different length compare fairly;
- ``mean``: a mean or share; a whole run is the days-weighted mean of its years (NaN years ignored);
- ``level``: a daily state (devices on the roads, open camps); only meaningful day by day or as a mean.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sim.errors import PkosimError


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


_Y = ("yearly",)
_YD = ("yearly", "daily")
_D = ("daily",)
_I = ("incidents",)

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        # identity and calendar
        Metric("days", "days", "Days in window", "sum", _Y),
        # casualties
        Metric("hostile_deaths", "persons", "Hostile deaths", "sum", _YD),
        Metric("killed_in_action", "persons", "Killed in action", "sum", _YD),
        Metric("died_of_wounds", "persons", "Died of wounds", "sum", _YD + _I),
        Metric("wounded", "persons", "Wounded", "sum", _YD + _I),
        Metric("killed", "persons", "Killed", "sum", _I),
        Metric("fatal_incidents", "incidents", "Fatal incidents", "sum", _Y),
        Metric("largest_incident_deaths", "persons", "Deaths in the deadliest incident", "mean", _Y),
        Metric("deaths_ied", "persons", "Deaths by IED", "sum", _Y),
        Metric("deaths_ambush", "persons", "Deaths in ambushes", "sum", _Y),
        Metric("deaths_indirect_fire", "persons", "Deaths by indirect fire", "sum", _Y),
        Metric("deaths_complex_attack", "persons", "Deaths in complex attacks", "sum", _Y),
        Metric("deaths_north_share", "share 0-1", "Share of deaths in sector North", "mean", _Y),
        # IEDs
        Metric("ied_laid", "devices", "IEDs laid", "sum", _YD),
        Metric("ied_met", "devices", "IEDs met", "sum", _Y),
        Metric("ied_found", "devices", "IEDs found", "sum", _YD),
        Metric("ied_detonated", "devices", "IEDs detonated", "sum", _YD),
        Metric("ieds_emplaced", "devices", "IEDs on the roads", "level", _D),
        # convoys and logistics
        Metric("convoys_sent", "convoys", "Convoys sent", "sum", _YD),
        Metric("convoys_arrived", "convoys", "Convoys arrived", "sum", _YD),
        Metric("convoys_delayed", "convoys", "Convoys delayed", "sum", _Y),
        Metric("convoys_attacked", "convoys", "Convoys attacked", "sum", _Y),
        Metric("convoys_en_route", "convoys", "Convoys en route", "level", _D),
        Metric("convoy_transit_days", "days", "Convoy transit time", "mean", _Y),
        Metric("tonnage_delivered", "tonnes", "Tonnage delivered", "sum", _Y),
        Metric("vehicles_lost", "vehicles", "Vehicles lost", "sum", _Y),
        Metric("convoy_km", "km", "Convoy distance", "sum", _YD),
        Metric("patrol_km", "km", "Patrol distance", "sum", _YD),
        Metric("casualties_per_1000_km", "persons per 1,000 km", "Casualties per 1,000 km", "mean", _Y),
        Metric("camp_days_below_critical", "camp-days", "Camp-days below critical stock", "sum", _Y),
        Metric("camps_below_critical", "camps", "Camps below critical stock", "level", _D),
        # air
        Metric("air_requests", "requests", "Air support requests", "sum", _Y),
        Metric("air_served", "requests", "Air requests served", "sum", _Y),
        Metric("air_refused", "requests", "Air requests refused", "sum", _Y),
        Metric("air_response_minutes", "minutes", "Air response time", "mean", _Y),
        Metric("medevac_within_1h_share", "share 0-1", "Wounded in surgery within 1 h", "mean", _Y),
        Metric("medevac_within_2h_share", "share 0-1", "Wounded in surgery within 2 h", "mean", _Y),
        Metric("flight_refusal_share", "share 0-1", "Flight refusal share", "level", _D),
        Metric("support_arrival_minutes", "minutes", "Air support arrival", "mean", _I),
        Metric("time_to_surgery_minutes", "minutes", "Time to surgery", "mean", _I),
        # protection and presence
        Metric("coverage", "share 0-1", "Hotspot coverage", "mean", _YD),
        Metric("open_camps", "camps", "Open camps", "level", _D),
        Metric("personnel_in_theatre", "persons", "Personnel in theatre", "level", _D),
        # withdrawal
        Metric("personnel_withdrawn", "persons", "Personnel withdrawn", "sum", _Y),
        Metric("equipment_withdrawn_t", "tonnes", "Equipment withdrawn", "sum", _Y),
        Metric("equipment_left_t", "tonnes", "Equipment left or destroyed", "sum", _Y),
    ]
}

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
