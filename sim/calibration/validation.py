"""Reading a small YAML input file into a pydantic model, with the scenario loader's located error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.loader import problems_from_validation
from sim.scenario.messages import did_you_mean, normalise_loc
from sim.scenario.yaml_source import YamlDocument, read_yaml

Model = TypeVar("Model", bound=BaseModel)


def display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _allowed_keys(model: type[BaseModel], path: tuple) -> list[str]:
    """The field names of the model found at ``path`` inside ``model`` (empty if not a model there)."""
    kind: Any = model
    for part in path:
        if not (isinstance(kind, type) and issubclass(kind, BaseModel)) or part not in kind.model_fields:
            return []
        kind = kind.model_fields[part].annotation
        args = getattr(kind, "__args__", ())  # Optional[Model] -> Model
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if models:
            kind = models[0]
    return list(kind.model_fields) if isinstance(kind, type) and issubclass(kind, BaseModel) else []


def validate(model: type[Model], document: YamlDocument) -> Model:
    """``model`` validated from ``document``; every problem as one located line (``FILE:LINE:COL: key: message``)."""
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        problems = problems_from_validation(error, document)
        fixed = []
        for err, problem in zip(error.errors(), problems):
            if err["type"] == "extra_forbidden" and problem.message == "unknown key":
                path = normalise_loc(err["loc"], document.data)
                hint = did_you_mean(str(path[-1]), _allowed_keys(model, path[:-1]))
                problem = Problem(problem.file, problem.line, problem.column, problem.key, problem.message + hint)
            fixed.append(problem)
        raise ScenarioError(fixed) from None


def load(model: type[Model], path: Path | str) -> tuple[Model, YamlDocument]:
    """Read and validate a YAML file; the document keeps positions for later, cross-file checks."""
    path = Path(path)
    document = read_yaml(path, display(path))
    return validate(model, document), document


def problem_at(document: YamlDocument, key_path: tuple, message: str) -> Problem:
    """A problem located at ``key_path`` in ``document`` (or the nearest enclosing key)."""
    for cut in range(len(key_path), -1, -1):
        if key_path[:cut] in document.positions:
            position = document.positions[key_path[:cut]]
            return Problem(position.file, position.line, position.column, ".".join(map(str, key_path)), message)
    return Problem(document.file, None, None, ".".join(map(str, key_path)), message)
