"""``pkosim study``: a whole study in one command (``make run`` runs the standard one).

A study file names groups of scenarios: a baseline and the alternatives that change it. Every scenario runs with the
same replications and root seed, so replication k of an alternative shares its random numbers with replication k
of its baseline and each effect is a paired difference. The study then writes a summary, one comparison and one
report per group, and an ``index.html`` that links them, into a new time-stamped folder (earlier studies are never
overwritten); ``<out>/latest`` points at the newest.
"""

from __future__ import annotations

import argparse
import html
import os
from datetime import datetime, timezone
from pathlib import Path

from pydantic import Field

from analysis.compare import write_comparison
from analysis.io import write_text
from analysis.report import write_report
from analysis.summary import write_summary
from sim.calibration.report import write_check
from sim.errors import PkosimError, ScenarioError
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
    """Run every scenario of the study and write its tables and reports; return the index page."""
    if replications is not None and replications < 1:
        raise PkosimError(f"replications must be >= 1, got {replications}")
    study, groups, files = load_study(study_file)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder = out / stamp
    scenario_files = [p for base, alts in files for p in (base, *alts)]
    results = run_batch(scenario_files, folder / "batches", replications=replications if replications is not None else study.replications,
                        seed=study.seed, workers=workers, quiet=quiet)
    failed = sum(r.failed for r in results)
    directory = {r.scenario: r.directory for r in results}
    write_summary([r.directory for r in results], out_dir=folder)
    pages = []
    for baseline, alternatives in groups:
        dirs = [directory[baseline.name]] + [directory[a.name] for a in alternatives]
        write_comparison(dirs, out_dir=folder / "comparisons" / baseline.name)
        report = write_report(dirs, out=folder / f"report_{baseline.name}.html")
        pages.append((baseline, alternatives, report))
    check_page = None
    if study.calibration_check is not None:
        checked = load_scenario(study_file.parent / study.calibration_check.scenario)
        write_check(directory[checked.name], study_file.parent / study.calibration_check.targets, folder)
        check_page = (checked.name, "calibration_check.html")
    index = write_text(folder / "index.html", _index_html(study, pages, failed, check_page))
    _point_latest(out, folder)
    if failed:
        raise PkosimError(f"{failed} run(s) failed; results so far are in {folder} (see failures/ in each batch)")
    return index


def _index_html(study: Study, pages, failed: int, check_page: tuple[str, str] | None) -> str:
    items = []
    for baseline, alternatives, report in pages:
        alts = ", ".join(html.escape(a.name) for a in alternatives) or "no alternatives"
        items.append(
            f"<li><a href='{html.escape(report.name)}'>{html.escape(baseline.name)}</a> "
            f"({baseline.start} to {baseline.end}) compared with {alts}; "
            f"<a href='comparisons/{html.escape(baseline.name)}/comparison.md'>comparison table</a></li>"
        )
    status = f"<p><strong>{failed} run(s) failed.</strong></p>" if failed else ""
    if check_page is not None:
        items.append(f"<li><a href='{check_page[1]}'>Observed against simulated</a>: {html.escape(check_page[0])} "
                     "set against the record it was calibrated to (which targets are met, which are not)</li>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>pkosim study: {html.escape(study.name)}</title></head><body>"
        f"<h1>pkosim study: {html.escape(study.name)}</h1><p>{html.escape(study.description)}</p>{status}"
        f"<h2>Reports</h2><ul>{''.join(items)}</ul>"
        "<h2>Tables</h2><ul><li><a href='summary.md'>summary.md</a> / <a href='summary.csv'>summary.csv</a>: "
        "every scenario, metric and year (mean, median, 5-95% interval, 95% CI of the mean)</li>"
        "<li>batches/: the result files of every scenario (docs/results.md)</li></ul></body></html>\n"
    )


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
