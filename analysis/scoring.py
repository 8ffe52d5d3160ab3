"""Scoring a forecast given as a median and central prediction intervals: the weighted interval score.

Bracher, Ray, Gneiting and Reich (2021), "Evaluating epidemic forecasts in an interval format", PLOS Computational
Biology 17(2): e1008618. For an observed value y and the central (1 - alpha) interval [l, u]:

    IS_alpha(y) = (u - l) + 2/alpha (l - y) 1(y < l) + 2/alpha (y - u) 1(y > u)

and for the median m and K intervals alpha_1..alpha_K, with weights w_0 = 1/2 and w_k = alpha_k / 2:

    WIS(y) = 1 / (K + 1/2) * (w_0 |y - m| + sum_k w_k IS_alpha_k(y))

Lower is better; the score is in the unit of the quantity. Its three parts (the paper's decomposition) say why a
forecast scored as it did: *dispersion* (the width of the intervals, paid whatever happens), *underprediction*
(y above the median and intervals) and *overprediction* (y below them). With no interval (K = 0) the WIS is the
absolute error |y - m|: a point forecast, such as a naive baseline, is scored on the same scale.

Worked example (tests/test_ledger_scoring.py): y = 10, m = 7, the 50% interval (alpha 0.5) [5, 9], the 90% interval
(alpha 0.1) [2, 13]. IS_0.5 = 4 + 4 x 1 = 8 and IS_0.1 = 11, so WIS = (0.5 x 3 + 0.25 x 8 + 0.05 x 11) / 2.5 =
4.05 / 2.5 = 1.62: dispersion (0.25 x 4 + 0.05 x 11) / 2.5 = 0.62, underprediction (0.5 x 3 + 1) / 2.5 = 1.0.
"""

from __future__ import annotations

import math
from typing import Mapping


def interval_score(y: float, low: float, high: float, alpha: float) -> float:
    """The interval score of the central (1 - ``alpha``) interval [``low``, ``high``] for the observed ``y``."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if low > high:
        raise ValueError(f"interval [{low}, {high}] has its lower bound above its upper bound")
    return (high - low) + 2 / alpha * max(low - y, 0.0) + 2 / alpha * max(y - high, 0.0)


def wis_parts(y: float, median: float, intervals: Mapping[float, tuple[float, float]]) -> dict[str, float]:
    """The weighted interval score of a forecast (``median`` and ``intervals``: alpha -> (low, high)) for the
    observed ``y``, and its parts: ``dispersion`` + ``underprediction`` + ``overprediction`` = ``wis``."""
    if any(not math.isfinite(v) for v in (y, median)):
        return {"wis": math.nan, "dispersion": math.nan, "underprediction": math.nan, "overprediction": math.nan}
    scale = 1 / (len(intervals) + 0.5)
    dispersion = under = over = 0.0
    under += 0.5 * max(y - median, 0.0)
    over += 0.5 * max(median - y, 0.0)
    for alpha, (low, high) in intervals.items():
        interval_score(y, low, high, alpha)  # checks alpha and the bounds
        weight = alpha / 2
        dispersion += weight * (high - low)
        under += weight * 2 / alpha * max(y - high, 0.0)
        over += weight * 2 / alpha * max(low - y, 0.0)
    parts = {"dispersion": scale * dispersion, "underprediction": scale * under, "overprediction": scale * over}
    return {"wis": sum(parts.values()), **parts}


def weighted_interval_score(y: float, median: float, intervals: Mapping[float, tuple[float, float]]) -> float:
    """WIS (module docstring) of a median and central intervals (alpha -> (low, high)) for the observed ``y``."""
    return wis_parts(y, median, intervals)["wis"]
