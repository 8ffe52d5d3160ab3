"""The medical chain: minutes from wounding to surgery, and the chance of dying of wounds on the way.

The curve (documented in docs/ODD.md, submodel "Medical chain"):

    p_dow(t) = p_max * (1 - exp(-t / tau)) * (1 - e_med * c)

t: minutes from wounding to surgery; p_max: chance of dying of wounds for someone who never reaches surgery;
tau: time constant; c: the contingent's medical capability (0-1, first aid and damage control on the spot);
e_med: share of the risk that full capability removes. The shape is the simplest one that rises with delay and
saturates, which is what the golden-hour evidence shows (Kotwal et al. 2016: cutting median transport from 90 to
43 minutes cut case fatality from 13.7% to 7.6%). Pure functions, so they can be tested and plotted directly.
"""

from __future__ import annotations

import math

MINUTES_PER_HOUR = 60.0


def p_die_of_wounds(minutes_to_surgery: float, *, max_probability: float, time_constant_minutes: float,
                    medical_capability: float = 0.0, capability_effect: float = 0.0) -> float:
    """Chance that one wounded person dies before or despite surgery reached after ``minutes_to_surgery``."""
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
