"""MINUSMA camps: garrison by contingent, supply stock, orders for convoys, rotations, and the closing move.

A camp's garrison each year is the theatre's Geo-PKO camp-year strength x ``camps.strength_scale``, minus the
contingents that have left (``contingent_leaves``). It consumes supplies every day and orders a resupply convoy
from its hub when stock plus what is on the road falls below ``reorder_stock_days`` (hubs are supplied from
outside the modelled network). Contingents rotate every ``rotation_interval_days`` (each camp's first rotation at
a random point of the interval, decision ``camps.rotation``); the share not flown goes by road. From
``withdrawal_lead_days`` before its closing date a camp sends its people and equipment out in convoys every
``withdrawal_convoy_interval_days`` (people partly by air when flights are allowed); whatever equipment is still
there on the closing day is left or destroyed, a reported metric.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import mesa
import numpy as np

from sim.parameters import StrictModel, param, share
from sim.results import Result

KG_PER_TONNE = 1000.0
PER_THOUSAND = 1000.0

RESULTS = (
    Result("camp_days_below_critical", "camp-days", "Camp-days below critical stock",
           "Days an open camp spent with less than critical_stock_days of supplies, summed over camps.", daily=True,
           integer=True),
    Result("open_camps", "camps", "Open camps", "Camps open at the end of the day.", kind="level", daily=True),
    Result("personnel_in_theatre", "persons", "Personnel in theatre", "People in open camps at the end of the day.",
           kind="level", daily=True),
    Result("personnel_withdrawn", "persons", "Personnel withdrawn", "People who left closing camps.", integer=False),
    Result("equipment_withdrawn_t", "tonnes", "Equipment withdrawn", "Equipment sent out of closing camps."),
    Result("equipment_left_t", "tonnes", "Equipment left or destroyed",
           "Equipment still in a camp on its closing day."),
)


class CampParams(StrictModel):
    """Garrisons, supplies, rotations and closing moves of MINUSMA camps (scenario section ``camps``)."""

    strength_scale: float = param(
        0.75, unit="factor", gt=0, le=2,
        description="Multiplier on Geo-PKO garrison estimates, which run above real strength.",
        source="Geo-PKO totals run 20-50% above real strength (shared/data README): 1/1.33")
    supply_kg_per_person_day: float = param(
        25.0, unit="kg/person/day", gt=0,
        description="Supplies (fuel, food, ammunition, spares) a camp consumes per person and day.",
        source="assumption: water produced locally; typical expeditionary consumption 20-40 kg/person/day")
    initial_stock_days: float = param(
        45.0, unit="days", ge=0, description="Stock a camp holds at the start of the run.",
        source="assumption: UN camps hold 30-60 days of reserve")
    reorder_stock_days: float = param(
        30.0, unit="days", ge=0,
        description="A camp orders a resupply convoy when its stock plus what is en route falls below this.",
        source="assumption")
    critical_stock_days: float = param(
        10.0, unit="days", ge=0,
        description="Stock below this counts as a camp-day below critical stock (a reported metric).",
        source="assumption")
    target_stock_days: float = param(
        45.0, unit="days", gt=0,
        description="A resupply order tops the camp up to this many days of stock (stock + en route).",
        source="assumption: same as the initial reserve")
    resupply_hubs: tuple[str, ...] = param(
        ("Gao", "Mopti-Sevare", "Bamako"), unit="camp names",
        description="Logistics hubs that send resupply convoys; each camp is served by the nearest one by road.",
        source="MODEL.md (hubs Gao, Mopti-Sevare, Bamako)")
    rotation_interval_days: float = param(
        180.0, unit="days", gt=0,
        description="Interval between troop rotations of a camp's contingents, each a road move from the hub.",
        source="assumption: UN contingents rotate every 6-12 months")
    rotation_share_by_air: float = share(
        0.5, description="Share of rotating troops flown rather than driven (when flights are allowed).",
        source="assumption")
    equipment_tonnes_per_person: float = param(
        3.0, unit="tonnes/person", ge=0,
        description="Equipment (vehicles, containers) a camp must move out when it closes, per person of its garrison.",
        source="assumption: Barkhane moved ~400 containers with 300 troops from Gossi (barkhane.csv)")
    withdrawal_lead_days: float = param(
        60.0, unit="days", ge=0,
        description="How long before its closing date a camp starts moving people and equipment out.",
        source="assumption: 2023 closures were announced 4-10 weeks ahead")
    withdrawal_convoy_interval_days: float = param(
        7.0, unit="days", gt=0, description="Interval between withdrawal convoys leaving a closing camp.",
        source="assumption")
    airlift_personnel_share: float = share(
        0.6, description="Share of a closing camp's people flown out (when flights are allowed; the rest go by road).",
        source="assumption")


class Camp(mesa.Agent):
    def __init__(self, model, record, hub: str | None):
        super().__init__(model)
        self.name = record.camp
        self.lat, self.lon, self.sector = record.lat, record.lon, record.sector
        self.opens = record.opened
        self.hub = hub                     # None: this camp is a hub (supplied from outside)
        self.is_hub = False
        self.left_share: dict[str, float] = {}
        self._garrison: dict[str, float] = {}
        self.persons = 0.0
        self.training = 0.0
        self.medical_unit = self.aviation_unit = False
        self.stock_t = 0.0
        self.en_route_t = 0.0
        self.stocked = False
        self.last_order_day = -math.inf
        self.next_rotation_day = 0.0
        self.withdrawing = False
        self.people_to_move = 0.0
        self.equipment_to_move_t = 0.0
        self.people_per_move = 0.0
        self.next_withdrawal_day = 0
        self.finished = False
        self.plan_closure(record.closed, None)

    # --- state ------------------------------------------------------------------------------------------------
    def plan_closure(self, closes: date, transfer_to: str | None) -> None:
        """Set the closing date (the theatre's, or a ``camp_closes`` event's) and who takes over the garrison."""
        self.closes = closes
        self.transfer_to = transfer_to
        self.withdrawal_start = closes - timedelta(days=int(self.model.params.camps.withdrawal_lead_days))

    def is_open(self) -> bool:
        return self.opens <= self.model.today <= self.closes and not self.finished

    @property
    def garrison(self) -> dict[str, float]:
        """Persons by contingent. Assign a new dict to change it: ``persons`` and ``training`` are cached from it."""
        return self._garrison

    @garrison.setter
    def garrison(self, troops: dict[str, float]) -> None:
        self._garrison = troops
        self._draw_names = [c for c, n in troops.items() if n > 0]
        weights = np.array([troops[c] for c in self._draw_names])
        self._draw_cumulative = np.cumsum(weights)
        self.persons = float(sum(troops.values()))
        self.training = (sum(n * self.model.profile(c).counter_ied_training for c, n in troops.items()) / self.persons
                         if self.persons > 0 else 0.0)

    def consumption_t(self) -> float:
        return self.persons * self.model.params.camps.supply_kg_per_person_day / KG_PER_TONNE

    def patrols_per_day(self) -> float:
        return self.persons / PER_THOUSAND * self.model.params.patrols.patrols_per_1000_troops_per_day

    def set_year(self, year: int) -> None:
        """Garrison from the theatre's camp-year record (kept while withdrawing, when people are moving out)."""
        record = self.model.theatre.garrison(self.name, year)
        self.medical_unit, self.aviation_unit = record.medical_unit, record.aviation_unit
        if self.withdrawing:
            return
        scale = self.model.params.camps.strength_scale
        self.garrison = {c: n * scale * (1.0 - self.left_share.get(c, 0.0)) for c, n in sorted(record.troops.items())}

    def contingent_leaves(self, contingent: str, share: float) -> float:
        """Part of a contingent leaves; returns the persons who left."""
        before = self.garrison.get(contingent, 0.0)
        self.left_share[contingent] = 1.0 - (1.0 - self.left_share.get(contingent, 0.0)) * (1.0 - share)
        if contingent in self.garrison:
            self.garrison = {**self.garrison, contingent: before * (1.0 - share)}
        return before * share

    def pick_contingent(self, rng: np.random.Generator) -> str:
        """A contingent of this camp drawn by its share of the garrison (who escorts, who patrols), by inverse
        transform with the calling decision's random numbers."""
        names = self._draw_names
        if not names:
            return "unknown"
        u = rng.random() * self._draw_cumulative[-1]
        return names[min(int(np.searchsorted(self._draw_cumulative, u, side="right")), len(names) - 1)]

    def receive_supplies(self, ordered_t: float, delivered_t: float) -> None:
        """A resupply convoy arrived (or was destroyed: nothing delivered): the order is no longer en route."""
        self.en_route_t = max(0.0, self.en_route_t - ordered_t)
        self.stock_t += delivered_t

    # --- daily ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Consume, order resupply, rotate, and move out if closing (only called while open)."""
        m, p = self.model, self.model.params.camps
        if not self.stocked:                     # first day open: fill the stock
            self.stock_t = p.initial_stock_days * self.consumption_t()
            self.stocked = True
        use = self.consumption_t()
        if self.hub is not None:
            self.stock_t = max(0.0, self.stock_t - use)
            if self.stock_t < p.critical_stock_days * use:
                m.recorder.add("camp_days_below_critical", 1)
        if self.withdrawing or m.today >= self.withdrawal_start:
            self._withdraw()
            return
        if self.hub is None:
            return
        self._order_supplies(use)
        if m.day >= self.next_rotation_day:
            self._rotate()

    def _order_supplies(self, use: float) -> None:
        m, p = self.model, self.model.params.camps
        if m.day - self.last_order_day < m.params.convoys.min_days_between_convoys:
            return
        if self.stock_t + self.en_route_t >= p.reorder_stock_days * use:
            return
        if m.host_state.convoys_held(self.hub):
            return                               # trucks held at the hub: try again tomorrow
        need_t = p.target_stock_days * use - self.stock_t - self.en_route_t
        if need_t > 0:
            self.en_route_t += m.logistics.dispatch(kind="resupply", origin=self.hub, destination=self.name, camp=self,
                                                    cargo_t=need_t, passengers=0.0)
            self.last_order_day = m.day

    def _rotate(self) -> None:
        m, p = self.model, self.model.params.camps
        self.next_rotation_day = m.day + p.rotation_interval_days
        if m.host_state.convoys_held(self.hub):
            return
        flown = p.rotation_share_by_air * m.host_state.expected_allowed_share()
        by_road = self.persons * (1.0 - flown)
        if by_road >= 1:
            for origin, destination in ((self.hub, self.name), (self.name, self.hub)):
                m.logistics.dispatch(kind="rotation", origin=origin, destination=destination, camp=self, cargo_t=0.0,
                                     passengers=by_road)

    def _withdraw(self) -> None:
        """Move people and equipment out before the closing date."""
        m, p = self.model, self.model.params.camps
        if not self.withdrawing:
            self.withdrawing = True
            self.people_to_move = self.persons
            self.equipment_to_move_t = self.persons * p.equipment_tonnes_per_person
            moves = max(1, math.ceil(max(1, (self.closes - m.today).days) / p.withdrawal_convoy_interval_days))
            self.people_per_move = self.people_to_move / moves
            self.next_withdrawal_day = m.day
        if m.day < self.next_withdrawal_day:
            return
        destination = m.logistics.withdrawal_destination(self)
        held = m.host_state.convoys_held(self.name) or m.host_state.convoys_held(self.hub)
        if destination is not None and held:
            return                               # the trucks come from the hub (2023: held at Gao): retry tomorrow
        self.next_withdrawal_day = m.day + p.withdrawal_convoy_interval_days
        people = min(self.people_to_move, self.people_per_move)
        flown = p.airlift_personnel_share * m.host_state.expected_allowed_share()
        cargo = min(self.equipment_to_move_t, m.params.convoys.max_trucks_per_convoy * m.params.convoys.tonnes_per_truck)
        if destination is not None and (cargo > 0 or people * (1 - flown) >= 1):
            m.logistics.dispatch(kind="withdrawal", origin=self.name, destination=destination, camp=self,
                                 cargo_t=cargo, passengers=people * (1.0 - flown), single=True)
        self.equipment_to_move_t -= cargo
        m.recorder.add("equipment_withdrawn_t", cargo)
        self._people_leave(people)

    def _people_leave(self, people: float) -> None:
        if people <= 0 or self.persons <= 0:
            return
        keep = max(0.0, 1.0 - people / self.persons)
        self.garrison = {c: n * keep for c, n in self.garrison.items()}
        self.people_to_move = max(0.0, self.people_to_move - people)
        self.model.recorder.add("personnel_withdrawn", people)

    def close(self) -> None:
        """Closing day: the last people leave (flown out or handed to ``transfer_to``); equipment still here is lost."""
        if self.finished or self.model.today < self.opens:
            return
        m = self.model
        m.recorder.add("equipment_left_t", self.equipment_to_move_t)
        self.equipment_to_move_t = 0.0
        if self.transfer_to and m.camp_open(self.transfer_to):
            m.camps_by_name[self.transfer_to].receive(self.garrison)
        else:
            self._people_leave(self.people_to_move)
        self.garrison = {}
        self.finished = True

    def receive(self, troops: dict[str, float]) -> None:
        merged = dict(self.garrison)
        for c, n in troops.items():
            merged[c] = merged.get(c, 0.0) + n
        self.garrison = merged
