"""A batch: every design point x every replication of one scenario, run, recorded and written as it goes.

``run_batch`` plans one batch per scenario (``plan.py``), takes every batch's lock and lays out its folder
(``writer.py``), then cuts the runs to do into chunks (``chunk.py``) and feeds them to one executor, keeping a few
chunks per worker in flight. A chunk's worker runs it and writes its tables as staged parts; this process commits
each finished chunk with one status line (``status.py``) and renames its parts into place (``store.py``). A chunk
holds about ``flush_every_s`` seconds of work (at most ``flush_every_runs`` runs; by default the executor's), and
the last chunks shrink so that the workers finish together. Memory therefore depends on the window and the chunk
size, not on the number of runs, and this process never handles the tables.

A run that raises is recorded (``failures/`` and the status log) and the batch goes on. A worker process that dies
fails every chunk in flight with it; those runs are run again one at a time, and only one that kills its worker
again is recorded as failed. Ctrl-C (or SIGTERM) cancels pending work, commits what finished, leaves the rest
``pending`` and raises ``BatchInterrupted``; a second Ctrl-C while that happens is ignored. ``resume_batches``
later runs only what is pending or failed, from the scenario stored in the manifest. A full disk or another
writer stops the batch with a ``PkosimEnvironmentError``; what was committed stays.
"""

from __future__ import annotations

import contextlib
import itertools
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from sim.errors import PkosimEnvironmentError, PkosimError

from .chunk import Chunk, ChunkInterrupted, ChunkResult, RunGroup, chunk_size, failed_runs
from .executors import default_workers, deferred_interrupts, make_executor
from .plan import DEFAULT_OUT, BatchPlan, find_batches, plan_batches, plan_resume
from .progress import Progress
from .scenarios import default_run_fn
from .task import RunTask, execute
from .writer import BatchWriter

__all__ = ["DEFAULT_OUT", "BatchInterrupted", "BatchPlan", "BatchResult", "execute_plans", "find_batches", "pilot",
           "plan_batches", "plan_resume", "resume_batches", "run_batch"]


@dataclass
class BatchResult:
    """How one batch ended. ``status``: ``complete`` (all runs ok), ``failed`` (some failed), ``interrupted`` or
    ``not started``."""

    scenario: str
    directory: Path
    runs: int
    ok: int
    failed: int
    pending: int
    status: str
    elapsed_s: float


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch: what finished is written; ``results`` says where and how much is pending."""

    def __init__(self, results: list[BatchResult]):
        super().__init__("batch interrupted")
        self.results = results


def _terminate_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals(handler_int, handler_term):
    """Set SIGINT/SIGTERM handlers for the block (main thread only; elsewhere signals do not reach Python code)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = [signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)]
    if handler_int is not None:
        signal.signal(signal.SIGINT, handler_int)
    if handler_term is not None:
        signal.signal(signal.SIGTERM, handler_term)
    try:
        yield
    finally:
        for signum, handler in zip((signal.SIGINT, signal.SIGTERM), previous):
            if handler is not None:
                signal.signal(signum, handler)


def _cleanup():
    """While a batch stops, further Ctrl-C / SIGTERM are ignored: they would only leave it half-stopped."""
    return _signals(signal.SIG_IGN, signal.SIG_IGN)


def _summarise(plan: BatchPlan, started: float, status: str | None = None) -> BatchResult:
    counts = plan.status.counts()
    return BatchResult(plan.name, plan.directory, plan.runs, counts["ok"], counts["failed"], counts["pending"],
                       status or plan.manifest.data.status, time.monotonic() - started)


class _Loop:
    """The run loop of one batch: cut the runs to do into chunks, keep a few in flight, commit each as it ends;
    runs of chunks lost with a dead worker are run again one at a time."""

    def __init__(self, plan: BatchPlan, writer: BatchWriter, executor, run_fn: Callable, progress: Progress, *,
                 chunk_runs: int, chunk_s: float):
        self.plan, self.writer, self.executor, self.run_fn, self.progress = plan, writer, executor, run_fn, progress
        self.chunk_runs, self.chunk_s = chunk_runs, chunk_s
        self.todo = plan.todo            # run indices (point * replications + run), in order
        self.cursor = 0                  # todo[:cursor] have been handed out
        self.retry: deque[int] = deque()     # back from a chunk that stopped early, or a pool that broke
        self.alone: deque[int] = deque()     # to run as a chunk of their own (their chunk killed a worker)
        self.suspects: list[int] = []        # in flight when a pool worker died: run again alone
        self.retried: set[int] = set()       # already run again after a worker died with them
        self.inflight: dict[Any, Chunk] = {}
        self.seconds, self.timed = 0.0, 0    # run time seen so far, to size chunks

    @property
    def remaining(self) -> int:
        return len(self.todo) - self.cursor + len(self.retry) + len(self.alone)

    def _take(self) -> list[int]:
        """The run indices of the next chunk."""
        if self.alone:
            return [self.alone.popleft()]
        size = chunk_size(self.remaining, self.executor.workers, self.seconds / self.timed if self.timed else None,
                          self.chunk_s, self.chunk_runs)
        taken = [self.retry.popleft() for _ in range(min(size, len(self.retry)))]
        if len(taken) < size and self.cursor < len(self.todo):
            more = self.todo[self.cursor:self.cursor + size - len(taken)].tolist()
            self.cursor += len(more)
            taken.extend(more)
        return taken

    def chunk(self, indices: list[int], budget: bool = True) -> Chunk | None:
        """A chunk of these runs; runs of a design point the model refuses are failed at once, not sent."""
        plan, groups = self.plan, []
        for point, items in itertools.groupby(indices, key=lambda index: index // plan.replications):
            runs = tuple(index % plan.replications for index in items)
            try:
                scenario = plan.point_scenario(point)
            except PkosimError as error:  # a design point the model refuses: each of its runs fails, the batch goes on
                self.commit(failed_runs(self.writer.next_number(), [(point, run) for run in runs], plan.root_seed,
                                        f"design point {point} is not a valid scenario: {error.lines()[0]}"))
                continue
            groups.append(RunGroup(scenario, point, plan.design.point(point), runs))
        if not groups:
            return None
        return Chunk(self.writer.next_number(), plan.name, tuple(groups), plan.root_seed, self.run_fn, plan.tables,
                     self.writer.stamp, str(plan.directory), self.writer.marker, self.writer.schemas,
                     self.chunk_s if budget else None)

    def commit(self, result: ChunkResult) -> None:
        with deferred_interrupts():
            self.writer.commit(result)
        for point, run in reversed(result.unstarted):
            self.retry.appendleft(point * self.plan.replications + run)
        for _, _, _, seconds in result.ok:
            self.seconds, self.timed = self.seconds + seconds, self.timed + 1
            self.progress.update(True)
        for _ in result.failed:
            self.progress.update(False)

    def outcome(self, handle, chunk: Chunk) -> ChunkResult | None:
        """The chunk's result, or None when its worker died (its runs may be innocent)."""
        try:
            return self.executor.result(handle)
        except PkosimError:
            raise  # the worker could not write its parts (a full disk, a folder it may not write): stop the batch
        except Exception as error:  # noqa: BLE001 - a dead worker, or an executor error: these runs' failure
            if self.executor.lost(error):
                return None
            return failed_runs(chunk.number, chunk.indices, self.plan.root_seed,
                               f"worker error: {type(error).__name__}: {error}")

    def died(self, chunk: Chunk) -> None:
        """A worker died with this chunk. In a process pool every chunk in flight died with it: their runs are run
        again alone later. On Dask only this chunk did: its runs go back as chunks of one run each, and a run that
        kills its worker again (Dask has already tried it elsewhere) is failed."""
        indices = [point * self.plan.replications + run for point, run in chunk.indices]
        if not self.executor.isolates_deaths:
            self.suspects.extend(indices)
            return
        if len(indices) == 1 and indices[0] in self.retried:
            self.commit(self.worker_died(chunk))
            return
        self.retried.update(indices)
        self.alone.extend(indices)

    def worker_died(self, chunk: Chunk) -> ChunkResult:
        return failed_runs(chunk.number, chunk.indices, self.plan.root_seed,
                           f"WorkerDied: {self.executor.death_note()} while running this run (run again alone after "
                           "its worker died with other runs in flight)")

    def submit(self, chunk: Chunk) -> bool:
        """Send a chunk; False if the executor cannot take it now (a broken pool: its runs go back)."""
        try:
            self.inflight[self.executor.submit(chunk)] = chunk
            return True
        except ChunkInterrupted as stop:  # Ctrl-C inside a chunk run in this process: keep what it finished
            self.commit(stop.result)
            raise KeyboardInterrupt from None
        except Exception as error:  # noqa: BLE001 - a pool broken by a dead worker, or a lost cluster
            if self.executor.lost(error):
                for point, run in reversed(chunk.indices):
                    self.retry.appendleft(point * self.plan.replications + run)
                return False
            raise PkosimEnvironmentError(f"{self.plan.name}: the executor stopped working ({type(error).__name__}"
                                         f": {str(error)[:120]})") from None

    def submit_more(self) -> None:
        while not self.executor.broken and len(self.inflight) < self.executor.window and self.remaining:
            chunk = self.chunk(self._take())
            if chunk is not None and not self.submit(chunk):
                return

    def run_alone(self, index: int) -> None:
        """Run one suspect with nothing else in flight: if its worker dies again, it is the culprit."""
        chunk = self.chunk([index], budget=False)
        if chunk is None:
            return
        for attempt in range(2):
            if self.submit(chunk):
                break
            self.retry.clear()
            if attempt:
                raise PkosimEnvironmentError(f"{self.plan.name}: the executor stopped working") from None
            self.executor.restart()
        [handle] = [h for h, c in self.inflight.items() if c is chunk]
        while not self.executor.wait([handle], timeout=1.0):
            pass
        del self.inflight[handle]
        result = self.outcome(handle, chunk)
        if result is None:
            self.executor.restart()
            result = self.worker_died(chunk)
        self.commit(result)

    def run(self) -> None:
        while True:
            self.submit_more()
            if not self.inflight:
                if self.suspects:
                    self.executor.restart()
                    suspects, self.suspects = self.suspects, []
                    for index in suspects:
                        self.run_alone(index)
                    continue
                if self.executor.broken:
                    self.executor.restart()
                    continue
                if not self.remaining:
                    return
                continue
            for handle in self.executor.wait(list(self.inflight), timeout=1.0):
                chunk = self.inflight.pop(handle)
                result = self.outcome(handle, chunk)
                if result is None:
                    self.died(chunk)
                else:
                    self.commit(result)

    def keep_finished(self) -> None:
        """On Ctrl-C: commit the chunks that finished before it."""
        for handle in [h for h in self.inflight if h.done()]:
            chunk = self.inflight.pop(handle)
            with contextlib.suppress(PkosimError):
                result = self.outcome(handle, chunk)
                if result is not None:
                    self.writer.commit(result)


def _run_plan(plan: BatchPlan, writer: BatchWriter, executor, run_fn: Callable, *, quiet: bool, chunk_runs: int,
              chunk_s: float) -> BatchResult:
    started = time.monotonic()
    writer.begin(shared_check=executor.remote)
    progress = Progress(len(plan.todo), plan.name, quiet=quiet)
    loop = _Loop(plan, writer, executor, run_fn, progress, chunk_runs=chunk_runs, chunk_s=chunk_s)
    try:
        loop.run()
    except KeyboardInterrupt:
        with _cleanup():
            loop.keep_finished()
            executor.cancel(list(loop.inflight))
            progress.close()
            writer.close(interrupted=True)
        raise BatchInterrupted([_summarise(plan, started)]) from None
    except PkosimError as error:
        with _cleanup():
            executor.cancel(list(loop.inflight))
            progress.close()
            writer.abort()
        if isinstance(error, PkosimEnvironmentError):
            raise PkosimEnvironmentError(f"{error}; runs committed so far are kept: resume with "
                                         f"`pkosim run --resume {plan.directory}`") from None
        raise
    progress.close()
    writer.close(interrupted=False)
    return _summarise(plan, started)


def execute_plans(plans: list[BatchPlan], *, workers: int | None = None, executor: str = "process",
                  scheduler: str | None = None, quiet: bool = True, run_fn: Callable | None = None,
                  flush_every_runs: int | None = None, flush_every_s: float | None = None) -> list[BatchResult]:
    """Run planned batches one after the other on one executor; every batch is locked for the whole call.

    A chunk (one status line) holds at most ``flush_every_runs`` runs and starts no run after ``flush_every_s``
    seconds of work; by default the executor's (``executors.py``: 50 runs or 30 s locally, minutes on Dask)."""
    workers = default_workers() if workers is None else int(workers)
    if flush_every_runs is not None and flush_every_runs < 1:
        raise PkosimError(f"--flush-every {flush_every_runs}: needs at least 1 run")
    writers = [BatchWriter(plan) for plan in plans]
    results: list[BatchResult] = []
    pool = None
    with _signals(None, _terminate_as_interrupt):
        try:
            pool = make_executor(executor, workers, scheduler)
            for writer in writers:
                writer.prepare()
            for index, (plan, writer) in enumerate(zip(plans, writers)):
                try:
                    results.append(_run_plan(plan, writer, pool, run_fn or default_run_fn(plan.model), quiet=quiet,
                                             chunk_runs=flush_every_runs or pool.chunk_runs,
                                             chunk_s=flush_every_s or pool.chunk_s))
                except BatchInterrupted as interrupted:
                    interrupted.results = results + interrupted.results + [
                        _summarise(p, time.monotonic(), "not started") for p in plans[index + 1:]]
                    raise
        finally:
            with _cleanup():
                if pool is not None:
                    with contextlib.suppress(Exception):  # a pool stopped by Ctrl-C may complain while closing
                        pool.close()
                for writer in writers:
                    writer.release()
    return results


def run_batch(scenarios: Iterable[Any], out_dir: Path | str = DEFAULT_OUT, *, replications: int | None = None,
              seed: int | None = None, workers: int | None = None, executor: str = "process",
              scheduler: str | None = None, quiet: bool = True, run_fn: Callable | None = None,
              flush_every_runs: int | None = None, flush_every_s: float | None = None,
              yes: bool = False) -> list[BatchResult]:
    """Run every scenario (objects or YAML paths) into ``out_dir/<name>/``; see the package docstring."""
    plans = plan_batches(scenarios, out_dir, replications=replications, seed=seed, yes=yes)
    return execute_plans(plans, workers=workers, executor=executor, scheduler=scheduler, quiet=quiet,
                         run_fn=run_fn, flush_every_runs=flush_every_runs, flush_every_s=flush_every_s)


def resume_batches(directories: Iterable[Path | str], *, workers: int | None = None, executor: str = "process",
                   scheduler: str | None = None, quiet: bool = True, run_fn: Callable | None = None,
                   flush_every_runs: int | None = None, flush_every_s: float | None = None) -> list[BatchResult]:
    """Finish batches (a batch directory, or an output directory holding several): run what is pending or failed."""
    plans = plan_resume(directories)
    return execute_plans(plans, workers=workers, executor=executor, scheduler=scheduler, quiet=quiet,
                         run_fn=run_fn, flush_every_runs=flush_every_runs, flush_every_s=flush_every_s)


def pilot(plans: list[BatchPlan], run_fn: Callable | None = None) -> list[float]:
    """Seconds per run of each plan, timed on one or two real runs in this process (for ``--dry-run``)."""
    timings = []
    for plan in plans:
        todo = plan.todo
        point, run = plan.locate(int(todo[0])) if len(todo) else (0, 0)
        samples = []
        while len(samples) < 2:
            result = execute(RunTask(plan.point_scenario(point), point, run, plan.root_seed,
                                     run_fn or default_run_fn(plan.model)))
            if result.status != "ok":
                raise PkosimError(f"{plan.name}: the pilot run failed: {(result.error or '').strip().splitlines()[-1]}")
            samples.append(result.elapsed_s)
            if result.elapsed_s > 5.0:
                break
        timings.append(min(samples))  # the first run also pays for imports and caches
    return timings
