"""``manifest.json``: what a batch ran, with what, by whom, and where every run stands.

The manifest is the batch's ledger. It is rewritten atomically after each flush of result parts and is the only
authority on which runs are done (``status: ok``), failed or still pending, and on which part files belong to the
tables (``parts``). That is what makes ``--resume`` safe: anything on disk the manifest does not list is the trace
of a flush cut short and is discarded. It also records everything needed to reproduce the batch: the fully
resolved scenario and its hash, the root seed, the design points, package versions and the git commit.
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
from typing import Any

from sim import __version__
from sim.errors import PkosimError

from .store import atomic_write_json

FILE_NAME = "manifest.json"
KEY_PACKAGES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "SALib", "dask", "distributed", "tqdm")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
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


class Manifest:
    """The manifest of one batch, kept in memory and saved whole (atomically) on ``save()``."""

    def __init__(self, path: Path, data: dict):
        self.path = Path(path)
        self.data = data
        self._index = {(r["point"], r["run"]): r for r in data["runs"]}

    @classmethod
    def new(cls, directory: Path, *, scenario_json: dict, scenario_hash: str, scenario_class: str,
            scenario_file: str | None, root_seed: int, replications: int, design: dict,
            seeds: dict[tuple[int, int], str]) -> "Manifest":
        data = {
            "pkosim_version": __version__,
            "scenario_name": scenario_json.get("name"),
            "scenario_file": scenario_file,
            "scenario_class": scenario_class,
            "scenario_hash": scenario_hash,
            "root_seed": int(root_seed),
            "replications": int(replications),
            "design": design,
            "packages": package_versions(),
            "git": git_state(),
            "host": host(),
            "started": now(),
            "finished": None,
            "status": "running",
            "sessions": [],
            "parts": {},
            "placeholders": {},
            "runs": [{"point": p, "run": r, "seed": s, "status": "pending", "elapsed_s": None, "error": None}
                     for (p, r), s in seeds.items()],
            "scenario": scenario_json,
        }
        return cls(Path(directory) / FILE_NAME, data)

    @classmethod
    def load(cls, directory: Path) -> "Manifest":
        path = Path(directory) / FILE_NAME
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise PkosimError(f"{directory}: no {FILE_NAME} here, so there is no batch to resume") from None
        except (OSError, json.JSONDecodeError) as error:
            raise PkosimError(f"{path}: cannot read the manifest ({error})") from None
        if not isinstance(data, dict) or "runs" not in data or "scenario" not in data:
            raise PkosimError(f"{path}: not a pkosim batch manifest (no 'runs' or 'scenario')")
        return cls(path, data)

    def run(self, point: int, run: int) -> dict:
        return self._index[(point, run)]

    @property
    def runs(self) -> list[dict]:
        return self.data["runs"]

    def counts(self) -> dict[str, int]:
        counts = {"ok": 0, "failed": 0, "pending": 0}
        for record in self.runs:
            counts[record["status"]] = counts.get(record["status"], 0) + 1
        return counts

    def parts(self) -> dict[str, list[str]]:
        return self.data["parts"]

    def save(self) -> None:
        atomic_write_json(self.path, self.data)
