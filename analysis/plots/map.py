"""The theatre map: Mali's border, camps sized by garrison and marked open or closed at the end of the window,
French bases, roads coloured by IED density, and the incidents of one replication by kind and severity.

Geography comes from ``sim.theatre`` (the same data the model ran on). Garrisons are not in the result files, so
camps are sized by the theatre's recorded strength for the final year of the window (scaled by the scenario's
``camps.strength_scale`` when set). IED density counts incidents of kind ``ied_*`` of all replications, each
snapped to the nearest road leg, per 100 km of road and per year, averaged over replications.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pyarrow.compute as pc
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from analysis.plots.style import A4_LANDSCAPE, figure_style, finish
from analysis.results import Batch

KIND_MARKERS = {
    "ied_detonation": ("X", "#c00000", "IED detonation"),
    "ied_found": ("P", "#7f7f7f", "IED found and cleared"),
    "ambush": ("^", "#ed7d31", "Ambush"),
    "indirect_fire": ("s", "#7030a0", "Indirect fire"),
    "complex_attack": ("*", "#000000", "Complex attack"),
}
KM_PER_DEG = 111.32


def _theatre(batch: Batch):
    from sim.theatre import load_theatre

    return load_theatre(str(batch.scenario.get("theatre") or "mali"))


def _events(batch: Batch, action: str) -> list[dict]:
    events = batch.scenario.get("events") or {}
    items = events.values() if isinstance(events, dict) else events
    return [e for e in items if isinstance(e, dict) and e.get("action") == action]


def _before(value, end: date) -> bool:
    return value is not None and date.fromisoformat(str(value)[:10]) <= end


def camp_states(batch: Batch, theatre) -> list[dict]:
    """Camps relevant to the window: name, lat, lon, troops (final year of window), open at the end or not."""
    start, end = batch.window
    end = end or date.today()
    start = start or end
    closes = {e.get("camp"): e.get("date") for e in _events(batch, "camp_closes")}
    scale = float((batch.scenario.get("camps") or {}).get("strength_scale") or 1.0)
    out = []
    for name, camp in theatre.camps.items():
        closed_on = camp.closed
        if name in closes and _before(closes[name], date.max):
            closed_on = min(closed_on, date.fromisoformat(str(closes[name])[:10]))
        if camp.opened > end or closed_on < start:
            continue  # never open during the window
        troops = sum(theatre.garrison(name, end.year).troops.values()) * scale
        out.append({"name": name, "lat": camp.lat, "lon": camp.lon, "troops": troops,
                    "open": closed_on > end, "sector": camp.sector})
    return out


def _point_segment_km(lat, lon, a, b):
    """Distance (km, equirectangular) from points to the segment a-b, each (lat, lon)."""
    k = math.cos(math.radians((a[0] + b[0]) / 2))
    ax_, ay = a[1] * k, a[0]
    bx, by = b[1] * k, b[0]
    px, py = np.asarray(lon) * k, np.asarray(lat)
    dx, dy = bx - ax_, by - ay
    t = np.clip(((px - ax_) * dx + (py - ay) * dy) / max(dx * dx + dy * dy, 1e-12), 0, 1)
    return np.hypot(px - (ax_ + t * dx), py - (ay + t * dy)) * KM_PER_DEG


def ied_density(batch: Batch, theatre) -> list[dict]:
    """Per road leg: endpoints, km, and IED incidents per 100 km per year (mean over replications)."""
    places = theatre.places
    legs = [leg for leg in theatre.legs if leg.from_ in places and leg.to in places]
    frame = batch.read("incidents", ["lat", "lon", "kind"],
                       filter=pc.starts_with(pc.field("kind"), "ied_")) if batch.has_table("incidents") else None
    counts = np.zeros(len(legs))
    if frame is not None and len(frame) and legs:
        d = np.vstack([_point_segment_km(frame["lat"], frame["lon"], places[l.from_], places[l.to]) for l in legs])
        counts = np.bincount(d.argmin(axis=0), minlength=len(legs)).astype(float)
    start, end = batch.window
    years = ((end - start).days + 1) / 365.25 if start and end else 1.0
    runs = max(batch.n_ok, 1)
    return [{"from": l.from_, "to": l.to, "a": places[l.from_], "b": places[l.to], "km": l.km,
             "per_100km_year": c / runs / years / (l.km / 100)} for l, c in zip(legs, counts)]


def _first_run_incidents(batch: Batch):
    if not batch.has_table("incidents"):
        return None, None
    runs = batch.read("incidents", ["run"], filter=pc.field("point") == 0)["run"]
    if runs.empty:
        return None, None
    first = int(runs.min())
    cols = ["lat", "lon", "kind", "killed", "wounded"]
    return batch.read("incidents", cols, filter=(pc.field("point") == 0) & (pc.field("run") == first)), first


def _draw_panel(ax, batch: Batch, theatre, norm, cmap):
    for ring in theatre.border:
        xs, ys = zip(*ring)
        ax.fill(xs, ys, facecolor="#f4f1ea", edgecolor="#404040", linewidth=1.0, zorder=0)
    legs = ied_density(batch, theatre)
    segments = [[(l["a"][1], l["a"][0]), (l["b"][1], l["b"][0])] for l in legs]
    roads = LineCollection(segments, cmap=cmap, norm=norm, linewidths=3, zorder=1)
    roads.set_array(np.array([l["per_100km_year"] for l in legs]))
    ax.add_collection(roads)
    camps = camp_states(batch, theatre)
    end = batch.window[1] or date.today()
    for c in camps:
        size = 15 + c["troops"] / 25
        ax.scatter(c["lon"], c["lat"], s=size, marker="o", zorder=3, linewidths=1.2,
                   facecolor="#2e75b6" if c["open"] else "none", edgecolor="#1f4e79", alpha=0.8)
        ax.annotate(c["name"], (c["lon"], c["lat"]), xytext=(4, 4), textcoords="offset points", fontsize=9, zorder=5)
    left = {e.get("base"): e.get("date") for e in _events(batch, "french_base_left")}
    for name, base in theatre.french_bases.items():
        left_on = min(base.left_on, date.fromisoformat(str(left[name])[:10])) if name in left else base.left_on
        present = left_on > end
        ax.scatter(base.lon, base.lat, s=60, marker="D", zorder=4, linewidths=1.2,
                   facecolor="#00205b" if present else "none", edgecolor="#00205b")
        if name not in theatre.camps:
            ax.annotate(name, (base.lon, base.lat), xytext=(4, -10), textcoords="offset points", fontsize=9)
    incidents, first = _first_run_incidents(batch)
    if incidents is not None:
        for kind, (marker, col, _label) in KIND_MARKERS.items():
            sub = incidents[incidents["kind"] == kind]
            if len(sub):
                ax.scatter(sub["lon"], sub["lat"], s=10 + 8 * (sub["killed"] + sub["wounded"]), marker=marker,
                           color=col, alpha=0.6, linewidths=0.5, zorder=2)
    ax.set_aspect(1 / math.cos(math.radians(17)))
    ax.set_xlabel("Longitude (degrees east)")
    ax.set_ylabel("Latitude (degrees north)")
    ax.grid(False)
    start = batch.window[0]
    ax.set_title(f"{batch.name}, {start} to {end}" + (f"\nincidents of run {first}" if first is not None else ""),
                 fontsize=10)
    return roads


def plot_map(batches: Sequence[Batch], metric: str | None = None):
    """One panel per scenario (up to four)."""
    batches = list(batches)[:4]
    theatre = _theatre(batches[0])
    densities = [l["per_100km_year"] for b in batches for l in ied_density(b, theatre)]
    vmax = max(densities + [0.1])
    norm = plt.Normalize(0, vmax)
    cmap = plt.get_cmap("YlOrRd")
    with figure_style():
        n = len(batches)
        fig = plt.figure(figsize=A4_LANDSCAPE)
        width = 0.60 / n
        axes = [fig.add_axes((0.07 + i * width, 0.20, width - 0.05 * (n > 1), 0.68)) for i in range(n)]
        for ax, batch in zip(axes, batches):
            roads = _draw_panel(ax, batch, theatre, norm, cmap)
        cax = fig.add_axes((0.70, 0.24, 0.26, 0.025))
        bar = fig.colorbar(roads, cax=cax, orientation="horizontal")
        bar.set_label("IED incidents per 100 km\nof road per year")
        handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor="#2e75b6", markeredgecolor="#1f4e79",
                          markersize=8, label="Camp open at end\n(size: garrison)"),
                   Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor="#1f4e79",
                          markersize=8, label="Camp closed by end"),
                   Line2D([], [], marker="D", linestyle="", markerfacecolor="#00205b", markeredgecolor="#00205b",
                          markersize=7, label="French base\n(hollow: left by end)")]
        handles += [Line2D([], [], marker=m, linestyle="", color=c, markersize=7, label=label)
                    for m, c, label in KIND_MARKERS.values()]
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.69, 0.90), frameon=False, fontsize=9,
                   title="Legend (incidents sized by killed + wounded)", title_fontsize=9)
        title = "Theatre: camps, French bases, IED density on roads and incidents"
        note = ("Camp size: recorded garrison in the window's final year x camps.strength_scale. IED density: "
                "all replications,\nincidents snapped to the nearest road leg.")
        fig.suptitle(title, fontweight="bold")
        from analysis.plots.style import source_note

        fig.text(0.01, 0.01, note + "\n" + source_note(batches, "incidents.parquet, manifest.json, sim/theatres"),
                 fontsize=9, color="#404040", ha="left", va="bottom", wrap=True)
    return fig
