"""``pkosim study``: a whole study in one command (``make run`` runs the standard one).

A study file names groups of scenarios: a baseline and the alternatives that change it. Every scenario runs with the
same replications and root seed, so replication k of an alternative shares its random numbers with replication k
of its baseline and each effect is a paired difference. The study then writes a summary, one comparison and one
report per group, and an ``index.html`` that links them, into a new time-stamped folder (earlier studies are never
overwritten); ``<out>/latest`` points at the newest.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from pathlib import Path

from pydantic import Field

from analysis import headlines
from analysis.compare import findings, window_days, write_comparison
from analysis.html import render
from analysis.io import write_text
from analysis.report import write_report
from analysis.results import find_batches, posteriors
from analysis.summary import summarize, write_summary
from sim import __version__
from sim.calibration.report import check_batch, check_page, headline, not_met, write_check
from sim.errors import PkosimError, RunsFailedError, ScenarioError
from sim.runner import run_batch
from sim.scenario import Scenario, load_scenario
from sim.scenario.base import StrictModel
from sim.scenario.loader import load_input, problem_at

DEFAULT_STUDY = Path("scenarios/studies/standard.yaml")


class StudyGroup(StrictModel):
    baseline: str = Field(..., description="Scenario file (relative to the study file) the alternatives are compared with.")
    alternatives: tuple[str, ...] = Field((), description="Scenario files that change the baseline.")


class CalibrationCheck(StrictModel):
    scenario: str = Field(..., description="Scenario file of the study (relative to the study file) whose batch is set against the record.")
    targets: str = Field(..., description="Calibration targets file (relative to the study file).")


class Study(StrictModel):
    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    replications: int | None = Field(None, ge=1, le=100_000, description="Replications per scenario (default: each scenario's own).")
    seed: int | None = Field(None, ge=0, description="Root seed for every scenario (default: each scenario's own; they must agree within a group).")
    groups: tuple[StudyGroup, ...] = Field(..., min_length=1)
    calibration_check: CalibrationCheck | None = Field(None, description="Show observed against simulated for one scenario of the study.")


def load_study(path: Path) -> tuple[Study, list[tuple[Scenario, list[Scenario]]], list[tuple[Path, list[Path]]]]:
    """Validate a study file and every scenario it names; check that each group can be paired."""
    study, document = load_input(Study, path)
    groups, files = [], []
    for index, group in enumerate(study.groups):
        paths = [path.parent / group.baseline] + [path.parent / alt for alt in group.alternatives]
        scenarios = [load_scenario(p) for p in paths]
        seeds = {study.seed if study.seed is not None else s.seed for s in scenarios}
        if len(seeds) > 1:
            raise ScenarioError([problem_at(document, ("groups", index),
                                            f"scenarios of a group must share a root seed to be paired, got {sorted(seeds)}")])
        groups.append((scenarios[0], scenarios[1:]))
        files.append((paths[0], paths[1:]))
    check = study.calibration_check
    if check is not None:
        named = {p.resolve() for base, alts in files for p in (base, *alts)}
        if (path.parent / check.scenario).resolve() not in named:
            raise ScenarioError([problem_at(document, ("calibration_check", "scenario"),
                                            f"{check.scenario!r} is not one of the study's scenarios")])
        if not (path.parent / check.targets).is_file():
            raise ScenarioError([problem_at(document, ("calibration_check", "targets"),
                                            f"targets file {check.targets!r} not found")])
    names = [s.name for base, alts in groups for s in (base, *alts)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PkosimError(f"{path}: scenario names must be unique in a study; repeated: {', '.join(duplicates)}")
    return study, groups, files


def _point_latest(out: Path, folder: Path) -> None:
    link = out / "latest"
    temporary = out / ".latest.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder.name)
    os.replace(temporary, link)


def run_study(study_file: Path = DEFAULT_STUDY, out: Path = Path("results/standard_study"), *,
              replications: int | None = None, workers: int | None = None, quiet: bool = False) -> Path:
    """Run every scenario of the study and write its tables and reports; return the index page. Runs that fail are
    left out of the reports; the study is written all the same, then ``RunsFailedError`` (exit code 1) says so."""
    if replications is not None and replications < 1:
        raise PkosimError(f"replications must be >= 1, got {replications}")
    study, scenario_groups, files = load_study(study_file)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder = out / stamp
    scenario_files = [p for base, alts in files for p in (base, *alts)]
    results = run_batch(scenario_files, folder / "batches", replications=replications if replications is not None else study.replications,
                        seed=study.seed, workers=workers, quiet=quiet)
    failed = sum(r.failed for r in results)
    directory = {r.scenario: r.directory for r in results}
    write_summary([r.directory for r in results], out_dir=folder)
    calibration, check_card = {}, None
    if study.calibration_check is not None:
        checked = load_scenario(study_file.parent / study.calibration_check.scenario)
        targets = study_file.parent / study.calibration_check.targets
        table = check_batch(directory[checked.name], targets)
        write_check(directory[checked.name], targets, folder, table=table)
        _write_check_page(check_page(table, directory[checked.name], targets), folder / "calibration_check.html")
        calibration = {"missed": not_met(table), "targets": int(table["year"].isna().sum()),
                       "window": (checked.start, checked.end)}
        check_card = {"scenario": checked.name, "page": "calibration_check.html", "verdict": headline(table)}
    groups = []
    for baseline, alternatives in scenario_groups:
        dirs = [directory[baseline.name]] + [directory[a.name] for a in alternatives]
        if alternatives:
            write_comparison(dirs, out_dir=folder / "comparisons" / baseline.name)
        report = write_report(dirs, out=folder / f"report_{baseline.name}.html", **_caveats(baseline, calibration))
        groups.append(_group(baseline, alternatives, dirs, report))
    page = _index_html(study, groups, failed, check_card, calibration, results)
    index = write_text(folder / "index.html", page)
    _point_latest(out, folder)
    if failed:
        raise RunsFailedError(f"pkosim study: {failed} run(s) failed; the study in {folder} leaves them out "
                              f"(tracebacks in the failures/ folder of each batch under {folder / 'batches'})")
    return index


def _write_check_page(page: dict, path: Path) -> Path:
    """The calibration check (``sim.calibration.report.check_page``) as a page of the study, from the report
    templates (``analysis/templates/calibration_check.html.j2``), headline first."""
    return write_text(path, render("calibration_check.html.j2", page=page, version=__version__))


def _caveats(baseline: Scenario, calibration: dict) -> dict:
    """The calibration caveats of a group's report: targets missed, and a window outside the calibration window."""
    if not calibration:
        return {}
    start, end = calibration["window"]
    extra = []
    if baseline.start > end or baseline.end < start:
        extra.append(f"The model is calibrated to {_years(start, end)}; {_years(baseline.start, baseline.end)} is out "
                     "of sample: the levels are extrapolated, the differences rest on the mechanisms.")
    return {"calibration_missed": calibration["missed"], "calibration_targets": calibration["targets"],
            "extra_caveats": extra}


def _years(start, end) -> str:
    return str(start.year) if start.year == end.year else f"{start.year}-{end.year}"


def _group(baseline: Scenario, alternatives, dirs, report: Path) -> dict:
    """What the index says about one group: its headline findings (or levels, with nothing to compare) and links."""
    found, levels = [], []
    if alternatives:
        found, _notes, _table = findings(dirs)
    else:
        batches = find_batches(dirs)
        levels = headlines.levels(summarize(batches, [headlines.LEAD, "wounded"]),
                                  window_days(batches).get(baseline.name))
    return {
        "baseline": baseline.name, "description": baseline.description, "window": f"{baseline.start} to {baseline.end}",
        "alternatives": [a.name for a in alternatives], "report": report.name, "findings": found, "levels": levels,
        "comparison_csv": f"comparisons/{baseline.name}/comparison.csv" if alternatives else None,
    }


def _index_html(study: Study, groups: list[dict], failed: int, check_card: dict | None, calibration: dict,
                results) -> str:
    """The study's landing page (``analysis/templates/study_index.html.j2``)."""
    counts = sorted({r.ok for r in results})
    replications = (f"{counts[0]} replications per scenario" if len(counts) == 1
                    else f"{counts[0]}-{counts[-1]} replications per scenario")
    kinds = posteriors(find_batches([r.directory for r in results]))
    caveats = headlines.caveats(None, calibration_missed=calibration.get("missed", ()),
                                calibration_targets=calibration.get("targets"),
                                intervals=headlines.intervals_caveat(kinds))
    if counts and counts[0] < headlines.MIN_REPLICATIONS:
        caveats.append(f"Only {counts[0]} replications per scenario: the intervals are rough (the rule of thumb here "
                       f"is at least {headlines.MIN_REPLICATIONS}).")
    return render("study_index.html.j2", study=study, title=f"pkosim study: {study.name}", groups=groups,
                  failed=failed, check=check_card, caveats=caveats, replications=replications, version=__version__,
                  intervals=headlines.interval_kind(kinds),
                  written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("study", help="run a whole study (scenarios, comparisons, reports); `make run` runs the standard one")
    parser.add_argument("study", nargs="?", default=str(DEFAULT_STUDY), help=f"study file (default {DEFAULT_STUDY})")
    parser.add_argument("--out", default="results/standard_study", help="output folder; each study goes into a new time-stamped sub-folder")
    parser.add_argument("--replications", type=int, help="override the study's replications")
    parser.add_argument("--workers", type=int, help="worker processes (default: number of cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    index = run_study(Path(args.study), Path(args.out), replications=args.replications, workers=args.workers, quiet=args.quiet)
    print(f"\nStudy written to {index.parent}\nOpen {index} in a browser.")
    return 0
