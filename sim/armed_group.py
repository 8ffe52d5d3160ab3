"""Armed groups: an area of operation, a capacity that can grow or be attrited, and adaptive choices.

Each day a group
- learns where MINUSMA traffic passes in its area (exponential memory over ``traffic_memory_days``);
- lays IEDs: a Poisson number at its capacity, placed on its segments with weights
  (learned traffic + prior) ^ traffic_preference x sector weight x (1 - surveillance_deterrence x surveillance); part of what
  surveillance deters is laid elsewhere (``surveillance_relocation_share``), the rest is not laid;
- plans ambushes on convoys and patrols, indirect fire on camps and complex attacks on camps (Poisson numbers at
  its capacity); camps are chosen with less surveillance and, for complex attacks, smaller garrisons preferred;
- loses capacity to close air support flown against it (``air_attrition_per_sortie``).

Choices are pure functions so they can be tested directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
DAYS_PER_WEEK = 7.0


def emplacement_plan(traffic: np.ndarray, *, prior: float, preference: float, surveillance: np.ndarray,
                     deterrence: float, relocation: float, area_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Where devices go, and what share of the intended devices is laid at all.

    Returns (laid_share, q): q is the distribution over the given segments; laid_share <= 1 is the share of the
    group's intended devices laid (the deterred ones that are not relocated are not laid).
    """
    want = np.power(traffic + prior, preference)
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


@dataclass
class AttackPlan:
    ambushes: int = 0
    indirect_fire: int = 0
    complex_attacks: int = 0


class ArmedGroup(mesa.Agent):
    """One armed group (see module docstring). ``segments`` and ``camps`` are its area of operation."""

    def __init__(self, model, group_id: str, spec, segments: np.ndarray, camps: list, rng: np.random.Generator):
        super().__init__(model)
        self.group_id = group_id
        self.spec = spec
        self.segments = segments
        self.camps = camps
        self.stream = rng
        self.capacity = 1.0
        self.traffic = np.zeros(len(segments))
        self.memory = math.exp(-1.0 / spec.traffic_memory_days)
        self.daily_growth = (1.0 + spec.capacity_growth_per_year) ** (1.0 / DAYS_PER_YEAR)
        self.plan = AttackPlan()
        weights = spec.sector_weights
        self.segment_weight = np.array([weights.get(sec, 1.0) for sec in model.roads.sector[segments]], dtype=float)
        self.camp_weight = {c.name: weights.get(c.sector, 1.0) for c in camps}

    def acting(self, today) -> bool:
        return self.spec.active_from is None or today >= self.spec.active_from

    def learn(self, passes: np.ndarray) -> None:
        """Exponential memory of the traffic seen on its segments."""
        self.traffic *= self.memory
        self.traffic += passes[self.segments]

    def scale_capacity(self, factor: float) -> None:
        self.capacity *= factor

    def attrite(self, sorties: int) -> None:
        self.capacity *= (1.0 - self.spec.air_attrition_per_sortie) ** sorties

    def lay_ieds(self, surveillance: np.ndarray) -> np.ndarray:
        """Segments (global indices) where devices are laid today."""
        s = self.spec
        intended = s.ieds_per_week / DAYS_PER_WEEK * self.capacity
        if intended <= 0 or len(self.segments) == 0:
            return np.zeros(0, dtype=np.int64)
        laid_share, q = emplacement_plan(
            self.traffic, prior=s.traffic_prior, preference=s.traffic_preference,
            surveillance=surveillance[self.segments], deterrence=s.surveillance_deterrence,
            relocation=s.surveillance_relocation_share, area_weight=self.segment_weight,
        )
        n = self.stream.poisson(intended * laid_share)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        return self.segments[self.stream.choice(len(self.segments), size=n, p=q)]

    def plan_attacks(self) -> AttackPlan:
        s, c = self.spec, self.capacity
        self.plan = AttackPlan(
            ambushes=int(self.stream.poisson(s.ambushes_per_month / DAYS_PER_MONTH * c)),
            indirect_fire=int(self.stream.poisson(s.indirect_fire_per_month / DAYS_PER_MONTH * c)),
            complex_attacks=int(self.stream.poisson(s.complex_attacks_per_year / DAYS_PER_YEAR * c)),
        )
        return self.plan

    def end_day(self) -> None:
        self.capacity *= self.daily_growth
