"""Per-task overhead of the Dask executor: the same batch in chunks (the default) and one run per task.

    .venv/bin/python bench/bench_dask.py                  # 2,000 one-month runs of base.yaml, 2 workers
    .venv/bin/python bench/bench_dask.py --runs 200       # smaller, to check the script works
    .venv/bin/python bench/bench_dask.py --model fake     # the engine's stand-in model (a few ms a run)

A ``LocalCluster`` (processes, one thread each) is started first and the batch connects to it by address, as on a
real cluster, so the cluster's start-up is not counted (workers see the batch folder: they write their parts).
For each variant, the overhead is the worker time not spent in runs, per task:

    overhead per task = (workers x batch wall - sum of the runs' own times) / tasks

where tasks = status lines (one per chunk) and the runs' times are the ``elapsed_s`` column of ``runs.parquet``.
It holds everything a task costs besides its runs: scheduling, sending the chunk, writing its parts, the commit,
and workers idle at the end; on a machine shared with other jobs, also the time they took from the workers. The
last line compares the variants: workers x (difference in wall time) / (difference in tasks). Results go to docs/performance.md by hand (with date and machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START, DAYS = dt.date(2015, 1, 1), 30


def scenario(model: str, directory: Path, name: str):
    """base.yaml on a one-month window (as a file), or the stand-in's scenario on the same window."""
    end = START + dt.timedelta(days=DAYS - 1)
    if model == "fake":
        from sim.runner.fakes import FakeScenario

        return FakeScenario(name=name, start=START, end=end)
    path = directory / f"{name}.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'base.yaml'}\nname: {name}\nstart: {START}\nend: {end}\n")
    return path


def measure(model: str, label: str, scheduler: str, workers: int, runs: int, out: Path,
            chunk_runs: int | None) -> dict:
    from sim.runner import run_batch
    from sim.runner.fakes import fake_simulate

    started = time.perf_counter()
    [result] = run_batch([scenario(model, out, label)], out, replications=runs, executor="dask", scheduler=scheduler,
                         flush_every_runs=chunk_runs, run_fn=fake_simulate if model == "fake" else None)
    wall = time.perf_counter() - started
    batch = out / label
    tasks = len((batch / "status.jsonl").read_text().splitlines())
    run_s = float(pd.read_parquet(batch / "runs.parquet", columns=["elapsed_s"])["elapsed_s"].sum())
    overhead = (workers * wall - run_s) / tasks
    print(f"| {label} | {result.ok:,} | {tasks:,} | {wall:.1f} | {run_s / result.ok * 1000:.0f} | "
          f"{overhead * 1000:.0f} |", flush=True)
    return {"tasks": tasks, "wall_s": wall, "overhead_s": overhead}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", choices=["real", "fake"], default="real")
    args = parser.parse_args()
    from distributed import LocalCluster

    print(f"pkosim Dask overhead, {dt.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {args.runs:,} runs of {DAYS} days ({args.model} model), "
          f"{args.workers} workers", flush=True)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as cluster, tempfile.TemporaryDirectory(prefix="pkosim-dask-") as tmp:
        print("\n| variant | runs | tasks | batch wall (s) | ms per run | overhead per task (ms) |")
        print("|---|---:|---:|---:|---:|---:|")
        # first, workers import the model and load the theatre (a row of its own, not compared)
        measure(args.model, "warm-up", cluster.scheduler_address, args.workers, 2 * args.workers, Path(tmp), 1)
        chunked = measure(args.model, "chunked", cluster.scheduler_address, args.workers, args.runs, Path(tmp), None)
        single = measure(args.model, "one-run-tasks", cluster.scheduler_address, args.workers, args.runs, Path(tmp), 1)
    extra = args.workers * (single["wall_s"] - chunked["wall_s"]) / (single["tasks"] - chunked["tasks"])
    print(f"\ntasks: {chunked['tasks']:,} in chunks against {single['tasks']:,} one run each; batch wall "
          f"{chunked['wall_s']:.1f} s against {single['wall_s']:.1f} s; worker time per extra task "
          f"{extra * 1000:.0f} ms")


if __name__ == "__main__":
    main()
