"""Figures for briefings: one module per kind, shared look and provenance in ``style``.

``make_figure(dirs, kind, metric=None, daily=False)`` returns a matplotlib Figure; ``save_figure(fig, path,
batches)`` writes it as a PNG atomically with provenance text chunks. Kinds: ``timeseries``, ``map``,
``breakdown``, ``compare`` (forest plot of effects), ``convergence``, ``sequence`` (the withdrawal's camps by closing
date, their routes out and its timeline).
"""

from __future__ import annotations

import difflib
from typing import Sequence

from analysis.plots.style import save as save_figure  # noqa: F401
from analysis.results import find_batches
from sim.errors import PkosimError

KINDS = ("timeseries", "map", "breakdown", "compare", "convergence", "sequence")


def check_kind(kind: str) -> None:
    """Refuse an unknown figure kind, with the closest known one."""
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        raise PkosimError(f"unknown plot kind '{kind}'" + (f"; did you mean {close[0]}?" if close else "")
                          + f" (kinds: {', '.join(KINDS)})")


def make_figure(dirs, kind: str, metric: str | Sequence[str] | None = None, daily: bool = False):
    check_kind(kind)
    batches = find_batches(dirs)
    metrics = [metric] if isinstance(metric, str) else list(metric or [])
    first = metrics[0] if metrics else "hostile_deaths"
    if kind == "timeseries":
        from analysis.plots.timeseries import plot_timeseries

        return plot_timeseries(batches, first, daily=daily)
    if kind == "map":
        from analysis.plots.map import plot_map

        return plot_map(batches)
    if kind == "breakdown":
        from analysis.plots.breakdown import plot_breakdown

        return plot_breakdown(batches)
    if kind == "compare":
        from analysis.plots.forest import plot_forest

        return plot_forest(batches, metrics or None)
    if kind == "convergence":
        from analysis.plots.convergence import plot_convergence

        return plot_convergence(batches, first)
    if kind == "sequence":
        from analysis.plots.sequence import plot_sequence

        return plot_sequence(batches)
    raise AssertionError(f"plot kind {kind!r} is in KINDS but has no figure")
