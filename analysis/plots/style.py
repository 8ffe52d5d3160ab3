"""What every figure shares: A4 size, readable fonts, scenario colours, a source footer and PNG provenance.

A figure for a briefing must say where it comes from on its face (the footer) and in its file (PNG text chunks
written by ``save``), so that a figure found in a slide deck months later can be traced to the batch behind it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Sequence

import matplotlib

if "MPLBACKEND" not in os.environ:  # headless files by default; a notebook (MPLBACKEND=inline) keeps its backend
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from analysis.io import save_figure  # noqa: E402
from analysis.results import Batch, replications_text  # noqa: E402,F401  (re-exported: footers)

A4_LANDSCAPE = (8.3, 5.8)  # inches: fits an A4 page width
DPI = 150
MIN_FONT = 9
RC = {
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#843c0c", "#7f7f7f"]


@contextmanager
def figure_style():
    with plt.rc_context(RC):
        yield


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def source_note(batches: Sequence[Batch], data: str) -> str:
    """The footer: "Source: pkosim 0.1.0, scenario(s) a, b; 20 replications; data: yearly.parquet"."""
    versions = ", ".join(sorted({b.version for b in batches}))
    names = ", ".join(b.name for b in batches)
    word = "scenario" if len(batches) == 1 else "scenarios"
    commits = ", ".join(sorted({b.git_commit[:10] + ("+dirty" if b.git_commit.endswith("+dirty") else "")
                                for b in batches}))
    return (f"Source: pkosim {versions}, {word} {names}; {replications_text(batches)}; data: {data}. "
            f"Commit {commits}.")


def finish(fig, batches: Sequence[Batch], title: str, data: str, note: str = "", tight: bool = True) -> None:
    """Title on top, source footer (and an optional note line) at the bottom; layout that leaves room for both
    (``tight=False``: the figure has placed its axes itself)."""
    fig.suptitle(title, fontweight="bold")
    footer = source_note(batches, data)
    if note:
        footer = note + "\n" + footer
    fig.text(0.01, 0.01, footer, fontsize=MIN_FONT, color="#404040", ha="left",
             va="bottom", wrap=True)
    lines = footer.count("\n") + 1 + (len(footer) > 120)
    if tight:
        fig.tight_layout(rect=(0, 0.015 + 0.028 * lines, 1, 0.95))


def provenance(batches: Sequence[Batch], title: str = "") -> dict[str, str]:
    """PNG text chunks: what made the figure, from which scenarios and code."""
    return {
        "Title": title,
        "Software": f"pkosim {', '.join(sorted({b.version for b in batches}))}",
        "Source": "; ".join(f"{b.name} ({b.path})" for b in batches),
        "pkosim_version": ", ".join(sorted({b.version for b in batches})),
        "scenarios": ", ".join(b.name for b in batches),
        "scenario_hashes": ", ".join(f"{b.name}={b.scenario_hash}" for b in batches),
        "git_commit": ", ".join(sorted({b.git_commit for b in batches})),
        "root_seeds": ", ".join(f"{b.name}={b.root_seed}" for b in batches),
        "replications": ", ".join(f"{b.name}={b.n_ok}" for b in batches),
    }


def save(fig, path, batches: Sequence[Batch]):
    """Save as PNG atomically with provenance metadata; closes the figure."""
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    try:
        return save_figure(fig, path, provenance(batches, title), dpi=DPI)
    finally:
        plt.close(fig)
