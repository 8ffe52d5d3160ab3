"""summarize and compare on a synthetic study (tests/analysis_fixtures.py), and the reader's error messages."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.compare import compare
from analysis.results import find_batches, put_first
from analysis.summary import ALL, summarize
from analysis_fixtures import study_dir, write_batch
from sim.errors import PkosimError


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return study_dir(tmp_path_factory)


def test_folder_expands_to_all_batches(study):
    assert [b.name for b in find_batches(study)] == ["barkhane_stays", "baseline", "own_drones"]
    assert [b.name for b in put_first(find_batches(study), "baseline")][0] == "baseline"


def test_summary_matches_direct_computation(study):
    table = summarize([study / "baseline"], ["hostile_deaths", "coverage"])
    assert set(table["year"]) == {"2021", "2022", "2023", ALL}
    yearly = pd.read_parquet(study / "baseline" / "yearly.parquet")
    y21 = yearly[yearly["year"] == 2021]["hostile_deaths"]
    row = table[(table["metric"] == "hostile_deaths") & (table["year"] == "2021")].iloc[0]
    assert row["n"] == 20 and row["mean"] == pytest.approx(y21.mean()) and row["median"] == pytest.approx(y21.median())
    assert row["p5"] == pytest.approx(np.percentile(y21, 5)) and row["ci_low"] < row["mean"] < row["ci_high"]
    # whole run: an annual rate (total / days x 365.25)
    per_run = yearly.groupby("run")[["hostile_deaths", "days"]].sum()
    rate = per_run["hostile_deaths"] / per_run["days"] * 365.25
    whole = table[(table["metric"] == "hostile_deaths") & (table["year"] == ALL)].iloc[0]
    assert whole["mean"] == pytest.approx(rate.mean())
    assert (table["unit"][table["metric"] == "coverage"] == "share 0-1").all()


def test_unknown_metric_suggests(study):
    with pytest.raises(PkosimError, match="did you mean hostile_deaths"):
        summarize([study / "baseline"], ["hostile_death"])


def test_compare_is_paired_and_narrower(study):
    table = compare([study / "baseline", study / "barkhane_stays"], ["hostile_deaths"])
    whole = table[table["year"] == ALL].iloc[0]
    a = pd.read_parquet(study / "baseline" / "yearly.parquet")
    b = pd.read_parquet(study / "barkhane_stays" / "yearly.parquet")
    ya, yb = (t[t["year"] == 2022].set_index("run")["hostile_deaths"] for t in (a, b))
    row = table[table["year"] == "2022"].iloc[0]
    assert row["diff"] == pytest.approx((yb - ya.loc[yb.index]).mean())
    assert whole["n_pairs"] == 20 and whole["ci_high"] < 0  # Barkhane staying saves lives in the fixture
    assert whole["narrowing"] > 0.3  # common random numbers: paired interval much narrower than Welch
    assert whole["welch_ci_low"] < whole["ci_low"] and whole["ci_high"] < whole["welch_ci_high"]


def test_compare_refuses_different_root_seeds(study, tmp_path):
    other = write_batch(tmp_path, "other_seed", runs=4, root_seed=99, end="2021-03-31")
    with pytest.raises(PkosimError, match="different root seeds"):
        compare([study / "baseline", other], ["hostile_deaths"])


def test_compare_refuses_a_run_with_another_seed(study, tmp_path):
    other = write_batch(tmp_path, "odd_run", runs=4, end="2021-03-31", seed_override={2: "555/2"})
    with pytest.raises(PkosimError, match=r"run 2 .*seed 555/2"):
        compare([study / "baseline", other], ["hostile_deaths"])


def test_reader_errors_are_one_line(tmp_path):
    with pytest.raises(PkosimError, match="no such directory"):
        find_batches([tmp_path / "missing"])
    with pytest.raises(PkosimError, match="no batch directory here"):
        find_batches([tmp_path])
    empty = tmp_path / "empty"
    (empty / "yearly.parquet").mkdir(parents=True)
    (empty / "manifest.json").write_text(json.dumps({"scenario": {"name": "empty"}, "runs": []}))
    with pytest.raises(PkosimError, match="no yearly results") as info:
        summarize([empty])
    assert "\n" not in str(info.value)


def test_manifest_parts_decide_what_is_read(study, tmp_path):
    batch = tmp_path / "b"
    shutil.copytree(study / "baseline", batch)
    manifest = json.loads((batch / "manifest.json").read_text())
    manifest["parts"] = {"yearly": ["part-00000.parquet"]}  # part-00001 is an orphan of a crashed flush
    (batch / "manifest.json").write_text(json.dumps(manifest))
    runs = find_batches([batch])[0].read("yearly", ["year"])["run"].nunique()
    assert runs == 10
