"""A result folder can never act outside itself: its manifest and status log are validated input, nothing in them is
a path or code to trust, and a resumed batch must still be the scenario its hash names (issue 9, items 1 and 7)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from adversarial import RUN_FN, Sibling, assert_one_line, assert_rows_match_status, cli, write_tiny


@pytest.fixture
def batch(tmp_path, capsys) -> Path:
    """A finished batch of the tiny scenario (4 runs), with run 2 failed so that a resume has work to do."""
    scenario = write_tiny(tmp_path)
    code, _, _ = cli(capsys, "run", scenario, "--out", tmp_path / "out", "--workers", "1", "--quiet", "--run-fn",
                     "test_runner_cli:failing_model")
    assert code == 1
    return tmp_path / "out" / "tiny"


@pytest.fixture
def sibling(tmp_path) -> Sibling:
    return Sibling(tmp_path)


def edit_manifest(batch: Path, **changes) -> None:
    path = batch / "manifest.json"
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    path.write_text(json.dumps(data))


def resume(capsys, batch: Path, run_fn: str = RUN_FN) -> tuple[int, str, str]:
    return cli(capsys, "run", "--resume", batch, "--workers", "1", "--quiet", "--run-fn", run_fn)


def test_resume_never_deletes_a_path_the_manifest_names(batch, sibling, capsys):
    edit_manifest(batch, placeholders={"yearly": str(sibling.victim), "daily": "../../sibling/victim.txt"},
                  parts={"yearly": ["../../sibling/keep/notes.parquet"]})
    code, _, err = resume(capsys, batch)
    assert code == 0, err  # keys pkosim does not use are ignored, never followed
    sibling.assert_untouched()
    assert_rows_match_status(batch)


def test_resume_refuses_a_part_name_outside_the_batch_in_the_status_log(batch, sibling, capsys):
    log = batch / "status.jsonl"
    line = json.loads(log.read_text().splitlines()[0])
    line["parts"]["yearly"] = "../../sibling/victim.txt"
    log.write_text(json.dumps(line) + "\n" + log.read_text())
    before = {p.name for p in (batch / "yearly.parquet").iterdir()}
    code, _, err = resume(capsys, batch)
    assert code == 2
    assert_one_line(err, "status.jsonl:1", "not a part of a batch table")
    sibling.assert_untouched()
    assert {p.name for p in (batch / "yearly.parquet").iterdir()} == before


def test_an_import_path_in_the_manifest_is_never_imported(batch, tmp_path, capsys, monkeypatch):
    (tmp_path / "evil.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\nclass X: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    edit_manifest(batch, scenario_class="evil:X")
    code, _, _ = resume(capsys, batch)
    assert code == 0 and not (tmp_path / "imported").exists()
    edit_manifest(batch, model="evil:X")
    code, _, err = resume(capsys, batch)
    assert code == 2 and not (tmp_path / "imported").exists()
    assert_one_line(err, "manifest.json: model: must be one of", "'pkosim'", "'fake'")


@pytest.mark.parametrize("key", ["root_seed", "replications", "scenario", "scenario_hash", "design", "format"])
def test_a_manifest_missing_a_key_is_one_line_naming_the_file_and_key(batch, capsys, key):
    edit_manifest(batch, **{key: None})
    for command in (["run", "--resume", batch, "--quiet"], ["summarize", batch]):
        code, _, err = cli(capsys, *command)
        assert code == 2
        assert_one_line(err, f"{batch / 'manifest.json'}: {key}: required key is missing")


@pytest.mark.parametrize("changes, message", [
    ({"root_seed": "5"}, "root_seed: must be a whole number"),
    ({"replications": True}, "replications: must be a whole number"),
    ({"tables": ["runs", "../../etc"]}, "tables: '../../etc' is not a table"),
    ({"scenario_hash": "0" * 64}, "scenario_hash: does not match the stored scenario"),
    ({"root_seed": 6}, "root_seed: these runs used root seed 5, the manifest says 6"),
])
def test_an_edited_manifest_is_refused_before_anything_runs(batch, sibling, capsys, changes, message):
    edit_manifest(batch, **changes)
    log_before = (batch / "status.jsonl").read_bytes()
    code, _, err = resume(capsys, batch)
    assert code == 2
    assert_one_line(err, message)
    assert (batch / "status.jsonl").read_bytes() == log_before
    sibling.assert_untouched()


def test_resume_refuses_a_stored_scenario_that_no_longer_matches_its_hash(batch, capsys):
    data = json.loads((batch / "manifest.json").read_text())
    data["scenario"]["ieds"]["base_detection_probability"] = 0.9
    (batch / "manifest.json").write_text(json.dumps(data))
    code, _, err = resume(capsys, batch)
    assert code == 2
    assert_one_line(err, "scenario_hash: does not match the stored scenario", "refusing to resume")


def test_an_invalid_stored_scenario_is_one_line_naming_the_key(batch, capsys):
    data = json.loads((batch / "manifest.json").read_text())
    data["scenario"]["ieds"]["base_detection_probability"] = 7
    (batch / "manifest.json").write_text(json.dumps(data))
    code, _, err = resume(capsys, batch)
    assert code == 2
    assert_one_line(err, "manifest.json: scenario.ieds.base_detection_probability: must be <= 1, got 7")


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a pkosim batch manifest"),
    (json.dumps({"scenario": {"name": "x"}, "runs": [], "placeholders": {"yearly": "/etc/passwd"}}),
     "written by an earlier pkosim"),
])
def test_a_damaged_or_old_manifest_is_refused_with_one_line(batch, sibling, capsys, content, message):
    (batch / "manifest.json").write_text(content)
    code, _, err = resume(capsys, batch)
    assert code == 2
    assert_one_line(err, message)
    sibling.assert_untouched()


def test_a_table_folder_that_links_outside_the_batch_is_refused(batch, sibling, capsys):
    shutil.rmtree(batch / "daily.parquet")
    (batch / "daily.parquet").symlink_to(sibling.path / "keep")
    code, _, err = resume(capsys, batch)
    assert code == 2
    assert_one_line(err, "daily.parquet: is a symbolic link")
    sibling.assert_untouched()


def test_a_status_log_that_links_outside_the_batch_is_refused(batch, sibling, capsys):
    (batch / "status.jsonl").unlink()
    (batch / "status.jsonl").symlink_to(sibling.victim)
    code, _, err = resume(capsys, batch)
    assert code == 2
    assert_one_line(err, "status.jsonl: is a symbolic link")
    sibling.assert_untouched()


def test_a_status_line_committing_a_run_twice_is_refused(batch, capsys):
    log = batch / "status.jsonl"
    first = json.loads(log.read_text().splitlines()[0])
    first["flush"], first["parts"], first["rows"] = 9, {}, {}
    log.write_text(log.read_text() + json.dumps(first) + "\n")
    code, _, err = cli(capsys, "summarize", batch)
    assert code == 2
    assert_one_line(err, "status.jsonl:2", "committed as done twice")


def test_the_manifest_is_the_only_authority_on_seed_and_replications(tmp_path, capsys):
    scenario = write_tiny(tmp_path)
    for seed in (1, 2):
        assert cli(capsys, "run", scenario, "--out", tmp_path / f"s{seed}", "--seed", seed, "--replications", 3,
                   "--workers", "1", "--quiet", "--run-fn", RUN_FN)[0] == 0
    one, two = (json.loads((tmp_path / f"s{s}" / "tiny" / "manifest.json").read_text()) for s in (1, 2))
    assert one["scenario_hash"] == two["scenario_hash"]  # the same scenario, whatever seed runs it
    assert (one["root_seed"], two["root_seed"], one["replications"]) == (1, 2, 3)
    assert "seed" not in one["scenario"] and "replications" not in one["scenario"]
    seeds = pd.read_parquet(tmp_path / "s2" / "tiny" / "runs.parquet")["seed"]
    assert sorted(seeds) == ["2/0", "2/1", "2/2"]
