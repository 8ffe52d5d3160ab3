"""A sweep batch as the exploration commands see it: the design's inputs per point, their ranges, and one outcome
value per design point and replication.

A sweep batch (``sweep:`` in the scenario, docs/results.md) records its design in brief in the manifest (``design``:
method, parameter dotted paths, number of points), the points in ``design.parquet`` (one row per point) and the sweep
specification in the resolved scenario (``scenario.sweep.parameters``: ``low``/``high`` or grid ``values``). Both are data to validate, not to trust:
``read_sweep`` checks them and refuses a batch that is not a sweep with a one-line ``PkosimError``.

The outcome of a run is a metric's value for one calendar year or the whole run (``analysis.summary.run_values``:
counts as an annual rate, ratios from the summed counts), arranged as a matrix ``values[point, replication]``.
Replication k of every point has the same seed (common random numbers), which ``noise_decomposition`` uses to
separate what the parameters do from run-to-run noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.metrics import Metric, metric as metric_meta
from analysis.results import Batch
from analysis.summary import ALL, run_values
from sim.errors import PkosimError
from sim.runner.store import DESIGN, read_regular_file

METHODS = ("grid", "latin_hypercube", "sobol", "morris")


@dataclass(frozen=True)
class SweepDesign:
    """The design of one sweep batch: ``inputs`` has one row per design point (index ``point``) and one column per
    swept parameter (its dotted path); ``bounds`` maps each parameter to its (low, high) range."""

    batch: Batch
    method: str
    parameters: list[str]
    bounds: dict[str, tuple[float, float]]
    inputs: pd.DataFrame

    @property
    def points(self) -> int:
        return len(self.inputs)

    def problem(self) -> dict:
        """The SALib problem definition the design was sampled from."""
        return {"num_vars": len(self.parameters), "names": list(self.parameters),
                "bounds": [list(self.bounds[p]) for p in self.parameters]}


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise PkosimError(f"{where}: not a finite number ({value!r}); the manifest is damaged")
    return float(value)


def _design_points(batch: Batch, parameters: list[str], points: int) -> list[list[float]]:
    """The values of ``design.parquet`` (columns ``point`` and the swept parameters, one row per point), checked
    against the manifest's design."""
    path = batch.path / DESIGN
    try:
        table = pq.read_table(pa.BufferReader(read_regular_file(path)))
    except FileNotFoundError:
        raise PkosimError(f"{path}: missing; the sweep's design points are lost") from None
    except (OSError, pa.ArrowException) as error:
        raise PkosimError(f"{path}: not a readable Parquet file ({str(error).splitlines()[0][:100]}); "
                          "the batch is damaged") from None
    if table.column_names != ["point", *parameters] or table.num_rows != points:
        raise PkosimError(f"{path}: columns or rows differ from the manifest's design "
                          f"({points} point(s) of {', '.join(parameters)}); the batch was edited")
    if table["point"].to_pylist() != list(range(points)):
        raise PkosimError(f"{path}: points are not numbered 0..{points - 1}; the batch was edited")
    columns = {p: table[p].to_pylist() for p in parameters}
    return [[_number(columns[p][i], f"{path}: design point {i}, {p}") for p in parameters] for i in range(points)]


def read_sweep(batch: Batch) -> SweepDesign:
    """The validated design of ``batch``; ``PkosimError`` if the batch is not a sweep or its design is damaged."""
    design = batch.manifest.get("design")
    method = design.get("method") if isinstance(design, dict) else None
    if method is None:
        raise PkosimError(f"{batch.path}: not a sweep (scenario {batch.name} has no 'sweep:'); explore a batch run "
                          "from a scenario with a sweep, e.g. scenarios/sweeps/drawdown_sweep.yaml")
    if method not in METHODS:
        raise PkosimError(f"{batch.path}: unknown sweep method {method!r} in manifest.json (known: {', '.join(METHODS)})")
    parameters = design.get("parameters")
    points = design.get("points")
    if (not isinstance(parameters, list) or not parameters or not all(isinstance(p, str) for p in parameters)
            or isinstance(points, bool) or not isinstance(points, int) or points < 1):
        raise PkosimError(f"{batch.path}: manifest.json design has no parameters or points; the manifest is damaged")
    rows = _design_points(batch, parameters, points)
    inputs = pd.DataFrame(rows, columns=parameters).rename_axis("point")
    spec = ((batch.scenario.get("sweep") or {}).get("parameters") or {})
    bounds = {}
    for p in parameters:
        entry = spec.get(p) if isinstance(spec.get(p), dict) else {}
        low, high = entry.get("low"), entry.get("high")
        if low is None or high is None:  # a grid: the range of its values
            low, high = float(inputs[p].min()), float(inputs[p].max())
        low, high = _number(low, f"{batch.path}: sweep range of {p}"), _number(high, f"{batch.path}: sweep range of {p}")
        if not low < high:
            raise PkosimError(f"{batch.path}: swept parameter {p} takes a single value ({low}); nothing to explore")
        bounds[p] = (low, high)
    return SweepDesign(batch, method, list(parameters), bounds, inputs)


def outcome_unit(meta: Metric, year: str) -> str:
    """The unit of a run value for one year, or for the whole run (counts are then annual rates)."""
    return meta.whole_run_unit if year == ALL else meta.unit


def check_year(values: pd.DataFrame, year: str, batch: Batch) -> None:
    years = sorted(y for y in values["year"].unique() if y != ALL)
    if year != ALL and year not in years:
        raise PkosimError(f"--year {year}: {batch.name} has years {', '.join(years)} (or 'all' for the whole run)")


def outcome_matrix(batch: Batch, metric: str, year: str = ALL, points: int | None = None) -> pd.DataFrame:
    """``values[point, run]`` of one metric and year (``"all"``: the whole run) as a DataFrame (index point,
    columns run); NaN where a run failed or the metric is undefined (a share with no wounded)."""
    metric_meta(metric, "yearly")
    values = run_values(batch, [metric])
    year = str(year)
    check_year(values, year, batch)
    chosen = values[values["year"] == year]
    matrix = chosen.set_index(["point", "run"])["value"].unstack("run")
    if points is not None:
        matrix = matrix.reindex(range(points))
    return matrix.sort_index().sort_index(axis=1)


def complete_points(matrix: pd.DataFrame, batch: Batch, method: str) -> None:
    """Sobol and Morris estimators need every design point: refuse a batch with a point that has no value."""
    empty = matrix.index[matrix.isna().all(axis=1)]
    if len(empty):
        raise PkosimError(f"{batch.path}: design point(s) {', '.join(map(str, empty[:5]))} have no finished run with "
                          f"a value, and the {method} estimators need every point; finish the batch with "
                          f"`pkosim run --resume {batch.path}` (or choose a metric defined in every run)")


@dataclass(frozen=True)
class Noise:
    """How much of the variation between design points is run-to-run noise (see ``noise_decomposition``)."""

    points: int
    replications: int          # replications per point (the smallest count when some runs failed)
    noise_var_run: float       # variance of one run around its point's mean, net of the seed's common part
    param_var: float           # variance of the point means that the parameters cause
    noise_share: float         # share of the variance of the point means that is noise (what indices are fitted on)
    run_noise_share: float     # share of one run's point-to-point variance that is noise

    def replications_for(self, share: float = 0.1) -> int | None:
        """Replications per point that would bring the noise share of the point means down to ``share``."""
        if not self.param_var > 0 or math.isnan(self.noise_var_run):
            return None
        return max(1, math.ceil(self.noise_var_run * (1 - share) / (share * self.param_var)))


def noise_decomposition(values: np.ndarray) -> Noise:
    """Split the variance of point means into parameter-driven variance and noise, from ``values[point, run]``.

    Replication k shares its seed at every point, so a run's deviation from its point's mean has a part common to
    all points (a lucky seed lowers deaths everywhere) that cancels out of differences between points, and a part
    that does not. A two-way analysis of variance (point x replication, the replication as a block) estimates the
    second: ``MS_E = sum (y_ir - mean_i - mean_r + mean)^2 / ((P - 1)(R - 1))`` on the replications that finished at
    every point. The noise left in a mean of R replications is ``MS_E / R``; the parameters' variance is the
    variance of the point means minus that (floored at 0)."""
    values = np.asarray(values, dtype=float)
    n_points = values.shape[0]
    counts = np.sum(~np.isnan(values), axis=1)
    replications = int(counts.min()) if counts.size else 0
    means = np.nanmean(values, axis=1)
    var_means = float(np.var(means, ddof=1)) if n_points > 1 else math.nan
    complete = values[:, ~np.isnan(values).any(axis=0)]
    if complete.shape[1] < 2 or n_points < 2:
        return Noise(n_points, replications, math.nan, var_means, math.nan, math.nan)
    resid = complete - complete.mean(axis=1, keepdims=True) - complete.mean(axis=0, keepdims=True) + complete.mean()
    ms_e = float((resid ** 2).sum() / ((n_points - 1) * (complete.shape[1] - 1)))
    noise_in_means = ms_e / max(replications, 1)
    param_var = max(var_means - noise_in_means, 0.0)
    noise_share = min(noise_in_means / var_means, 1.0) if var_means > 0 else math.nan
    run_noise_share = ms_e / (ms_e + param_var) if ms_e + param_var > 0 else math.nan
    return Noise(n_points, replications, ms_e, param_var, noise_share, run_noise_share)
