"""Longitude and latitude to map coordinates: an equirectangular projection fitted to the theatre's border.

x grows east and y grows south (SVG), both in map units; one degree of longitude is cos(mid-latitude) of a degree
of latitude, so that shapes keep their proportions near the middle of the map (Mali spans 10-25 degrees north, where
the error at the edges is under 10%). A projection is plain data: the browser and the tests can apply it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAP_WIDTH = 800.0     # map units across the border's extent plus margins (the SVG viewBox)
MARGIN_DEGREES = 0.5  # space around the border


@dataclass(frozen=True)
class Projection:
    """x = (lon - lon0) * kx, y = (lat0 - lat) * ky."""

    lon0: float
    lat0: float
    kx: float
    ky: float
    width: float
    height: float

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return round((lon - self.lon0) * self.kx, 2), round((self.lat0 - lat) * self.ky, 2)

    def as_dict(self) -> dict[str, float]:
        return {"lon0": self.lon0, "lat0": self.lat0, "kx": self.kx, "ky": self.ky, "width": self.width,
                "height": self.height}


def fit(border: tuple[tuple[tuple[float, float], ...], ...], width: float = MAP_WIDTH) -> Projection:
    """The projection that puts the border's extent (plus a margin) into ``width`` map units."""
    lons = [lon for ring in border for lon, _ in ring]
    lats = [lat for ring in border for _, lat in ring]
    west, east = min(lons) - MARGIN_DEGREES, max(lons) + MARGIN_DEGREES
    south, north = min(lats) - MARGIN_DEGREES, max(lats) + MARGIN_DEGREES
    shrink = math.cos(math.radians((south + north) / 2))
    kx = width / (east - west)
    ky = kx / shrink
    return Projection(lon0=west, lat0=north, kx=kx, ky=ky, width=width, height=round((north - south) * ky, 2))
