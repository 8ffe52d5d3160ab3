"""One run: what a worker runs (``RunTask``) and what it gets back (``RunResult``), inside a chunk (``chunk.py``).

``execute`` runs one run on a worker. It gives the run its seed (replication k: ``run_seed(root, k)``)
and, for a scenario with a posterior, its parameters (draw k: ``scenarios.for_replication``), so replication k of
every scenario and design point shares both. It never raises for a model error: the traceback travels back as data,
so a failing run is recorded and the batch goes on, whatever the executor. The chunk that ran it writes its
tables as staged parts (``parts.py``); the batch's process alone commits them.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from sim.output import RunOutput

from .scenarios import for_replication
from .seeds import run_seed, seed_label


@dataclass(frozen=True)
class RunTask:
    scenario: Any                 # the design point's scenario (overrides applied; the posterior draw is not yet)
    point: int
    run: int
    root_seed: int
    run_fn: Callable[[Any, Any], RunOutput]

    @property
    def seed(self) -> str:
        return seed_label(self.root_seed, self.run)


@dataclass
class RunResult:
    point: int
    run: int
    seed: str
    status: str                   # "ok" or "failed"
    elapsed_s: float
    output: RunOutput | None = None
    error: str | None = None      # traceback of a failed run


def execute(task: RunTask) -> RunResult:
    started = time.perf_counter()
    try:
        output = task.run_fn(for_replication(task.scenario, task.run), run_seed(task.root_seed, task.run))
    except Exception:  # noqa: BLE001 - any model error is recorded as this run's failure
        return RunResult(task.point, task.run, task.seed, "failed", time.perf_counter() - started,
                         error=traceback.format_exc())
    if not isinstance(output, RunOutput):
        return RunResult(task.point, task.run, task.seed, "failed", time.perf_counter() - started,
                         error=f"the run function returned {type(output).__name__}, not RunOutput")
    return RunResult(task.point, task.run, task.seed, "ok", time.perf_counter() - started, output=output)
