"""Incidents and casualties: the incident log and the casualty counts every attack and detonation goes through.

An incident (a device found or set off, an ambush, a shelling, a complex attack) is resolved by the module that
knows how (``convoy.py``, ``patrol.py``, ``attacks.py``) and then recorded here: its wounded are evacuated
(``medical.py``: time to surgery -> died of wounds), its casualties added to the day's counts and to the posture of
the camp whose personnel were hit (``posture.py``), and one row written to the incident log (``incidents.parquet``,
unless the scenario switches it off). Casualties never exceed the people exposed; the resolving module caps them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

try:    # binom and nbinom quantiles (Boost), private: where scipy.stats itself takes them from
    from scipy.special._ufuncs import _binom_ppf, _nbinom_ppf
except ImportError:   # a scipy that moved them: scipy.stats' public quantiles, the same numbers, slower
    _binom_ppf = _nbinom_ppf = None

from sim.results import Result

RESULTS = (
    Result("hostile_deaths", "persons", "Hostile deaths",
           "MINUSMA personnel killed by hostile acts: killed in action plus died of wounds.", daily=True, integer=True),
    Result("killed_in_action", "persons", "Killed in action", "Killed on the spot.", daily=True, integer=True),
    Result("died_of_wounds", "persons", "Died of wounds", "Wounded who died before or despite surgery.", daily=True,
           integer=True),
    Result("wounded", "persons", "Wounded", "Wounded, including those who later died of wounds.", daily=True,
           integer=True),
    Result("died_of_wounds_share", "share 0-1", "Share of deaths that were deaths of wounds",
           "Died of wounds / hostile deaths (compare with its sourced range in docs/validation.md).", kind="ratio",
           numerator="died_of_wounds", denominator=("hostile_deaths",)),
    Result("fatal_incidents", "incidents", "Fatal incidents", "Incidents with at least one death.", integer=True),
    Result("largest_incident_deaths", "persons", "Deaths in the deadliest incident",
           "Deaths (killed plus died of wounds) in the period's deadliest incident.", kind="max", integer=True),
    Result("deaths_ied", "persons", "Deaths by IED", "Hostile deaths from IED detonations.", integer=True),
    Result("deaths_ambush", "persons", "Deaths in ambushes", "Hostile deaths in ambushes on convoys and patrols.",
           integer=True),
    Result("deaths_indirect_fire", "persons", "Deaths by indirect fire", "Hostile deaths from rockets and mortars.",
           integer=True),
    Result("deaths_complex_attack", "persons", "Deaths in complex attacks",
           "Hostile deaths in ground assaults on camps.", integer=True),
    Result("deaths_north", "persons", "Deaths in sector North",
           "Hostile deaths among personnel of camps in sector North.", integer=True),
    Result("deaths_north_share", "share 0-1", "Share of deaths in sector North",
           "Deaths among personnel of northern camps / hostile deaths.", kind="ratio", numerator="deaths_north",
           denominator=("hostile_deaths",)),
    Result("road_casualties", "persons", "Casualties on the road",
           "Killed and wounded on convoys and patrols.", integer=True),
    Result("casualties_per_1000_km", "persons per 1,000 km", "Casualties per 1,000 km",
           "Killed and wounded on convoys and patrols per 1,000 km driven by convoys and patrols.", kind="ratio",
           numerator="road_casualties", denominator=("convoy_km", "patrol_km"), scale=1000.0),
    Result("medevac_within_1h_share", "share 0-1", "Wounded in surgery within 1 h",
           "Wounded who reached surgery within one hour / wounded.", kind="ratio",
           numerator="wounded_in_surgery_1h", denominator=("wounded",)),
    Result("medevac_within_2h_share", "share 0-1", "Wounded in surgery within 2 h",
           "Wounded who reached surgery within two hours / wounded.", kind="ratio",
           numerator="wounded_in_surgery_2h", denominator=("wounded",)),
    Result("standard_10_1_2_share", "share 0-1", "Wounded evacuated within the 10-1-2 standard",
           "Wounded reached by medical help within 1 h and in surgery within 2 h / wounded.", kind="ratio",
           numerator="wounded_10_1_2_met", denominator=("wounded",)),
)

#: incidents.parquet columns (docs/results.md): name -> (dtype, unit, description)
INCIDENT_COLUMNS: dict[str, tuple[str, str, str]] = {
    "date": ("datetime64[ns]", "date", "day of the incident"),
    "lat": ("float64", "degrees", "latitude of the place"),
    "lon": ("float64", "degrees", "longitude of the place"),
    "place": ("object", "", "road segment (leg and km) or camp"),
    "sector": ("object", "", "sector of the place"),
    "kind": ("object", "", "ied_detonation, ied_found, ambush, indirect_fire, complex_attack"),
    "group": ("object", "", "armed group whose area it is"),
    "contingent": ("object", "", "contributing country of the personnel hit"),
    "target": ("object", "", "convoy, patrol or camp"),
    "killed": ("int64", "persons", "killed in action"),
    "wounded": ("int64", "persons", "wounded (including those who died of wounds)"),
    "died_of_wounds": ("int64", "persons", "wounded who died of wounds"),
    "support_arrival_minutes": ("float64", "minutes", "minutes until close air support arrived (NaN: none)"),
    "time_to_surgery_minutes": ("float64", "minutes", "minutes from the request to surgery (NaN: no wounded or "
                                                      "never reached)"),
    "casevac_reach_minutes": ("float64", "minutes", "minutes from the request until a medevac helicopter reached the "
                                                    "wounded (by road: until surgery; NaN: no wounded)"),
    "standard_10_1_2_met": ("boolean", "", "help within 1 h and surgery within 2 h (UN 10-1-2 standard; empty: no "
                                           "wounded)"),
    "contractor_casualties": ("int64", "persons", "civilian drivers of contracted trucks killed or wounded"),
    "evacuation": ("object", "", "how the wounded reached surgery: '<provider> from <base>' by air, 'road', or "
                                 "'road (flight refused)'; empty without wounded"),
}
KINDS = ("ied_detonation", "ied_found", "ambush", "indirect_fire", "complex_attack")
DEATH_RESULT = {"ied_detonation": "deaths_ied", "ambush": "deaths_ambush", "indirect_fire": "deaths_indirect_fire",
                "complex_attack": "deaths_complex_attack"}


# Casualty counts are drawn by inverse transform, one uniform each (scipy's quantile functions). Why: two scenarios
# pairing the same incident (the same device, the same ambush) then draw the same uniform, and a lower mean gives a
# count no larger, instead of an unrelated one; and every count takes one number, so the draws after it stay in
# place whatever the mean (numpy's samplers take a varying number: streams.py).
#
# The three quantile functions below are scipy.stats' ``poisson.ppf``, ``binom.ppf`` and ``nbinom.ppf`` for scalars,
# computed with the same scipy.special functions and the same edge cases (q = 0: -1, q = 1: the upper end of the
# support, invalid arguments or q outside [0, 1]: NaN), so the same numbers to the bit; scipy.stats' own argument
# handling costs about 100 us a call (tests/test_speed_air.py compares them with scipy.stats).

def _edges(q: float, valid: bool, upper: float) -> float | None:
    """scipy.stats' ``rv_discrete.ppf`` outside (0, 1) and for invalid arguments (support starting at 0); None
    when the quantile function itself decides."""
    if not valid or not 0 <= q <= 1:
        return math.nan
    if q == 0:
        return -1.0
    if q == 1:
        return float(upper)
    return None


# Below this mean the Poisson quantile is found by walking up the distribution function (a few ``pdtr`` calls of about
# a microsecond) instead of inverting it (``pdtrik``, an iterative root search of about 30 us): casualty means are a
# few people. The walk finds the smallest k with pdtr(k) >= q, which is scipy's answer whenever ``pdtrik`` is
# accurate to its tolerance; q within _NEAR_STEP of a step of the distribution function, where that tolerance could
# tip scipy's answer, goes to scipy's own formula.
_WALK_MAX_MEAN = 30.0
_NEAR_STEP = 1e-6


def poisson_ppf(q: float, mu: float) -> float:
    """``scipy.stats.poisson.ppf(q, mu)``."""
    mu = float(mu)
    edge = _edges(q, mu >= 0, math.inf)
    if edge is not None:
        return edge
    if mu <= _WALK_MAX_MEAN:
        k, below, cdf = 0, 0.0, special.pdtr(0, mu)
        while cdf < q:
            k, below, cdf = k + 1, cdf, special.pdtr(k + 1, mu)
        if q - below > _NEAR_STEP and cdf - q > _NEAR_STEP:
            return float(k)
    vals = np.ceil(special.pdtrik(q, mu))
    vals1 = np.maximum(vals - 1, 0)
    return float(vals1 if special.pdtr(vals1, mu) >= q else vals) + 0.0


def binom_ppf(q: float, n: float, p: float) -> float:
    """``scipy.stats.binom.ppf(q, n, p)``."""
    n, p = float(n), float(p)
    edge = _edges(q, n >= 0 and (n == math.inf or n.is_integer()) and 0 <= p <= 1, n)
    if edge is not None:
        return edge
    if _binom_ppf is None:
        from scipy import stats
        return float(stats.binom.ppf(q, n, p))
    return float(_binom_ppf(q, n, p)) + 0.0


def nbinom_ppf(q: float, n: float, p: float) -> float:
    """``scipy.stats.nbinom.ppf(q, n, p)``."""
    n, p = float(n), float(p)
    edge = _edges(q, n > 0 and 0 < p <= 1, math.inf)
    if edge is not None:
        return edge
    if _nbinom_ppf is None:
        from scipy import stats
        return float(stats.nbinom.ppf(q, n, p))
    with np.errstate(over="ignore"):   # as scipy.stats (scipy gh-17432)
        return float(_nbinom_ppf(q, n, p)) + 0.0


def clustered_deaths(rng: np.random.Generator, mean: float, dispersion: float) -> int:
    """Deaths in one incident: negative binomial with mean ``mean`` and shape ``dispersion`` (k).

    The record's deaths are clustered: 3-10 fatal incidents a year, the worst with up to 10 deaths. A Poisson draw
    spreads the same mean over many one-death incidents; a small k makes most incidents harmless and a few deadly
    (variance mean + mean^2 / k).
    """
    u = rng.random()
    if mean <= 0:
        return 0
    return max(0, int(nbinom_ppf(u, dispersion, dispersion / (dispersion + mean))))


def poisson_count(rng: np.random.Generator, mean: float) -> int:
    """A Poisson count with mean ``mean`` (e.g. the wounded of an incident), from one uniform."""
    u = rng.random()
    return max(0, int(poisson_ppf(u, mean))) if mean > 0 else 0


def thinned(rng: np.random.Generator, n: int, share: float) -> int:
    """How many of ``n`` remain when each is kept with ``share`` (binomial), from one uniform."""
    u = rng.random()
    return max(0, int(binom_ppf(u, n, share))) if n > 0 and share > 0 else 0


@dataclass(frozen=True)
class Where:
    """Where an incident happened: a road segment or a camp."""

    place: str
    lat: float
    lon: float
    sector: str
    group: str          # the armed group whose area it is ("" if none)


class Incidents:
    """Records incidents: evacuates the wounded, counts the casualties, keeps the log."""

    def __init__(self, model, log: bool):
        self.model = model
        self.log = log
        self.rows: list[tuple] = []

    def record(self, *, kind: str, target: str, where: Where, contingent: str, killed: int, wounded: int, camp,
               incident: int, support: float = float("nan"), contractors: int = 0) -> int:
        """Record one incident among ``camp``'s personnel; returns its hostile deaths (killed + died of wounds).

        ``incident`` is a stable code of what happened (the device that went off, a group's k-th ambush: see
        ``incident_code``): who dies of wounds is drawn in its block, so the same incident on another day or under
        another convoy in a counterfactual has the same luck (``streams.py``)."""
        m, record = self.model, self.model.recorder
        care = m.medical.evacuate(where.lat, where.lon, wounded, m.profile(contingent).medical_capability, incident)
        deaths = killed + care.died
        record.add("killed_in_action", killed)
        record.add("died_of_wounds", care.died)
        record.add("hostile_deaths", deaths)
        record.add("wounded", wounded)
        m.posture.casualties(camp, killed + wounded)
        if deaths:
            record.add("fatal_incidents", 1)
            record.peak("largest_incident_deaths", deaths)
            if kind in DEATH_RESULT:
                record.add(DEATH_RESULT[kind], deaths)
            if camp is not None and camp.sector == "North":
                record.add("deaths_north", deaths)
        if target in ("convoy", "patrol"):
            record.add("road_casualties", killed + wounded)
        if self.log and m.recording:
            self.rows.append((m.today, where.lat, where.lon, where.place, where.sector, kind, where.group,
                              contingent, target, killed, wounded, care.died, support, care.surgery_minutes,
                              care.reach_minutes, care.standard_met, contractors, care.evacuation))
        return deaths

    def table(self) -> pd.DataFrame:
        """The incident log, one column at a time in its declared dtype (what building the frame from the rows and
        converting each column gave, at a fraction of the cost: no dtype inference)."""
        columns = list(zip(*self.rows)) if self.rows else [()] * len(INCIDENT_COLUMNS)
        data = {}
        for (name, (dtype, _, _)), values in zip(INCIDENT_COLUMNS.items(), columns):
            if dtype == "boolean":                      # nullable: None (no wounded) is missing
                data[name] = pd.array(list(values), dtype="boolean")
            elif dtype == "object":                     # kept as Python objects, not pandas' string dtype
                data[name] = pd.Series(list(values), dtype=object)
            else:                                       # numbers, and dates as datetime64[ns]
                data[name] = np.array(values, dtype=dtype)
        return pd.DataFrame(data)


def at_segment(model, s: int, group: str) -> Where:
    roads = model.roads
    return Where(roads.name[s], float(roads.lat[s]), float(roads.lon[s]), roads.sector[s], group)


def at_camp(camp, group: str) -> Where:
    return Where(camp.name, camp.lat, camp.lon, camp.sector, group)

