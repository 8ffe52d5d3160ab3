"""One self-contained HTML report for a set of batches: headline findings first, then effects, scenarios, key
tables, figures (embedded PNG), exploration, assumptions (the parameter values that differ between scenarios) and
provenance.

**Exploration** (docs/explore.md) follows the figures when it applies: for each sweep batch, the sensitivity of the
report's primary metric over the whole run (``analysis.sensitivity.sensitivity_section``; a one-line note when the
analysis refuses, e.g. a metric that is the same at every point), then every section file that ``pkosim
sensitivity``, ``discover`` or ``attribute`` saved (``*.section.json``, ``analysis.fragments``) in a folder given,
its sub-folders, or a reported batch's folder, shown from the saved numbers and figures: nothing is run again. A
folder holding an attribution (``attribution.json``) stands for its baseline and target batches.

The page is rendered from ``analysis/templates/report.html.j2`` (Jinja2, autoescaped). It has no external assets,
so it can be mailed or archived as is; its provenance is both visible (a section) and machine-readable
(``<meta name="pkosim-provenance">`` holding JSON).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from analysis import html
from analysis.io import write_text
from analysis.results import Batch, find_batches, posteriors, replications_text
from sim.errors import PkosimError
from sim.scenario.cli import flatten as scenario_paths

PRIMARY_METRIC = "hostile_deaths"  # the sensitivity a report shows, unless metrics name another first
SKIP_KEYS = {"name", "description"}
NOT_SET = "(not set)"
EVENT_FIELDS = ("base", "camp", "contingent", "group", "share", "factor", "hubs", "until", "transfer_to")


def flatten(value) -> dict[str, object]:
    """{"a": {"b": 1}} -> {"a.b": 1}, with the key paths ``pkosim show --diff`` compares on; lists are kept whole
    (as JSON) and empty mappings are left out."""
    return {".".join(map(str, path)): json.dumps(item, sort_keys=True, default=str) if isinstance(item, list) else item
            for path, item in scenario_paths(value).items() if item != {}}


def _flat(batches: Sequence[Batch]) -> dict[str, dict[str, object]]:
    return {b.name: {k: v for k, v in flatten(_shown(b.scenario)).items() if k.split(".")[0] not in SKIP_KEYS}
            for b in batches}


def _shown(scenario: dict) -> dict:
    """The scenario as the report compares it: a posterior by its files, hashes and size, not draw by draw."""
    if not isinstance(scenario.get("posterior"), dict):
        return scenario
    from sim.scenario.posterior import summary

    return {**scenario, "posterior": summary(scenario["posterior"])}


def _differing(flat: dict[str, dict[str, object]], names: Sequence[str]) -> list[str]:
    keys = sorted(set().union(*[set(f) for f in flat.values()]))
    return [k for k in keys
            if len({json.dumps(flat[n].get(k, NOT_SET), sort_keys=True, default=str) for n in names}) > 1]


def differing_parameters(batches: Sequence[Batch]) -> pd.DataFrame:
    """Rows: resolved-scenario keys whose values differ between batches; columns: one per scenario."""
    flat = _flat(batches)
    names = [b.name for b in batches]
    rows = {key: [flat[n].get(key, NOT_SET) for n in names] for key in _differing(flat, names)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=names)


def _section_of(key: str, flat: dict[str, dict[str, object]]) -> str | None:
    """The outermost section above ``key`` that some scenario lacks entirely (an added provider, a removed event)."""
    parts = key.split(".")
    for cut in range(1, len(parts)):
        prefix = ".".join(parts[:cut]) + "."
        if any(not any(k.startswith(prefix) for k in f) for f in flat.values()):
            return prefix[:-1]
    return None


def _section_cell(section: str, values: dict[str, object]) -> dict:
    if not values:
        return {"text": NOT_SET, "values": []}
    items = [(k[len(section) + 1:], _show(v)) for k, v in values.items()]
    fields = dict(items)
    if "action" in fields:  # an event: its kind, date and what it acts on
        what = [fields[f] for f in EVENT_FIELDS if f in fields]
        text = f"{fields['action']} on {fields.get('date', '?')}" + (f" ({', '.join(what)})" if what else "")
    else:
        text = f"{len(items)} values"
    return {"text": text, "values": items}


def _show(value) -> str:
    return "-" if value is None else str(value)


def assumption_rows(batches: Sequence[Batch]) -> dict:
    """The differing parameters for the report: one row per key, and one collapsible row per section that only
    some scenarios have and that would take ``GROUP_FROM`` rows or more (so an added air provider is one row, not
    twenty rows of '(not set)')."""
    flat = _flat(batches)
    names = [b.name for b in batches]
    keys = _differing(flat, names)
    sections = {key: _section_of(key, flat) for key in keys}
    sizes = {s: sum(1 for v in sections.values() if v == s) for s in set(sections.values()) if s is not None}
    rows, seen = [], set()
    for key in keys:
        section = sections[key]
        if section is None or sizes[section] < GROUP_FROM:
            rows.append({"key": key, "cells": [{"text": _show(flat[n].get(key, NOT_SET)), "values": []}
                                               for n in names]})
        elif section not in seen:
            seen.add(section)
            cells = [_section_cell(section, {k: v for k, v in flat[n].items() if k.startswith(section + ".")})
                     for n in names]
            rows.append({"key": section, "cells": cells})
    return {"names": names, "rows": rows}


GROUP_FROM = 3


def provenance(batches: Sequence[Batch]) -> list[dict]:
    return [{
        "scenario": b.name, "path": str(b.path), "pkosim_version": b.version, "scenario_hash": b.scenario_hash,
        "scenario_file": b.manifest.get("scenario_file"), "root_seed": b.root_seed,
        "git_commit": (b.manifest.get("git") or {}).get("commit"), "git_dirty": (b.manifest.get("git") or {}).get("dirty"),
        "started": b.manifest.get("started"), "finished": b.manifest.get("finished"), "host": b.manifest.get("host"),
        "runs_ok": b.n_ok, "runs_failed": b.n_failed, "packages": b.manifest.get("packages") or {},
        "posterior": (f"{b.posterior['file']} ({b.posterior['draws']} draws, draws SHA-256 "
                      f"{str(b.posterior['draws_sha256'])[:12]})" if b.posterior else "none (fixed parameters)"),
    } for b in batches]


def figure(draw: Callable, batches: Sequence[Batch], caption: str, fig_id: str, verdict: Callable | None = None) -> dict:
    """A figure for the template (``html.figure``: the PNG with provenance metadata and its size), or the reason it
    could not be drawn. ``verdict()`` may add a sentence to the caption (e.g. whether the batch is large enough)."""
    try:
        fig = draw()
    except PkosimError as error:
        return {"id": fig_id, "caption": caption, "png": None, "error": str(error)}
    return {**html.figure(fig, batches, caption), "id": fig_id, "verdict": verdict() if verdict else ""}


def _figures(batches: Sequence[Batch], compared: bool) -> tuple[dict | None, list[dict]]:
    from analysis.plots import make_figure
    from analysis.plots.convergence import verdict
    from analysis.plots.sequence import has_withdrawal
    from analysis.plots.timeseries import resolution

    forest = (figure(lambda: make_figure(batches, "compare"), batches,
                     f"Effects against {batches[0].name} at a glance: paired difference and 95% CI", "fig-effects")
              if compared else None)
    step = resolution(batches)
    figures = [figure(lambda: make_figure(batches, "timeseries", "hostile_deaths"), batches,
                      f"Hostile deaths by {step}: median and 50%/90% ranges over replications", "fig-timeseries"),
               figure(lambda: make_figure(batches, "breakdown"), batches,
                      "Where hostile deaths fall: by cause, contingent and sector", "fig-breakdown"),
               figure(lambda: make_figure(batches, "convergence", "hostile_deaths"), batches,
                      "Precision against the number of replications.", "fig-convergence", verdict=lambda: verdict(batches, "hostile_deaths"))]
    groups = [batches[i:i + 4] for i in range(0, len(batches), 4)]
    for i, group in enumerate(groups):
        part = f" ({i + 1} of {len(groups)})" if len(groups) > 1 else ""
        figures.append(figure(lambda group=group: make_figure(group, "map"), group,
                              f"Theatre map, one panel per scenario{part}", f"fig-map-{i + 1}"))
    if any(has_withdrawal(b) for b in batches):
        figures.append(figure(lambda: make_figure(batches, "sequence"), batches,
                              "The withdrawal in sequence: camps by closing date, their routes out, and the timeline",
                              "fig-sequence"))
    return forest, figures


def gather(dirs) -> tuple[list[Batch], list[Path]]:
    """The batches a report covers (as ``find_batches``, an attribution folder standing for its baseline and target)
    and the folders to search for saved exploration sections: each folder given, its sub-folders, and each batch's
    folder."""
    from analysis.attribution import PLAN_FILE, end_batches, read_plan
    from sim.runner.store import MANIFEST

    items = [dirs] if isinstance(dirs, (str, os.PathLike, Batch)) else list(dirs)
    expanded, folders = [], []
    for item in items:
        if isinstance(item, Batch):
            expanded.append(item)
            continue
        path = Path(item)
        if path.is_dir():
            folders += [path, *sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())]
        if (path / PLAN_FILE).is_file() and not (path / MANIFEST).is_file():
            expanded += end_batches(read_plan(path))
        else:
            expanded.append(item)
    batches = find_batches(expanded)
    return batches, [*folders, *(b.path for b in batches)]


def exploration(batches: Sequence[Batch], folders: Sequence[Path], metric: str) -> list[dict]:
    """The exploration parts, as data for the ``section`` macro, or ``{"note": sentence}`` where a part cannot be
    shown: the sensitivity of ``metric`` in every sweep batch, then the saved sections found in ``folders`` (each
    result once)."""
    from analysis.fragments import read_sections, saved_section
    from analysis.metrics import metric as metric_meta
    from analysis.sensitivity import section_id, sensitivity_section
    from analysis.summary import ALL

    parts, shown = [], set()
    for b in batches:
        if b.sweep_points is None:
            continue
        shown.add(section_id(b.name, metric, ALL))
        try:
            parts.append(sensitivity_section(b, metric, ALL))
        except PkosimError as error:
            parts.append({"note": f"Sensitivity of {metric_meta(metric).label.lower()} (whole run) in {b.name}: "
                                  f"not computed: {error}"})
    for path, saved in read_sections(folders):
        if isinstance(saved, str):
            parts.append({"note": f"Not shown: {saved}"})
        elif saved.id not in shown:
            shown.add(saved.id)
            parts.append(saved_section(path, saved))
    return parts


def headline_block(batches: Sequence[Batch], whole: pd.DataFrame, metrics: Sequence[str] | None,
                   caveat_args: dict) -> tuple[dict, dict | None, str | None]:
    """The headline block (findings against the first batch, or levels of a single one, and the caveats), the
    effects table, and why there is no comparison (or None)."""
    from analysis import compare as compare_mod
    from analysis import headlines
    from analysis.summary import ALL

    base = batches[0]
    block = {"intro": "", "findings": [], "levels": [], "caveats": [], "missing": ""}
    intervals = headlines.intervals_caveat(posteriors(batches))
    if len(batches) == 1:
        block.update(levels=headlines.levels(whole, compare_mod.window_days(batches).get(base.name)),
                     caveats=headlines.caveats(None, failed_runs=base.n_failed, intervals=intervals, **caveat_args))
        return block, None, None
    try:
        found, notes, _table = compare_mod.findings(batches, **caveat_args)
        comparison = compare_mod.compare(batches, metrics)
    except PkosimError as error:
        block.update(missing=str(error), caveats=headlines.caveats(None, intervals=intervals, **caveat_args))
        return block, None, str(error)
    block.update(findings=found, caveats=notes,
                 intro=f"Each alternative against {base.name}, paired over replications with the same seed.")
    whole_run = comparison[comparison["year"] == ALL]
    display = compare_mod.display_table(whole_run).drop(columns=["year"])
    display["scenario"] = whole_run["scenario"].tolist()  # the baseline is in the heading
    effects = html.table(display, numeric=("n", "paired 95% CI", "Welch 95% CI", "narrower"))
    effects["row_classes"] = ["same" if headlines.is_identical(r) else "" for r in whole_run.to_dict("records")]
    return block, effects, None


def build_report(dirs, metrics: Sequence[str] | None = None, figures: bool = True, *,
                 folders: Sequence[Path] | None = None, calibration_missed: Sequence[str] = (),
                 calibration_targets: int | None = None, extra_caveats: Sequence[str] = ()) -> str:
    """The report as an HTML string. ``figures=False`` leaves out the main figures (the exploration sections keep
    theirs). ``folders``: where to look for saved exploration sections (default: as ``gather`` finds them for
    ``dirs``). ``calibration_missed`` (labels of the calibration targets the model misses, of
    ``calibration_targets``) and ``extra_caveats`` are stated under the headline findings."""
    from analysis import summary as summary_mod
    from analysis.metrics import metric as metric_meta

    batches, found = gather(dirs)
    folders = found if folders is None else [*folders, *(b.path for b in batches)]
    base = batches[0]
    summary = summary_mod.summarize(batches, metrics)
    whole = summary[summary["year"] == summary_mod.ALL]
    block, effects, effects_error = headline_block(batches, whole, metrics, dict(
        calibration_missed=calibration_missed, calibration_targets=calibration_targets, extra=extra_caveats))
    scenarios = pd.DataFrame([{
        "scenario": b.name, "description": b.description or "-",
        "window": f"{b.window[0]} to {b.window[1]}", "replications (ok)": b.n_ok,
        "failed runs": b.n_failed, "root seed": b.root_seed} for b in batches])
    summary_table = html.table(summary_mod.display_table(whole).drop(columns=["year"]),
                               numeric=("n", "mean", "median", "5-95%", "95% CI of mean"))
    forest, figure_list = _figures(batches, effects is not None) if figures else (None, [])
    primary = metrics[0] if metrics else PRIMARY_METRIC
    explored = exploration(batches, folders, primary)
    start, end = base.window
    subtitle = [base.description] if base.description else []
    subtitle.append(f"{start} to {end}; {replications_text(batches)} per scenario; "
                    + (f"{len(batches) - 1} alternative(s) compared with {base.name}." if len(batches) > 1
                       else "one scenario."))
    toc = [(i, label) for i, label, show in (
        ("effects", "Effects", effects is not None or effects_error is not None), ("scenarios", "Scenarios", True),
        ("summary", "Summary", True), ("figures", "Figures", bool(figure_list)),
        ("exploration", "Exploration", bool(explored)),
        ("assumptions", "Assumptions", True), ("provenance", "Provenance", True)) if show]
    return html.render(
        "report.html.j2",
        title=(f"{base.name} and {len(batches) - 1} alternative(s)" if len(batches) > 1 else base.name),
        subtitle=subtitle, baseline=base.name, heading="Headline findings", headline_block=block, toc=toc,
        versions=", ".join(sorted({b.version for b in batches})),
        effects=effects, effects_error=effects_error, forest=forest,
        scenarios=html.table(scenarios, numeric=("replications (ok)", "failed runs", "root seed")),
        summary=summary_table, figures=figure_list, exploration=explored,
        primary_label=metric_meta(primary).label.lower(), swept=any(b.sweep_points is not None for b in batches),
        descriptions=[(b.name, b.description or "(no description)") for b in batches],
        assumptions=assumption_rows(batches) if len(batches) > 1 else None,
        **provenance_context(batches),
    )


def provenance_context(batches: Sequence[Batch]) -> dict:
    """The provenance section and the machine-readable provenance of the page."""
    prov = provenance(batches)
    packages = pd.DataFrame({p["scenario"]: p["packages"] for p in prov})
    meta = json.dumps([{k: p[k] for k in ("scenario", "scenario_hash", "pkosim_version", "git_commit", "git_dirty",
                                          "root_seed")} for p in prov])
    return {
        "provenance": html.key_value_table([{k: v for k, v in p.items() if k not in ("packages", "scenario")}
                                            for p in prov], [p["scenario"] for p in prov]),
        "packages": html.table(packages, index=True) if len(packages) else None,
        "dirty": ", ".join(p["scenario"] for p in prov if p["git_dirty"]),
        "provenance_json": meta,
    }


def write_report(dirs, out=None, metrics: Sequence[str] | None = None, **options) -> Path:
    """Write the report atomically to ``out`` (default ``<first batch>/report.html``) and return its path;
    ``options`` go to ``build_report`` (folders to search for exploration sections, calibration caveats)."""
    batches, found = gather(dirs)
    options.setdefault("folders", found)
    path = Path(out) if out else batches[0].path / "report.html"
    return write_text(path, build_report(batches, metrics, **options))
