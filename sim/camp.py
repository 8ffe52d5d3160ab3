"""MINUSMA camps: garrison by contingent, supply stock, orders for convoys, rotations, and the closing move.

A camp's garrison each year is the theatre's Geo-PKO camp-year strength x ``camps.strength_scale``, minus the
contingents that have left (``contingent_leaves``). It consumes supplies every day and orders a resupply convoy
from its hub when stock plus what is on the road falls below ``reorder_stock_days``, at most once in
``convoys.min_days_between_convoys`` divided by its posture's movement factor for the route (``posture.py``), as
much as the hub's free trucks and capacity allow (``logistics.py``; hubs are supplied from outside the modelled
network); when its road resupply is blocked it asks for air resupply. Contingents rotate every
``rotation_interval_days`` (each camp's first rotation at a random point of the interval, decision
``camps.rotation``); the share not flown goes by road, unless rotations are suspended or the camp's posture keeps
only essential moves. From ``withdrawal.lead_days`` before its closing date the camp withdraws (``withdrawal.py``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

import mesa
import numpy as np

from sim.parameters import StrictModel, param, share
from sim.results import Result
from sim.withdrawal import Withdrawal

KG_PER_TONNE = 1000.0
ROTATION_RETRY_DAYS = 7   # a postponed rotation is tried again a week later

RESULTS = (
    Result("camp_days_below_critical", "camp-days", "Camp-days below critical stock",
           "Days an open camp spent with less than critical_stock_days of supplies, summed over camps.", daily=True,
           integer=True),
    Result("open_camps", "camps", "Open camps", "Camps open at the end of the day.", kind="level", daily=True),
    Result("personnel_in_theatre", "persons", "Personnel in theatre", "People in open camps at the end of the day.",
           kind="level", daily=True),
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


class Camp(mesa.Agent):
    def __init__(self, model, record, hub: str | None):
        super().__init__(model)
        self.name = record.camp
        self.lat, self.lon, self.sector = record.lat, record.lon, record.sector
        self.opens = record.opened
        self.hub = hub                     # None: this camp is a hub (supplied from outside)
        # the road from the hub, None without one (hub and roads are fixed for the run, so looked up once)
        self._hub_route = (model.roads.route(hub, self.name)
                           if hub is not None and model.roads.connected(hub, self.name) else None)
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
        self._next_rotation_day = 0.0
        self.received_equipment_t = 0.0      # equipment other closing camps sent here
        self._use_t = 0.0
        self._critical_t = self._reorder_t = 0.0
        self.withdrawal: Withdrawal | None = None
        self.finished = False
        self.open = False                    # set each morning (refresh_open) and on closing
        # days before this one are routine (``step``): the camp is stocked, has a hub, is not withdrawing, and
        # neither its withdrawal nor its next rotation is due; -inf until its first day open (see _refresh_routine)
        self._routine_until = -math.inf
        self.plan_closure(record.closed, None)

    # --- state ------------------------------------------------------------------------------------------------
    def plan_closure(self, closes: date, transfer_to: str | None) -> None:
        """Set the closing date (the theatre's, or a ``camp_closes`` event's) and who takes over the garrison."""
        self.closes = closes
        self.transfer_to = transfer_to
        self.withdrawal_start = closes - timedelta(days=int(self.model.params.withdrawal.lead_days))
        self._withdrawal_start_day = (self.withdrawal_start - self.model.first_day).days    # its day index
        self._refresh_routine()

    @property
    def next_rotation_day(self) -> float:
        """Day index of the camp's next troop rotation (set by the model at the start, then by ``_rotate``)."""
        return self._next_rotation_day

    @next_rotation_day.setter
    def next_rotation_day(self, day: float) -> None:
        self._next_rotation_day = day
        self._refresh_routine()

    def _refresh_routine(self) -> None:
        """Recompute the end of the camp's routine days; called whenever what it depends on changes (stocking,
        the closing date, the next rotation, the start of the withdrawal)."""
        if self.stocked and self.hub is not None and self.withdrawal is None:
            self._routine_until = min(self._withdrawal_start_day, self._next_rotation_day)
        else:
            self._routine_until = -math.inf

    def refresh_open(self) -> None:
        """Open today: between its opening and closing dates, and not closed yet (set each morning)."""
        is_open = self.opens <= self.model.today <= self.closes and not self.finished
        if is_open != self.open:
            self.open = is_open
            self.model.camp_levels_stale = True

    def is_open(self) -> bool:
        return self.open

    @property
    def withdrawing(self) -> bool:
        return self.withdrawal is not None

    @property
    def garrison(self) -> dict[str, float]:
        """Persons by contingent. Assign a new dict to change it: ``persons`` and ``training`` are cached from it."""
        return self._garrison

    @garrison.setter
    def garrison(self, troops: dict[str, float]) -> None:
        self._garrison = troops
        self._draw_names = [c for c, n in troops.items() if n > 0]
        self._draw_cumulative = list(accumulate(troops[c] for c in self._draw_names))
        self.persons = float(sum(troops.values()))
        self.model.camp_levels_stale = True
        self.training = (sum(n * self.model.profile(c).counter_ied_training for c, n in troops.items()) / self.persons
                         if self.persons > 0 else 0.0)
        p = self.model.params.camps
        self._use_t = self.persons * p.supply_kg_per_person_day / KG_PER_TONNE
        # stock levels in tonnes that the daily step compares with (they change only with the garrison)
        self._critical_t = p.critical_stock_days * self._use_t
        self._reorder_t = p.reorder_stock_days * self._use_t

    def garrison_mix(self) -> dict[str, float]:
        """Share of the garrison by contingent."""
        return {c: n / self.persons for c, n in self.garrison.items()} if self.persons > 0 else {}

    def consumption_t(self) -> float:
        """Tonnes of supplies the garrison uses a day (cached with the garrison: asked for every day)."""
        return self._use_t

    def set_year(self, year: int) -> None:
        """Garrison from the theatre's camp-year record (kept while withdrawing, when people are moving out)."""
        record = self.model.theatre.garrison(self.name, year)
        self.medical_unit, self.aviation_unit = record.medical_unit, record.aviation_unit
        if self.withdrawing or self.finished:
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
        return names[min(bisect_right(self._draw_cumulative, u), len(names) - 1)]

    def people_leave(self, people: float) -> None:
        """People leave the camp (every contingent in proportion)."""
        if people <= 0 or self.persons <= 0:
            return
        keep = max(0.0, 1.0 - people / self.persons)
        self.garrison = {c: n * keep for c, n in self.garrison.items()}

    def receive(self, mix: dict[str, float], people: float, equipment_t: float) -> None:
        """People (by contingent share) and equipment of a closing camp arrive here (its ``transfer_to``)."""
        merged = dict(self.garrison)
        for c, share in mix.items():
            merged[c] = merged.get(c, 0.0) + people * share
        self.garrison = merged
        if self.withdrawal is not None:
            self.withdrawal.receive(people, equipment_t)
        else:
            self.received_equipment_t += equipment_t

    def receive_supplies(self, ordered_t: float, delivered_t: float) -> None:
        """A resupply convoy arrived (or was destroyed or turned back: nothing delivered)."""
        self.en_route_t = max(0.0, self.en_route_t - ordered_t)
        self.stock_t += delivered_t

    # --- daily ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Consume, order resupply, rotate, and withdraw if closing (only called while open)."""
        m = self.model
        if m.day < self._routine_until:          # most days: only consume, and order when stock runs low
            use = self._use_t
            stock = self.stock_t - use
            self.stock_t = stock = stock if stock > 0.0 else 0.0      # max(0.0, stock - use)
            if stock < self._critical_t:
                m.recorder.add("camp_days_below_critical", 1)
            if stock + self.en_route_t < self._reorder_t:
                self._order_supplies(use)
            return
        use, reorder_t = self._use_t, self._reorder_t      # today's, before withdrawal moves change the garrison
        if not self.stocked:                     # first day open: fill the stock
            self.stock_t = m.params.camps.initial_stock_days * use
            self.stocked = True
            self._refresh_routine()
        if self.hub is not None:
            self.stock_t = max(0.0, self.stock_t - use)
            if self.stock_t < self._critical_t:
                m.recorder.add("camp_days_below_critical", 1)
        if self.withdrawal is None and m.day >= self._withdrawal_start_day:
            self._start_withdrawal()
        if self.withdrawal is not None:
            self.withdrawal.step()
        if self.hub is None:
            return
        if self.stock_t + self.en_route_t < reorder_t:
            self._order_supplies(use)
        if self.withdrawal is None and m.day >= self._next_rotation_day:
            self._rotate()

    def _start_withdrawal(self) -> None:
        """Start drawing down (``withdrawal.py``): from now on no day of the camp is routine."""
        self.withdrawal = Withdrawal(self.model, self)
        self._refresh_routine()

    def _order_supplies(self, use: float) -> None:
        """Stock and supplies on the road are below the reorder level: send a resupply convoy, or fly supplies in."""
        m, p = self.model, self.model.params.camps
        route = self._hub_route
        factor = m.posture.route_factor(self, route) if route is not None else 0.0
        blocked = route is None or m.host_state.convoys_held(self.hub) or factor <= m.params.posture.min_movement_factor
        if blocked and self.stock_t < p.critical_stock_days * use:
            self.stock_t += m.logistics.air_resupply(self)     # the road is closed: ask for a flight
        if blocked or m.day - self.last_order_day < m.params.convoys.min_days_between_convoys / max(factor, 1e-9):
            return
        days_left = (self.closes - m.today).days
        need_t = min(p.target_stock_days, days_left) * use - self.stock_t - self.en_route_t
        if need_t <= 0:
            return
        tonnes, _ = m.logistics.hub_capacity(self.hub, need_t, 0.0)
        if tonnes < need_t:
            m.recorder.add("supply_shortfall_t", need_t - tonnes)
        if tonnes <= 0:
            return
        if m.logistics.dispatch(kind="resupply", origin=self.hub, destination=self.name, camp=self, cargo_t=tonnes,
                                passengers=0.0, fleet=self.hub):
            self.en_route_t += tonnes
            self.last_order_day = m.day

    def _rotate(self) -> None:
        m, p = self.model, self.model.params.camps
        route = self._hub_route
        if (m.posture.rotations_suspended() or m.host_state.convoys_held(self.hub) or route is None
                or m.posture.route_factor(self, route) < m.params.posture.essential_only_below):
            self.next_rotation_day = m.day + ROTATION_RETRY_DAYS       # postponed
            return
        self.next_rotation_day = m.day + p.rotation_interval_days
        by_road = self.persons * (1.0 - p.rotation_share_by_air * m.host_state.expected_allowed_share())
        _, by_road = m.logistics.hub_capacity(self.hub, 0.0, by_road)
        if by_road >= 1:
            m.logistics.dispatch(kind="rotation", origin=self.hub, destination=self.name, camp=self, cargo_t=0.0,
                                 passengers=by_road, fleet=self.hub)
            m.logistics.dispatch(kind="rotation", origin=self.name, destination=self.hub, camp=self, cargo_t=0.0,
                                 passengers=by_road, fleet=None)

    def close(self) -> None:
        """Closing day: what is still here is left; the last people leave (``withdrawal.py``)."""
        if self.finished or self.model.today < self.opens:
            return
        if self.model.today > self.closes:        # closed before the simulated period began
            self.finished = True
            self.open = False
            self.model.camp_levels_stale = True
            return
        if self.withdrawal is None:
            self._start_withdrawal()
        self.withdrawal.close()
        self.finished = True
        self.open = False
        self.model.camp_levels_stale = True
