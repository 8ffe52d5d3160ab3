"""Atomic file writing for the analysis layer: a reader never sees a half-written table, figure or report.

The temporary-file-and-rename is ``sim.files``'s; this module adds what analysis writes (text returning its path,
PNG figures with metadata rendered in memory first).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from sim.files import atomic_write_bytes, atomic_write_text


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically; return the path."""
    atomic_write_text(path, text)
    return Path(path)


def save_figure(fig, path: str | os.PathLike, metadata: dict[str, str] | None = None, dpi: int = 150) -> Path:
    """Save a matplotlib figure as PNG atomically, with ``metadata`` as PNG text chunks; return the path."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata=metadata or {})
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
