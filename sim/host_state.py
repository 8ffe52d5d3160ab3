"""The host-state authority: refused flights, grounding days and road restrictions, all dated from the scenario.

The host state is an actor without choices of its own in this model: its behaviour is what the scenario says it
did or might do (``flight_refusal_share``, ``flights_grounded``, ``ground_movement_restricted`` events), so that
"no flight refusals" and "refusals from 2022" are scenarios, not code changes.

A flight request is **one decision** of the host state: refused when flights are grounded, else refused with the
current refusal share (decision ``host_state.flight_refusal``). With a share of 0.241, about 24% of the requests
put to it are refused, whoever would have flown (the UN reported 24-30% in 2022-2023). Flights planned in bulk
(surveillance sorties, rotations and withdrawal airlifts) use the expected share allowed,
``expected_allowed_share``, the one formula for that.
"""

from __future__ import annotations

from datetime import date

import mesa

from sim.parameters import StrictModel, param, share
from sim.results import Result

RESULTS = (
    Result("flight_requests_to_host", "requests", "Flight requests put to the host state",
           "Close-air-support and medevac flights that needed host-state clearance.", integer=True),
    Result("flight_refusals_by_host", "requests", "Flight requests refused by the host state",
           "Requests refused (or grounded) by the host state.", integer=True),
    Result("host_refusal_share", "share 0-1", "Share of flight requests refused",
           "Flight requests refused by the host state / requests put to it.", kind="ratio",
           numerator="flight_refusals_by_host", denominator=("flight_requests_to_host",)),
    Result("flight_refusal_share", "share 0-1", "Flight refusal share in force",
           "The host state's refusal share on the day (a scenario input, events change it).", kind="level",
           daily=True),
)


class HostStateParams(StrictModel):
    """The host state's hold over movement: refused flights, groundings, road restrictions (events change these)."""

    flight_refusal_share: float = share(
        0.0, description="Share of flight requests refused at the start of the run (events change it).",
        source="24.1% refused in early 2023 (timeline.csv, UN SG report)",
    )
    refusal_delay_minutes: float = param(
        0.0, unit="minutes", ge=0, description="Extra delay on approved flights from host-state clearance.",
        source="assumption (calibrated or varied in sensitivity analysis)",
    )


class HostState(mesa.Agent):
    """Holds the current refusal share, groundings and restricted hubs; answers 'may this move happen today?'."""

    def __init__(self, model: mesa.Model, params: HostStateParams):
        super().__init__(model)
        self.refusal_share: float = params.flight_refusal_share
        self.refusal_delay_minutes: float = params.refusal_delay_minutes
        self.grounded_until: date | None = None
        self.grounding_medevac_exempt: bool = True
        self.restricted_until: dict[str, date] = {}
        self.refusals = model.streams.decision("host_state.flight_refusal")

    # --- events -------------------------------------------------------------------------------------------------
    def set_refusal_share(self, share: float) -> None:
        self.refusal_share = share

    def ground_flights(self, until: date, medevac_exempt: bool) -> None:
        self.grounded_until = until
        self.grounding_medevac_exempt = medevac_exempt

    def restrict_ground_movement(self, hubs: tuple[str, ...], until: date) -> None:
        for hub in hubs:
            self.restricted_until[hub] = until

    # --- questions ------------------------------------------------------------------------------------------------
    def grounded(self, medevac: bool) -> bool:
        """Whether flights subject to the host state are grounded today (medevac may be exempt)."""
        if self.grounded_until is None or self.model.today > self.grounded_until:
            return False
        return not (medevac and self.grounding_medevac_exempt)

    def clear_flight(self, medevac: bool, request: int = 0) -> bool:
        """One flight request put to the host state: granted or refused (recorded either way). ``request`` is a
        stable code of what the flight is for (``streams.entity_code``), so that one more request elsewhere does not
        change this one's answer."""
        record = self.model.recorder
        record.add("flight_requests_to_host", 1)
        refused = self.grounded(medevac) or (
            self.refusal_share > 0 and self.refusals.generator(request).random() < self.refusal_share)
        if refused:
            record.add("flight_refusals_by_host", 1)
        return not refused

    def expected_allowed_share(self, medevac: bool = False) -> float:
        """Share of planned flights (sorties, airlifts; medevac cover) that can fly today: 0 when grounded (medevac
        may be exempt), else 1 - the refusal share."""
        return 0.0 if self.grounded(medevac) else 1.0 - self.refusal_share

    def convoys_held(self, origin: str) -> bool:
        """Whether convoys may not leave ``origin`` today (trucks held at a hub)."""
        until = self.restricted_until.get(origin)
        return until is not None and self.model.today <= until

    def record_day(self) -> None:
        self.model.recorder.set("flight_refusal_share", self.refusal_share)
