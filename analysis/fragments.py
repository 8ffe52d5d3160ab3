"""HTML fragments of the exploration results (sensitivity, discovery, attribution) for reports, and the section files
that let a report show a saved result without computing it again.

Each ``*_report`` function returns one ``<section>`` with its tables and figures (PNG embedded as data URIs with the
same provenance text chunks as the saved files), so a report can place it as is: no external asset, no script.

**Section files.** ``pkosim sensitivity``, ``discover`` and ``attribute`` also write ``<stem>.section.json`` beside
their CSV, Markdown and PNG files: what a report shows of the result (a heading, the reading in sentences, the
display table) and the names of its figures, PNG files in the same folder. ``pkosim report`` shows every section
file it finds (``read_sections``) as it is, so an attribution is shown from its saved numbers and never run again.
A section file is input like a manifest: validated (``SavedSection``), its figures plain file names in its own
folder, read without following links and within a size limit; a damaged one is a one-line note in the report.
"""

from __future__ import annotations

import base64
import html
import io
import json
import struct
from pathlib import Path
from typing import Annotated, Iterable, Literal, Sequence

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analysis.results import Batch
from sim.errors import PkosimError

SECTION_SUFFIX = ".section.json"
SECTION_LIMIT = 1_000_000      # bytes: a section holds sentences and a display table
FIGURE_LIMIT = 20_000_000      # bytes: an A4 figure at 150 dpi is well under 1 MB
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Text = Annotated[str, Field(max_length=2000)]


def table_html(frame: pd.DataFrame, index: bool = False) -> str:
    return ('<div class="table-wrap">' + frame.to_html(index=index, escape=True, border=0, na_rep="-")
            + "</div>")


def paragraph(text: str, css_class: str | None = None) -> str:
    attr = f' class="{css_class}"' if css_class else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def png_html(data: bytes, caption: str) -> str:
    """A PNG as an embedded image with a caption, sized from its header."""
    width, height = struct.unpack(">II", data[16:24])
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="{src}" width="{width}" height="{height}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def figure_html(fig, batches: Sequence[Batch], caption: str) -> str:
    """The figure as an embedded PNG with a caption; closes the figure."""
    import matplotlib.pyplot as plt

    from analysis.plots.style import DPI, provenance

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, metadata=provenance(batches, caption))
    finally:
        plt.close(fig)
    return png_html(buffer.getvalue(), caption)


def section(css_class: str, title: str, body: Sequence[str], level: int = 2) -> str:
    """A ``<section>`` with a heading of ``level`` (2 on a page of its own, 3 inside a report's Exploration)."""
    return (f'<section class="{css_class}"><h{level}>{html.escape(title)}</h{level}>\n' + "\n".join(body)
            + "\n</section>\n")


# -- section files -----------------------------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SavedTable(_Strict):
    columns: list[Annotated[str, Field(max_length=200)]] = Field(max_length=40)
    rows: list[list[Text]] = Field(max_length=2000)

    @model_validator(mode="after")
    def _rectangular(self):
        if any(len(row) != len(self.columns) for row in self.rows):
            raise ValueError(f"every row must have {len(self.columns)} cells, one per column")
        return self


class SavedFigure(_Strict):
    file: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.png$", description="a PNG beside the section file")
    caption: Text


class SavedSection(_Strict):
    """``<stem>.section.json``: what a report shows of one exploration result."""

    pkosim_section: Literal[1] = Field(description="the format of the section file")
    kind: Literal["sensitivity", "discovery", "attribution"]
    id: Annotated[str, Field(max_length=500)] = Field(description="what was analysed: the same id is the same result")
    title: Text
    lines: list[Text] = Field(max_length=50)
    table: SavedTable
    figures: list[SavedFigure] = Field(max_length=50)


def write_section(folder, stem: str, *, kind: str, section_id: str, title: str, lines: Sequence[str],
                  table: pd.DataFrame, figures: Sequence[tuple[str, str]]) -> str:
    """Write ``<folder>/<stem>.section.json``; ``figures`` are (path of a PNG written into ``folder``, caption)."""
    from analysis.io import write_text

    cells = [["-" if _missing(v) else str(v) for v in row] for row in table.itertuples(index=False)]
    record = SavedSection(pkosim_section=1, kind=kind, id=section_id, title=title, lines=list(lines),
                          table=SavedTable(columns=[str(c) for c in table.columns], rows=cells),
                          figures=[SavedFigure(file=Path(path).name, caption=caption) for path, caption in figures])
    return str(write_text(Path(folder) / f"{stem}{SECTION_SUFFIX}", json.dumps(record.model_dump(), indent=1) + "\n"))


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def read_section(path: Path) -> SavedSection:
    """The validated section file at ``path``; ``PkosimError`` (one line) if it is not one."""
    from sim.runner.manifest import read_json, validation_message

    data = read_json(path, "section file", SECTION_LIMIT)
    try:
        return SavedSection.model_validate(data)
    except ValidationError as error:
        raise PkosimError(validation_message(path, error, data, SavedSection)) from None


def read_sections(folders: Iterable[Path]) -> list[tuple[Path, SavedSection | str]]:
    """Every section file in ``folders`` (in name order; each file once), validated: (path, section), or (path,
    the one-line reason it cannot be shown)."""
    found, seen = [], set()
    for folder in folders:
        for path in sorted(Path(folder).glob(f"*{SECTION_SUFFIX}")):
            key = path.resolve()
            if key in seen:
                continue
            seen.add(key)
            try:
                found.append((path, read_section(path)))
            except PkosimError as error:
                found.append((path, str(error)))
    return found


def _saved_png(folder: Path, figure: SavedFigure) -> bytes:
    from sim.runner.store import read_regular_file

    path = folder / figure.file
    try:
        data = read_regular_file(path, FIGURE_LIMIT)
    except FileNotFoundError:
        raise PkosimError(f"{path}: missing (the figure of {figure.caption!r})") from None
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":  # png_html reads the size from the IHDR chunk
        raise PkosimError(f"{path}: not a PNG file")
    return data


def saved_section_html(path: Path, saved: SavedSection, level: int = 3) -> str:
    """The section of a section file as HTML: its sentences, table and figures (the saved PNGs, embedded)."""
    body = [paragraph(line) for line in saved.lines]
    body.append(table_html(pd.DataFrame(saved.table.rows, columns=saved.table.columns)))
    for figure in saved.figures:
        try:
            body.append(png_html(_saved_png(path.parent, figure), figure.caption))
        except PkosimError as error:
            body.append(paragraph(f"{figure.caption}: not shown ({error}).", "note"))
    body.append(paragraph(f"Saved in {path}.", "muted"))
    return section(f"pkosim-{saved.kind}", saved.title, body, level)
