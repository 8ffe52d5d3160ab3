"""The IED field: devices on road segments, how long they last, and how they are met, found or set off.

Devices are laid by armed groups (``armed_group.py`` chooses where), persist until met or lost, and are met by
convoys and patrols passing the segment. A device met is found (and cleared) or goes off. Pure functions give the
chances; ``IedField`` holds the devices.

Why lifetimes: a device is lost (washed out, removed, recovered by others) with ``decay_per_day`` each day. Rather
than a draw over every segment every day, each device gets its lifetime when it is laid, Geometric(decay_per_day)
days (the same distribution, drawn once), and leaves the field on that day if nothing met it first. The field then
draws only when a device is laid or met, which keeps the random numbers of a day independent of how many devices
other days saw (``streams.py``) and costs nothing on quiet days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from sim.incidents import clustered_deaths, poisson_count
from sim.parameters import StrictModel, param, share
from sim.results import Result

ASSUMPTION = "assumption (calibrated or varied in sensitivity analysis)"

RESULTS = (
    Result("ied_laid", "devices", "IEDs laid", "Devices emplaced by armed groups.", daily=True, integer=True),
    Result("ied_met", "devices", "IEDs met", "Devices a convoy or patrol ran into (found or detonated).",
           integer=True),
    Result("ied_found", "devices", "IEDs found", "Devices found and cleared before they went off.", daily=True,
           integer=True),
    Result("ied_detonated", "devices", "IEDs detonated", "Devices that went off under a vehicle.", daily=True,
           integer=True),
    Result("ied_found_share", "share 0-1", "Share of IEDs met that were found",
           "IEDs found / IEDs met (found before they went off).", kind="ratio", numerator="ied_found",
           denominator=("ied_met",)),
    Result("ieds_emplaced", "devices", "IEDs on the roads", "Devices on the road network at the end of the day.",
           kind="level", daily=True),
)


class IedParams(StrictModel):
    """The IED field: devices on road segments, how they are met, found or set off, and what they do."""

    encounter_probability_per_vehicle: float = share(
        0.025, description="Chance that one vehicle driving over a segment sets off or exposes a given device on it; a convoy of v vehicles meets it with 1 - (1 - p)^v (a 20-vehicle convoy: 0.40).",
        source=ASSUMPTION)
    base_detection_probability: float = share(
        0.3, description="Chance an IED met is found before it goes off, with no training, clearance or surveillance.",
        source="prior: about half of IEDs met were found in 2021 (calibration_targets.yaml)")
    training_detection_bonus: float = share(
        0.25, description="Added detection chance at full counter-IED training (scaled by the contingent's training 0-1).",
        source=ASSUMPTION)
    clearance_detection_bonus: float = share(
        0.2, description="Added detection chance when route-clearance engineers lead the convoy.", source=ASSUMPTION)
    surveillance_detection_bonus: float = share(
        0.15, description="Added detection chance at full air surveillance of the segment.", source=ASSUMPTION)
    max_detection_probability: float = share(
        0.9, description="Ceiling on the chance of finding a device met, whatever the training, clearance and surveillance.",
        source="assumption: even the best-equipped forces miss some devices")
    decay_per_day: float = share(
        0.01, description="Daily chance that an emplaced device is lost (washed out, removed, recovered).",
        source="assumption: devices last months")
    killed_per_detonation: float = param(
        0.5, unit="persons", ge=0,
        description="Mean killed when a device goes off under an unprotected vehicle (negative binomial, see killed_dispersion).",
        source="assumption; calibrated to deaths per year and UNMAS victims (calibration_targets.yaml)")
    killed_dispersion: float = param(
        0.5, unit="negative binomial k", gt=0,
        description="Dispersion of deaths per detonation (negative binomial); smaller k = fewer fatal detonations, more deaths in each.",
        source="deaths cluster in few incidents: 3-10 fatal incidents a year, up to 10 deaths (calibration_targets.yaml)")
    wounded_per_detonation: float = param(
        3.0, unit="persons", ge=0,
        description="Mean wounded when a device goes off under an unprotected vehicle (Poisson).",
        source="about 3.6-4.3 wounded per death (calibration_targets.yaml)")
    protection_casualty_reduction: float = share(
        0.7, description="Share of casualties avoided when the vehicle hit is mine-protected.",
        source="assumption: MRAP-class vehicles cut IED lethality several-fold")


def detection_probability(*, base: float, training: float, training_bonus: float, clearance: bool,
                          clearance_bonus: float, surveillance, surveillance_bonus: float, maximum: float):
    """Chance that an IED met is found before it goes off.

    base + training (0-1) x training_bonus + clearance_bonus if engineers lead + surveillance (0-1) x
    surveillance_bonus, capped at ``maximum``. ``surveillance`` may be an array over segments.
    """
    p = base + training * training_bonus + (clearance_bonus if clearance else 0.0) + np.asarray(surveillance) * surveillance_bonus
    return np.minimum(p, maximum)


# 1 as a 0-d array: numpy applies it to small arrays faster than a Python float (the same numbers); patrol.py too
ONE = np.array(1.0)


def meet_probability(encounter_probability: float, passes):
    """Chance that one device on a segment is met after ``passes`` passes (fractional passes allowed)."""
    return ONE - np.power(1.0 - encounter_probability, passes)


def detonation_casualty_means(*, killed_mean: float, wounded_mean: float, protected: bool,
                              protection_reduction: float) -> tuple[float, float]:
    """Mean killed and wounded when a device goes off under a vehicle; a mine-protected vehicle cuts both."""
    factor = 1.0 - protection_reduction if protected else 1.0
    return killed_mean * factor, wounded_mean * factor


def detonation(rng: np.random.Generator, params: IedParams, protection: float, exposed: float) -> tuple[int, int, bool]:
    """A device goes off under a vehicle: (killed, wounded, whether the vehicle was mine-protected).

    The vehicle is protected with the contingent's protection share; killed ~ NegBin(mean, k) and wounded ~
    Poisson(mean), both cut by protection and capped by the people exposed."""
    protected = bool(rng.random() < protection)
    k_mean, w_mean = detonation_casualty_means(killed_mean=params.killed_per_detonation,
                                               wounded_mean=params.wounded_per_detonation, protected=protected,
                                               protection_reduction=params.protection_casualty_reduction)
    killed = min(clustered_deaths(rng, k_mean, params.killed_dispersion), int(exposed))
    wounded = min(poisson_count(rng, w_mean), int(exposed) - killed)
    return killed, wounded, protected


def lifetimes_days(rng: np.random.Generator, n: int, daily_loss: float) -> np.ndarray:
    """Days each of ``n`` new devices stays on the road if nothing meets it: Geometric(daily_loss), >= 1
    (a huge number when devices never decay)."""
    if daily_loss <= 0:
        return np.full(n, np.iinfo(np.int64).max // 4, dtype=np.int64)
    return rng.geometric(daily_loss, size=n).astype(np.int64)


class IedField:
    """Devices on the road network: ``count[s]`` devices on segment s, each with the day it would decay and a stable
    code (who laid it, and as which of their devices).

    Devices on one segment are interchangeable: lifetimes are memoryless, so which of a segment's devices is met
    does not change how long the others last; the field removes the one laid first.

    What a device does when met (found, or how many it kills) comes from its own block of the decision
    ``ieds.device`` (``outcome``, ``streams.py``): the same device has the same luck whichever convoy or patrol
    meets it, on whatever day. A counterfactual that holds a convoy a day, or deters a device onto another road,
    then changes who is hit, not how hard."""

    def __init__(self, n_segments: int, params: IedParams, outcomes):
        self.params = params
        self.outcomes = outcomes                                              # the decision ieds.device
        self.count = np.zeros(n_segments, dtype=np.int64)
        self._emplaced = 0                                                    # count.sum(), kept as devices come and go
        self._on_segment: list[list[int]] = [[] for _ in range(n_segments)]   # device ids, oldest first
        self._occupied: set[int] = set()                                      # segments with a device, kept as count
        self._segment: list[int] = []
        self._code: list[int] = []
        self._alive: list[bool] = []
        self._expiring: dict[int, list[int]] = defaultdict(list)              # day -> device ids

    def lay(self, segments: np.ndarray, lifetimes: np.ndarray, codes: list[int], day: int) -> None:
        """Add one device on each listed segment (a segment may be listed several times) lasting the given days
        (``lifetimes_days``) unless met; ``codes`` name the devices (``streams.entity_code``)."""
        for s, life, code in zip(segments.tolist(), lifetimes.tolist(), codes):
            device = len(self._segment)
            self._segment.append(s)
            self._code.append(code)
            self._alive.append(True)
            self._on_segment[s].append(device)
            self._occupied.add(s)
            self._expiring[day + life].append(device)
            self.count[s] += 1
            self._emplaced += 1

    def outcome(self, code: int) -> np.random.Generator:
        """The random numbers of what the device ``code`` does when met (found or not, casualties)."""
        return self.outcomes.event(code)

    def decay(self, day: int) -> None:
        """Remove the devices whose lifetime ends today."""
        for device in self._expiring.pop(day, ()):
            if self._alive[device]:
                self._remove(device)

    def _remove(self, device: int) -> None:
        s = self._segment[device]
        self._alive[device] = False
        on_segment = self._on_segment[s]
        on_segment.remove(device)
        if not on_segment:
            self._occupied.discard(s)
        self.count[s] -= 1
        self._emplaced -= 1

    def meet_on(self, segment: int, p_meet: float, uniform: Callable[[int], float]) -> list[int]:
        """Devices met on one segment by one passage: those whose number ``uniform(code)`` (the passage's draw for
        that device) is below ``p_meet``. Returns their codes, removed from the field (the caller draws what each
        does from ``outcome``).

        A number per device, not a count for the segment: whether the passage meets device A does not depend on
        which other devices lie there (in a counterfactual that deters device B onto another road, A is met or
        missed as before)."""
        met = [device for device in self._on_segment[segment] if uniform(self._code[device]) < p_meet]
        for device in met:
            self._remove(device)
        return [self._code[device] for device in met]

    def occupied(self) -> list[int]:
        """The segments with devices on them, in increasing order (those where ``count`` is not 0)."""
        return sorted(self._occupied)

    @property
    def emplaced(self) -> int:
        return self._emplaced

    @property
    def laid(self) -> int:
        """Devices laid since the run began (warm-up included)."""
        return len(self._segment)
