"""Road convoys: created by resupply orders, rotations and withdrawal moves (``logistics.py``); they move segment by
segment and meet what the armed groups left on the road.

Movement: at departure each segment's start time (days from departure) is set from its length and the speed of its
road class, in the season of departure and slowed on routes under IED threat (``posture.route_speed_and_cover``). Each
day the convoy's clock advances by the part of the day it is not held; it passes the segments whose start time falls
in that part, and arrives when the clock reaches the route's total time. Incidents hold it: a device found for
``hold_days_after_find`` (route clearance), one set off for ``hold_days_after_detonation`` (recovery and casualty
evacuation), an ambush for ``hold_days_after_ambush``; after an attack with casualties a resupply or rotation convoy
turns back to its origin with ``turn_back_probability`` (cargo undelivered; withdrawal convoys push on). A convoy
arriving ``delay_threshold_days`` or more after its dry-season plan counts as delayed.

Exposure: a device on a segment the convoy passes is met with 1 - (1 - p_v)^vehicles (every vehicle that drives
over it can set it off; ``ieds.encounter_probability_per_vehicle``; decision ``convoys.ied``). Found devices are
cleared, the others go off under a vehicle (mine-protected with the contingent's protection share). Contracted
trucks (``contracted_share`` of resupply convoys) carry civilian drivers: casualties on them are contractors', not
MINUSMA's.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass

import mesa
import numpy as np

from sim.ied import detection_probability, detonation
from sim.incidents import at_segment
from sim.parameters import StrictModel, param, share
from sim.results import Result
from sim.roads import basic_index
from sim.streams import CodeFamily

ASSUMPTION = "assumption (calibrated or varied in sensitivity analysis)"

RESULTS = (
    Result("convoys_sent", "convoys", "Convoys sent", "Convoys that left their origin.", daily=True, integer=True),
    Result("convoys_arrived", "convoys", "Convoys arrived", "Convoys that reached their destination.", daily=True,
           integer=True),
    Result("convoys_delayed", "convoys", "Convoys delayed",
           "Convoys that arrived delay_threshold_days or more after their dry-season plan.", integer=True),
    Result("convoys_attacked", "convoys", "Convoys attacked", "Convoys hit by a detonation or an ambush.",
           integer=True),
    Result("convoys_turned_back", "convoys", "Convoys turned back",
           "Convoys that returned to their origin after an attack with casualties.", integer=True),
    Result("convoys_destroyed", "convoys", "Convoys destroyed", "Convoys that lost every vehicle.", integer=True),
    Result("convoys_en_route", "convoys", "Convoys en route", "Convoys on the road at the end of the day.",
           kind="level", daily=True),
    Result("convoy_transit_days_sum", "days", "Convoy transit days, summed",
           "Sum over arrived convoys of their days on the road."),
    Result("convoy_transit_days", "days", "Convoy transit time", "Mean days on the road of the convoys that arrived.",
           kind="ratio", numerator="convoy_transit_days_sum", denominator=("convoys_arrived",)),
    Result("tonnage_delivered", "tonnes", "Tonnage delivered", "Supplies delivered to camps by resupply convoys."),
    Result("vehicles_lost", "vehicles", "Vehicles lost", "Vehicles destroyed by devices.", integer=True),
    Result("convoy_km", "km", "Convoy distance", "Kilometres driven by convoys.", daily=True),
    Result("contractor_casualties", "persons", "Contractor casualties",
           "Civilian drivers of contracted trucks killed or wounded (not MINUSMA personnel).", integer=True),
)


class ConvoyParams(StrictModel):
    """Road convoys: size, protection, clearance, crew, exposure and holds (scenario section ``convoys``)."""

    tonnes_per_truck: float = param(
        20.0, unit="tonnes", gt=0, description="Cargo per truck.", source="assumption: standard 20 t truck")
    max_trucks_per_convoy: int = param(
        100, unit="trucks", gt=0, description="A larger resupply or rotation order is split into several convoys.",
        source="Menaka convoys of about 50 vehicles (routes.csv); Gao-Kidal convoys of ~100 trucks (press)")
    escort_vehicles_per_10_trucks: float = param(
        2.0, unit="vehicles", ge=0, description="Armed escort vehicles per 10 trucks.", source="assumption")
    crew_per_vehicle: float = param(
        3.0, unit="persons", gt=0,
        description="MINUSMA personnel per escort or MINUSMA truck (drivers, escorts): people exposed in an attack.",
        source="assumption")
    passengers_per_truck: float = param(
        20.0, unit="persons", gt=0, description="Troops carried per truck on rotation and withdrawal moves.",
        source="assumption: troop-carrying truck")
    contracted_share: float = share(
        0.5, description="Share of resupply convoys driven by contracted civilian trucks (with a MINUSMA escort).",
        source="assumption: MINUSMA moved much of its cargo with contracted carriers; prior 0.2-0.8")
    hold_days_after_find: float = param(
        0.25, unit="days", ge=0, description="Time a convoy is held while a device found is cleared.",
        source="assumption: route clearance and disposal take hours")
    hold_days_after_detonation: float = param(
        1.0, unit="days", ge=0, description="Time a convoy is held after a device goes off (recovery, casualty evacuation, investigation).",
        source="assumption")
    hold_days_after_ambush: float = param(
        0.5, unit="days", ge=0, description="Time a convoy is held after an ambush.", source="assumption")
    turn_back_probability: float = share(
        0.2, description="Chance that a convoy turns back to its origin after an attack with casualties.",
        source="assumption; prior 0-0.5")
    vehicle_loss_probability: float = share(
        0.5, description="Chance that an unprotected vehicle is destroyed when a device goes off under it (mine-protected: reduced by ieds.protection_casualty_reduction).",
        source="assumption")
    route_clearance_share: float = share(
        0.5, description="Share of convoys led by route-clearance engineers (raises IED detection).",
        source="assumption")
    min_days_between_convoys: float = param(
        7.0, unit="days", ge=0,
        description="A camp orders at most one resupply convoy in this many days at full movement (longer when its posture cuts movement).",
        source="assumption")
    delay_threshold_days: float = param(
        2.0, unit="days", ge=0,
        description="A convoy that arrives this much later than its planned transit counts as delayed.",
        source="assumption")


def segment_start_days(lengths_km: np.ndarray, speeds_km_per_day: np.ndarray) -> tuple[np.ndarray, float]:
    """When each segment of a route is entered (days from departure) and the route's total time in days."""
    days = lengths_km / speeds_km_per_day
    return np.concatenate(([0.0], np.cumsum(days)[:-1])), float(days.sum())


def meet_probability_for(vehicles: int, per_vehicle: float) -> float:
    """Chance that a convoy of ``vehicles`` meets one given device on a segment it passes."""
    return 1.0 - (1.0 - per_vehicle) ** max(1, vehicles)


@dataclass(slots=True)
class Move:
    """What every convoy of one road move (kind, origin, destination) shares, found at the move's first convoy."""

    kind: str
    origin: str
    destination: str
    route: np.ndarray              # road segments in travel order (roads.route)
    codes: CodeFamily              # the n-th convoy's code: codes(n) = entity_code(kind, origin, destination, n)
    planned_days: float            # transit at full speed in the dry season (the plan delays are measured against)
    # (first, last) -> Convoy._part: the parts of the route that convoys drive in a day, the same day after day
    # (filled as they are first driven; shared by the moves of every kind on the route: Logistics._route_parts)
    parts: dict[tuple[int, int], tuple[np.ndarray, float, slice | np.ndarray, np.ndarray]]


class Convoy(mesa.Agent):
    """One road move (see module docstring)."""

    def __init__(self, model, move: Move, *, number: int, key: int, camp, trucks: int, passengers: float,
                 cargo_t: float, contingent: str, clearance: bool, contracted: bool):
        super().__init__(model)
        c = model.params.convoys
        self.number = number     # order of dispatch in this run (the convoy table's id)
        self.key = key           # what it is, as a stable code (streams.entity_code): its random numbers' block
        self.kind, self.origin, self.destination, self.camp = move.kind, move.origin, move.destination, camp
        self.route = route = move.route
        self._parts = move.parts   # the parts of its route driven in a day (Move.parts; its own once turned back)
        self.trucks = trucks
        self.escorts = math.ceil(trucks * c.escort_vehicles_per_10_trucks / 10.0)
        self.vehicles = trucks + self.escorts
        self.contracted = contracted
        self.civilians = float(trucks) if contracted else 0.0               # one civilian driver per truck
        self.persons = (self.escorts + (0 if contracted else trucks)) * c.crew_per_vehicle + passengers
        self.passengers = passengers
        self.passengers_at_departure = passengers
        self.mix: dict[str, float] = {}   # contingents of a withdrawal convoy's passengers
        self.cargo_t = cargo_t
        self.ordered_t = cargo_t
        self.contingent = contingent
        self.profile = model.profile(contingent)
        self.clearance = clearance
        speed, self.cover = model.posture.route_speed_and_cover(route)
        # _starts: start_days as a list, for bisect in the daily step (set with start_days)
        self.start_days, self._starts, self.total_days = model.logistics.timetable(move.origin, move.destination,
                                                                                   model.rainy, speed)
        self.planned_days = move.planned_days
        self.depart_day = model.day
        self.clock = 0.0
        self._next = 0           # the first segment not yet entered: bisect_left(_starts, clock), kept by step
        self.held_days = 0.0
        self.attacked = False
        self.turned_back = False
        self.today_segments = route[:0]
        self.tally = {"ied_met": 0, "ied_found": 0, "attacks": 0, "killed": 0, "wounded": 0, "vehicles_lost": 0}
        self.vehicles_at_departure = self.vehicles
        self.trucks_at_departure = trucks
        self.persons_at_departure = self.persons
        self.ledger = None       # a closing camp's withdrawal ledger, for withdrawal convoys
        self.fleet = None        # the hub whose trucks it uses

    def step(self) -> None:
        """Advance one day along the route (or wait out a hold)."""
        m = self.model
        if self.vehicles <= 0:
            m.logistics.finished(self, "destroyed")   # every vehicle lost on an earlier day: nothing left to move
            return
        if self.held_days > 0.0:
            held = min(self.held_days, 1.0)
            self.held_days -= held
            moving = 1.0 - held
            if moving <= 0:
                self.today_segments = self.route[:0]
                return
        else:
            moving = 1.0
        first = self._next
        self.clock += moving
        last = self._next = bisect_left(self._starts, self.clock, first)
        if last > first:
            segs, km, index, ones = self._parts.get((first, last)) or self._part(first, last)
            self.today_segments = segs
            m.recorder.add("convoy_km", km)
            m.passes_today[index] += ones                  # + 1.0 each, as an array: faster than the scalar
            if m.ieds.emplaced:                            # most days no device lies on the road driven
                on_road = m.ieds.count[index]              # a view for a run: read before any device is removed
                if np.count_nonzero(on_road):
                    self._meet_ieds(first, segs, on_road)
        else:
            self.today_segments = self.route[:0]
        if self.vehicles > 0 and self.clock >= self.total_days and self.held_days <= 0:
            self._arrive()

    def _part(self, first: int, last: int) -> tuple[np.ndarray, float, slice | np.ndarray, np.ndarray]:
        """Segments ``first`` to ``last - 1`` of its route, their km, ``basic_index`` of them and as many ones (a
        pass each), remembered in ``_parts``."""
        if self.turned_back:                               # part of its route, reversed
            segs = self.route[first:last]
            km = float(self.model.roads.length_km[segs].sum())
        else:
            segs, km = self.model.roads.part(self.origin, self.destination, first, last)
        part = self._parts[(first, last)] = (segs, km, basic_index(segs), np.ones(len(segs)))
        return part

    def _meet_ieds(self, first: int, segs: np.ndarray, on_road: np.ndarray) -> None:
        """Devices met on today's segments (``segs`` = ``route[first:...]``, with ``on_road`` devices on each).

        Random numbers by what happens, not by when (``streams.py``): whether the passage of leg i of the route meets
        a device is drawn in the block of (this convoy, direction, i, the device), and each device met draws from its own
        block (``IedField.outcome``) whether it is found and, if not, what it does. A convoy held a day longer in one
        scenario, or a device found here that went off there, leaves the luck of the convoy's later legs and of
        every other device unchanged. The day's stretch is driven before its incidents are resolved: a convoy that
        turns back after one of them meets the rest of the stretch going out (the direction is read once, before
        the loop; ``turn_back`` then reverses the road driven, today's stretch included)."""
        m = self.model
        p, c = m.params.ieds, m.params.convoys
        p_meet = meet_probability_for(self.vehicles, p.encounter_probability_per_vehicle)
        draws = m.logistics.ied_draws
        passage_code = CodeFamily(self.key, self.turned_back)      # + (leg, device): entity_code of a passage
        p_detect = None                       # computed at the first device met (most passages meet none)
        record = m.recorder
        for i in np.flatnonzero(on_road).tolist():
            s, leg = int(segs[i]), first + i
            devices = m.ieds.meet_on(s, p_meet, lambda code: draws.event(passage_code(leg, code)).random())
            if not devices:
                continue
            if p_detect is None:
                p_detect = detection_probability(
                    base=p.base_detection_probability, training=self.profile.counter_ied_training,
                    training_bonus=p.training_detection_bonus, clearance=self.clearance,
                    clearance_bonus=p.clearance_detection_bonus, surveillance=m.air.surveillance[segs],
                    surveillance_bonus=p.surveillance_detection_bonus, maximum=p.max_detection_probability)
            where = at_segment(m, s, m.attacks.segment_group[s])
            record.add("ied_met", len(devices))
            m.posture.ied_event(s, len(devices))
            self.tally["ied_met"] += len(devices)
            for device in devices:
                rng = m.ieds.outcome(device)
                if rng.random() < p_detect[i]:
                    record.add("ied_found", 1)
                    self.tally["ied_found"] += 1
                    self.held_days += c.hold_days_after_find
                    m.incidents.record(kind="ied_found", target="convoy", where=where, contingent=self.contingent,
                                       killed=0, wounded=0, camp=self.camp, incident=device)
                else:
                    self._detonation(rng, where, device)

    def _detonation(self, rng: np.random.Generator, where, device: int) -> None:
        """The device ``device`` goes off under one of the convoy's vehicles (a truck or an escort, in proportion).

        ``rng`` is the device's block, already past its detection draw: which vehicle, whether it is lost, then
        protection and the casualty counts (one number each, ``incidents.clustered_deaths``)."""
        m = self.model
        p, c = m.params.ieds, m.params.convoys
        record = m.recorder
        record.add("ied_detonated", 1)
        on_truck = rng.random() < self.trucks / max(1, self.vehicles)
        loss_draw = rng.random()
        civilian = self.contracted and on_truck
        exposed = self.civilians if civilian else self.persons
        killed, wounded, protected = detonation(rng, p, 0.0 if civilian else self.profile.vehicle_protection_share,
                                                exposed)
        p_loss = c.vehicle_loss_probability
        if protected:
            p_loss *= 1.0 - p.protection_casualty_reduction
        if loss_draw < p_loss:
            lost = self.lose_vehicles(1, truck=on_truck)
            record.add("vehicles_lost", lost)
            self.tally["vehicles_lost"] += lost
        self._hit(c.hold_days_after_detonation)
        if civilian:
            self.civilians -= killed
            record.add("contractor_casualties", killed + wounded)
            m.incidents.record(kind="ied_detonation", target="convoy", where=where, contingent=self.contingent,
                               killed=0, wounded=0, camp=self.camp, incident=device, contractors=killed + wounded)
        else:
            deaths = m.incidents.record(kind="ied_detonation", target="convoy", where=where,
                                        contingent=self.contingent, killed=killed, wounded=wounded, camp=self.camp,
                                        incident=device)
            self.casualties(killed, deaths, wounded, device)

    def casualties(self, killed: int, deaths: int, wounded: int, incident: int) -> None:
        """An attack's casualties among the convoy's personnel: the killed leave it (passengers among them in
        proportion), the tally grows; with any casualties a resupply or rotation convoy may turn back (decision
        ``convoys.turn_back``, in the incident's block)."""
        if deaths and self.persons > 0:
            self.passengers -= min(self.passengers, deaths * self.passengers / self.persons)
        self.persons = max(0.0, self.persons - killed)
        self.tally["killed"] += deaths
        self.tally["wounded"] += wounded
        m = self.model
        if ((deaths or wounded) and self.kind != "withdrawal" and not self.turned_back
                and m.logistics.turn_back_draws.event(incident).random() < m.params.convoys.turn_back_probability):
            self.turn_back()

    def _hit(self, hold_days: float) -> None:
        """A detonation or an ambush: the convoy is held, and counts once as attacked."""
        self.held_days += hold_days
        self.tally["attacks"] += 1
        if not self.attacked:
            self.attacked = True
            self.model.recorder.add("convoys_attacked", 1)

    def ambushed(self) -> None:
        """Held after an ambush (its casualties come through ``casualties``)."""
        self._hit(self.model.params.convoys.hold_days_after_ambush)

    def turn_back(self) -> None:
        """Return to the origin the way it came: the clock runs back over the road already driven."""
        done = bisect_left(self._starts, self.clock)
        self.turned_back = True
        self.origin, self.destination = self.destination, self.origin
        self.route = self.route[:done][::-1]
        durations = np.diff(np.append(self.start_days, self.total_days))[:done][::-1]
        self.start_days = np.concatenate(([0.0], np.cumsum(durations)[:-1]))
        self._starts = self.start_days.tolist()
        self.total_days = float(durations.sum())
        self.clock = 0.0
        self._next = 0
        self._parts = {}
        self.model.recorder.add("convoys_turned_back", 1)

    def lose_vehicles(self, n: int, truck: bool = True) -> int:
        """Vehicles destroyed; cargo carried on lost trucks is lost. Returns vehicles actually lost."""
        n = min(n, self.vehicles)
        trucks_lost = min(self.trucks, n) if truck else max(0, n - self.escorts)
        if self.trucks:
            self.cargo_t *= 1.0 - trucks_lost / self.trucks       # passengers climb onto the vehicles left
        self.trucks -= trucks_lost
        self.escorts -= n - trucks_lost
        self.vehicles -= n
        return n

    def _arrive(self) -> None:
        m = self.model
        record = m.recorder
        if not self.turned_back:
            record.add("convoys_arrived", 1)
            transit = m.day - self.depart_day + 1
            record.add("convoy_transit_days_sum", transit)
            if transit - self.planned_days >= m.params.convoys.delay_threshold_days:
                record.add("convoys_delayed", 1)
        m.logistics.finished(self, "turned_back" if self.turned_back else "arrived")
