"""From scenario files to a validated ``Scenario``: ``extends`` chains, deep merge with provenance, error messages
(every problem of a file in one pass, ``check_document``) and warnings.

Merge rules (documented for users in the README and in the schema): a child file overrides its parent key by key.
Mappings merge recursively; lists and scalars replace the parent's value whole (so a child's ``rainy_season_months``
is the complete list); ``null`` removes an inherited key, which brings back the default (or drops an event).
Every value keeps the file and line that set it, so errors and ``pkosim show --diff`` can say where it came from.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError, in_file_order
from sim.scenario import posterior as posterior_key
from sim.scenario.messages import describe_error, normalise_loc
from sim.scenario.references import check_references, check_warnings
from sim.scenario.salvage import WINDOW_KEYS, is_under, misspelt_entries, salvage
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import KeyPath, Position, YamlDocument, dotted_path, read_yaml, show_value

MAX_EXTENDS_DEPTH = 20

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with where each explicitly set value came from (absent = model default), and the
    warnings found while validating it (``Problem`` objects with ``warning=True``)."""

    scenario: Scenario
    data: dict[str, Any]
    positions: dict[KeyPath, Position]
    files: tuple[str, ...]
    warnings: tuple[Problem, ...] = ()

    def origin(self, path: KeyPath) -> str:
        """'file:line' of the value at ``path`` (or of the nearest enclosing key set in a file), else 'default'."""
        for cut in range(len(path), 0, -1):
            if path[:cut] in self.positions:
                if cut < len(path):
                    enclosing = _value_at(self.data, path[:cut])
                    if isinstance(enclosing, dict) and path[cut] not in enclosing:
                        return "default"  # a section set in a file, but not this key of it
                return str(self.positions[path[:cut]])
        return "default"


def display_path(path: Path) -> str:
    """Paths in messages as the user would type them: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # elsewhere, or a symlink loop (RuntimeError before Python 3.13)
        return str(path)


def _merge(parent: YamlDocument, child: YamlDocument) -> YamlDocument:
    data: dict[str, Any] = {}
    positions = dict(parent.positions)

    def drop_under(prefix: KeyPath) -> None:
        for key in [k for k in positions if k[: len(prefix)] == prefix]:
            del positions[key]

    def merge(base: dict[str, Any], over: dict[str, Any], path: KeyPath) -> dict[str, Any]:
        result = dict(base)
        for key, value in over.items():
            here = path + (key,)
            if value is None:
                result.pop(key, None)
                drop_under(here)
            elif isinstance(value, dict) and isinstance(result.get(key), dict):
                result[key] = merge(result[key], value, here)
            else:
                drop_under(here)
                result[key] = value
        return result

    data = merge(parent.data, child.data, ())
    for path in child.unreadable:  # the child meant to set it: the parent's value must not stand in for it
        enclosing = _value_at(data, path[:-1])
        if isinstance(enclosing, dict):
            enclosing.pop(path[-1], None)
            drop_under(path)
    for key, position in child.positions.items():
        if key == () or _value_at(data, key) is not _MISSING:
            positions[key] = position
    unreadable = {p for p in parent.unreadable if _value_at(data, p) is _MISSING} | child.unreadable
    return YamlDocument(child.file, data, positions, parent.problems + child.problems, unreadable)


_MISSING = object()


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return _MISSING
    return data


def _read_chain(path: Path, stack: tuple[Path, ...] = ()) -> tuple[YamlDocument, tuple[str, ...]]:
    """Read a file and, recursively, the parents it extends; merge them root first."""
    document = read_yaml(path, display_path(path), keep_going=True)
    if ("extends",) in document.unreadable:  # which file this one builds on is unknown: nothing else can be checked
        raise ScenarioError(document.problems)
    posterior_key.resolve_path(document.data, path.parent)  # relative to the file that writes it, like extends
    parent_ref = document.data.pop("extends", None)
    extends_position = document.positions.pop(("extends",), None)
    if parent_ref is None:
        return document, (document.file,)

    def problem(message: str) -> ScenarioError:
        line = extends_position.line if extends_position else None
        column = extends_position.column if extends_position else None
        return ScenarioError([Problem(document.file, line, column, "extends", message)])

    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise problem(f"must be the path of a parent scenario file, got {show_value(parent_ref)}")
    try:
        parent_path = (path.parent / parent_ref).resolve()
        parent_is_file = parent_path.is_file()
        parent_is_dir = parent_path.is_dir()
    except (OSError, ValueError, RuntimeError) as error:  # a NUL in the name, a name too long, a symlink loop
        reason = getattr(error, "strerror", None) or ("a loop of symbolic links" if isinstance(error, RuntimeError) else str(error))
        raise problem(f"cannot use {show_value(parent_ref)} as a parent scenario file: {reason}") from None
    chain = stack + (path.resolve(),)
    if parent_path in chain:
        cycle = " -> ".join(display_path(p) for p in chain[chain.index(parent_path):] + (parent_path,))
        raise problem(f"extends cycle: {cycle}")
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise problem(f"extends chain longer than {MAX_EXTENDS_DEPTH} files")
    if parent_is_dir:
        raise problem(f"parent scenario {show_value(parent_ref)} is a directory, not a scenario file")
    if not parent_is_file:
        siblings = sorted(p.name for p in parent_path.parent.glob("*.yaml")) if parent_path.parent.is_dir() else []
        hint = difflib.get_close_matches(parent_path.name, siblings, n=1)
        if hint:  # suggest the path as the user would write it, in the same folder they wrote
            folder = str(Path(parent_ref).parent)
            hint = [hint[0] if folder in ("", ".") else f"{folder}/{hint[0]}"]
        raise problem(f"parent scenario {show_value(parent_ref)} not found" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    try:
        parent, files = _read_chain(parent_path, chain)
    except ScenarioError as error:
        # A parent that cannot be read as a scenario at all (not YAML text, not a mapping, too large...) is the
        # child's mistake: point at its extends: line, and never quote the parent's content.
        parent_file = display_path(parent_path)
        if all(p.file == parent_file and not p.key for p in error.problems):
            raise problem(f"parent {show_value(parent_ref)} is not a scenario file: {error.problems[0].message}") from None
        raise
    return _merge(parent, document), files + (document.file,)


def _locate(document: YamlDocument, path: KeyPath) -> Position:
    for cut in range(len(path), -1, -1):
        if path[:cut] in document.positions:
            return document.positions[path[:cut]]
    return Position(document.file, 1, 1)


def problem_at(document: YamlDocument, path: KeyPath, message: str) -> Problem:
    """A problem located at ``path`` in ``document`` (or at the nearest enclosing key the file sets)."""
    position = _locate(document, path)
    return Problem(position.file, position.line, position.column, dotted_path(path), message)


def problems_from_validation(error: ValidationError, document: YamlDocument,
                             root: type[BaseModel] = Scenario) -> list[Problem]:
    """Turn pydantic's errors for a ``root`` model (a scenario, or any other input file) into located,
    human-readable problems, with "did you mean" from the keys ``root`` allows."""
    problems = []
    for err in error.errors():
        path = normalise_loc(err["loc"], document.data)
        if is_under(path, document.unreadable):
            continue  # a value that could not be read: already reported, and missing here only because of that
        path, message = describe_error(err, path, document.data, root)
        problems.append(problem_at(document, path, message))
    return problems


def load_input(model: type[Model], path: str | Path) -> tuple[Model, YamlDocument]:
    """Read and validate a YAML input file that is not a scenario (a study, a calibration file, targets) with the
    same safe reader and located, "did you mean" messages; the document keeps positions for later checks."""
    document = read_yaml(Path(path), display_path(Path(path)))
    try:
        return model.model_validate(document.data), document
    except ValidationError as error:
        raise ScenarioError(problems_from_validation(error, document, model)) from None


@dataclass(frozen=True)
class Validation:
    """Everything found in a scenario in one pass: the scenario (None if it has problems), its problems and its
    warnings, each located (``FILE:LINE:COL: key.path: message``)."""

    scenario: Scenario | None
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The problems, then the warnings, one line each."""
        return [str(p) for p in self.problems + self.warnings]


def check_document(document: YamlDocument, *, sweep_values: bool = True) -> Validation:
    """Every problem in merged scenario data, in one pass: what could not be read, the schema's errors, and the
    checks that need the theatre (``check_references``) on what the schema accepted (``sim.scenario.salvage``);
    then the warnings (``check_warnings``)."""
    problems = list(document.problems)
    misspelt, data = misspelt_entries(document.data)
    problems += [problem_at(document, path, message) for path, message in misspelt]
    pruned = set(document.unreadable)
    try:
        scenario: Scenario | None = Scenario.model_validate(data)
    except ValidationError as error:
        problems += problems_from_validation(error, replace(document, data=data))
        scenario, left_out = salvage(data, error.errors())
        pruned |= left_out
    if scenario is None:
        return Validation(None, tuple(in_file_order(problems)), ())
    window = not any(key in pruned for key in WINDOW_KEYS)
    problems += [problem_at(document, path, message) for path, message
                 in check_references(scenario, data, sweep_values=sweep_values, window=window, left_out=pruned)]
    warnings = [replace(problem_at(document, path, message), warning=True)
                for path, message in (check_warnings(scenario) if window else ())]
    return Validation(None if problems else scenario, tuple(in_file_order(problems)), tuple(in_file_order(warnings)))


def validate_document(document: YamlDocument, *, sweep_values: bool = True) -> Scenario:
    """Validate merged scenario data (``check_document``); raise ``ScenarioError`` with every problem found."""
    return _validated(check_document(document, sweep_values=sweep_values))


def _validated(validation: Validation) -> Scenario:
    if validation.scenario is None:
        raise ScenarioError(list(validation.problems), list(validation.warnings))
    return validation.scenario


def check_scenario(path: str | Path) -> Validation:
    """Everything ``pkosim validate`` says about a scenario file, without raising for the problems it finds: the
    scenario (None if it has problems), its problems and its warnings. A file that cannot be read as a scenario at
    all (not found, not YAML, an ``extends`` cycle) gives the problem that stopped the reading."""
    try:
        document, files = _read_chain(Path(path))
    except ScenarioError as error:
        return Validation(None, tuple(error.problems), tuple(error.warnings))
    _read_posterior(document, files)
    return _check_with_posterior(document)


def _read_posterior(document: YamlDocument, files: tuple[str, ...]) -> None:
    """Replace the ``posterior:`` path in the merged data by the draws it names (``sim.scenario.posterior``). A
    posterior that cannot be used is a problem of the document, and left out like any value that cannot be read,
    so that the rest of the scenario is still checked in the same pass.

    A fitted parameter that a file below the one naming the posterior sets (``files``: the chain, root first) is
    **pinned**: the scenario changed it on purpose (a counterfactual's deadlier devices), so its replications keep
    that value instead of the draw's."""
    ref = document.data.get("posterior")
    if ref is None:
        return
    if not isinstance(ref, str) or not ref.strip():
        problems = [problem_at(document, ("posterior",), "must be the path of a posterior file (e.g. posterior.yaml), "
                                                         f"or null, got {show_value(ref)}")]
    else:
        try:
            draws = posterior_key.read_posterior(Path(ref), display_path(Path(ref)))
            order = {file: i for i, file in enumerate(files)}
            named = document.positions.get(("posterior",))
            named_in = order.get(named.file, len(files)) if named is not None else len(files)
            set_in = {path: document.positions.get(tuple(path.split("."))) for path in draws["draws"]}
            draws["pinned"] = tuple(sorted(path for path, where in set_in.items()
                                           if where is not None and order.get(where.file, -1) > named_in))
            document.data["posterior"] = draws
            return
        except posterior_key.PosteriorFileError as error:
            problems = [problem_at(document, ("posterior",), str(error))]
        except ScenarioError as error:  # the posterior's YAML itself, located in it
            problems = list(error.problems)
    document.problems.extend(problems)
    document.unreadable.add(("posterior",))
    del document.data["posterior"]


def _check_with_posterior(document: YamlDocument) -> Validation:
    """``check_document``, then whether the posterior's draws fit the scenario (``posterior.problems``): only where
    a file is loaded, not for every ``with_overrides`` copy."""
    validation = check_document(document)
    message = posterior_key.problems(validation.scenario) if validation.scenario is not None else None
    if message is None:
        return validation
    return Validation(None, (problem_at(document, ("posterior",), message),), validation.warnings)


def resolve_scenario(path: str | Path) -> ResolvedScenario:
    """Load, merge and validate a scenario file; raise ``ScenarioError`` listing every problem found (and the
    warnings, which alone never raise: they are in ``ResolvedScenario.warnings``)."""
    document, files = _read_chain(Path(path))
    _read_posterior(document, files)
    validation = _check_with_posterior(document)
    scenario = _validated(validation)
    return ResolvedScenario(scenario, document.data, document.positions, files, validation.warnings)


def load_scenario(path: str | Path) -> Scenario:
    """The validated scenario a file describes (after ``extends`` and defaults)."""
    return resolve_scenario(path).scenario


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A re-validated copy of ``scenario`` with values set by dotted path (used by sweeps and calibration)."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    positions: dict[KeyPath, Position] = {}
    for dotted, value in overrides.items():
        parts: KeyPath = tuple(dotted.split("."))
        target = data
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                raise ScenarioError([Problem("<override>", None, None, dotted, "no such parameter")])
            target = target[part]
        if parts[-1] not in target:
            raise ScenarioError([Problem("<override>", None, None, dotted, "no such parameter")])
        target[parts[-1]] = value
        positions[parts] = Position("<override>", 1, 1)
    return validate_document(YamlDocument("<override>", data, positions), sweep_values=False)


# What a batch decides rather than the scenario: its root seed and number of replications (the batch manifest's
# ``root_seed`` and ``replications`` are their only authority). They are not part of the scenario's identity.
BATCH_KEYS = ("seed", "replications")


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON data without the batch keys (``seed``, ``replications``): what a batch stores."""
    data = scenario.model_dump(mode="json")
    for key in BATCH_KEYS:
        data.pop(key, None)
    if data.get("posterior", ...) is None:
        del data["posterior"]  # absent rather than null: a scenario without a posterior keeps its hash
    elif isinstance(data.get("posterior"), dict) and not data["posterior"].get("pinned"):
        del data["posterior"]["pinned"]  # a posterior that pins nothing keeps the hash it had before pins existed
    return data


def canonical_json(scenario: Scenario) -> str:
    """The scenario without its batch keys as canonical JSON: the same scenario gives the same text everywhere."""
    return json.dumps(scenario_data(scenario), sort_keys=True, separators=(",", ":"))


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the canonical JSON: identifies what was run, whatever seed and replications ran it."""
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()
