"""``pkosim calibrate``: fit the uncertain parameters to the observed record and write the calibrated parameters.

    pkosim calibrate                                            # scenarios/calibration/history_2014_2020.yaml
    pkosim calibrate scenarios/calibration/history_2014_2020.yaml --trials 60 --replications 12 --workers 2
    pkosim calibrate my_calibration.yaml --out results/my_fit --seed 3 --quiet

Writes the calibration file's ``output`` (default ``scenarios/params/calibrated.yaml``) and, in ``--out``
(default ``results/calibration/``), ``calibration_report.md`` / ``.html``, ``trials.csv`` and the trial batches
under ``trials/``. Exit codes: 0 done; 2 bad input; 130 interrupted.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim.errors import PkosimError

from sim.calibration.config import DEFAULT_FILE, load_calibration
from sim.calibration.fit import DEFAULT_OUT, fit
from sim.calibration.paramfile import write_parameters
from sim.calibration.report import not_met, write_report


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="fit uncertain parameters to the observed record 2014-2020",
        description="Fit the parameters named in a calibration file (with prior ranges) to the observed patterns "
                    "(deaths per year and their spread, fatal incidents, worst incidents, wounded per death, "
                    "northern share, IEDs found) with an optuna TPE study; write the fitted values as a parameter "
                    "file and an observed-vs-simulated report. See docs/calibration.md.")
    parser.add_argument("calibration", nargs="?", type=Path, default=DEFAULT_FILE, metavar="CALIBRATION_FILE",
                        help=f"calibration file (default: {DEFAULT_FILE})")
    parser.add_argument("--trials", type=int, metavar="N", help="optuna trials (default: the file's)")
    parser.add_argument("--replications", type=int, metavar="R", help="replications per trial (default: the file's)")
    parser.add_argument("--workers", type=int, metavar="W", help="parallel runs within a trial (default: cores)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"folder for the report and the trial batches (default: {DEFAULT_OUT}/)")
    parser.add_argument("--seed", type=int, metavar="S", help="seed of the TPE sampler (default: the file's)")
    parser.add_argument("--quiet", action="store_true", help="no per-trial progress lines")
    parser.add_argument("--run-fn", metavar="MODULE:FUNCTION", help=argparse.SUPPRESS)  # tests
    parser.set_defaults(func=calibrate_command)


def calibrate_command(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise PkosimError(f"--workers {args.workers}: needs at least 1 worker")
    run_fn = None
    if args.run_fn:
        from sim.runner.cli import _run_fn

        run_fn = _run_fn(args.run_fn)
    calibration = load_calibration(args.calibration, trials=args.trials, replications=args.replications,
                                   seed=args.seed)
    if not args.quiet:
        print(f"calibrating {len(calibration.parameters)} parameters of {calibration.scenario.name!r}: "
              f"{calibration.trials} trials x {calibration.replications} replications", file=sys.stderr)
    result = fit(calibration, args.out, workers=args.workers, run_fn=run_fn, quiet=args.quiet)
    command = "pkosim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["calibrate"] \
        else "pkosim calibrate"
    parameters = write_parameters(result, command=command.strip())
    report = write_report(result, args.out)
    print(f"best trial {result.best.number + 1}/{calibration.trials}: objective {result.objective:.4g}")
    for path, value in result.best_values.items():
        print(f"  {path} = {value:.4g}")
    missed = not_met(result.table)
    print("all targets met" if not missed else f"not met: {'; '.join(missed)}")
    print(f"parameters written to {parameters}; report {report}")
    return 0
