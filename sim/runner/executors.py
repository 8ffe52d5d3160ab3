"""Where chunks of runs execute: in this process, in a pool of local processes, or on a Dask cluster.

All three offer the same operations to the batch loop (``submit`` a chunk, ``wait``, ``result``, ``cancel``, ``close``,
and for a dead worker ``lost``, ``restart``, ``death_note``), so the loop, the files and the results do not depend on
the choice. Results are identical whatever the executor and the number of workers, because a run's seed depends
only on its replication index (``seeds.py``). A task is a chunk of runs (``chunk.py``): its worker runs them and
writes their tables as staged parts; only a short summary comes back. Each executor says how much work a chunk
should hold (``chunk_s`` seconds, at most ``chunk_runs`` runs) and how many chunks to keep in flight (``window``).

- ``InlineExecutor`` (``--workers 1``): runs each chunk when submitted, in this process. No pool, easiest to debug,
  Ctrl-C interrupts the run itself (the chunk keeps the runs that finished before it).
- ``ProcessExecutor`` (default): ``concurrent.futures.ProcessPoolExecutor`` with ``forkserver`` workers. Workers
  ignore SIGINT, so Ctrl-C reaches only the parent, which cancels pending work and stops the workers. Workers die
  with their parent however it dies (even SIGKILL): ``PR_SET_PDEATHSIG`` on Linux kills a worker when its parent
  (the fork server) exits, and a watchdog thread in each worker exits when the batch's process is gone. The fork
  server exits when the batch's process closes its end of the server's pipe, which the kernel does on any death,
  and the resource tracker when no process holds its pipe any more. Chunks are short (``CHUNK_S``, like the
  flushes they replace), so a batch commits every half minute or so.
- ``DaskExecutor`` (``--executor dask``): a ``dask.distributed`` client. With ``--scheduler ADDRESS`` it connects to
  a running cluster; without, it starts a ``LocalCluster`` (processes, ``n_workers=W``, one thread each, no
  dashboard) whose processes ignore SIGINT, so that Ctrl-C stops the batch with one line, not one traceback per
  worker. A chunk holds minutes of work (``DASK_CHUNK_S``), so the scheduler sees a few tasks per worker and hour
  whatever the batch's size. Workers that share the batch folder write their parts there; others send them back
  and this process writes them (no shared filesystem needed). See docs/clusters.md.

A worker that dies during a run (a crash in native code, the kernel's out-of-memory killer, ``os._exit``) breaks a
process pool: every chunk in flight fails with it. ``lost(error)`` tells the loop it was a dead worker, not a model
error; the loop then restarts the pool and runs each of those runs again alone, so only the run that kills its
worker again is recorded as failed (``batch.py``). On Dask a dead worker fails only the task it was running
(``isolates_deaths``): that chunk's runs are run again as one task each.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.errors import PkosimEnvironmentError, PkosimError

from .chunk import Chunk, ChunkResult, run_chunk

EXECUTORS = ("process", "dask")
CHUNK_S, CHUNK_RUNS = 30.0, 50                 # local chunks: about as long as a flush used to be
DASK_CHUNK_S, DASK_CHUNK_RUNS = 120.0, 100_000  # cluster chunks: minutes of work, sized by time alone
CHUNKS_PER_WORKER = 2                           # a pool worker is replaced after this many chunks (memory)
WATCHDOG_S = 0.5
SCHEDULER_ADDRESS = re.compile(r"(?:(tcp|tls|ws|wss|ucx)://)?([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})")


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _watch_parents(batch_pid: int, parent_pid: int) -> None:
    while True:
        time.sleep(WATCHDOG_S)
        if os.getppid() != parent_pid or not _process_alive(batch_pid):
            os._exit(1)


def _worker_init(batch_pid: int) -> None:
    """In each pool worker: ignore Ctrl-C (the batch's process handles it) and die with the batch's process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    parent = os.getppid()
    if parent == 1 or not _process_alive(batch_pid):  # orphaned before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parents, args=(batch_pid, parent), name="pkosim-watchdog", daemon=True).start()


@contextlib.contextmanager
def deferred_interrupts():
    """Ctrl-C or SIGTERM during the block is held until it ends: a commit is whole or not at all."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = [signal.signal(signum, lambda signum, frame: received.append(signum))
                for signum in (signal.SIGINT, signal.SIGTERM)]
    try:
        yield
    finally:
        for signum, handler in zip((signal.SIGINT, signal.SIGTERM), previous):
            signal.signal(signum, handler)
    if received:
        raise KeyboardInterrupt


def release_memory() -> None:
    """Give the memory a chunk freed back to the system (glibc keeps freed heap pages otherwise), so that a worker's
    footprint stays that of one chunk, not of its heaviest one so far."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # noqa: BLE001 - best effort
        pass
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):
            pass


def work(chunk: Chunk) -> ChunkResult:
    """What a worker process runs: one chunk, then its memory handed back."""
    try:
        return run_chunk(chunk)
    finally:
        release_memory()


@contextlib.contextmanager
def sigint_ignored():
    """Processes started inside ignore SIGINT for good (Python keeps a SIGINT ignored at start-up ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class InlineExecutor:
    """Runs chunks one at a time in this process."""

    workers = 1
    window = 1
    broken = False
    remote = False
    isolates_deaths = False
    chunk_s, chunk_runs = CHUNK_S, CHUNK_RUNS

    def submit(self, chunk: Chunk) -> cf.Future:
        """Run the chunk now; Ctrl-C during it raises ``ChunkInterrupted`` with the runs that finished."""
        future: cf.Future = cf.Future()
        future.set_result(run_chunk(chunk, protect=deferred_interrupts))
        return future

    def wait(self, handles: list, timeout: float) -> list:
        return [h for h in handles if h.done()]

    def result(self, handle) -> ChunkResult:
        return handle.result()

    def lost(self, error: BaseException) -> bool:
        return False

    def restart(self) -> None:
        pass

    def death_note(self) -> str:
        return "the worker died"

    def cancel(self, handles: list) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessExecutor:
    """A pool of ``workers`` local processes."""

    remote = False
    isolates_deaths = False
    chunk_s, chunk_runs = CHUNK_S, CHUNK_RUNS

    def __init__(self, workers: int):
        self.workers = workers
        self.window = 2 * workers
        self.broken = False
        self._context = multiprocessing.get_context("forkserver")
        # Workers fork from a server that has already imported the engine and the model (missing ones are skipped),
        # so each starts warm instead of importing pandas, pyarrow, Mesa and the theatre code again (``chunk`` brings
        # the run task and the Parquet writer).
        self._context.set_forkserver_preload(["__main__", "sim.runner.chunk", "sim.simulation"])
        self._processes: dict = {}
        self._exit_codes: list[int] = []
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        # A worker's memory settles at the high-water mark of the heaviest run it has done, which creeps up as a
        # long batch meets rarer, heavier runs; replacing each worker after CHUNKS_PER_WORKER chunks (a cheap fork
        # from the warm server) keeps peak memory flat in the number of runs (docs/performance.md).
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context, initializer=_worker_init,
                                      initargs=(os.getpid(),), max_tasks_per_child=CHUNKS_PER_WORKER)

    def submit(self, chunk: Chunk) -> cf.Future:
        try:
            future = self._pool.submit(work, chunk)
        except BrokenProcessPool:
            self.broken = True
            raise
        self._processes.update(getattr(self._pool, "_processes", None) or {})
        return future

    def wait(self, handles: list, timeout: float) -> list:
        done, _ = cf.wait(handles, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, handle) -> ChunkResult:
        return handle.result()

    def lost(self, error: BaseException) -> bool:
        if isinstance(error, BrokenProcessPool):
            self.broken = True
            return True
        return False

    def restart(self) -> None:
        """A new pool after a worker died (the old one refuses work)."""
        self._exit_codes = [p.exitcode for p in self._processes.values() if p.exitcode not in (None, 0)]
        self._stop(self._pool)
        self._processes = {}
        self._pool = self._new_pool()
        self.broken = False

    def death_note(self) -> str:
        # The pool stops the other workers itself (SIGTERM, SIGKILL), and 255 is "status unknown": prefer the others.
        codes = [c for c in self._exit_codes if c not in (-signal.SIGTERM, -signal.SIGKILL, 255)] or self._exit_codes
        if not codes:
            return "the worker process died"
        code = codes[0]
        if code < 0:
            try:
                return f"the worker process was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"the worker process was killed by signal {-code}"
        return f"the worker process exited with code {code}"

    @staticmethod
    def _stop(pool: cf.ProcessPoolExecutor) -> None:
        processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API to stop busy workers
        # A worker killed while sending its result leaves half a message in the result pipe, and the pool's manager
        # thread would wait for the rest forever (and the interpreter's exit with it). With every worker gone,
        # closing this process's write end of the pipe lets that thread read EOF, see a broken pool, and end.
        writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(timeout=5)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()

    def cancel(self, handles: list) -> None:
        """Drop pending and in-flight work now (used on Ctrl-C): queued tasks are cancelled, workers stopped."""
        for handle in handles:
            handle.cancel()
        self._stop(self._pool)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def check_scheduler_address(address: str) -> None:
    """A Dask scheduler address is ``[PROTOCOL://]HOST:PORT``; anything else is refused before connecting."""
    match = SCHEDULER_ADDRESS.fullmatch(address.strip())
    if match is None or not 0 < int(match[3]) < 65536:
        raise PkosimError(f"--scheduler {address}: not a scheduler address; give tcp://HOST:PORT "
                          "(e.g. tcp://10.0.0.5:8786, as dask-scheduler prints it)")


class DaskExecutor:
    """A ``dask.distributed`` client, on a given scheduler or on a local cluster started for this batch."""

    def __init__(self, workers: int, scheduler: str | None = None):
        if scheduler:
            check_scheduler_address(scheduler)
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask[distributed] is a dependency
            raise PkosimError("--executor dask needs dask[distributed]: pip install 'dask[distributed]'") from None
        self._cluster = None
        try:
            if scheduler:
                self._client = Client(scheduler.strip(), timeout="20s")
            else:
                with sigint_ignored():  # the cluster's processes inherit it: Ctrl-C reaches this process only
                    self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                 dashboard_address=None, silence_logs=50)
                self._client = Client(self._cluster)
        except (OSError, TimeoutError) as error:
            if self._cluster is not None:
                self._cluster.close()
            raise PkosimEnvironmentError(f"--scheduler {scheduler}: cannot connect to the Dask scheduler "
                                         f"({type(error).__name__}: {str(error)[:120]})") from None
        except (ValueError, TypeError) as error:
            raise PkosimError(f"--scheduler {scheduler}: not a usable scheduler address ({str(error)[:120]})") from None
        self._default_workers = workers
        self._threads, self._counted = 0, -1e9
        self.broken = False
        self.remote = bool(scheduler)  # a local cluster's workers share this machine's folders

    isolates_deaths = True
    chunk_s, chunk_runs = DASK_CHUNK_S, DASK_CHUNK_RUNS

    @property
    def workers(self) -> int:
        """The cluster's threads now (a job-queue cluster grows and shrinks), looked up every few seconds."""
        if time.monotonic() - self._counted > 5.0:
            with contextlib.suppress(Exception):
                self._threads = sum(self._client.nthreads().values())
            self._counted = time.monotonic()
        return self._threads or self._default_workers

    @property
    def window(self) -> int:
        return 2 * self.workers

    def submit(self, chunk: Chunk) -> Any:
        return self._client.submit(work, chunk, pure=False)

    def wait(self, handles: list, timeout: float) -> list:
        from distributed import wait

        try:
            done, _ = wait(handles, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        return list(done)

    def result(self, handle) -> ChunkResult:
        result = handle.result()
        handle.release()
        return result

    def lost(self, error: BaseException) -> bool:
        from distributed import KilledWorker

        return isinstance(error, KilledWorker)

    def restart(self) -> None:
        pass  # the nanny replaces a dead worker

    def death_note(self) -> str:
        return "it killed the Dask workers that ran it"

    def cancel(self, handles: list) -> None:
        if handles:
            with contextlib.suppress(Exception):
                self._client.cancel(handles)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
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
