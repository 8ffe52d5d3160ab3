"""The exploration results (sensitivity, discovery, attribution) as report sections, and the section files that let
a report show a saved result without computing it again.

A section (``section``) is plain data for the ``section`` macro of ``analysis/templates/macros.html.j2``: a heading,
the reading in sentences, the display table and figures (PNG bytes, embedded as data URIs with the same provenance
text chunks as the saved files). A report places it in its Exploration; ``section_html`` renders it alone, as the
``*_report`` functions do, for other pages: no external asset, no script, every text escaped by the template.

**Section files.** ``pkosim sensitivity``, ``discover`` and ``attribute`` also write ``<stem>.section.json`` beside
their CSV, Markdown and PNG files: what a report shows of the result (a heading, the reading in sentences, the
display table) and the names of its figures, PNG files in the same folder. ``pkosim report`` shows every section
file it finds (``read_sections``) as it is, so an attribution is shown from its saved numbers and never run again.
A section file is input like a manifest: validated (``SavedSection``), its figures plain file names in its own
folder, read without following links and within a size limit; a damaged one is a one-line note in the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Iterable, Literal, Sequence

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analysis import html
from sim.errors import PkosimError

SECTION_SUFFIX = ".section.json"
SECTION_LIMIT = 1_000_000      # bytes: a section holds sentences and a display table
FIGURE_LIMIT = 20_000_000      # bytes: an A4 figure at 150 dpi is well under 1 MB
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Text = Annotated[str, Field(max_length=2000)]


def section(kind: str, title: str, lines: Sequence[str], table: pd.DataFrame, figures: Sequence[dict],
            saved_in: Path | None = None) -> dict:
    """A section for the ``section`` macro; ``figures`` as ``html.figure`` or ``html.png`` make them, or
    ``{"caption", "png": None, "error"}`` for one that cannot be shown; ``saved_in``: the section file it was read
    from."""
    return {"kind": kind, "title": title, "lines": list(lines), "table": html.table(table), "figures": list(figures),
            "saved_in": saved_in}


def section_html(part: dict, level: int = 2) -> str:
    """The section as an HTML fragment, a ``<section>`` with an ``<h{level}>`` title."""
    if level not in range(1, 7):
        raise ValueError(f"heading level {level}: HTML has h1 to h6")
    return html.render("section.html.j2", section=part, level=level)


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

    cells = html.table(table)
    record = SavedSection(pkosim_section=1, kind=kind, id=section_id, title=title, lines=list(lines),
                          table=SavedTable(columns=cells["columns"], rows=cells["rows"]),
                          figures=[SavedFigure(file=Path(path).name, caption=caption) for path, caption in figures])
    return str(write_text(Path(folder) / f"{stem}{SECTION_SUFFIX}", json.dumps(record.model_dump(), indent=1) + "\n"))


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
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":  # html.png reads the size from the IHDR chunk
        raise PkosimError(f"{path}: not a PNG file")
    return data


def saved_section(path: Path, saved: SavedSection) -> dict:
    """The section of a section file: its sentences, table and figures (the saved PNGs, or why one is not shown)."""
    figures = []
    for figure in saved.figures:
        try:
            figures.append(html.png(_saved_png(path.parent, figure), figure.caption))
        except PkosimError as error:
            figures.append({"caption": figure.caption, "png": None, "error": str(error)})
    return section(saved.kind, saved.title, saved.lines, pd.DataFrame(saved.table.rows, columns=saved.table.columns),
                   figures, saved_in=path)
