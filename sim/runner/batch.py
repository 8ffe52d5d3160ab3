"""A batch: every design point x every replication of one scenario, run, recorded and written as it goes.

``run_batch`` plans one batch per scenario (``plan.py``), takes every batch's lock and lays out its folder
(``writer.py``), then feeds the runs to one executor, keeping only a small window of runs in flight. Finished runs
are buffered in this process and committed as one Parquet part per table every ``flush_every_runs`` runs or
``flush_every_s`` seconds (``store.py``, ``status.py``). Memory therefore depends on the window and the flush size,
not on the number of runs.

A run that raises is recorded (``failures/`` and the status log) and the batch goes on. A worker process that dies
fails every run in flight with it; those runs are run again one at a time, and only one that kills its worker
again is recorded as failed. Ctrl-C (or SIGTERM) cancels pending work, commits what finished, leaves the rest
``pending`` and raises ``BatchInterrupted``; a second Ctrl-C while that happens is ignored. ``resume_batches``
later runs only what is pending or failed, from the scenario stored in the manifest. A full disk or another
writer stops the batch with a ``PkosimEnvironmentError``; what was committed stays.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from sim.errors import PkosimEnvironmentError, PkosimError

from .executors import default_workers, make_executor
from .plan import DEFAULT_OUT, BatchPlan, find_batches, plan_batches, plan_resume
from .progress import Progress
from .scenarios import default_run_fn
from .seeds import seed_label
from .task import RunResult, RunTask, execute
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


@contextlib.contextmanager
def _deferred_interrupts():
    """Ctrl-C or SIGTERM during the block is held until it ends: a flush commits whole or not at all."""
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


def _cleanup():
    """While a batch stops, further Ctrl-C / SIGTERM are ignored: they would only leave it half-stopped."""
    return _signals(signal.SIG_IGN, signal.SIG_IGN)


def _summarise(plan: BatchPlan, started: float, status: str | None = None) -> BatchResult:
    counts = plan.status.counts()
    return BatchResult(plan.name, plan.directory, plan.runs, counts["ok"], counts["failed"], counts["pending"],
                       status or plan.manifest.data.status, time.monotonic() - started)


class _Loop:
    """The run loop of one batch: submit within the window, collect, commit; dead workers' runs re-run alone."""

    def __init__(self, plan: BatchPlan, writer: BatchWriter, executor, run_fn: Callable, progress: Progress):
        self.plan, self.writer, self.executor, self.run_fn, self.progress = plan, writer, executor, run_fn, progress
        self.queue = iter(plan.todo.tolist())
        self.retry: deque[int] = deque()    # submitted to a pool that broke before running them
        self.suspects: list[int] = []       # in flight when a worker died
        self.inflight: dict[Any, int] = {}
        self.exhausted = False

    def _next(self) -> int | None:
        if self.retry:
            return self.retry.popleft()
        index = next(self.queue, None)
        self.exhausted = index is None
        return index

    def task(self, index: int) -> RunTask | RunResult:
        point, run = self.plan.locate(index)
        try:
            scenario = self.plan.point_scenario(point)
        except PkosimError as error:  # a design point the model refuses: each of its runs fails, the batch goes on
            return RunResult(point, run, seed_label(self.plan.root_seed, run), "failed", 0.0,
                             error=f"design point {point} is not a valid scenario: {error.lines()[0]}")
        return RunTask(scenario, point, run, self.plan.root_seed, self.run_fn)

    def record(self, result: RunResult) -> None:
        self.writer.add(result)
        self.progress.update(result.status == "ok")

    def outcome(self, handle, index: int) -> RunResult | None:
        """The run's result, or None when its worker died (the run may be innocent)."""
        point, run = self.plan.locate(index)
        try:
            return self.executor.result(handle)
        except Exception as error:  # noqa: BLE001 - a dead worker, or an executor error: this run's failure
            if self.executor.lost(error):
                return None
            return RunResult(point, run, seed_label(self.plan.root_seed, run), "failed", 0.0,
                             error=f"worker error: {type(error).__name__}: {error}")

    def submit_more(self) -> None:
        while not self.executor.broken and len(self.inflight) < self.executor.window:
            index = self._next()
            if index is None:
                return
            task = self.task(index)
            if isinstance(task, RunResult):
                self.record(task)
                continue
            try:
                self.inflight[self.executor.submit(task)] = index
            except Exception as error:  # noqa: BLE001 - a pool broken by a dead worker, or a lost cluster
                if self.executor.lost(error):
                    self.retry.appendleft(index)
                    return
                raise PkosimEnvironmentError(f"{self.plan.name}: the executor stopped working ({type(error).__name__}"
                                             f": {str(error)[:120]})") from None

    def run_alone(self, index: int) -> None:
        """Run one suspect with nothing else in flight: if its worker dies again, it is the culprit."""
        task = self.task(index)
        if isinstance(task, RunResult):
            self.record(task)
            return
        for attempt in range(2):
            try:
                handle = self.executor.submit(task)
                break
            except Exception as error:  # noqa: BLE001
                if not self.executor.lost(error) or attempt:
                    raise PkosimEnvironmentError(f"{self.plan.name}: the executor stopped working") from None
                self.executor.restart()
        self.inflight[handle] = index
        while not self.executor.wait([handle], timeout=1.0):
            pass
        del self.inflight[handle]
        result = self.outcome(handle, index)
        if result is None:
            self.executor.restart()
            point, run = self.plan.locate(index)
            result = RunResult(point, run, seed_label(self.plan.root_seed, run), "failed", 0.0,
                               error=f"WorkerDied: {self.executor.death_note()} while running this run (run again "
                                     "alone after its worker died with other runs in flight)")
        self.record(result)

    def run(self, flush_every_s: float) -> None:
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
                if self.exhausted and not self.retry:
                    return
                continue
            for handle in self.executor.wait(list(self.inflight), timeout=min(1.0, flush_every_s)):
                index = self.inflight.pop(handle)
                result = self.outcome(handle, index)
                if result is None:
                    self.suspects.append(index)
                else:
                    self.record(result)
            if self.writer.due():
                with _deferred_interrupts():
                    self.writer.flush()

    def keep_finished(self) -> None:
        """On Ctrl-C: keep the runs that finished before it."""
        for handle in [h for h in self.inflight if h.done()]:
            index = self.inflight.pop(handle)
            result = self.outcome(handle, index)
            if result is not None:
                self.writer.add(result)


def _run_plan(plan: BatchPlan, writer: BatchWriter, executor, run_fn: Callable, *, quiet: bool,
              flush_every_s: float) -> BatchResult:
    started = time.monotonic()
    writer.begin()
    progress = Progress(len(plan.todo), plan.name, quiet=quiet)
    loop = _Loop(plan, writer, executor, run_fn, progress)
    try:
        loop.run(flush_every_s)
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
                  flush_every_runs: int = 50, flush_every_s: float = 30.0) -> list[BatchResult]:
    """Run planned batches one after the other on one executor; every batch is locked for the whole call."""
    workers = default_workers() if workers is None else int(workers)
    writers = [BatchWriter(plan, flush_every_runs, flush_every_s) for plan in plans]
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
                                             flush_every_s=flush_every_s))
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
              flush_every_runs: int = 50, flush_every_s: float = 30.0, yes: bool = False) -> list[BatchResult]:
    """Run every scenario (objects or YAML paths) into ``out_dir/<name>/``; see the package docstring."""
    plans = plan_batches(scenarios, out_dir, replications=replications, seed=seed, yes=yes)
    return execute_plans(plans, workers=workers, executor=executor, scheduler=scheduler, quiet=quiet,
                         run_fn=run_fn, flush_every_runs=flush_every_runs, flush_every_s=flush_every_s)


def resume_batches(directories: Iterable[Path | str], *, workers: int | None = None, executor: str = "process",
                   scheduler: str | None = None, quiet: bool = True, run_fn: Callable | None = None,
                   flush_every_runs: int = 50, flush_every_s: float = 30.0) -> list[BatchResult]:
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
