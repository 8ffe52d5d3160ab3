"""The batch directory on disk: Parquet tables as directories of part files, and one JSON file per failed run.

Why parts: runs finish one by one over hours, so the tables are written as they go, a part (one file per table)
for every few finished runs. Each part is written under a hidden temporary name in its table directory and
``os.replace``d into place, so a reader or a crash never sees half a file. Which parts belong to the batch is
decided by the manifest, not by the directory listing: the manifest is rewritten (also atomically) after the
parts of a flush are in place, and only then do their runs count as done. A part renamed into place just before a
crash, whose runs the manifest does not yet list as done, is an orphan; ``remove_unrecorded`` deletes it on resume
so that re-running those runs cannot duplicate rows.

Why fixed schemas: readers (pandas, polars, DuckDB) take a table's schema from one of its files, so every part of
a table must have the same columns and types. The first part written fixes the schema; later parts are cast to
it. A table that stays empty for the whole batch (e.g. daily output switched off) gets one zero-row placeholder
part so that ``read_parquet(dir)`` and ``'dir/*.parquet'`` still work; a resume removes it before adding rows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.files import atomic_write_bytes

TABLES = ("runs", "yearly", "daily", "incidents", "convoys")
IDENTITY = ["scenario", "point", "run", "seed"]
PLACEHOLDER = "part-empty.parquet"

log = logging.getLogger(__name__)


def atomic_write_json(path: Path, data: dict) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=1, default=str) + "\n").encode())


def _arrow(frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    # A column that is all None in this part has no type; text is the only kind of column that can be.
    fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))


def _conform(table: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
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


class BatchStore:
    """Reads and writes the files of one batch directory (the manifest itself lives in ``manifest.py``)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._schemas: dict[str, pa.Schema] = {}
        self._empty: dict[str, pa.Schema] = {}

    def table_dir(self, name: str) -> Path:
        return self.directory / f"{name}.parquet"

    @property
    def failures_dir(self) -> Path:
        return self.directory / "failures"

    def create(self) -> None:
        for name in TABLES:
            self.table_dir(name).mkdir(parents=True, exist_ok=True)
        self.failures_dir.mkdir(parents=True, exist_ok=True)

    def adopt_schemas(self, recorded: dict[str, list[str]]) -> None:
        """On resume: new parts must match the schema of the parts already written."""
        for name, parts in recorded.items():
            if parts:
                self._schemas[name] = pq.read_schema(self.table_dir(name) / parts[0]).remove_metadata()

    def write_part(self, name: str, frame: pd.DataFrame, file_name: str) -> str | None:
        """Write one part of table ``name`` atomically; return its file name (None when there were no rows)."""
        table = _arrow(frame)
        if table.num_rows == 0:
            self._empty.setdefault(name, table.schema)
            return None
        if name in self._schemas:
            table = _conform(table, self._schemas[name], name)
        else:
            self._schemas[name] = table.schema
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        atomic_write_bytes(self.table_dir(name) / file_name, sink.getvalue().to_pybytes())
        return file_name

    def write_placeholder(self, name: str) -> str:
        """A zero-row part so that an empty table still reads (schema from the model's empty frames if seen)."""
        schema = self._empty.get(name) or pa.schema(
            [("scenario", pa.string()), ("point", pa.int64()), ("run", pa.int64()), ("seed", pa.string())])
        sink = pa.BufferOutputStream()
        pq.write_table(schema.empty_table(), sink)
        atomic_write_bytes(self.table_dir(name) / PLACEHOLDER, sink.getvalue().to_pybytes())
        return PLACEHOLDER

    def remove_unrecorded(self, recorded: dict[str, list[str]]) -> list[Path]:
        """Delete temporary files and parts the manifest does not list (orphans of an interrupted flush)."""
        removed = []
        for name in TABLES:
            directory = self.table_dir(name)
            if not directory.is_dir():
                continue
            keep = set(recorded.get(name, []))
            for path in directory.iterdir():
                if path.name.endswith(".tmp") or (path.suffix == ".parquet" and path.name not in keep):
                    path.unlink()
                    removed.append(path)
        return removed

    def remove_part(self, name: str, file_name: str) -> None:
        path = self.table_dir(name) / file_name
        if path.exists():
            path.unlink()

    def failure_path(self, point: int, run: int) -> Path:
        return self.failures_dir / f"point{point:05d}-run{run:05d}.json"

    def write_failure(self, point: int, run: int, record: dict) -> None:
        atomic_write_json(self.failure_path(point, run), record)

    def remove_failure(self, point: int, run: int) -> None:
        path = self.failure_path(point, run)
        if path.exists():
            path.unlink()
