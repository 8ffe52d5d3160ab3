"""The fit: an optuna study (TPE sampler seeded with the calibration seed) whose trials run batches.

The first trial tries the scenario's own values (clipped into the priors); each later trial draws values from the
TPE sampler and runs the scenario with them through the batch engine
(``sim.runner.run_batch``, the calibration's replications, the scenario's own root seed: common random numbers, so
trials differ by their parameters and not by their luck), reads the yearly and incidents tables back, computes the
patterns and scores them against the targets. The best trial's batch is kept for the report.
"""

from __future__ import annotations

import math
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from sim.errors import PkosimError
from sim.runner import run_batch
from sim.runner import scenarios as runner_scenarios
from sim.calibration.config import Calibration
from sim.calibration.report import check_tables, read_batch

DEFAULT_OUT = Path("results/calibration")


@dataclass
class TrialRecord:
    number: int
    values: dict[str, float]
    objective: float
    directory: Path
    elapsed_s: float


@dataclass
class FitResult:
    calibration: Calibration
    best: TrialRecord
    table: pd.DataFrame                  # observed vs simulated for the best trial (report.check_tables)
    trials: list[TrialRecord] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def best_values(self) -> dict[str, float]:
        return dict(self.best.values)

    @property
    def objective(self) -> float:
        return self.best.objective


def evaluate(calibration: Calibration, values: dict[str, Any], out_dir: Path, *, workers: int | None = 1,
             run_fn: Callable | None = None) -> tuple[float, pd.DataFrame, Path]:
    """Run the scenario with ``values`` as one batch in ``out_dir``; return (objective, check table, batch dir)."""
    scenario = calibration.scenario
    if getattr(scenario, "sweep", None) is not None:
        raise PkosimError(f"scenario {scenario.name!r} has a sweep; calibration runs one design point per trial")
    overrides = dict(values)
    if getattr(getattr(scenario, "outputs", None), "daily", False):
        overrides["outputs.daily"] = False  # trials need the yearly and incidents tables only
    if not getattr(scenario.outputs, "incidents", True):
        overrides["outputs.incidents"] = True
    if getattr(scenario, "posterior", None) is not None:
        overrides["posterior"] = None  # a trial runs its own values, not the posterior's draws
    trial_scenario = runner_scenarios.with_overrides(scenario, overrides)
    [result] = run_batch([trial_scenario], out_dir, replications=calibration.replications, workers=workers,
                         quiet=True, run_fn=run_fn)
    if result.ok == 0:
        raise PkosimError(f"every run of the trial failed; tracebacks in {result.directory / 'failures'}")
    yearly, incidents = read_batch(result.directory)
    table = check_tables(yearly, incidents, calibration.targets, calibration.weights)
    whole = table[table["year"].isna()]
    value = float(whole["contribution"].sum()) if len(whole) else math.inf
    return value, table, result.directory


def _suggest(trial, calibration: Calibration) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path, prior in calibration.parameters.items():
        if calibration.integer.get(path):
            values[path] = trial.suggest_int(path, math.ceil(prior.low), math.floor(prior.high), log=prior.log)
        else:
            values[path] = trial.suggest_float(path, prior.low, prior.high, log=prior.log)
    return values


def starting_point(calibration: Calibration) -> dict[str, Any]:
    """The scenario's current values of the fitted parameters, each clipped into its prior."""
    from sim.calibration.config import numeric_paths

    current = numeric_paths(calibration.scenario.model_dump(mode="json"))
    start = {}
    for path, prior in calibration.parameters.items():
        value = min(max(current[path], prior.low), prior.high)
        start[path] = int(round(value)) if calibration.integer.get(path) else float(value)
    return start


def _short(values: dict[str, Any]) -> str:
    return ", ".join(f"{path.split('.')[-1]}={value:.3g}" for path, value in values.items())


def fit(calibration: Calibration, out_dir: Path | str = DEFAULT_OUT, *, workers: int | None = 1,
        run_fn: Callable | None = None, quiet: bool = False, stream: TextIO | None = None) -> FitResult:
    """Run the study; trial batches go to ``out_dir/trials/trial-NNNN/`` (a previous fit's trials are replaced)."""
    import optuna  # here, not at module level: `pkosim --help` should not pay for it

    stream = stream or sys.stderr
    out_dir = Path(out_dir)
    trials_dir = out_dir / "trials"
    if trials_dir.exists():
        shutil.rmtree(trials_dir)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=calibration.seed,
                                         n_startup_trials=min(10, max(2, calibration.trials // 3)))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    start = starting_point(calibration)
    if start:
        study.enqueue_trial(start)  # trial 1: the scenario's own values, where they lie inside the priors
    records: list[TrialRecord] = []
    tables: dict[int, pd.DataFrame] = {}
    started = time.monotonic()

    def objective(trial) -> float:
        values = _suggest(trial, calibration)
        t0 = time.monotonic()
        value, table, directory = evaluate(calibration, values, trials_dir / f"trial-{trial.number:04d}",
                                           workers=workers, run_fn=run_fn)
        record = TrialRecord(trial.number, values, value, directory, time.monotonic() - t0)
        records.append(record)
        tables[trial.number] = table
        best = min(records, key=lambda r: r.objective)
        if not quiet:
            print(f"trial {trial.number + 1}/{calibration.trials}: objective {value:.3g} "
                  f"(best {best.objective:.3g}, trial {best.number + 1}) {_short(values)} "
                  f"[{record.elapsed_s:.1f} s]", file=stream, flush=True)
        return value

    study.optimize(objective, n_trials=calibration.trials)
    best = min(records, key=lambda r: (r.objective, r.number))
    return FitResult(calibration, best, tables[best.number], records, time.monotonic() - started)
