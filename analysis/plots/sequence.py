"""The withdrawal in sequence: which camps close when, which way their people and equipment go, and what holds
them up. The end-state map shows only which camps are closed by the end; this figure shows the order.

Top row: one map per distinct closure schedule among the scenarios (scenarios with the same schedule share a
panel), camps coloured by closing date and numbered in closing order, each closing camp's route out along the road
network to where its garrison goes (``transfer_to``, else the nearest resupply hub that closes later, by road: the
model's rule in ``sim.simulation``). Bottom: a timeline with one row per camp, the withdrawal period
(``camps.withdrawal_lead_days`` before the closing date) as a bar and the closing date as a marker, one colour per
schedule, and the restrictions (trucks held at a hub, flights grounded) shaded.

Everything here comes from the resolved scenarios in the manifests and the theatre data; no run is read.
"""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from typing import Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.cm import ScalarMappable
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.plots.labels import annotate, solve_labels
from analysis.plots.map import ASPECT, _extent, _theatre
from analysis.plots.style import A4_LANDSCAPE, MIN_FONT, colour, figure_style, finish
from analysis.results import Batch
from sim.errors import PkosimError

MAX_PANELS = 3
DEFAULT_LEAD_DAYS = 60.0
DATE_CMAP = "viridis"


def _events(batch: Batch, action: str) -> list[dict]:
    events = batch.scenario.get("events") or {}
    return [e for e in events.values() if isinstance(e, dict) and e.get("action") == action]


def _day(value) -> date:
    return date.fromisoformat(str(value)[:10])


def closures(batch: Batch, theatre=None) -> list[dict]:
    """The camps that close inside the window, in closing order: camp, date, lead start, destination, route."""
    theatre = theatre or _theatre(batch)
    start, end = batch.window
    if start is None or end is None:
        return []
    closing = {}
    for event in _events(batch, "camp_closes"):
        when = _day(event["date"])
        if start <= when <= end and event.get("camp") in theatre.camps:
            closing[event["camp"]] = (when, event.get("transfer_to"))
    closes_on = {name: min(c.closed, closing.get(name, (date.max, None))[0]) for name, c in theatre.camps.items()}
    lead = float((batch.scenario.get("camps") or {}).get("withdrawal_lead_days") or DEFAULT_LEAD_DAYS)
    hubs = list((batch.scenario.get("camps") or {}).get("resupply_hubs") or [])
    graph = road_graph(theatre)
    out = []
    for camp, (when, transfer) in sorted(closing.items(), key=lambda item: (item[1][0], item[0])):
        destination = transfer if transfer and closes_on.get(transfer, date.min) > when else None
        if destination is None:
            options = [h for h in hubs if h != camp and closes_on.get(h, date.min) > when
                       and h in graph and camp in graph and nx.has_path(graph, camp, h)]
            if options:
                destination = min(options, key=lambda h: (nx.shortest_path_length(graph, camp, h, weight="km"), h))
        route = nx.shortest_path(graph, camp, destination, weight="km") if destination else [camp]
        out.append({"camp": camp, "date": when, "lead_start": max(start, when - timedelta(days=lead)),
                    "destination": destination, "route": route})
    return out


def has_withdrawal(batch: Batch) -> bool:
    """Whether any camp closes by an event inside the batch's window."""
    start, end = batch.window
    return bool(start and end and any(start <= _day(e["date"]) <= end for e in _events(batch, "camp_closes")))


def road_graph(theatre) -> nx.Graph:
    graph = nx.Graph()
    for leg in theatre.legs:
        if leg.from_ in theatre.places and leg.to in theatre.places:
            graph.add_edge(leg.from_, leg.to, km=leg.km)
    return graph


def restrictions(batch: Batch) -> list[tuple[date, date, str]]:
    """(from, until, label) of the events inside the window that hold a withdrawal up: trucks held at hubs, flights
    grounded."""
    out = []
    for e in _events(batch, "ground_movement_restricted"):
        out.append((_day(e["date"]), _day(e["until"]), "trucks held at " + ", ".join(e.get("hubs") or [])))
    for e in _events(batch, "flights_grounded"):
        out.append((_day(e["date"]), _day(e["until"]), "flights grounded"))
    start, end = batch.window
    return [r for r in out if start is None or end is None or (r[0] <= end and r[1] >= start)]


def _schedules(batches: Sequence[Batch], theatre) -> list[tuple[list[Batch], list[dict]]]:
    """Distinct closure schedules, each with the scenarios that share it, in the order of the scenarios."""
    groups: dict[tuple, tuple[list[Batch], list[dict]]] = {}
    for batch in batches:
        plan = closures(batch, theatre)
        key = tuple((c["camp"], c["date"], c["destination"]) for c in plan)
        if plan:
            groups.setdefault(key, ([], plan))[0].append(batch)
    return list(groups.values())


def _draw_map(ax, theatre, plan: list[dict], norm, cmap, title: str) -> None:
    for ring in theatre.border:
        xs, ys = zip(*ring)
        ax.fill(xs, ys, facecolor="#f4f1ea", edgecolor="#404040", linewidth=0.8, zorder=0)
    places = theatre.places
    for leg in theatre.legs:
        if leg.from_ in places and leg.to in places:
            (la, lo), (lb, lob) = places[leg.from_], places[leg.to]
            ax.plot([lo, lob], [la, lb], color="#c8c8c8", linewidth=1, zorder=1)
    closing = {c["camp"] for c in plan}
    for name, camp in theatre.camps.items():
        if name not in closing and camp.opened <= plan[-1]["date"] and camp.closed >= plan[0]["date"]:
            ax.scatter(camp.lon, camp.lat, s=22, facecolor="white", edgecolor="#606060", linewidth=1, zorder=3)
    labels, markers = [], []
    for order, c in enumerate(plan, start=1):
        col = cmap(norm(mdates.date2num(c["date"])))
        path = [places[p] for p in c["route"]]
        if len(path) > 1:
            ax.plot([p[1] for p in path], [p[0] for p in path], color=col, linewidth=2.2, alpha=0.8, zorder=2,
                    solid_capstyle="round")
        lat, lon = places[c["camp"]]
        ax.scatter(lon, lat, s=MARKER_SIZE, color=col, edgecolor="white", linewidth=0.8, zorder=4)
        labels.append({"name": c["camp"], "text": str(order), "lon": lon, "lat": lat, "r": MARKER_RADIUS,
                       "marker": len(markers)})
        markers.append((lon, lat, 0, 0, MARKER_RADIUS))
    (x0, x1), (y0, y1) = _extent(theatre)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(ASPECT, adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=MIN_FONT, linespacing=1.2)
    annotate(ax, labels, solve_labels(ax, labels, markers, {}))


MARKER_SIZE = 40  # points^2
MARKER_RADIUS = 4.0  # points: half the marker's width and its edge


def _timeline(ax, batches: Sequence[Batch], shown, first: date, last: date) -> list:
    """One row per camp: the withdrawal period as a bar and the closing date as a tick, one colour per schedule;
    restrictions shaded. Returns the legend handles."""
    camps = list(dict.fromkeys(c["camp"] for _b, plan in shown for c in plan))
    rows = {name: len(camps) - 1 - k for k, name in enumerate(camps)}
    height = 0.7 / len(shown)
    handles = []
    for i, (group, plan) in enumerate(shown):
        col = colour(batches.index(group[0]))
        offset = (len(shown) - 1) / 2 * height - i * height
        for order, c in enumerate(plan, start=1):
            y = rows[c["camp"]] + offset
            ax.barh(y, mdates.date2num(c["date"]) - mdates.date2num(c["lead_start"]),
                    left=mdates.date2num(c["lead_start"]), height=height * 0.8, color=col, alpha=0.3, linewidth=0)
            ax.plot(mdates.date2num(c["date"]), y, marker="|", markersize=9, markeredgewidth=2, color=col)
            ax.annotate(str(order), (mdates.date2num(c["date"]), y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=7, color=col)
        label = textwrap.fill(", ".join(b.name for b in group), LEGEND_WRAP)
        handles.append(Line2D([], [], color=col, marker="|", markersize=9, markeredgewidth=2, linewidth=6,
                              alpha=0.8, label=label))
    held = sorted({r for b in batches for r in restrictions(b)})
    for k, (since, until, label) in enumerate(held):
        hatch = "//" if k % 2 == 0 else "\\\\"
        ax.axvspan(mdates.date2num(since), mdates.date2num(until) + 1, color="#b0b0b0", alpha=0.25, linewidth=0,
                   hatch=hatch)
        handles.append(Patch(facecolor="#b0b0b0", alpha=0.4, hatch=hatch,
                             label=textwrap.fill(f"{label} ({since:%d %b}-{until:%d %b})", LEGEND_WRAP)))
    ax.set_yticks(range(len(camps)), [camps[len(camps) - 1 - k] for k in range(len(camps))])
    ax.set_ylim(-0.6, len(camps) - 0.4)
    ax.set_xlim(mdates.date2num(first) - 3, mdates.date2num(last) + 5)
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="both", labelsize=MIN_FONT)
    ax.set_title("Bars: withdrawal period before each closing date (camps.withdrawal_lead_days); ticks: closing date and order",
                 fontsize=MIN_FONT, loc="left")
    return handles


LEGEND_WRAP = 26  # characters per legend line
# Layout in figure fractions of the A4 landscape page: maps on top (left), key beside them, timeline below.
MAPS = (0.02, 0.47, 0.66, 0.40)  # left, bottom, width, height
KEY_X = 0.70
TIMELINE = (0.15, 0.17, 0.82, 0.24)


def plot_sequence(batches: Sequence[Batch], metric: str | None = None):
    batches = list(batches)
    theatre = _theatre(batches[0])
    schedules = _schedules(batches, theatre)
    if not schedules:
        raise PkosimError("no camp closes inside the window of " + ", ".join(b.name for b in batches)
                          + ": there is no withdrawal sequence to draw")
    shown = schedules[:MAX_PANELS]
    first = min(c["lead_start"] for _b, plan in shown for c in plan)
    last = max(c["date"] for _b, plan in shown for c in plan)
    norm = plt.Normalize(mdates.date2num(min(c["date"] for _b, p in shown for c in p)), mdates.date2num(last))
    cmap = plt.get_cmap(DATE_CMAP)
    with figure_style():
        fig = plt.figure(figsize=A4_LANDSCAPE)
        left, bottom, width, height = MAPS
        slot = width / len(shown)
        for i, (group, plan) in enumerate(shown):
            names = textwrap.fill(", ".join(b.name for b in group), 40)
            ax = fig.add_axes((left + i * slot, bottom, slot * 0.96, height))
            _draw_map(ax, theatre, plan, norm, cmap, f"{names}\n(numbers: closing order)")
        timeline = fig.add_axes(TIMELINE)
        handles = _timeline(timeline, batches, shown, first, last)
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(KEY_X, bottom + height), frameon=False,
                   fontsize=MIN_FONT, title="Schedules and restrictions", title_fontsize=MIN_FONT)
        cax = fig.add_axes((KEY_X + 0.01, bottom + 0.05, 0.25, 0.025))
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax, orientation="horizontal")
        bar.ax.xaxis.set_major_locator(mdates.MonthLocator())
        bar.ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
        bar.ax.tick_params(labelsize=MIN_FONT)
        bar.set_label("closing date (map colours)", fontsize=MIN_FONT)
        bar.ax.xaxis.set_label_position("top")
        more = len(schedules) - len(shown)
        note = (f"{more} more schedule(s) not shown. " if more else "") + (
            "Routes: along the road network to transfer_to, else to the nearest resupply hub that closes later.")
        finish(fig, batches, "The withdrawal in sequence: closing order, routes out, and what held it up",
               "manifest.json (resolved scenarios), sim/theatres", note, tight=False)
    return fig
