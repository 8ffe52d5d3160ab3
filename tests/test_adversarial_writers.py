"""One writer per batch, readers that never see a row twice or a row of an unfinished flush, and processes that
end with their batch however it ends (issue 9, items 2 and 6)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import time
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

from adversarial import (RUN_FN, SLOW_RUN_FN, Sibling, assert_one_line, assert_rows_match_status, cli, committed_runs,
                         descendants, interrupt, pkosim, start, status_lines, wait_for_commits, wait_gone, write_tiny)
from sim.runner import run_batch
from sim.runner.fakes import FakeScenario, fake_simulate

pytestmark = pytest.mark.slow
SLOW_TINY = "name: tiny\nstart: 2014-11-01\nend: 2015-01-30\nreplications: {n}\nseed: 5\n"


@pytest.fixture
def sibling(tmp_path) -> Sibling:
    return Sibling(tmp_path)


def slow_scenario(tmp_path: Path, replications: int = 30) -> Path:
    return write_tiny(tmp_path, SLOW_TINY.format(n=replications))


def run_args(scenario: Path, out: Path, *extra) -> list:
    return ["run", scenario, "--out", out, "--quiet", "--run-fn", SLOW_RUN_FN, "--flush-every", 2, *extra]


def test_a_second_writer_into_a_running_batch_is_refused(tmp_path, sibling):
    # 60 runs of 0.5 s: the first writer is still writing when the refused ones, slow to start on a loaded
    # machine, have given up; a chunk is 2 runs, so the interrupt ends it within about a second
    scenario, out = slow_scenario(tmp_path, 60), tmp_path / "out"
    first = start(*run_args(scenario, out, "--workers", "1"), PKOSIM_TEST_SLEEP="0.5")
    wait_for_commits(out / "tiny", process=first)
    second = start(*run_args(scenario, out, "--workers", "1"))
    resumed = start("run", "--resume", out, "--quiet", "--run-fn", SLOW_RUN_FN)
    assert second.wait(timeout=60) == 2
    assert_one_line(second.stderr.read(), "already holds a batch")
    assert resumed.wait(timeout=60) == 3
    assert_one_line(resumed.stderr.read(), "another pkosim process is writing this batch")
    assert first.poll() is None  # the refusals came while the first was writing
    interrupt(first)
    assert first.wait(timeout=60) == 130
    assert 0 < len(assert_rows_match_status(out / "tiny")) < 60
    sibling.assert_untouched()


def test_two_runs_started_together_write_one_batch(tmp_path):
    scenario, out = slow_scenario(tmp_path, 12), tmp_path / "out"
    processes = [start(*run_args(scenario, out, "--workers", "1")) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and codes[1] in (2, 3), results
    loser = next(err for code, err in results if code != 0)
    assert_one_line(loser, "tiny")
    assert len(assert_rows_match_status(out / "tiny")) == 12


def test_two_resumes_at_once_run_each_pending_run_once(tmp_path, capsys):
    scenario, out = slow_scenario(tmp_path, 100), tmp_path / "out"   # 20 s: interrupted long before the end
    first = start(*run_args(scenario, out, "--workers", "1"))
    wait_for_commits(out / "tiny", process=first)
    interrupt(first)
    assert first.wait(timeout=60) == 130
    resumes = [start("run", "--resume", out, "--quiet", "--workers", "1", "--run-fn", SLOW_RUN_FN,
                     PKOSIM_TEST_SLEEP="0.05") for _ in range(2)]
    codes = sorted(p.wait(timeout=120) for p in resumes)
    assert codes in ([0, 0], [0, 3])  # the second waits for nobody: refused, or nothing left to do
    assert len(assert_rows_match_status(out / "tiny")) == 100


def test_deleting_the_manifest_and_running_again_is_refused(tmp_path, capsys):
    scenario, out = write_tiny(tmp_path), tmp_path / "out"
    assert cli(capsys, "run", scenario, "--out", out, "--workers", "1", "--quiet", "--run-fn", RUN_FN)[0] == 0
    (out / "tiny" / "manifest.json").unlink()
    rows = len(pd.read_parquet(out / "tiny" / "yearly.parquet"))
    code, _, err = cli(capsys, "run", scenario, "--out", out, "--workers", "1", "--quiet", "--run-fn", RUN_FN)
    assert code == 2
    assert_one_line(err, "not empty", "not a batch (no manifest.json)")
    assert len(pd.read_parquet(out / "tiny" / "yearly.parquet")) == rows


def test_parts_of_a_killed_batch_are_never_read_as_results(tmp_path, capsys):
    scenario, out = slow_scenario(tmp_path, 24), tmp_path / "out"
    batch = out / "tiny"
    process = start(*run_args(scenario, out, "--workers", "2"), PKOSIM_TEST_SLEEP="0.1")
    wait_for_commits(batch, 2, process=process)
    interrupt(process, signal.SIGKILL)
    process.wait()
    # what a kill in the middle of a flush leaves: staged parts the status log never committed
    committed = status_lines(batch)[0]["parts"]["yearly"]
    staged = ".part-99991231T000000-abcdef-00099.parquet.staged"
    shutil.copy(batch / "yearly.parquet" / committed, batch / "yearly.parquet" / staged)
    done = assert_rows_match_status(batch, killed=True)
    assert 0 < len(done) < 24
    directory = batch / "yearly.parquet"
    rows = len(pd.read_parquet(directory))
    assert pl.read_parquet(f"{directory}/*.parquet").height == rows
    assert duckdb.sql(f"SELECT count(*) FROM '{directory}/*.parquet'").fetchall()[0][0] == rows
    code, _, err = cli(capsys, "run", "--resume", out, "--workers", "1", "--quiet", "--run-fn", RUN_FN)
    assert code == 0, err
    assert len(assert_rows_match_status(batch)) == 24
    assert not [p for p in directory.iterdir() if p.name.startswith(".")]


def test_sigkill_of_the_batch_leaves_no_process_behind(tmp_path):
    scenario, out = slow_scenario(tmp_path), tmp_path / "out"
    process = start(*run_args(scenario, out, "--workers", "2"))
    wait_for_commits(out / "tiny", process=process)
    children = descendants(process.pid)
    assert children  # the fork server, the resource tracker and the workers
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert wait_gone(children) == []


def test_sigterm_is_handled_like_ctrl_c(tmp_path, capsys):
    scenario, out = slow_scenario(tmp_path), tmp_path / "out"
    process = start(*run_args(scenario, out, "--workers", "2"))
    wait_for_commits(out / "tiny", process=process)
    children = descendants(process.pid)
    interrupt(process, signal.SIGTERM, group=False)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert_one_line(err, "interrupted", "pkosim run --resume")
    assert json.loads((out / "tiny" / "manifest.json").read_text())["status"] == "interrupted"
    assert wait_gone(children) == []
    assert cli(capsys, "run", "--resume", out, "--workers", "1", "--quiet", "--run-fn", RUN_FN)[0] == 0
    assert len(assert_rows_match_status(out / "tiny")) == 30


def test_ctrl_c_twice_under_dask_prints_one_line(tmp_path):
    scenario, out = slow_scenario(tmp_path, 1000), tmp_path / "out"   # 100 s of work: interrupted mid-way
    process = start(*run_args(scenario, out, "--executor", "dask", "--workers", "2"))
    wait_for_commits(out / "tiny", process=process, timeout=90)
    children = descendants(process.pid)
    interrupt(process)
    time.sleep(0.5)
    try:
        interrupt(process)
    except ProcessLookupError:
        pass
    _, err = process.communicate(timeout=90)
    assert process.returncode == 130
    assert_one_line(err, "interrupted")
    assert wait_gone(children) == []
    assert_rows_match_status(out / "tiny")


def dies_in_run_5(scenario, seed):
    if seed.spawn_key[-1] == 5:
        time.sleep(0.05)
        os._exit(3)
    time.sleep(0.1)
    return fake_simulate(scenario, seed)


def test_a_worker_that_dies_fails_only_the_run_that_killed_it(tmp_path):
    [result] = run_batch([FakeScenario(name="d", replications=12)], tmp_path, workers=2, run_fn=dies_in_run_5,
                         flush_every_runs=3)
    assert (result.ok, result.failed, result.pending) == (11, 1, 0)
    [failure] = (tmp_path / "d" / "failures").glob("*.json")
    record = json.loads(failure.read_text())
    assert record["run"] == 5
    assert record["traceback"].startswith("WorkerDied: the worker process")
    assert "while running this run" in record["traceback"]
    assert committed_runs(tmp_path / "d") == {(0, r) for r in range(12) if r != 5}
    assert_rows_match_status(tmp_path / "d")


def test_every_output_file_respects_the_umask(tmp_path, capsys):
    previous = os.umask(0o027)
    try:
        scenario = write_tiny(tmp_path)
        assert cli(capsys, "run", scenario, "--out", tmp_path / "out", "--workers", "1", "--quiet", "--run-fn",
                   RUN_FN)[0] == 0
        assert cli(capsys, "summarize", tmp_path / "out", "--metrics", "hostile_deaths")[0] == 0
    finally:
        os.umask(previous)
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(files) > 5
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o640}


def test_what_a_writer_left_before_its_manifest_does_not_block_a_new_run(tmp_path, capsys):
    scenario, batch = write_tiny(tmp_path), tmp_path / "out" / "tiny"
    (batch / "yearly.parquet").mkdir(parents=True)
    (batch / "failures").mkdir()
    (batch / ".lock").write_text("")
    assert cli(capsys, "run", scenario, "--out", tmp_path / "out", "--workers", "1", "--quiet", "--run-fn",
               RUN_FN)[0] == 0
    assert len(assert_rows_match_status(batch)) == 4
