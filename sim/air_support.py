"""Air support providers: surveillance over segments, close air support / quick reaction, and medevac.

One Mesa agent per provider (Barkhane, MINUSMA's own aviation, contracted medevac). What a provider can do on a
day depends on where its aircraft stand:

- a helicopter base that is a French base stops serving on its ``french_base_left`` date; a base that is a camp
  stops when the camp closes; a base outside the road network (Niamey) serves as long as the provider is active;
- a French provider with no base left in Mali flies only on request: each request is granted with
  ``approval_share_when_outside`` and takes ``approval_delay_minutes_when_outside`` longer;
- providers ``subject_to_host_refusal`` are refused with the host state's refusal share and grounded on grounding
  days; the others (Barkhane under its own agreements) are not.

Helicopters: each stationed helicopter is serviceable on a day with ``helicopter_availability`` (drawn once per base
and day, when first asked); a close-air-support mission takes ``helicopters_per_close_support`` serviceable
helicopters not yet tasked that day, a medevac flight one. So a base with two attack helicopters can fly a pair only
on days both are serviceable (0.7 x 0.7 = 49%), a base with four on most days (92%).

Arrival time = readiness + distance / speed (helicopters slower in the rainy season); the fastest able provider
answers. Surveillance sorties are allocated each day to the in-range segments MINUSMA uses most (the mission asks
for eyes over its routes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import mesa
import numpy as np

from sim.medical import flight_minutes
from sim.roads import km_between


@dataclass(frozen=True)
class AirBase:
    name: str
    lat: float
    lon: float
    french_base: bool   # stops serving on its french_base_left date
    camp: bool          # stops serving when the camp closes (if not a French base of a French provider)


@dataclass(frozen=True)
class Response:
    """A granted request: who answers, from where, and minutes until the aircraft is over the incident."""

    provider: str
    base: AirBase
    minutes: float
    helicopters: int = 0   # helicopters the mission takes from the base (0: fighters)


class AirProvider(mesa.Agent):
    """A provider of air support (see module docstring)."""

    def __init__(self, model, provider_id: str, spec, theatre, segment_lat, segment_lon):
        super().__init__(model)
        self.provider_id = provider_id
        self.spec = spec
        self.french = spec.operator == "france"
        self.helicopter_bases = tuple(self._base(name, theatre) for name in spec.helicopter_bases)
        self.fixed_wing_bases = tuple(self._base(name, theatre) for name in spec.fixed_wing_bases)
        self.mali_bases = tuple(b.name for b in theatre.french_bases.values() if b.country == "Mali")
        watch_from = self.fixed_wing_bases or self.helicopter_bases
        in_range = np.zeros(len(segment_lat), dtype=bool)
        for base in watch_from:
            in_range |= km_between(base.lat, base.lon, segment_lat, segment_lon) <= spec.surveillance_range_km
        self.surveillance_segments = np.flatnonzero(in_range)
        self.helicopters_used: dict[str, int] = {}
        self._serviceable: dict[str, int] = {}
        self._availability_rng = model.streams["air_availability"]

    def _base(self, name: str, theatre) -> AirBase:
        french = self.french and name in theatre.french_bases
        if french:
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
    def active(self, today: date) -> bool:
        s = self.spec
        return (s.active_from is None or today >= s.active_from) and (s.active_until is None or today <= s.active_until)

    def base_serving(self, base: AirBase) -> bool:
        if base.french_base:
            return base.name not in self.model.french_bases_left
        if base.camp:
            return self.model.camp_open(base.name)
        return True

    def outside(self) -> bool:
        """A French provider with every Mali base left: support only on request from outside (Niger)."""
        return self.french and all(name in self.model.french_bases_left for name in self.mali_bases)

    def new_day(self) -> None:
        self.helicopters_used.clear()
        self._serviceable.clear()

    def free_helicopters(self, base: AirBase) -> int:
        """Serviceable helicopters at ``base`` not yet tasked today (serviceability drawn once per base and day)."""
        if base.name not in self._serviceable:
            self._serviceable[base.name] = int(self._availability_rng.binomial(self.spec.helicopters,
                                                                               self.spec.helicopter_availability))
        return self._serviceable[base.name] - self.helicopters_used.get(base.name, 0)

    def task(self, response: Response) -> None:
        """The helicopters of an accepted mission are busy for the rest of the day."""
        if response.helicopters:
            name = response.base.name
            self.helicopters_used[name] = self.helicopters_used.get(name, 0) + response.helicopters

    # --- services -------------------------------------------------------------------------------------------
    def _granted(self, today: date, medevac: bool, rng: np.random.Generator) -> tuple[bool, float]:
        """(granted, extra delay minutes) for one request, after host-state and outside-Mali approval."""
        delay = 0.0
        if self.spec.subject_to_host_refusal:
            if not self.model.host_state.flight_allowed(today, medevac, rng):
                return False, 0.0
            delay += self.model.host_state.refusal_delay_minutes
        if self.outside():
            if rng.random() >= self.spec.approval_share_when_outside:
                return False, 0.0
            delay += self.spec.approval_delay_minutes_when_outside
        return True, delay

    def _helicopter_speed(self, rainy: bool) -> float:
        factor = self.model.params.air_support.rainy_season_helicopter_speed_factor if rainy else 1.0
        return self.spec.helicopter_speed_kmh * factor

    def close_support(self, lat: float, lon: float, today: date, rainy: bool, rng) -> Response | None:
        """Fastest arrival of this provider's attack helicopters or fighters over (lat, lon), if it may fly."""
        s = self.spec
        if not s.close_air_support or not self.active(today):
            return None
        options = []
        pair = s.helicopters_per_close_support
        if s.helicopters >= pair:
            speed = self._helicopter_speed(rainy)
            for base in self.helicopter_bases:
                d = float(km_between(base.lat, base.lon, lat, lon))
                if d <= s.helicopter_range_km and self.base_serving(base) and self.free_helicopters(base) >= pair:
                    options.append((s.helicopter_readiness_minutes + flight_minutes(d, speed), base, pair))
        if s.fighters:
            for base in self.fixed_wing_bases:
                if self.base_serving(base):
                    d = float(km_between(base.lat, base.lon, lat, lon))
                    options.append((s.fighter_readiness_minutes + flight_minutes(d, s.fighter_speed_kmh), base, 0))
        if not options:
            return None
        granted, delay = self._granted(today, False, rng)
        if not granted:
            return Response(self.provider_id, options[0][1], float("nan"))
        minutes, base, helicopters = min(options, key=lambda o: o[0])
        return Response(self.provider_id, base, minutes + delay, helicopters)

    def medevac_options(self, lat: float, lon: float, today: date, rainy: bool):
        """(base, km to casualty, helicopter speed) for bases with a free medevac helicopter in range."""
        s = self.spec
        if not s.medevac or s.helicopters <= 0 or not self.active(today):
            return []
        speed = self._helicopter_speed(rainy)
        out = []
        for base in self.helicopter_bases:
            if not self.base_serving(base) or self.free_helicopters(base) < 1:
                continue
            d = float(km_between(base.lat, base.lon, lat, lon))
            if d <= s.helicopter_range_km:
                out.append((base, d, speed))
        return out

    def surveillance_sorties(self, today: date) -> float:
        """Sorties flown today (host-state refusals cut the sorties of providers subject to them)."""
        s = self.spec
        if s.surveillance_sorties_per_day <= 0 or not self.active(today):
            return 0.0
        sorties = s.surveillance_sorties_per_day
        if s.subject_to_host_refusal:
            if self.model.host_state.grounded(today, medevac=False):
                return 0.0
            sorties *= 1.0 - self.model.host_state.refusal_share
        if self.outside():
            sorties *= s.approval_share_when_outside
        if not any(self.base_serving(b) for b in (self.fixed_wing_bases or self.helicopter_bases)):
            return 0.0
        return sorties

    def watch(self, priority: np.ndarray, surveillance: np.ndarray, today: date) -> None:
        """Add today's surveillance: the top-priority in-range segments not yet watched, one day of full watch each.

        Providers share one air picture (called in a fixed order): a second provider covers the busiest roads the
        first left unwatched rather than watching the same ones again, so an added provider adds coverage.
        """
        k = int(round(self.surveillance_sorties(today) * self.spec.segments_per_sortie))
        candidates = self.surveillance_segments[surveillance[self.surveillance_segments] < 1.0]
        if k <= 0 or len(candidates) == 0:
            return
        if k >= len(candidates):
            surveillance[candidates] = 1.0
            return
        # stable choice: highest priority first, ties by segment index (argsort is stable with kind="stable")
        order = np.argsort(-priority[candidates], kind="stable")[:k]
        surveillance[candidates[order]] = 1.0
