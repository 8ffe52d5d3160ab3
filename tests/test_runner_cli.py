"""``pkosim run`` through the real command line and scenario loader (the model is the engine's stand-in)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pkosim.cli import main
from sim.runner.fakes import FakeIeds, FakeOutputs, FakeScenario, fake_simulate

TINY = """\
name: tiny
start: 2014-11-01
end: 2015-01-30
replications: 2
seed: 5
sweep:
  method: grid
  parameters:
    ieds.base_detection_probability:
      values: [0.2, 0.4]
"""


def adapted_model(scenario, seed):
    """The stand-in model on a real scenario: same window, outputs and detection probability."""
    fake = FakeScenario(name=scenario.name, start=scenario.start, end=scenario.end,
                        outputs=FakeOutputs(**scenario.outputs.model_dump()),
                        ieds=FakeIeds(base_detection_probability=scenario.ieds.base_detection_probability))
    return fake_simulate(fake, seed)


def failing_model(scenario, seed):
    if seed.spawn_key[-1] == 1:
        raise ZeroDivisionError("run 1 divides by zero")
    return adapted_model(scenario, seed)


def interrupted_model(scenario, seed):
    if seed.spawn_key[-1] == 1:
        raise KeyboardInterrupt
    return adapted_model(scenario, seed)


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def run(*args: str) -> int:
    return main(["run", *map(str, args), "--quiet"])


def test_run_writes_the_batch_and_prints_key_metrics(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(tiny, "--out", out, "--workers", "1", "--replications", "3", "--run-fn",
               "test_runner_cli:adapted_model") == 0
    printed = capsys.readouterr().out
    assert "hostile_deaths" in printed and "medevac_within_1h_share" in printed and "90% interval" in printed
    assert f"results in {out / 'tiny'}" in printed
    manifest = json.loads((out / "tiny" / "manifest.json").read_text())
    assert manifest["scenario_file"] == str(tiny) and manifest["replications"] == 3
    assert manifest["model"] == "pkosim" and manifest["root_seed"] == 5
    design = pd.read_parquet(out / "tiny" / "design.parquet")
    assert design["ieds.base_detection_probability"].tolist() == [0.2, 0.4]
    runs = pd.read_parquet(out / "tiny" / "runs.parquet")
    assert sorted(zip(runs["point"], runs["run"])) == [(p, r) for p in range(2) for r in range(3)]
    assert set(runs["seed"]) == {"5/0", "5/1", "5/2"}
    # resuming a complete batch, from the manifest's stored scenario, runs nothing and succeeds
    assert run("--resume", out, "--workers", "1", "--run-fn", "test_runner_cli:adapted_model") == 0


def test_failed_runs_exit_1_and_say_how_many(tiny, tmp_path, capsys):
    assert run(tiny, "--out", tmp_path, "--workers", "1", "--run-fn", "test_runner_cli:failing_model") == 1
    assert "2 run(s) failed" in capsys.readouterr().err
    assert len(list((tmp_path / "tiny" / "failures").glob("*.json"))) == 2  # run 1 of both design points


def test_ctrl_c_exits_130_and_says_how_to_resume(tiny, tmp_path, capsys):
    assert run(tiny, "--out", tmp_path, "--workers", "1", "--run-fn", "test_runner_cli:interrupted_model") == 130
    err = capsys.readouterr().err
    assert "interrupted; 1 runs written, 3 pending" in err and f"pkosim run --resume {tmp_path}" in err
    assert run("--resume", tmp_path, "--workers", "1", "--run-fn", "test_runner_cli:adapted_model") == 0
    assert len(pd.read_parquet(tmp_path / "tiny" / "yearly.parquet")) == 4 * 2


def test_dry_run_counts_runs_and_writes_nothing(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(tiny, "--out", out, "--workers", "2", "--dry-run", "--run-fn", "test_runner_cli:adapted_model") == 0
    printed = capsys.readouterr().out
    assert "tiny: 2 design point(s) x 2 replication(s) = 4 runs" in printed
    assert "total: 4 runs; estimated wall time with 2 worker(s)" in printed
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["{tmp}/nope.yaml"], "nope.yaml: scenario file not found"),
    (["{tiny}", "--executor", "threads"], "--executor threads: unknown executor"),
    (["{tiny}", "--replications", "0"], "--replications 0: needs at least 1 replication"),
    (["{tiny}", "--workers", "0"], "--workers 0: needs at least 1 worker"),
    (["--resume", "{tmp}"], "no manifest.json here or in its sub-directories"),
    (["--resume", "{tmp}/missing"], "--resume {tmp}/missing: no such directory"),
    ([], "give at least one SCENARIO.yaml"),
])
def test_bad_input_is_one_line_and_exit_2(tiny, tmp_path, capsys, args, message):
    args = [a.format(tmp=tmp_path, tiny=tiny) for a in args]
    assert run(*args, "--out", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message.format(tmp=tmp_path) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
