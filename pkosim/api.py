"""pkosim's Python API, for notebooks and scripts: run scenarios, get DataFrames, compare.

    import pkosim

    res = pkosim.run(["scenarios/barkhane_drawdown_2021_2022.yaml", "scenarios/cf_barkhane_stays.yaml"],
                     replications=20)                  # in memory: no folder is left behind
    res.headlines()                                     # one sentence per alternative, against the first scenario
    res.compare()                                       # paired effects (DataFrame), as `pkosim compare`
    res.summary()                                       # per scenario, metric and year (DataFrame)
    res.table("yearly")                                 # a result table of every scenario (DataFrame)
    res.plot("compare")                                 # a matplotlib Figure, as `pkosim plot --kind compare`
    res.report("helicopters.html")                      # the HTML report

    res = pkosim.run([...], out="results/helicopters", overwrite=True)  # batch folders, as `pkosim run --out`
    res = pkosim.load("results/helicopters")                            # the batches of an earlier run

Scenarios are YAML paths or ``Scenario`` objects (``pkosim.load_scenario(path)``, ``pkosim.with_overrides(s,
{"dotted.path": value})``). ``pkosim.validate(path)`` is ``pkosim validate`` as data: every problem and warning of a
file, without raising; ``run`` and ``load_scenario`` raise on problems, and ``run`` reports a file's warnings as
Python warnings (``ScenarioWarning``), which a notebook shows under the cell. ``out=None`` runs into a temporary folder and reads every table into memory before
deleting it. With ``out``, a scenario whose batch folder already exists is an error unless ``overwrite=True``
(which deletes that batch folder first), so a notebook cell can be re-run.

Spawn-safe: runs on several cores happen in a fresh ``python -m pkosim.api`` process that owns the process pool, so
nothing depends on how the caller was started (Jupyter, ``python -``, a script without a ``__main__`` guard): a
pool started from such a session would try to re-import its ``__main__`` in every worker and break
(``BrokenProcessPool``). ``workers=1`` runs in this process, without a pool.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
import pyarrow.dataset as ds

from analysis.results import TABLES, Batch, find_batches, load_batch, put_first
from sim.errors import PkosimError
from sim.scenario import Scenario, Validation, check_scenario, load_scenario, resolve_scenario, with_overrides

__all__ = ["Results", "ScenarioWarning", "compare", "load", "load_scenario", "run", "summarize", "validate",
           "with_overrides"]


class ScenarioWarning(UserWarning):
    """Something valid in a scenario file that is probably not what was meant (``pkosim validate``'s warnings)."""

Source = str | os.PathLike | Scenario


# ------------------------------------------------------------------------------------------------------ results

class MemoryBatch(Batch):
    """A batch whose tables are held in memory (read from a temporary folder that no longer exists)."""

    def __init__(self, name: str, manifest: dict, tables: dict[str, Any], counts: dict[str, int]):
        super().__init__(path=Path(f"<memory>/{name}"), manifest=manifest)
        self._tables = tables
        self._counts = counts

    def counts(self) -> dict[str, int]:
        """Runs done, failed and pending, as the folder it was read from recorded them."""
        return dict(self._counts)

    def dataset(self, table: str) -> ds.Dataset:
        data = self._tables.get(table)
        if data is None or data.num_rows == 0:
            raise PkosimError(f"{self.name}: no {table} results (no run finished, or this table was switched off)")
        return ds.dataset(data)


def _in_memory(directory: Path) -> MemoryBatch:
    batch = load_batch(directory)
    tables = {}
    for table in TABLES:
        try:
            tables[table] = batch.dataset(table).to_table()
        except PkosimError:
            tables[table] = None
    return MemoryBatch(batch.name, batch.manifest, tables, batch.counts())


class Results:
    """The batches of a ``run`` or ``load``, with their tables, comparisons, figures and report. The first batch is
    the baseline of comparisons unless ``baseline=`` names another."""

    def __init__(self, batches: Sequence[Batch], folder: Path | None = None):
        self.batches = list(batches)
        self.folder = folder

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.batches]

    def __getitem__(self, name: str) -> Batch:
        return put_first(self.batches, name)[0]

    def __len__(self) -> int:
        return len(self.batches)

    def __repr__(self) -> str:
        where = f"in {self.folder}" if self.folder else "in memory"
        counts = sorted({b.n_ok for b in self.batches})
        runs = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
        return f"<pkosim.Results: {', '.join(self.names)}; {runs} replications each; {where}>"

    def _ordered(self, baseline: str | None) -> list[Batch]:
        return put_first(self.batches, baseline)

    def table(self, name: str = "yearly", columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One result table (``runs``, ``yearly``, ``daily``, ``incidents``: docs/results.md) of every batch."""
        return pd.concat([b.read(name, columns) for b in self.batches], ignore_index=True)

    def summary(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Per scenario, metric and year: mean, median, 5-95% range, 95% CI of the mean (``pkosim summarize``)."""
        from analysis.summary import summarize as summarize_batches

        return summarize_batches(self.batches, metrics)

    def compare(self, baseline: str | None = None, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Paired effects of every batch against the baseline (``pkosim compare``)."""
        from analysis.compare import compare as compare_batches

        return compare_batches(self._ordered(baseline), metrics)

    def headlines(self, baseline: str | None = None) -> list[str]:
        """The report's headline findings: one sentence per alternative, then the caveats."""
        from analysis.compare import findings

        found, notes, _table = findings(self._ordered(baseline))
        return [f"{f.scenario}: {f.sentence}" for f in found] + [f"Caveat: {note}" for note in notes]

    def plot(self, kind: str, metric: str | Sequence[str] | None = None, *, baseline: str | None = None,
             daily: bool = False):
        """A figure (``pkosim plot``): timeseries, map, breakdown, compare, convergence or sequence."""
        from analysis.plots import make_figure

        return make_figure(self._ordered(baseline), kind, metric, daily=daily)

    def report(self, path: str | os.PathLike, *, baseline: str | None = None, **options) -> Path:
        """Write the HTML report (``pkosim report``) to ``path``; return it."""
        from analysis.report import write_report

        return write_report(self._ordered(baseline), path, **options)

    def _repr_html_(self) -> str:
        from html import escape

        try:
            lines = self.headlines() if len(self.batches) > 1 else []
        except PkosimError:
            lines = []
        items = "".join(f"<li>{escape(line)}</li>" for line in lines)
        return f"<p>{escape(repr(self))}</p>" + (f"<ul>{items}</ul>" if items else "")


# --------------------------------------------------------------------------------------------------------- run

def run(scenarios: Source | Iterable[Source], out: str | os.PathLike | None = None, *,
        replications: int | None = None, seed: int | None = None, workers: int | None = None,
        overwrite: bool = False, progress: bool = False) -> Results:
    """Run scenarios (YAML paths or ``Scenario`` objects) with common random numbers and return their ``Results``.

    ``out=None``: in memory (the batches are run in a temporary folder, read, and the folder deleted). With
    ``out``: one batch folder per scenario under it, as ``pkosim run --out``; an existing one is an error unless
    ``overwrite=True``. ``replications``/``seed`` override the scenarios'; ``workers`` defaults to the number of
    cores (1: in this process); ``progress`` shows the runner's progress bars on standard error."""
    items = _items(scenarios)
    names = [_scenario_of(item).name for item in items]
    if out is None:
        with tempfile.TemporaryDirectory(prefix="pkosim-") as folder:
            results = _execute(items, Path(folder), replications, seed, workers, progress)
            return Results([_in_memory(Path(r["directory"])) for r in results])
    out = Path(out)
    _make_room(out, names, overwrite)
    results = _execute(items, out, replications, seed, workers, progress)
    return Results([load_batch(Path(r["directory"])) for r in results], folder=out)


def load(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> Results:
    """The ``Results`` of earlier runs: batch folders, or folders holding batch folders (in name order)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    folder = Path(paths[0]) if len(paths) == 1 else None
    return Results(find_batches(paths), folder=folder)


def summarize(source: Results | Any, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """``Results.summary`` for ``Results`` or result folders."""
    return _results(source).summary(metrics)


def compare(source: Results | Any, baseline: str | None = None, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """``Results.compare`` for ``Results`` or result folders."""
    return _results(source).compare(baseline, metrics)


def _results(source) -> Results:
    return source if isinstance(source, Results) else load(source)


def _items(scenarios) -> list[Any]:
    if isinstance(scenarios, (str, os.PathLike, Scenario)):
        scenarios = [scenarios]
    items = [item if isinstance(item, Scenario) else Path(item).resolve() for item in scenarios]
    if not items:
        raise PkosimError("no scenario to run")
    return items


def validate(path: str | os.PathLike) -> Validation:
    """Everything ``pkosim validate`` says about a scenario file, without raising for what it finds: ``.ok``,
    ``.problems`` and ``.warnings`` (located problems; ``str()`` of each is the line ``pkosim validate`` prints,
    ``.lines()`` all of them), ``.scenario`` (None if the file has problems)."""
    return check_scenario(path)


def _scenario_of(item: Any) -> Scenario:
    if isinstance(item, Scenario):
        return item
    if not item.is_file():
        raise PkosimError(f"{item}: scenario file not found")
    resolved = resolve_scenario(item)
    for warning in resolved.warnings:
        warnings.warn(str(warning), ScenarioWarning, stacklevel=3)
    return resolved.scenario


def _make_room(out: Path, names: list[str], overwrite: bool) -> None:
    """Refuse to overwrite earlier batches, or (``overwrite=True``) delete them, before anything runs."""
    taken = [out / name for name in names if (out / name / "manifest.json").is_file()]
    if taken and not overwrite:
        raise PkosimError(f"{', '.join(map(str, taken))}: already hold(s) a batch from an earlier run; pass "
                          "overwrite=True to replace it, or choose another out=")
    for folder in taken:
        shutil.rmtree(folder)


@dataclass
class _Request:
    items: list[Any]
    out: str
    replications: int | None
    seed: int | None
    workers: int
    quiet: bool


def _execute(items, out: Path, replications, seed, workers, progress) -> list[dict]:
    """Run the batches; in a fresh process that owns the pool unless ``workers == 1``."""
    from sim.runner import run_batch
    from sim.runner.executors import default_workers

    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise PkosimError(f"workers={workers}: needs at least 1 worker")
    if workers == 1:
        results = run_batch(items, out, replications=replications, seed=seed, workers=1, quiet=not progress)
        return [asdict(r) for r in results]
    request = _Request(items, str(out), replications, seed, workers, not progress)
    with tempfile.TemporaryDirectory(prefix="pkosim-run-") as tmp:
        request_path, reply_path = Path(tmp) / "request.pickle", Path(tmp) / "reply.pickle"
        request_path.write_bytes(pickle.dumps(request))
        child = subprocess.Popen([sys.executable, "-m", "pkosim.api", str(request_path), str(reply_path)],
                                 stdin=subprocess.DEVNULL)
        try:
            code = child.wait()
        except KeyboardInterrupt:  # Jupyter's "interrupt kernel": let the runner write what finished, then stop
            child.send_signal(signal.SIGINT)
            child.wait()
            raise
        if not reply_path.is_file():
            raise PkosimError(f"the batch process stopped without an answer (exit code {code})")
        reply = pickle.loads(reply_path.read_bytes())
    if "error" in reply:
        raise _ChildError(reply["error"])
    return reply["results"]


class _ChildError(PkosimError):
    """A user error raised in the batch process, with its lines."""

    def __init__(self, lines: list[str]):
        self._lines = list(lines)
        super().__init__("\n".join(self._lines))

    def lines(self) -> list[str]:
        return self._lines


def _serve(request_path: str, reply_path: str) -> int:
    """The batch process: run the request, write the reply (results, or the error's lines)."""
    from sim.files import atomic_write_bytes
    from sim.runner import run_batch

    request: _Request = pickle.loads(Path(request_path).read_bytes())
    try:
        results = run_batch(request.items, request.out, replications=request.replications, seed=request.seed,
                            workers=request.workers, quiet=request.quiet)
        reply: dict = {"results": [asdict(r) for r in results]}
        code = 0
    except PkosimError as error:
        reply, code = {"error": error.lines()}, error.exit_code
    except KeyboardInterrupt:
        reply, code = {"error": [f"interrupted; finished runs are written under {request.out}"]}, 130
    atomic_write_bytes(reply_path, pickle.dumps(reply))
    return code


if __name__ == "__main__":
    sys.exit(_serve(*sys.argv[1:3]))
