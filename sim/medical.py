"""The medical chain: minutes from wounding to surgery, and the chance of dying of wounds on the way.

The curve (documented in docs/ODD.md, submodel "Medical chain"):

    p_dow(t) = (p_care + p_max * (1 - exp(-t / tau))) * (1 - e_med * c)

t: minutes from the request to surgery; p_care: the chance of dying of wounds after reaching surgery at once, which
does not depend on transport time (Kotwal et al. 2016: the died-of-wounds rate stayed at 4.1-4.3% while median
transport time fell from 90 to 43 minutes); p_max (1 - exp(-t / tau)): the deaths a faster evacuation prevents,
rising with delay and saturating (the same study: case fatality fell from 13.7% to 7.6% as transport sped up);
c: the contingent's medical capability (0-1, first aid and damage control on the spot); e_med: share of the risk
that full capability removes. Killed in action (dead on the spot) are drawn with the incident, so this curve
separates them from deaths of wounds; the model's died-of-wounds share of hostile deaths is checked against its
sourced range (docs/validation.md). Pure functions, so they can be tested and plotted directly.

``MedicalChain.evacuate`` takes the wounded of one incident to the nearest surgical unit: by road, or by the
fastest medevac flight that may fly (``AirSupport.medevac``), whichever is sooner; then draws who dies of wounds
(decision ``medical.died_of_wounds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.incidents import thinned
from sim.parameters import StrictModel, param, share
from sim.results import Result
from sim.roads import km_between

MINUTES_PER_HOUR = 60.0
MINUTES_1H, MINUTES_2H = 60.0, 120.0

RESULTS = (
    Result("wounded_in_surgery_1h", "persons", "Wounded in surgery within 1 h",
           "Wounded who reached surgery within one hour of the request.", integer=True),
    Result("wounded_in_surgery_2h", "persons", "Wounded in surgery within 2 h",
           "Wounded who reached surgery within two hours (the UN 10-1-2 standard's surgery limit).", integer=True),
    Result("wounded_10_1_2_met", "persons", "Wounded evacuated within the 10-1-2 standard",
           "Wounded reached by a medevac helicopter within one hour and in surgery within two (by road: in surgery "
           "within one hour).", integer=True),
)


class MedicalParams(StrictModel):
    """The medical chain: from wounding to surgery, and the chance of dying of wounds on the way."""

    dow_in_care_probability: float = share(
        0.04, description="Chance that a wounded person dies of wounds even when surgery is reached at once (the part of died-of-wounds transport time does not change).",
        source="Kotwal et al., JAMA Surgery 2016: died-of-wounds rate 4.1-4.3% before and after the 60-minute medevac mandate")
    dow_max_probability: float = share(
        0.15, description="Added chance of dying of wounds for a wounded person who never reaches surgery (ceiling of the time-dependent part).",
        source="Kotwal et al., JAMA Surgery 2016: killed in action (died before reaching care) fell 16.0% -> 9.9% of the seriously injured under the 60-minute medevac mandate; prior 0.05-0.4, calibrated",
    )
    dow_time_constant_minutes: float = param(
        60.0, unit="minutes", gt=0,
        description="Time constant of the time-dependent part, max * (1 - exp(-t / tau)), t = minutes to surgery.",
        source="Webster et al., BMJ Mil Health 2021 (UK, Afghanistan 2004-2014): of those killed before reaching care, 67.7% were dead by 10 min, 91.4% by 60 min, 99.0% by 120 min; prior 30-240",
    )
    ground_evacuation_speed_kmh: float = param(
        40.0, unit="km/h", gt=0, description="Road evacuation speed to the nearest surgical unit.",
        source="assumption (calibrated or varied in sensitivity analysis)",
    )
    ground_route_factor: float = param(
        1.3, unit="factor", ge=1,
        description="Road km per straight-line km for ground evacuation.",
        source="routes.csv: straight-line x 1.1-1.2 where not sourced; tracks wind more",
    )
    request_minutes: float = param(
        15.0, unit="minutes", ge=0, description="Time to raise and approve a medevac request inside the mission.",
        source="assumption; NH90 medevac approval delays of hours were reported (shared/data README)",
    )
    medical_capability_effect: float = share(
        0.3, description="Share of the dying-of-wounds risk removed at full contingent medical capability (first aid, damage control).",
        source="assumption (calibrated or varied in sensitivity analysis)",
    )


def p_die_of_wounds(minutes_to_surgery: float, *, max_probability: float, time_constant_minutes: float,
                    in_care_probability: float = 0.0, medical_capability: float = 0.0,
                    capability_effect: float = 0.0) -> float:
    """Chance that one wounded person dies before or despite surgery reached after ``minutes_to_surgery``
    (``math.inf``: never reaches surgery)."""
    if minutes_to_surgery < 0:
        raise ValueError(f"minutes_to_surgery must be >= 0, got {minutes_to_surgery}")
    rise = 1.0 - math.exp(-minutes_to_surgery / time_constant_minutes)
    return min(1.0, in_care_probability + max_probability * rise) * (1.0 - capability_effect * medical_capability)


@dataclass(frozen=True)
class Care:
    """What the medical chain did for the wounded of one incident."""

    died: int
    surgery_minutes: float     # NaN: no wounded, or never reached
    reach_minutes: float       # until a medevac helicopter was with them (by road: until surgery)
    standard_met: bool | None  # help within 1 h and surgery within 2 h (UN 10-1-2); None without wounded
    evacuation: str = ""       # "<provider> from <base>" (by air), "road", "road (flight refused)", "" (no wounded)


def ground_minutes(distance_km: float, *, speed_kmh: float, route_factor: float, request_minutes: float) -> float:
    """Minutes to surgery by road: request, then the straight-line distance times a road factor at road speed."""
    return request_minutes + distance_km * route_factor / speed_kmh * MINUTES_PER_HOUR


def flight_minutes(distance_km: float, speed_kmh: float) -> float:
    """Minutes of flight over a straight-line distance."""
    return distance_km / speed_kmh * MINUTES_PER_HOUR


def air_medevac_minutes(base_to_casualty_km: float, casualty_to_surgery_km: float, *, speed_kmh: float,
                        readiness_minutes: float, request_minutes: float, extra_delay_minutes: float = 0.0) -> float:
    """Minutes to surgery by helicopter: request, approval delays, take-off, flight out, flight to the surgical unit."""
    return (request_minutes + extra_delay_minutes + readiness_minutes
            + flight_minutes(base_to_casualty_km, speed_kmh) + flight_minutes(casualty_to_surgery_km, speed_kmh))


class MedicalChain:
    """Evacuates the wounded of each incident and draws who dies of wounds."""

    def __init__(self, model, params: MedicalParams):
        self.model = model
        self.params = params
        self.deaths = model.streams.decision("medical.died_of_wounds")
        self._gao = model.theatre.french_bases.get("Gao")
        # km from an incident's place (lat, lon) to the nearest surgical unit, for the units in _units (emptied when
        # they change: camps close, France leaves Gao)
        self._units: list[tuple[float, float]] | None = None
        self._to_surgery_km: dict[tuple[float, float], float] = {}

    def surgical_units(self) -> list[tuple[float, float]]:
        """Open camps with a surgical unit, and the French Role 2 at Gao while France holds Gao."""
        m = self.model
        units = [(c.lat, c.lon) for c in m.camps if c.medical_unit and c.open]
        gao = self._gao
        if gao is not None and m.air.french_present_at("Gao"):
            units.append((gao.lat, gao.lon))
        return units

    def to_surgery_km(self, lat: float, lon: float, units: list[tuple[float, float]]) -> float:
        """Straight-line km from (lat, lon) to the nearest of ``units`` (``surgical_units()``, not empty)."""
        if units != self._units:
            self._units, self._to_surgery_km = units, {}
        km = self._to_surgery_km.get((lat, lon))
        if km is None:
            dist = km_between(lat, lon, np.array([u[0] for u in units]), np.array([u[1] for u in units]))
            km = self._to_surgery_km[(lat, lon)] = float(dist.min())
        return km

    def evacuate(self, lat: float, lon: float, wounded: int, capability: float, incident: int) -> Care:
        """Evacuate the wounded of one incident to the nearest surgical unit, by road or the fastest medevac flight
        that may fly, and draw who dies of wounds from the incident's own block (``incident``: its code, see
        ``Incidents.record``)."""
        if wounded <= 0:
            return Care(0, float("nan"), float("nan"), None, "")
        med, record = self.params, self.model.recorder
        units = self.surgical_units()
        minutes = reach = math.inf
        evacuation = "road"
        if units:
            to_surgery_km = self.to_surgery_km(lat, lon, units)
            minutes = reach = ground_minutes(to_surgery_km, speed_kmh=med.ground_evacuation_speed_kmh,
                                             route_factor=med.ground_route_factor, request_minutes=med.request_minutes)
            flown, refused = self.model.air.medevac(lat, lon, to_surgery_km)
            if flown is not None and med.request_minutes + flown.minutes < minutes:
                minutes = med.request_minutes + flown.minutes
                reach = med.request_minutes + flown.reach_minutes
                evacuation = f"{flown.provider.provider_id} from {flown.base.name}"
            elif refused:
                evacuation = "road (flight refused)"
        p = p_die_of_wounds(minutes if not math.isinf(minutes) else 1e9, max_probability=med.dow_max_probability,
                            time_constant_minutes=med.dow_time_constant_minutes,
                            in_care_probability=med.dow_in_care_probability,
                            medical_capability=capability, capability_effect=med.medical_capability_effect)
        died = thinned(self.deaths.event(incident), wounded, p)   # this incident's draw, whatever day it falls on
        met = reach <= MINUTES_1H and minutes <= MINUTES_2H
        if minutes <= MINUTES_1H:
            record.add("wounded_in_surgery_1h", wounded)
        if minutes <= MINUTES_2H:
            record.add("wounded_in_surgery_2h", wounded)
        if met:
            record.add("wounded_10_1_2_met", wounded)
        return Care(died, minutes if not math.isinf(minutes) else float("nan"),
                    reach if not math.isinf(reach) else float("nan"), met, evacuation)
