"""Finding batch directories and reading their tables lazily (see docs/results.md).

A *batch* is one scenario's result directory: ``manifest.json``, the status log ``status.jsonl`` and
``<table>.parquet/`` directories of part files. ``find_batches`` expands the paths a user gives (a batch directory,
or a folder holding several; other paths, such as a PNG a shell glob picked up, are skipped with a note) into
``Batch`` objects; a ``Batch`` reads only the columns and rows asked for, through ``pyarrow.dataset``, so a large
daily or incident table is never loaded whole when a yearly table serves.

A result folder is input, perhaps from someone else: the manifest is validated (one line naming the file and the
key), the parts read are those the status log commits (names checked against the store's fixed pattern, so
nothing outside the batch is read), and a part that is truncated or foreign (another schema) is refused with its
name. A batch with fewer runs in its tables than it planned (failed, pending, or a part file lost) is read as it
is, with a one-line warning naming the batch and both numbers; ``n_ok`` is then the number of runs found.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
from pydantic import BaseModel, ConfigDict, ValidationError

from sim.errors import PkosimError, note
from sim.runner.manifest import ManifestData, read_json, validation_message
from sim.runner.status import RunStatus
from sim.runner.store import MANIFEST, PLACEHOLDER, STATUS, TABLES, staged_name

IDENTITY = ("scenario", "point", "run", "seed")
PER_RUN_TABLES = ("runs", "yearly", "daily")  # every run writes at least one row to these
LEGACY_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.parquet")


class NoTable(PkosimError):
    """A table with no rows (switched off, or no run finished): a normal absence, not damage."""


class _LegacyRun(BaseModel):
    model_config = ConfigDict(extra="ignore")
    point: int = 0
    run: int
    status: Literal["ok", "failed", "pending"]


class _LegacyManifest(BaseModel):
    """Manifests written before the status log (format 1): the run states and parts are in the manifest."""

    model_config = ConfigDict(extra="allow")
    scenario: dict[str, Any] = {}
    root_seed: int | str | None = None
    replications: int | None = None
    runs: list[_LegacyRun] | None = None
    parts: dict[str, list[str]] | None = None


@dataclass
class Batch:
    """One scenario's results. Tables are opened on first use; nothing is read until asked for."""

    path: Path
    manifest: dict = field(repr=False)

    def __post_init__(self):
        self._datasets: dict[str, ds.Dataset] = {}
        self._found: int | None = None
        self._warned = False

    # -- identity ---------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.manifest.get("scenario_name") or self.scenario.get("name") or self.path.name)

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
    def posterior(self) -> dict | None:
        """The posterior the replications drew their parameters from (files, hashes, number of draws, parameters;
        ``sim.scenario.posterior.summary``), or None: fixed parameters."""
        data = self.scenario.get("posterior")
        if not isinstance(data, dict):
            return None
        from sim.scenario.posterior import summary

        return summary(data)

    @property
    def root_seed(self):
        return self.manifest.get("root_seed")

    @property
    def git_commit(self) -> str:
        git = self.manifest.get("git") or {}
        commit = str(git.get("commit") or "unknown")
        return commit + ("+dirty" if git.get("dirty") else "")

    @property
    def replications(self) -> int:
        """Replications per design point, as the manifest records them (0 if it does not)."""
        value = self.manifest.get("replications")
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @property
    def sweep_points(self) -> int | None:
        """The number of design points of a sweep batch; None for a batch without a sweep."""
        design = self.manifest.get("design")
        if not isinstance(design, dict) or design.get("method") is None:
            return None
        points = design.get("points")
        return points if isinstance(points, int) and not isinstance(points, bool) else None

    @property
    def window(self) -> tuple[date | None, date | None]:
        """The scenario's (start, end) dates, from the resolved scenario."""
        return _find_date(self.scenario, "start"), _find_date(self.scenario, "end")

    # -- where the runs stand -----------------------------------------------------------------------------------
    @cached_property
    def _status(self) -> RunStatus | None:
        """Format 2: the status log replayed (validated); None for older manifests."""
        if self.manifest.get("format") != 2:
            return None
        design = self.manifest.get("design") or {}
        return RunStatus.load(self.path / STATUS, int(design.get("points", 1)), int(self.manifest["replications"]),
                              int(self.manifest["root_seed"]))[0]

    @cached_property
    def _legacy_counts(self) -> dict[str, int]:
        runs = self.manifest.get("runs") or []
        counts = {"ok": 0, "failed": 0, "pending": 0}
        for record in runs:
            counts[record.get("status", "pending")] = counts.get(record.get("status", "pending"), 0) + 1
        if not runs:
            counts["ok"] = int(self.manifest.get("replications") or 0)
        return counts

    def counts(self) -> dict[str, int]:
        """Runs done, failed and pending, as the batch records them."""
        return self._status.counts() if self._status is not None else dict(self._legacy_counts)

    @property
    def expected_runs(self) -> int:
        """The runs the batch planned (design points x replications)."""
        return sum(self.counts().values())

    @property
    def runs_status(self) -> list[dict]:
        """One record per run: point, run, status (builds one dict per run)."""
        if self._status is None:
            return list(self.manifest.get("runs") or [])
        status = self._status
        return [{"point": p, "run": r, "status": status.state(p, r)}
                for p in range(status.points) for r in range(status.replications)]

    @property
    def n_ok(self) -> int:
        """Runs with results: those found in the per-run tables read so far, else those recorded as done."""
        return self._found if self._found is not None else self.counts()["ok"]

    @property
    def n_failed(self) -> int:
        return self.counts()["failed"]

    # -- tables -----------------------------------------------------------------------------------------------
    def has_table(self, table: str) -> bool:
        """Whether ``table`` has rows (without reading them); a damaged table raises, it is not "absent"."""
        try:
            self.dataset(table)
        except NoTable:
            return False
        return True

    def _table_dir(self, table: str) -> Path:
        if table not in TABLES:
            raise PkosimError(f"{self.path}: no table {table!r}; the tables are {', '.join(TABLES)}")
        return self.path / f"{table}.parquet"

    def _part_files(self, table: str) -> list[Path]:
        """The part files that hold the table's committed rows."""
        folder = self._table_dir(table)
        if self._status is not None:
            files = []
            for name in self._status.parts[table]:
                for candidate in (folder / name, folder / staged_name(name)):  # a crash may leave it staged
                    if candidate.is_file() and not candidate.is_symlink():
                        files.append(candidate)
                        break
            return files or ([folder / PLACEHOLDER] if (folder / PLACEHOLDER).is_file() else [])
        recorded = (self.manifest.get("parts") or {}).get(table)
        if recorded is not None:  # format 1: the manifest's list is the authority (orphans of a crash are not)
            return [folder / name for name in recorded
                    if LEGACY_PART.fullmatch(name) and (folder / name).is_file() and not (folder / name).is_symlink()]
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith((".", "_")) and p.is_file())

    def dataset(self, table: str) -> ds.Dataset:
        """The table as a lazy ``pyarrow.dataset`` of its committed parts, each checked to be whole and alike."""
        if table not in self._datasets:
            folder = self._table_dir(table)
            parts = self._part_files(table)
            if not parts:
                raise NoTable(f"{self.path}: no {table} results ({folder.name}/ has no rows); "
                              "did the batch finish any run, and was this table switched on?")
            dataset = _checked_dataset(parts)
            if dataset.count_rows() == 0:
                raise NoTable(f"{self.path}: no {table} results ({folder.name}/ has no rows); "
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
        try:
            frame = dataset.to_table(columns=wanted, filter=filter).to_pandas()
        except (OSError, pa.ArrowException) as error:
            raise PkosimError(f"{self._table_dir(table)}: a part cannot be read ({str(error).splitlines()[0][:120]}); "
                              "the batch is damaged") from None
        if filter is None and table in PER_RUN_TABLES and {"point", "run"} <= set(frame.columns):
            self._check_complete(table, len(frame[["point", "run"]].drop_duplicates()))
        if "scenario" not in frame.columns:
            frame.insert(0, "scenario", self.name)
        return frame

    def _check_complete(self, table: str, found: int) -> None:
        """Warn once when the tables hold fewer runs than the batch planned."""
        self._found = found if self._found is None else min(self._found, found)
        expected = self.expected_runs
        if self._warned or found >= expected:
            return
        self._warned = True
        counts = self.counts()
        lost = max(counts["ok"] - found, 0)
        why = ", ".join(f"{n} {what}" for n, what in ((counts["failed"], "failed"), (counts["pending"], "pending"),
                                                       (lost, "recorded as done but missing from the files"))
                        if n)
        note(f"warning: batch {self.name} ({self.path}) is incomplete: {table}.parquet holds {found} of its "
             f"{expected} runs ({why}); figures use the {found} runs found")

    def _missing_column(self, table: str, column: str, names: list[str]) -> str:
        import difflib

        close = difflib.get_close_matches(column, names, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        return f"{self.path}: the {table} table has no column '{column}'{hint}"

    @cached_property
    def label(self) -> str:
        return self.name


def _checked_dataset(parts: list[Path]) -> ds.Dataset:
    """A dataset of ``parts`` after checking each one's footer: a truncated file, or a foreign one (another schema,
    no identity columns), is named and refused instead of being read as results."""
    try:
        dataset = ds.dataset([str(p) for p in parts], format="parquet")
    except (OSError, pa.ArrowException) as error:
        raise PkosimError(_damaged(_culprit(error, parts), error)) from None
    reference = None
    for fragment in dataset.get_fragments():
        try:
            schema = fragment.physical_schema.remove_metadata()
        except (OSError, pa.ArrowException) as error:
            raise PkosimError(_damaged(Path(fragment.path), error)) from None
        if reference is None:
            reference = schema
            if not {"point", "run"} <= set(schema.names):
                raise PkosimError(f"{fragment.path}: not a pkosim part (no point and run columns); a file not "
                                  "written by pkosim is in the batch folder")
        elif not schema.equals(reference):
            raise PkosimError(f"{fragment.path}: its columns differ from the table's other parts; a file not "
                              "written by pkosim is in the batch folder (move it out)")
    return dataset


def _culprit(error: Exception, parts: list[Path]) -> Path:
    text = str(error)
    return next((p for p in parts if str(p) in text), parts[0])


def _damaged(path: Path, error: Exception) -> str:
    reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
    return (f"{path}: not a readable Parquet part (truncated, or not written by pkosim: {reason}); the batch is "
            "damaged")


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
    """Read and validate a batch's manifest (and, lazily, its status log)."""
    path = Path(path)
    manifest_path = path / MANIFEST
    try:
        manifest = read_json(manifest_path, "manifest")
    except FileNotFoundError:
        raise PkosimError(f"{path}: not a batch directory (no manifest.json)") from None
    if not isinstance(manifest, dict):
        raise PkosimError(f"{manifest_path}: not a pkosim batch manifest (a JSON object is expected)")
    current = "format" in manifest or (path / STATUS).exists()  # a status log: written by this pkosim
    model = ManifestData if current else _LegacyManifest
    try:
        model.model_validate(manifest)
    except ValidationError as error:
        raise PkosimError(validation_message(manifest_path, error, manifest, model)) from None
    return Batch(path=path, manifest=manifest)


def _is_batch(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def find_batches(paths: Iterable[str | os.PathLike] | str | os.PathLike) -> list[Batch]:
    """Expand paths to batches: a batch directory is itself; a folder holding batch directories is all of them
    (sorted by name). A path that is neither (a file, a folder of other things) is skipped with a note, so that
    ``results/x/*`` works; ``PkosimError`` for a missing path or when no batch is left."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    batches: list[Batch] = []
    skipped: list[str] = []
    given = 0
    for raw in paths:
        given += 1
        if isinstance(raw, Batch):
            batches.append(raw)
            continue
        path = Path(raw)
        if not path.exists():
            raise PkosimError(f"{path}: no such directory")
        if not path.is_dir():
            skipped.append(f"{path}: not a directory (give a batch directory or a folder of them)")
            continue
        if _is_batch(path):
            batches.append(load_batch(path))
            continue
        children = sorted(p for p in path.iterdir() if p.is_dir() and _is_batch(p))
        if not children:
            skipped.append(f"{path}: no batch directory here (no manifest.json in it or its sub-folders)")
            continue
        batches.extend(load_batch(child) for child in children)
    if not batches:
        if len(skipped) == 1 and given == 1:
            raise PkosimError(skipped[0])
        raise PkosimError("no result directory given" if not given else
                          f"no batch directory among the {given} path(s) given")
    for reason in skipped:
        note(f"skipping {reason}")
    return batches


def replications_text(batches: Sequence[Batch]) -> str:
    """How many runs stand behind a figure or table: "20 replications" ("18-20 replications" when batches differ),
    and for a sweep "60 points x 20 replications" (with the runs found, when fewer than planned)."""
    parts = []
    counts = sorted({b.n_ok for b in batches if b.sweep_points is None})
    if counts:
        parts.append(f"{counts[0]} replications" if len(counts) == 1 else f"{min(counts)}-{max(counts)} replications")
    for b in batches:
        if b.sweep_points is not None:
            text = f"{b.sweep_points} points x {b.replications} replications"
            if b.n_ok != b.sweep_points * b.replications:
                text += f" ({b.n_ok} runs)"
            parts.append(text)
    return ", ".join(dict.fromkeys(parts))


def posteriors(batches: Iterable[Batch]) -> dict[str, dict | None]:
    """Scenario -> the posterior its replications drew their parameters from (``Batch.posterior``), or None."""
    return {b.name: b.posterior for b in batches}


def put_first(batches: Sequence[Batch], name: str | None) -> list[Batch]:
    """Reorder so that the batch named ``name`` comes first (the baseline of a comparison)."""
    batches = list(batches)
    if not name:
        return batches
    for i, batch in enumerate(batches):
        if batch.name == name or batch.path.name == name:
            return [batch] + batches[:i] + batches[i + 1:]
    raise PkosimError(f"no batch named '{name}' among {', '.join(b.name for b in batches)}")
