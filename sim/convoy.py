"""Road convoys: created by resupply orders, rotations and withdrawal moves; they move segment by segment.

At departure a convoy's timetable is set from each segment's length and the speed of its road class in the
season of departure (``roads.speed_km_per_day``): ``bounds[k]:bounds[k+1]`` are the route positions it passes on
its k-th day on the road. An IED detonation or an ambush holds it for ``convoys.incident_delay_days``. On each
segment it passes it may meet the devices there (``ied.py``); found devices are cleared, the others go off under a
vehicle (mine-protected with the contingent's protection share). A convoy arriving more than
``convoys.delay_threshold_days`` after its dry-season plan counts as delayed.
"""

from __future__ import annotations

import math

import mesa
import numpy as np



def timetable(lengths_km: np.ndarray, speeds_km_per_day: np.ndarray) -> tuple[np.ndarray, int]:
    """Route positions passed on each travel day, and the number of travel days (at least 1).

    Segment i is passed on the day it is entered: floor(time at its start). Returns (bounds, days) with
    ``bounds[k]:bounds[k+1]`` the positions passed on day k.
    """
    hours = lengths_km / speeds_km_per_day
    start = np.concatenate(([0.0], np.cumsum(hours)[:-1]))
    days = max(1, math.ceil(float(hours.sum()) - 1e-9))
    bounds = np.searchsorted(np.floor(start + 1e-9), np.arange(days + 1), side="left")
    bounds[-1] = len(lengths_km)
    return bounds, days


class Convoy(mesa.Agent):
    """One road move (see module docstring)."""

    def __init__(self, model, *, kind: str, origin: str, destination: str, camp, route: np.ndarray,
                 trucks: int, passengers: float, cargo_t: float, contingent: str, clearance: bool):
        super().__init__(model)
        c = model.params.convoys
        self.kind, self.origin, self.destination, self.camp = kind, origin, destination, camp
        self.route = route
        self.trucks = trucks
        self.escorts = math.ceil(trucks * c.escort_vehicles_per_10_trucks / 10.0)
        self.vehicles = trucks + self.escorts
        self.persons = self.vehicles * c.crew_per_vehicle + passengers
        self.cargo_t = cargo_t
        self.contingent = contingent
        self.profile = model.profile(contingent)
        self.clearance = clearance
        self.bounds, self.travel_days = model.timetable(origin, destination, model.rainy)
        _, self.planned_days = model.timetable(origin, destination, False)
        self.depart_day = model.day
        self.day_on_road = 0
        self.held_days = 0.0
        self.attacked = False
        self.arrived = False
        self.today_segments = route[:0]

    def step(self) -> None:
        """Advance one day along the timetable (or wait out a hold)."""
        m = self.model
        if self.vehicles <= 0:
            m.convoy_destroyed(self)             # every vehicle lost on an earlier day: nothing left to move
            return
        if self.held_days >= 1:
            self.held_days -= 1
            self.today_segments = self.route[:0]
            return
        k = self.day_on_road
        segs = self.route[self.bounds[k]:self.bounds[k + 1]]
        self.today_segments = segs
        self.day_on_road += 1
        if len(segs):
            km = float(m.roads.length_km[segs].sum())
            m.recorder.add("convoy_km", km)
            m.passes_today[segs] += 1.0
            m.convoy_meets_ieds(self, segs)
        if self.day_on_road >= self.travel_days:
            if self.vehicles > 0:
                self.arrive()
            else:
                m.convoy_destroyed(self)

    def hold(self) -> None:
        self.held_days += self.model.params.convoys.incident_delay_days

    def lose_vehicles(self, n: int) -> int:
        """Vehicles destroyed; cargo carried on lost trucks is lost. Returns vehicles actually lost."""
        n = min(n, self.vehicles)
        trucks_lost = min(self.trucks, n)
        if self.trucks:
            self.cargo_t *= 1.0 - trucks_lost / self.trucks
        self.trucks -= trucks_lost
        self.vehicles -= n
        return n

    def arrive(self) -> None:
        m = self.model
        self.arrived = True
        rec = m.recorder
        rec.add("convoys_arrived", 1)
        transit = m.day - self.depart_day + 1
        rec.add("convoy_transit_days_sum", transit)
        if transit - self.planned_days >= m.params.convoys.delay_threshold_days:
            rec.add("convoys_delayed", 1)
        if self.kind == "resupply":
            rec.add("tonnage_delivered", self.cargo_t)
        m.convoy_arrived(self)
