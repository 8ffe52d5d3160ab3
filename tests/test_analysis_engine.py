"""The analysis layer on batches written by the real batch engine (sim.runner) with its stand-in model.

The model itself is not wired into ``pkosim run`` yet; these tests use the engine's real manifest, part files and
placeholder parts, so the reader is checked against what ``pkosim run`` writes, not only against our fixture."""

import pytest

from analysis.compare import compare
from analysis.plots import make_figure
from analysis.report import build_report
from analysis.summary import ALL, summarize

runner = pytest.importorskip("sim.runner.batch")
fakes = pytest.importorskip("sim.runner.fakes")


@pytest.fixture(scope="module")
def engine_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("engine")
    scenarios = [fakes.FakeScenario(name="base", replications=5),
                 fakes.FakeScenario(name="fewer_ieds", replications=5, ieds=fakes.FakeIeds(laid_per_day=1.0))]
    runner.run_batch(scenarios, out, workers=1, run_fn=fakes.fake_simulate)
    return out


def test_summary_and_paired_comparison(engine_study):
    table = summarize([engine_study], ["hostile_deaths", "ied_laid", "medevac_within_1h_share"])
    assert set(table["scenario"]) == {"base", "fewer_ieds"}
    assert (table["n"][table["metric"] == "ied_laid"] == 5).all()
    effects = compare([engine_study / "base", engine_study / "fewer_ieds"], ["ied_laid"])
    whole = effects[effects["year"] == ALL].iloc[0]
    assert whole["n_pairs"] == 5 and whole["ci_high"] < 0


@pytest.mark.parametrize("kind", ["timeseries", "breakdown", "compare", "convergence", "map"])
def test_every_figure_draws(engine_study, kind):
    fig = make_figure([engine_study / "base", engine_study / "fewer_ieds"], kind,
                      ["ied_laid"] if kind in ("timeseries", "compare", "convergence") else None)
    assert fig._suptitle.get_text()


def test_report(engine_study):
    html = build_report([engine_study / "base", engine_study / "fewer_ieds"], ["hostile_deaths", "ied_laid"])
    assert "Effects against base" in html and "ieds.laid_per_day" in html
