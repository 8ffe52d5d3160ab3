"""Design points of a sweep: which parameter values each point of a batch runs with.

A scenario without ``sweep`` has one point (0) with no overrides. With a sweep, the points come from SALib so that
the runs can later be fed straight to ``SALib.analyze`` in the same order:

- ``grid``: every combination of each parameter's ``values`` (``itertools.product``, first parameter slowest);
- ``latin_hypercube``: ``SALib.sample.latin.sample(problem, N=samples)``, N points;
- ``sobol``: Saltelli's scheme, ``SALib.sample.sobol.sample(problem, N=samples, calc_second_order=True)``,
  N * (2D + 2) points (N should be a power of 2);
- ``morris``: ``SALib.sample.morris.sample(problem, N=samples, num_levels=4)``, N trajectories of D + 1 points.

The sweep's own ``seed`` drives the sampler, so the design is reproducible and independent of the run seeds.
Each point runs every replication with the usual run seeds (common random numbers across points).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import PkosimError

METHODS = ("grid", "latin_hypercube", "sobol", "morris")
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class Design:
    """The design points of one scenario: ``points[i]`` maps each swept dotted path to its value at point i."""

    method: str | None
    parameters: list[str] = field(default_factory=list)
    points: list[dict[str, float]] = field(default_factory=lambda: [{}])

    def __len__(self) -> int:
        return len(self.points)

    def to_json(self) -> dict:
        return {"method": self.method, "parameters": list(self.parameters), "points": [dict(p) for p in self.points]}

    @classmethod
    def from_json(cls, data: dict) -> "Design":
        return cls(method=data.get("method"), parameters=list(data.get("parameters", [])),
                   points=[dict(p) for p in data.get("points", [{}])] or [{}])


def _problem(names: list[str], ranges: dict[str, Any]) -> dict:
    bounds = []
    for name in names:
        low, high = getattr(ranges[name], "low", None), getattr(ranges[name], "high", None)
        if low is None or high is None or not float(low) < float(high):
            raise PkosimError(f"sweep parameter {name!r}: needs low < high for this method (got low={low}, high={high})")
        bounds.append([float(low), float(high)])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def sample(method: str, parameters: dict[str, Any], samples: int, seed: int) -> Design:
    """The design for one sweep specification (``parameters`` maps dotted path -> range with low/high/values)."""
    names = list(parameters)
    if method not in METHODS:
        raise PkosimError(f"sweep method {method!r} is not one of {', '.join(METHODS)}")
    if not names:
        raise PkosimError("sweep: no parameters to sweep")
    if method == "grid":
        axes = []
        for name in names:
            values = getattr(parameters[name], "values", None)
            if not values:
                raise PkosimError(f"sweep parameter {name!r}: a grid sweep needs a list of values")
            axes.append([float(v) for v in values])
        rows = list(itertools.product(*axes))
    else:
        if samples < 1:
            raise PkosimError(f"sweep: samples must be at least 1 (got {samples})")
        problem = _problem(names, parameters)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib warns when Sobol's N is not a power of 2; the design is still valid
            if method == "latin_hypercube":
                from SALib.sample import latin

                matrix = latin.sample(problem, samples, seed=seed)
            elif method == "sobol":
                from SALib.sample import sobol

                matrix = sobol.sample(problem, samples, calc_second_order=True, seed=seed)
            else:
                from SALib.sample import morris

                matrix = morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
        rows = np.asarray(matrix, dtype=float).tolist()
    points = [{name: float(value) for name, value in zip(names, row)} for row in rows]
    return Design(method=method, parameters=names, points=points)


def design_of(scenario: Any) -> Design:
    """The design of a scenario: its sweep's points, or the single point 0 without overrides."""
    sweep = getattr(scenario, "sweep", None)
    if sweep is None:
        return Design(method=None)
    return sample(sweep.method, dict(sweep.parameters), int(sweep.samples), int(sweep.seed))
