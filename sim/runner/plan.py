"""Planning batches: everything decided before any run starts (scenario, design, seeds, folder), nothing written.

A new batch (``plan_batches``) is checked before anything is sampled or written: the output folder is a folder,
the batch folder is new or empty, the design's size is counted from its formula (``design.count_points``) and a
command of more than ``CONFIRM_RUNS`` runs needs ``yes=True`` (``--yes``), a batch of more than ``MAX_BATCH_RUNS``
is refused. A batch to resume (``plan_resume``) is read as untrusted input: the manifest and the status log are
validated, the stored scenario is rebuilt by validation and must still match its ``scenario_hash``, and the
design points must be the scenario's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import PkosimError, note

from . import scenarios as sc
from .design import Design, design_of, design_size
from .manifest import DesignRecord, Manifest
from .status import RunStatus
from .store import DESIGN, FAILURES, LOCK, MANIFEST, STATUS, TABLES, active_tables, read_regular_file

DEFAULT_OUT = Path("results")
CONFIRM_RUNS = 100_000        # more runs than this in one command need --yes
MAX_BATCH_RUNS = 10_000_000   # no batch is larger (one byte of status per run, one row of runs.parquet per run)
CHECKED_POINTS = 10_000       # design points validated before the batch starts (the rest as they run)


@dataclass
class BatchPlan:
    """One batch: what to run and where; ``status`` says which runs are done (all pending for a new batch)."""

    scenario: Any
    model: str
    design: Design
    root_seed: int
    replications: int
    directory: Path
    manifest: Manifest
    status: RunStatus
    tables: tuple[str, ...]
    source: str | None = None
    resumed: bool = False
    status_bytes: int = 0
    _point_cache: dict = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.manifest.data.scenario_name

    @property
    def runs(self) -> int:
        return len(self.status)

    @property
    def todo(self) -> np.ndarray:
        """The runs to do, as flat indices ``point * replications + run``, in order."""
        return self.status.todo()

    def locate(self, index: int) -> tuple[int, int]:
        return self.status.locate(index)

    def point_scenario(self, point: int) -> Any:
        if point not in self._point_cache:
            self._point_cache.clear()  # runs are submitted point by point: one cached point is enough
            self._point_cache[point] = sc.with_overrides(self.scenario, self.design.point(point))
        return self._point_cache[point]


def _load(item: Any) -> tuple[Any, str | None]:
    if not isinstance(item, (str, Path)):
        return item, None
    path = Path(item)
    if path.is_dir():
        raise PkosimError(f"{path}: is a directory, not a scenario file")
    if not path.is_file():
        raise PkosimError(f"{path}: scenario file not found")
    from sim.scenario import load_scenario

    return load_scenario(path), str(path)


def check_out_folder(out_dir: Path) -> None:
    """``--out`` must name a folder (made if missing), not a file, nor a path through a file."""
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                where = "is a file" if folder == out_dir else f"goes through {folder}, which is a file"
                raise PkosimError(f"--out {out_dir}: {where}; --out names a folder (made if missing)")
            return


def _never_committed(directory: Path, name: str) -> bool:
    """Whether ``name`` in a folder without a manifest is what a writer stopped before its manifest leaves: the
    lock, the design, or an empty table or failures folder (nothing that could hold a row)."""
    path = directory / name
    if name in (LOCK, DESIGN):
        return not path.is_symlink()
    if name == FAILURES or (name.endswith(".parquet") and name[: -len(".parquet")] in TABLES):
        return path.is_dir() and not path.is_symlink() and not any(path.iterdir())
    return False


def check_new_batch_folder(directory: Path) -> None:
    """A new batch goes into a folder that does not exist or holds nothing that could be read as results (a stale
    lock, or what a writer stopped before writing its manifest left)."""
    if (directory / MANIFEST).exists() or (directory / MANIFEST).is_symlink():
        raise PkosimError(f"{directory}: already holds a batch; resume it with `pkosim run --resume {directory}` "
                          "or choose another --out")
    if not directory.exists():
        return
    if not directory.is_dir():
        raise PkosimError(f"{directory}: is a file where the batch folder would go; choose another --out")
    entries = sorted(name for name in os.listdir(directory) if not _never_committed(directory, name))
    if entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise PkosimError(f"{directory}: not empty ({shown}) and not a batch (no {MANIFEST}); a batch starts in an "
                          "empty folder, so that no old file is read as a result: move them or choose another --out")


def plan_batches(scenarios: Iterable[Any], out_dir: Path | str = DEFAULT_OUT, *, replications: int | None = None,
                 seed: int | None = None, yes: bool = False) -> list[BatchPlan]:
    """Load and design every scenario, and check that nothing would be overwritten. Writes nothing.

    ``replications`` and ``seed`` (when given) are the batch's, not written into the scenario."""
    if replications is not None and replications < 1:
        raise PkosimError(f"--replications {replications}: needs at least 1 replication")
    if seed is not None and not 0 <= seed < 2**63:
        raise PkosimError(f"--seed {seed}: must be between 0 and 2^63 - 1")
    out_dir = Path(out_dir)
    check_out_folder(out_dir)
    loaded, names, total = [], set(), 0
    for item in scenarios:
        scenario, source = _load(item)
        model = sc.model_name(scenario)
        name = scenario.name
        if not name or "/" in name or name in (".", ".."):
            raise PkosimError(f"{source or 'scenario'}: name {name!r} cannot be a directory name")
        if name in names:
            raise PkosimError(f"{source or 'scenario'}: two scenarios are named {name!r}; each needs its own batch")
        names.add(name)
        n = int(replications if replications is not None else scenario.replications)
        if n < 1:
            raise PkosimError(f"{source or name}: replications must be at least 1 (got {n})")
        check_new_batch_folder(out_dir / name)
        runs = design_size(scenario) * n
        if runs > MAX_BATCH_RUNS:
            raise PkosimError(f"{source or name}: {runs:,} runs ({design_size(scenario):,} design point(s) x {n} "
                              f"replication(s)) is more than a batch can hold ({MAX_BATCH_RUNS:,}); split the sweep")
        total += runs
        loaded.append((scenario, source, model, n))
    if not loaded:
        raise PkosimError("no scenario to run")
    if total > CONFIRM_RUNS and not yes:
        raise PkosimError(f"{total:,} runs is more than {CONFIRM_RUNS:,}: check the time with --dry-run, then "
                          "confirm with --yes")
    return [_new_plan(scenario, source, model, n, seed, out_dir) for scenario, source, model, n in loaded]


def _new_plan(scenario: Any, source: str | None, model: str, replications: int, seed: int | None,
              out_dir: Path) -> BatchPlan:
    design = design_of(scenario)
    root_seed = int(seed if seed is not None else scenario.seed)
    tables = active_tables(scenario)
    manifest = Manifest.new(
        out_dir / scenario.name, model=model, scenario_json=sc.to_json(scenario),
        scenario_hash=sc.scenario_hash(scenario), scenario_file=source, root_seed=root_seed,
        replications=replications, design=DesignRecord(method=design.method, parameters=design.parameters,
                                                       points=len(design)), tables=list(tables))
    plan = BatchPlan(scenario, model, design, root_seed, replications, out_dir / scenario.name, manifest,
                     RunStatus(len(design), replications, root_seed), tables, source)
    for point in range(min(len(design), CHECKED_POINTS)):  # find bad design points now, not hours into the batch
        plan.point_scenario(point)
    return plan


def find_batches(directory: Path | str) -> list[Path]:
    """The batch directories under ``directory``: itself if it holds a manifest, else its sub-directories that do
    (a sub-directory that is a symbolic link is skipped: it may lead out of the folder given)."""
    directory = Path(directory)
    if not directory.exists():
        raise PkosimError(f"--resume {directory}: no such directory")
    if not directory.is_dir():
        raise PkosimError(f"--resume {directory}: is a file, not a batch folder")
    if (directory / MANIFEST).exists() or (directory / MANIFEST).is_symlink():
        return [directory]
    found = []
    for child in sorted(directory.iterdir()):
        if (child / MANIFEST).exists():
            if child.is_symlink():
                note(f"skipping {child}: a symbolic link to a folder elsewhere; resume it by its own path")
                continue
            found.append(child)
    if not found:
        raise PkosimError(f"--resume {directory}: no {MANIFEST} here or in its sub-directories, nothing to resume")
    return found


def _check_design(design: Design, scenario: Any, where: Path) -> None:
    """The stored points must be the scenario's design: its parameters, its size, inside its ranges."""
    sweep = getattr(scenario, "sweep", None)
    expected = list(sweep.parameters) if sweep is not None else []
    if design.parameters != expected or len(design) != design_size(scenario):
        raise PkosimError(f"{where}: does not hold the scenario's design ({len(design)} point(s) of "
                          f"{design.parameters}, expected {design_size(scenario)} of {expected}); the batch was edited")
    for column, name in enumerate(design.parameters):
        spec, values = sweep.parameters[name], design.matrix[:, column]
        allowed = np.isin(values, np.asarray(spec.values, dtype=float)) if sweep.method == "grid" else \
            (values >= spec.low) & (values <= spec.high)
        if not np.all(allowed & np.isfinite(values)):
            raise PkosimError(f"{where}: {name}: values outside the sweep's range; the batch was edited")


def load_design(directory: Path, record: DesignRecord, scenario: Any) -> Design:
    if record.method is None:
        design = Design(method=None)
    else:
        path = directory / DESIGN
        try:
            table = pq.read_table(pa.BufferReader(read_regular_file(path)))
        except FileNotFoundError:
            raise PkosimError(f"{path}: missing; the batch's design points are lost (run it again into a new "
                              "folder)") from None
        except (OSError, pa.ArrowException) as error:
            raise PkosimError(f"{path}: not a readable Parquet file ({str(error).splitlines()[0][:100]}); the batch "
                              "is damaged") from None
        if table.column_names != ["point", *record.parameters] or table.num_rows != record.points:
            raise PkosimError(f"{path}: columns or rows differ from the manifest's design; the batch was edited")
        try:
            matrix = np.column_stack([table[name].to_numpy().astype(float) for name in record.parameters])
        except (pa.ArrowException, ValueError, TypeError):
            raise PkosimError(f"{path}: design values are not numbers; the batch was edited") from None
        if not np.array_equal(table["point"].to_numpy(), np.arange(record.points)):
            raise PkosimError(f"{path}: points are not numbered 0..{record.points - 1}; the batch was edited")
        design = Design(record.method, list(record.parameters), matrix.reshape(record.points, len(record.parameters)))
    _check_design(design, scenario, directory / DESIGN)
    return design


def design_table(design: Design) -> pa.Table:
    columns = {"point": np.arange(len(design), dtype=np.int64)}
    columns.update({name: design.matrix[:, i] for i, name in enumerate(design.parameters)})
    return pa.table(columns)


def load_plan(directory: Path) -> BatchPlan:
    """Read a batch to resume, validating everything it says (see the module docstring)."""
    manifest = Manifest.load(directory)
    data = manifest.data
    scenario = sc.from_json(data.model, data.scenario, str(manifest.path))
    if sc.scenario_hash(scenario) != data.scenario_hash:
        raise PkosimError(f"{manifest.path}: scenario_hash: does not match the stored scenario (edited or damaged); "
                          "refusing to resume: run the scenario again into a new folder")
    if scenario.name != data.scenario_name:
        raise PkosimError(f"{manifest.path}: scenario_name: {data.scenario_name!r} is not the stored scenario's "
                          f"name {scenario.name!r}")
    tables = active_tables(scenario)
    if list(tables) != list(data.tables):
        raise PkosimError(f"{manifest.path}: tables: {data.tables} are not the tables the scenario writes "
                          f"({list(tables)}); the manifest was edited")
    design = load_design(Path(directory), data.design, scenario)
    status, end = RunStatus.load(Path(directory) / STATUS, len(design), data.replications, data.root_seed)
    stray = [t for t, parts in status.parts.items() if parts and t not in tables]
    if stray:
        raise PkosimError(f"{Path(directory) / STATUS}: commits parts of {stray[0]!r}, a table this batch does not "
                          "write; the status log was edited")
    return BatchPlan(scenario, data.model, design, data.root_seed, data.replications, Path(directory), manifest,
                     status, tables, data.scenario_file, resumed=True, status_bytes=end)


def plan_resume(directories: Iterable[Path | str]) -> list[BatchPlan]:
    return [load_plan(batch) for directory in directories for batch in find_batches(directory)]
