"""``pkosim run``: run scenarios as seeded batches and write their result files.

    pkosim run scenarios/history_2014_2020.yaml --replications 100 --workers 8 --out results
    pkosim run a.yaml b.yaml --dry-run                 # how many runs, and how long they would take
    pkosim run --resume results/history_2014_2020      # finish an interrupted or partly failed batch
    pkosim run a.yaml --executor dask --scheduler tcp://scheduler:8786

Exit codes: 0 all runs ok; 1 some runs failed (recorded in failures/); 2 bad input (a scenario, an option, a damaged
result folder); 3 environment (disk full, no permission, read-only folder, the batch locked by another writer);
130 interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from sim.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNS_FAILED, PkosimError

from .batch import (DEFAULT_OUT, BatchInterrupted, BatchResult, execute_plans, pilot, plan_batches, plan_resume)
from .executors import EXECUTORS, check_scheduler_address, default_workers
from .plan import CONFIRM_RUNS
from .progress import _duration
from .report import format_table, key_metrics


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="run scenarios as seeded batches and write their result files",
        description="Run every listed scenario (all design points x replications) into OUT/<scenario name>/. "
                    "Result files are described in docs/results.md.")
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO.yaml", help="scenario files to run")
    parser.add_argument("--replications", type=int, metavar="N", help="replications per design point "
                        "(default: the scenario's)")
    parser.add_argument("--seed", type=int, metavar="S", help="root seed (default: the scenario's)")
    parser.add_argument("--workers", type=int, metavar="W", help=f"parallel runs (default: cores, here "
                        f"{default_workers()}); 1 runs in this process")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help="output folder (default: "
                        "results/)")
    parser.add_argument("--executor", default="process", metavar="{process,dask}",
                        help="local processes (default) or a Dask cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: start a local "
                        "cluster)")
    parser.add_argument("--resume", type=Path, metavar="DIR", help="finish the batch in DIR (or every batch under "
                        "it): run only what is pending or failed")
    parser.add_argument("--dry-run", action="store_true", help="print the number of runs and an estimated wall "
                        "time from a short pilot, write nothing")
    parser.add_argument("--yes", action="store_true", help=f"confirm a command of more than {CONFIRM_RUNS:,} runs")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or progress lines")
    parser.add_argument("--run-fn", metavar="MODULE:FUNCTION", help=argparse.SUPPRESS)  # tests and benchmarks
    parser.add_argument("--flush-every", type=int, metavar="RUNS", help=argparse.SUPPRESS)  # tests, benchmarks
    parser.set_defaults(func=run_command)


def _run_fn(spec: str | None):
    if not spec:
        return None
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise PkosimError(f"--run-fn {spec}: cannot import it ({error})") from None


def _report(results: list[BatchResult], out=None) -> None:
    out = out or sys.stdout
    tables = {r.scenario: key_metrics(r.directory) for r in results if r.ok}
    if tables:
        print(format_table(tables), file=out)
    for r in results:
        print(f"{r.scenario}: {r.ok}/{r.runs} runs ok, {r.failed} failed, {r.pending} pending "
              f"({_duration(r.elapsed_s)}); results in {r.directory}", file=out)


def run_command(args: argparse.Namespace) -> int:
    if args.executor not in EXECUTORS:
        raise PkosimError(f"--executor {args.executor}: unknown executor; choose one of {', '.join(EXECUTORS)}")
    if args.workers is not None and args.workers < 1:
        raise PkosimError(f"--workers {args.workers}: needs at least 1 worker")
    if args.scheduler and args.executor != "dask":
        raise PkosimError("--scheduler only applies with --executor dask")
    if args.scheduler:
        check_scheduler_address(args.scheduler)
    run_fn = _run_fn(args.run_fn)
    if args.resume is not None:
        if args.scenarios:
            raise PkosimError("--resume: give either scenario files or --resume DIR, not both")
        if args.replications is not None or args.seed is not None:
            raise PkosimError("--resume: --replications and --seed come from the manifest and cannot be changed")
        plans = plan_resume([args.resume])
    else:
        if not args.scenarios:
            raise PkosimError("pkosim run: give at least one SCENARIO.yaml (or --resume DIR)")
        plans = plan_batches(args.scenarios, args.out, replications=args.replications, seed=args.seed,
                             yes=args.yes or args.dry_run)
    workers = args.workers or default_workers()
    if args.dry_run:
        return _dry_run(plans, run_fn, workers, confirmed=args.yes)
    try:
        results = execute_plans(plans, workers=workers, executor=args.executor, scheduler=args.scheduler,
                                quiet=args.quiet, run_fn=run_fn,
                                flush_every_runs=None if args.flush_every is None else max(1, args.flush_every))
    except BatchInterrupted as interrupted:
        done = sum(r.ok for r in interrupted.results)
        pending = sum(r.pending for r in interrupted.results)
        where = args.resume if args.resume is not None else args.out
        print(f"pkosim run: interrupted; {done} runs written, {pending} pending. Resume with: "
              f"pkosim run --resume {where}", file=sys.stderr)
        return EXIT_INTERRUPTED
    _report(results)
    failed = sum(r.failed for r in results)
    if failed:
        print(f"pkosim run: {failed} run(s) failed; tracebacks in the failures/ folder of each batch; "
              f"re-run them with pkosim run --resume DIR", file=sys.stderr)
        return EXIT_RUNS_FAILED
    return EXIT_OK


def _dry_run(plans, run_fn, workers: int, *, confirmed: bool) -> int:
    timings = pilot(plans, run_fn)
    total_runs = sum(len(p.todo) for p in plans)
    for plan, seconds in zip(plans, timings):
        print(f"{plan.name}: {len(plan.design)} design point(s) x {plan.replications} replication(s) = "
              f"{len(plan.todo)} runs to do, ~{seconds:.2f} s per run")
    estimate = sum(len(p.todo) * s for p, s in zip(plans, timings)) / workers
    print(f"total: {total_runs} runs; estimated wall time with {workers} worker(s): ~{_duration(estimate)} "
          f"(from a pilot in this process; nothing written)")
    if total_runs > CONFIRM_RUNS and not confirmed:
        print(f"more than {CONFIRM_RUNS:,} runs: pkosim run needs --yes to start them")
    return EXIT_OK
