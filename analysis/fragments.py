"""HTML fragments of the exploration results (sensitivity, discovery, attribution) for reports.

Each ``*_report`` function returns one ``<section>`` with its tables and figures (PNG embedded as data URIs with the
same provenance text chunks as the saved files), so a report can place it as is: no external asset, no script.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Sequence

import pandas as pd

from analysis.results import Batch


def table_html(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_html(index=index, escape=True, border=0, na_rep="-")


def paragraph(text: str, css_class: str | None = None) -> str:
    attr = f' class="{css_class}"' if css_class else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def figure_html(fig, batches: Sequence[Batch], caption: str) -> str:
    """The figure as an embedded PNG with a caption; closes the figure."""
    import matplotlib.pyplot as plt

    from analysis.plots.style import DPI, provenance

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, metadata=provenance(batches, caption))
    finally:
        plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def section(css_class: str, title: str, body: Sequence[str]) -> str:
    return f'<section class="{css_class}"><h2>{html.escape(title)}</h2>\n' + "\n".join(body) + "\n</section>\n"
