"""Placing place labels on a map without overlaps, with leader lines where a cluster is crowded.

Every label gets candidate positions around its marker (near ones, and farther ones with a leader line); the set of
positions is chosen to minimise one cost: overlaps of labels with labels, markers and the panel's edge are
forbidden in effect, leaders that cross labels, markers or each other are penalised, and distance and turning away
from a place's preferred direction cost a little. Generic: the map passes its places, markers and preferred
directions.
"""

from __future__ import annotations

import math

import numpy as np

from matplotlib import patheffects

from analysis.plots.style import MIN_FONT

LABEL_STEPS = (0, 5, 10, 16, 24, 34)  # points beyond the marker's edge; beyond 0 a leader line is drawn
FORBIDDEN = 1000.0  # cost per square pixel of overlap


def unit(v):
    n = math.hypot(*v)
    return (v[0] / n, v[1] / n)


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _cross(s, t) -> bool:
    """Do segments s and t cross?"""
    def orient(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    (p, q), (r, u) = s, t
    return orient(p, q, r) * orient(p, q, u) < 0 and orient(r, u, p) * orient(r, u, q) < 0


def _hits(seg, box) -> bool:
    """Does the segment pass through the box (Liang-Barsky clipping)?"""
    (x0, y0), (x1, y1) = seg
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
            if lo > hi:
                return False
    return hi - lo > 0.02


def _disc_in_box(disc, box) -> float:
    """Squared depth by which a disc (x, y, r) reaches into a box; 0 when apart."""
    x, y, r = disc
    dx = max(box[0] - x, 0, x - box[2])
    dy = max(box[1] - y, 0, y - box[3])
    depth = r - math.hypot(dx, dy)
    return depth * depth if depth > 0 else 0.0


def _disc_on_segment(disc, seg) -> bool:
    x, y, r = disc
    (x0, y0), (x1, y1) = seg
    vx, vy = x1 - x0, y1 - y0
    t = min(max(((x - x0) * vx + (y - y0) * vy) / max(vx * vx + vy * vy, 1e-9), 0.0), 1.0)
    return math.hypot(x0 + t * vx - x, y0 + t * vy - y) < r * 0.9


def _box_distance(x, y, box) -> float:
    return math.hypot(max(box[0] - x, 0, x - box[2]), max(box[1] - y, 0, y - box[3]))


def _options(px, py, r, tw, th, k, prefer, listed, frame, discs, own):
    """Candidate label positions around a marker at (px, py) pixels: (cost, box, leader, offset, ha, va). own: the
    indices of the place's markers in discs, its own first (never overlapped by construction)."""
    pu = unit(prefer)
    out = []
    for step in LABEL_STEPS:
        for i in range(8 if step == 0 else 16):
            ang = 2 * math.pi * i / (8 if step == 0 else 16)
            ux, uy = math.cos(ang), math.sin(ang)
            ha = "left" if ux > 0.38 else "right" if ux < -0.38 else "center"
            va = "bottom" if uy > 0.38 else "top" if uy < -0.38 else "center"
            gap = r + 1.5 + step
            ax_, ay = px + ux * gap * k, py + uy * gap * k
            x0 = ax_ - {"left": 0, "center": tw / 2, "right": tw}[ha]
            y0 = ay - {"bottom": 0, "center": th / 2, "top": th}[va]
            box = (x0, y0, x0 + tw, y0 + th)
            if box[0] < frame[0] or box[1] < frame[1] or box[2] > frame[2] or box[3] > frame[3]:
                continue
            turn = math.degrees(math.acos(max(-1.0, min(1.0, ux * pu[0] + uy * pu[1])))) / 45
            leader = ((px + ux * r * k, py + uy * r * k), (ax_, ay)) if step else None
            cost = step + (8 if step else 0) + turn * (6 if listed else 2.5)
            pad = 1.5 * k
            grown = (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
            cost += FORBIDDEN * sum(_disc_in_box(d, grown) for j, d in enumerate(discs) if j != own[0])
            if leader:
                cost += 30 * sum(_disc_on_segment(d, leader) for j, d in enumerate(discs) if j not in own)
            # A label nearer another place's marker than its own reads as that place's label.
            mine = _box_distance(px, py, box) - r * k
            if any(_box_distance(d[0], d[1], box) - d[2] < mine for j, d in enumerate(discs) if j not in own):
                cost += 25 if leader is None else 6
            out.append((cost, box, leader, (ux * gap, uy * gap), ha, va))
    return out


def _pair_cost(a, b, pad) -> float:
    _ca, box_a, lead_a, *_ = a
    _cb, box_b, lead_b, *_ = b
    grown = (box_a[0] - pad, box_a[1] - pad, box_a[2] + pad, box_a[3] + pad)
    cost = FORBIDDEN * _overlap(grown, box_b)
    if lead_a is not None and _hits(lead_a, box_b):
        cost += 40
    if lead_b is not None and _hits(lead_b, box_a):
        cost += 40
    if lead_a is not None and lead_b is not None and _cross(lead_a, lead_b):
        cost += 40
    return cost


TEXT_STYLE = dict(fontsize=MIN_FONT, zorder=6, color="#1a1a1a",
                  path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")])


def solve_labels(ax, items: list[dict], markers: list[tuple], directions: dict[str, tuple[float, float]]) -> dict:
    """Label positions {name: (offset in points, ha, va, leader or not)} for items (name, lon, lat, r: marker radius
    in points) that avoid the markers ((lon, lat, dx, dy, r): centre offset by dx, dy points), each other and the
    panel's edge. Chosen in display space, so the axes must have their final size; the search is deterministic."""
    if not items:
        return {}
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    ax.apply_aspect()
    k = fig.dpi / 72.0
    box = ax.get_window_extent(renderer)
    frame = (box.x0 + 2 * k, box.y0 + 2 * k, box.x1 - 2 * k, box.y1 - 2 * k)
    to_px = ax.transData.transform
    discs = []
    for lon, lat, dx, dy, r in markers:
        px, py = to_px((lon, lat))
        discs.append((px + dx * k, py + dy * k, r * k))
    options = []
    for it in items:
        probe = ax.text(0, 0, it.get("text", it["name"]), **TEXT_STYLE)
        ext = probe.get_window_extent(renderer)
        probe.remove()
        px, py = to_px((it["lon"], it["lat"]))
        opts = _options(px, py, it["r"], ext.width, ext.height, k, directions.get(it["name"], (1, 0)),
                        it["name"] in directions, frame, discs,
                        [j for j, m in enumerate(markers) if (m[0], m[1]) == (it["lon"], it["lat"])
                         and m[2:4] == (0, 0)] + [j for j, m in enumerate(markers)
                                                  if (m[0], m[1]) == (it["lon"], it["lat"]) and m[2:4] != (0, 0)])
        options.append(sorted(opts, key=lambda o: o[0]) or
                       [(0.0, (px, py, px, py), None, (it["r"] + 1.5, 0), "left", "center")])
    pad = 1.5 * k
    n = len(items)
    state = [0] * n

    cache = {}

    def pair(i, o, j, p):
        key = (i, o, j, p) if i < j else (j, p, i, o)
        if key not in cache:
            cache[key] = _pair_cost(options[i][o], options[j][p], pad)
        return cache[key]

    def label_cost(i, o):
        return options[i][o][0] + sum(pair(i, o, j, state[j]) for j in range(n) if j != i)

    # Simulated annealing from everyone's cheapest position, then best response until nothing changes.
    rng = np.random.default_rng(0)
    total = sum(options[i][0][0] for i in range(n)) + sum(
        pair(i, 0, j, 0) for i in range(n) for j in range(i + 1, n))
    best_total, best_state = total, list(state)
    iterations = 4000
    for it_ in range(iterations):
        temp = 60 * (0.005 ** (it_ / iterations))
        i = int(rng.integers(n))
        o = int(rng.integers(len(options[i])))
        delta = label_cost(i, o) - label_cost(i, state[i])
        if delta < 0 or rng.random() < math.exp(-delta / temp):
            state[i] = o
            total += delta
            if total < best_total - 1e-9:
                best_total, best_state = total, list(state)
    state = best_state
    for _pass in range(10):
        changed = False
        for i in range(n):
            o = min(range(len(options[i])), key=lambda o: label_cost(i, o))
            if label_cost(i, o) < label_cost(i, state[i]) - 1e-9:
                state[i], changed = o, True
        if not changed:
            break
    return {it["name"]: (options[i][state[i]][3], options[i][state[i]][4], options[i][state[i]][5],
                         options[i][state[i]][2] is not None) for i, it in enumerate(items)}


def annotate(ax, items: list[dict], solution: dict) -> None:
    for it in items:
        offset, ha, va, leader = solution[it["name"]]
        arrow = None
        if leader:
            rel = ({"left": 0, "center": 0.5, "right": 1}[ha], {"bottom": 0, "center": 0.5, "top": 1}[va])
            arrow = dict(arrowstyle="-", color="#404040", linewidth=0.7, shrinkA=0, shrinkB=it["r"], relpos=rel)
        ax.annotate(it.get("text", it["name"]), (it["lon"], it["lat"]), xytext=offset, textcoords="offset points",
                    ha=ha, va=va, arrowprops=arrow, **TEXT_STYLE)
