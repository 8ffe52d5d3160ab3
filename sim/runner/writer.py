"""Writing one batch: its folder laid out under the batch lock, finished runs buffered and committed in flushes.

``BatchWriter.prepare`` takes the batch's lock and then either lays out a new batch (only in an empty folder) or
repairs a batch to resume (re-read under the lock, torn status line cut, staged parts of a flush cut short removed,
committed parts a crash left staged renamed into place: ``BatchStore.recover``). ``begin`` opens a session, ``add``
buffers each finished run, ``flush`` commits the buffer (``store.py``: staged parts, one status line, renames),
``close`` ends the session in the manifest and ``release`` drops the lock.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

import numpy as np
import pandas as pd

from sim.errors import PkosimError, from_os_error
from sim.files import atomic_write_bytes

from .lock import BatchLock
from .manifest import SessionRecord, now
from .plan import BatchPlan, check_new_batch_folder, design_table, load_plan
from .status import FlushLine, StatusLog, short_error
from .store import DESIGN, IDENTITY, LOCK, MODEL_TABLES, STATUS, BatchStore, parquet_bytes, part_name
from .task import RunResult


class BatchWriter:
    """Buffers finished runs of one batch and commits them as parts; the only code that writes a batch folder."""

    def __init__(self, plan: BatchPlan, flush_every_runs: int = 50, flush_every_s: float = 30.0):
        self.plan = plan
        self.store = BatchStore(plan.directory, plan.tables)
        self.log = StatusLog(plan.directory / STATUS)
        self.lock = BatchLock(plan.directory)
        self.flush_every_runs, self.flush_every_s = flush_every_runs, flush_every_s
        # Part names sort by session start, are unique across sessions, and share the flush number across tables.
        self.stamp = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        self.session = 0
        self._flush_number = 0
        self._created_folder = False
        self._reset_buffer()
        self.last_flush = time.monotonic()

    def _reset_buffer(self) -> None:
        self.buffer: dict[str, list] = {name: [] for name in self.plan.tables}
        self.finished: list[RunResult] = []
        self.failed: list[tuple[int, int, str]] = []

    # -- the folder -------------------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Take the lock; lay out a new batch or repair one to resume. On failure, leave the folder as it was."""
        directory = self.plan.directory
        try:
            self._created_folder = not directory.exists()
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise from_os_error(error, directory, "create the batch folder") from None
        try:
            self.lock.acquire()
            if self.plan.resumed:
                self._repair()
            else:
                check_new_batch_folder(directory)  # again, now that no other writer can change it
                if self.plan.design.method is not None:
                    atomic_write_bytes(directory / DESIGN, parquet_bytes(design_table(self.plan.design)))
                self.store.create()
                self.plan.manifest.save()  # last: a folder without a manifest holds nothing a new run refuses
        except OSError as error:
            self.release()
            raise from_os_error(error, error.filename or directory, "write") from None
        except BaseException:
            self.release()
            raise

    def _repair(self) -> None:
        current = load_plan(self.plan.directory)  # re-read under the lock: another writer may have gone on
        if current.manifest.data.scenario_hash != self.plan.manifest.data.scenario_hash:
            raise PkosimError(f"{self.plan.directory}: the batch changed while it was being planned; run again")
        self.plan.manifest, self.plan.status = current.manifest, current.status
        self.plan.status_bytes = current.status_bytes
        self.log.truncate(current.status_bytes)
        self.store.recover(current.status.parts)
        self.store.create()
        self.store.adopt_schemas(current.status.parts)
        self.store.remove_done_failures(current.status)

    def release(self) -> None:
        """Drop the lock; a new folder this writer made and left empty is removed again (never a lock file this
        writer did not hold: another writer may hold it)."""
        held = self.lock.held
        self.lock.release()
        if self._created_folder:
            try:
                if held:
                    (self.plan.directory / LOCK).unlink(missing_ok=True)
                self.plan.directory.rmdir()  # only if empty
            except OSError:
                pass
            self._created_folder = False

    # -- a session --------------------------------------------------------------------------------------------
    def begin(self) -> None:
        self._created_folder = False  # the batch exists now: never remove it
        data = self.plan.manifest.data
        data.status, data.finished = "running", None
        data.sessions.append(SessionRecord(started=now(), resumed=self.plan.resumed))
        self.session = len(data.sessions)
        self.plan.manifest.save()

    def add(self, result: RunResult) -> None:
        if result.status != "ok":
            self.store.write_failure(result.point, result.run, {
                "scenario": self.plan.name, "point": result.point, "run": result.run, "seed": result.seed,
                "parameters": self.plan.design.point(result.point), "elapsed_s": result.elapsed_s,
                "traceback": result.error, "time": now()})
            self.failed.append((result.point, result.run, short_error(result.error)))
            return
        output = result.output
        row = {"status": "ok", "elapsed_s": float(result.elapsed_s)}
        row.update(self.plan.design.point(result.point))
        row.update({k: float(v) for k, v in output.summary.items()})
        self.buffer["runs"].append(row)
        for name in MODEL_TABLES:
            if name in self.buffer:  # a table the scenario switched off is never written, whatever the model returns
                frame = getattr(output, name, None)
                self.buffer[name].append(frame if frame is not None else pd.DataFrame())
        result.output = None  # the tables now live in the buffer only
        self.finished.append(result)

    def _table(self, name: str, pieces: list, finished: list[RunResult]) -> pd.DataFrame:
        """One table of the flushed runs, identity columns first (built once per flush: cheap per run)."""
        if name == "runs":
            frame = pd.DataFrame(pieces)
            lengths = np.ones(len(pieces), dtype=np.int64)
        else:
            lengths = np.array([len(piece) for piece in pieces], dtype=np.int64)
            frame = pd.concat([p for p in pieces if len(p)] or [pieces[0]], ignore_index=True)
        if len(frame) != int(lengths.sum()):
            frame = frame.iloc[0:0]
        identity = pd.DataFrame({
            "scenario": pd.Series([self.plan.name] * int(lengths.sum()), dtype="str"),
            "point": np.repeat(np.array([r.point for r in finished], dtype=np.int64), lengths),
            "run": np.repeat(np.array([r.run for r in finished], dtype=np.int64), lengths),
            "seed": pd.Series(np.repeat(np.array([r.seed for r in finished], dtype=object), lengths), dtype="str"),
        })
        frame = frame.drop(columns=[c for c in IDENTITY if c in frame.columns]).reset_index(drop=True)
        return pd.concat([identity, frame], axis=1)

    def due(self) -> bool:
        waiting = len(self.finished) + len(self.failed)
        return bool(waiting) and (waiting >= self.flush_every_runs
                                  or time.monotonic() - self.last_flush >= self.flush_every_s)

    def flush(self) -> None:
        """Commit the buffered runs: staged parts, one status line, then the parts renamed into place."""
        buffer, finished, failed = self.buffer, self.finished, self.failed
        self._reset_buffer()  # never write the same rows twice, even if this flush fails
        self.last_flush = time.monotonic()
        if not finished and not failed:
            return
        status = self.plan.status
        number = self._flush_number = max(status.flushes, self._flush_number) + 1  # never reuse a staged name
        parts, rows = {}, {}
        if finished:
            file_name = part_name(self.stamp, number)
            for name in self.plan.tables:
                count = self.store.write_staged(name, self._table(name, buffer[name], finished), file_name)
                if count:
                    parts[name], rows[name] = file_name, count
        line = FlushLine(flush=number, session=max(self.session, 1), root_seed=self.plan.root_seed, parts=parts,
                         rows=rows, ok=[(r.point, r.run) for r in finished], failed=failed)
        self.log.append(line)  # the commit
        status.apply(line, f"{self.log.path}")
        self.store.publish(parts)
        for result in finished:
            self.store.remove_failure(result.point, result.run)

    def close(self, interrupted: bool) -> None:
        self.flush()
        for name in self.plan.tables:
            if not self.plan.status.parts[name]:
                self.store.write_placeholder(name)
        self._end_session("interrupted" if interrupted else None)

    def abort(self) -> None:
        """After an error: record the session as interrupted if the disk still allows it (the status log, not the
        manifest, says which runs are done, so a manifest left at "running" misleads no reader)."""
        try:
            self._end_session("interrupted")
        except (PkosimError, OSError):
            pass

    def _end_session(self, forced: str | None) -> None:
        data = self.plan.manifest.data
        counts = self.plan.status.counts()
        data.status = forced or ("interrupted" if counts["pending"] else "failed" if counts["failed"] else "complete")
        data.finished = now()
        if data.sessions:
            data.sessions[-1].finished = data.finished
        self.plan.manifest.save()
