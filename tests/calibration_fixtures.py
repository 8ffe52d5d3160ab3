"""Fits made up for the calibration report tests: their pages are built without running the model or pyabc.

``HOSTILE`` is a parameter name a page must show as text, never as markup (a calibration built in Python is not
checked against a scenario, so its names reach the report as given).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.abc import AbcResult, AbcSettings
from sim.calibration.config import Calibration, Prior
from sim.calibration.fit import FitResult, TrialRecord
from sim.calibration.posterior import PredictiveCheck
from sim.runner.fakes import FakeScenario

HOSTILE = "ieds.<script>alert('x')</script>"
PRIORS = {"ieds.base_detection_probability": Prior(low=0.02, high=0.95), HOSTILE: Prior(low=0.1, high=10, log=True)}


def calibration(folder: Path) -> Calibration:
    scenario = FakeScenario(start=dt.date(2014, 1, 1), end=dt.date(2014, 12, 31), replications=3, seed=11)
    return Calibration(scenario=scenario, targets=None, parameters=PRIORS, output=folder / "calibrated.yaml",
                       trials=4, replications=3)


def fit_result(table: pd.DataFrame, folder: Path) -> FitResult:
    """An optuna fit of four trials whose best (the third) left ``table`` (a ``check_tables`` result)."""
    objectives = [4.0, 3.0, 2.0, 2.5]
    trials = [TrialRecord(number=k, values={path: 0.5 + k for path in PRIORS}, objective=objective,
                          directory=folder / f"trial-{k:04d}", elapsed_s=1.0) for k, objective in enumerate(objectives)]
    return FitResult(calibration(folder), best=trials[2], table=table, trials=trials, elapsed_s=4.0)


def abc_fit(folder: Path) -> tuple[AbcResult, PredictiveCheck]:
    """A posterior of 50 weighted particles over two generations, and a predictive check where the interval target
    is met and the range target is not."""
    rng = np.random.default_rng(5)
    particles = pd.DataFrame({"ieds.base_detection_probability": rng.uniform(0.2, 0.4, 50),
                              HOSTILE: rng.uniform(1, 3, 50), "weight": np.full(50, 1 / 50)})
    populations = pd.DataFrame({"t": [-1, 0, 1], "epsilon": [np.inf, 4.2, 2.1], "samples": [1, 120, 160],
                                "particles": [1, 50, 50]})
    result = AbcResult(calibration(folder), AbcSettings(population=50, generations=2, replications=3, seed=5),
                       particles, populations, simulations=280, elapsed_s=600.0)
    table = pd.DataFrame([
        {"target": "hostile_deaths_mean", "label": "hostile deaths per year, mean 2014", "observed": 18.0,
         "observed_low": np.nan, "observed_high": np.nan, "rule": "interval", "predictive_median": 17.0,
         "predictive_p05": 12.0, "predictive_p95": 23.0, "inside": True},
        {"target": "wounded_per_death", "label": "wounded per hostile death 2014", "observed": 3.5,
         "observed_low": 3.0, "observed_high": 4.0, "rule": "range", "predictive_median": 5.1,
         "predictive_p05": 4.2, "predictive_p95": 6.3, "inside": False},
    ])
    return result, PredictiveCheck(table, draws=20, replications=3)


def write_fit_report(table: pd.DataFrame, folder: Path) -> Path:
    """``fit_result``'s report written as ``pkosim calibrate`` writes it; return the page's path."""
    from pkosim.calibrate import write_report
    from sim.calibration.fit_report import fit_page

    folder.mkdir(parents=True, exist_ok=True)
    write_report(fit_page(fit_result(table, folder)), folder)
    return folder / "calibration_report.html"


def write_abc_report(folder: Path) -> Path:
    """``abc_fit``'s report (with its predictive figure) written as ``pkosim calibrate --method abc`` writes it;
    return the page's path."""
    from pkosim.calibrate import write_report
    from sim.calibration.fit_report import PREDICTIVE_FIGURE, abc_page, predictive_figure

    folder.mkdir(parents=True, exist_ok=True)
    result, check = abc_fit(folder)
    predictive_figure(check, folder / PREDICTIVE_FIGURE)
    write_report(abc_page(result, check), folder)
    return folder / "calibration_report.html"
