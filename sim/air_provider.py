"""One provider of air support (Barkhane, MINUSMA's own aviation, contracted medevac): its parameters, bases and
what it can offer for one request (``air_support.py`` asks every provider and takes the fastest).

What a provider can do on a day depends on where its aircraft stand:

- a helicopter base that is a French base stops serving on its ``french_base_left`` date; a base that is a camp
  stops when the camp closes; a base outside the road network (Niamey) serves as long as the provider is active;
- helicopters: each stationed helicopter is serviceable on a day with ``helicopter_availability`` (drawn once per
  base and day, when first asked); a close-air-support mission takes ``helicopters_per_close_support`` serviceable
  helicopters not yet tasked that day, a medevac flight one. Two helicopters fly a pair on 49% of days, four on 92%;
- a French provider with no base left in Mali flies only on request: each request is granted with
  ``approval_share_when_outside`` (decision ``air.<provider>.approval``) and takes
  ``approval_delay_minutes_when_outside`` longer.

Arrival = readiness (+ approval and clearance delays) + distance / speed, helicopters slower in the rainy season.
Surveillance: a provider watches the top-priority in-range segments its sorties cover (``watch``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import mesa
import numpy as np
from pydantic import Field, model_validator

from sim.medical import flight_minutes
from sim.parameters import StrictModel, param, share
from sim.roads import km_between
from sim.streams import entity_code

ASSUMPTION = "assumption (calibrated or varied in sensitivity analysis)"

class AirProviderParams(StrictModel):
    """A provider of air support: surveillance, close air support / quick reaction, medevac."""

    operator: str = Field(..., pattern="^(france|un|contracted)$", description="Who flies: france, un or contracted.")
    active_from: date | None = Field(None, description="First day the provider flies (default: start of the run).")
    active_until: date | None = Field(None, description="Last day the provider flies (default: end of the run).")
    helicopter_bases: tuple[str, ...] = Field((), description="Camps or French bases where its helicopters stand; a base stops serving when it is left or closes.")
    fixed_wing_bases: tuple[str, ...] = Field((), description="Camps or French bases its fighters and drones fly from (may be outside Mali, e.g. Niamey).")
    helicopters: int = param(0, unit="aircraft", ge=0, description="Helicopters stationed per helicopter base; each is serviceable on a given day with helicopter_availability, and a close-air-support mission needs helicopters_per_close_support of them, a medevac flight one.", source=ASSUMPTION)
    helicopter_availability: float = share(0.7, description="Chance that one stationed helicopter is serviceable (mission-capable) on a given day.", source="assumption: military helicopter fleets report mission-capable rates of about 60-75%")
    helicopters_per_close_support: int = param(2, unit="aircraft", ge=1, description="Helicopters one close-air-support or quick-reaction mission needs (attack helicopters fly in pairs).", source="doctrine: attack helicopters operate as a pair (lead and wingman)")
    helicopter_speed_kmh: float = param(230.0, unit="km/h", gt=0, description="Cruise speed of its helicopters.", source="NH90/Tigre/Puma class cruise speeds 230-280 km/h")
    helicopter_readiness_minutes: float = param(30.0, unit="minutes", ge=0, description="Time from request to take-off for a helicopter.", source="assumption: 30-minute alert posture")
    helicopter_range_km: float = param(400.0, unit="km", gt=0, description="Farthest incident a helicopter serves from its base.", source="assumption: combat radius with reserve")
    close_air_support: bool = Field(False, description="Whether it flies close air support / quick reaction for troops in contact.")
    fighter_speed_kmh: float = param(750.0, unit="km/h", gt=0, description="Transit speed of its fighters.", source="Mirage 2000D transit speed")
    fighter_readiness_minutes: float = param(20.0, unit="minutes", ge=0, description="Time from request to take-off for a fighter.", source=ASSUMPTION)
    fighters: bool = Field(False, description="Whether it has fighters on alert at its fixed-wing bases.")
    medevac: bool = Field(False, description="Whether its helicopters fly casualty evacuation.")
    surveillance_sorties_per_day: float = param(0.0, unit="sorties/day", ge=0, description="Drone or aircraft surveillance sorties per day.", source="Barkhane flew 5-6 MQ-9 Reapers from Niamey (french_bases.csv)")
    segments_per_sortie: int = param(8, unit="segments", ge=1, description="Road segments one surveillance sortie watches for a day.", source=ASSUMPTION)
    surveillance_range_km: float = param(1000.0, unit="km", gt=0, description="Farthest segment a surveillance sortie reaches from its base.", source="MQ-9 class endurance")
    subject_to_host_refusal: bool = Field(True, description="Whether the host state's flight refusals and groundings apply to it.")
    approval_share_when_outside: float = share(1.0, description="Share of requests granted once it has no base left in Mali (France after Aug 2022: support only on request).", source="assumption; UNSC res. 2640 renewed MINUSMA without French air support")
    approval_delay_minutes_when_outside: float = param(60.0, unit="minutes", ge=0, description="Extra delay for approval once it has no base left in Mali.", source=ASSUMPTION)

    @model_validator(mode="after")
    def _window_in_order(self) -> AirProviderParams:
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise ValueError(f"active_until {self.active_until} is before active_from {self.active_from}")
        return self


@dataclass(frozen=True)
class AirBase:
    name: str
    lat: float
    lon: float
    french_base: bool   # stops serving on its french_base_left date
    camp: bool          # stops serving when the camp closes (if not a French base of a French provider)


@dataclass(frozen=True)
class Offer:
    """What a provider could fly for one request: from which base, arriving when, with how many helicopters."""

    provider: "AirProvider"
    base: AirBase
    minutes: float                     # until over the incident (close support) or at the surgical unit (medevac)
    helicopters: int                   # helicopters the mission takes from the base (0: fighters)
    reach_minutes: float = float("nan")  # medevac: until the helicopter is with the wounded


class AirProvider(mesa.Agent):
    """A provider of air support (see module docstring)."""

    def __init__(self, model, provider_id: str, spec: AirProviderParams, theatre, segment_lat, segment_lon):
        super().__init__(model)
        self.provider_id = provider_id
        self.spec = spec
        self.french = spec.operator == "france"
        self.helicopter_bases = tuple(self._base(name, theatre) for name in spec.helicopter_bases)
        self.fixed_wing_bases = tuple(self._base(name, theatre) for name in spec.fixed_wing_bases)
        self.mali_bases = frozenset(b.name for b in theatre.french_bases.values() if b.country == "Mali")
        self.watch_bases = self.fixed_wing_bases or self.helicopter_bases
        in_range = np.zeros(len(segment_lat), dtype=bool)
        for base in self.watch_bases:
            in_range |= km_between(base.lat, base.lon, segment_lat, segment_lon) <= spec.surveillance_range_km
        self.surveillance_segments = np.flatnonzero(in_range)
        self.flies_medevac = spec.medevac and spec.helicopters > 0
        self._first_day = spec.active_from or date.min    # the active window as one comparison (spec is frozen)
        self._last_day = spec.active_until or date.max
        self.helicopters_used: dict[str, int] = {}
        self._serviceable: dict[str, int] = {}
        self._base_codes = {b.name: entity_code(b.name) for b in self.helicopter_bases}   # serviceability blocks
        # km from a base to an incident's place, by (base, lat, lon): places recur (segments, camps), bases are fixed
        self._km: dict[tuple[str, float, float], float] = {}
        self.serviceability = model.streams.decision(f"air.{provider_id}.serviceability")
        self.approval = model.streams.decision(f"air.{provider_id}.approval")

    def _base(self, name: str, theatre) -> AirBase:
        if self.french and name in theatre.french_bases:
            b = theatre.french_bases[name]
            return AirBase(name, b.lat, b.lon, french_base=b.country == "Mali", camp=False)
        if name in theatre.camps:
            c = theatre.camps[name]
            return AirBase(name, c.lat, c.lon, french_base=False, camp=True)
        if name in theatre.french_bases:
            b = theatre.french_bases[name]
            return AirBase(name, b.lat, b.lon, french_base=False, camp=False)
        raise ValueError(f"air provider {self.provider_id}: unknown base {name!r} (not a camp or French base)")

    # --- state ------------------------------------------------------------------------------------------------
    def active(self) -> bool:
        return self._first_day <= self.model.today <= self._last_day

    def base_serving(self, base: AirBase) -> bool:
        if base.french_base:
            return base.name not in self.model.air.french_bases_left
        if base.camp:
            return self.model.camp_open(base.name)
        return True

    def outside(self) -> bool:
        """A French provider with every Mali base left: support only on request from outside (Niger)."""
        return self.french and self.mali_bases <= self.model.air.french_bases_left

    def new_day(self) -> None:
        self.helicopters_used.clear()
        self._serviceable.clear()

    def free_helicopters(self, base: AirBase) -> int:
        """Serviceable helicopters at ``base`` not yet tasked today (serviceability drawn once per base and day)."""
        serviceable = self._serviceable.get(base.name)
        if serviceable is None:
            serviceable = self._serviceable[base.name] = int(self.serviceability.generator(
                self._base_codes[base.name]).binomial(self.spec.helicopters, self.spec.helicopter_availability))
        return serviceable - self.helicopters_used.get(base.name, 0)

    def km_to(self, base: AirBase, lat: float, lon: float) -> float:
        """Great-circle km from ``base`` to (lat, lon)."""
        key = (base.name, lat, lon)
        km = self._km.get(key)
        if km is None:
            km = self._km[key] = float(km_between(base.lat, base.lon, lat, lon))
        return km

    def _helicopter_speed(self) -> float:
        factor = self.model.params.air_support.rainy_season_helicopter_speed_factor if self.model.rainy else 1.0
        return self.spec.helicopter_speed_kmh * factor

    def _delay(self) -> float:
        """Minutes added to every flight: host clearance and approval from outside Mali."""
        delay = self.model.host_state.refusal_delay_minutes if self.spec.subject_to_host_refusal else 0.0
        return delay + (self.spec.approval_delay_minutes_when_outside if self.outside() else 0.0)

    # --- offers -----------------------------------------------------------------------------------------------
    def close_support_offer(self, lat: float, lon: float) -> Offer | None:
        """This provider's fastest close support over (lat, lon): a helicopter pair or fighters."""
        s = self.spec
        if not s.close_air_support or not self.active():
            return None
        best: Offer | None = None
        pair = s.helicopters_per_close_support
        if s.helicopters >= pair:
            speed = self._helicopter_speed()
            for base in self.helicopter_bases:
                d = self.km_to(base, lat, lon)
                if d <= s.helicopter_range_km and self.base_serving(base) and self.free_helicopters(base) >= pair:
                    minutes = s.helicopter_readiness_minutes + flight_minutes(d, speed)
                    if best is None or minutes < best.minutes:
                        best = Offer(self, base, minutes, pair)
        if s.fighters:
            for base in self.fixed_wing_bases:
                if self.base_serving(base):
                    d = self.km_to(base, lat, lon)
                    minutes = s.fighter_readiness_minutes + flight_minutes(d, s.fighter_speed_kmh)
                    if best is None or minutes < best.minutes:
                        best = Offer(self, base, minutes, 0)
        return None if best is None else Offer(self, best.base, best.minutes + self._delay(), best.helicopters)

    def medevac_offer(self, lat: float, lon: float, to_surgery_km: float) -> Offer | None:
        """This provider's fastest medevac flight: out to the casualty and on to the surgical unit."""
        s = self.spec
        if not self.flies_medevac or not self.active():
            return None
        speed, best = self._helicopter_speed(), None
        for base in self.helicopter_bases:
            if not self.base_serving(base):
                continue
            d = self.km_to(base, lat, lon)
            if d <= s.helicopter_range_km and self.free_helicopters(base) >= 1:
                reach = s.helicopter_readiness_minutes + flight_minutes(d, speed)
                minutes = reach + flight_minutes(to_surgery_km, speed)
                if best is None or (minutes, base.name) < (best.minutes, best.base.name):
                    best = Offer(self, base, minutes, 1, reach)
        if best is None:
            return None
        delay = self._delay()
        return Offer(self, best.base, best.minutes + delay, 1, best.reach_minutes + delay)

    def approves(self, request: int = 0) -> bool:
        """From outside Mali, France grants a request with its approval share (one draw per request; ``request``
        as in ``HostState.clear_flight``)."""
        return (not self.outside()
                or self.approval.generator(request).random() < self.spec.approval_share_when_outside)

    def task(self, offer: Offer) -> None:
        """The helicopters of an accepted mission are busy for the rest of the day."""
        if offer.helicopters:
            name = offer.base.name
            self.helicopters_used[name] = self.helicopters_used.get(name, 0) + offer.helicopters

    # --- surveillance -----------------------------------------------------------------------------------------
    def surveillance_sorties(self) -> float:
        """Sorties flown today (host-state refusals and groundings cut those of providers subject to them)."""
        s = self.spec
        if s.surveillance_sorties_per_day <= 0 or not self.active():
            return 0.0
        sorties = s.surveillance_sorties_per_day
        if s.subject_to_host_refusal:
            sorties *= self.model.host_state.expected_allowed_share()
        if self.outside():
            sorties *= s.approval_share_when_outside
        for base in self.watch_bases:
            if self.base_serving(base):
                return sorties
        return 0.0

    def segments_to_watch(self) -> int:
        """How many segments today's sorties watch."""
        return int(round(self.surveillance_sorties() * self.spec.segments_per_sortie))

    def watch(self, priority: np.ndarray, surveillance: np.ndarray, *, none_watched: bool = False,
              k: int | None = None) -> None:
        """Add today's surveillance: the ``k`` (default: ``segments_to_watch()``) top-priority in-range segments not
        yet watched, one day of full watch each (``none_watched``: no segment is watched yet today, so there is no
        need to look)."""
        if k is None:
            k = self.segments_to_watch()
        if k <= 0:
            return
        segments = self.surveillance_segments
        candidates = segments if none_watched else segments[surveillance[segments] < 1.0]
        if k >= len(candidates):
            surveillance[candidates] = 1.0
            return
        # the k highest priorities, ties by segment index (candidates are in index order): all above the k-th
        # value, then the first of those equal to it (when exactly k reach the k-th value, simply those k)
        values = priority[candidates]
        ranked = values.copy()
        ranked.partition(len(ranked) - k)
        kth = ranked[len(ranked) - k]
        top = values >= kth
        if np.count_nonzero(top) == k:
            surveillance[candidates] = top               # candidates are unwatched (0): the top k become 1
            return
        above = candidates[values > kth]
        surveillance[above] = 1.0
        surveillance[candidates[values == kth][:k - len(above)]] = 1.0
