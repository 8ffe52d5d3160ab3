"""Logistics: turning camps' orders into convoys on the road, and what happens when they arrive or are destroyed.

Camps decide what to move and when (``camp.py``: resupply orders, rotations, withdrawal moves); this module sends
it. A road move of ``cargo_t`` tonnes and ``passengers`` people needs ceil(cargo / tonnes_per_truck) +
ceil(passengers / passengers_per_truck) trucks, split into convoys of at most ``max_trucks_per_convoy`` (a
withdrawal move leaves as one convoy). Each convoy's escort comes from a contingent of the ordering camp, drawn by
its share of the garrison, and is led by route-clearance engineers with ``route_clearance_share`` (decision
``convoys.dispatch``). Routes are the shortest road paths; timetables are computed once per route and season.
"""

from __future__ import annotations

import math

import numpy as np

from sim.convoy import Convoy, timetable
from sim.roads import speed_km_per_day


class Logistics:
    """The convoys on the road, and the dispatch of new ones."""

    def __init__(self, model):
        self.model = model
        self.convoys: list[Convoy] = []
        self._timetables: dict[tuple[str, str, bool], tuple[np.ndarray, int]] = {}
        self.dispatch_draws = model.streams.decision("convoys.dispatch")
        self.ied_draws = model.streams.decision("convoys.ied")

    def dispatch(self, *, kind: str, origin: str, destination: str, camp, cargo_t: float, passengers: float,
                 single: bool = False) -> float:
        """Send convoys for a road move; returns the tonnes sent (0 when no road joins the two places)."""
        m, c = self.model, self.model.params.convoys
        if not m.roads.connected(origin, destination):
            return 0.0
        route = m.roads.route(origin, destination)
        cargo_trucks = math.ceil(cargo_t / c.tonnes_per_truck - 1e-9)
        people_trucks = math.ceil(passengers / c.passengers_per_truck - 1e-9)
        trucks = max(1, cargo_trucks + people_trucks)
        n_convoys = 1 if single else math.ceil(trucks / c.max_trucks_per_convoy)
        rng = self.dispatch_draws.generator()
        share = 1.0 / n_convoys
        for _ in range(n_convoys):
            convoy = Convoy(m, kind=kind, origin=origin, destination=destination, camp=camp, route=route,
                            trucks=min(c.max_trucks_per_convoy, math.ceil(trucks * share)),
                            passengers=passengers * share, cargo_t=cargo_t * share,
                            contingent=camp.pick_contingent(rng), clearance=bool(rng.random() < c.route_clearance_share))
            self.convoys.append(convoy)
            m.recorder.add("convoys_sent", 1)
        return cargo_t

    def timetable(self, origin: str, destination: str, rainy: bool) -> tuple[np.ndarray, int]:
        """A road move's day-by-day timetable (``convoy.timetable``), the same for every convoy on that route and
        season, so computed once per route and season."""
        key = (origin, destination, rainy)
        if key not in self._timetables:
            roads = self.model.roads
            route = roads.route(origin, destination)
            speeds = speed_km_per_day(roads.paved[route], rainy, self.model.params.roads)
            self._timetables[key] = timetable(roads.length_km[route], speeds)
        return self._timetables[key]

    def step(self) -> None:
        """Every convoy on the road moves one day (in creation order)."""
        for convoy in list(self.convoys):
            convoy.step()

    def arrived(self, convoy: Convoy) -> None:
        if convoy.kind == "resupply":
            self.model.camps_by_name[convoy.destination].receive_supplies(convoy.ordered_t, convoy.cargo_t)
        self._leave_road(convoy)

    def destroyed(self, convoy: Convoy) -> None:
        """Every vehicle lost: the convoy leaves the road, its cargo is lost, and the camp can order again."""
        if convoy.kind == "resupply":
            self.model.camps_by_name[convoy.destination].receive_supplies(convoy.ordered_t, 0.0)
        self._leave_road(convoy)

    def _leave_road(self, convoy: Convoy) -> None:
        self.convoys.remove(convoy)
        convoy.remove()

    def withdrawal_destination(self, camp) -> str | None:
        """Where a closing camp sends its people and equipment: transfer_to, else the nearest hub open longer."""
        m = self.model
        if camp.transfer_to and m.camp_open(camp.transfer_to):
            return camp.transfer_to
        options = [h for h in m.params.camps.resupply_hubs
                   if h != camp.name and h in m.camps_by_name and m.camps_by_name[h].closes > camp.closes
                   and m.roads.connected(camp.name, h)]
        if not options:
            return None
        return min(options, key=lambda h: (m.roads.route_km(camp.name, h), h))

    def record_day(self) -> None:
        self.model.recorder.set("convoys_en_route", len(self.convoys))
