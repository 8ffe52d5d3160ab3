"""What recording run states costs per flush, as a batch grows: the old manifest against the status log.

Before issue 9 the manifest held one record per run and was rewritten whole (JSON, temporary file, fsync, rename)
after every flush: O(runs) per flush, O(runs^2) per batch. Now each flush appends one line to ``status.jsonl``
(fsync) and the manifest is written only when a session starts and ends. This script times both on the same disk,
without the model: for each batch size it times a few flushes of 50 runs (the default ``flush_every_runs``) and the
replay a reader or ``--resume`` does, and extrapolates to the whole batch (runs / 50 flushes).

    .venv/bin/python bench/bench_manifest.py [--sizes 1000 10000 100000 1000000] [--out DIR]

Results are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sim.files import atomic_write_bytes
from sim.runner.status import FlushLine, RunStatus, StatusLog

FLUSH = 50
SAMPLES = 5


def old_manifest(directory: Path, runs: int) -> tuple[float, float]:
    """Seconds per flush rewriting a manifest of ``runs`` run records, and seconds to read it back."""
    data = {"scenario": {"name": "bench"}, "runs": [
        {"point": 0, "run": r, "seed": f"1/{r}", "status": "pending", "elapsed_s": None, "error": None}
        for r in range(runs)]}
    path = directory / "manifest.json"
    timings = []
    for flush in range(SAMPLES):
        for record in data["runs"][flush * FLUSH:(flush + 1) * FLUSH]:
            record["status"], record["elapsed_s"] = "ok", 0.5
        began = time.perf_counter()
        atomic_write_bytes(path, (json.dumps(data, indent=1, default=str) + "\n").encode())
        timings.append(time.perf_counter() - began)
    began = time.perf_counter()
    json.loads(path.read_text())
    return min(timings), time.perf_counter() - began


def status_log(directory: Path, runs: int) -> tuple[float, float]:
    """Seconds per flush appending one status line, and seconds to replay a log of ``runs`` runs."""
    log = StatusLog(directory / "status.jsonl")
    timings = []
    for flush in range(runs // FLUSH):
        line = FlushLine(flush=flush + 1, session=1, root_seed=1,
                         parts={"runs": f"part-20260101T000000-abcdef-{flush + 1:05d}.parquet"},
                         ok=[(0, r) for r in range(flush * FLUSH, (flush + 1) * FLUSH)])
        began = time.perf_counter()
        log.append(line)
        if flush < SAMPLES:
            timings.append(time.perf_counter() - began)
    began = time.perf_counter()
    RunStatus.load(log.path, 1, runs, 1)
    return min(timings), time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--out", type=Path, help="folder on the disk to measure (default: a temporary folder)")
    args = parser.parse_args()
    print(f"| runs | old: per flush | old: whole batch | new: per flush | new: whole batch | old: read | new: replay |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for runs in args.sizes:
        with tempfile.TemporaryDirectory(dir=args.out) as folder:
            old_flush, old_read = old_manifest(Path(folder), runs)
        with tempfile.TemporaryDirectory(dir=args.out) as folder:
            new_flush, new_read = status_log(Path(folder), runs)
        flushes = runs // FLUSH
        # The old rewrite grows linearly from 0 to the full size over the batch: on average half the last one.
        print(f"| {runs:,} | {old_flush * 1000:.1f} ms | {old_flush * flushes / 2:,.0f} s | {new_flush * 1000:.2f} ms "
              f"| {new_flush * flushes:,.1f} s | {old_read:.2f} s | {new_read:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
