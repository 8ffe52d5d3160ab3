"""Bayesian calibration by approximate Bayesian computation with sequential Monte Carlo (ABC-SMC, pyabc).

Why ABC: the model has no likelihood one can write down, but it can be run. ABC-SMC draws parameter sets from the
priors, simulates the calibration window with each, and keeps those whose simulated patterns are close to the
observed ones; generation after generation the tolerance shrinks and the kept particles become a sample of the
posterior, weighted. Unlike an optimiser's point estimate, that sample says how much the record pins each parameter
down, and the uncertainty travels into every answer (scenarios draw their parameters from it).

One particle, ``PatternModel``: the scenario with the particle's values, ``replications`` runs in this process
(fresh random numbers, seeded from the particle's values so that a particle is reproducible), each run's patterns
(``patterns.run_patterns`` and the yearly deaths), averaged over the runs. Replications per particle trade noise in
the distance for particles per minute: with 4, the standard error of the simulated 7-year mean of deaths is about
a third of the target's own scale (docs/calibration.md).

Distance: sqrt(sum_t w_t z_t^2) over the targets (``targets.Target``), z_t = (simulated - observed) / scale_t for
point targets, and the distance to the observed range over its half-width for range targets (0 inside).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.config import Calibration
from sim.calibration.patterns import run_patterns, yearly_patterns
from sim.calibration.targets import INTERVAL, RANGE, Target, Targets
from sim.runner import scenarios as runner_scenarios

LIBRARIES = ("pyabc", "numpy", "scipy", "pandas", "mesa")


@dataclass(frozen=True)
class AbcSettings:
    """How big the ABC-SMC run is (the calibration file's ``abc`` section)."""

    population: int = 60
    generations: int = 6
    replications: int = 1
    max_simulations: int = 2000          # particles evaluated, in all generations
    max_minutes: float = 90.0
    proposal_scaling: float = 3.0
    seed: int = 7


def fit_years(targets: Targets, scenario) -> list[int]:
    """The record's years the scenario covers in full."""
    return [y for y in targets.years() if scenario.start.year <= y and scenario.end.year >= y
            and scenario.start <= pd.Timestamp(y, 1, 1).date() and scenario.end >= pd.Timestamp(y, 12, 31).date()]


def stats_of(outputs: list, targets: Targets, years: list[int]) -> dict[str, float]:
    """Patterns of several runs of one particle, averaged over the runs (NaN runs left out)."""
    yearly = pd.concat([o.yearly.assign(point=0, run=k) for k, o in enumerate(outputs)], ignore_index=True)
    incidents = pd.concat([o.incidents.assign(point=0, run=k) for k, o in enumerate(outputs)], ignore_index=True)
    northern = targets.northern_contingents.contingents if targets.northern_contingents else None
    patterns = run_patterns(yearly, incidents, northern=northern, years=years)
    out = {name: float(np.nanmean(patterns[name])) if patterns[name].notna().any() else math.nan
           for name in patterns.columns if name not in ("point", "run")}
    per_year = yearly_patterns(yearly, incidents, years).groupby("year")["hostile_deaths"].mean()
    out.update({f"hostile_deaths_{year}": float(per_year.get(year, math.nan)) for year in years})
    window = yearly[yearly["year"].isin(years)]
    deaths = window["hostile_deaths"].sum()
    out["died_of_wounds_share"] = float(window["died_of_wounds"].sum() / deaths) if deaths else math.nan
    first = window[window["year"] == min(years)]
    if "patrol_km" in first and len(first):
        out["patrols_per_day_first_year"] = float(first["patrol_km"].sum() / first["days"].sum())
    return out


def z_of(target: Target, simulated: float) -> float:
    """Standardised miss of one target: 0 inside an observed range, else the distance over the scale."""
    if simulated != simulated:
        return 5.0                                  # undefined in every run (no deaths at all): far off
    if target.rule == RANGE:
        return max(0.0, target.low - simulated, simulated - target.high) / target.scale
    return (simulated - target.observed) / target.scale


class PatternModel:
    """pyabc's model: parameter values -> averaged patterns (see the module docstring)."""

    def __init__(self, calibration: Calibration, settings: AbcSettings, years: list[int], run_fn=None):
        from sim.simulation import simulate

        self.calibration, self.settings, self.years = calibration, settings, years
        self.run_fn = run_fn or simulate
        overrides = {"outputs.daily": False, "outputs.convoys": False, "outputs.incidents": True}
        if getattr(calibration.scenario, "posterior", None) is not None:
            overrides["posterior"] = None  # a particle runs its own values, never an earlier posterior's draws
        self.scenario = runner_scenarios.with_overrides(calibration.scenario, overrides)

    def seeds(self, values: dict[str, float]) -> list[np.random.SeedSequence]:
        digest = hashlib.sha256(repr(sorted(values.items())).encode()).digest()
        key = int.from_bytes(digest[:8], "little")
        return [np.random.SeedSequence([self.settings.seed, key], spawn_key=(k,))
                for k in range(self.settings.replications)]

    def values_of(self, parameters: dict[str, Any]) -> dict[str, float]:
        """pyabc's sampled parameters (log-scale ones as their logarithm) in the parameters' own units."""
        return {path: natural(prior, float(parameters[path])) for path, prior in self.calibration.parameters.items()}

    def __call__(self, parameters: dict[str, Any]) -> dict[str, float]:
        """pyabc's entry point: sampled parameters -> averaged patterns."""
        return self.simulate(self.values_of(parameters))

    def simulate(self, values: dict[str, float]) -> dict[str, float]:
        """Values in the parameters' own units (a posterior draw, a known truth) -> averaged patterns."""
        values = {path: int(round(v)) if self.calibration.integer.get(path) else v for path, v in values.items()}
        scenario = runner_scenarios.with_overrides(self.scenario, values)
        outputs = [self.run_fn(scenario, seed) for seed in self.seeds(values)]
        return stats_of(outputs, self.calibration.targets, self.years)


def abc_targets(targets: Targets, years: list[int], weights: dict[str, float]) -> list[Target]:
    """The targets the distance uses, with the calibration file's weights."""
    out = []
    for t in targets.patterns(years):
        weight = float(weights.get(t.name, t.weight))
        if weight > 0:
            out.append(Target(t.name, t.label, t.observed, t.scale, t.rule, t.low, t.high, weight, t.source, t.note))
    return out


class Distance:
    """sqrt(sum_t w_t z_t^2) over the targets (module docstring); a callable pyabc accepts as distance."""

    def __init__(self, targets: list[Target]):
        self.targets = targets

    def __call__(self, simulated: dict[str, float], observed: dict[str, float]) -> float:
        return math.sqrt(sum(t.weight * z_of(t, simulated.get(t.name, math.nan)) ** 2 for t in self.targets))


def prior(calibration: Calibration):
    """pyabc's prior: uniform over each parameter's range, or over the logarithm of its range (``log: true``).

    A log-uniform parameter is sampled and perturbed as its logarithm: pyabc's Gaussian transition then moves it by
    factors rather than by amounts, and the importance weights (prior over proposal density) stay even. Sampling it
    in natural units with a 1/x prior density made the weights of the first fit collapse onto one particle (an
    effective sample size of 1.2 of 80 after one generation)."""
    import pyabc

    rvs = {}
    for path, p in calibration.parameters.items():
        low, high = (math.log(p.low), math.log(p.high)) if p.log else (p.low, p.high)
        rvs[path] = pyabc.RV("uniform", low, high - low)
    return pyabc.Distribution(**rvs)


def natural(p, value: float) -> float:
    """A sampled value in the parameter's own unit (the exponential of a log-scale parameter)."""
    return math.exp(value) if p.log else value


@dataclass
class AbcResult:
    """The weighted posterior sample and how it was obtained."""

    calibration: Calibration
    settings: AbcSettings
    particles: pd.DataFrame               # one column per parameter, plus ``weight`` (summing to 1)
    populations: pd.DataFrame             # per generation: t, epsilon, samples, particles, ess
    simulations: int
    elapsed_s: float
    targets: list[Target] = field(default_factory=list)
    observed: dict[str, float] = field(default_factory=dict)

    @property
    def point_estimate(self) -> dict[str, float]:
        """The weighted posterior median of each parameter."""
        return {path: weighted_quantile(self.particles[path], self.particles["weight"], 0.5)
                for path in self.calibration.parameters}

    def interval(self, path: str, level: float = 0.9) -> tuple[float, float]:
        tail = (1 - level) / 2
        return (weighted_quantile(self.particles[path], self.particles["weight"], tail),
                weighted_quantile(self.particles[path], self.particles["weight"], 1 - tail))


def weighted_quantile(values, weights, q: float) -> float:
    """The q-quantile of a weighted sample (inverse of the weighted empirical distribution)."""
    order = np.argsort(np.asarray(values, dtype=float))
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cumulative = np.cumsum(w) / w.sum()
    return float(v[min(int(np.searchsorted(cumulative, q)), len(v) - 1)])


def fit(calibration: Calibration, settings: AbcSettings, out_dir: Path | str, *, workers: int = 1,
        observed: dict[str, float] | None = None, run_fn=None) -> AbcResult:
    """Run ABC-SMC; ``observed`` replaces the record's patterns (the recovery test fits synthetic data)."""
    import pyabc

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    years = fit_years(calibration.targets, calibration.scenario)
    targets = abc_targets(calibration.targets, years, calibration.weights)
    if observed is not None:                             # synthetic data: every target a point at its value
        targets = [Target(t.name, t.label, observed[t.name], t.scale, INTERVAL, weight=t.weight) for t in targets
                   if observed.get(t.name, math.nan) == observed.get(t.name, math.nan)]
    observed = {t.name: t.observed for t in targets}
    model = PatternModel(calibration, settings, years, run_fn)
    sampler = (pyabc.sampler.SingleCoreSampler() if workers <= 1
               else pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers))
    np.random.seed(settings.seed)                       # pyabc draws particles from numpy's global generator
    # A broader perturbation than Silverman's rule keeps the importance weights even in many dimensions
    # (docs/calibration.md, "Proposal"): the kernel density of a few hundred particles in 14 dimensions is spiky.
    transition = pyabc.MultivariateNormalTransition(scaling=settings.proposal_scaling)
    abc = pyabc.ABCSMC(model, prior(calibration), Distance(targets), population_size=settings.population,
                       transitions=transition, sampler=sampler, eps=pyabc.epsilon.QuantileEpsilon(alpha=0.5))
    database = out_dir / "abc.db"
    database.unlink(missing_ok=True)
    abc.new(f"sqlite:///{database}", observed)
    started = time.monotonic()
    history = abc.run(max_nr_populations=settings.generations, max_total_nr_simulations=settings.max_simulations,
                      max_walltime=timedelta(minutes=settings.max_minutes))
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    particles = frame.reset_index(drop=True)
    for path, p in calibration.parameters.items():
        particles[path] = [natural(p, float(v)) for v in particles[path]]
    particles["weight"] = np.asarray(weights, dtype=float) / float(np.sum(weights))
    populations = history.get_all_populations()
    populations["ess"] = [effective_sample_size(history, int(t)) if t >= 0 else math.nan for t in populations["t"]]
    return AbcResult(calibration, settings, particles, populations, int(history.total_nr_simulations),
                     time.monotonic() - started, targets, observed)


def effective_sample_size(history, t: int) -> float:
    """Kish's effective sample size of generation t's weights, (sum w)^2 / sum w^2: how many equally weighted
    particles the generation is worth. Far below the population, the posterior rests on a few parameter sets (in
    many dimensions the prior-over-proposal weights of ABC-SMC spread over orders of magnitude)."""
    import pyabc

    _, weights = history.get_distribution(m=0, t=t)
    return float(pyabc.weighted_statistics.effective_sample_size(np.asarray(weights, dtype=float)))


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def resample(particles: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` equally weighted draws by systematic resampling (deterministic for a seed): what scenarios use."""
    rng = np.random.default_rng(seed)
    weights = particles["weight"].to_numpy() / particles["weight"].sum()
    positions = (rng.random() + np.arange(n)) / n
    index = np.minimum(np.searchsorted(np.cumsum(weights), positions), len(particles) - 1)
    draws = particles.drop(columns="weight").iloc[index].reset_index(drop=True)
    return draws.iloc[rng.permutation(n)].reset_index(drop=True)
