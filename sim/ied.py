"""The IED field: devices on road segments, held as one integer array over segments.

Devices are laid by armed groups (``armed_group.py`` chooses where), persist until met or lost, and are met by
convoys and patrols passing the segment. A device met is either found (and cleared) or goes off. Pure functions
give the chances; ``IedField`` applies them with the 'ieds' random stream.
"""

from __future__ import annotations

import numpy as np


def detection_probability(*, base: float, training: float, training_bonus: float, clearance: bool,
                          clearance_bonus: float, surveillance, surveillance_bonus: float, maximum: float):
    """Chance that an IED met is found before it goes off.

    base + training (0-1) x training_bonus + clearance_bonus if engineers lead + surveillance (0-1) x
    surveillance_bonus, capped at ``maximum``. ``surveillance`` may be an array over segments.
    """
    p = base + training * training_bonus + (clearance_bonus if clearance else 0.0) + np.asarray(surveillance) * surveillance_bonus
    return np.minimum(p, maximum)


def meet_probability(encounter_probability: float, passes):
    """Chance that one device on a segment is met after ``passes`` passes (fractional passes allowed)."""
    return 1.0 - np.power(1.0 - encounter_probability, passes)


def detonation_casualty_means(*, killed_mean: float, wounded_mean: float, protected: bool,
                              protection_reduction: float) -> tuple[float, float]:
    """Mean killed and wounded when a device goes off under a vehicle; a mine-protected vehicle cuts both."""
    factor = 1.0 - protection_reduction if protected else 1.0
    return killed_mean * factor, wounded_mean * factor


class IedField:
    """Devices on the road network: ``count[s]`` devices on segment s."""

    def __init__(self, n_segments: int, rng: np.random.Generator):
        self.count = np.zeros(n_segments, dtype=np.int64)
        self.rng = rng

    def lay(self, segments: np.ndarray) -> None:
        """Add one device on each listed segment (a segment may be listed several times)."""
        np.add.at(self.count, segments, 1)

    def decay(self, daily_loss: float) -> None:
        """Each device is lost (washed out, removed, recovered by others) with probability ``daily_loss`` a day."""
        if daily_loss > 0 and self.count.any():
            self.count = self.rng.binomial(self.count, 1.0 - daily_loss)

    def meet(self, segments: np.ndarray, p_meet, p_detect) -> tuple[np.ndarray, np.ndarray]:
        """Devices met on ``segments``: returns (found, detonated) per listed segment, removed from the field.

        ``p_detect`` may be a function of no arguments, evaluated only when a device is met (it is costly for
        patrols and rarely needed).
        """
        on_road = self.count[segments]
        if not on_road.any():
            zeros = np.zeros(len(segments), dtype=np.int64)
            return zeros, zeros
        met = self.rng.binomial(on_road, p_meet)
        if not met.any():
            return met, met
        found = self.rng.binomial(met, p_detect() if callable(p_detect) else p_detect)
        self.count[segments] -= met
        return found, met - found

    @property
    def emplaced(self) -> int:
        return int(self.count.sum())
