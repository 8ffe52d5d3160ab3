"""A chunk's parts: the rows of each table from the runs of one chunk, written by the worker that ran them.

A worker runs a chunk of runs (``chunk.py``) and writes, for each table, one Parquet file under the part's staged
name (``store.py``: ``.part-<stamp>-<number>.parquet.staged``, a name no reader reads), which the batch's process
then commits through the status log. The tables never travel to the batch's process: it only appends a status
line and renames, so it stays small and idle while the workers run (docs/performance.md).

Rows are written as they come. Each run's tables get the identity columns (scenario, point, run, seed) and are
converted to Arrow at once, cast to the part's schema, and written as one row group whenever a table holds
``ROW_GROUP_BYTES`` of rows: a worker's memory depends on that size, not on the number of runs in its chunk. The
part's schema is the batch's when known (the first committed part fixes it, ``writer.py``), else its first run's.

The file is written under a unique temporary name and renamed to the staged name when the chunk ends, after it is
flushed to disk: a worker that dies halfway leaves a temporary file, which the batch's process (or the next writer)
removes. A worker that cannot see the batch folder (a cluster without a shared filesystem: ``Chunk.marker``)
writes the same bytes into memory and returns them; the batch's process writes them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import from_os_error
from sim.files import O_CLOEXEC, O_NOFOLLOW, temporary_name

from .store import IDENTITY, MODEL_TABLES, PARQUET_OPTIONS, arrow_table, conform, staged_name

ROW_GROUP_BYTES = 8 * 2**20   # Arrow bytes of one table held before they are written as a row group


def run_frames(output: Any, elapsed_s: float, parameters: dict[str, float], tables: tuple[str, ...]) -> dict:
    """One run's rows of each table the batch writes, without identity columns: ``runs`` (status, time, the design
    point's parameters, the summary) and the model's tables (a table the model did not fill has no rows)."""
    row = {"status": "ok", "elapsed_s": float(elapsed_s)}
    row.update(parameters)
    row.update({k: float(v) for k, v in output.summary.items()})
    frames = {"runs": pd.DataFrame([row])}
    for name in MODEL_TABLES:
        if name in tables:  # a table the scenario switched off is never written, whatever the model returns
            frame = getattr(output, name, None)
            frames[name] = frame if frame is not None else pd.DataFrame()
    return frames


def with_identity(frame: pd.DataFrame, scenario: str, point: int, run: int, seed: str) -> pa.Table:
    """A run's rows of one table as Arrow, identity columns first. The identity columns are built as Arrow arrays
    (the types pandas' string and int64 columns convert to), not through pandas: this runs once per run and table."""
    own = [c for c in IDENTITY if c in frame.columns]
    table = arrow_table(frame.drop(columns=own) if own else frame)
    n = table.num_rows
    identity = [pa.array([scenario] * n, pa.large_string()), pa.array(np.full(n, point, dtype=np.int64)),
                pa.array(np.full(n, run, dtype=np.int64)), pa.array([seed] * n, pa.large_string())]
    return pa.Table.from_arrays(identity + table.columns, names=list(IDENTITY) + table.column_names)


@dataclass
class PartFile:
    """One table's part: rows added run by run, written in row groups, finished as a staged file (or bytes)."""

    table: str
    file_name: str                          # the committed name, part-<stamp>-<number>.parquet
    folder: Path | None                     # the table's folder; None: write into memory and return the bytes
    schema: pa.Schema | None = None         # fixed by the batch, or by the first run with rows
    rows: int = 0
    empty_schema: pa.Schema | None = None   # the columns of a run without rows (for a placeholder)
    _pending: list = field(default_factory=list)
    _pending_bytes: int = 0
    _writer: Any = None
    _stream: Any = None
    _temporary: Path | None = None

    def add(self, table: pa.Table) -> None:
        """Add one run's rows (already with identity columns). Raises ``ArrowInvalid`` if they cannot take the
        part's schema (the run then fails, not the batch)."""
        if table.num_rows == 0:
            if self.empty_schema is None:
                self.empty_schema = table.schema
            return
        table = conform(table, self.schema, self.table) if self.schema is not None else table
        if self.schema is None:
            self.schema = table.schema
        self._pending.append(table)
        self._pending_bytes += table.nbytes
        self.rows += table.num_rows
        if self._pending_bytes >= ROW_GROUP_BYTES:
            self._write_pending()

    def _open(self) -> None:
        if self.folder is None:
            self._stream = pa.BufferOutputStream()
        else:
            self._temporary = temporary_name(self.folder / staged_name(self.file_name))
            try:
                handle = os.open(self._temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                                 0o666)
            except OSError as error:
                raise from_os_error(error, self._temporary, "write") from None
            self._stream = os.fdopen(handle, "wb")
        self._writer = pq.ParquetWriter(self._stream, self.schema, **PARQUET_OPTIONS)

    def _write_pending(self) -> None:
        if not self._pending:
            return
        if self._writer is None:
            self._open()
        try:
            self._writer.write_table(pa.concat_tables(self._pending))
        except OSError as error:
            raise from_os_error(error, self._temporary, "write") from None
        self._pending, self._pending_bytes = [], 0

    def finish(self) -> bytes | None:
        """Write what is left and close: the file flushed to disk and renamed to its staged name (or, in memory,
        its bytes returned). Nothing is written for a part without rows."""
        if self.rows == 0:
            return None
        self._write_pending()
        self._writer.close()
        if self.folder is None:
            return self._stream.getvalue().to_pybytes()
        try:
            self._stream.flush()
            os.fsync(self._stream.fileno())
            self._stream.close()
            os.replace(self._temporary, self.folder / staged_name(self.file_name))
        except OSError as error:
            raise from_os_error(error, self.folder / staged_name(self.file_name), "write") from None
        self._temporary = None
        return None

    def discard(self) -> None:
        """Drop a part that will not be finished (its temporary file is removed)."""
        if self._stream is not None and self.folder is not None and not self._stream.closed:
            self._stream.close()
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None
        self._pending, self._pending_bytes = [], 0
