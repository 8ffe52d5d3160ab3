"""``pkosim predict``: a ledger of predictions for 2021-2023, written and committed before anything is compared with it.

The model is calibrated to 2014-2020 only; 2021-2023 are its out-of-sample test. ``predict`` runs the Barkhane
drawdown (2021-2022) and the 2023 withdrawal scenarios with the posterior (replication k with posterior draw k and
seed k, ``sim.scenario.posterior``), and writes, per year and quantity, the predictive median and the central 50% and
90% intervals over the replications, with what is needed to know exactly what was predicted: the commit, the date,
the posterior's hashes, each scenario's hash, the replications and the root seed. ``pkosim score`` (``pkosim.score``)
later sets observed values against it. The format is documented in docs/ledger.md and validated here (``Ledger``),
since a ledger is read back as input.

Quantities (``YEARLY``, ``MOVES``, ``MOVE_QUANTITIES``): per calendar year of each scenario's window, the yearly
table's hostile deaths, wounded, fatal incidents, IEDs met and detonated, and the share of flight requests the host
state refused (``sim.metrics``: one definition, as every command prints it); and, for the 2023 withdrawals from Kidal
to Gao and from Ber to Timbuktu, from the convoy table (rows with ``purpose == "withdrawal"`` and that origin and
destination): the mean days on the road of the move's convoys that ended, and the IEDs met, attacks, wounded and
killed summed over its convoys.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, model_validator

from sim import __version__
from sim.errors import EXIT_RUNS_FAILED, PkosimError
from sim.parameters import StrictModel

DRAWDOWN = Path("scenarios/barkhane_drawdown_2021_2022.yaml")
WITHDRAWAL = Path("scenarios/withdrawal_2023.yaml")
DEFAULT_LEDGER = Path("ledger/predictions_2021_2023.yaml")
DEFAULT_RUNS = Path("results/predict")
DEFAULT_REPLICATIONS = 200
FORMAT = 1

YEARLY = ("hostile_deaths", "wounded", "fatal_incidents", "ied_met", "ied_detonated", "host_refusal_share")
MOVES = {"kidal_to_gao": ("Kidal", "Gao"), "ber_to_timbuktu": ("Ber", "Timbuktu")}
# name -> (unit, label, how the move's convoys combine in one run)
MOVE_QUANTITIES = {
    "transit_days": ("days", "Mean days on the road of its convoys that ended", "mean"),
    "ieds_met": ("devices", "IEDs met by its convoys", "sum"),
    "attacks": ("attacks", "Detonations and ambushes that hit its convoys", "sum"),
    "wounded": ("persons", "MINUSMA wounded on its convoys", "sum"),
    "killed": ("persons", "MINUSMA killed on its convoys (killed in action and died of wounds)", "sum"),
}
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
INTERVALS = ("central 50% and 90% intervals: the 0.25-0.75 and 0.05-0.95 quantiles (linear interpolation) of the "
             "posterior predictive distribution over the replications; replication k ran with posterior draw k and "
             "seed k, so the intervals include chance and parameter uncertainty")


# --------------------------------------------------------------------------------------------------- the format

class Window(StrictModel):
    start: date
    end: date


class Prediction(StrictModel):
    """One predicted quantity."""

    label: str
    unit: str
    scenario: str = Field(..., description="The scenario whose runs give it.")
    window: Window = Field(..., description="The days it covers (a calendar year, or the part the scenario runs).")
    runs: int = Field(..., ge=1, description="Replications that gave a value.")
    median: float
    interval_50: tuple[float, float]
    interval_90: tuple[float, float]
    note: str = ""

    @model_validator(mode="after")
    def _nested(self) -> Prediction:
        (l90, h90), (l50, h50) = self.interval_90, self.interval_50
        if not l90 <= l50 <= self.median <= h50 <= h90:
            raise ValueError("needs interval_90[0] <= interval_50[0] <= median <= interval_50[1] <= interval_90[1]")
        return self


class PosteriorRecord(StrictModel):
    file: str
    sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")
    draws_file: str
    draws_sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")
    draws: int = Field(..., ge=1)


class ScenarioRecord(StrictModel):
    file: str
    hash: str = Field(..., pattern=r"^[0-9a-f]{64}$")
    window: Window
    runs_ok: int
    batch: str


class GitRecord(StrictModel):
    commit: str | None = None
    dirty: bool | None = None


class Ledger(StrictModel):
    """A prediction ledger (docs/ledger.md)."""

    format: Literal[1]
    written: datetime
    pkosim_version: str
    git: GitRecord
    command: str
    posterior: PosteriorRecord
    root_seed: int
    replications: int = Field(..., ge=1)
    intervals: str
    scenarios: dict[str, ScenarioRecord] = Field(..., min_length=1)
    predictions: dict[str, Prediction] = Field(..., min_length=1)


# --------------------------------------------------------------------------------------------- the predictions

def _round(value: float) -> float:
    return float(f"{value:.6g}")


def prediction(values: pd.Series, *, label: str, unit: str, scenario: str, start: date, end: date,
               note: str = "") -> Prediction | None:
    """The median and central 50% and 90% intervals of one quantity over the runs that gave a value."""
    values = values.dropna().astype(float)
    if values.empty:
        return None
    q05, q25, q50, q75, q95 = (_round(v) for v in np.quantile(values.to_numpy(), QUANTILES))
    return Prediction(label=label, unit=unit, scenario=scenario, window=Window(start=start, end=end),
                      runs=len(values), median=q50, interval_50=(q25, q75), interval_90=(q05, q95), note=note)


def yearly_predictions(batch) -> dict[str, Prediction]:
    """``<year>.<quantity>`` for every calendar year of the batch's window and every ``YEARLY`` quantity."""
    from analysis.metrics import metric

    start, end = batch.window
    frame = batch.read("yearly", ["year", *YEARLY])
    out = {}
    for year, rows in frame.groupby("year"):
        year = int(year)
        first, last = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
        for name in YEARLY:
            meta = metric(name)
            note = "" if (first, last) == (date(year, 1, 1), date(year, 12, 31)) else \
                f"the scenario's window covers {first} to {last} of {year}; counts are totals over those days"
            found = prediction(rows[name], label=meta.label, unit=meta.unit, scenario=batch.name, start=first,
                               end=last, note=note if meta.agg == "sum" else "")
            if found is not None:
                out[f"{year}.{name}"] = found
    return out


def move_values(convoys: pd.DataFrame, origin: str, destination: str) -> pd.DataFrame:
    """Per run, the ``MOVE_QUANTITIES`` of the withdrawal convoys from ``origin`` to ``destination`` (runs without
    one are left out)."""
    rows = convoys[(convoys["purpose"] == "withdrawal") & (convoys["origin"] == origin)
                   & (convoys["destination"] == destination)]
    how = {name: combine for name, (_unit, _label, combine) in MOVE_QUANTITIES.items()}
    return rows.groupby("run").agg(how)


def move_predictions(batch) -> dict[str, Prediction]:
    """``<year>.<move>.<quantity>`` for the ``MOVES`` that the batch's convoy table holds."""
    if not batch.has_table("convoys"):
        raise PkosimError(f"{batch.path}: no convoy table (outputs.convoys is off); the withdrawal moves need it")
    start, end = batch.window
    convoys = batch.read("convoys", ["purpose", "origin", "destination", *MOVE_QUANTITIES])
    runs = batch.n_ok
    out = {}
    for move, (origin, destination) in MOVES.items():
        values = move_values(convoys, origin, destination)
        missing = runs - len(values)
        for name, (unit, label, _combine) in MOVE_QUANTITIES.items():
            note = (f"{missing} of {runs} runs had no withdrawal convoy from {origin} to {destination}"
                    if missing else "")
            found = prediction(values[name], label=f"{origin} to {destination} withdrawal: {label}", unit=unit,
                               scenario=batch.name, start=start, end=end, note=note)
            if found is not None:
                out[f"{end.year}.{move}.{name}"] = found
    return out


def build_ledger(drawdown, withdrawal, *, command: str) -> Ledger:
    """The ledger of two finished batches (``analysis.results.Batch``) that drew from the same posterior."""
    from sim.runner.manifest import git_state

    posterior = drawdown.posterior
    predictions = {**yearly_predictions(drawdown), **yearly_predictions(withdrawal), **move_predictions(withdrawal)}
    scenarios = {b.name: ScenarioRecord(file=str(b.manifest.get("scenario_file")), hash=b.scenario_hash,
                                        window=Window(start=b.window[0], end=b.window[1]), runs_ok=b.n_ok,
                                        batch=str(b.path)) for b in (drawdown, withdrawal)}
    return Ledger(format=FORMAT, written=datetime.now(timezone.utc).replace(microsecond=0), pkosim_version=__version__,
                  git=GitRecord(**git_state()), command=command,
                  posterior=PosteriorRecord(**{k: posterior[k] for k in PosteriorRecord.model_fields}),
                  root_seed=int(drawdown.root_seed), replications=int(drawdown.manifest["replications"]),
                  intervals=INTERVALS, scenarios=scenarios, predictions=predictions)


HEADER = """\
# pkosim prediction ledger (docs/ledger.md): predictions for 2021-2023 from a model calibrated to 2014-2020 only.
# Written by `pkosim predict`; commit it as written, before any observed value is compared with it
# (`pkosim score LEDGER OBSERVED.yaml`). Never edit it: a new prediction is a new ledger.
"""


class _Dumper(yaml.SafeDumper):
    """Intervals (``[low, high]``) and windows (``{start: ..., end: ...}``) on one line each."""


_Dumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))
_Dumper.add_representer(dict, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data, flow_style=set(data) == {"start", "end"} or None))


def ledger_text(ledger: Ledger) -> str:
    data = ledger.model_dump(mode="json")
    return HEADER + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=118)


def check_ledger_path(path: Path) -> None:
    """A ledger is written once: never over an existing file (checked before the runs start)."""
    if path.suffix not in (".yaml", ".yml"):
        raise PkosimError(f"--out {path}: a ledger is a YAML file (.yaml)")
    if path.exists() or path.is_symlink():
        raise PkosimError(f"--out {path}: exists; a ledger is never replaced (it is scored against what happened "
                          "after it was written): give a new file name")
    if path.parent.exists() and not path.parent.is_dir():
        raise PkosimError(f"--out {path}: {path.parent} is a file, not a folder")


# ---------------------------------------------------------------------------------------------------- predict

def _scenarios(drawdown: Path, withdrawal: Path):
    from sim.scenario import load_scenario

    loaded = []
    for option, path in (("--drawdown", drawdown), ("--withdrawal", withdrawal)):
        if not Path(path).is_file():
            raise PkosimError(f"{option} {path}: scenario file not found")
        scenario = load_scenario(path)
        if scenario.posterior is None:
            raise PkosimError(f"{path}: draws no parameters from a posterior (no posterior: key in it or the files "
                              "it extends); predictions must carry parameter uncertainty: set posterior: in "
                              "scenarios/params/calibrated.yaml (docs/ledger.md)")
        if scenario.sweep is not None:
            raise PkosimError(f"{path}: has a sweep; a prediction runs one design point")
        loaded.append(scenario)
    a, b = loaded
    if a.posterior.draws_sha256 != b.posterior.draws_sha256:
        raise PkosimError(f"{withdrawal}: draws from {b.posterior.file}, {drawdown} from {a.posterior.file} "
                          "(different draws); a ledger uses one posterior")
    if a.name == b.name:
        raise PkosimError(f"{withdrawal}: has the same name as {drawdown} ({a.name!r}); each needs its own batch")
    overlap = set(range(a.start.year, a.end.year + 1)) & set(range(b.start.year, b.end.year + 1))
    if overlap:
        raise PkosimError(f"{withdrawal}: covers {sorted(overlap)}, as {drawdown} does; each year is predicted once")
    return loaded


def predict(drawdown: Path = DRAWDOWN, withdrawal: Path = WITHDRAWAL, *, out: Path = DEFAULT_LEDGER,
            runs: Path | None = None, replications: int = DEFAULT_REPLICATIONS, seed: int | None = None,
            workers: int | None = None, quiet: bool = True) -> tuple[Path, Ledger]:
    """Run both scenarios with their posterior and write the ledger to ``out``; return its path and the ledger."""
    from analysis.results import find_batches
    from sim.files import atomic_write_text
    from sim.runner import run_batch

    out = Path(out)
    check_ledger_path(out)
    if replications < 1:
        raise PkosimError(f"--replications {replications}: needs at least 1")
    scenarios = _scenarios(Path(drawdown), Path(withdrawal))
    runs = Path(runs) if runs is not None else DEFAULT_RUNS / datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    seed = seed if seed is not None else scenarios[0].seed
    results = run_batch([Path(drawdown), Path(withdrawal)], runs, replications=replications, seed=seed,
                        workers=workers, quiet=quiet)
    failed = sum(r.failed for r in results)
    if failed:
        raise RunsFailed(f"{failed} run(s) failed (tracebacks in failures/ under {runs}); no ledger written: fix "
                         f"the cause and run pkosim predict again")
    batches = {b.name: b for b in find_batches([r.directory for r in results])}
    command = (f"pkosim predict --drawdown {drawdown} --withdrawal {withdrawal} --replications {replications} "
               f"--seed {seed} --out {out}")
    ledger = build_ledger(batches[scenarios[0].name], batches[scenarios[1].name], command=command)
    out.parent.mkdir(parents=True, exist_ok=True)
    check_ledger_path(out)
    atomic_write_text(out, ledger_text(ledger))
    return out, ledger


class RunsFailed(PkosimError):
    exit_code = EXIT_RUNS_FAILED


def summary_lines(ledger: Ledger) -> list[str]:
    """A few lines for the terminal: one per prediction."""
    from analysis.summary import fmt

    lines = []
    for key, p in ledger.predictions.items():
        lines.append(f"{key}: {fmt(p.median)} (50% {fmt(p.interval_50[0])}-{fmt(p.interval_50[1])}, "
                     f"90% {fmt(p.interval_90[0])}-{fmt(p.interval_90[1])}) {p.unit}")
    return lines


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("predict", help="write a ledger of predictions for 2021-2023 from the drawdown and "
                              "withdrawal scenarios run with the posterior (docs/ledger.md)")
    p.add_argument("--drawdown", default=str(DRAWDOWN), metavar="FILE", help="the 2021-2022 scenario")
    p.add_argument("--withdrawal", default=str(WITHDRAWAL), metavar="FILE", help="the 2023 scenario")
    p.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS,
                   help="replications per scenario (replication k runs posterior draw k and seed k)")
    p.add_argument("--seed", type=int, help="root seed (default: the drawdown scenario's)")
    p.add_argument("--workers", type=int, help="worker processes (default: number of cores)")
    p.add_argument("--runs", metavar="DIR", help=f"where the batches go (default: {DEFAULT_RUNS}/<time stamp>)")
    p.add_argument("--out", default=str(DEFAULT_LEDGER), metavar="LEDGER.yaml",
                   help="the ledger to write; an existing file is never replaced")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    path, ledger = predict(Path(args.drawdown), Path(args.withdrawal), out=Path(args.out),
                           runs=Path(args.runs) if args.runs else None, replications=args.replications,
                           seed=args.seed, workers=args.workers, quiet=args.quiet)
    print("\n".join(summary_lines(ledger)))
    print(f"wrote {path}; commit it before comparing anything with it")
    if ledger.git.dirty:
        print("pkosim: note: written from a working tree with uncommitted changes; the ledger's commit alone does "
              "not reproduce it", file=sys.stderr)
    return 0


def load_ledger(path: Path | str) -> Ledger:
    """Read and validate a ledger (one located line per problem, exit code 2)."""
    from sim.scenario.loader import load_input

    ledger, _document = load_input(Ledger, Path(path))
    return ledger
