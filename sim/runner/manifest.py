"""``manifest.json``: what a batch is (the scenario, its hash, the root seed, the replications, the design), who ran
it with what, and how each session ended.

The manifest is written when the batch is created and at the start and end of each session (``run`` or
``--resume``); the state of each run is not in it but in the status log (``status.py``), so saving it costs the
same for ten runs as for a million. Its ``root_seed`` and ``replications`` are the batch's only authority on them:
the stored ``scenario`` leaves them out, and ``scenario_hash`` identifies the scenario without them.

A manifest is input, perhaps from someone else's machine: ``Manifest.load`` validates it against ``ManifestData``
and refuses with one line naming the file and the key. Nothing in it is a path or code: the scenario class is a
name from a fixed registry (``model``: ``pkosim`` or ``fake``), and every file of the batch has a fixed name.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import platform
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim import __version__
from sim.errors import PkosimError
from sim.files import atomic_write_bytes

from .store import MANIFEST, MAX_MANIFEST_BYTES, TABLES, read_regular_file

FILE_NAME = MANIFEST
FORMAT = 2
KEY_PACKAGES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "SALib", "dask", "distributed", "tqdm", "filelock")
STATUSES = ("not started", "running", "complete", "failed", "interrupted")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(directory: Path | None = None) -> dict[str, Any]:
    """Commit and dirty flag of the source tree pkosim runs from (None when git or the repository is missing)."""
    cwd = directory or Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    if commit.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip()) if status.returncode == 0 else None}


def host() -> dict[str, Any]:
    import os

    return {"name": socket.gethostname(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "python_executable": sys.executable}


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class SessionRecord(_Record):
    started: str
    finished: str | None = None
    resumed: bool = False


class DesignRecord(_Record):
    """The design in brief; a sweep's points are in ``design.parquet`` (one row per point)."""

    method: Literal["grid", "latin_hypercube", "sobol", "morris"] | None = None
    parameters: list[str] = []
    points: int = Field(1, ge=1)


class ManifestData(_Record):
    """The keys of ``manifest.json`` (format 2)."""

    format: Literal[2]
    pkosim_version: str
    model: Literal["pkosim", "fake"] = Field(description="Which scenario class and default model: a registry name.")
    scenario_name: str = Field(pattern=NAME_PATTERN, max_length=80)
    scenario_file: str | None = None
    scenario_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    root_seed: int = Field(ge=0, le=2**63 - 1)
    replications: int = Field(ge=1)
    design: DesignRecord
    tables: list[str]
    packages: dict[str, str | None] = {}
    git: dict[str, Any] = {}
    host: dict[str, Any] = {}
    started: str
    finished: str | None = None
    status: Literal["not started", "running", "complete", "failed", "interrupted"]
    sessions: list[SessionRecord] = []
    scenario: dict[str, Any]

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: list[str]) -> list[str]:
        unknown = [t for t in tables if t not in TABLES]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a table of a batch ({', '.join(TABLES)})")
        if "runs" not in tables or len(set(tables)) != len(tables):
            raise ValueError("must list each table once, runs included")
        return tables


def validation_message(path: Path, error: ValidationError, data: Any, root: type[BaseModel]) -> str:
    """One line for a pydantic error in a JSON file: the file, the key, what is wrong (and how many more)."""
    from sim.scenario.messages import describe_error
    from sim.scenario.yaml_source import dotted_path

    errors = error.errors()
    first = errors[0]
    key, message = describe_error(first, tuple(first["loc"]), data, root)
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{path}: {dotted_path(key) or 'manifest'}: {message}{more}"


def read_json(path: Path, what: str, limit: int = MAX_MANIFEST_BYTES) -> Any:
    raw = read_regular_file(path, limit)
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise PkosimError(f"{path}: not UTF-8 text; not a pkosim {what}") from None
    except json.JSONDecodeError as error:
        raise PkosimError(f"{path}: not valid JSON ({error.msg} at line {error.lineno}); the {what} is "
                          "damaged") from None


class Manifest:
    """The manifest of one batch: validated ``data``, saved whole (atomically) on ``save()``."""

    def __init__(self, path: Path, data: ManifestData):
        self.path = Path(path)
        self.data = data

    @classmethod
    def new(cls, directory: Path, *, model: str, scenario_json: dict, scenario_hash: str, scenario_file: str | None,
            root_seed: int, replications: int, design: DesignRecord, tables: list[str]) -> "Manifest":
        data = ManifestData(
            format=FORMAT, pkosim_version=__version__, model=model, scenario_name=scenario_json["name"],
            scenario_file=scenario_file, scenario_hash=scenario_hash, root_seed=int(root_seed),
            replications=int(replications), design=design, tables=list(tables), packages=package_versions(),
            git=git_state(), host=host(), started=now(), finished=None, status="not started", sessions=[],
            scenario=scenario_json)
        return cls(Path(directory) / FILE_NAME, data)

    @classmethod
    def load(cls, directory: Path) -> "Manifest":
        path = Path(directory) / FILE_NAME
        try:
            data = read_json(path, "manifest")
        except FileNotFoundError:
            raise PkosimError(f"{directory}: no {FILE_NAME} here, so there is no batch to resume") from None
        if not isinstance(data, dict):
            raise PkosimError(f"{path}: not a pkosim batch manifest (a JSON object is expected)")
        if "format" not in data and "runs" in data:
            raise PkosimError(f"{path}: written by an earlier pkosim (no 'format' key); its results can be read "
                              "but it cannot be resumed: run the scenario again into a new folder")
        try:
            return cls(path, ManifestData.model_validate(data))
        except ValidationError as error:
            raise PkosimError(validation_message(path, error, data, ManifestData)) from None

    def save(self) -> None:
        atomic_write_bytes(self.path, (self.data.model_dump_json(indent=1) + "\n").encode())
