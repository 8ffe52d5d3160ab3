"""The peacekeeping model: wires the actors together and runs one replication day by day.

``PeacekeepingModel.step`` follows MODEL.md's "Processes in a day"; each process is a short method that hands
the work to the module of the actor concerned (``camp.py``, ``convoy.py``, ``armed_group.py``, ``ied.py``,
``air_support.py``, ``host_state.py``, ``patrol.py``, ``medical.py``). ``simulate(scenario, seed)`` runs the
whole window and returns a ``RunOutput`` (docs/results.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from sim.air_support import AirProvider
from sim.armed_group import ArmedGroup
from sim.camp import Camp
from sim.convoy import Convoy, timetable
from sim.host_state import HostState
from sim.ied import IedField, detection_probability
from sim.incidents import IncidentResolver
from sim.output import RunOutput
from sim.patrol import PatrolNetwork
from sim.recorder import Recorder
from sim.roads import build_roads, speed_km_per_day
from sim.streams import mesa_seed, spawn_streams
from sim.theatre import load_theatre


@dataclass(frozen=True)
class Profile:
    """A contingent's profile after scenario overrides."""

    vehicle_protection_share: float
    counter_ied_training: float
    medical_capability: float


def _load(path: str | Path):
    from sim.scenario import load_scenario
    return load_scenario(path)


class PeacekeepingModel(mesa.Model):
    """One replication of a scenario. ``self.params`` is the pkosim scenario (Mesa keeps its own ``self.scenario``)."""

    def __init__(self, scenario=None, seed: int | np.random.SeedSequence = 0, collect_daily_reporters: bool = False,
                 **kwargs):
        if scenario is None:
            raise ValueError("PeacekeepingModel needs scenario= (a Scenario or a scenario file path)")
        if isinstance(scenario, (str, Path)):
            scenario = _load(scenario)
        super().__init__(rng=mesa_seed(seed), **kwargs)
        self.params = scenario
        self.streams = spawn_streams(seed)
        self.theatre = load_theatre(scenario.theatre)
        self.dates = pd.date_range(scenario.start, scenario.end, freq="D")
        self.calendar: list[date] = [d.date() for d in self.dates]
        self.n_days = len(self.dates)
        self.day = -1
        self.today: date = scenario.start
        self.year = scenario.start.year
        self.rainy = False
        self.recorder = Recorder(self.dates)
        self.roads = build_roads(self.theatre, scenario.roads.segment_max_km)
        self.ieds = IedField(self.roads.n, self.streams["ieds"])
        self.surveillance = np.zeros(self.roads.n)
        self.own_traffic = np.zeros(self.roads.n)
        self.passes_today = np.zeros(self.roads.n)
        self.own_memory = math.exp(-1.0 / scenario.air_support.surveillance_priority_memory_days)
        self.french_bases_left: set[str] = set()
        self.profiles = self._profiles()
        self.host_state = HostState(self, scenario.host_state)
        self._build_camps()
        self.patrols = PatrolNetwork(self.camps, self.roads, self.theatre, scenario)
        # Yesterday's patrol effort by camp: ambushes (step 5) are resolved before today's patrols (step 6) go out.
        self.patrol_km_by_camp = np.zeros(len(self.camps))
        self.camp_near = [np.flatnonzero(self.patrols.near[i]) for i in range(len(self.camps))]
        self.groups = [
            ArmedGroup(self, gid, spec, np.flatnonzero(np.isin(self.roads.sector, spec.sectors)),
                       [c for c in self.camps if c.sector in spec.sectors], self.streams["armed_groups"])
            for gid, spec in sorted(scenario.armed_groups.items())
        ]
        self.air = [AirProvider(self, pid, spec, self.theatre, self.roads.lat, self.roads.lon)
                    for pid, spec in sorted(scenario.air_support.providers.items())]
        self.convoys: list[Convoy] = []
        self._timetables: dict[tuple[str, str, bool], tuple[np.ndarray, int]] = {}
        self.events_by_day: dict[date, list] = {}
        for _, event in scenario.events_in_order():
            if event.action != "camp_closes":
                self.events_by_day.setdefault(event.date, []).append(event)
        self.resolver = IncidentResolver(self)
        self.coverage_today = 0.0
        self._coverage_of: tuple[int, np.ndarray] | None = None   # (year, patrol km by camp) coverage_today is for
        self.datacollector = None
        if collect_daily_reporters:
            self.datacollector = mesa.DataCollector(model_reporters={
                "hostile_deaths": lambda m: m.recorder.counters["hostile_deaths"][max(m.day, 0)],
                "ieds_emplaced": lambda m: m.ieds.emplaced,
                "convoys_en_route": lambda m: len(m.convoys),
                "coverage": lambda m: m.coverage_today,
            })

    # --- set-up -------------------------------------------------------------------------------------------------
    def _profiles(self) -> dict[str, Profile]:
        out = {}
        for name, base in self.theatre.contingents.items():
            o = self.params.contingents.get(name)
            get = (lambda key: getattr(o, key) if o is not None and getattr(o, key) is not None else getattr(base, key))
            out[name] = Profile(get("vehicle_protection_share"), get("counter_ied_training"), get("medical_capability"))
        return out

    def profile(self, contingent: str) -> Profile:
        """A contingent's profile; an unknown contingent gets the theatre's average profile."""
        if contingent not in self.profiles:
            values = np.array([[p.vehicle_protection_share, p.counter_ied_training, p.medical_capability]
                               for p in self.profiles.values()])
            self.profiles[contingent] = Profile(*(float(v) for v in values.mean(axis=0)))
        return self.profiles[contingent]

    def _build_camps(self) -> None:
        closes = {name: c.closed for name, c in self.theatre.camps.items()}
        transfer = {}
        for _, event in self.params.events_in_order():
            if event.action == "camp_closes":
                closes[event.camp] = event.date
                transfer[event.camp] = event.transfer_to
        hubs = [h for h in self.params.camps.resupply_hubs if h in self.theatre.camps]
        self.camps = []
        for name, record in self.theatre.camps.items():
            hub = None
            if name not in hubs:
                reachable = [h for h in hubs if self.roads.connected(h, name)]
                hub = min(reachable, key=lambda h: (self.roads.route_km(h, name), h)) if reachable else None
            camp = Camp(self, record, closes[name], hub, self.streams["camps"])
            camp.transfer_to = transfer.get(name)
            camp.is_hub = name in hubs
            if hub is None and not camp.is_hub:
                camp.hub = None
            self.camps.append(camp)
        self.camps_by_name = {c.name: c for c in self.camps}
        for camp in self.camps:
            camp.set_year(self.year)
        self.stocked = set()

    def camp_open(self, name: str) -> bool:
        camp = self.camps_by_name.get(name)
        return camp is not None and camp.is_open(self.today)

    # --- the day --------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One day, in the order of MODEL.md's 'Processes in a day'."""
        self._new_day()
        self._apply_events()                 # 1. dated scenario events
        self._armed_groups_act()             # 2. lay IEDs (where traffic was seen, where aircraft were), plan attacks
        self._allocate_surveillance()        # 3. air surveillance over segments and camps
        self._camps_consume_and_order()      # 4. supplies, orders, rotations, withdrawal moves; convoys depart
        self._convoys_move()                 # 5. convoys move, meet IEDs and ambushes
        self._patrol()                       # 6. patrols: exposure and coverage
        self._attack_camps()                 # 7. indirect fire and complex attacks on camps
        #                                      8. the wounded are evacuated inside each incident (IncidentResolver)
        self._record_day()                   # 9. record the day
        if self.day >= self.n_days - 1:
            self.running = False

    def _new_day(self) -> None:
        self.day += 1
        self.recorder.t = self.day
        self.today = self.calendar[self.day]
        self.rainy = self.today.month in self.params.roads.rainy_season_months
        if self.today.year != self.year or self.day == 0:
            self.year = self.today.year
            for camp in self.camps:
                camp.set_year(self.year)
        for provider in self.air:
            provider.new_day()
        self.passes_today[:] = 0.0

    def _apply_events(self) -> None:
        for event in self.events_by_day.get(self.today, ()):
            action = event.action
            if action == "french_base_left":
                self.french_bases_left.add(event.base)
            elif action == "contingent_leaves":
                for camp in self.camps:
                    if not event.camps or camp.name in event.camps:
                        camp.contingent_leaves(event.contingent, event.share)
            elif action == "flight_refusal_share":
                self.host_state.set_refusal_share(event.share)
            elif action == "flights_grounded":
                self.host_state.ground_flights(event.until, event.medevac_exempt)
            elif action == "ground_movement_restricted":
                self.host_state.restrict_ground_movement(event.hubs, event.until)
            elif action == "armed_group_capacity":
                for group in self.groups:
                    if group.group_id == event.group:
                        group.scale_capacity(event.factor)

    def _armed_groups_act(self) -> None:
        self.ieds.decay(self.params.ieds.decay_per_day)
        for group in self.groups:
            group.plan = group.plan.__class__()
            if not group.acting(self.today):
                continue
            laid = group.lay_ieds(self.surveillance)   # yesterday's air picture
            if len(laid):
                self.ieds.lay(laid)
                self.recorder.add("ied_laid", len(laid))
            group.plan_attacks()

    def _allocate_surveillance(self) -> None:
        self.surveillance[:] = 0.0
        for provider in self.air:
            provider.watch(self.own_traffic, self.surveillance, self.today)

    def camp_surveillance(self, camp_index: int) -> float:
        near = self.camp_near[camp_index]
        return float(self.surveillance[near].mean()) if len(near) else 0.0

    def _camps_consume_and_order(self) -> None:
        for camp in self.camps:
            if camp.is_open(self.today):
                if camp.name not in self.stocked:
                    camp.open_day()
                    self.stocked.add(camp.name)
                camp.step()

    def _convoys_move(self) -> None:
        for convoy in list(self.convoys):
            convoy.step()
        for group in self.groups:
            for _ in range(group.plan.ambushes):
                self.resolver.ambush(group)

    def _patrol(self) -> None:
        km = np.array([c.patrols_per_day() * self.params.patrols.patrol_length_km if c.is_open(self.today) else 0.0
                       for c in self.camps])
        self.patrol_km_by_camp = km
        total = float(km.sum())
        self.recorder.add("patrol_km", total)
        if total > 0:
            passes = self.patrols.passes(km)
            self.passes_today += passes
            self.resolver.patrols_meet_ieds(km, passes)
        # Coverage depends only on the year's hotspots and the patrol effort by camp, which change a few times a
        # year (garrisons, openings, closures): recompute it only then.
        if self._coverage_of is None or self._coverage_of[0] != self.year or not np.array_equal(self._coverage_of[1], km):
            self.coverage_today = self.patrols.coverage(self.year, km)
            self._coverage_of = (self.year, km)

    def _attack_camps(self) -> None:
        for group in self.groups:
            for _ in range(group.plan.indirect_fire):
                self.resolver.camp_attack(group, "indirect_fire")
            for _ in range(group.plan.complex_attacks):
                self.resolver.camp_attack(group, "complex_attack")
            group.end_day()

    def _record_day(self) -> None:
        r = self.recorder
        for group in self.groups:
            group.learn(self.passes_today)
        self.own_traffic *= self.own_memory
        self.own_traffic += self.passes_today
        open_camps = [c for c in self.camps if c.is_open(self.today)]
        r.set("ieds_emplaced", self.ieds.emplaced)
        r.set("convoys_en_route", len(self.convoys))
        r.set("coverage", self.coverage_today)
        r.set("open_camps", len(open_camps))
        r.set("personnel_in_theatre", sum(c.persons for c in open_camps))
        r.set("flight_refusal_share", self.host_state.refusal_share)
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def output(self) -> RunOutput:
        """The run's tables (docs/results.md); call after the last step."""
        incidents = self.recorder.incident_table()
        daily = self.recorder.daily()
        yearly = self.recorder.yearly(incidents)
        return RunOutput(yearly=yearly, daily=daily, incidents=incidents, summary=Recorder.summary(yearly, daily))

    # --- convoys ------------------------------------------------------------------------------------------------
    def dispatch(self, *, kind: str, origin: str, destination: str, camp: Camp, cargo_t: float, passengers: float,
                 single: bool = False) -> float:
        """Send convoys for a road move; returns the tonnes sent. Large moves are split into several convoys."""
        c = self.params.convoys
        if not self.roads.connected(origin, destination):
            return 0.0
        route = self.roads.route(origin, destination)
        cargo_trucks = math.ceil(cargo_t / c.tonnes_per_truck - 1e-9)
        people_trucks = math.ceil(passengers / c.passengers_per_truck - 1e-9)
        trucks = max(1, cargo_trucks + people_trucks)
        n_convoys = 1 if single else math.ceil(trucks / c.max_trucks_per_convoy)
        rng = self.streams["convoys"]
        for i in range(n_convoys):
            share = 1.0 / n_convoys
            convoy = Convoy(self, kind=kind, origin=origin, destination=destination, camp=camp, route=route,
                            trucks=min(c.max_trucks_per_convoy, math.ceil(trucks * share)),
                            passengers=passengers * share, cargo_t=cargo_t * share,
                            contingent=camp.pick_contingent(), clearance=bool(rng.random() < c.route_clearance_share))
            convoy.ordered_t = cargo_t * share
            self.convoys.append(convoy)
            self.recorder.add("convoys_sent", 1)
        return cargo_t

    def timetable(self, origin: str, destination: str, rainy: bool) -> tuple[np.ndarray, int]:
        """A road move's day-by-day timetable (``convoy.timetable``), the same for every convoy on that route and
        season, so computed once per route and season."""
        key = (origin, destination, rainy)
        if key not in self._timetables:
            route = self.roads.route(origin, destination)
            speeds = speed_km_per_day(self.roads.paved[route], rainy, self.params.roads)
            self._timetables[key] = timetable(self.roads.length_km[route], speeds)
        return self._timetables[key]

    def convoy_arrived(self, convoy: Convoy) -> None:
        if convoy.kind == "resupply":
            camp = self.camps_by_name[convoy.destination]
            camp.en_route_t = max(0.0, camp.en_route_t - convoy.ordered_t)
            camp.stock_t += convoy.cargo_t
        self.convoys.remove(convoy)
        convoy.remove()

    def convoy_destroyed(self, convoy: Convoy) -> None:
        """Every vehicle lost: the convoy leaves the road, its cargo is lost, and the camp can order again."""
        if convoy.kind == "resupply":
            camp = self.camps_by_name[convoy.destination]
            camp.en_route_t = max(0.0, camp.en_route_t - convoy.ordered_t)
        self.convoys.remove(convoy)
        convoy.remove()

    def convoy_meets_ieds(self, convoy: Convoy, segs: np.ndarray) -> None:
        p = self.params.ieds
        p_detect = detection_probability(
            base=p.base_detection_probability, training=convoy.profile.counter_ied_training,
            training_bonus=p.training_detection_bonus, clearance=convoy.clearance,
            clearance_bonus=p.clearance_detection_bonus, surveillance=self.surveillance[segs],
            surveillance_bonus=p.surveillance_detection_bonus, maximum=p.max_detection_probability)
        found, detonated = self.ieds.meet(segs, p.encounter_probability, p_detect)
        if found.any() or detonated.any():
            self.resolver.ied_outcomes(convoy, segs, found, detonated)

    def withdrawal_destination(self, camp: Camp) -> str | None:
        """Where a closing camp sends its people and equipment: transfer_to, else the nearest hub open longer."""
        if camp.transfer_to and self.camp_open(camp.transfer_to):
            return camp.transfer_to
        options = [h for h in self.params.camps.resupply_hubs
                   if h != camp.name and h in self.camps_by_name and self.camps_by_name[h].closes > camp.closes
                   and self.roads.connected(camp.name, h)]
        if not options:
            return None
        return min(options, key=lambda h: (self.roads.route_km(camp.name, h), h))


def simulate(scenario, seed: int | np.random.SeedSequence) -> RunOutput:
    """Run one replication of ``scenario`` with ``seed`` and return its tables (docs/results.md)."""
    model = PeacekeepingModel(scenario=scenario, seed=seed)
    for _ in range(model.n_days):
        model.step()
    return model.output()
