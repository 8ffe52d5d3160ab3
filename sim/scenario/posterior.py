"""Scenarios that draw their parameters from the calibration's posterior: the ``posterior:`` key.

A scenario file may name a posterior: ``posterior: posterior.yaml``, a path relative to the file that sets it (as
``extends`` is). It is typically set once, in ``scenarios/params/calibrated.yaml``, so that every scenario that
extends it inherits it; ``posterior: null`` in a child switches it off. When the scenario is loaded, the posterior's
equally weighted draws (the CSV its YAML names under ``draws``: one column per dotted parameter path, one row per
draw; ``sim/calibration/posterior.py`` writes both) are read into the validated scenario as ``PosteriorDraws``,
with the SHA-256 of both files. So the scenario's hash and every batch manifest record exactly which posterior was
used, and a batch is resumed from its manifest alone, never from a file a manifest names.

Replication k of every scenario, and of every design point of a sweep, runs with draw k (k modulo the number of
draws) and seed k (``replication_values``, applied where the run happens: ``sim.runner.task.execute``). Two
scenarios compared replication by replication therefore share their random numbers *and* their parameters: a paired
difference stays paired, and its interval includes the uncertainty left in the calibrated parameters. A parameter
that a sweep varies keeps the design point's value (the design is applied on top of the draw).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from sim.parameters import StrictModel

MAX_DRAWS_BYTES = 50_000_000
MAX_DRAWS = 100_000
SHA256 = r"^[0-9a-f]{64}$"


class PosteriorFileError(Exception):
    """A posterior that cannot be used; ``str()`` says which file and what is wrong in it (one line)."""


class PosteriorDraws(StrictModel):
    """The equally weighted posterior draws a scenario takes its parameters from, and where they came from."""

    file: str = Field(..., description="The posterior's YAML file, as given to people (relative to the working "
                                       "directory when under it).")
    sha256: str = Field(..., pattern=SHA256, description="SHA-256 of the posterior's YAML file.")
    draws_file: str = Field(..., description="The draws' CSV file, as the posterior's YAML names it.")
    draws_sha256: str = Field(..., pattern=SHA256, description="SHA-256 of the draws' CSV file.")
    draws: dict[str, tuple[float, ...]] = Field(..., min_length=1, description="Dotted parameter path -> one value "
                                                                               "per draw.")
    pinned: tuple[str, ...] = Field((), description="Fitted parameters a scenario file below the one naming the "
                                                    "posterior sets: replications keep the scenario's value.")

    @model_validator(mode="after")
    def _same_number_of_draws(self) -> PosteriorDraws:
        sizes = {len(values) for values in self.draws.values()}
        if len(sizes) != 1 or not sizes.pop():
            raise ValueError("every parameter needs the same number of draws, at least one")
        return self

    @property
    def size(self) -> int:
        """The number of draws."""
        return len(next(iter(self.draws.values())))

    def draw(self, k: int) -> dict[str, float]:
        """Draw ``k`` modulo the number of draws: the parameter values of replication ``k``."""
        row = int(k) % self.size
        return {path: values[row] for path, values in self.draws.items()}

    def summary(self) -> dict[str, Any]:
        """What to show people instead of every draw (``pkosim show``, reports)."""
        return summary(self.model_dump(mode="json"))


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """A posterior as stored in a scenario's JSON, without its draws: files, hashes, size and parameters."""
    draws = data.get("draws") if isinstance(data.get("draws"), dict) else {}
    sizes = {len(v) for v in draws.values() if isinstance(v, (list, tuple))}
    out = {"file": data.get("file"), "sha256": data.get("sha256"), "draws_file": data.get("draws_file"),
           "draws_sha256": data.get("draws_sha256"), "draws": sizes.pop() if len(sizes) == 1 else None,
           "parameters": sorted(draws)}
    if data.get("pinned"):
        out["pinned"] = list(data["pinned"])      # only when the scenario pins something, as in its hash
    return out


# ------------------------------------------------------------------------------------------------- reading files

def resolve_path(data: dict[str, Any], folder: Path) -> None:
    """Make a ``posterior:`` path written in a file absolute, relative to that file's folder (like ``extends``)."""
    value = data.get("posterior")
    if isinstance(value, str) and value.strip():
        data["posterior"] = str(folder / value)


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _read_bytes(path: Path, shown: str, limit: int) -> bytes:
    try:
        if path.is_dir():
            raise PosteriorFileError(f"{shown} is a directory, not a file")
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise PosteriorFileError(f"{shown} not found") from None
    except (OSError, ValueError) as error:
        raise PosteriorFileError(f"cannot read {shown}: {getattr(error, 'strerror', None) or error}") from None
    if len(raw) > limit:
        raise PosteriorFileError(f"{shown} is larger than {limit:,} bytes")
    return raw


def read_draws(raw: bytes, shown: str) -> dict[str, tuple[float, ...]]:
    """The draws CSV (a header of dotted parameter paths, then one row of numbers per draw) as columns."""
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as error:
        raise PosteriorFileError(f"{shown} is not a CSV text file ({error})") from None
    rows = [row for row in rows if row]
    if not rows:
        raise PosteriorFileError(f"{shown} is empty; expected a header of parameter paths and one row per draw")
    header = [name.strip() for name in rows[0]]
    for name in header:
        if not name or any(not part.isidentifier() for part in name.split(".")):
            raise PosteriorFileError(f"{shown}: column {name!r} is not a dotted parameter path "
                                     "(e.g. ieds.killed_per_detonation)")
    if len(set(header)) != len(header):
        raise PosteriorFileError(f"{shown}: a parameter has two columns")
    if len(rows) == 1:
        raise PosteriorFileError(f"{shown} holds no draws (only its header)")
    if len(rows) - 1 > MAX_DRAWS:
        raise PosteriorFileError(f"{shown} holds {len(rows) - 1:,} draws; at most {MAX_DRAWS:,} are used")
    columns: dict[str, list[float]] = {name: [] for name in header}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise PosteriorFileError(f"{shown}: line {number} has {len(row)} values for {len(header)} columns")
        for name, text in zip(header, row):
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise PosteriorFileError(f"{shown}: line {number}, column {name}: {text[:30]!r} is not a finite "
                                         "number")
            columns[name].append(value)
    return {name: tuple(values) for name, values in columns.items()}


def read_posterior(path: Path, shown: str) -> dict[str, Any]:
    """The ``PosteriorDraws`` data of the posterior YAML at ``path`` (``shown``: how to name it in messages).

    The YAML is read with the scenario files' safe reader (a problem in it is located in it); what makes it
    unusable as a posterior is a ``PosteriorFileError``."""
    from sim.scenario.yaml_source import read_yaml

    raw = _read_bytes(path, shown, MAX_DRAWS_BYTES)
    document = read_yaml(path, shown)
    name = document.data.get("draws")
    if not isinstance(name, str) or not name.strip():
        raise PosteriorFileError(f"{shown}: draws: must name the CSV of equally weighted draws (e.g. "
                                 "posterior_draws.csv), as pkosim calibrate --method abc writes it")
    draws_path = path.parent / name
    draws_shown = str(Path(shown).parent / name)
    draws_raw = _read_bytes(draws_path, draws_shown, MAX_DRAWS_BYTES)
    return {"file": shown, "sha256": _sha256(raw), "draws_file": name, "draws_sha256": _sha256(draws_raw),
            "draws": read_draws(draws_raw, draws_shown)}


# ------------------------------------------------------------------------------------- checking and applying

def value_at(scenario: Any, path: str) -> Any:
    """The value at a dotted path of a validated scenario (attributes, then mapping keys), or None."""
    node = scenario
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        else:
            node = getattr(node, part, None) if part in type(node).model_fields else None
        if node is None:
            return None
    return node


def _fitted(current: Any, value: float) -> float | int:
    """A draw's value in the parameter's own type: integer parameters get the nearest integer."""
    return int(round(value)) if isinstance(current, int) and not isinstance(current, bool) else value


def replication_values(scenario: Any, run: int) -> dict[str, Any]:
    """The parameter values replication ``run`` takes from the scenario's posterior (draw ``run`` mod n), without
    the parameters its sweep varies (those keep the design point's value) or that it pins (``pinned``: set on
    purpose by a file below the one naming the posterior)."""
    posterior = scenario.posterior
    swept = set(scenario.sweep.parameters) if getattr(scenario, "sweep", None) is not None else set()
    kept = swept | set(posterior.pinned)
    return {path: _fitted(value_at(scenario, path), value) for path, value in posterior.draw(run).items()
            if path not in kept}


def problems(scenario: Any) -> str | None:
    """Why the scenario's posterior does not fit the scenario (a parameter it lacks, or draws outside a
    parameter's allowed range), or None. The range check applies every column's smallest and largest draw."""
    from sim.errors import PkosimError
    from sim.scenario.loader import with_overrides

    posterior = scenario.posterior
    if posterior is None:
        return None
    for path in posterior.draws:
        current = value_at(scenario, path)
        if path.split(".")[0] in ("posterior", "sweep") or isinstance(current, bool) or \
                not isinstance(current, (int, float)):
            return (f"{posterior.draws_file} has a column {path!r}, which is not a numeric parameter of this "
                    "scenario (did the model rename it? re-run the calibration)")
    for pick in (min, max):
        values = {path: _fitted(value_at(scenario, path), pick(column)) for path, column in posterior.draws.items()}
        try:
            with_overrides(scenario, {**values, "posterior": None})
        except PkosimError as error:
            problem = getattr(error, "problems", [None])[0]
            detail = f"{problem.key}: {problem.message}" if problem is not None else str(error)
            return f"draws in {posterior.draws_file} do not fit the scenario: {detail}"
    return None
