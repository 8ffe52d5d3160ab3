"""Writing the analysis layer's outputs: atomically, and never over a file that is not an earlier output of its kind.

The temporary-file-and-rename is ``sim.files``'s (a reader never sees a half-written table, figure or report). On
top of it, every write checks its target first (``check_target``): an existing file is replaced only by a file of
the same kind (a report by a report, a summary table by a summary table, a pkosim figure by a pkosim figure: each
kind is recognised by a signature in its first bytes), and nothing is ever written inside a batch's own files
(``manifest.json``, ``status.jsonl``, ``design.parquet``, the ``<table>.parquet/`` folders). So
``pkosim report DIR --out DIR/manifest.json`` is refused instead of destroying the batch, and a comparison never
silently replaces another.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from sim.errors import PkosimError, from_os_error
from sim.files import atomic_write_bytes
from sim.runner.store import DESIGN, LOCK, MANIFEST, STATUS, TABLES

HEAD_BYTES = 65_536
BATCH_FILES = {MANIFEST, STATUS, DESIGN, LOCK} | {f"{table}.parquet" for table in TABLES}

# (kind, test on the first bytes); the first that matches names the kind of a file.
SIGNATURES = (
    ("HTML report", lambda head: b'<meta name="pkosim-provenance"' in head),
    ("study index", lambda head: b"<title>pkosim study:" in head),
    ("figure", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n") and b"pkosim_version" in head),
    ("summary table", lambda head: head.startswith(b"scenario,point,metric,unit,year")),
    ("summary", lambda head: head.startswith(b"# Summary\n")),
    ("comparison table", lambda head: head.startswith(b"baseline,scenario,metric,unit,year")),
    ("comparison", lambda head: head.startswith(b"# Comparison against ")),
    ("sensitivity table", lambda head: head.startswith(b"metric,year,unit,method,parameter,")),
    ("sensitivity", lambda head: head.startswith(b"# Sensitivity of ")),
    ("discovery table", lambda head: head.startswith(b"box,parameter,low,high,")),
    ("discovery trajectory", lambda head: head.startswith(b"box,step,coverage,")),
    ("discovery", lambda head: head.startswith(b"# Scenario discovery: ")),
    ("attribution table", lambda head: head.startswith(b"metric,unit,year,row,change,")),
    ("attribution", lambda head: head.startswith(b"# What caused the difference: ")),
    ("exploration section", lambda head: head.startswith(b'{\n "pkosim_section": ')),
    ("prediction score page", lambda head: b"<title>pkosim score:" in head),
    ("prediction score", lambda head: head.startswith(b"# Prediction score: ")),
)


def kind_of(head: bytes) -> str | None:
    """The kind of pkosim output whose first bytes are ``head`` (None: not one)."""
    return next((kind for kind, matches in SIGNATURES if matches(head)), None)


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read(HEAD_BYTES)
    except OSError as error:
        raise from_os_error(error, path, "read") from None


def _inside_batch(path: Path) -> bool:
    """Whether ``path`` is one of a batch's own files, or inside one of its table folders."""
    parent = path.parent
    if path.name in BATCH_FILES and (parent / MANIFEST).exists():
        return True
    return parent.name in {f"{t}.parquet" for t in TABLES} and (parent.parent / MANIFEST).exists()


def check_target(path: str | os.PathLike, data: bytes) -> Path:
    """Refuse to write ``data`` to ``path`` if that would replace anything but an earlier output of its kind."""
    path = Path(path)
    if _inside_batch(path):
        raise PkosimError(f"{path}: belongs to a batch's own files; pkosim writes its outputs next to them, never "
                          "over them (choose another --out)")
    if path.is_symlink():
        raise PkosimError(f"{path}: is a symbolic link; refusing to replace it (choose another --out)")
    if path.is_dir():
        raise PkosimError(f"{path}: is a directory; give a file name (e.g. {path / 'report.html'})")
    if path.exists():
        new, old = kind_of(data[:HEAD_BYTES]), kind_of(_head(path))
        if old is None or old != new:
            what = f"a pkosim {old}" if old else "not a pkosim output"
            raise PkosimError(f"{path}: exists and is {what}; refusing to replace it with a {new or 'file'} "
                              "(choose another --out, or move it away)")
    return path


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    atomic_write_bytes(check_target(path, data), data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (see ``check_target``); return the path."""
    return write_bytes(path, text.encode("utf-8"))


def save_figure(fig, path: str | os.PathLike, metadata: dict[str, str] | None = None, dpi: int = 150) -> Path:
    """Save a matplotlib figure as PNG atomically, with ``metadata`` as PNG text chunks; return the path."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata=metadata or {})
    return write_bytes(path, buffer.getvalue())
