"""One writer per batch: an exclusive operating-system lock on ``DIR/<scenario>/.lock``, held for a whole run or
resume.

The lock is ``filelock.FileLock`` (``flock`` on Linux and macOS, ``LockFileEx`` on Windows): the kernel releases it
when its process ends, however it ends, so a batch killed with SIGKILL can be resumed at once. A second writer
(another ``pkosim run`` or ``--resume`` into the same folder) does not wait: it stops with one line and the
environment exit code. Readers need no lock: what they read is committed through the status log (``store.py``).
"""

from __future__ import annotations

from pathlib import Path

import filelock

from sim.errors import PkosimEnvironmentError, from_os_error

from .store import LOCK


class BatchLock:
    """The lock of one batch directory (which must exist)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / LOCK
        self._lock = filelock.FileLock(str(self.path), timeout=0)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            raise PkosimEnvironmentError(
                f"{self.directory}: another pkosim process is writing this batch (it holds {self.path}); wait for "
                "it to finish, or write to another --out") from None
        except OSError as error:
            raise from_os_error(error, self.path, "lock the batch") from None

    def release(self) -> None:
        if self._lock.is_locked:
            try:
                self._lock.release()
            except OSError:
                pass  # the kernel drops the lock with the descriptor anyway

