"""The theatre: the fixed geography and forces a scenario plays out on (camps, French bases, roads, contingents).

A theatre is data, not code: the CSV files under ``sim/theatres/<name>/`` carry every fact with its source. They
are loaded and validated like scenarios: a bad row is a ``ScenarioError`` naming the file, line and column, and a
road leg that names an unknown place is an error, not a silently missing road.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import Problem, ScenarioError

THEATRES_DIR = Path(__file__).parent / "theatres"

SECTORS = ("North", "East", "West", "Centre", "HQ")


class _Row(BaseModel):
    """A CSV row: extra columns (source, notes, confidence) are kept in the file but not needed by the model."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class Camp(_Row):
    """A MINUSMA camp as recorded: where it is and when it was open (scenarios may close it earlier)."""

    camp: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    sector: str
    role: str
    opened: date
    closed: date

    @property
    def name(self) -> str:
        return self.camp


class FrenchBase(_Row):
    """A base of Operation Barkhane; ``left_on`` is the historical date France left it."""

    base: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    country: str
    role: str
    assets: str = ""
    left_on: date

    @property
    def name(self) -> str:
        return self.base


class Place(_Row):
    """A town that is a road waypoint but not a camp."""

    place: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Leg(_Row):
    """A road leg between two places. ``road`` starting with 'RN' is a paved national road, else a track."""

    from_: str = Field(alias="from")
    to: str
    road: str
    km: float = Field(gt=0)

    @property
    def paved(self) -> bool:
        return self.road.upper().startswith("RN")


class ContingentProfile(_Row):
    """What a troop-contributing country brings: protection, counter-IED skill and medical capability (0-1)."""

    contingent: str
    vehicle_protection_share: float = Field(ge=0, le=1)
    counter_ied_training: float = Field(ge=0, le=1)
    medical_capability: float = Field(ge=0, le=1)


class _StrengthRow(_Row):
    camp: str
    year: int = Field(ge=1990, le=2100)
    troops_estimate: int = Field(ge=0)
    aviation_unit: int = Field(ge=0)
    medical_unit: int = Field(ge=0)
    contingents: str


class Hotspot(_Row):
    """Conflict events in a 0.5-degree cell and year; a relative weight for where civilians are under threat."""

    year: int
    cell_lat: float
    cell_lon: float
    kind: str
    events: int = Field(ge=0)


@dataclass(frozen=True)
class CampYear:
    """A camp's garrison in one year: troops by contingent, and whether it has an airfield unit and a surgical unit."""

    troops: dict[str, int]
    aviation_unit: bool
    medical_unit: bool


@dataclass(frozen=True)
class Theatre:
    name: str
    directory: Path
    camps: dict[str, Camp]
    french_bases: dict[str, FrenchBase]
    towns: dict[str, Place]
    legs: tuple[Leg, ...]
    contingents: dict[str, ContingentProfile]
    strength: dict[tuple[str, int], CampYear]
    hotspots: tuple[Hotspot, ...]
    border: tuple[tuple[tuple[float, float], ...], ...] = field(repr=False)

    @property
    def places(self) -> dict[str, tuple[float, float]]:
        """Every named point on the road network or in the air picture: name -> (lat, lon)."""
        points = {name: (t.lat, t.lon) for name, t in self.towns.items()}
        points.update({name: (b.lat, b.lon) for name, b in self.french_bases.items()})
        points.update({name: (c.lat, c.lon) for name, c in self.camps.items()})
        return points

    @property
    def data_window(self) -> tuple[date, date]:
        """The first and last day the theatre's data describe: the years with recorded garrisons
        (camp_strength.csv), within the camps' opening and closing dates (camps.csv). A run outside this window
        would have no camps, or garrisons made up from the nearest year, so scenarios must fit inside it."""
        years = [year for _, year in self.strength]
        first = max(date(min(years), 1, 1), min(c.opened for c in self.camps.values()))
        last = min(date(max(years), 12, 31), max(c.closed for c in self.camps.values()))
        return first, last

    def garrison(self, camp: str, year: int) -> CampYear:
        """The garrison recorded for a camp in a year, falling back to the nearest recorded year."""
        years = sorted(y for (c, y) in self.strength if c == camp)
        if not years:
            return CampYear(troops={}, aviation_unit=False, medical_unit=False)
        nearest = min(years, key=lambda y: (abs(y - year), -y))
        return self.strength[(camp, nearest)]


def _read_rows(path: Path, model: type[_Row], problems: list[Problem]) -> list:
    """Validate every row of a CSV file; collect problems with file, line and column instead of stopping."""
    if not path.is_file():
        problems.append(Problem(str(path), None, None, "", "theatre file is missing"))
        return []
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for index, raw in enumerate(reader):
            line = index + 2  # header is line 1
            try:
                rows.append(model.model_validate(raw))
            except ValidationError as error:
                for err in error.errors():
                    column = str(err["loc"][0]) if err["loc"] else ""
                    column_no = header.index(column) + 1 if column in header else None
                    problems.append(Problem(str(path), line, column_no, column, f"{err['msg']}, got {raw.get(column)!r}"))
    return rows


def _parse_contingents(text: str) -> dict[str, int]:
    """'Chad:300;Nepal:35' -> {'Chad': 300, 'Nepal': 35}; a '?' size (unknown unit) counts as 0."""
    troops: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, _, size = part.partition(":")
        troops[name.strip()] = int(size) if size.strip().isdigit() else 0
    return troops


def _read_border(path: Path) -> tuple[tuple[tuple[float, float], ...], ...]:
    geometry = json.loads(path.read_text())["features"][0]["geometry"]
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return tuple(tuple((float(x), float(y)) for x, y in polygon[0]) for polygon in polygons)


@cache
def load_theatre(name: str = "mali") -> Theatre:
    """Load and cross-check a theatre's files. Cached: theatres are read-only facts."""
    directory = THEATRES_DIR / name
    if not directory.is_dir():
        known = sorted(p.name for p in THEATRES_DIR.iterdir() if p.is_dir())
        raise ScenarioError([Problem(str(directory), None, None, "theatre", f"unknown theatre {name!r}; known: {', '.join(known)}")])
    problems: list[Problem] = []
    camps = {c.camp: c for c in _read_rows(directory / "camps.csv", Camp, problems)}
    bases = {b.base: b for b in _read_rows(directory / "french_bases.csv", FrenchBase, problems)}
    towns = {p.place: p for p in _read_rows(directory / "places.csv", Place, problems)}
    legs = _read_rows(directory / "routes.csv", Leg, problems)
    profiles = {p.contingent: p for p in _read_rows(directory / "contingents.csv", ContingentProfile, problems)}
    strength_rows = _read_rows(directory / "camp_strength.csv", _StrengthRow, problems)
    hotspots = _read_rows(directory / "hotspots.csv", Hotspot, problems)

    for camp in camps.values():
        if camp.sector not in SECTORS:
            problems.append(Problem(str(directory / "camps.csv"), None, None, "sector", f"camp {camp.camp}: unknown sector {camp.sector!r}; one of {', '.join(SECTORS)}"))
        if camp.closed < camp.opened:
            problems.append(Problem(str(directory / "camps.csv"), None, None, "closed", f"camp {camp.camp} closes before it opens"))
    road_points = set(camps) | set(towns) | set(bases)
    for index, leg in enumerate(legs):
        for end in (leg.from_, leg.to):
            if end not in road_points:
                problems.append(Problem(str(directory / "routes.csv"), index + 2, None, "from" if end == leg.from_ else "to", f"unknown place {end!r} (not a camp, French base or town in places.csv)"))
    strength: dict[tuple[str, int], CampYear] = {}
    for index, row in enumerate(strength_rows):
        troops = _parse_contingents(row.contingents)
        if row.camp not in camps:
            problems.append(Problem(str(directory / "camp_strength.csv"), index + 2, 1, "camp", f"unknown camp {row.camp!r}"))
        for contingent in troops:
            if contingent not in profiles:
                problems.append(Problem(str(directory / "camp_strength.csv"), index + 2, 7, "contingents", f"contingent {contingent!r} has no profile in contingents.csv"))
        strength[(row.camp, row.year)] = CampYear(troops, bool(row.aviation_unit), bool(row.medical_unit))
    if problems:
        raise ScenarioError(problems)
    return Theatre(
        name=name,
        directory=directory,
        camps=camps,
        french_bases=bases,
        towns=towns,
        legs=tuple(legs),
        contingents=profiles,
        strength=strength,
        hotspots=tuple(hotspots),
        border=_read_border(directory / "border.geojson"),
    )
