"""Small, tested statistics: percentile intervals, t-based confidence intervals, paired and Welch differences.

All intervals are two-sided at ``level`` (0.95 by default) and ignore NaN values (a share with no wounded that
year). Functions return plain dicts/DataFrames so that tables and figures use the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps


def _clean(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[~np.isnan(a)]


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the t-based confidence interval of the mean. NaN bounds with fewer than 2 values."""
    a = _clean(values)
    if a.size == 0:
        return math.nan, math.nan, math.nan
    m = float(a.mean())
    if a.size < 2:
        return m, math.nan, math.nan
    half = float(sps.t.ppf(0.5 + level / 2, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    return m, m - half, m + half


def describe(values, level: float = 0.95) -> dict[str, float]:
    """n, mean, sd, median, 5th and 95th percentiles, and the CI of the mean."""
    a = _clean(values)
    m, lo, hi = mean_ci(a, level)
    q = np.percentile(a, [5, 50, 95]) if a.size else [math.nan] * 3
    return {
        "n": int(a.size),
        "mean": m,
        "sd": float(a.std(ddof=1)) if a.size > 1 else math.nan,
        "median": float(q[1]),
        "p5": float(q[0]),
        "p95": float(q[2]),
        "ci_low": lo,
        "ci_high": hi,
    }


def paired_difference(a, b, level: float = 0.95) -> dict[str, float]:
    """Effect of b against a from paired values (b_i - a_i): mean, t-based CI, n. Pairs with a NaN are dropped."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    d = b[keep] - a[keep]
    m, lo, hi = mean_ci(d, level)
    return {"n_pairs": int(d.size), "diff": m, "ci_low": lo, "ci_high": hi,
            "sd_diff": float(d.std(ddof=1)) if d.size > 1 else math.nan}


def welch_difference(a, b, level: float = 0.95) -> dict[str, float]:
    """Unpaired mean(b) - mean(a) with a Welch (unequal variances) t interval."""
    a, b = _clean(a), _clean(b)
    if a.size < 2 or b.size < 2:
        diff = float(b.mean() - a.mean()) if a.size and b.size else math.nan
        return {"diff": diff, "ci_low": math.nan, "ci_high": math.nan, "df": math.nan}
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    diff = float(b.mean() - a.mean())
    if se == 0:
        return {"diff": diff, "ci_low": diff, "ci_high": diff, "df": math.inf}
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(sps.t.ppf(0.5 + level / 2, df) * se)
    return {"diff": diff, "ci_low": diff - half, "ci_high": diff + half, "df": float(df)}


def ci_halfwidth_by_n(values, level: float = 0.95) -> pd.DataFrame:
    """Half-width of the CI of the mean using the first n values, n = 1..N (NaN for n < 2; NaN values skipped)."""
    a = _clean(values)
    rows = []
    for n in range(1, a.size + 1):
        m, lo, hi = mean_ci(a[:n], level)
        rows.append({"n": n, "mean": m, "half_width": (hi - lo) / 2 if n > 1 else math.nan})
    return pd.DataFrame(rows, columns=["n", "mean", "half_width"])
