"""pkosim sensitivity: known indices on stand-in models, noise separated, warnings, refusals, files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from analysis.io import check_target
from analysis.results import find_batches
from analysis.sensitivity import analyse, sensitivity_report, sobol_indices, write_sensitivity
from analysis.sweeps import noise_decomposition
from pkosim.cli import main
from sim.errors import PkosimError
from sim.runner import run_batch
from sim.runner.fakes import FakeOutputs, FakeRange, FakeScenario, FakeSweep
from tests.explore_fakes import A1, A2, linear_run

RANGES = {"ieds.base_detection_probability": FakeRange(low=0.0, high=1.0, values=[0.0, 0.5, 1.0]),
          "ieds.laid_per_day": FakeRange(low=1.0, high=2.0, values=[1.0, 1.5, 2.0])}


def fake(name: str, method: str | None, samples: int = 8, replications: int = 3) -> FakeScenario:
    sweep = FakeSweep(method=method, samples=samples, seed=3, parameters=RANGES) if method else None
    return FakeScenario(name=name, replications=replications, start=dt.date(2015, 1, 1), end=dt.date(2015, 12, 31),
                        outputs=FakeOutputs(daily=False, incidents=False), sweep=sweep)


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweeps")
    run_batch([fake("morris", "morris", 10), fake("lhs", "latin_hypercube", 30), fake("plain", None),
               fake("tiny", "morris", 2, replications=1)], out,
              workers=1, run_fn=linear_run)
    return {b.name: b for b in find_batches(out)}


def test_morris_mu_star_of_a_linear_model_is_its_slope_times_the_range(batches):
    table = analyse(batches["morris"], "hostile_deaths", "2015").table.set_index(["parameter", "index"])["value"]
    assert table[("ieds.base_detection_probability", "mu_star")] == pytest.approx(abs(A1) * 1.0, abs=0.5)
    assert table[("ieds.laid_per_day", "mu_star")] == pytest.approx(abs(A2) * 1.0, abs=0.5)


def test_morris_mu_keeps_the_direction_of_the_effect(batches):
    table = analyse(batches["morris"], "hostile_deaths", "2015").table.set_index(["parameter", "index"])["value"]
    assert table[("ieds.base_detection_probability", "mu")] < 0
    assert table[("ieds.laid_per_day", "mu")] > 0


def test_morris_tornado_puts_the_largest_effect_first(batches):
    tornado = analyse(batches["morris"], "hostile_deaths", "2015").tornado
    assert list(tornado["parameter"]) == ["ieds.base_detection_probability", "ieds.laid_per_day"]


def test_sobol_first_order_indices_of_a_linear_model_are_its_variance_shares():
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [1.0, 2.0]]}
    x = sobol_sample.sample(problem, 256, calc_second_order=True, seed=1)
    rng = np.random.default_rng(0)
    values = (A1 * x[:, 0] + A2 * x[:, 1])[:, None] + rng.normal(0, 5.0, 4)[None, :] + rng.normal(0, 0.5, (len(x), 4))
    table = sobol_indices(problem, values).set_index(["parameter", "index"])
    share_a = A1**2 / (A1**2 + A2**2)
    assert table.loc[("a", "S1"), "value"] == pytest.approx(share_a, abs=0.05)
    assert table.loc[("b", "ST"), "value"] == pytest.approx(1 - share_a, abs=0.02)
    assert table.loc[("a", "S1"), "ci_low"] < share_a < table.loc[("a", "S1"), "ci_high"]


def test_noise_common_to_every_point_is_not_counted_as_noise():
    effects = np.linspace(0.0, 10.0, 20)
    common = np.random.default_rng(1).normal(0.0, 100.0, 8)
    noise = noise_decomposition(effects[:, None] + common[None, :])
    assert noise.noise_share == pytest.approx(0.0, abs=1e-9)


def test_noise_that_differs_between_points_is_measured():
    rng = np.random.default_rng(2)
    effects = rng.uniform(0.0, 10.0, 400)
    values = effects[:, None] + rng.normal(0.0, 3.0, (400, 10))
    noise = noise_decomposition(values)
    assert noise.noise_var_run == pytest.approx(9.0, rel=0.05)
    assert noise.noise_share == pytest.approx(0.9 / np.var(values.mean(axis=1), ddof=1), rel=0.1)


def test_noise_decomposition_says_how_many_replications_would_quiet_the_means():
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 6, 200)[:, None] + rng.normal(0.0, 2.0, (200, 3))  # parameters 3, noise 4 / 3
    noise = noise_decomposition(values)
    assert noise.noise_share == pytest.approx(4 / 3 / (3 + 4 / 3), abs=0.08)
    assert 8 <= noise.replications_for(0.1) <= 18  # 4 x 0.9 / (0.1 x 3) = 12


def test_a_large_quiet_design_gets_no_warning(batches):
    assert analyse(batches["morris"], "hostile_deaths", "2015").warnings == []


def test_one_replication_and_few_trajectories_are_warned(batches):
    warnings = analyse(batches["tiny"], "hostile_deaths", "2015").warnings
    assert any("one replication per design point" in w for w in warnings)
    assert any("2 Morris trajectories" in w for w in warnings)


def test_a_latin_hypercube_falls_back_to_linear_swings(batches):
    result = analyse(batches["lhs"], "hostile_deaths", "2015")
    swing = result.table[result.table["index"] == "swing"].set_index("parameter")["value"]
    assert result.method == "regression"
    assert swing["ieds.base_detection_probability"] == pytest.approx(A1, abs=1.0)
    assert swing["ieds.laid_per_day"] == pytest.approx(A2, abs=1.0)


def test_a_batch_without_a_sweep_is_refused_in_one_line(batches, capsys):
    code = main(["sensitivity", str(batches["plain"].path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "not a sweep" in err[0]


def test_a_damaged_design_file_is_refused_in_one_line(batches, tmp_path, capsys):
    import shutil
    copy = tmp_path / "morris"
    shutil.copytree(batches["morris"].path, copy)
    (copy / "design.parquet").write_bytes(b"not parquet")
    code = main(["sensitivity", str(copy)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "design.parquet" in err[0] and "damaged" in err[0]


def test_a_metric_that_does_not_vary_is_refused(batches):
    with pytest.raises(PkosimError, match="same at every design point"):
        analyse(batches["morris"], "coverage", "2015")


@pytest.fixture(scope="module")
def written(batches, tmp_path_factory):
    return write_sensitivity(batches["morris"], "hostile_deaths", "all", tmp_path_factory.mktemp("written"))[1]


def test_sensitivity_writes_a_table_two_figures_a_section_file_and_an_html_fragment(batches, written):
    paths = written
    fragment = sensitivity_report(batches["morris"])
    assert sorted(p.split("/")[-1] for p in paths.values()) == [
        "sensitivity_hostile_deaths.csv", "sensitivity_hostile_deaths.md", "sensitivity_hostile_deaths.section.json",
        "sensitivity_hostile_deaths_indices.png", "sensitivity_hostile_deaths_tornado.png"]
    assert fragment.count("data:image/png;base64,") == 2


def test_a_second_sensitivity_run_may_replace_the_first_ones_files(written):
    for path in written.values():
        assert check_target(path, Path(path).read_bytes()) == Path(path)
