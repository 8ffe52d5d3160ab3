"""MINUSMA's posture: how much it moves, given its recent losses, the IED threat, casualty evacuation and restrictions.

The mission is not a fixed timetable. Commanders cut convoys and patrols after heavy losses, where devices are
being found and set off, and where a casualty could not be evacuated in time (the UN casualty evacuation policy's
10-1-2 standard: first aid within 10 minutes, damage-control care within 1 hour, surgery within 2 hours); the
host state can restrict movement outright. Movement grows back as these ease. A **movement factor** m in
[``min_movement_factor``, 1] scales a camp's patrols and their reach, the tempo of its resupply convoys and whether
rotations go ahead:

    m = clip(1 - a_L min(1, L / L_ref) - a_I min(1, I / I_ref) - a_C (1 - C), m_min, 1) x r

- L: the camp's recent casualties (killed and wounded among its personnel), an exponentially weighted sum with time
  scale ``loss_memory_days``;
- I: IED events (devices found or set off) per 100 km on the roads concerned (the camp's patrol area, or a
  convoy's route), exponentially weighted with time scale ``ied_memory_days``;
- C: casualty-evacuation cover of those roads: the length-weighted share where a medevac helicopter could reach a
  casualty within ``golden_hour_minutes`` of the request and bring them to surgery within
  ``surgery_limit_minutes`` (``AirSupport.golden_hour_cover``), counting each provider's chance of having a
  serviceable helicopter and of being cleared to fly;
- r: a host-state or mission-wide restriction (``movement_restricted`` events, e.g. COVID-19 in 2020), 1 otherwise.

Fewer trips can mean fewer deaths even as each trip gets more dangerous: the factor lets a reader see both.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from sim.parameters import StrictModel, param, share
from sim.results import Result

ASSUMPTION = "assumption (calibrated or varied in sensitivity analysis)"

RESULTS = (
    Result("movement_factor", "factor 0-1", "MINUSMA movement factor",
           "Mean over open camps of the day's movement factor (1: full tempo; posture.py).", kind="level",
           daily=True),
)


class PostureParams(StrictModel):
    """How MINUSMA adapts its movement to losses, the IED threat, casualty evacuation and restrictions."""

    loss_sensitivity: float = share(
        0.3, description="Share of a camp's movement cut when its recent casualties reach loss_reference_casualties.",
        source="assumption: missions scale back movement after mass-casualty attacks (MODEL.md); prior 0-0.6")
    loss_reference_casualties: float = param(
        10.0, unit="persons", gt=0,
        description="Recent casualties (killed and wounded, exponentially weighted) at which the loss cut is full.",
        source="assumption: a mass-casualty incident; prior 5-30")
    loss_memory_days: float = param(
        30.0, unit="days", gt=0, description="Time scale over which recent losses weigh on a camp's posture.",
        source="assumption; prior 10-90")
    ied_sensitivity: float = share(
        0.3, description="Share of movement cut on roads where IED events reach ied_reference_per_100km.",
        source="assumption: convoys and patrols avoid roads with frequent devices; prior 0-0.6")
    ied_reference_per_100km: float = param(
        1.0, unit="IED events per 100 km", gt=0,
        description="Recent IED events (found or set off, exponentially weighted) per 100 km of road at which the IED cut is full.",
        source="assumption; prior 0.3-3")
    ied_memory_days: float = param(
        60.0, unit="days", gt=0, description="Time scale over which IED events on a road are remembered.",
        source="assumption; prior 20-180")
    casevac_sensitivity: float = share(
        0.3, description="Share of movement cut on roads with no casualty-evacuation cover within the golden hour.",
        source="UN casualty evacuation policy (10-1-2 standard, DOS/2020.7): movement is planned against casevac cover; size assumed, prior 0-0.6")
    golden_hour_minutes: float = param(
        60.0, unit="minutes", gt=0,
        description="A road counts as covered when a medevac helicopter can reach a casualty within this time of the request.",
        source="UN 10-1-2 standard: damage-control care within 1 hour")
    surgery_limit_minutes: float = param(
        120.0, unit="minutes", gt=0,
        description="...and bring them to a surgical unit within this time of the request.",
        source="UN 10-1-2 standard: surgery within 2 hours")
    min_movement_factor: float = share(
        0.3, description="The least movement a camp keeps (resupply and essential patrols go on).",
        source="assumption; prior 0.1-0.6")
    essential_only_below: float = share(
        0.6, description="Below this movement factor a camp postpones troop rotations by road (only resupply moves).",
        source="assumption")
    threat_slowdown: float = share(
        0.3, description="Share of convoy speed lost on a route at ied_reference_per_100km (route clearance, slower driving).",
        source="assumption: route-clearance packages move at walking pace over threatened stretches; prior 0-0.5")


def _lower(a, b):
    """min(a, b) on two numbers (the same result, a unless b < a), without the builtin's argument parsing: a
    fifth of its time (Python 3.12)."""
    return b if b < a else a


def _higher(a, b):
    """max(a, b) on two numbers (a unless b > a), as ``_lower``."""
    return b if b > a else a


def movement_factor(losses, ied_per_100km, cover, p: PostureParams, restriction: float = 1.0):
    """The movement factor m (module docstring) for given losses, IED density and casevac cover: numbers, or numpy
    arrays with one value per camp (the same formula either way)."""
    # on plain floats (route factors are scalars), plain comparisons: numpy's minimum and maximum cost twenty times
    # more, the builtin min and max five times more
    low, high = (np.minimum, np.maximum) if isinstance(losses, np.ndarray) else (_lower, _higher)
    m = (1.0 - p.loss_sensitivity * low(1.0, losses / p.loss_reference_casualties)
         - p.ied_sensitivity * low(1.0, ied_per_100km / p.ied_reference_per_100km)
         - p.casevac_sensitivity * (1.0 - cover))
    return low(1.0, high(p.min_movement_factor, m)) * restriction


class _Route:
    """A route's segment lengths and km (fixed), and its IED density and casevac cover with the versions of the
    IED events and cover they are for (``Posture._density_and_cover``)."""

    __slots__ = ("length", "km", "density", "density_of", "cover", "cover_of")

    def __init__(self, length: np.ndarray):
        self.length, self.km = length, float(length.sum())
        self.density, self.density_of = 0.0, -1
        self.cover, self.cover_of = 1.0, -1


class Posture:
    """Recent losses by camp and IED events by segment, and the movement factors they give."""

    def __init__(self, model, params: PostureParams):
        self.model = model
        self.params = params
        n_camps, n_segments = len(model.camps), model.roads.n
        # What the posture remembers, in one array that fades in one multiplication a day: the camps' recent losses
        # (``losses``), their patrol areas' IED density (recomputed each day after, its factor 1 a placeholder) and
        # the IED events by segment (``ied_events``).
        self._memory = np.zeros(2 * n_camps + n_segments)
        self._fading = np.concatenate([np.full(n_camps, math.exp(-1.0 / params.loss_memory_days)), np.ones(n_camps),
                                       np.full(n_segments, math.exp(-1.0 / params.ied_memory_days))])
        self.losses = self._memory[:n_camps]
        self._density = self._memory[n_camps:2 * n_camps]
        self.ied_events = self._memory[2 * n_camps:]
        # The day's movement-factor arithmetic (movement_factor's, step by step) on arrays kept from day to day.
        # _terms holds 1, then the loss, IED and casevac cuts: rows 1-2 get the losses and the density (rows of
        # _pressure) divided by their reference, capped at 1 and times their sensitivity (one numpy operation for
        # both at each step), row 3 the casevac cut when the area cover changes; 1 - loss cut - IED cut - casevac
        # cut is then one subtract.reduce down the rows (left to right, as movement_factor's expression). Constants
        # are whole rows or 0-d arrays: numpy applies them to small arrays faster than Python floats (same numbers).
        self._pressure = self._memory[:2 * n_camps].reshape(2, n_camps)
        self._terms = np.zeros((4, n_camps))
        self._terms[0] = 1.0
        self._cut = self._terms[1:3]
        self._references = np.repeat([[params.loss_reference_casualties], [params.ied_reference_per_100km]],
                                     n_camps, axis=1)
        self._sensitivities = np.repeat([[params.loss_sensitivity], [params.ied_sensitivity]], n_camps, axis=1)
        self._one, self._hundred = np.array(1.0), np.array(100.0)
        self._least = np.array(params.min_movement_factor)
        self.restriction = 1.0
        self.restricted_until: date | None = None
        self.rotations_suspended_until: date | None = None
        self.camp_index = {c.name: i for i, c in enumerate(model.camps)}
        self.camp_factor = np.ones(n_camps)
        # length of each road segment in each camp's patrol area (camps x segments), and the area's km
        near = np.zeros((len(model.camps), model.roads.n))
        for i in range(len(model.camps)):
            near[i, model.patrols.near[i]] = model.roads.length_km[model.patrols.near[i]]
        self._area_km = near
        self._area_total = np.maximum(near.sum(axis=1), 1e-9)
        self._has_area = near.sum(axis=1) > 0
        self.cover = np.ones(model.roads.n)       # today's golden-hour casevac cover by segment
        # casevac cover of each camp's patrol area: depends only on the cover by segment, which changes on few days
        # (AirSupport.golden_hour_cover); recomputed in new_day when the cover's values differ from those it is for
        self._area_cover_of: bytes | None = None
        self._area_cover = np.ones(n_camps)
        self._may_exceed_one = False
        # routes (convoys' road moves) by their segments (dtype and bytes, _Route): a camp asks for its route's
        # factor, then its convoy for its speed, the same day. Their IED density is as of ``_version``, bumped
        # whenever ied_events change (new_day, ied_event); their casevac cover as of ``_cover_version``, bumped when
        # the cover's values change (new_day, on few days).
        self._version = 0
        self._cover_version = 0
        self._routes: dict[tuple[np.dtype, bytes], _Route] = {}

    # --- what happened --------------------------------------------------------------------------------------
    def casualties(self, camp, persons: int) -> None:
        """Killed and wounded among a camp's personnel (called for every incident)."""
        if camp is not None and persons:
            self.losses[self.camp_index[camp.name]] += persons

    def ied_event(self, segment: int, n: int = 1) -> None:
        """A device found or set off on a segment."""
        self.ied_events[segment] += n
        self._version += 1

    def restrict(self, factor: float, until: date) -> None:
        """A ``movement_restricted`` event: movement everywhere x factor until ``until``."""
        self.restriction, self.restricted_until = factor, until

    def suspend_rotations(self, until: date) -> None:
        self.rotations_suspended_until = until

    def rotations_suspended(self) -> bool:
        return self.rotations_suspended_until is not None and self.model.today <= self.rotations_suspended_until

    # --- the day ----------------------------------------------------------------------------------------------
    def new_day(self) -> None:
        """Memories fade; restrictions end; today's casevac cover and the movement factor of every patrol area."""
        self._memory *= self._fading
        if self.restricted_until is not None and self.model.today > self.restricted_until:
            self.restriction, self.restricted_until = 1.0, None
        self._version += 1
        self.cover = self.model.air.golden_hour_cover()
        cover_key = self.cover.tobytes()
        if cover_key != self._area_cover_of:
            self._cover_version += 1
            self._area_cover = np.where(self._has_area, self._area_km @ self.cover / self._area_total, 1.0)
            self._terms[3] = self.params.casevac_sensitivity * (1.0 - self._area_cover)
            # 1 less cuts of at least 0 is at most 1: only a casevac cut below 0 (an area cover rounded above 1)
            # can take the factor above 1, and the cap at 1 change a number
            self._may_exceed_one = bool((self._terms[3] < 0).any())
            self._area_cover_of = cover_key
        # movement_factor(losses, density, _area_cover, params, restriction), the same operations in the same order
        # (ndarray.dot: the matrix-vector kernel matmul calls, without its ufunc overhead)
        density = self._density
        self._area_km.dot(self.ied_events, out=density)
        np.divide(density, self._area_total, out=density)
        np.multiply(density, self._hundred, out=density)
        cut = self._cut
        np.divide(self._pressure, self._references, out=cut)
        np.minimum(cut, self._one, out=cut)
        np.multiply(cut, self._sensitivities, out=cut)
        factor = np.subtract.reduce(self._terms, axis=0)
        np.maximum(factor, self._least, out=factor)
        if self._may_exceed_one:
            np.minimum(factor, self._one, out=factor)
        if self.restriction != 1.0:                     # x 1.0 changes no number
            factor *= self.restriction
        self.camp_factor = factor

    def _density_and_cover(self, segments: np.ndarray) -> tuple[float, float]:
        """IED events per 100 km and length-weighted casevac cover of a route (cached by route, see __init__)."""
        if len(segments) == 0:
            return 0.0, 1.0
        key = (segments.dtype, segments.tobytes())
        route = self._routes.get(key)
        if route is None:
            route = self._routes[key] = _Route(self.model.roads.length_km[segments])
        if route.density_of != self._version:
            # the sum as ndarray.sum computes it (add.reduce), without its Python wrapper
            route.density = float(np.add.reduce(self.ied_events[segments])) / route.km * 100.0
            route.density_of = self._version
        if route.cover_of != self._cover_version:
            route.cover = float(self.cover[segments] @ route.length) / route.km
            route.cover_of = self._cover_version
        return route.density, route.cover

    def route_factor(self, camp, route: np.ndarray) -> float:
        """Movement factor for a road move ordered by ``camp`` along ``route``."""
        losses = self.losses[self.camp_index[camp.name]] if camp is not None else 0.0
        density, covered = self._density_and_cover(route)
        return movement_factor(float(losses), density, covered, self.params, self.restriction)

    def route_speed_and_cover(self, route: np.ndarray) -> tuple[float, float]:
        """A departing convoy's speed multiplier on a route under IED threat, and the route's casevac cover."""
        density, cover = self._density_and_cover(route)
        return 1.0 - self.params.threat_slowdown * _lower(1.0, density / self.params.ied_reference_per_100km), cover

    def record_day(self, open_mask: np.ndarray) -> None:
        # the mean as numpy's mean computes it (sum, then / count), without its Python overhead
        factors = self.camp_factor[open_mask]
        mean = float(np.add.reduce(factors)) / len(factors) if len(factors) else 0.0
        self.model.recorder.set("movement_factor", mean)
