"""Interrupted and partly failed batches, resumed, end with exactly the tables of a batch never interrupted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sim.runner import BatchInterrupted, resume_batches, run_batch
from sim.runner.fakes import FakeScenario, fake_simulate

from test_runner_batch import TABLES, assert_same_tables

SCRIPT = """
import sys
from pathlib import Path
from sim.runner import BatchInterrupted, run_batch
from sim.runner.fakes import FakeScenario, fake_simulate
if __name__ == "__main__":  # worker processes (forkserver) import this module again
    scenario = FakeScenario(name="long", replications={replications}, sleep_s={sleep_s})
    try:
        run_batch([scenario], Path(sys.argv[1]), workers={workers}, run_fn=fake_simulate, flush_every_runs=3)
    except BatchInterrupted as interrupted:
        print("interrupted", interrupted.results[0].pending, flush=True)
        sys.exit(130)
"""


def reference(tmp_path: Path, replications: int) -> Path:
    run_batch([FakeScenario(name="long", replications=replications)], tmp_path / "reference", workers=1,
              run_fn=fake_simulate)
    return tmp_path / "reference" / "long"


def start_and_wait_for_parts(tmp_path: Path, *, workers: int, replications: int, sleep_s: float,
                             parts: int) -> tuple[subprocess.Popen, Path]:
    script = tmp_path / "batch.py"
    script.write_text(SCRIPT.format(replications=replications, sleep_s=sleep_s, workers=workers))
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, str(script), str(out)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    log = out / "long" / "status.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if len(log.read_text().splitlines()) >= parts:
                return process, out
        except (OSError, ValueError):
            pass
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the batch wrote no parts in time")


@pytest.mark.slow
def test_batch_killed_with_sigkill_then_resumed_equals_uninterrupted(tmp_path):
    process, out = start_and_wait_for_parts(tmp_path, workers=1, replications=30, sleep_s=0.05, parts=2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    batch = out / "long"
    manifest = json.loads((batch / "manifest.json").read_text())
    assert manifest["status"] == "running"
    lines = [json.loads(line) for line in (batch / "status.jsonl").read_text().splitlines()]
    assert 0 < sum(len(line["ok"]) for line in lines) < 30
    # what a kill at the worst moments leaves behind: a flush's staged part never committed, a temporary file, a
    # committed part whose rename did not happen, and a torn status line
    recorded = lines[0]["parts"]["yearly"]
    shutil.copy(batch / "yearly.parquet" / recorded, batch / "yearly.parquet" / ".part-x.parquet.staged")
    (batch / "daily.parquet" / ".part-x.parquet.1234.tmp").write_bytes(b"half a file")
    committed = lines[-1]["parts"]["runs"]
    (batch / "runs.parquet" / committed).rename(batch / "runs.parquet" / f".{committed}.staged")
    with open(batch / "status.jsonl", "a") as log:
        log.write('{"flush": 99, "session"')

    [result] = resume_batches([out], workers=1, run_fn=fake_simulate)
    assert (result.ok, result.failed, result.pending, result.status) == (30, 0, 0, "complete")
    assert_same_tables(reference(tmp_path, 30), batch)
    assert (batch / "runs.parquet" / committed).exists()
    for name in TABLES:
        assert not list((batch / f"{name}.parquet").glob(".*"))


@pytest.mark.slow
def test_ctrl_c_on_a_process_pool_stops_cleanly_then_resumes(tmp_path):
    process, out = start_and_wait_for_parts(tmp_path, workers=2, replications=40, sleep_s=0.1, parts=1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stdout.startswith("interrupted") and int(stdout.split()[1]) > 0
    batch = out / "long"
    manifest = json.loads((batch / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    lines = [json.loads(line) for line in (batch / "status.jsonl").read_text().splitlines()]
    assert 0 < sum(len(line["ok"]) for line in lines) < 40 and not any(line["failed"] for line in lines)
    resume_batches([batch], workers=2, run_fn=fake_simulate)
    assert_same_tables(reference(tmp_path, 40), batch)


INTERRUPT_AT: set[int] = set()
FAIL_AT: set[int] = set()


def interruptible(scenario, seed):
    """Like fake_simulate, but Ctrl-C (or a failure) arrives during chosen runs, while tests want it to."""
    run = seed.spawn_key[-1]
    if run in INTERRUPT_AT:
        raise KeyboardInterrupt
    if run in FAIL_AT:
        raise ValueError(f"flaky run {run}")
    return fake_simulate(scenario, seed)


def test_keyboard_interrupt_in_process_then_resume_equals_uninterrupted(tmp_path):
    INTERRUPT_AT.add(7)
    try:
        with pytest.raises(BatchInterrupted) as caught:
            run_batch([FakeScenario(name="long", replications=12)], tmp_path / "out", workers=1,
                      run_fn=interruptible, flush_every_runs=5)
    finally:
        INTERRUPT_AT.clear()
    [result] = caught.value.results
    assert (result.ok, result.pending, result.status) == (7, 5, "interrupted")
    batch = tmp_path / "out" / "long"
    assert json.loads((batch / "manifest.json").read_text())["status"] == "interrupted"
    [result] = resume_batches([tmp_path / "out"], workers=1, run_fn=interruptible)
    assert result.status == "complete"
    assert_same_tables(reference(tmp_path, 12), batch)


def test_resume_reruns_only_failed_and_pending_runs(tmp_path):
    FAIL_AT.update({2, 9})
    try:
        [first] = run_batch([FakeScenario(name="long", replications=12)], tmp_path / "out", workers=1,
                            run_fn=interruptible, flush_every_runs=4)
    finally:
        FAIL_AT.clear()
    assert (first.ok, first.failed) == (10, 2)
    batch = tmp_path / "out" / "long"
    lines_before = (batch / "status.jsonl").read_text().splitlines()
    calls = []

    def counting(scenario, seed):
        calls.append(seed.spawn_key[-1])
        return fake_simulate(scenario, seed)

    [second] = resume_batches([batch], workers=1, run_fn=counting)
    assert sorted(calls) == [2, 9]
    assert (second.ok, second.failed, second.status) == (12, 0, "complete")
    assert not list((batch / "failures").iterdir())
    manifest = json.loads((batch / "manifest.json").read_text())
    lines = (batch / "status.jsonl").read_text().splitlines()
    assert lines[: len(lines_before)] == lines_before  # the log only grows; old parts kept as they were
    assert [s["resumed"] for s in manifest["sessions"]] == [False, True]
    assert_same_tables(reference(tmp_path, 12), batch)


def test_resume_of_a_complete_batch_runs_nothing(tmp_path):
    run_batch([FakeScenario(name="long", replications=3)], tmp_path, workers=1, run_fn=fake_simulate)
    calls = []
    [result] = resume_batches([tmp_path], workers=1, run_fn=lambda s, seed: calls.append(seed) or fake_simulate(s, seed))
    assert calls == [] and result.status == "complete" and result.ok == 3
