"""A fit's report: the optuna fit's best trial, or an ABC-SMC posterior and its predictive check.

``fit_page(result)`` (optuna) and ``abc_page(result, check)`` (ABC-SMC) are the report as plain data of one shape:
a title, a one-line ``headline`` (how many targets are met) with a ``summary``, ``provenance`` pairs, and
``sections`` (a heading, a table in the shape of the report templates' ``table`` macro, a note, a figure file).
``write_markdown`` writes it as ``calibration_report.md``; ``pkosim calibrate`` renders the same page as
``calibration_report.html`` from the report templates (``analysis/templates/``; ``sim`` never imports
``analysis``). The rows are the observed-vs-simulated table's (``sim.calibration.report``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.calibration.report import (RULES, TARGET_HEADER, YEAR_HEADER, fmt, headline, markdown_table, not_met,
                                    table_data, target_rows, year_rows)
from sim.calibration.targets import RANGE
from sim.files import atomic_write_text


def fit_page(result) -> dict:
    """The optuna fit's report as plain data (see ``report_markdown``): the best trial's observed against
    simulated, led by how many targets it meets."""
    calibration, table = result.calibration, result.table
    fitted = [[path, _prior_range(calibration.parameters.get(path)), f"{value:.4g}"]
              for path, value in result.best_values.items()]
    return {
        "title": "Calibration: observed against simulated",
        "subtitle": "The best trial of an optuna fit set against the observed record, target by target.",
        "headline": headline(table),
        "summary": _not_met_line(table) + [f"Best trial {result.best.number + 1} of {calibration.trials}: objective "
                                           f"{result.objective:.4g}."],
        "provenance": [("calibration file", str(calibration.file or "(built in Python)")),
                       ("scenario", calibration.scenario.name),
                       ("trials", f"{calibration.trials} x {calibration.replications} replications "
                                  f"(TPE seed {calibration.seed})"),
                       ("best trial's batch", str(result.best.directory))],
        "sections": [
            _section("fitted", "Fitted values",
                     table_data(["parameter", "prior", "fitted value"], fitted, {"fitted value"})),
            _section("targets", "Targets over the whole window",
                     table_data(TARGET_HEADER, target_rows(table), {"observed", "z", "weight"})),
            _section("years", "Per year",
                     table_data(YEAR_HEADER, year_rows(table), {h for h in YEAR_HEADER if h.endswith("observed")}),
                     note=RULES),
        ],
    }


def write_trials(result, out_dir: Path | str) -> Path:
    """Every trial of the fit (number, objective, values, time) as ``trials.csv`` in ``out_dir``."""
    trials = pd.DataFrame([{"trial": r.number + 1, "objective": r.objective, **r.values, "elapsed_s": r.elapsed_s}
                           for r in result.trials])
    path = Path(out_dir) / "trials.csv"
    atomic_write_text(path, trials.to_csv(index=False))
    return path


def _not_met_line(table: pd.DataFrame) -> list[str]:
    missed = not_met(table)
    return [f"Not met: {'; '.join(missed)}."] if missed else []


def _prior_range(prior) -> str:
    return "-" if prior is None else f"{fmt(prior.low)}-{fmt(prior.high)}{' (log)' if prior.log else ''}"


def _section(anchor: str, heading: str, table: dict, *, note: str = "", figure: dict | None = None) -> dict:
    """One titled part of a report page: a table, then an optional note and figure (``{"file", "caption"}``: a PNG
    written beside the report)."""
    return {"id": anchor, "heading": heading, "table": table, "note": note, "figure": figure}


def report_markdown(page: dict) -> str:
    """A fit's report page (``fit_page``, ``abc_page``) as the Markdown document ``calibration_report.md``,
    headline first; ``pkosim calibrate`` renders the same page as ``calibration_report.html``."""
    lines = [f"# {page['title']}", "", f"**{page['headline']}**", "", " ".join(page["summary"]), ""]
    lines += [f"- {name}: {value}" for name, value in page["provenance"]] + [""]
    for section in page["sections"]:
        table = section["table"]
        lines += [f"## {section['heading']}", "", markdown_table(table["columns"], table["rows"]), ""]
        if section["note"]:
            lines += [section["note"], ""]
        if section["figure"]:
            lines += [f"![{section['figure']['caption']}]({section['figure']['file']})", ""]
    return "\n".join(lines)


def write_markdown(page: dict, out_dir: Path | str) -> Path:
    """``calibration_report.md`` in ``out_dir``; return its path."""
    path = Path(out_dir) / "calibration_report.md"
    atomic_write_text(path, report_markdown(page))
    return path


def predictive_table(check) -> pd.DataFrame:
    """A posterior predictive check in the columns of the observed-vs-simulated table (``year`` empty)."""
    t = check.table
    return pd.DataFrame({"target": t["target"], "label": t["label"], "year": pd.array([pd.NA] * len(t), dtype="Int64"),
                         "observed": t["observed"], "observed_low": t["observed_low"],
                         "observed_high": t["observed_high"], "rule": t["rule"], "weight": 1.0,
                         "sim_mean": t["predictive_median"], "sim_p05": t["predictive_p05"],
                         "sim_p95": t["predictive_p95"], "z": math.nan, "met": t["inside"]})


def predictive_figure(check, path: Path | str) -> Path:
    """Observed against the posterior predictive 90% interval, one row per pattern, each on its own scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = check.table.reset_index(drop=True)
    fig, axes = plt.subplots(len(t), 1, figsize=(8, 0.55 * len(t) + 1.2), squeeze=False)
    for ax, row in zip(axes[:, 0], t.to_dict("records")):
        ax.plot([row["predictive_p05"], row["predictive_p95"]], [0, 0], color="#4477aa", lw=6, alpha=0.6,
                solid_capstyle="butt", label="posterior predictive 90% interval")
        ax.plot(row["predictive_median"], 0, "|", color="#224466", ms=14, mew=2, label="predictive median")
        if row["rule"] == RANGE:
            ax.axvspan(row["observed_low"], row["observed_high"], color="#ee7733", alpha=0.25, label="observed range")
        else:
            ax.plot(row["observed"], 0, "o", color="#ee7733", ms=7, label="observed")
        ax.set_yticks([])
        ax.set_ylabel(textwrap_label(row["label"]), rotation=0, ha="right", va="center", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(f"Posterior predictive check: each pattern, observed against {check.draws} posterior draws x "
                 f"{check.replications} runs", fontsize=10)
    fig.text(0.01, 0.005, "Source: UN peacekeeping fatalities, MINUSMA and UNMAS figures (targets file); pkosim",
             fontsize=6, color="#555555")
    fig.tight_layout(rect=(0.0, 0.06, 1.0, 0.95))
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)


def textwrap_label(text: str, width: int = 38) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


PREDICTIVE_FIGURE = "posterior_predictive.png"
GENERATION_HEADER = ["t", "tolerance", "particles simulated", "accepted", "acceptance rate", "effective sample size"]


def _ess_text(generation) -> str:
    ess = getattr(generation, "ess", None)
    return "-" if ess is None or ess != ess else f"{ess:.1f}"


def _ess_line(result) -> list[str]:
    """How many equally weighted particles the posterior is worth, and a warning when that is few."""
    last = result.populations[result.populations["t"] >= 0].tail(1)
    if "ess" not in last or last["ess"].isna().all():
        return []
    ess, size = float(last["ess"].iloc[0]), int(last["particles"].iloc[0])
    warning = (" The posterior rests on few distinct parameter sets: read its intervals as too narrow, and grow the "
               "population or fit fewer parameters." if ess < 0.25 * size else "")
    return [f"Effective sample size of the last generation: {ess:.1f} of {size} particles.{warning}"]


def abc_page(result, check) -> dict:
    """An ABC-SMC fit's report as plain data (see ``report_markdown``): method and runtime, the posterior against
    the priors, the generations, and the posterior predictive check (its figure is ``predictive_figure``, drawn
    beside the report as ``PREDICTIVE_FIGURE``), led by how many targets the predictive check meets."""
    calibration, settings = result.calibration, result.settings
    table = predictive_table(check)
    posterior = []
    for path, prior in calibration.parameters.items():
        low, high = result.interval(path)
        posterior.append([path, _prior_range(prior), fmt(result.point_estimate[path]), f"{fmt(low)}-{fmt(high)}"])
    generations = [[str(int(r.t)), fmt(r.epsilon), str(int(r.samples)), str(int(r.particles)),
                    f"{r.particles / r.samples:.2f}" if r.samples else "-", _ess_text(r)]
                   for r in result.populations.itertuples() if r.t >= 0]
    figure = {"file": PREDICTIVE_FIGURE,
              "caption": f"Each pattern observed against its posterior predictive 90% interval ({check.draws} "
                         f"posterior draws x {check.replications} runs)."}
    return {
        "title": "Calibration: the posterior and its predictive check",
        "subtitle": "An ABC-SMC posterior of the uncertain parameters, and what it predicts against the record.",
        "headline": f"{int(table['met'].sum())} of {len(table)} calibration targets met by the posterior predictive "
                    f"check.",
        "summary": _not_met_line(table) + [
            f"ABC-SMC (pyabc), population {settings.population}, {settings.replications} runs per particle, quantile "
            f"tolerance 0.5: {result.simulations} particles simulated ({result.simulations * settings.replications} "
            f"model runs) in {result.elapsed_s / 60:.1f} minutes."] + _ess_line(result),
        "provenance": [("calibration file", str(calibration.file or "(built in Python)")),
                       ("scenario", calibration.scenario.name)],
        "sections": [
            _section("posterior", "Posterior against prior",
                     table_data(["parameter", "prior", "posterior median", "90% credible interval"], posterior,
                                {"posterior median"}),
                     note="The posterior's weighted median and 90% credible interval; each prior is uniform over its "
                          "range (log: uniform in log space)."),
            _section("generations", "Generations",
                     table_data(GENERATION_HEADER, generations, set(GENERATION_HEADER))),
            _section("predictive", "Posterior predictive check",
                     table_data(["target", "observed", "predictive median [90% interval]", "fit"],
                                [r[:3] + [r[5]] for r in target_rows(table)], {"observed"}), figure=figure),
        ],
    }
