"""A batch: every design point x every replication of one scenario, run, recorded and written as it goes.

``run_batch`` plans one batch per scenario (design, seeds, manifest), then feeds the runs to one executor, keeping
only a small window of runs in flight. Finished runs are buffered in this process and flushed as one Parquet part
per table every ``flush_every_runs`` runs or ``flush_every_s`` seconds; the manifest is rewritten after each flush.
Memory therefore depends on the window and the flush size, not on the number of runs.

A run that raises is recorded (``failures/`` and the manifest) and the batch goes on. Ctrl-C cancels pending work,
flushes what finished, leaves the rest ``pending`` and raises ``BatchInterrupted``; ``resume_batches`` later runs
only what is pending or failed, from the resolved scenario stored in the manifest.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from sim.errors import PkosimError

from . import scenarios as sc
from .design import Design, design_of
from .executors import default_workers, make_executor
from .manifest import FILE_NAME, Manifest, now
from .progress import Progress
from .seeds import seed_label
from .store import IDENTITY, TABLES, BatchStore
from .task import RunResult, RunTask, execute

DEFAULT_OUT = Path("results")


@dataclass
class BatchResult:
    """How one batch ended. ``status``: ``complete`` (all runs ok), ``failed`` (some failed) or ``interrupted``."""

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


@dataclass
class BatchPlan:
    """Everything needed to run (or resume) one batch, decided before any run starts."""

    scenario: Any
    design: Design
    root_seed: int
    replications: int
    directory: Path
    manifest: Manifest
    todo: list[tuple[int, int]]
    resumed: bool = False
    _point_cache: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.manifest.data["scenario_name"]

    def point_scenario(self, point: int) -> Any:
        if point not in self._point_cache:
            self._point_cache.clear()  # runs are submitted point by point: one cached point is enough
            self._point_cache[point] = sc.with_overrides(self.scenario, self.design.points[point])
        return self._point_cache[point]


def default_run_fn() -> Callable:
    try:
        from sim.simulation import simulate
    except ImportError as error:
        raise PkosimError(f"the model is not available (sim.simulation.simulate: {error})") from None
    return simulate


def _load(item: Any) -> tuple[Any, str | None]:
    if not isinstance(item, (str, Path)):
        return item, None
    path = Path(item)
    if not path.is_file():
        raise PkosimError(f"{path}: scenario file not found")
    try:
        from sim.scenario import load_scenario
    except ImportError as error:
        raise PkosimError(f"cannot load {path}: the scenario package is not available ({error})") from None
    return load_scenario(path), str(path)


def plan_batches(scenarios: Iterable[Any], out_dir: Path | str = DEFAULT_OUT, *, replications: int | None = None,
                 seed: int | None = None) -> list[BatchPlan]:
    """Load, override and design every scenario, and check nothing would be overwritten. Writes nothing."""
    if replications is not None and replications < 1:
        raise PkosimError(f"--replications {replications}: needs at least 1 replication")
    out_dir = Path(out_dir)
    plans, names = [], set()
    for item in scenarios:
        scenario, source = _load(item)
        overrides = {}
        if replications is not None:
            overrides["replications"] = int(replications)
        if seed is not None:
            overrides["seed"] = int(seed)
        scenario = sc.with_overrides(scenario, overrides)
        name = scenario.name
        if not name or "/" in name or name in (".", ".."):
            raise PkosimError(f"{source or 'scenario'}: name {name!r} cannot be a directory name")
        if name in names:
            raise PkosimError(f"{source or 'scenario'}: two scenarios are named {name!r}; each needs its own batch")
        names.add(name)
        if int(scenario.replications) < 1:
            raise PkosimError(f"{source or name}: replications must be at least 1 (got {scenario.replications})")
        directory = out_dir / name
        if (directory / FILE_NAME).exists():
            raise PkosimError(f"{directory}: already holds a batch; resume it with `pkosim run --resume {directory}`"
                              " or choose another --out")
        design = design_of(scenario)
        for point in design.points:  # validate every design point now, not hours into the batch
            sc.with_overrides(scenario, point)
        root_seed, n = int(scenario.seed), int(scenario.replications)
        todo = [(p, r) for p in range(len(design)) for r in range(n)]
        manifest = Manifest.new(
            directory, scenario_json=sc.to_json(scenario), scenario_hash=sc.scenario_hash(scenario),
            scenario_class=sc.class_path(scenario), scenario_file=source, root_seed=root_seed, replications=n,
            design=design.to_json(), seeds={(p, r): seed_label(root_seed, r) for p, r in todo})
        plans.append(BatchPlan(scenario, design, root_seed, n, directory, manifest, todo))
    if not plans:
        raise PkosimError("no scenario to run")
    return plans


def find_batches(directory: Path | str) -> list[Path]:
    """The batch directories under ``directory``: itself if it holds a manifest, else its sub-directories that do."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PkosimError(f"--resume {directory}: no such directory")
    if (directory / FILE_NAME).exists():
        return [directory]
    found = sorted(p.parent for p in directory.glob(f"*/{FILE_NAME}"))
    if not found:
        raise PkosimError(f"--resume {directory}: no {FILE_NAME} here or in its sub-directories, nothing to resume")
    return found


def plan_resume(directories: Iterable[Path | str]) -> list[BatchPlan]:
    plans = []
    for directory in directories:
        for batch in find_batches(directory):
            manifest = Manifest.load(batch)
            data = manifest.data
            scenario = sc.from_json(data["scenario"], data.get("scenario_class"))
            design = Design.from_json(data["design"])
            todo = [(r["point"], r["run"]) for r in manifest.runs if r["status"] != "ok"]
            plans.append(BatchPlan(scenario, design, int(data["root_seed"]), int(data["replications"]), batch,
                                   manifest, todo, resumed=True))
    return plans


class _Writer:
    """Buffers finished runs of one batch and flushes them as parts, then records them in the manifest."""

    def __init__(self, plan: BatchPlan, flush_every_runs: int, flush_every_s: float):
        self.plan, self.manifest = plan, plan.manifest
        self.store = BatchStore(plan.directory)
        self.flush_every_runs, self.flush_every_s = flush_every_runs, flush_every_s
        # Part names sort by session start, are unique across sessions, and share the flush number across tables.
        self.stamp = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        self.flushes = 0
        self.buffer: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
        self.finished: list[RunResult] = []
        self.last_flush = time.monotonic()

    def open(self) -> None:
        self.store.create()
        data = self.manifest.data
        if self.plan.resumed:
            for name, file_name in list(data.get("placeholders", {}).items()):
                self.store.remove_part(name, file_name)
            data["placeholders"] = {}
            self.store.remove_unrecorded(data["parts"])
            self.store.adopt_schemas(data["parts"])
            for record in self.manifest.runs:
                if record["status"] != "ok":
                    record["status"] = "pending"
        data["status"] = "running"
        data["finished"] = None
        data.setdefault("sessions", []).append({"started": now(), "resumed": self.plan.resumed})
        self.manifest.save()

    def add(self, result: RunResult) -> None:
        record = self.manifest.run(result.point, result.run)
        record["elapsed_s"] = round(result.elapsed_s, 4)
        if result.status != "ok":
            lines = (result.error or "").strip().splitlines()
            record["status"], record["error"] = "failed", lines[-1] if lines else "failed"
            self.store.write_failure(result.point, result.run, {
                "scenario": self.plan.name, "point": result.point, "run": result.run, "seed": result.seed,
                "parameters": self.plan.design.points[result.point], "elapsed_s": result.elapsed_s,
                "traceback": result.error, "time": now()})
            return
        output = result.output
        row = {"status": "ok", "elapsed_s": float(result.elapsed_s)}
        row.update({k: float(v) for k, v in self.plan.design.points[result.point].items()})
        row.update({k: float(v) for k, v in output.summary.items()})
        self.buffer["runs"].append(row)
        for name in TABLES[1:]:
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
        return bool(self.finished) and (len(self.finished) >= self.flush_every_runs
                                        or time.monotonic() - self.last_flush >= self.flush_every_s)

    def flush(self) -> None:
        """Write the buffered runs as one part per table, then record them as done in the manifest."""
        buffer, finished = self.buffer, self.finished
        self.buffer, self.finished = {name: [] for name in TABLES}, []  # never write the same rows twice
        self.last_flush = time.monotonic()
        if finished:
            self.flushes += 1
            written = {}
            for name in TABLES:
                frame = self._table(name, buffer[name], finished)
                file_name = self.store.write_part(name, frame, f"part-{self.stamp}-{self.flushes:05d}.parquet")
                if file_name:
                    written[name] = file_name
            for name, file_name in written.items():
                self.manifest.data["parts"].setdefault(name, []).append(file_name)
            for result in finished:
                record = self.manifest.run(result.point, result.run)
                record["status"], record["error"] = "ok", None
        self.manifest.save()
        for result in finished:
            self.store.remove_failure(result.point, result.run)

    def close(self, interrupted: bool) -> None:
        self.flush()
        data = self.manifest.data
        for name in TABLES:
            if not data["parts"].get(name):
                data.setdefault("placeholders", {})[name] = self.store.write_placeholder(name)
        counts = self.manifest.counts()
        data["status"] = ("interrupted" if interrupted or counts["pending"] else
                          "failed" if counts["failed"] else "complete")
        data["finished"] = now()
        data["sessions"][-1]["finished"] = data["finished"]
        self.manifest.save()


def _result_of(plan: BatchPlan, executor, handle, point: int, run: int) -> RunResult:
    try:
        return executor.result(handle)
    except Exception as error:  # noqa: BLE001 - a worker that died: record it as this run's failure
        return RunResult(point, run, seed_label(plan.root_seed, run), "failed", 0.0,
                         error=f"worker error: {type(error).__name__}: {error}")


def _summarise(plan: BatchPlan, started: float) -> BatchResult:
    counts = plan.manifest.counts()
    return BatchResult(plan.name, plan.directory, len(plan.manifest.runs), counts["ok"], counts["failed"],
                       counts["pending"], plan.manifest.data["status"], time.monotonic() - started)


def _run_plan(plan: BatchPlan, executor, run_fn: Callable, *, quiet: bool, flush_every_runs: int,
              flush_every_s: float) -> BatchResult:
    started = time.monotonic()
    writer = _Writer(plan, flush_every_runs, flush_every_s)
    writer.open()
    progress = Progress(len(plan.todo), plan.name, quiet=quiet)
    todo = iter(plan.todo)
    inflight: dict[Any, tuple[int, int]] = {}
    exhausted = False
    try:
        while True:
            while not exhausted and len(inflight) < executor.window:
                nxt = next(todo, None)
                if nxt is None:
                    exhausted = True
                    break
                point, run = nxt
                task = RunTask(plan.point_scenario(point), point, run, plan.root_seed, run_fn)
                try:
                    inflight[executor.submit(task)] = (point, run)
                except Exception as error:  # noqa: BLE001 - e.g. a process pool broken by a dead worker
                    executor.cancel(list(inflight))
                    progress.close()
                    writer.close(interrupted=True)
                    raise PkosimError(f"{plan.name}: the executor stopped working ({type(error).__name__}: "
                                      f"{error}); finished runs are written, resume with "
                                      f"`pkosim run --resume {plan.directory}`") from None
            if not inflight:
                break
            for handle in executor.wait(list(inflight), timeout=min(1.0, flush_every_s)):
                point, run = inflight.pop(handle)
                result = _result_of(plan, executor, handle, point, run)
                writer.add(result)
                progress.update(result.status == "ok")
            if writer.due():
                writer.flush()
    except KeyboardInterrupt:
        for handle in [h for h in inflight if h.done()]:  # keep what finished before the interrupt
            point, run = inflight.pop(handle)
            result = _result_of(plan, executor, handle, point, run)
            writer.add(result)
        executor.cancel(list(inflight))
        progress.close()
        writer.close(interrupted=True)
        raise BatchInterrupted([_summarise(plan, started)]) from None
    progress.close()
    writer.close(interrupted=False)
    return _summarise(plan, started)


def execute_plans(plans: list[BatchPlan], *, workers: int | None = None, executor: str = "process",
                  scheduler: str | None = None, quiet: bool = True, run_fn: Callable | None = None,
                  flush_every_runs: int = 50, flush_every_s: float = 30.0) -> list[BatchResult]:
    run_fn = run_fn or default_run_fn()
    workers = default_workers() if workers is None else int(workers)
    pool = make_executor(executor, workers, scheduler)
    results: list[BatchResult] = []
    try:
        for index, plan in enumerate(plans):
            try:
                results.append(_run_plan(plan, pool, run_fn, quiet=quiet, flush_every_runs=flush_every_runs,
                                         flush_every_s=flush_every_s))
            except BatchInterrupted as interrupted:
                interrupted.results = results + interrupted.results + [
                    BatchResult(p.name, p.directory, len(p.manifest.runs), 0, 0, len(p.manifest.runs),
                                "not started", 0.0) for p in plans[index + 1:]]
                raise
    finally:
        try:
            pool.close()
        except Exception:  # noqa: BLE001 - a pool stopped by Ctrl-C may complain while closing
            pass
    return results


def run_batch(scenarios: Iterable[Any], out_dir: Path | str = DEFAULT_OUT, *, replications: int | None = None,
              seed: int | None = None, workers: int | None = None, executor: str = "process",
              scheduler: str | None = None, quiet: bool = True, run_fn: Callable | None = None,
              flush_every_runs: int = 50, flush_every_s: float = 30.0) -> list[BatchResult]:
    """Run every scenario (objects or YAML paths) into ``out_dir/<name>/``; see the package docstring."""
    plans = plan_batches(scenarios, out_dir, replications=replications, seed=seed)
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
    run_fn = run_fn or default_run_fn()
    timings = []
    for plan in plans:
        point, run = plan.todo[0] if plan.todo else (0, 0)
        samples = []
        while len(samples) < 2:
            result = execute(RunTask(plan.point_scenario(point), point, run, plan.root_seed, run_fn))
            if result.status != "ok":
                raise PkosimError(f"{plan.name}: the pilot run failed: {(result.error or '').strip().splitlines()[-1]}")
            samples.append(result.elapsed_s)
            if result.elapsed_s > 5.0:
                break
        timings.append(min(samples))  # the first run also pays for imports and caches
    return timings
