"""Design points and run seeds: sizes per sweep method, reproducibility, bounds, common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import PkosimError
from sim.runner.design import design_of, sample
from sim.runner.fakes import FakeRange, FakeScenario, FakeSweep
from sim.runner.seeds import parse_seed_label, run_seed, seed_label

RANGES = {"ieds.base_detection_probability": FakeRange(low=0.1, high=0.5, values=[0.1, 0.3, 0.5]),
          "ieds.laid_per_day": FakeRange(low=1.0, high=3.0, values=[1.0, 2.0]),
          "sleep_s": FakeRange(low=0.0, high=0.001, values=[0.0])}


@pytest.mark.parametrize("method, samples, expected", [
    ("grid", 0, 3 * 2 * 1),
    ("latin_hypercube", 10, 10),
    ("sobol", 8, 8 * (2 * 3 + 2)),
    ("morris", 5, 5 * (3 + 1)),
])
def test_design_size_per_method(method, samples, expected):
    design = sample(method, RANGES, samples, seed=7)
    assert len(design) == expected
    assert design.parameters == list(RANGES)
    for name, spec in RANGES.items():
        values = np.array([p[name] for p in design.points])
        assert values.min() >= spec.low - 1e-12 and values.max() <= spec.high + 1e-12


def test_grid_is_the_product_of_values_first_parameter_slowest():
    design = sample("grid", RANGES, 0, seed=0)
    first = [p["ieds.base_detection_probability"] for p in design.points]
    assert first == [0.1, 0.1, 0.3, 0.3, 0.5, 0.5]
    assert {(p["ieds.base_detection_probability"], p["ieds.laid_per_day"]) for p in design.points} == {
        (a, b) for a in (0.1, 0.3, 0.5) for b in (1.0, 2.0)}


@pytest.mark.parametrize("method", ["latin_hypercube", "sobol", "morris"])
def test_design_is_reproducible_from_its_seed(method):
    assert sample(method, RANGES, 4, seed=3).points == sample(method, RANGES, 4, seed=3).points
    assert sample(method, RANGES, 4, seed=3).points != sample(method, RANGES, 4, seed=4).points


def test_no_sweep_is_one_point_without_overrides():
    design = design_of(FakeScenario())
    assert len(design) == 1 and design.points == [{}] and design.method is None


def test_design_of_reads_the_scenario_sweep():
    sweep = FakeSweep(method="sobol", samples=4, seed=1, parameters={"ieds.laid_per_day": FakeRange(low=1, high=2)})
    assert len(design_of(FakeScenario(sweep=sweep))) == 4 * (2 * 1 + 2)


def test_grid_without_values_and_unknown_method_are_user_errors():
    with pytest.raises(PkosimError, match="grid sweep needs a list of values"):
        sample("grid", {"x": FakeRange(low=0, high=1)}, 0, seed=0)
    with pytest.raises(PkosimError, match="not one of"):
        sample("halton", RANGES, 4, seed=0)


def test_run_seed_is_the_spawned_child_and_independent_of_everything_else():
    root = np.random.SeedSequence(20140101)
    children = root.spawn(5)
    for k in range(5):
        assert run_seed(20140101, k).generate_state(4).tolist() == children[k].generate_state(4).tolist()
    assert run_seed(1, 0).generate_state(2).tolist() != run_seed(1, 1).generate_state(2).tolist()
    assert seed_label(20140101, 3) == "20140101/3"
    assert parse_seed_label("20140101/3").generate_state(2).tolist() == children[3].generate_state(2).tolist()
