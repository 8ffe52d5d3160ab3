"""The road network: legs from the theatre cut into short segments, and shortest routes between places.

Why segments: threat is not uniform along a 350 km road; the IED field, the armed groups' learned traffic and air
surveillance are all numpy arrays indexed by segment. A leg of L km becomes ceil(L / segment_max_km) equal
segments; each segment knows its length, whether it is paved (speed), its midpoint and its sector (the sector of
the nearest camp, which decides which armed group operates there).

Routes are shortest paths by km on the leg graph (networkx Dijkstra), cached, and returned as arrays of segment
indices in travel order.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from sim.parameters import StrictModel, param
from sim.theatre import Theatre

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


class RoadParams(StrictModel):
    """How the road network is discretised and how fast vehicles move on it (scenario section ``roads``)."""

    segment_max_km: float = param(
        25.0, unit="km", ge=1, le=500,
        description="Road legs are cut into segments no longer than this, so that threat can differ along a road.",
        source="MODEL.md (segments of at most ~25 km)",
    )
    speed_paved_km_per_day: float = param(
        250.0, unit="km/day", gt=0,
        description="Convoy progress on paved national roads (RN*) in the dry season, halts included.",
        source="Kidal-Gao (352 km) normally a one-day drive (shared/data README); convoys slower than single vehicles",
    )
    speed_track_km_per_day: float = param(
        120.0, unit="km/day", gt=0,
        description="Convoy progress on unpaved tracks in the dry season.",
        source="assumption: about half the paved speed; Barkhane took 7 days for ~600 km Gao-Tessalit (Oct 2021)",
    )
    rainy_season_months: tuple[int, ...] = param(
        (6, 7, 8, 9), unit="month numbers",
        description="Months of the rainy season, when road moves and helicopters slow down.",
        source="MODEL.md (June-September)",
    )
    rainy_season_speed_factor: float = param(
        0.6, unit="factor", gt=0, le=1,
        description="Multiplier on road speeds in the rainy season.",
        source="Timbuktu-Ber 57 km took 51 hours in Aug 2023 (routes.csv); assumption for the average",
    )


def km_between(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (haversine); works on floats and numpy arrays."""
    if type(lat1) is float and type(lon1) is float and type(lat2) is float and type(lon2) is float:
        return _km_between_points(lat1, lon1, lat2, lon2)
    return _haversine(lat1, lon1, lat2, lon2)


@functools.lru_cache(maxsize=4096)
def _km_between_points(lat1: float, lon1: float, lat2: float, lon2: float):
    """``km_between`` of two points, memoised: air support asks for the same base-to-place distances again and again."""
    return _haversine(lat1, lon1, lat2, lon2)


def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


@dataclass
class RoadNetwork:
    """Segments as parallel arrays, plus the leg graph for routing."""

    graph: nx.Graph
    length_km: np.ndarray      # float, per segment
    paved: np.ndarray          # bool, per segment
    lat: np.ndarray            # midpoint latitude
    lon: np.ndarray            # midpoint longitude
    sector: np.ndarray         # object array of sector names
    name: list[str]
    leg_segments: dict[tuple[str, str], np.ndarray]   # (from, to) in leg order -> segment indices from 'from' to 'to'
    _routes: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    _route_km: dict[tuple[str, str], float] = field(default_factory=dict)
    _component: dict[str, int] | None = None

    @property
    def n(self) -> int:
        return len(self.length_km)

    def route(self, origin: str, destination: str) -> np.ndarray:
        """Segment indices of the shortest road route, in travel order (empty if origin == destination)."""
        key = (origin, destination)
        if key not in self._routes:
            if origin == destination:
                self._routes[key] = np.zeros(0, dtype=np.int64)
            else:
                nodes = nx.shortest_path(self.graph, origin, destination, weight="km")
                parts = [self._leg(a, b) for a, b in zip(nodes[:-1], nodes[1:])]
                self._routes[key] = np.concatenate(parts)
        return self._routes[key]

    def route_km(self, origin: str, destination: str) -> float:
        """Length of the route in km (cached with the route)."""
        key = (origin, destination)
        if key not in self._route_km:
            self._route_km[key] = float(self.length_km[self.route(origin, destination)].sum())
        return self._route_km[key]

    def part(self, origin: str, destination: str, first: int, last: int) -> tuple[np.ndarray, float]:
        """Segments ``first`` to ``last - 1`` of the route (read-only) and their km: what a convoy drives in a day
        (the convoys of a move remember the parts they drive: ``convoy.Move``)."""
        segments = self.route(origin, destination)[first:last]
        return segments, float(self.length_km[segments].sum())

    def connected(self, origin: str, destination: str) -> bool:
        """Whether a road joins two places. Asked for every convoy, so the graph's components are found once."""
        if self._component is None:
            self._component = {place: i for i, part in enumerate(nx.connected_components(self.graph)) for place in part}
        a, b = self._component.get(origin), self._component.get(destination)
        return a is not None and a == b

    def _leg(self, a: str, b: str) -> np.ndarray:
        if (a, b) in self.leg_segments:
            return self.leg_segments[(a, b)]
        return self.leg_segments[(b, a)][::-1]

    def segments_within(self, lat: float, lon: float, reach_km: float) -> np.ndarray:
        """Indices of segments whose midpoint lies within reach_km of a point."""
        return np.flatnonzero(km_between(lat, lon, self.lat, self.lon) <= reach_km)


def basic_index(segments: np.ndarray) -> slice | np.ndarray:
    """``segments`` as a slice when they are consecutive indices (a run along one leg, either way), else themselves:
    an array indexed with either reads and writes the same elements, with a slice several times faster for the
    few segments a convoy drives in a day."""
    indices, n = segments.tolist(), len(segments)
    if n:
        a = indices[0]
        if indices == list(range(a, a + n)):
            return slice(a, a + n)
        if indices == list(range(a, a - n, -1)):
            return slice(a, a - n if a >= n else None, -1)
    return segments


def build_roads(theatre: Theatre, segment_max_km: float) -> RoadNetwork:
    """Cut every theatre leg into segments of at most ``segment_max_km`` and build the routing graph."""
    places = theatre.places
    camp_names = list(theatre.camps)
    camp_lat = np.array([theatre.camps[c].lat for c in camp_names])
    camp_lon = np.array([theatre.camps[c].lon for c in camp_names])
    graph = nx.Graph()
    lengths, paved, lats, lons, sectors, names = [], [], [], [], [], []
    leg_segments: dict[tuple[str, str], np.ndarray] = {}
    for leg in theatre.legs:
        pieces = max(1, math.ceil(leg.km / segment_max_km))
        (lat_a, lon_a), (lat_b, lon_b) = places[leg.from_], places[leg.to]
        first = len(lengths)
        for i in range(pieces):
            f = (i + 0.5) / pieces
            lat, lon = lat_a + f * (lat_b - lat_a), lon_a + f * (lon_b - lon_a)
            nearest = int(np.argmin(km_between(lat, lon, camp_lat, camp_lon)))
            lengths.append(leg.km / pieces)
            paved.append(leg.paved)
            lats.append(lat)
            lons.append(lon)
            sectors.append(theatre.camps[camp_names[nearest]].sector)
            names.append(f"{leg.from_}-{leg.to} km {i * leg.km / pieces:.0f}")
        leg_segments[(leg.from_, leg.to)] = np.arange(first, first + pieces, dtype=np.int64)
        graph.add_edge(leg.from_, leg.to, km=leg.km)
    return RoadNetwork(
        graph=graph,
        length_km=np.array(lengths, dtype=float),
        paved=np.array(paved, dtype=bool),
        lat=np.array(lats),
        lon=np.array(lons),
        sector=np.array(sectors, dtype=object),
        name=names,
        leg_segments=leg_segments,
    )


def speed_km_per_day(paved: np.ndarray, rainy: bool, roads) -> np.ndarray:
    """Convoy speed on each segment: paved or track speed, times the rainy-season factor in the rainy months."""
    speed = np.where(paved, roads.speed_paved_km_per_day, roads.speed_track_km_per_day)
    return speed * roads.rainy_season_speed_factor if rainy else speed
