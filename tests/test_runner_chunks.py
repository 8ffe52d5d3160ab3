"""Chunks (issue 12): several runs per task, written by their worker; results never depend on the chunking."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest

from sim.runner import run_batch
from sim.runner.chunk import Chunk, RunGroup, chunk_size, run_chunk
from sim.runner.fakes import FakeRange, FakeScenario, FakeSweep, fake_simulate
from test_runner_batch import TABLES, assert_same_tables

STAMP = "20260101T000000-abcdef"


def one_point_chunk(directory, runs, **fields) -> Chunk:
    scenario = FakeScenario(name="c", replications=len(runs))
    return Chunk(number=1, batch="c", groups=(RunGroup(scenario, 0, {}, tuple(runs)),), root_seed=7,
                 run_fn=fake_simulate, tables=TABLES, stamp=STAMP, directory=str(directory), **fields)


@pytest.mark.slow
def test_chunked_dask_batch_gives_the_tables_of_a_run_by_run_local_batch(tmp_path):
    scenario = FakeScenario(name="swept", replications=5, sweep=FakeSweep(
        method="latin_hypercube", samples=3, seed=5,
        parameters={"ieds.base_detection_probability": FakeRange(low=0.1, high=0.6)}))
    run_batch([scenario], tmp_path / "local", workers=1, run_fn=fake_simulate, flush_every_runs=1)
    run_batch([scenario], tmp_path / "dask", workers=2, executor="dask", run_fn=fake_simulate)  # Dask's chunk sizes
    assert_same_tables(tmp_path / "local" / "swept", tmp_path / "dask" / "swept")
    lines = [json.loads(line) for line in (tmp_path / "dask" / "swept" / "status.jsonl").read_text().splitlines()]
    assert len(lines) < 15                                       # fewer tasks than runs
    assert any(len({point for point, _ in line["ok"]}) == 2 for line in lines)  # a chunk spans two design points


def test_a_chunk_holds_about_its_target_seconds_of_work():
    assert chunk_size(remaining=10_000, workers=4, seconds_per_run=0.5, target_s=120.0, max_runs=100_000) == 240


def test_chunks_shrink_at_the_end_so_that_workers_finish_together():
    assert chunk_size(remaining=40, workers=4, seconds_per_run=0.5, target_s=120.0, max_runs=100_000) == 5


def test_a_chunk_holds_at_least_one_run():
    assert chunk_size(remaining=1, workers=4, seconds_per_run=500.0, target_s=120.0, max_runs=50) == 1


def test_untimed_chunks_are_bounded_by_their_run_count():
    assert chunk_size(remaining=10_000, workers=2, seconds_per_run=None, target_s=30.0, max_runs=50) == 50


def test_a_chunk_past_its_time_budget_returns_the_runs_it_did_not_start(tmp_path):
    for table in TABLES:
        (tmp_path / f"{table}.parquet").mkdir()
    result = run_chunk(one_point_chunk(tmp_path, range(4), budget_s=0.0))
    assert [(point, run) for point, run, _, _ in result.ok] == [(0, 0)]
    assert result.unstarted == [(0, 1), (0, 2), (0, 3)]


def test_a_worker_that_does_not_see_the_batch_folder_sends_its_parts_back(tmp_path):
    result = run_chunk(one_point_chunk(tmp_path, range(3), marker=".session-absent.staged"))
    assert list(tmp_path.iterdir()) == []                        # nothing written where it could not check
    assert set(result.data) == set(result.parts)
    runs = pq.read_table(io.BytesIO(result.data["runs"])).to_pandas()
    assert list(runs["run"]) == [0, 1, 2]
    assert len(runs) == result.rows["runs"]
