"""Road convoys: created by resupply orders, rotations and withdrawal moves (``logistics.py``); they move segment by
segment and meet what the armed groups left on the road.

At departure a convoy's timetable is set from each segment's length and the speed of its road class in the
season of departure (``roads.speed_km_per_day``): ``bounds[k]:bounds[k+1]`` are the route positions it passes on
its k-th day on the road. An IED detonation or an ambush holds it for ``convoys.incident_delay_days``. On each
segment it passes it may meet the devices there (decision ``convoys.ied``): found devices are cleared, the others go
off under a vehicle (mine-protected with the contingent's protection share). A convoy arriving more than
``convoys.delay_threshold_days`` after its dry-season plan counts as delayed.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from sim.ied import detection_probability, detonation
from sim.incidents import at_segment
from sim.parameters import StrictModel, param, share
from sim.results import Result

RESULTS = (
    Result("convoys_sent", "convoys", "Convoys sent", "Convoys that left their origin.", daily=True, integer=True),
    Result("convoys_arrived", "convoys", "Convoys arrived", "Convoys that reached their destination.", daily=True,
           integer=True),
    Result("convoys_delayed", "convoys", "Convoys delayed",
           "Convoys that arrived delay_threshold_days or more after their dry-season plan.", integer=True),
    Result("convoys_attacked", "convoys", "Convoys attacked", "Convoys hit by a detonation or an ambush.",
           integer=True),
    Result("convoys_en_route", "convoys", "Convoys en route", "Convoys on the road at the end of the day.",
           kind="level", daily=True),
    Result("convoy_transit_days_sum", "days", "Convoy transit days, summed",
           "Sum over arrived convoys of their days on the road."),
    Result("convoy_transit_days", "days", "Convoy transit time", "Mean days on the road of the convoys that arrived.",
           kind="ratio", numerator="convoy_transit_days_sum", denominator=("convoys_arrived",)),
    Result("tonnage_delivered", "tonnes", "Tonnage delivered", "Supplies delivered to camps by resupply convoys."),
    Result("vehicles_lost", "vehicles", "Vehicles lost", "Vehicles destroyed by devices.", integer=True),
    Result("convoy_km", "km", "Convoy distance", "Kilometres driven by convoys.", daily=True),
)


class ConvoyParams(StrictModel):
    """Road convoys: size, protection, clearance and crew (scenario section ``convoys``)."""

    tonnes_per_truck: float = param(
        20.0, unit="tonnes", gt=0, description="Cargo per truck.", source="assumption: standard 20 t truck")
    max_trucks_per_convoy: int = param(
        100, unit="trucks", gt=0, description="A larger order is split into several convoys.",
        source="Menaka convoys of about 50 vehicles (routes.csv); Gao-Kidal convoys of ~100 trucks (press)")
    escort_vehicles_per_10_trucks: float = param(
        2.0, unit="vehicles", ge=0, description="Armed escort vehicles per 10 trucks.", source="assumption")
    crew_per_vehicle: float = param(
        3.0, unit="persons", gt=0,
        description="Personnel per vehicle (drivers, escorts): people exposed in an attack.", source="assumption")
    passengers_per_truck: float = param(
        20.0, unit="persons", gt=0, description="Troops carried per truck on rotation and withdrawal moves.",
        source="assumption: troop-carrying truck")
    incident_delay_days: float = param(
        1.0, unit="days", ge=0,
        description="Days a convoy is held after an IED detonation or an ambush (recovery, investigation).",
        source="assumption")
    vehicle_loss_probability: float = share(
        0.5, description="Chance that an unprotected vehicle is destroyed when a device goes off under it (mine-protected: reduced by ieds.protection_casualty_reduction).",
        source="assumption")
    route_clearance_share: float = share(
        0.5, description="Share of convoys led by route-clearance engineers (raises IED detection).",
        source="assumption")
    min_days_between_convoys: float = param(
        7.0, unit="days", ge=0, description="A camp orders at most one resupply convoy in this many days.",
        source="assumption")
    delay_threshold_days: float = param(
        2.0, unit="days", ge=0,
        description="A convoy that arrives this much later than its planned transit counts as delayed.",
        source="assumption")


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
        self.ordered_t = cargo_t
        self.contingent = contingent
        self.profile = model.profile(contingent)
        self.clearance = clearance
        self.bounds, self.travel_days = model.logistics.timetable(origin, destination, model.rainy)
        _, self.planned_days = model.logistics.timetable(origin, destination, False)
        self.depart_day = model.day
        self.day_on_road = 0
        self.held_days = 0.0
        self.attacked = False
        self.today_segments = route[:0]

    def step(self) -> None:
        """Advance one day along the timetable (or wait out a hold)."""
        m = self.model
        if self.vehicles <= 0:
            m.logistics.destroyed(self)           # every vehicle lost on an earlier day: nothing left to move
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
            m.recorder.add("convoy_km", float(m.roads.length_km[segs].sum()))
            m.passes_today[segs] += 1.0
            self._meet_ieds(segs)
        if self.day_on_road >= self.travel_days:
            if self.vehicles > 0:
                self._arrive()
            else:
                m.logistics.destroyed(self)

    def _meet_ieds(self, segs: np.ndarray) -> None:
        m = self.model
        p = m.params.ieds
        if not m.ieds.count[segs].any():
            return
        p_detect = detection_probability(
            base=p.base_detection_probability, training=self.profile.counter_ied_training,
            training_bonus=p.training_detection_bonus, clearance=self.clearance,
            clearance_bonus=p.clearance_detection_bonus, surveillance=m.air.surveillance[segs],
            surveillance_bonus=p.surveillance_detection_bonus, maximum=p.max_detection_probability)
        rng = m.logistics.ied_draws.generator()
        found, detonated = m.ieds.meet(segs, p.encounter_probability, p_detect, rng)
        record = m.recorder
        for i in np.flatnonzero(found + detonated):
            s = int(segs[i])
            where = at_segment(m, s, m.attacks.segment_group[s])
            record.add("ied_met", int(found[i] + detonated[i]))
            for _ in range(int(found[i])):
                record.add("ied_found", 1)
                m.incidents.record(kind="ied_found", target="convoy", where=where, contingent=self.contingent,
                                   killed=0, wounded=0, home_sector=self.camp.sector)
            for _ in range(int(detonated[i])):
                record.add("ied_detonated", 1)
                killed, wounded, protected = detonation(rng, p, self.profile.vehicle_protection_share, self.persons)
                p_loss = m.params.convoys.vehicle_loss_probability
                if protected:
                    p_loss *= 1.0 - p.protection_casualty_reduction
                if rng.random() < p_loss:
                    record.add("vehicles_lost", self.lose_vehicles(1))
                self.persons -= killed
                self._hit()
                m.incidents.record(kind="ied_detonation", target="convoy", where=where, contingent=self.contingent,
                                   killed=killed, wounded=wounded, home_sector=self.camp.sector)

    def _hit(self) -> None:
        """A detonation or an ambush: the convoy is held, and counts once as attacked."""
        self.held_days += self.model.params.convoys.incident_delay_days
        if not self.attacked:
            self.attacked = True
            self.model.recorder.add("convoys_attacked", 1)

    def attacked_by_ambush(self) -> None:
        self._hit()

    def lose_vehicles(self, n: int) -> int:
        """Vehicles destroyed; cargo carried on lost trucks is lost. Returns vehicles actually lost."""
        n = min(n, self.vehicles)
        trucks_lost = min(self.trucks, n)
        if self.trucks:
            self.cargo_t *= 1.0 - trucks_lost / self.trucks
        self.trucks -= trucks_lost
        self.vehicles -= n
        return n

    def _arrive(self) -> None:
        m = self.model
        record = m.recorder
        record.add("convoys_arrived", 1)
        transit = m.day - self.depart_day + 1
        record.add("convoy_transit_days_sum", transit)
        if transit - self.planned_days >= m.params.convoys.delay_threshold_days:
            record.add("convoys_delayed", 1)
        if self.kind == "resupply":
            record.add("tonnage_delivered", self.cargo_t)
        m.logistics.arrived(self)
