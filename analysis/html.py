"""HTML pages from Jinja2 templates (``analysis/templates/``, package data), with autoescaping on.

Every page pkosim writes (a report, a study's index) extends ``base.html.j2``: one stylesheet, a page that fits a
1280-pixel screen (tables wrap, wide ones scroll inside their own box) and prints on A4. Pages are self-contained:
figures are embedded as PNG data URIs, so a page can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import io
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["data_uri"] = lambda data: "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return env


def render(template: str, **context: Any) -> str:
    """Render ``analysis/templates/<template>`` with ``context``; values are escaped unless marked safe."""
    return environment().get_template(template).render(**context)


def table(frame: pd.DataFrame, *, index: bool = False, numeric: Iterable[str] = (), caption: str = "") -> dict:
    """A table for the ``table`` macro: column names, rows of strings, which columns are numbers (right-aligned)."""
    frame = frame.reset_index() if index else frame
    columns = [str(c) for c in frame.columns]
    rows = [["-" if _missing(v) else str(v) for v in row] for row in frame.itertuples(index=False)]
    return {"columns": columns, "rows": rows, "numeric": [c in set(numeric) for c in columns], "caption": caption}


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def key_value_table(records: Sequence[dict], names: Sequence[str]) -> dict:
    """One row per key, one column per record (e.g. provenance per scenario): narrow enough for a page."""
    keys = list(dict.fromkeys(k for r in records for k in r))
    rows = [[k, *["-" if _missing(r.get(k)) else str(r.get(k)) for r in records]] for k in keys]
    columns = ["", *names]
    return {"columns": columns, "rows": rows, "numeric": [False] * len(columns), "caption": ""}


def png(data: bytes, caption: str) -> dict:
    """A PNG for the ``figure`` macro, with the pixel size from its IHDR header so that the page keeps its layout
    while the image loads."""
    width, height = struct.unpack(">II", data[16:24])
    return {"caption": caption, "png": data, "width": width, "height": height}


def figure(fig, batches: Sequence, caption: str) -> dict:
    """A matplotlib figure for the ``figure`` macro, as a PNG with the provenance text chunks of a saved figure
    (``analysis.plots.style.provenance``); closes the figure."""
    import matplotlib.pyplot as plt

    from analysis.plots.style import DPI, provenance

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, metadata=provenance(batches, caption))
    finally:
        plt.close(fig)
    return png(buffer.getvalue(), caption)


def png_file(path: Path | str, *, anchor: str, caption: str) -> dict:
    """A PNG written beside a page (e.g. the calibration's predictive check), as a figure for the ``figure`` macro:
    embedded like every figure, so the page stays self-contained."""
    return {**png(Path(path).read_bytes(), caption), "id": anchor, "verdict": ""}
