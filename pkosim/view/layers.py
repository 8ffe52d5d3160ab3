"""What the map draws once: the border, the road segments, the camps' and French bases' places.

Built from a model's theatre and road network when the model is built (read-only) and sent to the browser once;
each day's update then refers to camps, bases and road segments by their index here.
"""

from __future__ import annotations

from pkosim.view.projection import Projection, fit


def border_paths(border, projection: Projection) -> list[str]:
    """SVG path data, one closed path per polygon ring of the border."""
    paths = []
    for ring in border:
        points = [projection.xy(lat, lon) for lon, lat in ring]
        paths.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points) + " Z")
    return paths


def segment_lines(theatre, roads, projection: Projection) -> list[list[float]]:
    """Each road segment as [x1, y1, x2, y2] from the start of its leg's piece to its end (legs are straight
    between their places and cut into equal pieces, ``sim/roads.py``), indexed like the model's segment arrays."""
    places = theatre.places
    lines: list[list[float]] = [[0.0, 0.0, 0.0, 0.0] for _ in range(roads.n)]
    for (a, b), segments in roads.leg_segments.items():
        (lat_a, lon_a), (lat_b, lon_b) = places[a], places[b]
        pieces = len(segments)
        for i, s in enumerate(segments):
            f0, f1 = i / pieces, (i + 1) / pieces
            x1, y1 = projection.xy(lat_a + f0 * (lat_b - lat_a), lon_a + f0 * (lon_b - lon_a))
            x2, y2 = projection.xy(lat_a + f1 * (lat_b - lat_a), lon_a + f1 * (lon_b - lon_a))
            lines[int(s)] = [x1, y1, x2, y2]
    return lines


def static_layer(model) -> dict:
    """The map's fixed layer for one model: projection, border, road segments, camps and French bases."""
    theatre, roads = model.theatre, model.roads
    projection = fit(theatre.border)
    west, east = projection.lon0, projection.lon0 + projection.width / projection.kx
    south = projection.lat0 - projection.height / projection.ky

    def on_map(lat: float, lon: float) -> bool:
        return west <= lon <= east and south <= lat <= projection.lat0

    camps = []
    for camp in model.camps:
        x, y = projection.xy(camp.lat, camp.lon)
        camps.append({"name": camp.name, "lat": camp.lat, "lon": camp.lon, "x": x, "y": y, "sector": camp.sector})
    bases = []
    for base in theatre.french_bases.values():
        if on_map(base.lat, base.lon):
            x, y = projection.xy(base.lat, base.lon)
            bases.append({"name": base.name, "lat": base.lat, "lon": base.lon, "x": x, "y": y,
                          "country": base.country})
    return {
        "projection": projection.as_dict(),
        "border": border_paths(theatre.border, projection),
        "segments": segment_lines(theatre, roads, projection),
        "segment_names": list(roads.name),
        "camps": camps,
        "bases": bases,
    }
