"""Atomic file writing: a reader never sees a half-written table, figure or report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    path = Path(path)
    tmp = _temp_beside(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def save_figure(fig, path: str | os.PathLike, metadata: dict[str, str] | None = None, dpi: int = 150) -> Path:
    """Save a matplotlib figure as PNG atomically, with ``metadata`` as PNG text chunks."""
    path = Path(path)
    tmp = _temp_beside(path)
    try:
        fig.savefig(tmp, format="png", dpi=dpi, metadata=metadata or {})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
