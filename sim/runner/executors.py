"""Where runs execute: in this process, in a pool of local processes, or on a Dask cluster.

All three offer the same four operations to the batch loop (``submit``, ``wait``, ``result``, ``close``), so the
loop, the files and the results do not depend on the choice. Results are identical whatever the executor and the
number of workers, because a run's seed depends only on its replication index (``seeds.py``).

- ``InlineExecutor`` (``--workers 1``): runs each task when submitted, in this process. No pool, easiest to debug,
  Ctrl-C interrupts the run itself.
- ``ProcessExecutor`` (default): ``concurrent.futures.ProcessPoolExecutor`` with ``forkserver`` workers that ignore
  SIGINT, so Ctrl-C reaches only the parent, which cancels pending work and stops the workers.
- ``DaskExecutor`` (``--executor dask``): a ``dask.distributed`` client. With ``--scheduler ADDRESS`` it connects to
  a running cluster; without, it starts a ``LocalCluster`` (processes, ``n_workers=W``, one thread each, no
  dashboard). Results are returned to the client, which writes them: workers need pkosim installed but no shared
  filesystem. See docs/clusters.md.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
from typing import Any

from sim.errors import PkosimError

from .task import RunResult, RunTask, execute

EXECUTORS = ("process", "dask")


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class InlineExecutor:
    """Runs tasks one at a time in this process."""

    workers = 1
    window = 1

    def submit(self, task: RunTask) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(execute(task))
        return future

    def wait(self, handles: list, timeout: float) -> list:
        return [h for h in handles if h.done()]

    def result(self, handle) -> RunResult:
        return handle.result()

    def cancel(self, handles: list) -> None:
        pass

    def close(self) -> None:
        pass


RUNS_PER_WORKER = 100


class ProcessExecutor:
    """A pool of ``workers`` local processes."""

    def __init__(self, workers: int):
        self.workers = workers
        self.window = 2 * workers
        context = multiprocessing.get_context("forkserver")
        # Workers fork from a server that has already imported the engine and the model (missing ones are skipped),
        # so each starts warm instead of importing pandas, Mesa and the theatre code again.
        context.set_forkserver_preload(["__main__", "sim.runner.task", "sim.simulation"])
        # A worker's memory settles at the high-water mark of the heaviest run it has done, which creeps up as a
        # long batch meets rarer, heavier runs; replacing each worker after RUNS_PER_WORKER runs (a cheap fork from
        # the warm server) keeps peak memory flat in the number of runs (docs/performance.md).
        self._pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_sigint,
                                            max_tasks_per_child=RUNS_PER_WORKER)

    def submit(self, task: RunTask) -> cf.Future:
        return self._pool.submit(execute, task)

    def wait(self, handles: list, timeout: float) -> list:
        done, _ = cf.wait(handles, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, handle) -> RunResult:
        return handle.result()

    def cancel(self, handles: list) -> None:
        """Drop pending and in-flight work now (used on Ctrl-C): queued tasks are cancelled, workers stopped."""
        for handle in handles:
            handle.cancel()
        processes = list(getattr(self._pool, "_processes", {}).values())  # no public API to stop busy workers
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """A ``dask.distributed`` client, on a given scheduler or on a local cluster started for this batch."""

    def __init__(self, workers: int, scheduler: str | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask[distributed] is a dependency
            raise PkosimError("--executor dask needs dask[distributed]: pip install 'dask[distributed]'") from None
        self._cluster = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout="20s")
            else:
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             dashboard_address=None, silence_logs=40)
                self._client = Client(self._cluster)
        except (OSError, TimeoutError) as error:
            if self._cluster is not None:
                self._cluster.close()
            raise PkosimError(f"--scheduler {scheduler}: cannot connect to the Dask scheduler ({error})") from None
        threads = sum(self._client.nthreads().values()) or workers
        self.workers = threads
        self.window = 2 * threads

    def submit(self, task: RunTask) -> Any:
        return self._client.submit(execute, task, pure=False)

    def wait(self, handles: list, timeout: float) -> list:
        from distributed import wait

        try:
            done, _ = wait(handles, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        return list(done)

    def result(self, handle) -> RunResult:
        result = handle.result()
        handle.release()
        return result

    def cancel(self, handles: list) -> None:
        if handles:
            self._client.cancel(handles)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(kind: str, workers: int, scheduler: str | None = None):
    if kind not in EXECUTORS:
        raise PkosimError(f"--executor {kind!r}: unknown executor; choose one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise PkosimError(f"--workers {workers}: needs at least 1 worker")
    if kind == "dask":
        return DaskExecutor(workers, scheduler)
    if scheduler:
        raise PkosimError("--scheduler only applies with --executor dask")
    return InlineExecutor() if workers == 1 else ProcessExecutor(workers)
