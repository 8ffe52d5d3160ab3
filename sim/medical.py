"""The medical chain: minutes from wounding to surgery, and the chance of dying of wounds on the way.

The curve (documented in docs/ODD.md, submodel "Medical chain"):

    p_dow(t) = p_max * (1 - exp(-t / tau)) * (1 - e_med * c)

t: minutes from wounding to surgery; p_max: chance of dying of wounds for someone who never reaches surgery;
tau: time constant; c: the contingent's medical capability (0-1, first aid and damage control on the spot);
e_med: share of the risk that full capability removes. The shape is the simplest one that rises with delay and
saturates, which is what the golden-hour evidence shows (Kotwal et al. 2016: cutting median transport from 90 to
43 minutes cut case fatality from 13.7% to 7.6%). Pure functions, so they can be tested and plotted directly.

``MedicalChain.evacuate`` takes the wounded of one incident to the nearest surgical unit: by road, or by the
fastest medevac flight that may fly (``AirSupport.medevac``), whichever is sooner; then draws who dies of wounds
(decision ``medical.died_of_wounds``).
"""

from __future__ import annotations

import math

import numpy as np

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
)


class MedicalParams(StrictModel):
    """The medical chain: from wounding to surgery, and the chance of dying of wounds on the way."""

    dow_max_probability: float = share(
        0.3, description="Chance of dying of wounds for a wounded person who never reaches surgery (curve ceiling).",
        source="calibrated against Kotwal et al. 2016 (golden hour): case fatality 13.7% -> 7.6% as transport fell 90 -> 43 min",
    )
    dow_time_constant_minutes: float = param(
        240.0, unit="minutes", gt=0,
        description="Time constant of p(die of wounds) = max * (1 - exp(-t / tau)), t = minutes to surgery.",
        source="Kotwal et al., JAMA Surgery 2016; UN 10-1-2 standard (surgery within 2 h)",
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
                    medical_capability: float = 0.0, capability_effect: float = 0.0) -> float:
    """Chance that one wounded person dies before or despite surgery reached after ``minutes_to_surgery``
    (``math.inf``: never reaches surgery)."""
    if minutes_to_surgery < 0:
        raise ValueError(f"minutes_to_surgery must be >= 0, got {minutes_to_surgery}")
    rise = 1.0 - math.exp(-minutes_to_surgery / time_constant_minutes)
    return max_probability * rise * (1.0 - capability_effect * medical_capability)


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

    def surgical_units(self) -> list[tuple[float, float]]:
        """Open camps with a surgical unit, and the French Role 2 at Gao while France holds Gao."""
        m = self.model
        units = [(c.lat, c.lon) for c in m.camps if c.medical_unit and c.is_open()]
        gao = m.theatre.french_bases.get("Gao")
        if gao is not None and m.air.french_present_at("Gao"):
            units.append((gao.lat, gao.lon))
        return units

    def evacuate(self, lat: float, lon: float, wounded: int, capability: float) -> tuple[int, float]:
        """Evacuate the wounded of one incident: (died of wounds, minutes to surgery; NaN if never reached)."""
        if wounded <= 0:
            return 0, float("nan")
        med, record = self.params, self.model.recorder
        units = self.surgical_units()
        minutes = math.inf
        if units:
            dist = km_between(lat, lon, np.array([u[0] for u in units]), np.array([u[1] for u in units]))
            to_surgery_km = float(dist.min())
            minutes = ground_minutes(to_surgery_km, speed_kmh=med.ground_evacuation_speed_kmh,
                                     route_factor=med.ground_route_factor, request_minutes=med.request_minutes)
            flown = self.model.air.medevac(lat, lon, to_surgery_km)
            if flown is not None:
                minutes = min(minutes, med.request_minutes + flown)
        if math.isinf(minutes):
            p = med.dow_max_probability * (1.0 - med.medical_capability_effect * capability)
        else:
            p = p_die_of_wounds(minutes, max_probability=med.dow_max_probability,
                                time_constant_minutes=med.dow_time_constant_minutes, medical_capability=capability,
                                capability_effect=med.medical_capability_effect)
        died = int(self.deaths.generator().binomial(wounded, p))
        if minutes <= MINUTES_1H:
            record.add("wounded_in_surgery_1h", wounded)
        if minutes <= MINUTES_2H:
            record.add("wounded_in_surgery_2h", wounded)
        return died, (minutes if not math.isinf(minutes) else float("nan"))
