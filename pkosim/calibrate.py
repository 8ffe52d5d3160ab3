"""``pkosim calibrate``: fit the uncertain parameters to the observed record and write the calibrated parameters.

    pkosim calibrate                                            # scenarios/calibration/history_2014_2020.yaml
    pkosim calibrate --method abc --workers 2                   # a posterior by ABC-SMC (the file's abc section)
    pkosim calibrate scenarios/calibration/history_2014_2020.yaml --trials 60 --replications 12 --workers 2
    pkosim calibrate my_calibration.yaml --out results/my_fit --seed 3 --quiet

Writes the calibration file's ``output`` (default ``scenarios/params/calibrated.yaml``; for ``abc`` the posterior
median, with ``posterior.yaml``, ``posterior.csv`` and ``posterior_draws.csv`` beside it) and, in ``--out``
(default ``results/calibration/``), ``calibration_report.md`` / ``.html`` (optuna: with ``trials.csv`` and the
trial batches under ``trials/``; abc: the posterior against the priors, the generations, the posterior predictive
check and its figure). Exit codes: 0 done; 2 bad input; 130 interrupted.

The fit is ``sim.calibration``'s, and so is the report as plain data (``sim.calibration.fit_report``) and its
Markdown; this command, above both layers, renders the page (``analysis/templates/calibration_report.html.j2``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from analysis.html import png_file, render
from sim import __version__
from sim.calibration.config import DEFAULT_FILE, load_calibration
from sim.calibration.fit import DEFAULT_OUT, fit
from sim.calibration.fit_report import (PREDICTIVE_FIGURE, abc_page, fit_page, predictive_figure, predictive_table,
                                        write_markdown, write_trials)
from sim.calibration.paramfile import optuna_fit_line, write_parameters
from sim.calibration.report import not_met
from sim.errors import PkosimError
from sim.files import atomic_write_text
from sim.runner.executors import default_workers


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
    parser.add_argument("--method", choices=("optuna", "abc"), help="point estimate (optuna) or posterior (abc); "
                        "default: the file's")
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
    command = "pkosim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["calibrate"] \
        else "pkosim calibrate"
    if (args.method or calibration.method) == "abc":
        return _abc(calibration, args, command.strip())
    if not args.quiet:
        print(f"calibrating {len(calibration.parameters)} parameters of {calibration.scenario.name!r}: "
              f"{calibration.trials} trials x {calibration.replications} replications", file=sys.stderr)
    result = fit(calibration, args.out, workers=args.workers, run_fn=run_fn, quiet=args.quiet)
    parameters = write_parameters(calibration, result.best_values, fit_line=optuna_fit_line(result),
                                  table=result.table, command=command)
    write_trials(result, args.out)
    report = write_report(fit_page(result), args.out)
    print(f"best trial {result.best.number + 1}/{calibration.trials}: objective {result.objective:.4g}")
    for path, value in result.best_values.items():
        print(f"  {path} = {value:.4g}")
    missed = not_met(result.table)
    print("all targets met" if not missed else f"not met: {'; '.join(missed)}")
    print(f"parameters written to {parameters}; report {report}")
    return 0


def _abc(calibration, args: argparse.Namespace, command: str) -> int:
    """ABC-SMC: the posterior, its predictive check, the posterior median as the calibrated parameters."""
    from sim.calibration import abc
    from sim.calibration.posterior import predictive_check, write_posterior

    a = calibration.abc
    settings = abc.AbcSettings(population=a.population, generations=a.generations,
                               replications=args.replications or a.replications, max_simulations=a.max_simulations,
                               max_minutes=a.max_minutes, proposal_scaling=a.proposal_scaling, seed=calibration.seed)
    workers = args.workers or default_workers()
    if not args.quiet:
        print(f"ABC-SMC over {len(calibration.parameters)} parameters of {calibration.scenario.name!r}: population "
              f"{settings.population}, at most {settings.generations} generations, {settings.max_simulations} "
              f"particles or {settings.max_minutes:g} minutes, {settings.replications} runs per particle, "
              f"{workers} worker(s)", file=sys.stderr)
    result = abc.fit(calibration, settings, args.out, workers=workers)
    posterior = write_posterior(result, Path(calibration.output).parent, command=command, draws=a.draws)
    # One run per draw: the record is one history, so the observed patterns are set against single runs, not
    # against means of several runs (whose spread would be too narrow by the square root of their number).
    check = predictive_check(result, draws=a.draws, replications=1)
    table = predictive_table(check)
    fit_line = (f"ABC-SMC (pyabc): population {settings.population}, {result.simulations} particles x "
                f"{settings.replications} runs, {result.elapsed_s / 60:.0f} min; values: the posterior median; "
                f"posterior predictive check over {check.draws} draws")
    parameters = write_parameters(calibration, result.point_estimate, fit_line=fit_line, table=table,
                                  command=command, posterior=posterior.name)
    predictive_figure(check, Path(args.out) / PREDICTIVE_FIGURE)
    report = write_report(abc_page(result, check), args.out)
    for path, value in result.point_estimate.items():
        low, high = result.interval(path)
        print(f"  {path} = {value:.4g} (90% {low:.3g}-{high:.3g})")
    print(f"posterior written to {posterior}; parameters (posterior median) to {parameters}; report {report}")
    return 0


def write_report(page: dict, out_dir: Path | str) -> Path:
    """A fit's report (``fit_page`` or ``abc_page``) as ``calibration_report.md`` and, from the report templates,
    ``calibration_report.html`` (headline first; a figure the page names, drawn beside it, embedded) in
    ``out_dir``; return the Markdown's path."""
    out_dir = Path(out_dir)
    sections = [{**s, "figure": png_file(out_dir / s["figure"]["file"], anchor=f"fig-{s['id']}",
                                         caption=s["figure"]["caption"]) if s["figure"] else None}
                for s in page["sections"]]
    # Written as the fit's other outputs are (replacing the last fit's, whichever version wrote it), not through
    # analysis.io's guard, which would refuse a page written before it carried pkosim's signature.
    atomic_write_text(out_dir / "calibration_report.html",
                      render("calibration_report.html.j2", page={**page, "sections": sections}, version=__version__))
    return write_markdown(page, out_dir)
