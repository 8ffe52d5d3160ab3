"""A chunk: several runs of one batch as one unit of work, run by one worker, which writes their tables itself.

The batch's process (``batch.py``) cuts the runs to do into chunks and sends each to a worker. The worker runs them
one after the other (``task.execute``: a model error fails its run, not the chunk), writes their rows as one staged
part per table (``parts.py``), and sends back a ``ChunkResult``: which runs are done or failed, the parts' names, rows
and schemas, never the tables themselves. The batch's process commits the chunk with one status line (``writer.py``),
as it used to commit a flush.

Why chunks: with one task per run, a cluster's scheduler handles every run (a million runs, a million tasks), and
the batch's process receives and writes every run's tables. A chunk holds a few minutes of work (``chunk_size``),
so the scheduler sees a few tasks per worker and hour, and the batch's process only appends lines and renames.

A chunk stops starting runs once it has worked ``budget_s`` seconds and returns the rest as ``unstarted`` (the first
chunks are sized before any run was timed); Ctrl-C in this process does the same (``ChunkInterrupted``) after
committing what finished. Results never depend on how runs are chunked: a run's seed depends only on its index.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa

from .parts import PartFile, run_frames, with_identity
from .seeds import seed_label
from .store import STAGED_SUFFIX, conform, part_name
from .task import RunResult, RunTask, execute

MARKER_TABLE = "runs"   # the session marker lives in this table's folder (every batch writes it)


def marker_name(stamp: str) -> str:
    """A file the batch's process puts in the batch folder for its session; a worker that sees it shares the
    folder and writes its parts there (it starts with '.' and ends with ``.staged``: no reader reads it)."""
    return f".session-{stamp}{STAGED_SUFFIX}"


@dataclass(frozen=True)
class RunGroup:
    """Runs of one design point: its scenario (overrides applied) and parameter values."""

    scenario: Any
    point: int
    parameters: dict[str, float]
    runs: tuple[int, ...]


@dataclass(frozen=True)
class Chunk:
    number: int                       # the flush number its status line will carry; names its parts
    batch: str                        # the scenario's name (the ``scenario`` identity column)
    groups: tuple[RunGroup, ...]
    root_seed: int
    run_fn: Callable[[Any, Any], Any]
    tables: tuple[str, ...]
    stamp: str                        # the writing session's stamp (part names)
    directory: str                    # the batch folder
    marker: str | None = None         # None: write into ``directory``; else only if this file is there
    schemas: dict[str, pa.Schema] = field(default_factory=dict)   # tables' schemas fixed so far
    budget_s: float | None = None     # start no run after this many seconds

    @property
    def indices(self) -> list[tuple[int, int]]:
        return [(group.point, run) for group in self.groups for run in group.runs]

    def __len__(self) -> int:
        return sum(len(group.runs) for group in self.groups)


@dataclass
class ChunkResult:
    number: int
    ok: list[tuple[int, int, str, float]] = field(default_factory=list)     # point, run, seed, seconds
    failed: list[RunResult] = field(default_factory=list)
    unstarted: list[tuple[int, int]] = field(default_factory=list)        # back to the queue
    parts: dict[str, str] = field(default_factory=dict)                   # table -> part name (when it has rows)
    rows: dict[str, int] = field(default_factory=dict)
    schemas: dict[str, pa.Schema] = field(default_factory=dict)
    empty: dict[str, pa.Schema] = field(default_factory=dict)             # columns of tables seen without rows
    data: dict[str, bytes] = field(default_factory=dict)                  # part bytes, when the folder is not shared


class ChunkInterrupted(KeyboardInterrupt):
    """Ctrl-C while a chunk ran in this process: ``result`` holds the runs finished before it, parts written."""

    def __init__(self, result: ChunkResult):
        super().__init__("chunk interrupted")
        self.result = result


def chunk_size(remaining: int, workers: int, seconds_per_run: float | None, target_s: float, max_runs: int) -> int:
    """Runs in the next chunk: about ``target_s`` seconds of work (once runs have been timed), at most ``max_runs``,
    and with several workers at most an even share of what is left (remaining / (2 x workers)), so that the last
    chunks shrink and the workers finish together."""
    size = max_runs
    if seconds_per_run is not None and seconds_per_run > 0:
        size = min(size, int(target_s / seconds_per_run))
    if workers > 1:
        size = min(size, math.ceil(remaining / (2 * workers)))
    return max(1, size)


def _folder(chunk: Chunk) -> Path | None:
    """Where this worker writes parts: the batch folder if it can see it, else None (into memory)."""
    directory = Path(chunk.directory)
    if chunk.marker is not None and not (directory / f"{MARKER_TABLE}.parquet" / chunk.marker).is_file():
        return None
    return directory


class _Parts:
    """The parts of one chunk, one per table."""

    def __init__(self, chunk: Chunk):
        folder = _folder(chunk)
        name = part_name(chunk.stamp, chunk.number)
        self.files = {table: PartFile(table, name, None if folder is None else folder / f"{table}.parquet",
                                      chunk.schemas.get(table)) for table in chunk.tables}

    def add(self, chunk: Chunk, group: RunGroup, result: RunResult) -> None:
        """Add a run's rows to every table, or to none (a run whose rows do not fit the tables' schemas)."""
        frames = run_frames(result.output, result.elapsed_s, group.parameters, chunk.tables)
        tables = {name: with_identity(frame, chunk.batch, result.point, result.run, result.seed)
                  for name, frame in frames.items()}
        for name, table in tables.items():  # check every table first: a run is in all of them or in none
            part = self.files[name]
            if part.schema is not None and table.num_rows:
                tables[name] = conform(table, part.schema, name)
        for name, table in tables.items():
            self.files[name].add(table)

    def finish(self, result: ChunkResult) -> None:
        for name, part in self.files.items():
            data = part.finish()
            if part.rows:
                result.parts[name], result.rows[name], result.schemas[name] = part.file_name, part.rows, part.schema
                if data is not None:
                    result.data[name] = data
            elif part.empty_schema is not None:
                result.empty[name] = part.empty_schema

    def discard(self) -> None:
        for part in self.files.values():
            part.discard()


def run_chunk(chunk: Chunk, protect: Callable[[], Any] = contextlib.nullcontext) -> ChunkResult:
    """Run a chunk's runs and write their parts (on a worker, or in this process). ``protect`` wraps the steps
    that Ctrl-C must not cut (recording a run, finishing the parts); in this process it defers Ctrl-C."""
    started = time.monotonic()
    result = ChunkResult(chunk.number)
    todo = [(group, run) for group in chunk.groups for run in group.runs]
    parts = _Parts(chunk)
    done, interrupted = 0, False
    try:
        try:
            for group, run in todo:
                if done and chunk.budget_s is not None and time.monotonic() - started >= chunk.budget_s:
                    break
                outcome = execute(RunTask(group.scenario, group.point, run, chunk.root_seed, chunk.run_fn))
                with protect():
                    _record(chunk, parts, group, outcome, result)
                    done += 1
        except KeyboardInterrupt:
            interrupted = True
        try:
            with protect():
                parts.finish(result)
        except KeyboardInterrupt:  # deferred from the block: the parts are finished
            interrupted = True
    except BaseException:
        parts.discard()
        raise
    result.unstarted = [(group.point, run) for group, run in todo[done:]]
    if interrupted:
        raise ChunkInterrupted(result)
    return result


def _record(chunk: Chunk, parts: _Parts, group: RunGroup, outcome: RunResult, result: ChunkResult) -> None:
    if outcome.status == "ok":
        try:
            parts.add(chunk, group, outcome)
        except (pa.ArrowException, ValueError, TypeError) as error:
            outcome = RunResult(outcome.point, outcome.run, outcome.seed, "failed", outcome.elapsed_s,
                                error=f"the run's tables do not fit the batch's tables (the columns of their first "
                                      f"part): {type(error).__name__}: {str(error).splitlines()[0][:200]}")
    if outcome.status == "ok":
        result.ok.append((outcome.point, outcome.run, outcome.seed, outcome.elapsed_s))
    else:
        outcome.output = None
        result.failed.append(outcome)


def failed_runs(number: int, runs: list[tuple[int, int]], root_seed: int, error: str) -> ChunkResult:
    """The result of runs that failed without a model error of their own (a design point the model refuses, a
    worker that died with them): every one failed with ``error``."""
    return ChunkResult(number, failed=[RunResult(point, run, seed_label(root_seed, run), "failed", 0.0, error=error)
                                       for point, run in runs])
