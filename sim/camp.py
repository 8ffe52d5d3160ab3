"""MINUSMA camps: garrison by contingent, supply stock, orders for convoys, rotations, and the closing move.

A camp's garrison each year is the theatre's Geo-PKO camp-year strength x ``camps.strength_scale``, minus the
contingents that have left (``contingent_leaves``). It consumes supplies every day and orders a resupply convoy
from its hub when stock plus what is on the road falls below ``reorder_stock_days`` (hubs are supplied from
outside the modelled network). Contingents rotate every ``rotation_interval_days``; the share not flown goes by
road. From ``withdrawal_lead_days`` before its closing date a camp sends its people and equipment out in convoys
every ``withdrawal_convoy_interval_days`` (people partly by air when flights are allowed); whatever equipment is
still there on the closing day is left or destroyed, a reported metric.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import mesa
import numpy as np

KG_PER_TONNE = 1000.0
PER_THOUSAND = 1000.0


class Camp(mesa.Agent):
    def __init__(self, model, record, closes: date, hub: str | None, rng: np.random.Generator):
        super().__init__(model)
        p = model.params.camps
        self.name = record.camp
        self.lat, self.lon, self.sector = record.lat, record.lon, record.sector
        self.opens = record.opened
        self.closes = closes
        self.transfer_to: str | None = None
        self.hub = hub                     # None: this camp is a hub (supplied from outside)
        self.stream = rng
        self.left_share: dict[str, float] = {}
        self._garrison: dict[str, float] = {}
        self.persons = 0.0
        self.training = 0.0
        self.medical_unit = self.aviation_unit = False
        self.year: int | None = None
        self.stock_t = 0.0
        self.en_route_t = 0.0
        self.last_order_day = -math.inf
        self.next_rotation_day = float(rng.uniform(0, p.rotation_interval_days))
        self.withdrawal_start = closes - timedelta(days=int(p.withdrawal_lead_days))
        self.withdrawing = False
        self.people_to_move = 0.0
        self.equipment_to_move_t = 0.0
        self.people_per_move = 0.0
        self.next_withdrawal_day = 0
        self.finished = False

    # --- state ------------------------------------------------------------------------------------------------
    def is_open(self, today: date) -> bool:
        return self.opens <= today <= self.closes and not self.finished

    @property
    def garrison(self) -> dict[str, float]:
        """Persons by contingent. Assign a new dict to change it: ``persons`` and ``training`` are cached from it."""
        return self._garrison

    @garrison.setter
    def garrison(self, troops: dict[str, float]) -> None:
        self._garrison = troops
        self._draw_names = [c for c, n in troops.items() if n > 0]
        weights = np.array([troops[c] for c in self._draw_names])
        self._draw_p = weights / weights.sum() if len(weights) else weights
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
        self.year = year
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

    def pick_contingent(self) -> str:
        """A contingent of this camp drawn by its share of the garrison (who escorts, who patrols)."""
        names = self._draw_names
        if not names:
            return "unknown"
        return names[int(self.stream.choice(len(names), p=self._draw_p))]

    def open_day(self) -> None:
        """First day open: fill the stock."""
        self.stock_t = self.model.params.camps.initial_stock_days * self.consumption_t()

    # --- daily ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Consume, order resupply, rotate, and move out if closing (only called while open)."""
        m, p = self.model, self.model.params.camps
        use = self.consumption_t()
        if self.hub is not None:
            self.stock_t = max(0.0, self.stock_t - use)
            if self.stock_t < p.critical_stock_days * use:
                m.recorder.add("camps_below_critical", 1)
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
        if m.host_state.convoys_held(self.hub, m.today):
            return                               # trucks held at the hub: try again tomorrow
        need_t = p.target_stock_days * use - self.stock_t - self.en_route_t
        if need_t > 0:
            self.en_route_t += m.dispatch(kind="resupply", origin=self.hub, destination=self.name, camp=self,
                                          cargo_t=need_t, passengers=0.0)
            self.last_order_day = m.day

    def _rotate(self) -> None:
        m, p = self.model, self.model.params.camps
        self.next_rotation_day = m.day + p.rotation_interval_days
        if m.host_state.convoys_held(self.hub, m.today):
            return
        flown = p.rotation_share_by_air * (0.0 if m.host_state.grounded(m.today, False) else 1.0 - m.host_state.refusal_share)
        by_road = self.persons * (1.0 - flown)
        if by_road >= 1:
            m.dispatch(kind="rotation", origin=self.hub, destination=self.name, camp=self, cargo_t=0.0, passengers=by_road)
            m.dispatch(kind="rotation", origin=self.name, destination=self.hub, camp=self, cargo_t=0.0, passengers=by_road)

    def _withdraw(self) -> None:
        """Move people and equipment out before the closing date; on the closing day what is left is lost."""
        m, p = self.model, self.model.params.camps
        if not self.withdrawing:
            self.withdrawing = True
            self.people_to_move = self.persons
            self.equipment_to_move_t = self.persons * p.equipment_tonnes_per_person
            moves = max(1, math.ceil(max(1, (self.closes - m.today).days) / p.withdrawal_convoy_interval_days))
            self.people_per_move = self.people_to_move / moves
            self.next_withdrawal_day = m.day
        if m.today >= self.closes:
            self._close()
            return
        if m.day < self.next_withdrawal_day:
            return
        destination = m.withdrawal_destination(self)
        held = m.host_state.convoys_held(self.name, m.today) or m.host_state.convoys_held(self.hub, m.today)
        if destination is not None and held:
            return                               # the trucks come from the hub (2023: held at Gao): retry tomorrow
        self.next_withdrawal_day = m.day + p.withdrawal_convoy_interval_days
        people = min(self.people_to_move, self.people_per_move)
        flown = p.airlift_personnel_share * (0.0 if m.host_state.grounded(m.today, False) else 1.0 - m.host_state.refusal_share)
        cargo = min(self.equipment_to_move_t, m.params.convoys.max_trucks_per_convoy * m.params.convoys.tonnes_per_truck)
        if destination is not None and (cargo > 0 or people * (1 - flown) >= 1):
            m.dispatch(kind="withdrawal", origin=self.name, destination=destination, camp=self,
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

    def _close(self) -> None:
        """Closing day: the last people leave (flown out or handed to ``transfer_to``); equipment still here is lost."""
        m = self.model
        m.recorder.add("equipment_left_t", self.equipment_to_move_t)
        self.equipment_to_move_t = 0.0
        if self.transfer_to and m.camp_open(self.transfer_to):
            m.camps_by_name[self.transfer_to].receive(self.garrison)
            self.garrison = {}
        else:
            self._people_leave(self.people_to_move)
            self.garrison = {}
        self.finished = True

    def receive(self, troops: dict[str, float]) -> None:
        merged = dict(self.garrison)
        for c, n in troops.items():
            merged[c] = merged.get(c, 0.0) + n
        self.garrison = merged
