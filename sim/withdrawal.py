"""Closing a camp: every person and tonne leaves by a simulated convoy or a cleared flight, or is left behind.

From ``lead_days`` before its closing date a camp draws down. Its people leave at an even pace (the number still in
the camp follows a straight line from the start of the withdrawal to zero on the closing day): by flights, at most
``flights_per_day`` a day of ``persons_per_flight`` each, every flight a request the host state may refuse; and by
road. Every ``convoy_interval_days`` a withdrawal convoy of up to ``max_trucks_per_convoy`` trucks leaves with
equipment and the people due to go by road, using free trucks of the hub it goes to (trucks held by a host-state
restriction cannot come: the convoy waits and tries the next day). People and equipment count as withdrawn when
they **arrive**; cargo on trucks destroyed on the way is lost; passengers killed are casualties. On the closing day
the equipment still in the camp is left or destroyed, and the last people leave in one convoy in their own
vehicles (or by air if no road joins the camp to its destination).

Where to: ``transfer_to`` of the ``camp_closes`` event (Ber to Timbuktu, say), whose garrison and equipment stock
the arrivals join; otherwise the nearest resupply hub that stays open longer, through which they leave the theatre.

The ledger of each closing camp holds at every moment (a test checks it day by day):

    people at the start + received = in the camp + on the road + withdrawn + killed on the road
    equipment at the start + received = in the camp + on the road + withdrawn + lost on the road + left behind
"""

from __future__ import annotations

import math

from sim.parameters import StrictModel, param
from sim.results import Result
from sim.streams import entity_code

RESULTS = (
    Result("personnel_withdrawn", "persons", "Personnel withdrawn",
           "People of closing camps who arrived at their destination or were flown out."),
    Result("personnel_flown_out", "persons", "Personnel flown out", "People of closing camps who left by air."),
    Result("equipment_withdrawn_t", "tonnes", "Equipment withdrawn",
           "Equipment of closing camps that arrived at its destination."),
    Result("equipment_lost_t", "tonnes", "Equipment lost on the road",
           "Equipment of closing camps lost with trucks destroyed on the way."),
    Result("equipment_left_t", "tonnes", "Equipment left or destroyed",
           "Equipment still in a camp on its closing day."),
)


class WithdrawalParams(StrictModel):
    """How a closing camp moves out (scenario section ``withdrawal``)."""

    lead_days: float = param(
        60.0, unit="days", ge=0,
        description="How long before its closing date a camp starts moving people and equipment out.",
        source="assumption: 2023 closures were announced 4-10 weeks ahead")
    convoy_interval_days: float = param(
        7.0, unit="days", gt=0, description="Interval between withdrawal convoys leaving a closing camp.",
        source="assumption")
    max_trucks_per_convoy: int = param(
        150, unit="trucks", gt=0, description="Largest withdrawal convoy.",
        source="2023 withdrawal convoys of over a hundred vehicles (issue 11; press); assumption for the cap")
    equipment_tonnes_per_person: float = param(
        7.5, unit="tonnes/person", ge=0,
        description="Equipment (vehicles, containers) a camp must move out when it closes, per person of its garrison.",
        source="MINUSMA's 2023 plan: about 5,500 containers and 4,000 vehicles for 12,947 personnel (press, via UN notes), about 7-8 t a person at 10-12 t a container and 8 t a vehicle; prior 3-10")
    flights_per_day: int = param(
        2, unit="flights/day", ge=0, description="Personnel flights a closing camp can request a day.",
        source="assumption; MINUSMA normally flew about 50 flights a day mission-wide (shared/data README)")
    persons_per_flight: float = param(
        60.0, unit="persons", gt=0, description="People one personnel flight carries.",
        source="assumption: a tactical airlifter or a chartered airliner load")


class Withdrawal:
    """The withdrawal of one closing camp and its ledger (module docstring)."""

    def __init__(self, model, camp):
        self.model, self.camp = model, camp
        p = model.params.withdrawal
        self.people_start = camp.persons
        self.equipment_start_t = camp.persons * p.equipment_tonnes_per_person + camp.received_equipment_t
        self.received_people = self.received_t = 0.0
        self.equipment_t = self.equipment_start_t
        self.on_road_people = self.on_road_t = 0.0
        self.withdrawn_people = self.withdrawn_t = 0.0
        self.killed = self.lost_t = self.left_t = 0.0
        self.started_day = model.day
        self.next_convoy_day = model.day
        self.closed = False
        self._flight_code = entity_code("withdrawal flights", camp.name)     # every flight request's code

    # --- the ledger -----------------------------------------------------------------------------------------
    def people_balance(self) -> float:
        """Start + received - (in camp + on the road + withdrawn + killed): 0 when every person is accounted for."""
        return (self.people_start + self.received_people - self.camp.persons - self.on_road_people
                - self.withdrawn_people - self.killed)

    def equipment_balance(self) -> float:
        return (self.equipment_start_t + self.received_t - self.equipment_t - self.on_road_t - self.withdrawn_t
                - self.lost_t - self.left_t)

    def receive(self, people: float, tonnes: float) -> None:
        """People and equipment of another closing camp arrive while this one is withdrawing."""
        self.received_people += people
        self.received_t += tonnes
        self.equipment_t += tonnes

    # --- the day ----------------------------------------------------------------------------------------------
    def step(self) -> None:
        m, p, camp = self.model, self.model.params.withdrawal, self.camp
        days_left = max(1, (camp.closes - m.today).days)
        total = max(1, (camp.closes - m.calendar_of(self.started_day)).days)
        due = max(0.0, camp.persons - self.people_start * (days_left - 1) / total)   # people to leave today
        flown = self._fly(min(due, camp.persons))
        due -= flown
        if m.day < self.next_convoy_day:
            return
        destination = m.logistics.withdrawal_destination(camp)
        if destination is None or m.host_state.convoys_held(destination) or m.host_state.convoys_held(camp.name):
            return                                          # the trucks cannot come: try again tomorrow
        c = m.params.convoys
        fleet = destination if destination in m.logistics.trucks_free else camp.hub
        free = m.logistics.trucks_free.get(fleet, p.max_trucks_per_convoy)
        trucks = min(p.max_trucks_per_convoy, free)
        if trucks <= 0:
            return
        people = min(camp.persons, max(due, 0.0))
        people_trucks = min(trucks, math.ceil(people / c.passengers_per_truck - 1e-9))
        people = min(people, people_trucks * c.passengers_per_truck)
        cargo = min(self.equipment_t, (trucks - people_trucks) * c.tonnes_per_truck)
        if cargo <= 0 and people < 1:
            return
        self._send(destination, cargo, people, fleet)
        self.next_convoy_day = m.day + p.convoy_interval_days

    def _fly(self, people: float) -> float:
        """Personnel flights today, each cleared (or not) by the host state; returns the people flown out."""
        m, p = self.model, self.model.params.withdrawal
        flown = 0.0
        for _ in range(p.flights_per_day):
            if people - flown < 1:
                break
            if m.host_state.clear_flight(False, self._flight_code):
                flown += min(p.persons_per_flight, people - flown)
        if flown:
            self.camp.people_leave(flown)
            self.withdrawn_people += flown
            m.recorder.add("personnel_withdrawn", flown)
            m.recorder.add("personnel_flown_out", flown)
        return flown

    def _send(self, destination: str, cargo: float, people: float, fleet: str | None, max_trucks: int | None = None) -> None:
        m = self.model
        convoys = m.logistics.dispatch(kind="withdrawal", origin=self.camp.name, destination=destination,
                                       camp=self.camp, cargo_t=cargo, passengers=people, fleet=fleet,
                                       max_trucks=max_trucks or m.params.withdrawal.max_trucks_per_convoy, ledger=self)
        if not convoys:
            return
        mix = self.camp.garrison_mix()
        for convoy in convoys:
            convoy.mix = mix
        self.camp.people_leave(people)
        self.equipment_t -= cargo
        self.on_road_people += people
        self.on_road_t += cargo

    def close(self) -> None:
        """Closing day: equipment still here is left or destroyed; the last people leave."""
        m, camp = self.model, self.camp
        self.closed = True
        self.left_t += self.equipment_t
        m.recorder.add("equipment_left_t", self.equipment_t)
        self.equipment_t = 0.0
        people = camp.persons
        if people <= 0:
            return
        destination = m.logistics.withdrawal_destination(camp)
        if destination is not None:
            trucks = math.ceil(people / m.params.convoys.passengers_per_truck - 1e-9)
            self._send(destination, 0.0, people, fleet=None, max_trucks=max(trucks, 1))
        if camp.persons > 0:                                # no road out: flown out whatever the refusals
            flown = camp.persons
            camp.people_leave(flown)
            self.withdrawn_people += flown
            m.recorder.add("personnel_withdrawn", flown)
            m.recorder.add("personnel_flown_out", flown)

    # --- convoys that end ---------------------------------------------------------------------------------------
    def convoy_ended(self, convoy, status: str) -> None:
        """A withdrawal convoy arrived (or lost every vehicle): its people and cargo leave the road."""
        m = self.model
        self.on_road_people -= convoy.passengers_at_departure
        self.on_road_t -= convoy.ordered_t
        killed = convoy.passengers_at_departure - convoy.passengers
        survivors = convoy.passengers
        self.killed += killed
        self.lost_t += convoy.ordered_t - convoy.cargo_t
        self.withdrawn_people += survivors                   # survivors of a destroyed convoy are recovered
        self.withdrawn_t += convoy.cargo_t
        m.recorder.add("personnel_withdrawn", survivors)
        m.recorder.add("equipment_withdrawn_t", convoy.cargo_t)
        m.recorder.add("equipment_lost_t", convoy.ordered_t - convoy.cargo_t)
        destination = m.camps_by_name.get(convoy.destination)
        if destination is not None and destination.name == self.camp.transfer_to and destination.is_open():
            destination.receive(convoy.mix, survivors, convoy.cargo_t)
