"""The batch engine on the stand-in model: identical results across executors, files, manifest, failures."""

from __future__ import annotations

import io
import json
import signal
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

from sim.errors import PkosimError
from sim.runner import run_batch
from sim.runner.fakes import FakeOutputs, FakeRange, FakeScenario, FakeSweep, fake_simulate
from sim.runner.progress import Progress

TABLES = ("runs", "yearly", "daily", "incidents")
KEYS = {"runs": [], "yearly": ["year"], "daily": ["date"], "incidents": ["date", "lat"]}


def read_table(batch: Path, name: str) -> pd.DataFrame:
    """A table in a canonical order, without the columns that legitimately differ between executions."""
    frame = pd.read_parquet(batch / f"{name}.parquet")
    frame = frame.drop(columns=[c for c in ("elapsed_s",) if c in frame.columns])
    return frame.sort_values(["scenario", "point", "run", *KEYS[name]]).reset_index(drop=True)


def assert_same_tables(a: Path, b: Path) -> None:
    for name in TABLES:
        left, right = read_table(a, name), read_table(b, name)
        assert len(left) > 0
        pd.testing.assert_frame_equal(left, right, check_dtype=True)


SWEPT = FakeScenario(name="swept", replications=3, sweep=FakeSweep(
    method="latin_hypercube", samples=2, seed=5,
    parameters={"ieds.base_detection_probability": FakeRange(low=0.1, high=0.6)}))


@pytest.mark.slow
def test_results_identical_for_one_and_two_workers_and_dask(tmp_path):
    scenarios = [FakeScenario(name="base", replications=5), SWEPT]
    kwargs = dict(run_fn=fake_simulate, flush_every_runs=3)
    ctrl_c = signal.getsignal(signal.SIGINT)
    for folder, options in (("w1", dict(workers=1)), ("w2", dict(workers=2)), ("dask", dict(workers=2, executor="dask"))):
        run_batch(scenarios, tmp_path / folder, **options, **kwargs)
        assert signal.getsignal(signal.SIGINT) is ctrl_c, folder    # a notebook's Ctrl-C still works afterwards
    for name in ("base", "swept"):
        assert_same_tables(tmp_path / "w1" / name, tmp_path / "w2" / name)
        assert_same_tables(tmp_path / "w1" / name, tmp_path / "dask" / name)
    runs = read_table(tmp_path / "w1" / "swept", "runs")
    assert len(runs) == 2 * 3 and set(runs["point"]) == {0, 1}
    assert "ieds.base_detection_probability" in runs.columns
    # common random numbers: run k has the same seed in every scenario and design point
    base = read_table(tmp_path / "w1" / "base", "runs")
    assert base.set_index("run")["seed"].to_dict() == {k: f"20140101/{k}" for k in range(5)}
    assert runs.groupby("run")["seed"].nunique().eq(1).all()


def test_design_point_parameters_reach_the_model(tmp_path):
    scenario = FakeScenario(name="grid", replications=2, sweep=FakeSweep(
        method="grid", parameters={"ieds.base_detection_probability": FakeRange(values=[0.0, 1.0])}))
    run_batch([scenario], tmp_path, workers=1, run_fn=fake_simulate)
    runs = read_table(tmp_path / "grid", "runs").set_index(["point", "run"])
    assert runs.loc[(0, 0), "ieds.base_detection_probability"] == 0.0
    assert runs.loc[(0, 0), "total_ied_found"] == 0                        # nothing found at p = 0
    assert runs.loc[(1, 0), "total_ied_found"] == runs.loc[(1, 0), "total_ied_laid"]  # everything at p = 1


def test_manifest_records_what_was_run(tmp_path):
    run_batch([SWEPT], tmp_path, workers=1, run_fn=fake_simulate, seed=99)
    batch = tmp_path / "swept"
    manifest = json.loads((batch / "manifest.json").read_text())
    assert manifest["root_seed"] == 99 and manifest["replications"] == 3
    assert "seed" not in manifest["scenario"] and "replications" not in manifest["scenario"]  # the batch's, not the scenario's
    assert manifest["status"] == "complete" and manifest["format"] == 2 and manifest["model"] == "fake"
    assert len(manifest["scenario_hash"]) == 64 and manifest["scenario"]["name"] == "swept"
    assert manifest["design"] == {"method": "latin_hypercube", "parameters": ["ieds.base_detection_probability"],
                                  "points": 2}
    assert len(pd.read_parquet(batch / "design.parquet")) == 2
    assert {"python", "mesa", "numpy", "pandas", "pyarrow", "filelock"} <= set(manifest["packages"])
    assert set(manifest["git"]) == {"commit", "dirty"} and manifest["host"]["name"]
    assert manifest["started"] <= manifest["finished"]
    assert "runs" not in manifest and "scenario_class" not in manifest


def test_status_log_commits_every_run_and_part(tmp_path):
    run_batch([SWEPT], tmp_path, workers=1, run_fn=fake_simulate, seed=99, flush_every_runs=4)
    batch = tmp_path / "swept"
    lines = [json.loads(line) for line in (batch / "status.jsonl").read_text().splitlines()]
    assert [line["flush"] for line in lines] == [1, 2]
    assert sorted(tuple(run) for line in lines for run in line["ok"]) == [(p, r) for p in range(2) for r in range(3)]
    for name in TABLES:
        committed = {line["parts"][name] for line in lines}
        on_disk = {p.name for p in (batch / f"{name}.parquet").iterdir()}
        assert on_disk == committed  # every part is committed, no staged or temporary file remains
        assert sum(line["rows"][name] for line in lines) == len(pd.read_parquet(batch / f"{name}.parquet"))


def test_scenario_object_is_not_rewritten_with_the_batch_seed(tmp_path):
    seen = []

    def recording(scenario, seed):
        seen.append((scenario.seed, scenario.replications))
        return fake_simulate(scenario, seed)

    run_batch([FakeScenario(name="s", replications=2, seed=5)], tmp_path, workers=1, run_fn=recording, seed=99,
              replications=3)
    assert seen == [(5, 2)] * 3  # three runs (the batch's replications) of the scenario as given
    assert set(pd.read_parquet(tmp_path / "s" / "runs.parquet")["seed"]) == {"99/0", "99/1", "99/2"}


def test_failed_runs_are_recorded_and_the_batch_goes_on(tmp_path):
    [result] = run_batch([FakeScenario(name="faulty", replications=6, fail_runs=[1, 4])], tmp_path, workers=1,
                         run_fn=fake_simulate, flush_every_runs=2)
    assert (result.ok, result.failed, result.pending, result.status) == (4, 2, 0, "failed")
    batch = tmp_path / "faulty"
    failures = sorted((batch / "failures").glob("*.json"))
    assert len(failures) == 2
    record = json.loads(failures[0].read_text())
    assert (record["point"], record["run"], record["seed"]) == (0, 1, "20140101/1")
    assert "fake failure in run 1" in record["traceback"] and record["elapsed_s"] >= 0
    assert record["parameters"] == {}
    lines = [json.loads(line) for line in (batch / "status.jsonl").read_text().splitlines()]
    failed = {run: error for line in lines for _, run, error in line["failed"]}
    assert failed == {1: "RuntimeError: fake failure in run 1", 4: "RuntimeError: fake failure in run 4"}
    assert sorted(read_table(batch, "runs")["run"]) == [0, 2, 3, 5]


def test_tables_readable_by_pandas_polars_duckdb(tmp_path):
    run_batch([FakeScenario(name="all", replications=3)], tmp_path, workers=1, run_fn=fake_simulate,
              flush_every_runs=2)
    batch = tmp_path / "all"
    for name in TABLES:
        directory = batch / f"{name}.parquet"
        rows = len(pd.read_parquet(directory))
        assert rows > 0
        assert pl.read_parquet(f"{directory}/*.parquet").height == rows
        assert duckdb.sql(f"SELECT count(*) FROM '{directory}/*.parquet'").fetchall()[0][0] == rows
    yearly = pl.read_parquet(f"{batch}/yearly.parquet/*.parquet")
    assert yearly.columns[:4] == ["scenario", "point", "run", "seed"]
    assert duckdb.sql(f"SELECT sum(hostile_deaths) FROM '{batch}/yearly.parquet/*.parquet'").fetchall()[0][0] == \
        pd.read_parquet(batch / "yearly.parquet")["hostile_deaths"].sum()


def test_tables_switched_off_are_not_written(tmp_path):
    scenario = FakeScenario(name="quiet", replications=3, outputs=FakeOutputs(daily=False, incidents=False,
                                                                         convoys=False))
    run_batch([scenario], tmp_path, workers=1, run_fn=fake_simulate, flush_every_runs=1)
    batch = tmp_path / "quiet"
    assert not (batch / "daily.parquet").exists() and not (batch / "incidents.parquet").exists()
    assert json.loads((batch / "manifest.json").read_text())["tables"] == ["runs", "yearly"]
    assert len(pd.read_parquet(batch / "yearly.parquet")) == 6


def test_a_table_with_no_rows_still_reads(tmp_path):
    def no_incidents(scenario, seed):
        output = fake_simulate(scenario, seed)
        output.incidents = output.incidents.iloc[0:0]
        return output

    run_batch([FakeScenario(name="calm", replications=2)], tmp_path, workers=1, run_fn=no_incidents)
    directory = tmp_path / "calm" / "incidents.parquet"
    assert [p.name for p in directory.iterdir()] == ["part-empty.parquet"]
    assert len(pd.read_parquet(directory)) == 0
    assert pl.read_parquet(f"{directory}/*.parquet").height == 0
    assert duckdb.sql(f"SELECT count(*) FROM '{directory}/*.parquet'").fetchall()[0][0] == 0


def test_an_existing_batch_is_never_overwritten(tmp_path):
    run_batch([FakeScenario(replications=1)], tmp_path, workers=1, run_fn=fake_simulate)
    before = (tmp_path / "fake" / "manifest.json").read_bytes()
    with pytest.raises(PkosimError, match="already holds a batch"):
        run_batch([FakeScenario(replications=1)], tmp_path, workers=1, run_fn=fake_simulate)
    assert (tmp_path / "fake" / "manifest.json").read_bytes() == before


def test_bad_options_are_user_errors(tmp_path):
    with pytest.raises(PkosimError, match="--replications 0"):
        run_batch([FakeScenario()], tmp_path, replications=0, run_fn=fake_simulate)
    with pytest.raises(PkosimError, match="--executor 'threads'"):
        run_batch([FakeScenario()], tmp_path, executor="threads", run_fn=fake_simulate)
    with pytest.raises(PkosimError, match="two scenarios are named"):
        run_batch([FakeScenario(), FakeScenario()], tmp_path, run_fn=fake_simulate)
    with pytest.raises(PkosimError, match="missing.yaml: scenario file not found"):
        run_batch([tmp_path / "missing.yaml"], tmp_path)


def test_progress_lines_when_not_a_terminal_and_silence_when_quiet():
    stream = io.StringIO()
    progress = Progress(40, "demo", stream=stream, every_s=1e9)
    for k in range(40):
        progress.update(ok=k != 7)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 20  # one line per 5%
    assert lines[-1].startswith("demo: 40/40 runs (100%), 1 failed")
    quiet = io.StringIO()
    silent = Progress(40, "demo", stream=quiet, quiet=True)
    for _ in range(40):
        silent.update(ok=True)
    assert quiet.getvalue() == ""
