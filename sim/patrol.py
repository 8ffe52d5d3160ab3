"""Patrols from open camps: patrol-km, exposure to IEDs near the camp, and coverage of civilian-threat hotspots.

Patrols are not individual agents (a camp sends a few a day for years); the camp's daily patrol effort is spread
over the road segments within ``patrol_reach_km`` of it, in proportion to their length. Each segment then gets a
fractional number of patrol passes; a device there is met with ``meet_probability(p x ied_exposure_factor,
passes)`` (patrols vary their routes and move in fewer vehicles than convoys).

Coverage (a reported metric): the share of civilian-threat hotspots (theatre hotspots of ``hotspot_kinds`` in the
year, weighted by their number of events) within ``patrol_reach_km`` of an open camp, each counted at the effort
of the best-placed camp, min(1, camp patrol-km / ``reference_patrol_km_per_day``).
"""

from __future__ import annotations

import numpy as np

from sim.roads import km_between


def coverage_share(within: np.ndarray, effort: np.ndarray, weights: np.ndarray) -> float:
    """Weighted share of hotspots covered: within[h, c] (bool) x effort[c] (0-1), best camp per hotspot."""
    total = weights.sum()
    if total <= 0 or within.size == 0:
        return 0.0
    covered = (within * effort[None, :]).max(axis=1)
    return float(covered @ weights / total)


def effort_factor(patrol_km: np.ndarray, reference_km: float) -> np.ndarray:
    """Effort of each camp as a share of full coverage effort."""
    return np.minimum(1.0, patrol_km / reference_km)


class PatrolNetwork:
    """Precomputed geometry linking camps to nearby segments and hotspots."""

    def __init__(self, camps: list, roads, theatre, params):
        p = params.patrols
        self.params = p
        n_seg = roads.n
        self.length_km = roads.length_km
        self.share = np.zeros((len(camps), n_seg))      # share of a camp's patrol-km on each segment
        for i, camp in enumerate(camps):
            near = roads.segments_within(camp.lat, camp.lon, p.patrol_reach_km)
            if len(near):
                self.share[i, near] = roads.length_km[near] / roads.length_km[near].sum()
        self.near = self.share > 0
        camp_lat = np.array([c.lat for c in camps])
        camp_lon = np.array([c.lon for c in camps])
        kinds = set(p.hotspot_kinds)
        by_year: dict[int, list] = {}
        for h in theatre.hotspots:
            if h.kind in kinds:
                by_year.setdefault(h.year, []).append(h)
        self.years = sorted(by_year)
        self.hotspots: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for year, rows in by_year.items():
            lat = np.array([h.cell_lat for h in rows])
            lon = np.array([h.cell_lon for h in rows])
            within = km_between(lat[:, None], lon[:, None], camp_lat[None, :], camp_lon[None, :]) <= p.patrol_reach_km
            self.hotspots[year] = (within.astype(float), np.array([h.events for h in rows], dtype=float))

    def hotspots_for(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """Hotspots of the year, or of the nearest year with data (the record covers 2014-2020)."""
        if not self.years:
            return np.zeros((0, self.share.shape[0])), np.zeros(0)
        nearest = min(self.years, key=lambda y: (abs(y - year), -y))
        return self.hotspots[nearest]

    def passes(self, patrol_km: np.ndarray) -> np.ndarray:
        """Patrol passes per segment (fractional): km driven on the segment / its length."""
        return (patrol_km @ self.share) / self.length_km

    def coverage(self, year: int, patrol_km: np.ndarray) -> float:
        within, weights = self.hotspots_for(year)
        return coverage_share(within, effort_factor(patrol_km, self.params.reference_patrol_km_per_day), weights)
