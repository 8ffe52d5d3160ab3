"""Recording a run: daily counters in numpy arrays, an incident list, and the tables of docs/results.md.

Why arrays: a run has thousands of days; appending dicts or touching pandas every day would dominate the run
time. Counters are accumulated in preallocated arrays (one per name, indexed by day) and turned into the daily,
yearly and incident tables once, at the end, with fixed column sets and dtypes, so that every run (even one with
no incidents) produces identical schemas.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

# daily.parquet columns after `date` (docs/results.md), in order
DAILY_COLUMNS = (
    "hostile_deaths", "killed_in_action", "died_of_wounds", "wounded", "ied_laid", "ied_found", "ied_detonated",
    "ieds_emplaced", "convoys_sent", "convoys_arrived", "convoys_en_route", "convoy_km", "patrol_km", "coverage",
    "open_camps", "personnel_in_theatre", "camps_below_critical", "flight_refusal_share",
)
# counters kept per day that only feed the yearly table
EXTRA_COUNTERS = (
    "deaths_ied", "deaths_ambush", "deaths_indirect_fire", "deaths_complex_attack", "deaths_north", "ied_met",
    "convoys_delayed", "convoys_attacked", "convoy_transit_days_sum", "tonnage_delivered", "vehicles_lost",
    "road_casualties", "air_requests", "air_served", "air_refused", "air_response_minutes_sum",
    "air_response_count", "medevac_within_1h", "medevac_within_2h", "personnel_withdrawn",
    "equipment_withdrawn_t", "equipment_left_t",
)
FLOAT_DAILY = {"convoy_km", "patrol_km", "coverage", "personnel_in_theatre", "flight_refusal_share"}

INCIDENT_COLUMNS = {
    "date": "datetime64[ns]", "lat": "float64", "lon": "float64", "place": "object", "sector": "object",
    "kind": "object", "group": "object", "contingent": "object", "target": "object", "killed": "int64",
    "wounded": "int64", "died_of_wounds": "int64", "support_arrival_minutes": "float64",
    "time_to_surgery_minutes": "float64",
}
KINDS = ("ied_detonation", "ied_found", "ambush", "indirect_fire", "complex_attack")
DEATH_COLUMN = {"ied_detonation": "deaths_ied", "ambush": "deaths_ambush", "indirect_fire": "deaths_indirect_fire",
                "complex_attack": "deaths_complex_attack"}

SUM_COLUMNS = (
    "hostile_deaths", "killed_in_action", "died_of_wounds", "wounded", "deaths_ied", "deaths_ambush",
    "deaths_indirect_fire", "deaths_complex_attack", "ied_laid", "ied_met", "ied_found", "ied_detonated",
    "convoys_sent", "convoys_arrived", "convoys_delayed", "convoys_attacked", "tonnage_delivered", "vehicles_lost",
    "convoy_km", "patrol_km",
)
YEARLY_COLUMNS = (
    "year", "days", "hostile_deaths", "killed_in_action", "died_of_wounds", "wounded", "fatal_incidents",
    "largest_incident_deaths", "deaths_ied", "deaths_ambush", "deaths_indirect_fire", "deaths_complex_attack",
    "deaths_north_share", "ied_laid", "ied_met", "ied_found", "ied_detonated", "convoys_sent", "convoys_arrived",
    "convoys_delayed", "convoys_attacked", "convoy_transit_days", "tonnage_delivered", "vehicles_lost", "convoy_km",
    "patrol_km", "casualties_per_1000_km", "camp_days_below_critical", "air_requests", "air_served", "air_refused",
    "air_response_minutes", "medevac_within_1h_share", "medevac_within_2h_share", "coverage",
    "personnel_withdrawn", "equipment_withdrawn_t", "equipment_left_t",
)
INT_YEARLY = {
    "year", "days", "hostile_deaths", "killed_in_action", "died_of_wounds", "wounded", "fatal_incidents",
    "largest_incident_deaths", "deaths_ied", "deaths_ambush", "deaths_indirect_fire", "deaths_complex_attack",
    "ied_laid", "ied_met", "ied_found", "ied_detonated", "convoys_sent", "convoys_arrived", "convoys_delayed",
    "convoys_attacked", "vehicles_lost", "camp_days_below_critical", "air_requests", "air_served", "air_refused",
}
# yearly metrics summed into runs.parquet as total_<metric>
SUMMABLE = tuple(c for c in YEARLY_COLUMNS if c in INT_YEARLY and c not in {"year", "days", "largest_incident_deaths"}) + (
    "tonnage_delivered", "convoy_km", "patrol_km", "personnel_withdrawn", "equipment_withdrawn_t", "equipment_left_t",
)


class Recorder:
    """Daily counters and the incident log of one run."""

    def __init__(self, dates: pd.DatetimeIndex):
        self.dates = dates
        n = len(dates)
        self.counters = {name: np.zeros(n) for name in DAILY_COLUMNS + EXTRA_COUNTERS}
        self.t = 0
        self.incidents: list[tuple] = []

    def add(self, name: str, value: float) -> None:
        self.counters[name][self.t] += value

    def set(self, name: str, value: float) -> None:
        self.counters[name][self.t] = value

    def incident(self, today: date, lat: float, lon: float, place: str, sector: str, kind: str, group: str,
                 contingent: str, target: str, killed: int, wounded: int, died: int, support_minutes: float,
                 surgery_minutes: float, north: bool) -> None:
        """Log an incident and add its casualties to today's counters."""
        self.incidents.append((today, lat, lon, place, sector, kind, group, contingent, target, killed, wounded,
                               died, support_minutes, surgery_minutes))
        deaths = killed + died
        c = self.counters
        t = self.t
        c["killed_in_action"][t] += killed
        c["died_of_wounds"][t] += died
        c["hostile_deaths"][t] += deaths
        c["wounded"][t] += wounded
        if deaths and kind in DEATH_COLUMN:
            c[DEATH_COLUMN[kind]][t] += deaths
        if north:
            c["deaths_north"][t] += deaths
        if target in ("convoy", "patrol"):
            c["road_casualties"][t] += killed + wounded

    # --- tables ----------------------------------------------------------------------------------------------------
    def daily(self) -> pd.DataFrame:
        data = {"date": self.dates}
        for name in DAILY_COLUMNS:
            values = self.counters[name]
            data[name] = values.astype("float64") if name in FLOAT_DAILY else np.rint(values).astype("int64")
        return pd.DataFrame(data)

    def incident_table(self) -> pd.DataFrame:
        frame = pd.DataFrame.from_records(self.incidents, columns=list(INCIDENT_COLUMNS))
        if len(frame):
            frame["date"] = pd.to_datetime(frame["date"])
        return frame.astype(INCIDENT_COLUMNS)

    def yearly(self, incidents: pd.DataFrame) -> pd.DataFrame:
        years = self.dates.year.to_numpy()
        unique, starts = np.unique(years, return_index=True)
        c = self.counters

        def per_year(name: str) -> np.ndarray:
            return np.add.reduceat(c[name], starts) if len(starts) else np.zeros(0)

        def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)

        out: dict[str, np.ndarray] = {"year": unique, "days": np.diff(np.append(starts, len(years)))}
        for name in SUM_COLUMNS:
            out[name] = per_year(name)
        if len(incidents):
            deaths = incidents.assign(deaths=incidents["killed"] + incidents["died_of_wounds"], year=incidents["date"].dt.year)
            fatal = deaths[deaths["deaths"] > 0].groupby("year")["deaths"]
            out["fatal_incidents"] = fatal.size().reindex(unique, fill_value=0).to_numpy()
            out["largest_incident_deaths"] = fatal.max().reindex(unique, fill_value=0).to_numpy()
        else:
            out["fatal_incidents"] = out["largest_incident_deaths"] = np.zeros(len(unique))
        out["deaths_north_share"] = ratio(per_year("deaths_north"), out["hostile_deaths"])
        out["convoy_transit_days"] = ratio(per_year("convoy_transit_days_sum"), out["convoys_arrived"])
        out["casualties_per_1000_km"] = ratio(per_year("road_casualties") * 1000.0, out["convoy_km"] + out["patrol_km"])
        out["camp_days_below_critical"] = per_year("camps_below_critical")
        for name in ("air_requests", "air_served", "air_refused", "personnel_withdrawn", "equipment_withdrawn_t",
                     "equipment_left_t"):
            out[name] = per_year(name)
        out["air_response_minutes"] = ratio(per_year("air_response_minutes_sum"), per_year("air_response_count"))
        out["medevac_within_1h_share"] = ratio(per_year("medevac_within_1h"), out["wounded"])
        out["medevac_within_2h_share"] = ratio(per_year("medevac_within_2h"), out["wounded"])
        out["coverage"] = ratio(per_year("coverage"), out["days"].astype(float))
        frame = pd.DataFrame({name: out[name] for name in YEARLY_COLUMNS})
        return frame.astype({name: ("int64" if name in INT_YEARLY else "float64") for name in YEARLY_COLUMNS})

    @staticmethod
    def summary(yearly: pd.DataFrame, daily: pd.DataFrame) -> dict[str, float]:
        out = {f"total_{name}": float(yearly[name].sum()) for name in SUMMABLE}
        out["mean_coverage"] = float(daily["coverage"].mean()) if len(daily) else float("nan")
        return out
