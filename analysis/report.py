"""One self-contained HTML report for a set of batches: scenarios, key tables, figures (embedded PNG),
assumptions (the parameter values that differ between scenarios) and provenance from the manifests.

The file has no external assets, so it can be mailed or archived as is; its provenance is both visible (a
section) and machine-readable (``<meta name="pkosim-provenance">`` holding JSON).
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Sequence

import pandas as pd

from analysis.io import write_text
from analysis.results import Batch, find_batches
from sim.errors import PkosimError
from sim.scenario.cli import flatten as scenario_paths

SKIP_KEYS = {"name", "description"}
CSS = """body{font-family:Helvetica,Arial,sans-serif;max-width:60em;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:0.25em 0.5em;
text-align:left}th{background:#eef2f7}td.num{text-align:right}figure{margin:1.5em 0}img{max-width:100%}
figcaption{font-size:0.9em;color:#555}.note{color:#8a4b00}code{font-size:0.9em}"""


def flatten(value) -> dict[str, object]:
    """{"a": {"b": 1}} -> {"a.b": 1}, with the key paths ``pkosim show --diff`` compares on; lists are kept whole
    (as JSON) and empty mappings are left out."""
    return {".".join(map(str, path)): json.dumps(item, sort_keys=True, default=str) if isinstance(item, list) else item
            for path, item in scenario_paths(value).items() if item != {}}


def differing_parameters(batches: Sequence[Batch]) -> pd.DataFrame:
    """Rows: resolved-scenario keys whose values differ between batches; columns: one per scenario."""
    flat = {b.name: {k: v for k, v in flatten(b.scenario).items() if k.split(".")[0] not in SKIP_KEYS}
            for b in batches}
    keys = sorted(set().union(*[set(f) for f in flat.values()]))
    rows = {}
    for key in keys:
        values = [flat[b.name].get(key, "(not set)") for b in batches]
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) > 1:
            rows[key] = values
    return pd.DataFrame.from_dict(rows, orient="index", columns=[b.name for b in batches])


def provenance(batches: Sequence[Batch]) -> list[dict]:
    return [{
        "scenario": b.name, "path": str(b.path), "pkosim_version": b.version, "scenario_hash": b.scenario_hash,
        "scenario_file": b.manifest.get("scenario_file"), "root_seed": b.root_seed,
        "git_commit": (b.manifest.get("git") or {}).get("commit"), "git_dirty": (b.manifest.get("git") or {}).get("dirty"),
        "started": b.manifest.get("started"), "finished": b.manifest.get("finished"), "host": b.manifest.get("host"),
        "runs_ok": b.n_ok, "runs_failed": b.n_failed, "packages": b.manifest.get("packages") or {},
    } for b in batches]


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_html(index=index, escape=True, border=0, na_rep="-")


def _figure_html(fig_fn, batches, caption: str) -> str:
    from analysis.plots.style import DPI, provenance as png_meta
    import matplotlib.pyplot as plt

    try:
        fig = fig_fn()
    except PkosimError as error:
        return f'<p class="note">{html.escape(caption)}: not drawn ({html.escape(str(error))}).</p>'
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata=png_meta(batches, caption))
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def build_report(dirs, metrics: Sequence[str] | None = None, figures: bool = True) -> str:
    """The report as an HTML string."""
    from analysis import compare as compare_mod
    from analysis import summary as summary_mod
    from analysis.plots import make_figure

    batches = find_batches(dirs)
    names = ", ".join(b.name for b in batches)
    prov = provenance(batches)
    parts = [f"<h1>pkosim results: {html.escape(names)}</h1>"]

    scen = pd.DataFrame([{
        "scenario": b.name, "description": b.description or "-",
        "window": f"{b.window[0]} to {b.window[1]}", "replications (ok)": b.n_ok,
        "failed runs": b.n_failed, "root seed": b.root_seed} for b in batches])
    parts += ["<h2>Scenarios</h2>", _table(scen)]

    summary = summary_mod.summarize(batches, metrics)
    whole = summary[summary["year"] == summary_mod.ALL]
    parts += ["<h2>Summary (whole run, per year)</h2>",
              "<p>Counts are annual rates over the window; shares and means are days-weighted. Mean and median over "
              "replications, the 5-95% range of replications, and the 95% confidence interval of the mean. "
              "Per-year values are in <code>summary.csv</code> (<code>pkosim summarize</code>).</p>",
              _table(summary_mod.display_table(whole).drop(columns=["year"]))]

    if len(batches) > 1:
        try:
            comparison = compare_mod.compare(batches, metrics)
            parts += [f"<h2>Effects against {html.escape(batches[0].name)}</h2>",
                      "<p>Paired differences over replications with the same seed (scenario minus baseline), with "
                      "95% confidence intervals; the unpaired (Welch) interval is shown for reference, and "
                      "'narrower' says how much pairing tightened it.</p>",
                      _table(compare_mod.display_table(comparison, whole_run_only=True).drop(columns=["year"]))]
        except PkosimError as error:
            comparison = None
            parts += ["<h2>Effects</h2>", f'<p class="note">No paired comparison: {html.escape(str(error))}</p>']
    else:
        comparison = None

    if figures:
        parts.append("<h2>Figures</h2>")
        parts.append(_figure_html(lambda: make_figure(batches, "timeseries", "hostile_deaths"), batches,
                                  "Hostile deaths by year: median and 50%/90% ranges"))
        parts.append(_figure_html(lambda: make_figure(batches, "breakdown"), batches,
                                  "Hostile deaths by cause, contingent and sector"))
        if comparison is not None:
            parts.append(_figure_html(lambda: make_figure(batches, "compare"), batches,
                                      f"Scenario effects against {batches[0].name}"))
        parts.append(_figure_html(lambda: make_figure(batches, "convergence", "hostile_deaths"), batches,
                                  "Precision of the mean against the number of replications"))
        parts.append(_figure_html(lambda: make_figure(batches[:2], "map"), batches[:2], "Theatre map"))

    parts.append("<h2>Assumptions</h2>")
    for b in batches:
        parts.append(f"<p><b>{html.escape(b.name)}</b>: {html.escape(b.description or '(no description)')}</p>")
    diff = differing_parameters(batches)
    if len(batches) > 1:
        parts += ["<p>Resolved parameter values that differ between the scenarios (all others are equal):</p>",
                  _table(diff.astype(str), index=True) if len(diff) else "<p>(none)</p>"]

    parts.append("<h2>Provenance</h2>")
    prov_table = pd.DataFrame([{k: v for k, v in p.items() if k != "packages"} for p in prov])
    parts.append(_table(prov_table))
    packages = pd.DataFrame({p["scenario"]: p["packages"] for p in prov})
    if len(packages):
        parts += ["<p>Package versions:</p>", _table(packages, index=True)]
    dirty = [p["scenario"] for p in prov if p["git_dirty"]]
    if dirty:
        parts.append(f'<p class="note">Run from a working tree with uncommitted changes: {html.escape(", ".join(dirty))}'
                     "; the commit alone does not reproduce these results.</p>")

    meta = html.escape(json.dumps([{k: p[k] for k in ("scenario", "scenario_hash", "pkosim_version", "git_commit",
                                                      "git_dirty", "root_seed")} for p in prov]), quote=True)
    head = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>pkosim report: {html.escape(names)}'
            f'</title><meta name="generator" content="pkosim {html.escape(", ".join(sorted({b.version for b in batches})))}">'
            f'<meta name="pkosim-provenance" content="{meta}"><style>{CSS}</style></head><body>')
    return head + "\n".join(parts) + "</body></html>\n"


def write_report(dirs, out=None, metrics: Sequence[str] | None = None) -> Path:
    """Write the report atomically to ``out`` (default ``<first batch>/report.html``) and return its path."""
    batches = find_batches(dirs)
    path = Path(out) if out else batches[0].path / "report.html"
    return write_text(path, build_report(batches, metrics))
