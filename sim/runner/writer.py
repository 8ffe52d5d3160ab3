"""Writing one batch: its folder laid out under the batch lock, finished chunks committed one status line each.

``BatchWriter.prepare`` takes the batch's lock and then either lays out a new batch (only in an empty folder) or
repairs a batch to resume (re-read under the lock, torn status line cut, staged parts of a flush cut short removed,
committed parts a crash left staged renamed into place: ``BatchStore.recover``). ``begin`` opens a session,
``next_number`` names the next chunk, ``commit`` commits a finished chunk whose parts its worker wrote (``store.py``:
parts staged, one status line, renames), ``close`` ends the session in the manifest and ``release`` drops the lock.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sim.errors import PkosimError, from_os_error
from sim.files import atomic_write_bytes, write_new_file

from .chunk import MARKER_TABLE, ChunkResult, marker_name
from .lock import BatchLock
from .manifest import SessionRecord, now
from .plan import BatchPlan, check_new_batch_folder, design_table, load_plan
from .status import FlushLine, StatusLog, short_error
from .store import DESIGN, LOCK, STATUS, BatchStore, parquet_bytes


class BatchWriter:
    """Lays out one batch and commits its finished chunks; workers only add staged parts, which no reader reads."""

    def __init__(self, plan: BatchPlan):
        self.plan = plan
        self.store = BatchStore(plan.directory, plan.tables)
        self.log = StatusLog(plan.directory / STATUS)
        self.lock = BatchLock(plan.directory)
        # Part names sort by session start, are unique across sessions, and share the flush number across tables.
        self.stamp = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        self.session = 0
        self.marker: str | None = None
        self._flush_number = 0
        self._created_folder = False

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
    def begin(self, shared_check: bool = False) -> None:
        """Open a session. ``shared_check``: workers may run on other machines; leave a marker in the folder so that
        a worker that sees it writes its parts here, and one that does not sends them back (``chunk.py``)."""
        self._created_folder = False  # the batch exists now: never remove it
        data = self.plan.manifest.data
        data.status, data.finished = "running", None
        data.sessions.append(SessionRecord(started=now(), resumed=self.plan.resumed))
        self.session = len(data.sessions)
        self.plan.manifest.save()
        if shared_check:
            self.marker = marker_name(self.stamp)
            write_new_file(self.store.table_dir(MARKER_TABLE) / self.marker, b"")

    @property
    def schemas(self):
        """The tables' schemas fixed so far, for the next chunk's worker."""
        return self.store.schemas

    def next_number(self) -> int:
        """The flush number of the next chunk (never one a status line or a staged name already used)."""
        self._flush_number = max(self.plan.status.flushes, self._flush_number) + 1
        return self._flush_number

    def commit(self, result: ChunkResult) -> None:
        """Commit a finished chunk: failure records, its parts staged (written here if they came as bytes, cast to
        the tables' schemas if needed), one status line, then the parts renamed into place."""
        for run in result.failed:
            self.store.write_failure(run.point, run.run, {
                "scenario": self.plan.name, "point": run.point, "run": run.run, "seed": run.seed,
                "parameters": self.plan.design.point(run.point), "elapsed_s": run.elapsed_s,
                "traceback": run.error, "time": now()})
        if not result.ok and not result.failed:
            return
        for name, file_name in result.parts.items():
            self.store.stage(name, file_name, result.schemas[name], result.data.get(name))
        for name, schema in result.empty.items():
            self.store.note_empty(name, schema)
        line = FlushLine(flush=result.number, session=max(self.session, 1), root_seed=self.plan.root_seed,
                         parts=dict(result.parts), rows=dict(result.rows),
                         ok=[(point, run) for point, run, _, _ in result.ok],
                         failed=[(run.point, run.run, short_error(run.error)) for run in result.failed])
        self.log.append(line)  # the commit
        self.plan.status.apply(line, f"{self.log.path}")
        self.store.publish(result.parts)
        for point, run, _, _ in result.ok:
            self.store.remove_failure(point, run)

    def close(self, interrupted: bool) -> None:
        self._tidy()
        for name in self.plan.tables:
            if not self.plan.status.parts[name]:
                self.store.write_placeholder(name)
        self._end_session("interrupted" if interrupted else None)

    def abort(self) -> None:
        """After an error: record the session as interrupted if the disk still allows it (the status log, not the
        manifest, says which runs are done, so a manifest left at "running" misleads no reader)."""
        try:
            self._tidy()
            self._end_session("interrupted")
        except (PkosimError, OSError):
            pass

    def _tidy(self) -> None:
        """Remove this session's marker and what its chunks left uncommitted (cancelled, or lost with a worker)."""
        if self.marker is not None:
            (self.store.table_dir(MARKER_TABLE) / self.marker).unlink(missing_ok=True)
            self.marker = None
        self.store.remove_uncommitted(self.stamp, self.plan.status.parts)

    def _end_session(self, forced: str | None) -> None:
        data = self.plan.manifest.data
        counts = self.plan.status.counts()
        data.status = forced or ("interrupted" if counts["pending"] else "failed" if counts["failed"] else "complete")
        data.finished = now()
        if data.sessions:
            data.sessions[-1].finished = data.finished
        self.plan.manifest.save()
