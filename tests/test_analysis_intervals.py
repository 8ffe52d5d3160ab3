"""Every table and report says which kind of interval it shows, from the batches' scenarios: chance only (fixed
parameters) or chance and parameter uncertainty (replication k with posterior draw k), and warns when the batches
it sets side by side are of different kinds."""

from __future__ import annotations

import pytest

from analysis.headlines import interval_kind, intervals_caveat
from analysis.report import build_report
from analysis.results import find_batches
from analysis_fixtures import write_batch
from pkosim.cli import main

POSTERIOR = {"file": "scenarios/params/posterior.yaml", "sha256": "a" * 64, "draws_file": "posterior_draws.csv",
             "draws_sha256": "b" * 64, "draws": {"ieds.killed_per_detonation": [0.2, 0.3, 0.4]}}
OTHER = {**POSTERIOR, "draws_sha256": "c" * 64}
SUMMARY = {"file": "scenarios/params/posterior.yaml", "sha256": "a" * 64, "draws_file": "posterior_draws.csv",
           "draws_sha256": "b" * 64, "draws": 3, "parameters": ["ieds.killed_per_detonation"]}


def test_batches_with_fixed_parameters_show_chance_only():
    assert interval_kind({"a": None, "b": None}).startswith("chance only")
    assert intervals_caveat({"a": None}).startswith("Intervals show chance only")


def test_batches_drawing_from_one_posterior_show_chance_and_parameter_uncertainty():
    kind = interval_kind({"a": SUMMARY, "b": SUMMARY})
    assert kind.startswith("chance and parameter uncertainty")
    assert "draw k of 3" in kind
    caveat = intervals_caveat({"a": SUMMARY, "b": SUMMARY})
    assert "scenarios/params/posterior.yaml" in caveat
    assert "b" * 12 in caveat


def test_a_mix_of_kinds_is_named_scenario_by_scenario_with_a_warning():
    kind = interval_kind({"a": SUMMARY, "b": None})
    assert kind.startswith("mixed")
    assert "a chance and parameter uncertainty" in kind and "b chance only" in kind
    assert "mixes the change with a change of parameters" in intervals_caveat({"a": SUMMARY, "b": None})
    assert "different posteriors" in interval_kind({"a": SUMMARY, "b": {**SUMMARY, "draws_sha256": "c" * 64}})


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    root = tmp_path_factory.mktemp("intervals")
    short = {"runs": 4, "start": "2021-01-01", "end": "2021-03-31"}
    return {
        "fixed": write_batch(root / "fixed", "baseline", **short),
        "fixed_alt": write_batch(root / "fixed", "alternative", **short, effect=0.8),
        "drawn": write_batch(root / "drawn", "baseline", **short, params={"posterior": POSTERIOR}),
        "drawn_alt": write_batch(root / "drawn", "alternative", **short, effect=0.8, params={"posterior": POSTERIOR}),
        "other": write_batch(root / "other", "alternative", **short, effect=0.8, params={"posterior": OTHER}),
    }


def test_a_batch_knows_the_posterior_it_drew_from(batches):
    [drawn] = find_batches([batches["drawn"]])
    [fixed] = find_batches([batches["fixed"]])
    assert drawn.posterior == SUMMARY
    assert fixed.posterior is None


@pytest.mark.parametrize("folder, kind", [("fixed", "chance only"), ("drawn", "chance and parameter uncertainty")])
def test_summarize_says_which_kind_of_interval_in_its_header_and_on_the_terminal(batches, tmp_path, capsys, folder,
                                                                                  kind):
    assert main(["summarize", str(batches[folder]), "--out", str(tmp_path), "--metrics", "hostile_deaths"]) == 0
    assert f"Intervals: {kind}" in capsys.readouterr().out
    assert f"95% CI of the mean): {kind}" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize("folder, kind", [("fixed", "chance only"), ("drawn", "chance and parameter uncertainty")])
def test_compare_says_which_kind_of_interval_in_its_header_and_caveats(batches, tmp_path, capsys, folder, kind):
    assert main(["compare", str(batches[folder]), str(batches[f"{folder}_alt"]), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"Intervals: {kind}" in out
    assert "Caveat: Intervals " in out
    markdown = (tmp_path / "comparison.md").read_text()
    assert markdown.splitlines()[2].startswith(f"Intervals: {kind}")


def test_the_report_warns_when_a_comparison_mixes_posteriors(batches):
    page = build_report([batches["drawn"], batches["other"]], figures=False)
    assert "Intervals are of different kinds" in page
    single = build_report([batches["fixed"]], figures=False)
    assert "Intervals show chance only" in single
