"""``status.jsonl``: the status log of a batch, the only authority on which runs are done and which parts hold them.

Every flush appends one line (JSON, flushed to disk before its parts are renamed into place)::

    {"flush": 3, "session": 1, "root_seed": 20140101, "parts": {"runs": "part-...-00003.parquet", ...},
     "rows": {"runs": 50, "yearly": 100, ...}, "ok": [[point, run], ...], "failed": [[point, run, "error"], ...]}

Appending one line per flush costs the same at the first flush and the millionth; rewriting a JSON list of every
run on every flush (as the manifest once did) cost O(runs) each time, O(runs^2) per batch (docs/performance.md).
The state of every run is rebuilt by replaying the lines in order into one byte per run (pending, ok, failed).

The log is input like any other: each line is validated (pydantic), part names must match the store's fixed
pattern, run numbers must lie inside the batch, a run is committed as done at most once (twice would mean duplicate
rows), and every line carries the root seed its runs used, which must be the manifest's (a manifest whose
``root_seed`` was edited would otherwise mix seeds in one batch). A torn last line (a crash in the middle of an
append) is ignored, and cut off by the next writer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import PkosimError, from_os_error
from sim.files import append_line

from .store import TABLES, is_part_name, read_regular_file

PENDING, OK, FAILED = 0, 1, 2
STATES = {PENDING: "pending", OK: "ok", FAILED: "failed"}
MAX_ERROR_CHARS = 300

Index = Annotated[int, Field(ge=0)]


class FlushLine(BaseModel):
    """One line of the status log."""

    model_config = ConfigDict(extra="forbid", strict=True)

    flush: int = Field(ge=1)
    session: int = Field(ge=1)
    root_seed: int = Field(ge=0)
    parts: dict[str, str] = {}
    rows: dict[str, Annotated[int, Field(ge=1)]] = {}
    ok: list[tuple[Index, Index]] = []
    failed: list[tuple[Index, Index, str]] = []


class RunStatus:
    """Where every run of a batch stands (one byte per run), and which parts of each table are committed."""

    def __init__(self, points: int, replications: int, root_seed: int | None = None):
        self.points, self.replications, self.root_seed = int(points), int(replications), root_seed
        self.codes = np.zeros(self.points * self.replications, dtype=np.int8)
        self.errors: dict[int, str] = {}
        self.parts: dict[str, list[str]] = {name: [] for name in TABLES}
        self._committed: dict[str, set[str]] = {name: set() for name in TABLES}
        self.rows: dict[str, int] = {name: 0 for name in TABLES}
        self.flushes = 0

    def __len__(self) -> int:
        return int(self.codes.size)

    def index(self, point: int, run: int) -> int:
        return int(point) * self.replications + int(run)

    def locate(self, index: int) -> tuple[int, int]:
        return divmod(int(index), self.replications)

    def counts(self) -> dict[str, int]:
        found = np.bincount(self.codes, minlength=3)
        return {"ok": int(found[OK]), "failed": int(found[FAILED]), "pending": int(found[PENDING])}

    def todo(self) -> np.ndarray:
        """Flat indices (point * replications + run) of the runs not done, in order."""
        return np.flatnonzero(self.codes != OK)

    def state(self, point: int, run: int) -> str:
        return STATES[int(self.codes[self.index(point, run)])]

    def apply(self, line: FlushLine, where: str) -> None:
        """Replay one line; ``where`` names it in messages (``DIR/status.jsonl:LINE``)."""
        if self.root_seed is not None and line.root_seed != self.root_seed:
            raise PkosimError(f"{where}: root_seed: these runs used root seed {line.root_seed}, the manifest says "
                              f"{self.root_seed}; the manifest or the status log was edited")
        for table, name in line.parts.items():
            if table not in TABLES or not is_part_name(name):
                raise PkosimError(f"{where}: parts: {table!r}: {name!r} is not a part of a batch table; the status "
                                  "log was edited or damaged")
            if name in self._committed[table]:
                raise PkosimError(f"{where}: parts: {table}/{name} is committed twice; the status log was edited")
        ok = np.array(line.ok, dtype=np.int64).reshape(-1, 2)
        failed = np.array([(point, run) for point, run, _ in line.failed], dtype=np.int64).reshape(-1, 2)
        runs = np.concatenate([ok, failed])
        outside = (runs[:, 0] >= self.points) | (runs[:, 1] >= self.replications)
        if outside.any():
            point, run = runs[np.argmax(outside)]
            raise PkosimError(f"{where}: run ({point}, {run}) is outside the batch ({self.points} point(s) x "
                              f"{self.replications} replication(s)); the status log was edited or damaged")
        done = ok[:, 0] * self.replications + ok[:, 1]
        twice = self.codes[done] == OK
        if twice.any() or np.unique(done).size != done.size:
            point, run = ok[np.argmax(twice)] if twice.any() else self.locate(done[0])
            raise PkosimError(f"{where}: run ({point}, {run}) is committed as done twice (its rows would count "
                              "twice); the status log was edited or damaged")
        self.codes[done] = OK
        if self.errors:
            for index in done.tolist():
                self.errors.pop(index, None)
        for point, run, error in line.failed:
            index = self.index(point, run)
            if self.codes[index] != OK:
                self.codes[index] = FAILED
                self.errors[index] = error
        for table, name in line.parts.items():
            self.parts[table].append(name)
            self._committed[table].add(name)
            self.rows[table] += line.rows.get(table, 0)
        self.flushes = max(self.flushes, line.flush)

    @classmethod
    def load(cls, path: Path, points: int, replications: int, root_seed: int | None = None) -> tuple["RunStatus", int]:
        """Replay ``path``; return the status and the byte length of its whole lines (a torn tail is ignored)."""
        status = cls(points, replications, root_seed)
        try:
            raw = read_regular_file(path)
        except FileNotFoundError:
            return status, 0
        end = raw.rfind(b"\n") + 1  # bytes after the last newline: an append cut short by a crash
        for number, text in enumerate(raw[:end].split(b"\n")[:-1], start=1):
            where = f"{path}:{number}"
            try:
                line = FlushLine.model_validate_json(text)
            except ValidationError as error:
                first = error.errors()[0]
                if first["type"] == "json_invalid":
                    raise PkosimError(f"{where}: not a status line (invalid JSON); the status log is damaged") from None
                key = ".".join(str(p) for p in first["loc"]) or "line"
                raise PkosimError(f"{where}: {key}: {first['msg'].lower()}; the status log was edited or "
                                  "damaged") from None
            status.apply(line, where)
        return status, end


class StatusLog:
    """Appends flush lines to a batch's ``status.jsonl``."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def truncate(self, length: int) -> None:
        """Cut a torn last line (left by a crash) so that the next line starts on its own."""
        try:
            if self.path.exists() and self.path.stat().st_size != length:
                os.truncate(self.path, length)
        except OSError as error:
            raise from_os_error(error, self.path, "repair") from None

    def append(self, line: FlushLine) -> None:
        append_line(self.path, line.model_dump_json())


def short_error(text: str | None) -> str:
    """The last line of a traceback, cut to a readable length."""
    lines = (text or "").strip().splitlines()
    last = lines[-1] if lines else "failed"
    return last if len(last) <= MAX_ERROR_CHARS else last[: MAX_ERROR_CHARS - 3] + "..."
