"""Patrols from open camps: patrol-km, exposure to IEDs near the camp, and coverage of civilian-threat hotspots.

Patrols are not individual agents (a camp sends a few a day for years); the camp's daily patrol effort is spread
over the road segments within ``patrol_reach_km`` of it, in proportion to their length. Each segment then gets a
fractional number of patrol passes; a device there is met with 1 - (1 - p_v x ied_exposure_factor)^(passes x
vehicles_per_patrol) (``ied.meet_probability``; patrols vary their routes, so they meet a given device less often
than a convoy on the main road). A device met is attributed to a
camp by its share of the passes, and the patrol's contingent drawn from that camp's garrison (decision
``patrols.ied``).

Patrol effort and reach follow the camp's posture (``posture.py``): its patrols per day, and the reach of its
patrols, are scaled by its movement factor m.

Coverage (a reported metric): the share of civilian-threat hotspots (theatre hotspots of ``hotspot_kinds`` in the
year, weighted by their number of events) within ``patrol_reach_km`` x m of an open camp, each counted at the effort
of the best-placed camp, min(1, camp patrol-km / ``reference_patrol_km_per_day``).
"""

from __future__ import annotations

import numpy as np

from sim.ied import ONE, detection_probability, detonation, meet_probability
from sim.incidents import at_segment
from sim.parameters import StrictModel, param
from sim.results import Result
from sim.roads import km_between
from sim.streams import entity_code

RESULTS = (
    Result("patrol_km", "km", "Patrol distance", "Kilometres driven by patrols.", daily=True),
    Result("patrols", "patrols", "Patrols", "Patrols sent out by open camps (fractional: the daily rate)."),
    Result("coverage", "share 0-1", "Hotspot coverage",
           "Share of civilian-threat hotspots within patrol reach of an open camp, weighted by patrol effort.",
           kind="level", daily=True),
)


class PatrolParams(StrictModel):
    """Patrols from open camps: exposure to threats, and coverage of civilian-threat hotspots."""

    patrols_per_1000_troops_per_day: float = param(
        2.0, unit="patrols/1000 troops/day", ge=0,
        description="Patrols a camp sends out per day per 1,000 troops of its garrison.", source="assumption")
    persons_per_patrol: float = param(
        30.0, unit="persons", gt=0,
        description="Personnel in one patrol: the people exposed when a patrol is ambushed or hits an IED.",
        source="assumption: a reinforced platoon in 6-8 vehicles")
    patrol_length_km: float = param(
        40.0, unit="km", gt=0, description="Distance driven by one patrol (out and back).", source="assumption")
    patrol_reach_km: float = param(
        50.0, unit="km", gt=0, description="Hotspot cells within this distance of an open camp count as covered.",
        source="assumption: a day's patrol radius")
    reference_patrol_km_per_day: float = param(
        200.0, unit="km/day", gt=0,
        description="Patrol effort at which a camp's coverage of its hotspots is full; less effort covers proportionally less.",
        source="assumption")
    vehicles_per_patrol: int = param(
        7, unit="vehicles", ge=1, description="Vehicles in one patrol (each can set off a device it drives over).",
        source="assumption: a reinforced platoon in 6-8 vehicles")
    ied_exposure_factor: float = param(
        0.25, unit="factor", ge=0, le=1,
        description="Patrols meet a given device near their camp at this fraction of a convoy vehicle's rate (they vary their routes off the main road).",
        source="assumption; prior 0.05-0.5")
    hotspot_kinds: tuple[str, ...] = param(
        ("violence_against_civilians",), unit="event kinds",
        description="Kinds of conflict events (hotspots.csv) that mark a civilian-threat hotspot.",
        source="MODEL.md (civilian-threat hotspots)")


def coverage_share(within: np.ndarray, effort: np.ndarray, weights: np.ndarray, total: float) -> float:
    """Weighted share of hotspots covered: within[c, h] (bool) x effort[c] (0-1), best camp per hotspot; ``total``
    is weights.sum() (computed once per year of hotspots). Camps by rows: the best camp is then a reduction over
    rows, which numpy does three times faster than over the short rows of the transpose."""
    if total <= 0 or within.size == 0:
        return 0.0
    covered = np.maximum.reduce(within * effort[:, None], axis=0)      # ndarray.max without its Python wrapper
    return float(covered @ weights / total)


def effort_factor(patrol_km: np.ndarray, reference_km: float) -> np.ndarray:
    """Effort of each camp as a share of full coverage effort."""
    return np.minimum(ONE, patrol_km / reference_km)


class _InReach:
    """A year's hotspots within ``reach_km`` of some camp (``hotspot``: their columns), each with the camps in reach
    of it in rows (``camp``, ``distance``; a hotspot with fewer such camps than the row count is padded with camp 0
    at an infinite distance).

    ``index[r, h]`` is the camp whose effort covers hotspot h through its row r candidate at the camps' reach last
    ``follow``ed, or the number of camps (an effort slot held at 0) if that camp does not reach it or h has no
    candidate. Patrol reach changes every day with the movement factor, but which hotspots a camp reaches only when it
    crosses one of their distances: ``follow`` rebuilds ``index`` only then."""

    def __init__(self, distance: np.ndarray, weights: np.ndarray, total: float, reach_km: float):
        near = distance <= reach_km                                      # camps x hotspots
        self.hotspot = np.flatnonzero(near.any(axis=0))
        rows = max((int(near[:, h].sum()) for h in self.hotspot), default=0)
        self.camp = np.zeros((rows, len(self.hotspot)), dtype=np.intp)
        self.distance = np.full((rows, len(self.hotspot)), np.inf)
        for j, h in enumerate(self.hotspot):
            camps = np.flatnonzero(near[:, h])
            self.camp[:len(camps), j] = camps
            self.distance[:len(camps), j] = distance[camps, h]
        self.weights, self.total = weights, total
        self.none = len(distance)                                        # the index of the zero effort slot
        self.index = np.full((rows, len(weights)), self.none, dtype=np.intp)
        self.rows = list(self.index)
        # each candidate camp's distances to its hotspots in reach, in increasing order
        self._distances = [(c, sorted(distance[c, near[c]].tolist())) for c in range(len(distance)) if near[c].any()]
        # (camp, lo, hi): ``index`` holds while each camp's reach r has lo <= r < hi (its nearest hotspot distances
        # below and above r); None until the first ``follow``
        self._bounds: list[tuple[int, float, float]] | None = None

    def follow(self, reach_km: np.ndarray) -> None:
        """Bring ``index`` up to date with the camps' reach ``reach_km``."""
        reach = reach_km.tolist()
        if self._bounds is not None:
            for c, lo, hi in self._bounds:
                if not lo <= reach[c] < hi:
                    break
            else:
                return
        within = self.distance <= reach_km[self.camp]
        self.index[:, self.hotspot] = np.where(within, self.camp, self.none)
        self._bounds = [(c, max([d for d in distances if d <= reach[c]], default=-np.inf),
                         min([d for d in distances if d > reach[c]], default=np.inf))
                        for c, distances in self._distances]


class PatrolNetwork:
    """Precomputed geometry linking camps to nearby segments and hotspots, and the day's patrols."""

    def __init__(self, model, params: PatrolParams):
        self.model = model
        self.params = p = params
        camps, roads = model.camps, model.roads
        self.length_km = roads.length_km
        self.share = np.zeros((len(camps), roads.n))      # share of a camp's patrol-km on each segment
        for i, camp in enumerate(camps):
            near = roads.segments_within(camp.lat, camp.lon, p.patrol_reach_km)
            if len(near):
                self.share[i, near] = roads.length_km[near] / roads.length_km[near].sum()
        self.near = [np.flatnonzero(self.share[i] > 0) for i in range(len(camps))]
        camp_lat = np.array([c.lat for c in camps])
        camp_lon = np.array([c.lon for c in camps])
        kinds = set(p.hotspot_kinds)
        by_year: dict[int, list] = {}
        for h in model.theatre.hotspots:
            if h.kind in kinds:
                by_year.setdefault(h.year, []).append(h)
        self.years = sorted(by_year)
        # year -> distance (camps x hotspots), weights, total weight
        self.hotspots: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
        self._hotspots_of: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}     # any year -> its data year's
        for year, rows in by_year.items():
            lat = np.array([h.cell_lat for h in rows])
            lon = np.array([h.cell_lon for h in rows])
            distance = km_between(lat[:, None], lon[:, None], camp_lat[None, :], camp_lon[None, :])
            weights = np.array([h.events for h in rows], dtype=float)
            self.hotspots[year] = (np.ascontiguousarray(distance.T), weights, weights.sum())
        # Yesterday's patrol effort by camp: ambushes (step 5) are resolved before today's patrols (step 6) go out.
        self.km_by_camp = np.zeros(len(camps))
        # patrol_length_km, patrol_reach_km and reference_patrol_km_per_day as 0-d arrays (see ied.ONE)
        self._length, self._reach = np.array(p.patrol_length_km), np.array(p.patrol_reach_km)
        self._reference = np.array(p.reference_patrol_km_per_day)
        self.coverage_today = 0.0
        # year -> the hotspots within patrol_reach_km of some camp, and those camps (_InReach): fixed geometry
        self._in_reach: dict[int, _InReach] = {}
        # today's effort by camp (effort_factor), then a last slot held at 0 for hotspots no camp covers (_InReach)
        self._efforts = np.zeros(len(camps) + 1)
        self._effort = self._efforts[:-1]
        self.ied_draws = model.streams.decision("patrols.ied")
        # a patrol vehicle's chance of meeting one device on a pass (fixed parameters)
        self._encounter = model.params.ieds.encounter_probability_per_vehicle * p.ied_exposure_factor
        self._vehicles = np.array(float(p.vehicles_per_patrol))  # vehicles_per_patrol, 0-d (ied.ONE)
        # persons of open camps (0 if closed), and the patrols they send at full tempo (persons / 1000 x rate):
        # refreshed when a camp's persons or open state differ from yesterday's (garrison changes, openings, closings)
        self._persons: list[float] = []
        self._patrols_at_full_tempo = np.zeros(len(camps))
        # the draw's entity code of each (segment, device) passed: a device lies on its segment for many days
        self._device_codes: dict[tuple[int, int], int] = {}

    def hotspots_for(self, year: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Hotspots of the year, or of the nearest year with data (the record covers 2014-2020)."""
        if year not in self._hotspots_of:
            if not self.years:
                self._hotspots_of[year] = (np.zeros((self.share.shape[0], 0)), np.zeros(0), 0.0)
            else:
                self._hotspots_of[year] = self.hotspots[min(self.years, key=lambda y: (abs(y - year), -y))]
        return self._hotspots_of[year]

    def passes(self, patrol_km: np.ndarray) -> np.ndarray:
        """Patrol passes per segment (fractional): km driven on the segment / its length."""
        return np.dot(patrol_km, self.share) / self.length_km         # np.dot: the BLAS gemv of @, less overhead

    def coverage(self, year: int, patrol_km: np.ndarray, reach_km: np.ndarray) -> float:
        """``coverage_share`` of the year's hotspots at the camps' patrol-km and reach (at most patrol_reach_km:
        the movement factor is at most 1), from the few hotspots in reach of some camp: the others are covered by
        no camp, and the same weighted sum is taken over all of them. Each hotspot's share covered is the effort of
        its best candidate camp that reaches it, or 0: picked from the efforts by ``_InReach.index``."""
        near = self._in_reach.get(year)
        if near is None:
            near = self._in_reach[year] = _InReach(*self.hotspots_for(year), self.params.patrol_reach_km)
        if near.total <= 0 or near.distance.size == 0:
            return 0.0
        near.follow(reach_km)
        effort, efforts = self._effort, self._efforts
        np.divide(patrol_km, self._reference, out=effort)              # effort_factor, in place
        np.minimum(effort, ONE, out=effort)
        rows = near.rows
        # the best candidate per hotspot: one or two rows in the theatre, where a row, or np.maximum of the two, costs
        # less than a reduction down the columns
        if len(rows) == 1:
            covered = efforts[rows[0]]
        elif len(rows) == 2:
            covered = np.maximum(efforts[rows[0]], efforts[rows[1]])
        else:
            covered = np.maximum.reduce(efforts[near.index], axis=0)
        return float(covered.dot(near.weights) / near.total)             # the ddot of covered @ weights, less overhead

    def camp_surveillance(self, camp_index: int, surveillance: np.ndarray) -> float:
        """Mean air surveillance over the segments near a camp (deters attacks on it)."""
        near = self.near[camp_index]
        # the mean as numpy's mean computes it (sum, then / count), without its Python overhead
        return float(surveillance[near].sum()) / len(near) if len(near) else 0.0

    # --- the day ----------------------------------------------------------------------------------------------
    def step(self) -> np.ndarray:
        """Today's patrols: patrol-km by camp, exposure to devices, coverage. Returns the passes per segment."""
        m, p = self.model, self.params
        factor = m.posture.camp_factor
        persons = [c.persons if c.open else 0.0 for c in m.camps]
        if persons != self._persons:
            self._persons = persons
            self._patrols_at_full_tempo = np.array(persons) / 1000.0 * p.patrols_per_1000_troops_per_day
        km = self._patrols_at_full_tempo * factor * self._length
        self.km_by_camp = km
        total = float(np.add.reduce(km))                                # km.sum() without its Python wrapper
        m.recorder.add("patrol_km", total)
        m.recorder.add("patrols", total / p.patrol_length_km)
        if total > 0:
            passes = self.passes(km)
            if m.ieds.emplaced:                                   # no device on the roads: none to meet
                self._meet_ieds(km, passes)
        else:
            passes = np.zeros(m.roads.n)
        # Coverage is only reported (recorder, and the daily data collector if any): not computed in an unrecorded
        # warm-up, else recomputed every day (the movement factor, hence patrol effort, changes on almost every day;
        # which hotspots a camp's patrols reach changes on few, _InReach.follow).
        if m.recording or m.datacollector is not None:
            self.coverage_today = self.coverage(m.year, km, self._reach * factor)
            m.recorder.set("coverage", self.coverage_today)
        return passes

    def _meet_ieds(self, patrol_km: np.ndarray, passes: np.ndarray) -> None:
        """Patrol passes near camps meet devices; each outcome is attributed to a camp by its share of the passes."""
        m, p = self.model, self.model.params
        segs = [s for s in m.ieds.occupied() if passes[s] > 0]         # patrolled segments with devices on them
        if not segs:
            return
        p_meet = meet_probability(self._encounter, passes.take(segs) * self._vehicles).tolist()
        # Who patrols each segment, and the chance a device met there is found: computed once, when the first
        # device is met (on most days none is).
        by_camp = detect = None
        record = m.recorder
        for i, s in enumerate(segs):
            # Each segment its own luck today (streams.py): which other segments were patrolled, which differs
            # between scenarios as the posture moves, does not change what is met here.
            devices = m.ieds.meet_on(s, p_meet[i],
                                     lambda code: self.ied_draws.generator(self._device_code(s, code)).random())
            if not devices:
                continue
            if by_camp is None:
                by_camp = patrol_km[:, None] * self.share[:, segs]     # camp x segment patrol-km
                detect = self._detection(segs, by_camp)
            rng = self.ied_draws.generator(s)                           # who was patrolling there
            met = len(devices)
            weights = by_camp[:, i]
            camp = m.camps[int(rng.choice(len(m.camps), p=weights / weights.sum()))]
            contingent = camp.pick_contingent(rng)
            where = at_segment(m, s, m.attacks.segment_group[s])
            record.add("ied_met", met)
            m.posture.ied_event(s, met)
            for device in devices:                                      # each device its own luck (IedField)
                luck = m.ieds.outcome(device)
                if luck.random() < detect[i]:
                    record.add("ied_found", 1)
                    m.incidents.record(kind="ied_found", target="patrol", where=where, contingent=contingent,
                                       killed=0, wounded=0, camp=camp, incident=device)
                    continue
                record.add("ied_detonated", 1)
                killed, wounded, _ = detonation(luck, p.ieds, m.profile(contingent).vehicle_protection_share,
                                                p.patrols.persons_per_patrol)
                m.incidents.record(kind="ied_detonation", target="patrol", where=where, contingent=contingent,
                                   killed=killed, wounded=wounded, camp=camp, incident=device)

    def _device_code(self, segment: int, device: int) -> int:
        """The entity code of a device passed on a segment (``streams.entity_code``, cached)."""
        code = self._device_codes.get((segment, device))
        if code is None:
            code = self._device_codes[(segment, device)] = entity_code(segment, device)
        return code

    def _detection(self, segs: list[int], by_camp: np.ndarray) -> list[float]:
        """Chance that a device met on each of ``segs`` is found: the patrols' training there (weighted by camp
        patrol-km ``by_camp``) and the segment's air surveillance."""
        m, p = self.model, self.model.params
        training = np.array([c.training for c in m.camps])
        seg_training = (training @ by_camp) / np.maximum(by_camp.sum(axis=0), 1e-12)
        return detection_probability(
            base=p.ieds.base_detection_probability, training=seg_training,
            training_bonus=p.ieds.training_detection_bonus, clearance=False, clearance_bonus=0.0,
            surveillance=m.air.surveillance[segs], surveillance_bonus=p.ieds.surveillance_detection_bonus,
            maximum=p.ieds.max_detection_probability).tolist()
