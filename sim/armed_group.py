"""Armed groups: an area of operation, a capacity that can grow or be attrited, and adaptive choices.

Each day a group
- learns where MINUSMA traffic passes in its area (exponential memory over ``traffic_memory_days``);
- lays IEDs at a rate of ``ieds_per_week`` x capacity x the share surveillance does not deter, placed on its
  segments with weights (learned traffic + prior) ^ traffic_preference x sector weight x (1 - surveillance_deterrence
  x surveillance); part of what surveillance deters is laid elsewhere (``surveillance_relocation_share``), the rest
  is not laid;
- ambushes convoys and patrols in proportion to the MINUSMA traffic in its area (``ambushes_per_1000_convoy_km``
  and ``ambushes_per_1000_patrol_km`` x capacity, each kilometre weighted by its sector's weight), shells camps and
  mounts complex attacks at monthly and yearly rates x capacity (``attacks.py`` resolves them); camps are chosen
  with less surveillance and, for complex attacks, smaller garrisons preferred;
- directs ``share_against_minusma`` of its effort at MINUSMA (the rest at Malian forces and others): every rate
  above is multiplied by it, and dated ``armed_group_targeting`` events change it (e.g. 2022, when armed groups
  turned on the Malian army and its Russian partners);
- loses capacity to close air support flown against it (``air_attrition_per_sortie``).

Events of each kind are a Poisson process whose rate changes day by day. They are drawn as waiting times (time
rescaling: an Exp(1) budget of cumulative rate is spent day by day; an event happens when it runs out), so a day
with no event costs no random number, and two scenarios with nearly the same rates see their events on nearly the
same days (common random numbers). Placement is an exponential race (``race``), for the same reason. Choices are pure
functions so they can be tested directly.
"""

from __future__ import annotations

import math
from datetime import date

import mesa
import numpy as np
from pydantic import Field

from sim.ied import lifetimes_days
from sim.parameters import StrictModel, param, share

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
DAYS_PER_WEEK = 7.0
ASSUMPTION = "assumption (calibrated or varied in sensitivity analysis)"
NO_DEVICES = np.zeros(0, dtype=np.int64)  # lay_ieds' segments and lifetimes on a day without devices
NO_DEVICES.flags.writeable = False


class ArmedGroupParams(StrictModel):
    """An armed group: where it operates, what it can do, and how it chooses and adapts."""

    name: str = Field("", description="Display name.")
    sectors: tuple[str, ...] = Field(
        ..., min_length=1, description="Sectors of its area of operation (North, East, West, Centre, HQ).",
    )
    active_from: date | None = Field(None, description="First day the group acts (default: start of the run).")
    sector_weights: dict[str, float] = Field(
        default_factory=dict,
        description="Relative weight of the group's effort (IEDs, ambushes, camp attacks) in each of its sectors; "
                    "a sector not listed weighs 1. Unit: relative weight. Source: assumption, set per group in the "
                    "scenario (e.g. JNIM strongest around Kidal, where most deaths fell: calibration_targets.yaml).",
        json_schema_extra={"unit": "relative weight", "source": "assumption"},
    )
    ieds_per_week: float = param(0.5, unit="devices/week", ge=0, description="IEDs laid per week at capacity 1.", source=ASSUMPTION)
    ambushes_per_1000_convoy_km: float = param(0.01, unit="ambushes/1000 convoy-km", ge=0, description="Ambushes per 1,000 km driven by MINUSMA convoys in the group's area (weighted by sector weight), at capacity 1.", source=ASSUMPTION)
    ambushes_per_1000_patrol_km: float = param(0.001, unit="ambushes/1000 patrol-km", ge=0, description="Ambushes per 1,000 km driven by MINUSMA patrols from camps in the group's area (weighted by sector weight), at capacity 1.", source="assumption: patrols vary their routes and are harder to plan against; prior 0-0.01")
    share_against_minusma: float = share(1.0, description="Share of the group's effort (devices, ambushes, camp attacks) directed at MINUSMA rather than Malian forces and others; armed_group_targeting events change it.", source="assumption; dated shifts are events with their sources")
    indirect_fire_per_month: float = param(2.0, unit="attacks/month", ge=0, description="Rocket or mortar attacks on camps per month at capacity 1.", source="assumption: Kidal and Aguelhok were shelled often (camps.csv)")
    complex_attacks_per_year: float = param(1.5, unit="attacks/year", ge=0, description="Complex (ground assault) attacks on camps per year at capacity 1.", source="e.g. Aguelhok 2019-01-20, Timbuktu 2018-04-14 (camps.csv)")
    capacity_growth_per_year: float = param(0.0, unit="share/year", ge=-1, le=5, description="Relative change of capacity per year (0.1 = +10%/year).", source=ASSUMPTION)
    traffic_memory_days: float = param(30.0, unit="days", gt=0, description="Time scale over which the group learns where traffic passes (exponential memory).", source=ASSUMPTION)
    traffic_preference: float = param(1.0, unit="exponent", ge=0, le=5, description="How strongly IED placement follows learned traffic (0: uniform over the area).", source=ASSUMPTION)
    surveillance_deterrence: float = share(0.6, description="Share of emplacement deterred on a segment under full air surveillance.", source=ASSUMPTION)
    surveillance_relocation_share: float = share(0.5, description="Share of the devices deterred by surveillance that the group lays on unwatched segments instead (the rest are not laid).", source=ASSUMPTION)
    traffic_prior: float = param(0.2, unit="passes/day", ge=0, description="Traffic the group assumes on every segment before it has seen any (keeps untravelled segments possible targets).", source=ASSUMPTION)
    garrison_defence_max: float = share(0.8, description="Ceiling on the share of complex-attack casualties a large garrison avoids.", source=ASSUMPTION)
    air_attrition_per_sortie: float = share(0.002, description="Capacity lost per close-air-support sortie flown against the group.", source=ASSUMPTION)
    ambush_killed_mean: float = param(1.0, unit="persons", ge=0, description="Mean killed in an ambush without air support (negative binomial, see ambush_killed_dispersion).", source=ASSUMPTION)
    ambush_killed_dispersion: float = param(0.5, unit="negative binomial k", gt=0, description="Dispersion of deaths in an ambush (negative binomial); smaller k = heavier tail.", source="deaths cluster in few incidents (calibration_targets.yaml)")
    ambush_wounded_mean: float = param(3.5, unit="persons", ge=0, description="Mean wounded in an ambush without air support (Poisson).", source=ASSUMPTION)
    indirect_fire_killed_mean: float = param(0.03, unit="persons", ge=0, description="Mean killed by one rocket or mortar attack (Poisson).", source="assumption: most attacks cause no casualties")
    indirect_fire_wounded_mean: float = param(0.4, unit="persons", ge=0, description="Mean wounded by one rocket or mortar attack (Poisson).", source=ASSUMPTION)
    complex_attack_killed_mean: float = param(3.5, unit="persons", ge=0, description="Mean killed in a complex attack without air support (negative binomial).", source="fatal incidents with up to 10 deaths (calibration_targets.yaml)")
    complex_attack_killed_dispersion: float = param(1.0, unit="negative binomial k", gt=0, description="Dispersion of deaths in a complex attack; smaller k = heavier tail.", source=ASSUMPTION)
    complex_attack_wounded_per_killed: float = param(3.5, unit="persons/person", ge=0, description="Mean wounded per person killed in a complex attack.", source="about 3.6-4.3 wounded per death (calibration_targets.yaml)")
    garrison_defence_per_1000: float = share(0.2, description="Share of complex-attack casualties avoided per 1,000 troops in the camp (capped at 0.8).", source=ASSUMPTION)


def emplacement_plan(traffic: np.ndarray, *, prior: float, preference: float, surveillance: np.ndarray,
                     deterrence: float, relocation: float, area_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Where devices go, and what share of the intended devices is laid at all.

    Returns (laid_share, q): q is the distribution over the given segments; laid_share <= 1 is the share of the
    group's intended devices laid (the deterred ones that are not relocated are not laid).
    """
    want = traffic + prior if preference == 1.0 else np.power(traffic + prior, preference)
    if area_weight is not None:
        want = want * area_weight
    want = want / want.sum()
    kept = want * (1.0 - deterrence * surveillance)
    kept_share = float(kept.sum())
    laid_share = kept_share + relocation * (1.0 - kept_share)
    if kept_share <= 0:
        return 0.0, want
    return laid_share, kept / kept_share


def camp_attack_weights(garrison: np.ndarray, surveillance: np.ndarray, deterrence: float,
                        prefer_small: bool) -> np.ndarray:
    """Relative chance of choosing each camp: less watched camps, and (for assaults) smaller garrisons, preferred."""
    w = 1.0 - deterrence * surveillance
    if prefer_small:
        w = w / np.sqrt(np.maximum(garrison, 1.0))
    return w


def garrison_defence_factor(garrison: float, per_1000: float, maximum: float) -> float:
    """Multiplier on complex-attack casualties from the garrison's size: 1 - min(maximum, per_1000 x troops/1000)."""
    return 1.0 - min(maximum, per_1000 * garrison / 1000.0)


def race_winner(clocks, weights) -> int | None:
    """The winner of an exponential race: the index whose Exp(1) draw (``clocks``) divided by its (unnormalised)
    weight is smallest, the first on a tie; None when no weight is positive. Same chances as an inverse-transform
    draw, but when the weights change the same numbers keep the same winner unless the change concerns it (inverse
    transform moves every item after a changed one): a device stays where it was laid when surveillance moves
    others, the same convoy is ambushed when another's traffic changes (streams.py)."""
    weights = np.asarray(weights, dtype=float)
    positive = weights > 0
    n_positive = np.count_nonzero(positive)
    if n_positive == 0:
        return None
    if n_positive == len(weights):                       # most races: no weightless candidate to leave out
        return int((np.asarray(clocks, dtype=float) / weights).argmin())
    times = np.full(len(weights), np.inf)
    np.divide(clocks, weights, out=times, where=positive)
    return int(times.argmin())


def race(rng: np.random.Generator, weights: np.ndarray) -> int:
    """An index drawn with the given weights (at least one positive), every item's Exp(1) draw from ``rng``."""
    return race_winner(rng.exponential(size=len(weights)), weights)


class Arrivals:
    """Events of a Poisson process whose rate changes day by day, drawn as waiting times (time rescaling).

    The k-th waiting time comes from the decision's k-th event block (``streams.py``): when a scenario raises or
    lowers the rate, the same events come earlier or later instead of new ones being drawn."""

    __slots__ = ("decision", "budget")

    def __init__(self, decision):
        self.decision = decision
        self.budget: float | None = None

    def today(self, rate_per_day: float) -> int:
        """Events today at ``rate_per_day``."""
        budget = self.budget
        if budget is None:
            budget = self._wait()
        self.budget = budget = budget - rate_per_day
        if budget > 0:                                   # most days: no event
            return 0
        n = 0
        while budget <= 0:
            n += 1
            budget += self._wait()
        self.budget = budget
        return n

    def _wait(self) -> float:
        return float(self.decision.next_event().exponential())


class ArmedGroup(mesa.Agent):
    """One armed group (see module docstring). ``segments`` and ``camps`` are its area of operation."""

    def __init__(self, model, group_id: str, spec: ArmedGroupParams, segments: np.ndarray, camps: list):
        super().__init__(model)
        self.group_id = group_id
        self.spec = spec
        self.segments = segments
        self.camps = camps
        self.capacity = 1.0
        self.share_against_minusma = spec.share_against_minusma
        self.traffic = np.zeros(len(segments))
        self.memory = math.exp(-1.0 / spec.traffic_memory_days)
        self.daily_growth = (1.0 + spec.capacity_growth_per_year) ** (1.0 / DAYS_PER_YEAR)
        # rates at effort 1, daily or per 1,000 km (the spec is frozen): rate x effort is the same product as before
        self._ieds_per_day = spec.ieds_per_week / DAYS_PER_WEEK
        self._fire_per_day = spec.indirect_fire_per_month / DAYS_PER_MONTH
        self._assaults_per_day = spec.complex_attacks_per_year / DAYS_PER_YEAR
        self._ambushes_per_convoy_km = spec.ambushes_per_1000_convoy_km
        self._ambushes_per_patrol_km = spec.ambushes_per_1000_patrol_km
        self._acting_from = spec.active_from or date.min
        weights = spec.sector_weights
        self.segment_weight = np.array([weights.get(sec, 1.0) for sec in model.roads.sector[segments]], dtype=float)
        self.camp_weight = {c.name: weights.get(c.sector, 1.0) for c in camps}
        self._weight_by_segment = np.zeros(model.roads.n)
        self._weight_by_segment[segments] = self.segment_weight
        self._weighted_km = model.roads.length_km[segments] * self.segment_weight
        self.camp_weights_by_index = np.array([self.camp_weight.get(c.name, 0.0) for c in model.camps])
        streams = model.streams
        self.laying = streams.decision(f"{group_id}.ied_laying")
        self.ied_arrivals = Arrivals(streams.decision(f"{group_id}.ied_timing"))
        self.ambush_arrivals = Arrivals(streams.decision(f"{group_id}.ambush_timing"))
        self.fire_arrivals = Arrivals(streams.decision(f"{group_id}.indirect_fire_timing"))
        self.assault_arrivals = Arrivals(streams.decision(f"{group_id}.complex_attack_timing"))
        self.ambush_target = streams.decision(f"{group_id}.ambush_target")
        self.ambush_draws = streams.decision(f"{group_id}.ambush")
        self.fire_draws = streams.decision(f"{group_id}.indirect_fire")
        self.assault_draws = streams.decision(f"{group_id}.complex_attack")
        self.ambushes_today = self.fire_today = self.assaults_today = 0

    def segment_weight_of(self, segments: np.ndarray) -> np.ndarray:
        """Sector weights of some of the group's segments (global indices)."""
        return self._weight_by_segment[segments]

    def acting(self) -> bool:
        return self.model.today >= self._acting_from

    def learn(self, passes: np.ndarray) -> None:
        """Exponential memory of the traffic seen on its segments."""
        self.traffic *= self.memory
        self.traffic += passes[self.segments]

    def scale_capacity(self, factor: float) -> None:
        self.capacity *= factor

    def target(self, share: float) -> None:
        """An ``armed_group_targeting`` event: the share of its effort against MINUSMA from today."""
        self.share_against_minusma = share

    @property
    def effort(self) -> float:
        """Capacity directed at MINUSMA: what every rate is multiplied by."""
        return self.capacity * self.share_against_minusma

    def attrite(self, sorties: int) -> None:
        self.capacity *= (1.0 - self.spec.air_attrition_per_sortie) ** sorties

    def lay_ieds(self, air) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Segments (global indices) where devices are laid today, how many days each lasts if not met, and their
        codes (``IedField``). ``air`` is the ``AirSupport`` whose picture (``surveillance``, yesterday's) deters
        laying; it is read only on days with devices to place.

        Devices the group would lay unwatched arrive as a Poisson process at the intended rate; surveillance
        deters some (each kept with the plan's laid share: thinning, the same process as one at the reduced rate).
        The group's k-th candidate takes whether it is laid, its place and its lifetime from the laying decision's
        k-th event block (``streams.py``). In a scenario that watches other roads, the same devices therefore come
        on the same days and, unless the change concerns them, to the same places (``race``); the deterred ones
        are left out, instead of every later device moving in time."""
        intended = self._ieds_per_day * self.effort
        if intended <= 0 or len(self.segments) == 0:
            return NO_DEVICES, NO_DEVICES, []
        candidates = self.ied_arrivals.today(intended)
        if candidates == 0:                                   # most days: no plan needed (it draws nothing)
            return NO_DEVICES, NO_DEVICES, []
        s = self.spec
        laid_share, q = emplacement_plan(
            self.traffic, prior=s.traffic_prior, preference=s.traffic_preference,
            surveillance=air.surveillance[self.segments], deterrence=s.surveillance_deterrence,
            relocation=s.surveillance_relocation_share, area_weight=self.segment_weight,
        )
        segments, lifetimes, codes = [], [], []
        for _ in range(candidates):
            rng, code = self.laying.next_event_and_code(self.group_id)   # the group's k-th candidate device
            if rng.random() >= laid_share:
                continue                                      # deterred by surveillance
            segments.append(self.segments[race(rng, q)])
            lifetimes.append(lifetimes_days(rng, 1, self.model.params.ieds.decay_per_day)[0])
            codes.append(code)
        return np.array(segments, dtype=np.int64), np.array(lifetimes, dtype=np.int64), codes

    def plan_attacks(self) -> None:
        """How many shellings and assaults the group mounts today (ambushes wait for today's traffic)."""
        effort = self.effort
        self.fire_today = self.fire_arrivals.today(self._fire_per_day * effort)
        self.assaults_today = self.assault_arrivals.today(self._assaults_per_day * effort)

    def exposure_km(self, convoy_passes: np.ndarray, patrol_km_by_camp: np.ndarray) -> tuple[float, float]:
        """MINUSMA traffic in the area today, weighted by sector: (convoy-km, patrol-km). (``dot``: for two vectors
        the kernel ``@`` calls, without its ufunc overhead.)"""
        return (float(convoy_passes[self.segments].dot(self._weighted_km)),
                float(patrol_km_by_camp.dot(self.camp_weights_by_index)))

    def plan_ambushes(self, convoy_km: float, patrol_km: float) -> None:
        """Ambushes today: a Poisson process at (convoy-km x rate + patrol-km x rate) / 1000 x effort."""
        rate = (convoy_km * self._ambushes_per_convoy_km + patrol_km * self._ambushes_per_patrol_km) / 1000.0
        self.ambushes_today = self.ambush_arrivals.today(rate * self.effort)

    def end_day(self) -> None:
        self.capacity *= self.daily_growth


class TrafficMemory:
    """Exponential memories of the day's passes, each over some segments with its own memory factor (the armed
    groups' learned traffic, MINUSMA's surveillance priority), held in one array with each memory a view of its part:
    the daily update (``ArmedGroup.learn``'s operations, element by element) is two array operations for all."""

    def __init__(self, parts: list[tuple[np.ndarray, float]]):
        self.segments = np.concatenate([segments for segments, _ in parts])
        self.memory = np.concatenate([np.full(len(segments), memory) for segments, memory in parts])
        self.traffic = np.zeros(len(self.segments))
        ends = np.cumsum([len(segments) for segments, _ in parts]).tolist()
        self.parts = [self.traffic[start:end] for start, end in zip([0] + ends, ends)]

    def learn(self, passes: np.ndarray) -> None:
        """Every memory fades by its factor and adds today's ``passes`` on its segments."""
        self.traffic *= self.memory
        self.traffic += passes[self.segments]
