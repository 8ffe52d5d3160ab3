"""The distance between simulated and observed patterns: a weighted sum of squared standardised errors.

For each target t with observed value o_t, scale s_t and weight w_t, and simulated mean m_t across replications:

    z_t = (m_t - o_t) / s_t          objective = sum_t w_t * z_t^2

A target whose pattern the tables cannot give (its column is missing) is left out. A target whose simulated
pattern is undefined in every replication (e.g. wounded per death in a model run with no deaths) counts as
``MISSING_Z`` standard errors off, so that a trial cannot score well by producing nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from sim.calibration.patterns import summarise
from sim.calibration.targets import Target

MISSING_Z = 5.0


def score(patterns: pd.DataFrame, targets: list[Target], weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per target: observed, scale, weight, simulated mean and 90% interval, z and w * z^2."""
    weights = dict(weights or {})
    rows = []
    for target in targets:
        if target.name not in patterns.columns or math.isnan(target.observed):
            continue
        sim = summarise(patterns[target.name])
        weight = float(weights.get(target.name, target.weight))
        z = MISSING_Z if math.isnan(sim["mean"]) else (sim["mean"] - target.observed) / target.scale
        rows.append({"target": target.name, "label": target.label, "observed": target.observed,
                     "observed_low": target.low, "observed_high": target.high, "scale": target.scale,
                     "rule": target.rule, "weight": weight, "sim_mean": sim["mean"], "sim_p05": sim["low"],
                     "sim_p95": sim["high"], "runs": sim["runs"], "z": z, "contribution": weight * z * z})
    return pd.DataFrame(rows)


def objective(patterns: pd.DataFrame, targets: list[Target], weights: Mapping[str, float] | None = None) -> float:
    """The weighted sum of squared standardised errors (0 when every simulated mean equals its target)."""
    table = score(patterns, targets, weights)
    return float(table["contribution"].sum()) if len(table) else math.inf
