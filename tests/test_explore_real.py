"""The three exploration commands on the real model: a short drawdown window, few points and replications."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.attribution import attribute
from analysis.discovery import discover
from analysis.results import find_batches
from analysis.sensitivity import analyse
from analysis.sweeps import outcome_matrix
from pkosim.attribute import run_attribution
from sim.runner import run_batch

DRAWDOWN = Path("scenarios/barkhane_drawdown_2021_2022.yaml").resolve()
# June to September 2022: Menaka (13 June) and Gao (15 August) are left in it; events outside it are dropped.
OUTSIDE = ("leave_kidal", "leave_tessalit", "leave_timbuktu", "leave_gossi", "grounding_jan_2022",
           "refusals_from_oct_2022")
WINDOW = ("start: 2022-06-01\nend: 2022-09-30\noutputs: {daily: false, incidents: false}\nevents:\n"
          + "".join(f"  {e}: null\n" for e in OUTSIDE))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real_sweep")
    path = folder / "short_sweep.yaml"
    path.write_text(f"extends: {DRAWDOWN}\nname: short_sweep\nreplications: 2\n{WINDOW}"
                    "sweep:\n  method: morris\n  samples: 2\n  seed: 1\n  parameters:\n"
                    "    armed_groups.jnim.ieds_per_week: {low: 0.5, high: 3.0}\n"
                    "    air_support.providers.barkhane.approval_share_when_outside: {low: 0.2, high: 0.8}\n")
    run_batch([path], folder / "out", workers=1)
    return find_batches(folder / "out")[0]


def test_sensitivity_of_a_real_morris_sweep_ranks_both_parameters(sweep):
    result = analyse(sweep, "hostile_deaths")
    assert set(result.tornado["parameter"]) == {"armed_groups.jnim.ieds_per_week",
                                                "air_support.providers.barkhane.approval_share_when_outside"}
    assert any("trajectories" in w for w in result.warnings)


def test_discovery_on_a_real_sweep_reports_a_box_in_the_sweeps_parameter_names(sweep):
    means = outcome_matrix(sweep, "hostile_deaths").mean(axis=1)
    result = discover(sweep, where=f"hostile_deaths > {float(np.median(means))}")
    assert set(result.boxes[0].limits["parameter"]) == set(result.design.parameters)


def test_attribution_on_the_real_model_adds_up_to_the_total(tmp_path):
    base = tmp_path / "two_stay.yaml"
    base.write_text(f"extends: {DRAWDOWN}\nname: two_stay\n{WINDOW}  leave_gao: null\n  leave_menaka: null\n")
    target = tmp_path / "short_drawdown.yaml"
    target.write_text(f"extends: {DRAWDOWN}\nname: short_drawdown\n{WINDOW}")
    run_attribution(base, target, tmp_path / "out", metrics=["hostile_deaths"], replications=2, workers=1,
                    echo=lambda line: None)
    table = attribute(tmp_path / "out", ["hostile_deaths"])
    whole = table[table["year"] == "all"]
    changes = whole[whole["row"] == "change"]
    assert list(changes["change"]) == ["events.leave_menaka", "events.leave_gao"]
    assert changes["value"].sum() == pytest.approx(float(whole[whole["row"] == "total"]["value"].iloc[0]), abs=1e-9)


def test_the_worked_example_sweep_is_a_valid_morris_design_of_the_drawdown():
    from sim.runner import design_of
    from sim.scenario import load_scenario

    scenario = load_scenario("scenarios/sweeps/drawdown_sweep.yaml")
    design = design_of(scenario)
    assert len(design) == 10 * (5 + 1)
    assert design.method == "morris"
