"""The batch directory on disk: Parquet tables as directories of part files, committed through the status log.

Layout (docs/results.md)::

    DIR/<scenario>/
      manifest.json        what the batch is (validated on every read: sim.runner.manifest)
      status.jsonl         the status log: one line per flush, the only authority on done runs and committed parts
      design.parquet       the design points of a sweep (one row per point)
      <table>.parquet/     part-<stamp>-<flush>.parquet files, one per flush (tables: ``TABLES``)
      failures/            one JSON file per failed run
      .lock                held by the one process writing the batch

Why parts: runs finish one by one over hours, so the tables are written as they go, a part (one file per table)
for every few finished runs. How a flush commits, so that readers (pandas, polars, DuckDB reading
``<table>.parquet/``) never see a row twice nor a row of a run that is not done:

1. every part of the flush is written under a *staged* name, ``.part-....parquet.staged``: pyarrow (pandas) skips
   names starting with '.', and the ``*.parquet`` glob of polars and DuckDB does not match the suffix;
2. one line appended to ``status.jsonl`` (flushed to disk) names the parts and the runs they hold: the commit;
3. the staged parts are renamed to their final names.

A crash before 2 leaves staged files nobody reads, deleted by the next writer (``recover``); a crash between 2 and
3 leaves committed parts under their staged names: the next writer renames them (and ``analysis`` reads them
there). Anything else in a table directory (a part no line names, a temporary file) is removed by the next writer.
Every name the writer or a reader takes from a file is checked against these fixed patterns, so a hand-edited
status log or manifest cannot make pkosim touch a file outside its batch.

Why fixed schemas: readers take a table's schema from one of its files, so every part of a table has the same
columns and types. The first part fixes the schema; later parts are cast to it. A table the scenario writes but
that has no rows when the batch ends gets one zero-row ``part-empty.parquet`` so that it still reads; a table the
scenario switched off (``outputs: {daily: false}``) has no directory at all.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import re
import stat
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import PkosimError, from_os_error
from sim.files import (O_CLOEXEC, O_NOFOLLOW, O_NONBLOCK, TEMPORARY_SUFFIX, atomic_write_bytes, sync_directory,
                       write_new_file)
from sim.output import RunOutput

# The tables: ``runs`` (one row per run, the runner's own) and every table a model run returns (``RunOutput``'s
# fields other than ``summary``): a table added to RunOutput is written, read and documented with no change here.
MODEL_TABLES = tuple(f.name for f in dataclasses.fields(RunOutput) if f.name != "summary")
TABLES = ("runs", *MODEL_TABLES)
IDENTITY = ["scenario", "point", "run", "seed"]

MANIFEST = "manifest.json"
STATUS = "status.jsonl"
DESIGN = "design.parquet"
FAILURES = "failures"
LOCK = ".lock"
PLACEHOLDER = "part-empty.parquet"
STAGED_SUFFIX = ".staged"
FAILURE_NAME = re.compile(r"point([0-9]+)-run([0-9]+)\.json")
PART_NAME = re.compile(r"part-[0-9]{8}T[0-9]{6}-[0-9a-f]{6}-[0-9]{5,9}\.parquet")  # flush numbers grow past 5 digits
MAX_MANIFEST_BYTES = 64_000_000
PARQUET_OPTIONS = {"compression": "zstd"}

log = logging.getLogger(__name__)


def active_tables(scenario: Any) -> tuple[str, ...]:
    """The tables a scenario writes: all of ``TABLES`` except those its ``outputs`` switch off."""
    outputs = getattr(scenario, "outputs", None)
    return tuple(name for name in TABLES if getattr(outputs, name, True) is not False)


def part_name(stamp: str, flush: int) -> str:
    return f"part-{stamp}-{flush:05d}.parquet"


def staged_name(name: str) -> str:
    return f".{name}{STAGED_SUFFIX}"


def is_part_name(name: Any) -> bool:
    return isinstance(name, str) and PART_NAME.fullmatch(name) is not None


def read_regular_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file (not a symbolic link, FIFO or device: a batch folder from
    someone else must not make pkosim read /dev/zero or follow a link out of the folder)."""
    try:
        handle = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW on a symbolic link
            raise PkosimError(f"{path}: is a symbolic link; a batch folder must hold its own files") from None
        raise from_os_error(error, path, "read") from None
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PkosimError(f"{path}: not a regular file")
        if limit is not None and info.st_size > limit:
            raise PkosimError(f"{path}: {info.st_size:,} bytes, more than a batch file of this kind can be "
                              f"({limit:,}); it is not a pkosim file")
        return stream.read()


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    # A column that is all None in this part has no type; text is the only kind of column that can be.
    fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))


def conform(table: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
    """``table`` with the columns and types of ``schema`` (missing columns as nulls, extra ones dropped)."""
    if table.schema.equals(schema):
        return table
    extra = [c for c in table.column_names if c not in schema.names]
    if extra:
        log.warning("%s: columns %s are not in the table's schema (fixed by its first part); dropped", name, extra)
    columns = []
    for field in schema:
        if field.name in table.column_names:
            columns.append(table[field.name].cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


class BatchStore:
    """Reads and writes the files of one batch directory (the manifest lives in ``manifest.py``, the status log
    in ``status.py``). ``tables``: the tables this batch writes."""

    def __init__(self, directory: Path, tables: Iterable[str] = TABLES):
        self.directory = Path(directory)
        self.tables = tuple(tables)
        self._schemas: dict[str, pa.Schema] = {}
        self._empty: dict[str, pa.Schema] = {}

    def table_dir(self, name: str) -> Path:
        if name not in TABLES:
            raise PkosimError(f"{self.directory}: {name!r} is not a table of a batch ({', '.join(TABLES)})")
        return self.directory / f"{name}.parquet"

    @property
    def failures_dir(self) -> Path:
        return self.directory / FAILURES

    def _own_folder(self, folder: Path) -> None:
        """A folder of the batch must be a real folder inside it, not a symbolic link to somewhere else."""
        if folder.is_symlink():
            raise PkosimError(f"{folder}: is a symbolic link; a batch folder must hold its own files, so pkosim "
                              "will not write or delete through it")
        if folder.exists() and not folder.is_dir():
            raise PkosimError(f"{folder}: is a file where the batch keeps a folder; the batch folder is damaged")

    def create(self) -> None:
        try:
            for folder in [*(self.table_dir(name) for name in self.tables), self.failures_dir]:
                self._own_folder(folder)
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise from_os_error(error, error.filename or self.directory, "create a folder") from None

    # -- parts ----------------------------------------------------------------------------------------------------
    def adopt_schemas(self, committed: dict[str, list[str]]) -> None:
        """On resume: new parts must match the schema of the parts already written."""
        for name, parts in committed.items():
            if parts:
                path = self.table_dir(name) / parts[0]
                try:
                    self._schemas[name] = pq.read_schema(path).remove_metadata()
                except (OSError, pa.ArrowException) as error:
                    raise PkosimError(f"{path}: not a readable Parquet file (truncated or not written by pkosim: "
                                      f"{str(error).splitlines()[0][:120]}); the batch is damaged, run it again "
                                      "into a new folder") from None

    @property
    def schemas(self) -> dict[str, pa.Schema]:
        """The schema of each table that has a committed part (what a worker casts new rows to)."""
        return dict(self._schemas)

    def note_empty(self, name: str, schema: pa.Schema) -> None:
        """The columns of a table seen without rows, for its placeholder if it never gets any."""
        self._empty.setdefault(name, schema)

    def stage(self, name: str, file_name: str, schema: pa.Schema, data: bytes | None = None) -> None:
        """Before a chunk's part is committed: write it under its staged name if it came as bytes (a worker that
        could not see the folder), check that it is there, and cast it to the table's schema if the worker wrote it
        before that schema was fixed and it differs (the first committed part fixes it)."""
        path = self.table_dir(name) / staged_name(file_name)
        if data is not None:
            write_new_file(path, data)
        elif not path.is_file() or path.is_symlink():
            raise PkosimError(f"{path}: a worker wrote this part but it is not in the batch folder; do the workers "
                              "write to the same filesystem as this process? (docs/clusters.md)")
        if name not in self._schemas:
            self._schemas[name] = schema
            return
        if schema.equals(self._schemas[name]):
            return
        try:
            table = conform(pq.read_table(path), self._schemas[name], name)
        except (OSError, pa.ArrowException) as error:
            raise PkosimError(f"{path}: cannot cast this part to the columns of the table's first part "
                              f"({str(error).splitlines()[0][:160]})") from None
        atomic_write_bytes(path, parquet_bytes(table))

    def remove_uncommitted(self, stamp: str, committed: dict[str, list[str]]) -> None:
        """At the end of a session: delete what its chunks left that was never committed (the staged and temporary
        files of chunks cancelled or lost with their worker). Other sessions' files are the next writer's to judge."""
        mark = f"part-{stamp}-"
        for name in self.tables:
            folder = self.table_dir(name)
            keep = set(committed.get(name, []))
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                final = entry.name[1:-len(STAGED_SUFFIX)] if entry.name.endswith(STAGED_SUFFIX) else entry.name
                if mark in entry.name and final not in keep and entry.is_file(follow_symlinks=False):
                    _unlink(folder / entry.name)  # a committed part left staged by a failed rename is kept

    def publish(self, parts: dict[str, str]) -> None:
        """Rename committed parts from their staged names to their final names (step 3 of a flush)."""
        for name, file_name in parts.items():
            folder = self.table_dir(name)
            try:
                os.replace(folder / staged_name(file_name), folder / file_name)
            except OSError as error:
                raise from_os_error(error, folder / file_name, "rename a committed part into place") from None
            self.remove_placeholder(name)
        for name in parts:
            sync_directory(self.table_dir(name))

    def write_placeholder(self, name: str) -> None:
        """A zero-row part so that an empty table still reads (schema from the model's empty frames if seen)."""
        schema = self._empty.get(name) or pa.schema(
            [("scenario", pa.string()), ("point", pa.int64()), ("run", pa.int64()), ("seed", pa.string())])
        atomic_write_bytes(self.table_dir(name) / PLACEHOLDER, parquet_bytes(schema.empty_table()))

    def remove_placeholder(self, name: str) -> None:
        _unlink(self.table_dir(name) / PLACEHOLDER)

    def recover(self, committed: dict[str, list[str]]) -> list[Path]:
        """Before a writer adds to a batch: finish the renames of committed parts a crash left staged, and delete
        whatever no status line commits (staged parts of a flush cut short, temporary files, stray files); return
        what was deleted. Refuse if a committed part is missing: its runs' rows are lost."""
        removed = []
        for name in TABLES:
            folder = self.table_dir(name)
            self._own_folder(folder)
            if not folder.is_dir():
                if committed.get(name):
                    raise PkosimError(f"{folder}: missing, yet the status log commits parts of it; the batch is "
                                      "damaged (run it again into a new folder)")
                continue
            keep = set(committed.get(name, []))
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as error:
                raise from_os_error(error, folder, "list") from None
            present = {entry.name for entry in entries}
            for entry in entries:
                if entry.name in keep or (entry.name == PLACEHOLDER and not keep):
                    continue
                final = entry.name[1:-len(STAGED_SUFFIX)] if entry.name.endswith(STAGED_SUFFIX) else None
                if final in keep and final not in present:
                    self._rename(folder / entry.name, folder / final)
                    present.add(final)
                    continue
                if entry.is_dir(follow_symlinks=False):
                    raise PkosimError(f"{folder / entry.name}: a folder inside a table; the batch holds only part "
                                      "files there (move it out, then resume)")
                _unlink(folder / entry.name)
                removed.append(folder / entry.name)
            missing = sorted(keep - present)
            if missing:
                raise PkosimError(f"{folder / missing[0]}: committed in {STATUS} but missing ({len(missing)} part(s)); "
                                  "the runs it held are lost and the batch is damaged (run it again into a new folder)")
        return removed

    @staticmethod
    def _rename(source: Path, target: Path) -> None:
        try:
            os.replace(source, target)
        except OSError as error:
            raise from_os_error(error, target, "rename") from None

    # -- failures -------------------------------------------------------------------------------------------------
    def failure_path(self, point: int, run: int) -> Path:
        return self.failures_dir / f"point{int(point):05d}-run{int(run):05d}.json"

    def write_failure(self, point: int, run: int, record: dict) -> None:
        atomic_write_bytes(self.failure_path(point, run), (json.dumps(record, indent=1, default=str) + "\n").encode())

    def remove_failure(self, point: int, run: int) -> None:
        _unlink(self.failure_path(point, run))

    def remove_done_failures(self, status: Any) -> None:
        """Failure records of runs that are done since (a crash between a commit and their removal)."""
        if not self.failures_dir.is_dir():
            return
        for entry in os.scandir(self.failures_dir):
            match = FAILURE_NAME.fullmatch(entry.name)
            if match and entry.is_file(follow_symlinks=False):
                point, run = int(match[1]), int(match[2])
                if point < status.points and run < status.replications and status.state(point, run) == "ok":
                    _unlink(self.failures_dir / entry.name)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise from_os_error(error, path, "delete") from None


def is_temporary(name: str) -> bool:
    return name.startswith(".") and (name.endswith(TEMPORARY_SUFFIX) or name.endswith(STAGED_SUFFIX))
