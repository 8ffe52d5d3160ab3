"""No silent wrong results when reading and writing analyses, and sizes bounded before memory is (issue 9, items 4
and 5): honest n with a warning for an incomplete batch, outputs that never replace what they should not, paths a
shell glob adds skipped with a note, design sizes counted before anything is sampled."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from adversarial import RUN_FN, TINY, assert_one_line, cli, write_tiny
from sim.runner import run_batch
from sim.runner import manifest as manifest_module
from sim.runner.design import count_points, sample
from sim.runner.fakes import FakeRange, FakeScenario, fake_simulate

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base.yaml"
METRIC = ["--metrics", "hostile_deaths"]


@pytest.fixture
def study(tmp_path, capsys) -> Path:
    """Three batches of the tiny scenario (4 runs each, same seed), a part per 2 runs."""
    out = tmp_path / "out"
    for name, probability in (("tiny", 0.3), ("more", 0.6), ("less", 0.1)):
        scenario = write_tiny(tmp_path, TINY.replace("name: tiny", f"name: {name}")
                              + f"ieds:\n  base_detection_probability: {probability}\n", f"{name}.yaml")
        code, _, err = cli(capsys, "run", scenario, "--out", out, "--workers", "1", "--quiet", "--run-fn", RUN_FN,
                           "--flush-every", 2)
        assert code == 0, err
    return out


def test_a_missing_part_file_is_a_warning_and_an_honest_n(study, capsys):
    batch = study / "tiny"
    sorted((batch / "yearly.parquet").glob("part-*.parquet"))[0].unlink()  # 2 of the 4 runs lost
    code, out, err = cli(capsys, "summarize", batch, *METRIC)
    assert code == 0
    assert err.strip() == (f"pkosim: warning: batch tiny ({batch}) is incomplete: yearly.parquet holds 2 of its 4 "
                           "runs (2 recorded as done but missing from the files); figures use the 2 runs found")
    table = pd.read_csv(batch / "summary.csv")
    assert set(table["n"]) == {2}
    assert "**tiny**: 2 replications" in (batch / "summary.md").read_text()


def test_a_batch_with_failed_runs_says_so(tmp_path, capsys):
    scenario = write_tiny(tmp_path)
    assert cli(capsys, "run", scenario, "--out", tmp_path / "out", "--workers", "1", "--quiet", "--run-fn",
               "test_runner_cli:failing_model")[0] == 1
    code, _, err = cli(capsys, "summarize", tmp_path / "out" / "tiny", *METRIC)
    assert code == 0
    assert "holds 3 of its 4 runs (1 failed)" in err


def test_report_refuses_to_overwrite_the_manifest(study, capsys):
    manifest = study / "tiny" / "manifest.json"
    before = manifest.read_bytes()
    code, _, err = cli(capsys, "report", study / "tiny", "--out", manifest, *METRIC)
    assert code == 2
    assert_one_line(err, "belongs to a batch's own files")
    assert manifest.read_bytes() == before


def test_outputs_replace_only_earlier_outputs_of_their_kind(study, tmp_path, capsys):
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my notes</p>")
    code, _, err = cli(capsys, "report", study / "tiny", "--out", notes, *METRIC)
    assert code == 2
    assert_one_line(err, "exists and is not a pkosim output; refusing to replace it")
    assert notes.read_text() == "<p>my notes</p>"
    report = tmp_path / "report.html"
    assert cli(capsys, "report", study / "tiny", "--out", report, *METRIC)[0] == 0
    assert cli(capsys, "report", study / "tiny", "--out", report, *METRIC)[0] == 0  # its own earlier output
    code, _, err = cli(capsys, "summarize", study / "tiny", "--out", tmp_path, *METRIC)
    assert code == 0
    code, _, err = cli(capsys, "plot", study / "tiny", "--kind", "timeseries", "--metric", "hostile_deaths",
                       "--out", tmp_path / "summary.csv")
    assert code == 2
    assert_one_line(err, "exists and is a pkosim summary table; refusing to replace it with a figure")


def test_compare_never_replaces_a_comparison_of_other_scenarios(study, capsys):
    baseline = study / "tiny"
    assert cli(capsys, "compare", baseline, study / "more", "--metric", "hostile_deaths")[0] == 0
    first = (baseline / "comparison.csv").read_text()
    code, out, _ = cli(capsys, "compare", baseline, study / "less", "--metric", "hostile_deaths")
    assert code == 0 and f"wrote {baseline / 'comparison_2.csv'}" in out
    assert (baseline / "comparison.csv").read_text() == first
    assert "less" in (baseline / "comparison_2.csv").read_text()
    code, out, _ = cli(capsys, "compare", baseline, study / "more", "--metric", "hostile_deaths")
    assert f"wrote {baseline / 'comparison.csv'}" in out  # the same comparison again: its own file


@pytest.mark.parametrize("command", [["summarize", *METRIC], ["compare", "--metric", "hostile_deaths"],
                                     ["plot", "--kind", "timeseries", "--metric", "hostile_deaths"],
                                     ["report", *METRIC]])
def test_paths_a_glob_adds_are_skipped_with_a_note(study, capsys, command):
    assert cli(capsys, "plot", study / "tiny", "--kind", "timeseries", "--metric", "hostile_deaths", "--out",
               study / "effects.png")[0] == 0
    (study / "notes").mkdir()
    code, _, err = cli(capsys, command[0], *sorted(study.iterdir()), *command[1:])
    assert code == 0, err
    assert f"pkosim: skipping {study / 'effects.png'}: not a directory" in err
    assert f"pkosim: skipping {study / 'notes'}: no batch directory here" in err
    assert "Traceback" not in err


# -- sizes ----------------------------------------------------------------------------------------------------------
GRID = "extends: {base}\nname: big\nsweep:\n  method: grid\n  parameters:\n" + "".join(
    f"    {path}:\n      values: [{', '.join(str(round(0.01 * v, 2)) for v in range(100))}]\n"
    for path in ("ieds.base_detection_probability", "host_state.flight_refusal_share",
                 "convoys.vehicle_loss_probability",
                 "convoys.route_clearance_share", "camps.rotation_share_by_air"))


def test_a_huge_grid_is_refused_before_it_is_built(tmp_path, capsys):
    scenario = write_tiny(tmp_path, GRID.format(base=BASE), "big.yaml")
    code, _, err = cli(capsys, "validate", scenario)
    assert code == 0, err  # a valid file: only its size is the problem
    tracemalloc.start()
    began = time.perf_counter()
    try:
        code, _, err = cli(capsys, "run", scenario, "--dry-run", "--out", tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2 and time.perf_counter() - began < 10 and peak < 100_000_000
    assert_one_line(err, "10,000,000,000 design point(s) x 20 replication(s)", "more than a batch can hold")


def test_more_runs_than_the_limit_need_yes(tmp_path, capsys):
    scenario = write_tiny(tmp_path)
    code, _, err = cli(capsys, "run", scenario, "--replications", 200_000, "--out", tmp_path / "out")
    assert code == 2
    assert_one_line(err, "200,000 runs is more than 100,000", "--yes")
    code, out, _ = cli(capsys, "run", scenario, "--replications", 200_000, "--dry-run", "--run-fn", RUN_FN)
    assert code == 0 and "200000 runs to do" in out and "pkosim run needs --yes" in out


@pytest.mark.parametrize("method, samples, expected", [("grid", 0, 3 * 2 * 1), ("latin_hypercube", 10, 10),
                                                       ("sobol", 8, 8 * 8), ("morris", 5, 5 * 4)])
def test_design_points_are_counted_without_sampling(method, samples, expected):
    ranges = {"a": FakeRange(low=0, high=1, values=[0, 0.5, 1]), "b": FakeRange(low=0, high=1, values=[0, 1]),
              "c": FakeRange(low=0, high=1, values=[0.5])}
    assert count_points(method, ranges, samples) == expected == len(sample(method, ranges, samples, seed=1))


def test_a_million_point_sobol_design_is_small_and_fast():
    ranges = {name: FakeRange(low=0, high=1) for name in "abcd"}
    tracemalloc.start()
    began = time.perf_counter()
    try:
        design = sample("sobol", ranges, 100_000, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(design) == 1_000_000
    assert peak < 200_000_000 and time.perf_counter() - began < 20


def test_the_manifest_is_not_rewritten_on_every_flush(tmp_path, monkeypatch):
    saves = []
    real = manifest_module.Manifest.save
    monkeypatch.setattr(manifest_module.Manifest, "save", lambda self: saves.append(1) or real(self))
    run_batch([FakeScenario(name="many", replications=40)], tmp_path, workers=1, run_fn=fake_simulate,
              flush_every_runs=2)
    lines = (tmp_path / "many" / "status.jsonl").read_text().splitlines()
    assert len(lines) == 20 and len(saves) == 3  # created, session started, session ended
    assert json.loads(lines[-1])["flush"] == 20
