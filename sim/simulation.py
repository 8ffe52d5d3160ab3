"""The peacekeeping model: wires the actors together and runs one replication day by day.

``PeacekeepingModel.step`` is the process overview of MODEL.md's "Processes in a day"; each process hands the work
to the module of the actor concerned (``camp.py``, ``logistics.py`` and ``convoy.py``, ``armed_group.py`` and
``attacks.py``, ``ied.py``, ``air_support.py``, ``host_state.py``, ``patrol.py``, ``medical.py``,
``incidents.py``). ``simulate(scenario, seed)`` runs the whole window and returns a ``RunOutput``
(docs/results.md).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from sim import contingent
from sim.air_support import AirSupport
from sim.armed_group import ArmedGroup, TrafficMemory
from sim.attacks import Attacks
from sim.camp import Camp
from sim.contingent import Profile
from sim.host_state import HostState
from sim.ied import IedField
from sim.incidents import Incidents
from sim.logistics import Logistics
from sim.medical import MedicalChain
from sim.metrics import REGISTRY
from sim.output import RunOutput
from sim.patrol import PatrolNetwork
from sim.posture import Posture
from sim.recorder import Recorder
from sim.roads import build_roads
from sim.scenario.events import CampCloses
from sim.streams import Streams, entity_code, mesa_seed
from sim.theatre import load_theatre


def _load(path: str | Path):
    from sim.scenario import load_scenario
    return load_scenario(path)


class PeacekeepingModel(mesa.Model):
    """One replication of a scenario. ``self.params`` is the pkosim scenario (Mesa keeps its own ``self.scenario``).

    ``seed`` is the run's seed (the runner's ``SeedSequence`` for the replication); the scenario's own ``seed``
    field is the batch's root seed and is not read here."""

    def __init__(self, scenario=None, seed: int | np.random.SeedSequence = 0, collect_daily_reporters: bool = False,
                 **kwargs):
        if scenario is None:
            raise ValueError("PeacekeepingModel needs scenario= (a Scenario or a scenario file path)")
        if isinstance(scenario, (str, Path)):
            scenario = _load(scenario)
        super().__init__(rng=mesa_seed(seed), **kwargs)
        self.params = p = scenario
        self.streams = Streams(seed)
        self.theatre = load_theatre(scenario.theatre)
        self.warmup = p.warmup_days
        self.first_day = scenario.start - timedelta(days=self.warmup)
        self.dates = pd.date_range(scenario.start, scenario.end, freq="D")
        self.calendar: list[date] = [self.first_day + timedelta(days=i)
                                     for i in range((scenario.end - self.first_day).days + 1)]
        self.n_days = len(self.calendar)
        self.day = -1
        self.today: date = self.first_day
        self.year = self.first_day.year
        self.rainy = False
        rainy_months = p.roads.rainy_season_months
        self._rainy_by_day = [d.month in rainy_months for d in self.calendar]
        self.recording = False               # False while the model is built and during the warm-up
        self.recorder = Recorder(self.dates, REGISTRY)
        self._level_slots = [self.recorder.slots(name)             # the levels _record_day sets every day
                             for name in ("ieds_emplaced", "open_camps", "personnel_in_theatre")]
        self.profiles = contingent.profiles(self.theatre.contingents, p.contingents)
        self.roads = build_roads(self.theatre, p.roads.segment_max_km)
        self.ieds = IedField(self.roads.n, p.ieds, self.streams.decision("ieds.device"))
        self.passes_today = np.zeros(self.roads.n)
        self.own_memory = math.exp(-1.0 / p.air_support.surveillance_priority_memory_days)
        self.host_state = HostState(self, p.host_state)
        self.camp_levels_stale = True        # set by a camp whose open flag or garrison changes (_record_day)
        self._build_camps()
        self.air = AirSupport(self, p.air_support, self.theatre, self.roads)
        self.patrols = PatrolNetwork(self, p.patrols)
        self.posture = Posture(self, p.posture)
        self.groups = [
            ArmedGroup(self, gid, spec, np.flatnonzero(np.isin(self.roads.sector, spec.sectors)),
                       [c for c in self.camps if c.sector in spec.sectors])
            for gid, spec in sorted(p.armed_groups.items())
        ]
        self.groups_by_id = {g.group_id: g for g in self.groups}
        self._acting: list[ArmedGroup] = []  # the groups acting today (set by _armed_groups_act)
        # MINUSMA's memory of its traffic (the surveillance priority) and each group's, updated together
        self.traffic_memory = TrafficMemory([(np.arange(self.roads.n), self.own_memory)]
                                            + [(g.segments, g.memory) for g in self.groups])
        self.own_traffic = self.traffic_memory.parts[0]
        for group, traffic in zip(self.groups, self.traffic_memory.parts[1:]):
            group.traffic = traffic
        self.attacks = Attacks(self)
        self.logistics = Logistics(self, p.logistics)
        self.medical = MedicalChain(self, p.medical)
        self.incidents = Incidents(self, log=p.outputs.incidents)
        self._schedule_events()
        self._open_changes = self._open_change_days()
        # The camps' open flags and personnel of the last recorded day, recomputed when camp_levels_stale:
        self._open_flags: list[bool] = []                # the flags...
        self._open_mask = np.zeros(0, dtype=bool)         # ...as an array (rebuilt when a flag changes)
        self._open_camps: list[Camp] = []                 # ...the camps open
        self._personnel = 0.0                             # ...and the people in them
        self.datacollector = None
        if collect_daily_reporters:
            self.datacollector = mesa.DataCollector(model_reporters={
                "hostile_deaths": lambda m: m.recorder.values["hostile_deaths"][max(m.day, 0)],
                "ieds_emplaced": lambda m: m.ieds.emplaced,
                "convoys_en_route": lambda m: len(m.logistics.convoys),
                "coverage": lambda m: m.patrols.coverage_today,
            })

    # --- set-up -------------------------------------------------------------------------------------------------
    def profile(self, name: str) -> Profile:
        """A contingent's profile; an unknown contingent gets the theatre's average profile."""
        if name not in self.profiles:
            self.profiles[name] = contingent.average(self.profiles)
        return self.profiles[name]

    def _build_camps(self) -> None:
        hubs = [h for h in self.params.camps.resupply_hubs if h in self.theatre.camps]
        self.camps = []
        for name, record in self.theatre.camps.items():
            hub = None
            if name not in hubs:
                reachable = [h for h in hubs if self.roads.connected(h, name)]
                hub = min(reachable, key=lambda h: (self.roads.route_km(h, name), h)) if reachable else None
            camp = Camp(self, record, hub)
            camp.is_hub = name in hubs
            self.camps.append(camp)
        self.camps_by_name = {c.name: c for c in self.camps}
        rotation = self.streams.decision("camps.rotation")
        interval = self.params.camps.rotation_interval_days
        for camp in self.camps:                  # each camp its own draw: a scenario with other camps keeps these
            camp.next_rotation_day = float(rotation.generator(entity_code(camp.name)).uniform(0, interval))
            camp.set_year(self.year)

    def _schedule_events(self) -> None:
        """Prepare every dated event and file it under its day (date order, then id: the same on every machine).

        A camp whose theatre record closes it inside the window, and that no scenario event closes, gets a
        ``camp_closes`` event on that date: there is one way for a camp to close. Events dated before the first
        simulated day (the warm-up's, or the window's) are applied now, in order: the model starts from the state
        they left (a 2023 scenario starts with France gone and flights refused)."""
        events = [event for _, event in self.params.events_in_order()]
        closed_by_scenario = {e.camp for e in events if isinstance(e, CampCloses)}
        for camp in self.camps:
            if camp.name not in closed_by_scenario and camp.closes <= self.params.end:
                events.append(CampCloses(date=camp.closes, action="camp_closes", camp=camp.name,
                                         note="theatre record (camps.csv)"))
        self._events_by_day: dict[int, list] = {}
        past = []
        for event in sorted(events, key=lambda e: e.date):
            event.prepare(self)
            if event.date < self.first_day:
                past.append(event)
            else:
                self._events_by_day.setdefault((event.date - self.first_day).days, []).append(event)
        for event in past:
            event.apply(self)

    def _open_change_days(self) -> set[int]:
        """Day indices whose morning can open or close a camp (``Camp.refresh_open``): the first day, each camp's
        opening day and the day after its closing date. Between them every camp's answer stays the same (a camp
        that finishes its withdrawal closes itself), so camps are refreshed only on these days. Depends on the
        camps' dates: recomputed after the events of a day."""
        days = {0}
        for camp in self.camps:
            days.add((camp.opens - self.first_day).days)
            days.add((camp.closes - self.first_day).days + 1)
        return days

    def calendar_of(self, day: int) -> date:
        """The date of a day index."""
        return self.calendar[day]

    def events_on(self, day: int) -> tuple:
        """The dated events applied at the start of day index ``day``, in the order they are applied (read-only:
        for the interactive view, which shows them as they fire)."""
        return tuple(self._events_by_day.get(day, ()))

    def camp_open(self, name: str) -> bool:
        camp = self.camps_by_name.get(name)
        return camp is not None and camp.open

    # --- the day --------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Mesa's step: one day (Mesa's event loop calls it, advancing ``model.time``; SolaraViz and notebooks use it)."""
        self.day_step()

    def day_step(self) -> None:
        """One day, in the order of MODEL.md's 'Processes in a day'."""
        self._new_day()
        events = self._events_by_day.get(self.day, ())
        for event in events:                 # 1. dated scenario events
            event.apply(self)
        if events:                           # an event may change a camp's dates: recompute, and refresh tomorrow
            self._open_changes = self._open_change_days() | {self.day + 1}
        self._armed_groups_act()             # 2. lay IEDs (where traffic was seen, where aircraft were), plan attacks
        self.air.allocate_surveillance(self.own_traffic)      # 3. air surveillance over segments and camps
        for camp in self.camps:              # 4. supplies, orders, rotations, withdrawal moves; convoys depart
            if camp.open:
                camp.step()
        self.logistics.step()                # 5. convoys move, meet IEDs; ambushes where the traffic is
        for group in self._acting:
            group.plan_ambushes(*group.exposure_km(self.passes_today, self.patrols.km_by_camp))
            for _ in range(group.ambushes_today):
                self.attacks.ambush(group)
        self.passes_today += self.patrols.step()   # 6. patrols: exposure and coverage
        for group in self.groups:            # 7. indirect fire and complex attacks on camps
            if group.fire_today or group.assaults_today:
                for _ in range(group.fire_today):
                    self.attacks.indirect_fire(group)
                for _ in range(group.assaults_today):
                    self.attacks.complex_attack(group)
            group.end_day()
        #                                      8. the wounded are evacuated inside each incident (Incidents.record)
        self._record_day()                   # 9. learn today's traffic, record the day
        if self.day >= self.n_days - 1:
            self.running = False

    def _new_day(self) -> None:
        self.day = day = self.day + 1
        self.streams.day = day
        self.recording = day >= self.warmup
        self.recorder.t = day - self.warmup if self.recording else self.recorder.scratch
        self.today = today = self.calendar[day]
        self.rainy = self._rainy_by_day[day]
        if today.year != self.year:
            self.year = today.year
            for camp in self.camps:
                camp.set_year(self.year)
        if day in self._open_changes:
            for camp in self.camps:
                camp.refresh_open()
        self.air.new_day()
        self.logistics.new_day()
        self.posture.new_day()
        self.passes_today.fill(0.0)
        self.ieds.decay(day)

    def _armed_groups_act(self) -> None:
        self._acting = acting = []           # after today's events (which may start a group); day_step reads it
        for group in self.groups:
            group.ambushes_today = group.fire_today = group.assaults_today = 0
            if not group.acting():
                continue
            acting.append(group)
            laid, lifetimes, codes = group.lay_ieds(self.air)   # deterred by yesterday's air picture
            if len(laid):
                self.ieds.lay(laid, lifetimes, codes, self.day)
                self.recorder.add("ied_laid", len(laid))
            group.plan_attacks()

    def _record_day(self) -> None:
        self.traffic_memory.learn(self.passes_today)
        if self.camp_levels_stale:
            self.camp_levels_stale = False
            open_flags = [c.open for c in self.camps]
            if open_flags != self._open_flags:
                self._open_flags, self._open_mask = open_flags, np.array(open_flags, dtype=bool)
                self._open_camps = [c for c in self.camps if c.open]
            self._personnel = sum([c.persons for c in self._open_camps])
        t = self.recorder.t
        emplaced, open_camps, personnel = self._level_slots
        emplaced[t] = self.ieds.emplaced
        open_camps[t] = len(self._open_camps)
        personnel[t] = self._personnel
        self.logistics.record_day()
        self.host_state.record_day()
        self.posture.record_day(self._open_mask)
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def output(self) -> RunOutput:
        """The run's tables (docs/results.md); call after the last step."""
        yearly = self.recorder.yearly()
        outputs = self.params.outputs
        return RunOutput(yearly=yearly, daily=self.recorder.daily() if outputs.daily else None,
                         incidents=self.incidents.table() if outputs.incidents else None,
                         summary=REGISTRY.summary(yearly),
                         convoys=self.logistics.table() if outputs.convoys else None)


def simulate(scenario, seed: int | np.random.SeedSequence) -> RunOutput:
    """Run one replication of ``scenario`` with ``seed`` and return its tables (docs/results.md).

    Days are advanced with ``day_step`` directly: the model schedules no Mesa events of its own, and going through
    Mesa's event loop for each of thousands of days (``model.step``) cost a quarter of a run (docs/performance.md)."""
    model = PeacekeepingModel(scenario=scenario, seed=seed)
    for _ in range(model.n_days):
        model.day_step()
    return model.output()
