"""The model-state adapter: after each day, read a model (never write to it, never draw from its random streams)
and return the day as plain data, a ``Frame``, which the replay keeps and the browser draws.

What a frame holds, and where it comes from:

- camps: garrison (persons) and status: ``planned`` (not open yet), ``open``, ``closing`` (withdrawing) or
  ``closed`` (``sim/camp.py``);
- French bases: left or not (``AirSupport.french_bases_left``);
- IEDs emplaced per road segment (``IedField.count``), only the segments that hold any;
- convoys on the road: where along their route they are (the convoy's clock against its segments' start times,
  ``sim/convoy.py``), their size, purpose, origin and destination;
- the incidents logged today (``Incidents.rows``, columns ``INCIDENT_COLUMNS``), with where a medevac helicopter
  came from when one flew (the ``evacuation`` column names the provider and its base);
- the scenario's events applied today (``PeacekeepingModel.events_on``);
- today's value of each chart's series (``CHARTS``), read from the recorder's daily arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.incidents import INCIDENT_COLUMNS
from sim.metrics import REGISTRY
from pkosim.view.projection import Projection


@dataclass(frozen=True)
class Series:
    """A chart: a daily result of the registry, as it is or summed since the first day of the window."""

    result: str
    cumulative: bool
    label: str

    @property
    def unit(self) -> str:
        return REGISTRY[self.result].unit


CHARTS = (
    Series("hostile_deaths", True, "Hostile deaths (cumulative)"),
    Series("wounded", True, "Wounded (cumulative)"),
    Series("convoys_en_route", False, REGISTRY["convoys_en_route"].label),
    Series("coverage", False, REGISTRY["coverage"].label),
    Series("camp_days_below_critical", False, "Camps below critical stock"),
)
DEATHS = "hostile_deaths"   # the series whose running difference the paired view shows


@dataclass
class Frame:
    """One day of one run, as plain data (JSON-ready)."""

    day: int                           # index in the window (0: the scenario's start)
    date: str                          # ISO date
    camps: list[list]                  # per camp of the static layer: [persons, status]
    bases_left: list[bool]             # per French base of the static layer
    ieds: list[list[int]]              # [segment, devices] where devices > 0
    convoys: list[dict]
    incidents: list[dict]              # logged today
    events: list[str]                  # applied today
    values: dict[str, float] = field(default_factory=dict)   # today's value of each chart series

    def state(self) -> dict:
        """What the map shows of this day apart from incidents (which accumulate): small, sent every update."""
        return {"day": self.day, "date": self.date, "camps": self.camps, "bases_left": self.bases_left,
                "ieds": self.ieds, "convoys": self.convoys, "events": self.events}


def camp_status(camp, today) -> str:
    if today < camp.opens:
        return "planned"
    if camp.open:
        return "closing" if camp.withdrawing else "open"
    return "closed"


def describe_event(event, event_id: str) -> str:
    """'camp closes: camp Ber, transfer to Timbuktu (close_ber)': the action and its fields, in words."""
    fields = [f"{name.replace('_', ' ')} {value if not isinstance(value, tuple) else ', '.join(map(str, value))}"
              for name, value in event.model_dump(exclude={"date", "note", "action"}).items()
              if value not in (None, (), [])]
    text = event.action.replace("_", " ") + (": " + "; ".join(fields) if fields else "")
    return f"{text} ({event_id})" if event_id else text


class Observer:
    """Reads one model after each of its days (see the module docstring)."""

    def __init__(self, model, layer: dict, projection: Projection):
        self.model = model
        self.projection = projection
        self.segments = np.array(layer["segments"], dtype=float).reshape(-1, 4)
        self.base_names = [b["name"] for b in layer["bases"]]
        self.event_ids = {id(event): event_id for event_id, event in model.params.events_in_order()}
        self.incidents_seen = 0
        self.totals = {s.result: 0.0 for s in CHARTS if s.cumulative}
        self.columns = list(INCIDENT_COLUMNS)

    def frame(self) -> Frame:
        m = self.model
        t = m.day - m.warmup
        values = {}
        for series in CHARTS:
            today = float(m.recorder.values[series.result][t])
            if series.cumulative:
                self.totals[series.result] += today
                today = self.totals[series.result]
            values[series.result] = today
        return Frame(
            day=t, date=m.today.isoformat(),
            camps=[[int(round(c.persons)), camp_status(c, m.today)] for c in m.camps],
            bases_left=[name in m.air.french_bases_left for name in self.base_names],
            ieds=[[int(s), int(m.ieds.count[s])] for s in np.flatnonzero(m.ieds.count)],
            convoys=[self.convoy(c) for c in m.logistics.convoys],
            incidents=self.new_incidents(),
            events=[describe_event(e, self.event_ids.get(id(e), "theatre record")) for e in m.events_on(m.day)],
            values=values,
        )

    # --- convoys ----------------------------------------------------------------------------------------------
    def convoy(self, convoy) -> dict:
        x, y = self.position(convoy)
        return {"id": int(convoy.number), "x": x, "y": y, "vehicles": int(convoy.vehicles),
                "persons": int(round(convoy.persons)), "kind": convoy.kind, "origin": convoy.origin,
                "destination": convoy.destination, "turned_back": bool(convoy.turned_back)}

    def position(self, convoy) -> tuple[float, float]:
        """Where the convoy is on the map: on the segment its clock is in, at the share of that segment's time it
        has driven, going from the end it entered by (the one shared with the previous segment) to the other."""
        route, starts = convoy.route, convoy.start_days
        if len(route) == 0:
            return self._place(convoy.destination)
        k = max(0, min(len(route) - 1, int(np.searchsorted(starts, convoy.clock, side="right")) - 1))
        end = starts[k + 1] if k + 1 < len(route) else convoy.total_days
        share = 0.0 if end <= starts[k] else min(1.0, (convoy.clock - starts[k]) / (end - starts[k]))
        x1, y1, x2, y2 = self.segments[route[k]]
        if k + 1 < len(route):
            nx1, ny1, nx2, ny2 = self.segments[route[k + 1]]
            targets = [(nx1, ny1), (nx2, ny2)]
        else:
            targets = [self._place(convoy.destination)]
        reach_1 = min(math.dist((x1, y1), t) for t in targets)
        reach_2 = min(math.dist((x2, y2), t) for t in targets)
        (ax, ay), (bx, by) = ((x2, y2), (x1, y1)) if reach_1 < reach_2 else ((x1, y1), (x2, y2))
        return round(ax + share * (bx - ax), 2), round(ay + share * (by - ay), 2)

    def _place(self, name: str) -> tuple[float, float]:
        lat, lon = self.model.theatre.places[name]
        return self.projection.xy(lat, lon)

    # --- incidents --------------------------------------------------------------------------------------------
    def new_incidents(self) -> list[dict]:
        rows = self.model.incidents.rows
        new = [self.incident(self.incidents_seen + i, row) for i, row in enumerate(rows[self.incidents_seen:])]
        self.incidents_seen = len(rows)
        return new

    def incident(self, number: int, row: tuple) -> dict:
        data = dict(zip(self.columns, row))
        x, y = self.projection.xy(data["lat"], data["lon"])
        out = {"id": number, "x": x, "y": y, "day": self.model.day - self.model.warmup,
               "date": data["date"].isoformat()}
        for name in ("place", "sector", "kind", "group", "contingent", "target", "killed", "wounded",
                     "died_of_wounds", "contractor_casualties", "evacuation"):
            value = data[name]
            out[name] = int(value) if isinstance(value, (int, np.integer)) else value
        for name in ("time_to_surgery_minutes", "support_arrival_minutes"):
            value = float(data[name])
            out[name] = None if math.isnan(value) else round(value)
        out["flight_from"] = self.flight_origin(data["evacuation"])
        return out

    def flight_origin(self, evacuation: str) -> list[float] | None:
        """Map position of the base a medevac helicopter flew from ('<provider> from <base>'), else None."""
        provider_id, sep, base_name = (evacuation or "").rpartition(" from ")
        if not sep:
            return None
        for provider in self.model.air.providers:
            if provider.provider_id == provider_id:
                for base in provider.helicopter_bases:
                    if base.name == base_name:
                        return list(self.projection.xy(base.lat, base.lon))
        return None
