"""Global sensitivity of one metric to a sweep's parameters, with run-to-run noise separated (``pkosim sensitivity``).

The model is stochastic, so a design point's outcome is the mean of its replications, and indices are estimated on
those means. What noise is left in them is measured (``analysis.sweeps.noise_decomposition``: a two-way analysis of
variance with the replication, which shares its seed at every point, as a block) and reported as the *noise share*.
Each interval combines two sources: the design (SALib's bootstrap over design rows, or over points for the linear
fit) and the noise (the same index recomputed on replication means resampled with replacement, the same
replications at every point so that common random numbers are kept).

By design method:

- ``sobol``: first-order (S1) and total (ST) Sobol indices, ``SALib.analyze.sobol`` (Saltelli/Jansen estimators);
  interval = estimate +- z * sqrt((SALib's half-width / z)^2 + sd over replication resamples^2);
- ``morris``: elementary effects, ``SALib.analyze.morris``: mu* (mean absolute effect), mu (signed mean) and sigma
  (spread: non-linearity or interactions), in the metric's unit over each parameter's full range; interval on mu*
  as for Sobol;
- ``grid`` and ``latin_hypercube`` (the documented fallback): a linear fit of the point means on the parameters,
  each scaled to its range. ``swing`` is the fitted change of the metric from the low to the high end of the range;
  ``share`` is the squared standardised regression coefficient (SRC^2: the share of the point means' variance the
  parameter explains linearly; they add up to R^2 for uncorrelated inputs). Percentile intervals from a bootstrap
  that resamples points and replications together.

Every method also gets a tornado chart: Morris's mu* signed by mu, or (Sobol, grid, Latin hypercube) the linear
swings. ``warnings`` says when the design is too small or too noisy for stable indices (docs/explore.md).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from analysis.metrics import metric as metric_meta
from analysis.results import Batch, find_batches
from analysis.summary import ALL, fmt
from analysis.sweeps import (Noise, SweepDesign, complete_points, noise_decomposition, outcome_matrix, outcome_unit,
                             read_sweep)
from sim.errors import PkosimError

LEVEL = 0.95
SALIB_RESAMPLES = 200      # SALib's bootstrap over design rows
REPLICATION_RESAMPLES = 50  # resamples of the replications (noise)
FIT_RESAMPLES = 300         # bootstrap of the linear fit (points and replications together)
SEED = 20140101             # the bootstraps' seed: the same batch gives the same intervals

# When to warn (docs/explore.md, "When to trust the indices").
NOISE_SHARE_WARN = 0.2
MIN_SOBOL_N = 32
MIN_MORRIS_TRAJECTORIES = 10
WIDE_SOBOL_HALF = 0.15      # half-width of an S1/ST interval, in index units
WIDE_MORRIS_RATIO = 0.5     # half-width of the leading mu* interval relative to mu*
MIN_FIT_POINTS_PER_PARAMETER = 5
LOW_R2 = 0.5

TABLE_COLUMNS = ["metric", "year", "unit", "method", "parameter", "low", "high", "index", "value", "ci_low", "ci_high"]
INDEX_NAMES = {
    "S1": "first-order Sobol index (share of variance)",
    "ST": "total Sobol index (share of variance, with interactions)",
    "mu_star": "Morris mu*: mean absolute effect over the parameter's range",
    "mu": "Morris mu: mean signed effect over the parameter's range",
    "sigma": "Morris sigma: spread of the effects (non-linearity, interactions)",
    "swing": "linear swing: fitted change from the low to the high end of the range",
    "share": "SRC^2: share of variance explained linearly",
}


@dataclass
class Sensitivity:
    """The result for one batch, metric and year. ``table`` has ``TABLE_COLUMNS`` (one row per parameter and
    index); ``tornado`` has parameter, value, ci_low, ci_high (signed effects over each range)."""

    design: SweepDesign
    metric: str
    year: str
    unit: str
    method: str                      # sobol | morris | regression
    noise: Noise
    table: pd.DataFrame
    tornado: pd.DataFrame
    tornado_kind: str                # what the tornado's bars are
    r2: float = math.nan             # of the linear fit (every method fits it for the tornado, except Morris)
    warnings: list[str] = field(default_factory=list)

    @property
    def batch(self) -> Batch:
        return self.design.batch


# -- estimators on a matrix of values[point, replication] ---------------------------------------------------------

def _z(level: float = LEVEL) -> float:
    return float(sps.norm.ppf(0.5 + level / 2))


def _replication_resamples(values: np.ndarray, count: int, rng: np.random.Generator):
    """Point means over replications drawn with replacement, the same draw at every point (keeps pairing)."""
    replications = values.shape[1]
    if replications < 2:
        return
    for _ in range(count):
        cols = rng.integers(0, replications, replications)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            yield np.nanmean(values[:, cols], axis=1)


def _combine(value: np.ndarray, design_half: np.ndarray, draws: list[np.ndarray], z: float):
    noise_sd = np.std(np.array(draws), axis=0, ddof=1) if len(draws) > 1 else np.zeros_like(value)
    half = np.sqrt(np.asarray(design_half, dtype=float) ** 2 + (z * noise_sd) ** 2)
    return value - half, value + half


def sobol_indices(problem: dict, values: np.ndarray, *, level: float = LEVEL, seed: int = SEED) -> pd.DataFrame:
    """S1 and ST per parameter (columns parameter, index, value, ci_low, ci_high) from ``values[point, run]`` on a
    Saltelli design (second-order terms sampled, as ``sim.runner.design`` does)."""
    from SALib.analyze import sobol

    def analyse(y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sobol.analyze(problem, np.asarray(y, dtype=float), calc_second_order=True,
                                 num_resamples=SALIB_RESAMPLES, conf_level=level, seed=seed)

    means = np.nanmean(values, axis=1)
    result = analyse(means)
    rng = np.random.default_rng(seed)
    draws = [analyse(m) for m in _replication_resamples(values, REPLICATION_RESAMPLES, rng)]
    rows = []
    for index in ("S1", "ST"):
        value = np.asarray(result[index], dtype=float)
        low, high = _combine(value, result[f"{index}_conf"], [d[index] for d in draws], _z(level))
        rows += [{"parameter": p, "index": index, "value": v, "ci_low": lo, "ci_high": hi}
                 for p, v, lo, hi in zip(problem["names"], value, low, high)]
    return pd.DataFrame(rows)


def morris_indices(problem: dict, inputs: np.ndarray, values: np.ndarray, *, levels: int,
                   level: float = LEVEL, seed: int = SEED) -> pd.DataFrame:
    """mu*, mu and sigma per parameter from ``values[point, run]`` on a Morris design (``inputs[point, parameter]``
    in trajectory order); mu* has an interval, mu and sigma do not (NaN)."""
    from SALib.analyze import morris

    def analyse(y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return morris.analyze(problem, np.asarray(inputs, dtype=float), np.asarray(y, dtype=float),
                                  num_resamples=SALIB_RESAMPLES, conf_level=level, num_levels=levels, seed=seed)

    result = analyse(np.nanmean(values, axis=1))
    rng = np.random.default_rng(seed)
    draws = [np.asarray(analyse(m)["mu_star"], dtype=float)
             for m in _replication_resamples(values, REPLICATION_RESAMPLES, rng)]
    mu_star = np.asarray(result["mu_star"], dtype=float)
    low, high = _combine(mu_star, np.asarray(result["mu_star_conf"], dtype=float), draws, _z(level))
    rows = []
    for i, p in enumerate(problem["names"]):
        rows.append({"parameter": p, "index": "mu_star", "value": mu_star[i], "ci_low": max(low[i], 0.0),
                     "ci_high": high[i]})
        rows.append({"parameter": p, "index": "mu", "value": float(result["mu"][i]), "ci_low": math.nan,
                     "ci_high": math.nan})
        rows.append({"parameter": p, "index": "sigma", "value": float(result["sigma"][i]), "ci_low": math.nan,
                     "ci_high": math.nan})
    return pd.DataFrame(rows)


def _fit(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Least squares of y on [1, z]: (swings, SRC^2, R^2); ``z`` is each parameter scaled to 0..1 over its range."""
    design = np.column_stack([np.ones(len(y)), z])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    swing = coef[1:]
    sd_y = float(np.std(y, ddof=1))
    src2 = (swing * np.std(z, axis=0, ddof=1) / sd_y) ** 2 if sd_y > 0 else np.zeros_like(swing)
    fitted = design @ coef
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1 - float(np.sum((y - fitted) ** 2)) / total if total > 0 else math.nan
    return swing, src2, r2


def linear_swings(names: list[str], scaled_inputs: np.ndarray, values: np.ndarray, *, level: float = LEVEL,
                  seed: int = SEED) -> tuple[pd.DataFrame, float]:
    """Linear swing and SRC^2 per parameter (rows parameter, index, value, ci_low, ci_high) and the fit's R^2.
    ``scaled_inputs[point, parameter]`` are the inputs scaled to 0..1 over their ranges."""
    z = np.asarray(scaled_inputs, dtype=float)
    means = np.nanmean(values, axis=1)
    keep = ~np.isnan(means)
    swing, src2, r2 = _fit(z[keep], means[keep])
    rng = np.random.default_rng(seed)
    draws_swing, draws_share = [], []
    n_points, n_runs = values.shape
    for _ in range(FIT_RESAMPLES):
        rows = rng.integers(0, n_points, n_points)
        cols = rng.integers(0, n_runs, n_runs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m = np.nanmean(values[np.ix_(rows, cols)], axis=1)
        ok = ~np.isnan(m)
        if ok.sum() <= z.shape[1] + 1 or np.any(np.ptp(z[rows][ok], axis=0) == 0):
            continue
        s, sh, _ = _fit(z[rows][ok], m[ok])
        draws_swing.append(s)
        draws_share.append(sh)
    tail = (1 - level) / 2 * 100
    out = []
    for index, value, draws in (("swing", swing, draws_swing), ("share", src2, draws_share)):
        if len(draws) > 10:
            low, high = np.percentile(np.array(draws), [tail, 100 - tail], axis=0)
        else:
            low = high = np.full(len(names), math.nan)
        out += [{"parameter": p, "index": index, "value": v, "ci_low": lo, "ci_high": hi}
                for p, v, lo, hi in zip(names, value, low, high)]
    return pd.DataFrame(out), r2


# -- one batch -----------------------------------------------------------------------------------------------------

def _checks(method: str, design: SweepDesign, noise: Noise, table: pd.DataFrame, r2: float) -> list[str]:
    out = []
    d = len(design.parameters)
    if noise.replications < 2:
        out.append("one replication per design point: run-to-run noise cannot be separated from the parameters' "
                   "effects; run at least 5 replications per point")
    elif noise.noise_share > NOISE_SHARE_WARN:
        need = noise.replications_for(0.1)
        more = f"; about {need} replications per point would bring it under 10%" if need else ""
        out.append(f"{noise.noise_share:.0%} of the variance between design points is run-to-run noise, which "
                   f"inflates total indices and Morris sigma{more}")
    if method == "sobol":
        n = design.points // (2 * d + 2)
        if n < MIN_SOBOL_N:
            out.append(f"Sobol base sample N = {n} is small (points = N x (2D + 2)); indices need N >= "
                       f"{MIN_SOBOL_N}, better 256 or more, to be stable")
        half = ((table["ci_high"] - table["ci_low"]) / 2).max()
        if half > WIDE_SOBOL_HALF:
            out.append(f"wide intervals (up to +-{half:.2f}): rank the parameters, but do not read the indices' "
                       "values; increase sweep.samples")
    elif method == "morris":
        trajectories = design.points // (d + 1)
        if trajectories < MIN_MORRIS_TRAJECTORIES:
            out.append(f"{trajectories} Morris trajectories: {MIN_MORRIS_TRAJECTORIES} or more are needed for a "
                       "stable ranking; increase sweep.samples")
        mu_star = table[table["index"] == "mu_star"].sort_values("value", ascending=False)
        if len(mu_star) and mu_star["value"].iloc[0] > 0:
            top = mu_star.iloc[0]
            ratio = (top["ci_high"] - top["ci_low"]) / 2 / top["value"]
            if ratio > WIDE_MORRIS_RATIO:
                out.append(f"wide interval on the leading mu* ({top['parameter']}: +-{ratio:.0%}): the ranking is "
                           "uncertain; increase sweep.samples or replications")
    if method == "regression":
        if design.points < MIN_FIT_POINTS_PER_PARAMETER * (d + 1):
            out.append(f"{design.points} design points for {d} parameter(s): a linear fit needs about "
                       f"{MIN_FIT_POINTS_PER_PARAMETER * (d + 1)} or more")
    if method != "morris" and not math.isnan(r2) and r2 < LOW_R2:
        out.append(f"the linear fit behind the tornado explains only {r2:.0%} of the variance of the point means: "
                   "swings understate non-linear effects and interactions"
                   + ("" if method == "sobol" else "; use a sobol or morris design for those"))
    return out


def _check_design(matrix: pd.DataFrame, design: SweepDesign, method: str) -> None:
    batch = design.batch
    d = len(design.parameters)
    if method in ("sobol", "morris"):
        complete_points(matrix, batch, design.method)
        step = 2 * d + 2 if method == "sobol" else d + 1
        if design.points % step:
            raise PkosimError(f"{batch.path}: {design.points} design points do not make a {method} design of {d} "
                              f"parameter(s) (a multiple of {step}); the manifest is damaged")
    elif design.points <= d + 1:
        raise PkosimError(f"{batch.path}: {design.points} design points cannot fit {d} parameter(s); increase "
                          "sweep.samples")


def _estimate(design: SweepDesign, values: np.ndarray, method: str, level: float
              ) -> tuple[pd.DataFrame, pd.DataFrame, str, float]:
    """(indices, tornado, what the tornado shows, R^2 of the linear fit) for one design method."""
    lows = np.array([design.bounds[p][0] for p in design.parameters])
    highs = np.array([design.bounds[p][1] for p in design.parameters])
    if method == "morris":
        from sim.runner.design import MORRIS_LEVELS

        table = morris_indices(design.problem(), design.inputs.to_numpy(dtype=float), values, levels=MORRIS_LEVELS,
                               level=level)
        star = table[table["index"] == "mu_star"].set_index("parameter")
        sign = np.sign(table[table["index"] == "mu"].set_index("parameter")["value"]).replace(0, 1)
        tornado = pd.DataFrame({"value": star["value"] * sign, "ci_low": star["ci_low"] * sign,
                                "ci_high": star["ci_high"] * sign})
        tornado[["ci_low", "ci_high"]] = np.sort(tornado[["ci_low", "ci_high"]].to_numpy(), axis=1)
        return table, tornado, "mu* (sign of mu)", math.nan
    scaled = (design.inputs.to_numpy(dtype=float) - lows) / (highs - lows)
    fit, r2 = linear_swings(design.parameters, scaled, values, level=level)
    tornado = fit[fit["index"] == "swing"].set_index("parameter")[["value", "ci_low", "ci_high"]]
    if method == "sobol":
        fit = pd.concat([sobol_indices(design.problem(), values, level=level), fit[fit["index"] == "swing"]],
                        ignore_index=True)
    return fit, tornado, "linear swing", r2


def analyse(batch, metric: str = "hostile_deaths", year: str = ALL, *, level: float = LEVEL) -> Sensitivity:
    """Sensitivity of ``metric`` in ``year`` (``"all"``: the whole run) to the sweep of ``batch``."""
    batch = find_batches(batch)[0] if not isinstance(batch, Batch) else batch
    design = read_sweep(batch)
    meta = metric_meta(metric, "yearly")
    year = str(year)
    matrix = outcome_matrix(batch, metric, year, design.points)
    values = matrix.to_numpy(dtype=float)
    finite = matrix.mean(axis=1).dropna().to_numpy()
    if finite.size < 2 or np.ptp(finite) == 0:
        where = "the whole run" if year == ALL else year
        raise PkosimError(f"{batch.name}: {metric} ({where}) is the same at every design point "
                          f"({fmt(float(finite[0])) if finite.size else 'no value'}); no sensitivity to report")
    method = design.method if design.method in ("sobol", "morris") else "regression"
    _check_design(matrix, design, method)
    noise = noise_decomposition(values)
    table, tornado, tornado_kind, r2 = _estimate(design, values, method, level)
    tornado = tornado.reindex(design.parameters).rename_axis("parameter").reset_index()
    tornado = tornado.reindex(tornado["value"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    unit = outcome_unit(meta, year)
    table.insert(0, "metric", metric)
    table.insert(1, "year", year)
    table.insert(2, "unit", [unit if i in ("mu_star", "mu", "sigma", "swing") else "share 0-1" for i in table["index"]])
    table.insert(3, "method", method)
    table.insert(5, "low", table["parameter"].map(lambda p: design.bounds[p][0]))
    table.insert(6, "high", table["parameter"].map(lambda p: design.bounds[p][1]))
    result = Sensitivity(design, metric, year, unit, method, noise, table[TABLE_COLUMNS], tornado, tornado_kind, r2)
    result.warnings = _checks(method, design, noise, table, r2)
    return result


# -- tables and files ----------------------------------------------------------------------------------------------

def display_table(result: Sensitivity) -> pd.DataFrame:
    """One row per parameter, the indices as 'value (low to high)' strings, most influential first."""
    t = result.table
    order = list(result.tornado["parameter"])
    if result.method == "sobol":
        order = list(t[t["index"] == "ST"].sort_values("value", ascending=False)["parameter"])
    rows = []
    for p in order:
        sub = t[t["parameter"] == p].set_index("index")
        row = {"parameter": p, "range": f"{fmt(sub['low'].iloc[0])} to {fmt(sub['high'].iloc[0])}"}
        for index in sub.index:
            r = sub.loc[index]
            ci = "" if math.isnan(r["ci_low"]) else f" ({fmt(r['ci_low'])} to {fmt(r['ci_high'])})"
            row[index] = fmt(r["value"]) + ci
        rows.append(row)
    return pd.DataFrame(rows)


def summary_lines(result: Sensitivity) -> list[str]:
    """The reading of the result in sentences: method, noise, fit, warnings."""
    n = result.noise
    where = "whole run" if result.year == ALL else result.year
    lines = [f"{result.batch.name}: {result.metric} ({where}, {result.unit}); {result.design.method} design, "
             f"{result.design.points} points x {n.replications} replication(s); method: {result.method}."]
    if not math.isnan(n.noise_share):
        lines.append(f"Noise: {n.noise_share:.0%} of the variance of the point means (what the indices are fitted "
                     f"on) and {n.run_noise_share:.0%} of a single run's is run-to-run noise.")
    if not math.isnan(result.r2):
        lines.append(f"Linear fit of the point means on the parameters ({result.tornado_kind} in the tornado): "
                     f"R^2 = {result.r2:.2f}.")
    lines += [f"Warning: {w}." for w in result.warnings]
    return lines


def file_stem(metric: str, year: str) -> str:
    return f"sensitivity_{metric}" + ("" if str(year) == ALL else f"_{year}")


def section_id(batch_name: str, metric: str, year: str) -> str:
    """What a report section of this analysis is about: the same id is the same result."""
    return f"sensitivity/{batch_name}/{metric}/{year}"


def _headings(result: Sensitivity) -> tuple[str, str, str]:
    """The section's title and the captions of the tornado and index figures."""
    label = metric_meta(result.metric).label
    where = "" if result.year == ALL else f" ({result.year})"
    return (f"Which inputs matter: {label.lower()}{where} in {result.batch.name}",
            f"{label}: tornado ({result.tornado_kind})",
            f"{label}: sensitivity indices with {LEVEL:.0%} intervals")


def write_sensitivity(batch, metric: str = "hostile_deaths", year: str = ALL, out_dir=None
                      ) -> tuple[Sensitivity, dict[str, str]]:
    """Analyse, then write ``sensitivity_<metric>[_<year>].csv/.md``, the tornado and index figures (PNG) and the
    section file a report shows (``.section.json``) into ``out_dir`` (default: the batch directory). Returns the
    result and the written paths."""
    from analysis.fragments import write_section
    from analysis.io import write_text
    from analysis.plots.sensitivity import plot_indices, plot_tornado
    from analysis.plots.style import save
    from analysis.summary import to_markdown

    result = analyse(batch, metric, year)
    out = Path(out_dir) if out_dir else result.batch.path
    stem = file_stem(metric, year)
    paths = {"csv": str(write_text(out / f"{stem}.csv", result.table.to_csv(index=False)))}
    legend = "\n".join(f"- `{k}`: {v}" for k, v in INDEX_NAMES.items() if k in set(result.table["index"]))
    md = (f"# Sensitivity of {metric_meta(metric).label.lower()}\n\n" + "\n".join(f"{s}\n" for s in summary_lines(result))
          + "\n" + to_markdown(display_table(result)) + f"\nIntervals: {LEVEL:.0%}, design and noise combined "
          "(docs/explore.md).\n\n" + legend + "\n")
    paths["md"] = str(write_text(out / f"{stem}.md", md))
    for kind, plot in (("tornado", plot_tornado), ("indices", plot_indices)):
        paths[kind] = str(save(plot(result), out / f"{stem}_{kind}.png", [result.batch]))
    title, tornado, indices = _headings(result)
    paths["section"] = write_section(out, stem, kind="sensitivity", section_id=section_id(result.batch.name, metric,
                                     result.year), title=title, lines=summary_lines(result),
                                     table=display_table(result),
                                     figures=[(paths["tornado"], tornado), (paths["indices"], indices)])
    return result, paths


def sensitivity_section(batch, metric: str = "hostile_deaths", year: str = ALL) -> dict:
    """The section a report shows (``analysis.fragments.section``): the reading, the table and both figures."""
    from analysis.fragments import section
    from analysis.html import figure
    from analysis.plots.sensitivity import plot_indices, plot_tornado

    result = analyse(batch, metric, year)
    title, tornado, indices = _headings(result)
    return section("sensitivity", title, summary_lines(result), display_table(result),
                   [figure(plot_tornado(result), [result.batch], tornado),
                    figure(plot_indices(result), [result.batch], indices)])


def sensitivity_report(batch, metric: str = "hostile_deaths", year: str = ALL, *, level: int = 2) -> str:
    """The section as an HTML fragment (a ``<section>`` with an ``<h{level}>`` title) for other pages."""
    from analysis.fragments import section_html

    return section_html(sensitivity_section(batch, metric, year), level)
