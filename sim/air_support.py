"""Air support: surveillance over road segments, close air support / quick reaction, and medevac flights.

``AirSupport`` holds one Mesa agent per provider (``air_provider.py``: Barkhane, MINUSMA's own aviation, contracted
medevac), allocates the day's surveillance and answers the mission's requests.

A request (close support for troops in contact, or a medevac flight) goes to the **fastest provider that can and
may fly**: candidates are taken in order of arrival time; the host state is asked once, when the fastest
remaining candidate needs its clearance; a refusal rules out every provider that needs it. Providers
``subject_to_host_refusal`` fly only if the host state clears the request (``host_state.py``: one decision per
request, whichever of them would fly); the others (Barkhane, under its own agreements) do not ask.

Surveillance sorties are allocated each day to the in-range segments MINUSMA uses most (the mission asks for eyes
over its routes), jointly: a second provider covers the busiest roads the first left unwatched.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from sim.air_provider import AirProvider, AirProviderParams, Offer
from sim.medical import flight_minutes
from sim.parameters import StrictModel, param, share
from sim.results import Result
from sim.roads import km_between
from sim.streams import entity_code

RESULTS = (
    Result("air_requests", "requests", "Air support requests",
           "Requests for close air support or quick reaction and for medevac flights that some provider could have "
           "flown.", integer=True),
    Result("air_served", "requests", "Air requests served", "Requests a provider flew.", integer=True),
    Result("air_refused", "requests", "Air requests refused",
           "Requests no provider flew because clearance or approval was refused.", integer=True),
    Result("close_support_served", "missions", "Close-air-support missions flown",
           "Close air support or quick reaction flown for troops in contact.", integer=True),
    Result("close_support_minutes_sum", "minutes", "Close-air-support arrival minutes, summed",
           "Sum over close-air-support missions of the minutes until the aircraft arrived."),
    Result("air_response_minutes", "minutes", "Air response time",
           "Mean minutes until close air support arrived, over the missions flown.", kind="ratio",
           numerator="close_support_minutes_sum", denominator=("close_support_served",)),
    Result("medevac_flights", "flights", "Medevac flights", "Casualty evacuation flights flown.", integer=True),
)


class AirSupportParams(StrictModel):
    """Air providers and how air support changes the outcome of an attack (scenario section ``air_support``)."""

    providers: dict[str, AirProviderParams] = Field(default_factory=dict, description="Air providers by id (e.g. barkhane, minusma_aviation).")
    casualties_before_support_share: float = share(
        0.5, description="Share of an attack's casualties suffered before any support could arrive.",
        source="assumption: the first minutes of contact are the deadliest",
    )
    support_window_minutes: float = param(
        180.0, unit="minutes", gt=0,
        description="Support arriving later than this after the start of an attack no longer reduces casualties (the factor rises linearly from casualties_before_support_share at arrival 0 to 1 at this time).",
        source="Timbuktu camp attack 2018-04-14 lasted over 4 hours with French air support (shared/data README)",
    )
    rainy_season_helicopter_speed_factor: float = param(
        0.85, unit="factor", gt=0, le=1,
        description="Multiplier on helicopter block speed in the rainy season (storms, dust, detours).",
        source="MODEL.md (rainy season slows helicopters); assumption for the size",
    )
    surveillance_priority_memory_days: float = param(
        30.0, unit="days", gt=0,
        description="Surveillance is allocated to the segments with most MINUSMA traffic, remembered over this time scale.",
        source="assumption",
    )


def air_support_factor(arrival_minutes: float, *, before_share: float, window_minutes: float) -> float:
    """Multiplier on an attack's casualties given when support arrives (NaN: no support, factor 1).

    A share ``before_share`` of the casualties happens before anyone could arrive; the rest is avoided in
    proportion to how early support arrives inside ``window_minutes``."""
    if arrival_minutes != arrival_minutes:
        return 1.0
    return before_share + (1.0 - before_share) * min(1.0, arrival_minutes / window_minutes)


class AirSupport:
    """Every provider, the French bases left, today's surveillance, and the answer to each request for a flight."""

    def __init__(self, model, params: AirSupportParams, theatre, roads):
        self.model = model
        self.params = params
        self.roads = roads
        self.french_bases_left: set[str] = set()
        self.providers = [AirProvider(model, pid, spec, theatre, roads.lat, roads.lon)
                          for pid, spec in sorted(params.providers.items())]
        self._surveillance = np.zeros(roads.n)
        # today's allocation, made when the air picture is first read (on most days nothing reads it): the priority
        # and each watcher's segment count as they were when ``allocate_surveillance`` was called
        self._allocation: tuple[np.ndarray, list[tuple[AirProvider, int]]] | None = None
        self._cover: tuple[tuple, np.ndarray] | None = None   # (inputs, cover)
        # what the cover's inputs are read from (golden_hour_cover): while it stays the same, so do the inputs
        self._cover_state: tuple | None = None
        # subsets of the providers by what their (immutable) specs let them do
        self._french = [p for p in self.providers if p.french]
        self._medevac = [p for p in self.providers if p.flies_medevac]
        self._watchers = [p for p in self.providers if p.spec.surveillance_sorties_per_day > 0]

    def french_base_left(self, base: str) -> None:
        self.french_bases_left.add(base)

    def french_present_at(self, base: str) -> bool:
        """Whether an active French provider still holds ``base`` (its Role 2 surgical unit at Gao, say)."""
        if base in self.french_bases_left:
            return False
        for provider in self._french:
            if provider.active():
                return True
        return False

    def new_day(self) -> None:
        for provider in self.providers:
            if provider._serviceable or provider.helicopters_used:   # most days no provider was asked to fly
                provider.new_day()

    def golden_hour_cover(self) -> np.ndarray:
        """Per road segment, the chance that a casualty there can be reached by a medevac helicopter within the
        golden hour and brought to surgery in time (``posture.py``): 1 - prod over (provider, base) of
        (1 - in reach x P(a serviceable helicopter) x P(cleared to fly)). Recomputed only when its inputs change."""
        m = self.model
        # the state the inputs below are read from: camps open, the year (a camp's surgical unit), the French bases
        # left (a set that only grows), which providers fly, the share of medevac flights cleared, the season
        state = ([c.open for c in m.camps], m.year, len(self.french_bases_left), [p.active() for p in self.providers],
                 m.host_state.expected_allowed_share(medevac=True), m.rainy)
        cached = self._cover
        if cached is not None and state == self._cover_state:
            return cached[1]
        self._cover_state = state
        units = m.medical.surgical_units()
        serving = []
        for provider in self._medevac:
            if provider.active():
                for base in provider.helicopter_bases:
                    if provider.base_serving(base):
                        serving.append((provider.provider_id, base.name))
        allowed = m.host_state.expected_allowed_share(medevac=True)
        key = (units, serving, allowed, m.rainy, [p.outside() for p in self.providers])
        if cached is not None and cached[0] == key:
            return cached[1]
        posture, medical, roads = m.params.posture, m.params.medical, self.roads
        if units:
            to_surgery = km_between(roads.lat[:, None], roads.lon[:, None], np.array([u[0] for u in units])[None, :],
                                    np.array([u[1] for u in units])[None, :]).min(axis=1)
        else:
            to_surgery = np.full(roads.n, np.inf)
        uncovered = np.ones(roads.n)
        for provider in self._medevac:
            s = provider.spec
            if not provider.active():
                continue
            speed = provider._helicopter_speed()
            cleared = allowed if s.subject_to_host_refusal else 1.0
            if provider.outside():
                cleared *= s.approval_share_when_outside
            available = 1.0 - (1.0 - s.helicopter_availability) ** s.helicopters
            delay = medical.request_minutes + s.helicopter_readiness_minutes + provider._delay()
            for base in provider.helicopter_bases:
                if not provider.base_serving(base):
                    continue
                out_km = km_between(base.lat, base.lon, roads.lat, roads.lon)
                reach = delay + flight_minutes(out_km, speed)
                ok = ((out_km <= s.helicopter_range_km) & (reach <= posture.golden_hour_minutes)
                      & (reach + flight_minutes(to_surgery, speed) <= posture.surgery_limit_minutes))
                uncovered *= 1.0 - ok * available * cleared
        cover = 1.0 - uncovered
        self._cover = (key, cover)
        return cover

    def allocate_surveillance(self, priority: np.ndarray) -> None:
        """Today's air picture: providers, in a fixed order, watch the busiest segments the others left. What they
        can fly is settled now; which segments they watch, when ``surveillance`` is first read."""
        # the others fly no sorties; the priority is copied, as the model updates it in place at the end of the day
        self._allocation = (priority.copy(), [(p, p.segments_to_watch()) for p in self._watchers])

    @property
    def surveillance(self) -> np.ndarray:
        """Air surveillance by road segment (1: watched today), as allocated by the last ``allocate_surveillance``."""
        if self._allocation is not None:
            priority, counts = self._allocation
            self._allocation = None
            self._surveillance.fill(0.0)
            for i, (provider, k) in enumerate(counts):
                provider.watch(priority, self._surveillance, none_watched=i == 0, k=k)
        return self._surveillance

    def _fly(self, offers: list[Offer], medevac: bool, lat: float, lon: float) -> Offer | None:
        """The fastest offer whose flight is cleared (host state asked at most once) and approved; recorded.

        The answers are drawn for this request, named by what it is for and where (``streams.entity_code``): a
        scenario with one more request elsewhere that day leaves them unchanged."""
        if not offers:
            return None
        record = self.model.recorder
        record.add("air_requests", 1)
        request = entity_code("medevac" if medevac else "close support", lat, lon)
        host_answer: bool | None = None
        for offer in sorted(offers, key=lambda o: (o.minutes, o.provider.provider_id)):
            if offer.provider.spec.subject_to_host_refusal:
                if host_answer is None:
                    host_answer = self.model.host_state.clear_flight(medevac, request)
                if not host_answer:
                    continue
            if not offer.provider.approves(request):
                continue
            offer.provider.task(offer)
            record.add("air_served", 1)
            return offer
        record.add("air_refused", 1)
        return None

    def close_support(self, lat: float, lon: float) -> float:
        """Close air support or quick reaction over (lat, lon): minutes until it arrives (NaN: none came)."""
        offers = [o for p in self.providers if (o := p.close_support_offer(lat, lon)) is not None]
        flown = self._fly(offers, False, lat, lon)
        if flown is None:
            return float("nan")
        record = self.model.recorder
        record.add("close_support_served", 1)
        record.add("close_support_minutes_sum", flown.minutes)
        return flown.minutes

    def medevac(self, lat: float, lon: float, to_surgery_km: float) -> tuple[Offer | None, bool]:
        """The fastest medevac flight that may fly (its ``reach_minutes`` and ``minutes`` to surgery count from the
        approved request), or None; and whether a flight was refused (some provider could have flown)."""
        offers = [o for p in self.providers if (o := p.medevac_offer(lat, lon, to_surgery_km)) is not None]
        flown = self._fly(offers, True, lat, lon)
        if flown is not None:
            self.model.recorder.add("medevac_flights", 1)
        return flown, bool(offers) and flown is None
