"""Finding batch directories and reading their tables lazily (see docs/results.md).

A *batch* is one scenario's result directory: ``manifest.json`` plus ``*.parquet/`` directories of part files.
``find_batches`` expands the paths a user gives (a batch directory, or a folder holding several) into ``Batch``
objects; a ``Batch`` reads only the columns and rows asked for, through ``pyarrow.dataset``, so a large daily or
incident table is never loaded whole when a yearly table serves.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd
import pyarrow.dataset as ds

from sim.errors import PkosimError

TABLES = ("runs", "yearly", "daily", "incidents", "convoys")
IDENTITY = ("scenario", "point", "run", "seed")


@dataclass
class Batch:
    """One scenario's results. Tables are opened on first use; nothing is read until asked for."""

    path: Path
    manifest: dict = field(repr=False)

    # -- identity ---------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        scenario = self.manifest.get("scenario") or {}
        return str(scenario.get("name") or self.path.name)

    @property
    def scenario(self) -> dict:
        return self.manifest.get("scenario") or {}

    @property
    def description(self) -> str:
        return str(self.scenario.get("description") or "").strip()

    @property
    def version(self) -> str:
        return str(self.manifest.get("pkosim_version", "unknown"))

    @property
    def scenario_hash(self) -> str:
        return str(self.manifest.get("scenario_hash", "unknown"))

    @property
    def root_seed(self):
        return self.manifest.get("root_seed")

    @property
    def git_commit(self) -> str:
        git = self.manifest.get("git") or {}
        commit = str(git.get("commit") or "unknown")
        return commit + ("+dirty" if git.get("dirty") else "")

    @property
    def runs_status(self) -> list[dict]:
        return list(self.manifest.get("runs") or [])

    @property
    def n_ok(self) -> int:
        runs = self.runs_status
        if runs:
            return sum(1 for r in runs if r.get("status") == "ok")
        return int(self.manifest.get("replications") or 0)

    @property
    def n_failed(self) -> int:
        return sum(1 for r in self.runs_status if r.get("status") == "failed")

    @property
    def window(self) -> tuple[date | None, date | None]:
        """The scenario's (start, end) dates, from the resolved scenario."""
        return _find_date(self.scenario, "start"), _find_date(self.scenario, "end")

    # -- tables -----------------------------------------------------------------------------------------------
    def has_table(self, table: str) -> bool:
        """Whether ``table`` has rows (without reading them)."""
        try:
            self.dataset(table)
        except PkosimError:
            return False
        return True

    def _table_dir(self, table: str) -> Path:
        return self.path / f"{table}.parquet"

    def dataset(self, table: str) -> ds.Dataset:
        """The table as a lazy ``pyarrow.dataset`` (part files only; temporary files are skipped)."""
        if table not in self._datasets:
            folder = self._table_dir(table)
            recorded = (self.manifest.get("parts") or {}).get(table)
            if recorded is not None:
                # The manifest is the authority on which parts belong to the batch (orphans of a crash do not).
                parts = [str(folder / name) for name in recorded if (folder / name).is_file()]
            else:
                parts = sorted(str(p) for p in folder.glob("*.parquet") if not p.name.startswith("."))
            dataset = ds.dataset(parts, format="parquet") if parts else None
            if dataset is None or dataset.count_rows() == 0:
                raise PkosimError(f"{self.path}: no {table} results ({folder.name}/ has no rows); "
                                  "did the batch finish any run, and was this table switched on?")
            self._datasets[table] = dataset
        return self._datasets[table]

    def columns(self, table: str) -> list[str]:
        return list(self.dataset(table).schema.names)

    def read(self, table: str, columns: Sequence[str] | None = None, filter=None) -> pd.DataFrame:
        """Read ``columns`` (identity columns always included) of ``table``, rows matching ``filter``."""
        dataset = self.dataset(table)
        names = dataset.schema.names
        wanted = None
        if columns is not None:
            wanted = [c for c in IDENTITY if c in names]
            for c in columns:
                if c not in names:
                    raise PkosimError(self._missing_column(table, c, names))
                if c not in wanted:
                    wanted.append(c)
        frame = dataset.to_table(columns=wanted, filter=filter).to_pandas()
        if "scenario" not in frame.columns:
            frame.insert(0, "scenario", self.name)
        return frame

    def _missing_column(self, table: str, column: str, names: list[str]) -> str:
        import difflib

        close = difflib.get_close_matches(column, names, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        return f"{self.path}: the {table} table has no column '{column}'{hint}"

    def __post_init__(self):
        self._datasets: dict[str, ds.Dataset] = {}

    @cached_property
    def label(self) -> str:
        return self.name


def _find_date(scenario: dict, key: str) -> date | None:
    """``start``/``end`` at the top of the scenario or under ``window``/``time``."""
    for holder in (scenario, scenario.get("window") or {}, scenario.get("time") or {}):
        if isinstance(holder, dict):
            for k in (key, f"{key}_date"):
                value = holder.get(k)
                if value:
                    try:
                        return date.fromisoformat(str(value)[:10])
                    except ValueError:
                        pass
    return None


def load_batch(path: str | os.PathLike) -> Batch:
    path = Path(path)
    manifest_path = path / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PkosimError(f"{path}: not a batch directory (no manifest.json)") from None
    except json.JSONDecodeError as error:
        raise PkosimError(f"{manifest_path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    return Batch(path=path, manifest=manifest)


def find_batches(paths: Iterable[str | os.PathLike] | str | os.PathLike) -> list[Batch]:
    """Expand paths to batches: a batch directory is itself; a folder holding batch directories is all of them
    (sorted by name). Raises ``PkosimError`` for a missing path or a folder with no batch in it."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    batches: list[Batch] = []
    for raw in paths:
        if isinstance(raw, Batch):
            batches.append(raw)
            continue
        path = Path(raw)
        if not path.exists():
            raise PkosimError(f"{path}: no such directory")
        if not path.is_dir():
            raise PkosimError(f"{path}: not a directory (give a batch directory or a folder of them)")
        if (path / "manifest.json").is_file():
            batches.append(load_batch(path))
            continue
        children = sorted(p for p in path.iterdir() if (p / "manifest.json").is_file())
        if not children:
            raise PkosimError(f"{path}: no batch directory here (no manifest.json in it or its sub-folders)")
        batches.extend(load_batch(child) for child in children)
    if not batches:
        raise PkosimError("no result directory given")
    return batches


def put_first(batches: Sequence[Batch], name: str | None) -> list[Batch]:
    """Reorder so that the batch named ``name`` comes first (the baseline of a comparison)."""
    batches = list(batches)
    if not name:
        return batches
    for i, batch in enumerate(batches):
        if batch.name == name or batch.path.name == name:
            return [batch] + batches[:i] + batches[i + 1:]
    raise PkosimError(f"no batch named '{name}' among {', '.join(b.name for b in batches)}")
