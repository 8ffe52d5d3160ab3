"""Design points of a sweep: which parameter values each point of a batch runs with.

A scenario without ``sweep`` has one point (0) with no overrides. With a sweep, the points come from SALib so that
the runs can later be fed straight to ``SALib.analyze`` in the same order:

- ``grid``: every combination of each parameter's ``values`` (``itertools.product``, first parameter slowest);
- ``latin_hypercube``: ``SALib.sample.latin.sample(problem, N=samples)``, N points;
- ``sobol``: Saltelli's scheme, ``SALib.sample.sobol.sample(problem, N=samples, calc_second_order=True)``,
  N * (2D + 2) points (N should be a power of 2);
- ``morris``: ``SALib.sample.morris.sample(problem, N=samples, num_levels=4)``, N trajectories of D + 1 points.

The number of points is counted from these formulas before anything is sampled (``count_points``), and a design
above ``MAX_DESIGN_POINTS`` is refused: a 5-parameter grid of 100 values each is 10^10 points, which no machine
holds. The points are kept as one numpy matrix (points x parameters, 8 bytes a value: a 10^6-point Sobol design
over 3 parameters is 24 MB), and a point's overrides are built when that point runs.

The sweep's own ``seed`` drives the sampler, so the design is reproducible and independent of the run seeds.
Each point runs every replication with the usual run seeds (common random numbers across points).
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import PkosimError

METHODS = ("grid", "latin_hypercube", "sobol", "morris")
MORRIS_LEVELS = 4
MAX_DESIGN_POINTS = 10_000_000


@dataclass(frozen=True)
class Design:
    """The design points of one scenario: row i of ``matrix`` holds the value of each of ``parameters`` at point i."""

    method: str | None
    parameters: list[str] = field(default_factory=list)
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def point(self, index: int) -> dict[str, float]:
        """The overrides of design point ``index`` (dotted path -> value)."""
        return {name: float(value) for name, value in zip(self.parameters, self.matrix[index])}

    @property
    def points(self) -> list[dict[str, float]]:
        """Every point's overrides (builds one dict per point: for small designs and tests)."""
        return [self.point(i) for i in range(len(self))]

    @classmethod
    def from_points(cls, method: str | None, parameters: list[str], points: list[dict[str, float]]) -> "Design":
        matrix = np.array([[float(p[name]) for name in parameters] for p in points], dtype=float)
        return cls(method, list(parameters), matrix.reshape(len(points), len(parameters)))


def count_points(method: str, parameters: dict[str, Any], samples: int) -> int:
    """How many points ``sample`` would make, without making them."""
    dimensions = len(parameters)
    if method == "grid":
        return math.prod(len(getattr(spec, "values", None) or ()) for spec in parameters.values())
    if method == "latin_hypercube":
        return samples
    if method == "sobol":
        return samples * (2 * dimensions + 2)
    if method == "morris":
        return samples * (dimensions + 1)
    raise PkosimError(f"sweep method {method!r} is not one of {', '.join(METHODS)}")


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
    size = count_points(method, parameters, samples)
    if size > MAX_DESIGN_POINTS:
        raise PkosimError(f"sweep: the {method} design has {size:,} points, more than the limit of "
                          f"{MAX_DESIGN_POINTS:,}; use fewer values or samples, or split the sweep")
    if method == "grid":
        axes = []
        for name in names:
            values = getattr(parameters[name], "values", None)
            if not values:
                raise PkosimError(f"sweep parameter {name!r}: a grid sweep needs a list of values")
            axes.append([float(v) for v in values])
        matrix = np.fromiter(itertools.chain.from_iterable(itertools.product(*axes)), dtype=float,
                             count=size * len(names)).reshape(size, len(names))
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
                matrix = saltelli(problem, samples, seed)
            else:
                from SALib.sample import morris

                matrix = morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
        matrix = np.ascontiguousarray(matrix, dtype=float)
    return Design(method=method, parameters=names, matrix=matrix)


def saltelli(problem: dict, samples: int, seed: int) -> np.ndarray:
    """``SALib.sample.sobol.sample(problem, samples, calc_second_order=True, seed=seed)``, row for row, built with
    array operations instead of SALib's Python loop over every value (70 s for 10^6 points, here about 1 s).

    Each base point i of a scrambled Sobol' sequence of 2D dimensions gives 2D + 2 rows: A_i, then A_i with
    column k taken from B_i (k = 1..D), then B_i with column k taken from A_i, then B_i."""
    from scipy.stats import qmc
    from SALib.util import scale_samples

    dimensions = problem["num_vars"]
    base = qmc.Sobol(d=2 * dimensions, scramble=True, seed=seed).random(samples)
    a, b = base[:, :dimensions], base[:, dimensions:]
    blocks = np.empty((samples, 2 * dimensions + 2, dimensions))
    blocks[:, 0] = a
    blocks[:, 1:dimensions + 1] = a[:, None, :]
    blocks[:, dimensions + 1:2 * dimensions + 1] = b[:, None, :]
    columns = np.arange(dimensions)
    blocks[:, 1 + columns, columns] = b[:, columns]                # A with column k from B
    blocks[:, dimensions + 1 + columns, columns] = a[:, columns]   # B with column k from A
    blocks[:, -1] = b
    return scale_samples(blocks.reshape(-1, dimensions), problem)


def design_size(scenario: Any) -> int:
    """The number of design points of a scenario, counted without sampling them."""
    sweep = getattr(scenario, "sweep", None)
    if sweep is None:
        return 1
    return count_points(sweep.method, dict(sweep.parameters), int(sweep.samples))


def design_of(scenario: Any) -> Design:
    """The design of a scenario: its sweep's points, or the single point 0 without overrides."""
    sweep = getattr(scenario, "sweep", None)
    if sweep is None:
        return Design(method=None)
    return sample(sweep.method, dict(sweep.parameters), int(sweep.samples), int(sweep.seed))
