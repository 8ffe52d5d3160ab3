"""The theatre map: Mali's border, camps sized by garrison and marked open or closed at the end of the window,
French bases, roads coloured by IED density, and the incidents of one replication by kind and severity.

Geography comes from ``sim.theatre`` (the same data the model ran on). Garrisons are not in the result files, so
camps are sized by the theatre's recorded strength for the final year of the window (scaled by the scenario's
``camps.strength_scale`` when set). IED density counts incidents of kind ``ied_*`` of all replications, each
snapped to the nearest road leg, per 100 km of road and per year, averaged over replications.

Layout (A4 landscape): one row of panels titled "scenario / window"; a single map takes the page's height with the
legend, colour bar and note beside it, several maps have the legend and colour bar under them. Place labels are
placed once for all panels (same position in each) without overlaps, with leader lines where a cluster is
crowded; a French base at a camp is drawn touching the camp so the place has one label. Maps narrower than
``SHORT_BELOW_IN`` (three or four panels) use three-letter place codes, with the key in the note.
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
from matplotlib.transforms import offset_copy

from analysis.plots.labels import annotate, solve_labels, unit
from analysis.plots.style import A4_LANDSCAPE, MIN_FONT, figure_style, source_note
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


# Camp and base labels (placed by ``analysis.plots.labels``): preferred direction (east, north) for the camps and
# bases of the crowded clusters (Timbuktu / Goundam / Ber, Gao / Ansongo / Menaka / Gossi, Mopti-Sevare /
# Douentza, Kidal / Aguelhok / Tessalit) and a few others. A French base at a camp is drawn touching the camp,
# opposite the camp's label, so that the place has one label.
LABEL_DIRECTION = {
    "Timbuktu": (0, 1), "Goundam": (-1, -1), "Ber": (1, 1),
    "Gao": (1, 1), "Ansongo": (0, -1), "Menaka": (1, 1), "Gossi": (-1, -1),
    "Mopti-Sevare": (-1, -1), "Douentza": (1, -1),
    "Kidal": (1, 0), "Aguelhok": (-1, 0), "Tessalit": (1, 0),
    "Bamako": (1, 0), "Diabaly": (-1, 1), "Lere": (-1, 0), "Niamey": (0, -1),
}
CAMP_EDGE, CAMP_FILL, FRENCH = "#1f4e79", "#2e75b6", "#00205b"
MAP_MARGIN_DEG = 0.35
ASPECT = 1 / math.cos(math.radians(17))  # degrees of latitude per degree of longitude on paper, at 17 N
# On maps narrower than SHORT_BELOW_IN inches (three or four panels) full names cannot all fit at 9 pt without a
# thicket of leader lines, so places are labelled with these codes and the key goes in the note under the maps.
SHORT_BELOW_IN = 2.8
PLACE_CODES = {
    "Bamako": "BKO", "Gao": "GAO", "Kidal": "KDL", "Tessalit": "TSL", "Aguelhok": "AGH", "Timbuktu": "TBK",
    "Ber": "BER", "Goundam": "GDM", "Lere": "LRE", "Mopti-Sevare": "MPT", "Douentza": "DTZ", "Ansongo": "ASG",
    "Menaka": "MNK", "Gossi": "GSI", "Diabaly": "DBL", "Niamey": "NIM",
}


def _union(panels: list[tuple[list, list]]) -> tuple[list, list]:
    """Places and markers of all panels: each place once (largest marker), every distinct marker."""
    items, markers = {}, {}
    for labels, marks in panels:
        for it in labels:
            if it["name"] not in items or it["r"] > items[it["name"]]["r"]:
                items[it["name"]] = dict(it)
        for m in marks:
            key = tuple(round(v, 3) for v in m[:4])
            markers[key] = max(markers.get(key, m), m, key=lambda x: x[4])
    return list(items.values()), list(markers.values())


def _extent(theatre):
    """Mali's border and every French base (Niamey), with a small margin."""
    lons = [p[0] for ring in theatre.border for p in ring] + [b.lon for b in theatre.french_bases.values()]
    lats = [p[1] for ring in theatre.border for p in ring] + [b.lat for b in theatre.french_bases.values()]
    m = MAP_MARGIN_DEG
    return (min(lons) - m, max(lons) + m), (min(lats) - m, max(lats) + m)


def _window_text(batch: Batch) -> str:
    start, end = batch.window
    end = end or date.today()

    def fmt(d):
        return f"{d.day} {d:%b %Y}" if d else "start"

    return f"{fmt(start)} – {fmt(end)}"


def _draw_panel(ax, batch: Batch, theatre, norm, cmap, marker_scale: float = 1.0):
    """Draw one scenario; returns the road collection (for the colour bar), the run whose incidents are shown, and
    the places to label and the markers their labels must avoid (see ``analysis.plots.labels.solve_labels``)."""
    for ring in theatre.border:
        xs, ys = zip(*ring)
        ax.fill(xs, ys, facecolor="#f4f1ea", edgecolor="#404040", linewidth=1.0, zorder=0)
    legs = ied_density(batch, theatre)
    segments = [[(l["a"][1], l["a"][0]), (l["b"][1], l["b"][0])] for l in legs]
    roads = LineCollection(segments, cmap=cmap, norm=norm, linewidths=3, zorder=1, capstyle="round")
    roads.set_array(np.array([l["per_100km_year"] for l in legs]))
    ax.add_collection(roads)
    (x0, x1), (y0, y1) = _extent(theatre)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(ASPECT, adjustable="box")
    end = batch.window[1] or date.today()
    camps = {c["name"]: c for c in camp_states(batch, theatre)}
    labels, markers = [], []
    for c in camps.values():
        size = (15 + c["troops"] / 25) * marker_scale
        c["r"] = math.sqrt(size) / 2 + 0.6  # + half the edge line
        ax.scatter(c["lon"], c["lat"], s=size, marker="o", zorder=3, linewidths=1.2,
                   facecolor=CAMP_FILL if c["open"] else "white", edgecolor=CAMP_EDGE, alpha=0.85)
        labels.append({"name": c["name"], "lon": c["lon"], "lat": c["lat"], "r": c["r"], "marker": len(markers)})
        markers.append((c["lon"], c["lat"], 0, 0, c["r"]))
    left = {e.get("base"): e.get("date") for e in _events(batch, "french_base_left")}
    size_d = 22 * max(marker_scale, 0.6)  # a 'D' marker spans about 1.2 sqrt(s) points corner to corner
    r_d = 0.6 * math.sqrt(size_d) + 0.5
    for name, base in theatre.french_bases.items():
        left_on = min(base.left_on, date.fromisoformat(str(left[name])[:10])) if name in left else base.left_on
        style = dict(s=size_d, marker="D", zorder=4, linewidths=1.1, edgecolor=FRENCH,
                     facecolor=FRENCH if left_on > end else "white")
        if name in camps:  # beside the camp of the same name, touching it, away from its label: one label
            camp = camps[name]
            ux, uy = unit(LABEL_DIRECTION.get(name, (1, 0)))
            dx, dy = -ux * (camp["r"] + r_d * 0.7), -uy * (camp["r"] + r_d * 0.7)
            ax.scatter(camp["lon"], camp["lat"], **style,
                       transform=offset_copy(ax.transData, fig=ax.figure, x=dx, y=dy, units="points"))
            markers.append((camp["lon"], camp["lat"], dx, dy, r_d))
        else:
            ax.scatter(base.lon, base.lat, **style)
            labels.append({"name": name, "lon": base.lon, "lat": base.lat, "r": r_d, "marker": len(markers)})
            markers.append((base.lon, base.lat, 0, 0, r_d))
    incidents, first = _first_run_incidents(batch)
    if incidents is not None:
        for kind, (marker, col, _label) in KIND_MARKERS.items():
            sub = incidents[incidents["kind"] == kind]
            if len(sub):
                ax.scatter(sub["lon"], sub["lat"], s=(10 + 8 * (sub["killed"] + sub["wounded"])) * marker_scale,
                           marker=marker, color=col, alpha=0.6, linewidths=0.5, zorder=2)
    ax.set_xlabel("Longitude (degrees east)")
    ax.set_ylabel("Latitude (degrees north)")
    ax.grid(False)
    ax.set_title(f"{batch.name}\n{_window_text(batch)}", fontsize=10, linespacing=1.3, pad=5)
    return roads, first, labels, markers


def _legend_handles():
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=CAMP_FILL, markeredgecolor=CAMP_EDGE,
                      markersize=8, label="Camp open at end\n(size: garrison)"),
               Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor=CAMP_EDGE,
                      markersize=8, label="Camp closed by end"),
               Line2D([], [], marker="D", linestyle="", markerfacecolor=FRENCH, markeredgecolor=FRENCH,
                      markersize=6, label="French base\n(hollow: left by end)")]
    return handles + [Line2D([], [], marker=m, linestyle="", color=c, markersize=7, label=label)
                      for m, c, label in KIND_MARKERS.values()]


# Layout in inches on the A4 landscape page: title band, panel titles, maps, axis labels, legend band, footer.
TOP_IN = 0.36 + 0.44  # figure title, two-line panel titles
XAXIS_IN = 0.42  # tick labels and x label
YAXIS_IN = 0.62  # tick labels and y label of the first panel
GAP_IN = 0.22  # between panels (their y tick labels are hidden)
LEGEND_IN = 0.78  # legend band under the maps (two panels or more)


def _fit_titles(fig, axes, room_px: float) -> None:
    """Panel titles never wider than a panel's slot: 9 pt if needed, then the scenario name split at an '_'."""
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        title = ax.title
        if title.get_window_extent(renderer).width <= room_px:
            continue
        title.set_fontsize(MIN_FONT)
        name, window = title.get_text().split("\n", 1)
        if title.get_window_extent(renderer).width > room_px and "_" in name:
            cuts = [i for i, ch in enumerate(name) if ch == "_"]
            cut = min(cuts, key=lambda i: abs(i - len(name) / 2))
            title.set_text(f"{name[:cut + 1]}\n{name[cut + 1:]}\n{window}")


def _wrapped_text(fig, text: str, x: float, y: float, width_in: float, va: str = "bottom") -> float:
    """Text at figure fraction (x, y), 9 pt, wrapped to width_in inches; returns its height in inches."""
    renderer = fig.canvas.get_renderer()
    probe = fig.text(0, 0, "", fontsize=MIN_FONT)
    room = width_in * fig.dpi
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            probe.set_text(f"{line} {word}".strip())
            if line and probe.get_window_extent(renderer).width > room:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    probe.remove()
    out = fig.text(x, y, "\n".join(lines), fontsize=MIN_FONT, color="#404040", ha="left", va=va)
    return out.get_window_extent(renderer).height / fig.dpi


def plot_map(batches: Sequence[Batch], metric: str | None = None):
    """One panel per scenario (up to four), in one row; the legend beside a single map, under several."""
    batches = list(batches)[:4]
    theatre = _theatre(batches[0])
    densities = [l["per_100km_year"] for b in batches for l in ied_density(b, theatre)]
    norm = plt.Normalize(0, max(densities + [0.1]))
    cmap = plt.get_cmap("YlOrRd")
    (x0, x1), (y0, y1) = _extent(theatre)
    ratio = (y1 - y0) * ASPECT / (x1 - x0)  # height / width of a map on paper
    W, H = A4_LANDSCAPE
    n = len(batches)
    row_w = (W - YAXIS_IN - 0.12 - (n - 1) * GAP_IN) / n  # widest map a row of n allows
    short = row_w < SHORT_BELOW_IN
    runs = {_first_run_incidents(b)[1] for b in batches} - {None}
    run_text = (f"run {runs.pop()}" if len(runs) == 1 else "the first run of each scenario") if runs else "none"
    note = ("Camp size: garrison in the window's final year x camps.strength_scale; a French base at a camp is "
            "drawn touching it. IED density: all replications, incidents snapped to the nearest road leg. "
            f"Incidents shown: {run_text}, sized by killed + wounded.")
    if short:
        places = {c["name"] for b in batches for c in camp_states(b, theatre)} | set(theatre.french_bases)
        key = sorted((PLACE_CODES.get(p, p[:3].upper()), p) for p in places)
        note += " Places: " + ", ".join(f"{c} {p}" for c, p in key) + "."
    with figure_style():
        fig = plt.figure(figsize=A4_LANDSCAPE)
        source = source_note(batches, "incidents.parquet, manifest.json, sim/theatres")
        # The footer: source (and the note, unless a single map leaves room for it beside the map).
        footer_in = 0.06 + _wrapped_text(fig, source if n == 1 else note + "\n" + source, 0.01, 0.06 / H,
                                          W - 0.2)
        bottom = footer_in + 0.08 + XAXIS_IN + (LEGEND_IN if n > 1 else 0)
        h = H - TOP_IN - bottom
        if n == 1:
            w = h / ratio
            left = YAXIS_IN
        else:
            w = min(row_w, h / ratio)
            h = w * ratio
            left = YAXIS_IN + (W - YAXIS_IN - 0.12 - n * w - (n - 1) * GAP_IN) / 2
        marker_scale = min(1.0, max(0.4, (w / 3.6) ** 1.5))  # smaller markers on narrower maps
        top = H - TOP_IN
        if n > 1:  # maps narrower than the height allows: share the spare height above and below
            top -= min((H - TOP_IN - bottom - h) / 2, 0.3)
        axes, drawn = [], []
        for i, batch in enumerate(batches):
            rect = ((left + i * (w + GAP_IN)) / W, (top - h) / H, w / W, h / H)
            ax = fig.add_axes(rect, sharey=axes[0] if axes else None)
            axes.append(ax)
            roads, _first, labels, markers = _draw_panel(ax, batch, theatre, norm, cmap, marker_scale)
            if short:
                for it in labels:
                    it["text"] = PLACE_CODES.get(it["name"], it["name"][:3].upper())
            drawn.append((labels, markers))
            if i:
                ax.set_ylabel("Latitude (degrees north)", visible=False)
                ax.tick_params(labelleft=False)
        _fit_titles(fig, axes, (w + GAP_IN) * fig.dpi)
        # One placement for the union of all panels' places (the panels are the same size and extent): a place
        # is labelled the same way in every panel, and no label collides in any of them.
        solution = solve_labels(axes[0], *_union(drawn), LABEL_DIRECTION)
        for ax, (labels, _markers) in zip(axes, drawn):
            annotate(ax, labels, solution)
        legend_style = dict(handles=_legend_handles(), frameon=False, handlelength=1.0, handletextpad=0.5,
                            borderaxespad=0)
        if n == 1:  # the map is as tall as the page allows; legend and colour bar in the width beside it
            x_leg = (left + w + 0.4) / W
            fig.legend(loc="upper left", bbox_to_anchor=(x_leg, (H - TOP_IN - 0.1) / H), labelspacing=0.8,
                       **legend_style)
            cax = fig.add_axes((x_leg + 0.05 / W, (bottom + 1.25) / H, 2.3 / W, 0.14 / H))
            _wrapped_text(fig, note, x_leg, (bottom + 0.55) / H, W - x_leg * W - 0.15, va="top")
        else:  # legend in four columns right under the maps, colour bar at its right
            band_top = top - h - XAXIS_IN - 0.06
            fig.legend(loc="upper left", ncol=4, bbox_to_anchor=(0.1 / W, band_top / H), columnspacing=1.0,
                       labelspacing=0.5, **legend_style)
            cax = fig.add_axes(((W - 1.85) / W, (band_top - 0.15) / H, 1.65 / W, 0.13 / H))
        bar = fig.colorbar(roads, cax=cax, orientation="horizontal")
        bar.set_label("IED incidents per 100 km\nof road per year", fontsize=MIN_FONT)
        bar.ax.tick_params(labelsize=MIN_FONT)
        bar.outline.set_linewidth(0.5)
        fig.suptitle("Theatre: camps, French bases, IED density on roads and incidents", fontweight="bold",
                     y=1 - 0.12 / H, va="top")
    return fig
