"""Sweeps in figures and reports: footers count points x replications, and ``pkosim report`` shows what the
exploration commands found (the sensitivity of a sweep, saved discovery and attribution sections)."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.plots.style import replications_text, source_note
from analysis.results import find_batches
from sim.runner import run_batch
from sim.runner.fakes import FakeOutputs, FakeRange, FakeScenario, FakeSweep
from tests.explore_fakes import linear_run

RANGES = {"ieds.base_detection_probability": FakeRange(low=0.0, high=1.0),
          "ieds.laid_per_day": FakeRange(low=1.0, high=2.0)}


def fake(name: str, method: str | None = "morris", samples: int = 10, replications: int = 3) -> FakeScenario:
    sweep = FakeSweep(method=method, samples=samples, seed=3, parameters=RANGES) if method else None
    return FakeScenario(name=name, replications=replications, start=dt.date(2015, 1, 1), end=dt.date(2015, 12, 31),
                        outputs=FakeOutputs(daily=False, incidents=False), sweep=sweep)


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """A Morris sweep (10 trajectories of 3 points, 3 replications), a tiny one (2 trajectories, one replication)
    and a batch without a sweep, of the linear stand-in model."""
    out = tmp_path_factory.mktemp("sweeps")
    run_batch([fake("morris"), fake("tiny", samples=2, replications=1), fake("plain", None, replications=4)], out,
              workers=1, run_fn=linear_run)
    return {b.name: b for b in find_batches(out)}


def test_a_sweep_figure_footer_counts_points_times_replications(batches):
    assert replications_text([batches["morris"]]) == "30 points x 3 replications"


def test_a_batch_without_a_sweep_footer_counts_replications(batches):
    assert replications_text([batches["plain"]]) == "4 replications"


def test_the_footer_of_a_sweep_says_points_x_replications(batches):
    assert "; 30 points x 3 replications; " in source_note([batches["morris"]], "yearly.parquet")
