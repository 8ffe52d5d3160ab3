"""The calibration file: which scenario to run, against which targets, fitting which parameters within which priors.

    scenario: ../history_2014_2020.yaml      # relative paths are relative to this file
    targets: targets_mali_2014_2020.yaml
    output: ../params/calibrated.yaml
    trials: 40
    replications: 10
    seed: 7
    parameters:                              # dotted path -> uniform prior; log: true samples log-uniformly
      ieds.killed_per_detonation: {low: 0.2, high: 2.0}
    weights:                                 # optional: target name -> weight in the objective
      largest_incident_deaths_max: 0.5
    fixed:                                   # optional: held at these values (not fitted), written with the fit
      posture.loss_sensitivity: 0.3

Everything is checked before any run: the files exist and validate, every parameter path names a number in the
scenario (with a did-you-mean), both ends of every prior are values the scenario accepts, weights name targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.errors import PkosimError, Problem, ScenarioError
from sim.runner import scenarios as runner_scenarios
from sim.scenario import load_scenario
from sim.scenario.base import StrictModel
from sim.scenario.loader import display_path, load_input, problem_at
from sim.scenario.messages import did_you_mean
from sim.scenario.yaml_source import YamlDocument
from sim.calibration.targets import Targets, load_targets

DEFAULT_FILE = Path("scenarios/calibration/history_2014_2020.yaml")


class Prior(StrictModel):
    """A uniform prior range; ``log: true`` for scale parameters (uniform in log space)."""

    low: float = Field(..., description="Lower end of the range.")
    high: float = Field(..., description="Upper end of the range.")
    log: bool = Field(False, description="Sample log-uniformly (needs low > 0).")

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"log: true needs low > 0, got {self.low:g}")
        return self


class AbcSection(StrictModel):
    """Size of an ABC-SMC fit (``method: abc``)."""

    population: int = Field(60, ge=5, le=100_000, description="Particles per generation.")
    generations: int = Field(6, ge=1, le=100, description="Most generations (the tolerance shrinks each one).")
    replications: int = Field(1, ge=1, le=1000, description="Runs per particle, averaged (docs/calibration.md says why 1).")
    max_simulations: int = Field(2000, ge=1, description="Most particles evaluated in all.")
    max_minutes: float = Field(90.0, gt=0, description="Wall-time budget.")
    proposal_scaling: float = Field(3.0, gt=0, le=100, description="Factor on the covariance of the Gaussian "
                                    "perturbation (pyabc's scaling of Silverman's bandwidth; docs/calibration.md says why 3).")
    draws: int = Field(200, ge=10, le=100_000, description="Equally weighted posterior draws written for scenarios.")


class CalibrationFile(StrictModel):
    description: str = Field("", description="What this calibration fits and why.")
    scenario: str = Field(..., min_length=1, description="Scenario file the fit runs (relative to this file).")
    targets: str = Field(..., min_length=1, description="Targets file (relative to this file).")
    output: str = Field("../params/calibrated.yaml", min_length=1, description="Parameter file to write.")
    method: Literal["optuna", "abc"] = Field("optuna", description="optuna: a point estimate (TPE); abc: a posterior by ABC-SMC (pyabc).")
    abc: AbcSection = Field(default_factory=AbcSection, description="Size of the ABC-SMC fit (method: abc).")
    trials: int = Field(40, ge=1, le=100_000, description="Optuna trials.")
    replications: int = Field(10, ge=1, le=100_000, description="Replications per trial (same seeds every trial).")
    seed: int = Field(7, ge=0, le=2**63 - 1, description="Seed of the TPE sampler.")
    parameters: dict[str, Prior] = Field(..., min_length=1, description="Dotted parameter path -> prior range.")
    weights: dict[str, float] = Field(default_factory=dict, description="Target name -> weight (default per target).")
    fixed: dict[str, float] = Field(default_factory=dict, description="Dotted parameter path -> value held fixed "
                                    "(not fitted): the fit runs with it and writes it to the parameter file.")

    @model_validator(mode="after")
    def _weights_non_negative(self) -> CalibrationFile:
        negative = [k for k, v in self.weights.items() if v < 0]
        if negative:
            raise ValueError(f"weights must be >= 0: {', '.join(negative)}")
        both = sorted(set(self.fixed) & set(self.parameters))
        if both:
            raise ValueError(f"a parameter is either fitted or fixed, not both: {', '.join(both)}")
        return self


@dataclass
class Calibration:
    """A checked calibration, ready to fit."""

    scenario: Any
    targets: Targets
    parameters: dict[str, Prior]
    output: Path
    trials: int = 40
    replications: int = 10
    method: str = "optuna"
    abc: AbcSection = field(default_factory=AbcSection)
    seed: int = 7
    weights: dict[str, float] = field(default_factory=dict)
    integer: dict[str, bool] = field(default_factory=dict)  # parameters that take whole numbers
    fixed: dict[str, float] = field(default_factory=dict)   # held at these values, written with the fit
    file: Path | None = None
    scenario_file: Path | None = None
    targets_file: Path | None = None
    description: str = ""


def numeric_paths(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted path -> value of every number in a scenario dump (booleans excluded)."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(numeric_paths(value, f"{prefix}{key}."))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        out[prefix[:-1]] = data
    return out


def _override_message(error: Exception) -> str:
    if isinstance(error, ScenarioError):
        return "; ".join(p.message for p in error.problems)
    if isinstance(error, ValidationError):
        return "; ".join(e["msg"] for e in error.errors())
    return str(error)


def check_parameters(scenario: Any, parameters: dict[str, Prior], locate=None) -> dict[str, bool]:
    """Check every path names a number of ``scenario`` and both prior ends are accepted; return path -> is integer.

    ``locate(key_path, message) -> Problem`` places a problem in the calibration file (default: no position)."""
    locate = locate or (lambda key_path, message: Problem("<calibration>", None, None, ".".join(key_path), message))
    numbers = numeric_paths(scenario.model_dump(mode="json"))
    problems, integer = [], {}
    for path, prior in parameters.items():
        key = ("parameters", path)
        if path not in numbers:
            problems.append(locate(key, f"no numeric parameter {path!r} in scenario {scenario.name!r}"
                                        + did_you_mean(path, list(numbers))))
            continue
        integer[path] = isinstance(numbers[path], int)
        for end in ("low", "high"):
            value = getattr(prior, end)
            value = int(round(value)) if integer[path] else value
            try:
                runner_scenarios.with_overrides(scenario, {path: value})
            except (ScenarioError, ValidationError, PkosimError) as error:
                problems.append(locate(key + (end,), f"{end} = {value:g} is not a valid value: {_override_message(error)}"))
    if problems:
        raise ScenarioError(problems)
    return integer


def check_fixed(scenario: Any, fixed: dict[str, float], locate) -> dict[str, float]:
    """Check every fixed value names a number of ``scenario`` and is accepted; return path -> value (whole numbers
    where the scenario takes them)."""
    numbers = numeric_paths(scenario.model_dump(mode="json"))
    problems, out = [], {}
    for path, value in fixed.items():
        if path not in numbers:
            problems.append(locate(("fixed", path), f"no numeric parameter {path!r} in scenario {scenario.name!r}"
                                   + did_you_mean(path, list(numbers))))
            continue
        out[path] = int(round(value)) if isinstance(numbers[path], int) else value
        try:
            runner_scenarios.with_overrides(scenario, {path: out[path]})
        except (ScenarioError, ValidationError, PkosimError) as error:
            problems.append(locate(("fixed", path), f"{value:g} is not a valid value: {_override_message(error)}"))
    if problems:
        raise ScenarioError(problems)
    return out


def _resolve(document: YamlDocument, base: Path, key: str, value: str, must_exist: bool = True) -> Path:
    path = (base / value).resolve()
    if must_exist and not path.is_file():
        siblings = sorted(p.name for p in path.parent.glob("*.yaml")) if path.parent.is_dir() else []
        raise ScenarioError([problem_at(document, (key,), f"file {value!r} not found ({display_path(path)})"
                                        + did_you_mean(path.name, siblings))])
    return path


def load_calibration(path: Path | str = DEFAULT_FILE, *, trials: int | None = None, replications: int | None = None,
                     seed: int | None = None) -> Calibration:
    """Read, validate and check a calibration file (command-line values override the file's)."""
    path = Path(path)
    spec, document = load_input(CalibrationFile, path)
    base = path.parent
    scenario_file = _resolve(document, base, "scenario", spec.scenario)
    targets_file = _resolve(document, base, "targets", spec.targets)
    output = _resolve(document, base, "output", spec.output, must_exist=False)
    scenario = load_scenario(scenario_file)
    targets = load_targets(targets_file)
    names = {t.name for t in targets.patterns()}
    bad = [problem_at(document, ("weights", name), "unknown target"
                      + (did_you_mean(name, sorted(names)) or f"; targets are {', '.join(sorted(names))}"))
           for name in spec.weights if name not in names]
    if bad:
        raise ScenarioError(bad)
    locate = lambda key_path, message: problem_at(document, key_path, message)  # noqa: E731
    integer = check_parameters(scenario, spec.parameters, locate)
    fixed = check_fixed(scenario, spec.fixed, locate)
    scenario = runner_scenarios.with_overrides(scenario, fixed) if fixed else scenario
    for flag, value in (("--trials", trials), ("--replications", replications)):
        if value is not None and value < 1:
            raise PkosimError(f"{flag} {value}: must be at least 1")
    if seed is not None and seed < 0:
        raise PkosimError(f"--seed {seed}: must be >= 0")
    return Calibration(
        scenario=scenario, targets=targets, parameters=dict(spec.parameters), output=output,
        method=spec.method, abc=spec.abc,
        trials=trials if trials is not None else spec.trials,
        replications=replications if replications is not None else spec.replications,
        seed=seed if seed is not None else spec.seed, weights=dict(spec.weights), integer=integer, fixed=fixed, file=path,
        scenario_file=scenario_file, targets_file=targets_file, description=spec.description)
