"""Logistics: turning camps' orders into convoys on the road, with finite trucks and hub capacity, air resupply when
roads are closed, and one record per convoy (``convoys.parquet``).

Camps decide what to move and when (``camp.py``: resupply orders, rotations; ``withdrawal.py``: closing moves); this
module sends it. A road move of ``cargo_t`` tonnes and ``passengers`` people needs ceil(cargo / tonnes_per_truck) +
ceil(passengers / passengers_per_truck) trucks, split into convoys of at most ``max_trucks_per_convoy``.

Strain: each hub (Gao, Mopti-Sevare, Bamako) has ``trucks_per_hub`` trucks; a convoy takes its trucks for the round
trip (twice its planned transit plus ``truck_turnaround_days``), trucks destroyed are replaced after
``truck_replacement_days``; a hub dispatches at most ``hub_dispatch_tonnes_per_day``. An order larger than what is
free leaves partly and the rest waits. A camp whose road resupply is blocked (trucks held at its hub, or its posture
at the minimum movement factor) asks for ``air_resupply_tonnes_per_day`` by air: one flight request a day, put to the
host state (``host_state.clear_flight``).

Each convoy's escort comes from a contingent of the ordering camp, drawn by its share of the garrison; it is led by
route-clearance engineers with ``route_clearance_share``; resupply convoys are contracted with
``contracted_share`` (decision ``convoys.dispatch``). Routes are the shortest road paths; timetables are computed
once per route, season and speed.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd

from sim.convoy import Convoy, Move, segment_start_days
from sim.parameters import StrictModel, param
from sim.results import Result
from sim.roads import speed_km_per_day
from sim.streams import CodeFamily, entity_code

RESULTS = (
    Result("air_resupply_t", "tonnes", "Supplies flown in", "Supplies flown to camps whose road resupply was blocked."),
    Result("supply_shortfall_t", "tonnes", "Supplies ordered but not sent",
           "Tonnes camps ordered that could not leave the hub that day (no free trucks or hub capacity)."),
)

#: convoys.parquet columns (docs/results.md): name -> (dtype, unit, description)
CONVOY_COLUMNS: dict[str, tuple[str, str, str]] = {
    "convoy": ("int64", "", "convoy number within the run"),
    "purpose": ("object", "", "resupply, rotation or withdrawal"),
    "origin": ("object", "", "where it left from"),
    "destination": ("object", "", "where it was going"),
    "camp": ("object", "", "the camp that ordered it (whose personnel escort it)"),
    "contingent": ("object", "", "contingent of the escort"),
    "departed": ("datetime64[ns]", "date", "day it left"),
    "ended": ("datetime64[ns]", "date", "day it arrived, turned back home or was destroyed (NaT: still on the road)"),
    "status": ("object", "", "arrived, turned_back, destroyed or en_route (at the end of the window)"),
    "transit_days": ("float64", "days", "days from departure to the end (NaN while en route)"),
    "vehicles": ("int64", "vehicles", "trucks and escort vehicles at departure"),
    "trucks": ("int64", "trucks", "trucks at departure"),
    "contracted": ("bool", "", "whether civilian contracted trucks carried the cargo"),
    "personnel": ("float64", "persons", "MINUSMA personnel at departure (crew, escort and passengers)"),
    "tonnes": ("float64", "tonnes", "cargo at departure"),
    "tonnes_delivered": ("float64", "tonnes", "cargo that reached the destination"),
    "ieds_met": ("int64", "devices", "devices met on the way"),
    "ieds_found": ("int64", "devices", "devices found before they went off"),
    "attacks": ("int64", "attacks", "detonations and ambushes that hit it"),
    "killed": ("int64", "persons", "MINUSMA deaths (killed in action and died of wounds)"),
    "wounded": ("int64", "persons", "MINUSMA wounded"),
    "vehicles_lost": ("int64", "vehicles", "vehicles destroyed"),
    "casevac_cover": ("float64", "share 0-1", "share of the route within golden-hour casualty evacuation at departure"),
}


class LogisticsParams(StrictModel):
    """Trucks, hub capacity and air resupply (scenario section ``logistics``)."""

    trucks_per_hub: int = param(
        250, unit="trucks", ge=1, description="Trucks (MINUSMA and contracted) a resupply hub can send out.",
        source="assumption; prior 100-500")
    truck_turnaround_days: float = param(
        2.0, unit="days", ge=0, description="Days a truck spends at the hub between trips (loading, maintenance).",
        source="assumption")
    truck_replacement_days: float = param(
        90.0, unit="days", gt=0, description="Days until a destroyed truck is replaced in its hub's fleet.",
        source="assumption")
    hub_dispatch_tonnes_per_day: float = param(
        1500.0, unit="tonnes/day", gt=0, description="Cargo a hub can load and send out in a day.",
        source="assumption; prior 500-3000")
    air_resupply_tonnes_per_day: float = param(
        10.0, unit="tonnes/day", ge=0,
        description="Supplies flown to a camp on a day its road resupply is blocked (one flight request, if cleared).",
        source="assumption: about one tactical airlift sortie; prior 0-30")


class Logistics:
    """The convoys on the road, the hubs' trucks, and the record of every convoy."""

    def __init__(self, model, params: LogisticsParams):
        self.model = model
        self.params = params
        self.convoys: list[Convoy] = []
        self._timetables: dict[tuple, tuple[np.ndarray, list[float], float]] = {}
        self.dispatch_draws = model.streams.decision("convoys.dispatch")
        self.ied_draws = model.streams.decision("convoys.ied")
        self.turn_back_draws = model.streams.decision("convoys.turn_back")
        self._sent: dict[tuple[str, str, str], int] = {}     # convoys sent so far per (kind, origin, destination)
        self._moves: dict[tuple[str, str, str], Move | None] = {}    # (kind, origin, destination); None: no road
        self._route_parts: dict[tuple[str, str], dict] = {}   # (origin, destination) -> its moves' Move.parts
        hubs = [h for h in model.params.camps.resupply_hubs if h in model.theatre.camps]
        self.trucks_free = {h: params.trucks_per_hub for h in hubs}
        self._trucks_back: dict[int, list[tuple[str, int]]] = defaultdict(list)
        self.dispatched_t = {h: 0.0 for h in hubs}
        self.rows: list[tuple] = []
        self._numbers = 0

    # --- the day ----------------------------------------------------------------------------------------------
    def new_day(self) -> None:
        for hub, trucks in self._trucks_back.pop(self.model.day, ()):
            self.trucks_free[hub] += trucks
        self.dispatched_t = dict.fromkeys(self.dispatched_t, 0.0)

    def step(self) -> None:
        """Every convoy on the road moves one day (in creation order)."""
        for convoy in list(self.convoys):
            convoy.step()

    def record_day(self) -> None:
        self.model.recorder.set("convoys_en_route", len(self.convoys))

    # --- capacity ---------------------------------------------------------------------------------------------
    def hub_capacity(self, hub: str, cargo_t: float, passengers: float) -> tuple[float, float]:
        """What of a move from ``hub`` can leave today: (tonnes, passengers), limited by free trucks and tonnage."""
        if hub not in self.trucks_free:
            return cargo_t, passengers
        c = self.model.params.convoys
        tonnes = min(cargo_t, max(0.0, self.params.hub_dispatch_tonnes_per_day - self.dispatched_t[hub]),
                     self.trucks_free[hub] * c.tonnes_per_truck)
        trucks_left = self.trucks_free[hub] - math.ceil(tonnes / c.tonnes_per_truck - 1e-9)
        people = min(passengers, max(0, trucks_left) * c.passengers_per_truck)
        return tonnes, people

    def _take_trucks(self, hub: str, trucks: int, travel_days: float) -> None:
        self.trucks_free[hub] -= trucks
        back = self.model.day + math.ceil(2 * travel_days + self.params.truck_turnaround_days)
        self._trucks_back[back].append((hub, trucks))

    def air_resupply(self, camp) -> float:
        """Tonnes flown to ``camp`` today (its road resupply is blocked); one host-state decision."""
        tonnes = self.params.air_resupply_tonnes_per_day
        if tonnes <= 0 or not self.model.host_state.clear_flight(False, entity_code("air resupply")):
            return 0.0
        self.model.recorder.add("air_resupply_t", tonnes)
        return tonnes

    # --- dispatch ---------------------------------------------------------------------------------------------
    def dispatch(self, *, kind: str, origin: str, destination: str, camp, cargo_t: float, passengers: float,
                 fleet: str | None, max_trucks: int | None = None, ledger=None) -> list[Convoy]:
        """Send convoys for a road move; returns them (none when no road joins the two places).

        ``fleet``: the hub whose trucks make the round trip (None when the trucks are already counted, e.g. the
        return leg of a rotation); ``organic``: the camp's own vehicles carry the people (a closing camp's last
        convoy), no trucks needed. The caller checks capacity first (``hub_capacity``)."""
        m, c = self.model, self.model.params.convoys
        key = (kind, origin, destination)
        move = self._moves.get(key, False)
        if move is False:
            move = self._moves[key] = self._move(kind, origin, destination)
        if move is None:
            return []
        trucks = max(1, math.ceil(cargo_t / c.tonnes_per_truck - 1e-9) + math.ceil(passengers / c.passengers_per_truck - 1e-9))
        per_convoy = max_trucks or c.max_trucks_per_convoy
        n_convoys = math.ceil(trucks / per_convoy)
        # Draws and identities by what is sent, not by the day or a running count of everything (streams.py): the
        # n-th resupply convoy Gao-Kidal is the same convoy, with the same escort and luck, whatever else was sent
        # and if stocks made it leave a few days earlier or later.
        first = self._sent.get(key, 0)
        self._sent[key] = first + n_convoys
        sent = []
        for i in range(n_convoys):
            share = 1.0 / n_convoys
            size = min(per_convoy, math.ceil(trucks * share))
            self._numbers += 1
            code = move.codes(first + i)                          # entity_code(*key, first + i)
            rng = self.dispatch_draws.event(code)                 # this convoy's escort, clearance and drivers
            convoy = Convoy(m, move, number=self._numbers, key=code, camp=camp, trucks=size,
                            passengers=passengers * share, cargo_t=cargo_t * share,
                            contingent=camp.pick_contingent(rng), clearance=bool(rng.random() < c.route_clearance_share),
                            contracted=kind == "resupply" and bool(rng.random() < c.contracted_share))
            convoy.ledger, convoy.fleet = ledger, fleet
            if fleet is not None and fleet in self.trucks_free:
                self._take_trucks(fleet, size, convoy.planned_days)
            self.convoys.append(convoy)
            m.recorder.add("convoys_sent", 1)
            sent.append(convoy)
        if fleet in self.dispatched_t:
            self.dispatched_t[fleet] += cargo_t
        return sent

    def _move(self, kind: str, origin: str, destination: str) -> Move | None:
        """A road move's route and what its convoys share (None when no road joins the two places)."""
        roads = self.model.roads
        if origin == destination or not roads.connected(origin, destination):
            return None
        return Move(kind, origin, destination, roads.route(origin, destination), CodeFamily(kind, origin, destination),
                    self.timetable(origin, destination, False, 1.0)[2],
                    self._route_parts.setdefault((origin, destination), {}))

    def timetable(self, origin: str, destination: str, rainy: bool,
                  speed_factor: float) -> tuple[np.ndarray, list[float], float]:
        """When each segment of the route is entered (an array, and the same as a list for bisecting) and the total
        days, the same for every convoy on that route, season and (rounded) speed factor, so computed once for
        each (read-only: shared by the convoys)."""
        key = (origin, destination, rainy, round(speed_factor, 2))
        known = self._timetables.get(key)
        if known is None:
            roads = self.model.roads
            route = roads.route(origin, destination)
            speeds = speed_km_per_day(roads.paved[route], rainy, self.model.params.roads) * key[3]
            starts, total = segment_start_days(roads.length_km[route], speeds)
            known = self._timetables[key] = (starts, starts.tolist(), total)
        return known

    # --- the end of a trip ------------------------------------------------------------------------------------
    def finished(self, convoy: Convoy, status: str) -> None:
        """A convoy arrived, came back after turning round, or lost every vehicle."""
        m = self.model
        delivered = convoy.cargo_t if status == "arrived" else 0.0
        if convoy.kind == "resupply":
            m.camps_by_name[convoy.destination if not convoy.turned_back else convoy.origin].receive_supplies(
                convoy.ordered_t, delivered)
            if delivered:
                m.recorder.add("tonnage_delivered", delivered)
        if convoy.ledger is not None:
            convoy.ledger.convoy_ended(convoy, status)
        lost = convoy.trucks_at_departure - convoy.trucks
        if lost and convoy.fleet in self.trucks_free:
            self._trucks_back[m.day + math.ceil(self.params.truck_replacement_days)].append((convoy.fleet, lost))
        self._log(convoy, status, delivered)
        self.convoys.remove(convoy)
        convoy.remove()

    def _log(self, convoy: Convoy, status: str, delivered: float) -> None:
        m = self.model
        if not (m.params.outputs.convoys and m.recording):
            return
        t = convoy.tally
        ended = m.today if status != "en_route" else None
        departed = m.calendar_of(convoy.depart_day)
        self.rows.append((convoy.number, convoy.kind, convoy.origin if not convoy.turned_back else convoy.destination,
                          convoy.destination if not convoy.turned_back else convoy.origin, convoy.camp.name,
                          convoy.contingent, departed, ended, status,
                          float(m.day - convoy.depart_day + 1) if ended else float("nan"),
                          convoy.vehicles_at_departure, convoy.trucks_at_departure,
                          convoy.contracted, convoy.persons_at_departure, convoy.ordered_t, delivered, t["ied_met"],
                          t["ied_found"], t["attacks"], t["killed"], t["wounded"], t["vehicles_lost"], convoy.cover))

    def table(self) -> pd.DataFrame:
        """convoys.parquet of the run: every convoy that ended, then those still on the road."""
        for convoy in self.convoys:
            self._log(convoy, "en_route", 0.0)
        frame = pd.DataFrame.from_records(self.rows, columns=list(CONVOY_COLUMNS))
        for name in ("departed", "ended"):
            frame[name] = pd.to_datetime(frame[name])
        return frame.astype({name: spec[0] for name, spec in CONVOY_COLUMNS.items()})

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
