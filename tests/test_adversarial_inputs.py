"""Every failure is one clear line with the exit code of its kind (2 bad input, 3 environment), never a traceback,
and never a file's contents; hostile scenario files and windows are refused at validation (issue 9, items 3, 4
and 6)."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from adversarial import (RUN_FN, TINY, Sibling, assert_one_line, assert_rows_match_status, cli, failing_writes,
                         write_tiny)

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"


@pytest.fixture
def sibling(tmp_path) -> Sibling:
    return Sibling(tmp_path)


@pytest.fixture
def batch(tmp_path, capsys) -> Path:
    """A finished batch of the tiny scenario (4 runs, a part per 2 runs: none of them is the only part)."""
    scenario = write_tiny(tmp_path)
    code, _, err = cli(capsys, "run", scenario, "--out", tmp_path / "out", "--workers", "1", "--quiet", "--run-fn",
                       RUN_FN, "--flush-every", 2)
    assert code == 0, err
    return tmp_path / "out" / "tiny"


def run(capsys, *args) -> tuple[int, str, str]:
    return cli(capsys, "run", *args, "--workers", "1", "--quiet", "--run-fn", RUN_FN)


# -- output folders -----------------------------------------------------------------------------------------------
def test_out_naming_a_file_is_bad_input(tmp_path, capsys):
    scenario, out = write_tiny(tmp_path), tmp_path / "results.txt"
    out.write_text("mine\n")
    code, _, err = run(capsys, scenario, "--out", out)
    assert code == 2
    assert_one_line(err, f"--out {out}: is a file")
    assert out.read_text() == "mine\n"


def test_a_read_only_output_folder_is_an_environment_error(tmp_path, capsys, monkeypatch, sibling):
    scenario, out = write_tiny(tmp_path), tmp_path / "out"
    out.mkdir()
    failing_writes(monkeypatch, out, errno.EROFS)
    code, _, err = run(capsys, scenario, "--out", out)
    assert code == 3
    assert_one_line(err, "Read-only file system", "choose a writable folder")
    assert list(out.iterdir()) == []
    sibling.assert_untouched()


def test_a_full_disk_stops_the_run_and_resume_finishes_it(tmp_path, capsys, monkeypatch):
    scenario, out = write_tiny(tmp_path), tmp_path / "out"
    patch = pytest.MonkeyPatch()
    failing_writes(patch, out, errno.ENOSPC, after=12)  # the folder laid out, the first flush committed
    code, _, err = cli(capsys, "run", scenario, "--out", out, "--workers", "1", "--quiet", "--run-fn", RUN_FN,
                       "--flush-every", 1)
    patch.undo()
    assert code == 3
    assert_one_line(err, "No space left on device", "the disk is full", "resume with `pkosim run --resume")
    done = assert_rows_match_status(out / "tiny")
    assert 0 < len(done) < 4
    failing_writes(monkeypatch, out, errno.ENOSPC)
    code, _, err = cli(capsys, "run", "--resume", out, "--workers", "1", "--quiet", "--run-fn", RUN_FN)
    assert code == 3
    assert_one_line(err, "No space left on device")
    monkeypatch.undo()
    assert cli(capsys, "run", "--resume", out, "--workers", "1", "--quiet", "--run-fn", RUN_FN)[0] == 0
    assert len(assert_rows_match_status(out / "tiny")) == 4


@pytest.mark.parametrize("command", [["summarize", "--metrics", "hostile_deaths"],
                                     ["report", "--metrics", "hostile_deaths"]])
@pytest.mark.parametrize("code_errno, message", [(errno.ENOSPC, "No space left on device"),
                                                 (errno.EROFS, "Read-only file system")])
def test_summarize_and_report_into_a_full_or_read_only_folder(batch, tmp_path, capsys, monkeypatch, command,
                                                               code_errno, message):
    out = tmp_path / "analysis"
    out.mkdir()
    failing_writes(monkeypatch, out, code_errno)
    target = out if command[0] == "summarize" else out / "report.html"
    code, _, err = cli(capsys, command[0], batch, "--out", target, *command[1:])
    assert code == 3
    assert_one_line(err, message)
    assert list(out.iterdir()) == []


# -- damaged batches ------------------------------------------------------------------------------------------------
def test_a_truncated_part_is_named_not_read(batch, capsys):
    part = sorted((batch / "yearly.parquet").glob("part-*.parquet"))[-1]
    part.write_bytes(part.read_bytes()[:200])
    for command in (["summarize", batch, "--metrics", "hostile_deaths"],
                    ["report", batch, "--metrics", "hostile_deaths"]):
        code, _, err = cli(capsys, *command)
        assert code == 2
        assert_one_line(err, f"{part}: not a readable Parquet part", "the batch is damaged")


def test_a_foreign_part_is_named_not_read(batch, capsys):
    part = sorted((batch / "yearly.parquet").glob("part-*.parquet"))[-1]
    pq.write_table(pa.table({"point": [0], "run": [0], "something": ["else"]}), part)
    code, _, err = cli(capsys, "summarize", batch, "--metrics", "hostile_deaths")
    assert code == 2
    assert_one_line(err, f"{part}: its columns differ from the table's other parts")


@pytest.mark.parametrize("address", ["notanaddress", "tcp://host:99999", "tcp://:8786", "tcp://a b:1", "http://x:1"])
def test_a_malformed_scheduler_address_is_bad_input(tmp_path, capsys, address):
    scenario = write_tiny(tmp_path)
    began = time.perf_counter()
    code, _, err = cli(capsys, "run", scenario, "--out", tmp_path / "out", "--executor", "dask", "--scheduler", address)
    assert code == 2 and time.perf_counter() - began < 5
    assert_one_line(err, f"--scheduler {address}: not a scheduler address")
    assert not (tmp_path / "out").exists()


def test_resume_of_a_file_or_a_missing_folder_is_bad_input(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    for target, message in ((tmp_path / "file", "is a file, not a batch folder"),
                            (tmp_path / "nope", "no such directory")):
        code, _, err = cli(capsys, "run", "--resume", target)
        assert code == 2
        assert_one_line(err, message)


# -- scenario files -------------------------------------------------------------------------------------------------
def test_a_symlink_loop_given_to_validate(tmp_path, capsys):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    code, _, err = cli(capsys, "validate", loop)
    assert code == 2
    assert "loop.yaml: cannot read file: a loop of symbolic links" in err and "Traceback" not in err


def test_a_directory_where_a_file_is_expected_is_said_to_be_a_directory(tmp_path, capsys):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    child = write_tiny(tmp_path, f"extends: {folder}\n" + TINY, "child.yaml")
    code, _, err = cli(capsys, "validate", folder)
    assert code == 2 and "is a directory" in err
    code, _, err = cli(capsys, "validate", child)
    assert code == 2 and "child.yaml:1:1: extends: parent scenario" in err and "is a directory" in err
    code, _, err = run(capsys, folder, "--out", tmp_path / "out")
    assert code == 2
    assert_one_line(err, f"{folder}: is a directory, not a scenario file")


def test_extends_of_a_file_that_is_not_a_scenario_names_the_child_and_never_prints_it(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\ntoken: s3cr3t-value-that-must-not-leak\n" * 3)
    child = write_tiny(tmp_path, f"name: x\nextends: {secret}\n", "child.yaml")
    code, _, err = cli(capsys, "validate", child)
    assert code == 2
    assert "child.yaml:2:1: extends: parent" in err and "is not a scenario file" in err
    assert "root:x" not in err and "s3cr3t" not in err
    passwd = write_tiny(tmp_path, "name: x\nextends: /etc/passwd\n", "passwd.yaml")
    code, _, err = cli(capsys, "validate", passwd)
    assert code == 2 and "passwd.yaml:2:1: extends:" in err and "root:" not in err


# -- windows and sweeps, refused at validation ----------------------------------------------------------------------
@pytest.mark.parametrize("start, end", [("1990-01-01", "1990-12-31"), ("0001-01-01", "9999-12-31")])
def test_a_window_outside_the_theatre_data_is_refused_with_the_range(tmp_path, capsys, start, end):
    scenario = write_tiny(tmp_path, f"extends: {BASE}\nname: w\nstart: {start}\nend: {end}\n", "w.yaml")
    code, _, err = cli(capsys, "validate", scenario)
    assert code == 2
    assert f"w.yaml:3:1: start: {start} is outside the theatre's data: the mali theatre's data cover " \
           "2014-01-01..2023-12-31" in err
    began = time.perf_counter()
    code, _, err = cli(capsys, "run", scenario, "--dry-run", "--out", tmp_path / "out")
    assert code == 2 and time.perf_counter() - began < 10
    assert not (tmp_path / "out").exists()


SWEEP = """\
extends: {base}
name: sweep
sweep:
  method: {method}
  parameters:
    {path}:
{spec}
"""


@pytest.mark.parametrize("method, path, spec, message", [
    ("grid", "seed", "      values: [1, 2]", "sweep.parameters.seed: 'seed' is not a model parameter"),
    ("grid", "replications", "      values: [1, 2]", "'replications' is not a model parameter"),
    ("grid", "ieds.base_detection_probability", "      values: [0.2, true]", "values[1]: must be a number, got true"),
    ("grid", "ieds.base_detection_probability", "      values: [0.2, 1.5]",
     "values[1]: 1.5 is not a valid value of ieds.base_detection_probability: must be <= 1, got 1.5"),
    ("latin_hypercube", "ieds.base_detection_probability", "      low: -0.5\n      high: 0.5",
     "low: -0.5 is not a valid value of ieds.base_detection_probability: must be >= 0"),
])
def test_sweeps_are_validated_fully_at_validate_with_file_and_line(tmp_path, capsys, method, path, spec, message):
    scenario = write_tiny(tmp_path, SWEEP.format(base=BASE, method=method, path=path, spec=spec), "sweep.yaml")
    code, _, err = cli(capsys, "validate", scenario)
    assert code == 2
    assert "<override>" not in err
    assert any(line.startswith(f"{scenario}:") and message in line for line in err.splitlines()), err


def test_the_run_never_writes_a_table_the_scenario_switched_off(tmp_path, capsys):
    scenario = write_tiny(tmp_path, TINY + "outputs:\n  daily: false\n  incidents: false\n  convoys: false\n")
    code, _, err = cli(capsys, "run", scenario, "--out", tmp_path / "out", "--workers", "1", "--quiet", "--run-fn",
                       "test_adversarial_inputs:every_table")
    assert code == 0, err
    batch = tmp_path / "out" / "tiny"
    assert sorted(p.name for p in batch.iterdir() if p.name.endswith(".parquet")) == ["runs.parquet", "yearly.parquet"]
    assert_rows_match_status(batch, tables=("runs", "yearly"))


def every_table(scenario, seed):
    """A model that ignores ``outputs`` and returns every table (as the real model did)."""
    from sim.runner.fakes import FakeScenario, fake_simulate

    return fake_simulate(FakeScenario(name=scenario.name, start=scenario.start, end=scenario.end), seed)


def test_a_batch_folder_is_only_ever_written_inside(batch, tmp_path, capsys, sibling):
    assert cli(capsys, "summarize", batch, "--metrics", "hostile_deaths")[0] == 0
    assert cli(capsys, "report", batch, "--metrics", "hostile_deaths")[0] == 0
    sibling.assert_untouched()
    assert set(os.listdir(batch)) >= {"manifest.json", "status.jsonl", "summary.csv", "report.html"}
    assert len(pd.read_parquet(batch / "runs.parquet")) == 4
