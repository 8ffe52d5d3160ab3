"""``pkosim score LEDGER OBSERVED.yaml``: a committed prediction ledger (``pkosim.ledger``) set against what happened.

For every prediction the observed file gives a value for: whether the value falls inside the predicted 50% and 90%
intervals, the weighted interval score (``analysis.scoring``, Bracher et al. 2021: lower is better, in the unit of
the quantity), and the same score for a naive baseline, the 2014-2020 mean of that quantity from the calibration's
observed record (``--targets``), where the record has it: hostile deaths and fatal incidents per year. The baseline
is a point forecast, so its score is its absolute error; over a window shorter than its calendar year (the 2023
withdrawal's July-December) the mean is scaled to the window's days. Written as Markdown and HTML (``--out``).

The observed file (docs/ledger.md)::

    description: where the values come from (optional)
    observed:
      2021.hostile_deaths: {value: 12, range: [11, 14], source: "..."}   # range is optional
      2023.kidal_to_gao.transit_days: {value: 3, source: "...", note: "..."}

Its keys are the ledger's prediction ids; an id the ledger does not have is an error (with the closest id).
"""

from __future__ import annotations

import argparse
import difflib
import math
from datetime import date
from pathlib import Path

import pandas as pd
from pydantic import Field, model_validator

from analysis.scoring import wis_parts
from pkosim.ledger import Ledger, Prediction, load_ledger
from sim.errors import PkosimError, ScenarioError
from sim.parameters import StrictModel

DEFAULT_TARGETS = Path("scenarios/calibration/targets_mali_2014_2020.yaml")
DEFAULT_OUT = Path("results/score")
ALPHAS = {"interval_50": 0.5, "interval_90": 0.1}
# quantity -> (what the record calls it, its values by year from the targets file)
BASELINES = {
    "hostile_deaths": ("hostile deaths per year 2014-2020", lambda targets: targets.hostile_deaths_per_year.values),
    "fatal_incidents": ("fatal incidents per year 2014-2020", lambda targets: targets.fatal_incidents_per_year.values),
}
MARKDOWN_TITLE = "# Prediction score"


class ObservedValue(StrictModel):
    value: float = Field(..., description="What happened, in the prediction's unit and over its window.")
    range: tuple[float, float] | None = Field(None, description="Plausible [low, high] when sources disagree.")
    source: str = Field(..., min_length=1, description="Where the value comes from.")
    note: str = ""

    @model_validator(mode="after")
    def _in_range(self) -> ObservedValue:
        if self.range is not None:
            low, high = self.range
            if not low <= self.value <= high:
                raise ValueError(f"value {self.value} is outside its range [{low}, {high}]")
        return self


class Observed(StrictModel):
    description: str = ""
    observed: dict[str, ObservedValue] = Field(..., min_length=1, description="Ledger prediction id -> value.")


def load_observed(path: Path | str, ledger: Ledger) -> Observed:
    """Read and validate an observed file against the ledger's prediction ids (one located line per problem)."""
    from sim.scenario.loader import load_input, problem_at

    observed, document = load_input(Observed, Path(path))
    problems = []
    for key in observed.observed:
        if key not in ledger.predictions:
            close = difflib.get_close_matches(key, list(ledger.predictions), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(problem_at(document, ("observed", key), f"not a prediction of the ledger{hint}"))
    if problems:
        raise ScenarioError(problems)
    return observed


def baseline(key: str, prediction: Prediction, targets) -> tuple[float, str] | None:
    """The naive forecast of a prediction: the 2014-2020 mean of its quantity, scaled to its window's days when
    the window is shorter than its calendar year; None when the record does not have the quantity."""
    quantity = key.split(".", 1)[1]
    if quantity not in BASELINES:
        return None
    what, values = BASELINES[quantity]
    record = values(targets)
    mean = sum(record.values()) / len(record)
    year = prediction.window.start.year
    days = (prediction.window.end - prediction.window.start).days + 1
    year_days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    return mean * days / year_days, f"mean of {len(record)} years' {what}" + (
        f", x {days}/{year_days} days" if days < year_days else "")


def score(ledger: Ledger, observed: Observed, targets) -> pd.DataFrame:
    """One row per observed prediction: the value, the prediction, inside or not, WIS and the baseline's."""
    rows = []
    for key, p in ledger.predictions.items():
        seen = observed.observed.get(key)
        if seen is None:
            continue
        y = seen.value
        parts = wis_parts(y, p.median, {ALPHAS[name]: getattr(p, name) for name in ALPHAS})
        naive = baseline(key, p, targets)
        rows.append({
            "id": key, "label": p.label, "unit": p.unit, "observed": y,
            "observed_low": seen.range[0] if seen.range else math.nan,
            "observed_high": seen.range[1] if seen.range else math.nan, "source": seen.source,
            "median": p.median, "low_50": p.interval_50[0], "high_50": p.interval_50[1],
            "low_90": p.interval_90[0], "high_90": p.interval_90[1],
            "inside_50": p.interval_50[0] <= y <= p.interval_50[1],
            "inside_90": p.interval_90[0] <= y <= p.interval_90[1],
            **parts,
            "baseline": naive[0] if naive else math.nan, "baseline_how": naive[1] if naive else "",
            "baseline_wis": abs(y - naive[0]) if naive else math.nan,
        })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------- the report

def _verdict(table: pd.DataFrame) -> list[str]:
    n = len(table)
    lines = [f"Inside the 50% interval: {int(table['inside_50'].sum())} of {n} (a well-calibrated forecast: about "
             f"half); inside the 90% interval: {int(table['inside_90'].sum())} of {n} (about nine in ten)."]
    with_baseline = table[table["baseline_wis"].notna()]
    if len(with_baseline):
        better = int((with_baseline["wis"] < with_baseline["baseline_wis"]).sum())
        lines.append(f"Against the naive baseline (the 2014-2020 mean): the model's weighted interval score is lower "
                     f"(better) for {better} of the {len(with_baseline)} observed quantities that have one.")
    return lines


def display(table: pd.DataFrame) -> pd.DataFrame:
    from analysis.summary import fmt

    def observed(r):
        text = fmt(r["observed"])
        return text + (f" [{fmt(r['observed_low'])}, {fmt(r['observed_high'])}]" if not math.isnan(r["observed_low"])
                       else "")

    records = table.to_dict("records")
    return pd.DataFrame({
        "quantity": [r["id"] for r in records],
        "unit": [r["unit"] for r in records],
        "observed": [observed(r) for r in records],
        "median": [fmt(r["median"]) for r in records],
        "50% interval": [f"{fmt(r['low_50'])} - {fmt(r['high_50'])}" for r in records],
        "90% interval": [f"{fmt(r['low_90'])} - {fmt(r['high_90'])}" for r in records],
        "in 50%": ["yes" if r["inside_50"] else "no" for r in records],
        "in 90%": ["yes" if r["inside_90"] else "no" for r in records],
        "WIS": [fmt(r["wis"]) for r in records],
        "baseline": [fmt(r["baseline"]) for r in records],
        "baseline WIS": [fmt(r["baseline_wis"]) for r in records],
    }, columns=["quantity", "unit", "observed", "median", "50% interval", "90% interval", "in 50%", "in 90%", "WIS",
                "baseline", "baseline WIS"])


def context(ledger: Ledger, ledger_path: Path, observed: Observed, observed_path: Path, table: pd.DataFrame,
            targets_path: Path) -> dict:
    """What both the Markdown and the HTML say."""
    from sim.calibration.posterior import sha256_of

    commit = ledger.git.commit or "unknown"
    not_observed = [k for k in ledger.predictions if k not in observed.observed]
    no_baseline = list(dict.fromkeys(k.split(".", 1)[1] for k in ledger.predictions
                                     if k.split(".", 1)[1] not in BASELINES))
    return {
        "ledger": str(ledger_path), "observed_file": str(observed_path), "description": observed.description,
        "provenance": [
            f"Ledger {ledger_path}: written {ledger.written:%Y-%m-%d %H:%M} UTC at commit {commit}"
            + (" (with uncommitted changes)" if ledger.git.dirty else "") + f", pkosim {ledger.pkosim_version}.",
            f"Posterior {ledger.posterior.file} (SHA-256 {ledger.posterior.sha256[:12]}; draws "
            f"{ledger.posterior.draws_file}, {ledger.posterior.draws} draws, SHA-256 "
            f"{ledger.posterior.draws_sha256[:12]}); {ledger.replications} replications, root seed {ledger.root_seed}.",
            "Scenarios: " + "; ".join(f"{name} ({s.window.start} to {s.window.end}, hash {s.hash[:12]})"
                                      for name, s in ledger.scenarios.items()) + ".",
            f"Observed values: {observed_path}" + (f" ({observed.description.strip()})" if observed.description else "")
            + f"; baseline record: {targets_path} (SHA-256 {sha256_of(targets_path)[:12]}).",
        ],
        "verdict": _verdict(table) if len(table) else ["No prediction of the ledger is observed in the file."],
        "table": display(table),
        "sources": [(r["id"], r["source"]) for r in table.to_dict("records")],
        "not_observed": not_observed,
        "no_baseline": no_baseline,
    }


def to_markdown(ctx: dict) -> str:
    from analysis.summary import to_markdown as table_markdown

    lines = [f"{MARKDOWN_TITLE}: {ctx['ledger']}", "", *[f"- {p}" for p in ctx["provenance"]], "",
             *ctx["verdict"], "",
             "WIS: the weighted interval score of the median and the 50% and 90% intervals (Bracher et al. 2021, "
             "PLOS Comput Biol): lower is better, in the quantity's unit. The baseline is a point forecast (the "
             "2014-2020 mean), so its WIS is its absolute error.", ""]
    lines.append(table_markdown(ctx["table"]))
    if ctx["sources"]:
        lines += ["Sources of the observed values:", "", *[f"- `{k}`: {s}" for k, s in ctx["sources"]], ""]
    if ctx["no_baseline"]:
        lines += ["No baseline (the 2014-2020 record in the targets file does not have these quantities): "
                  + ", ".join(ctx["no_baseline"]) + ".", ""]
    if ctx["not_observed"]:
        lines += ["Not observed (not in the observed file): " + ", ".join(ctx["not_observed"]) + ".", ""]
    return "\n".join(lines)


def to_html(ctx: dict) -> str:
    from analysis import html

    return html.render("score.html.j2", title=f"Prediction score: {ctx['ledger']}", ctx=ctx,
                       table=html.table(ctx["table"], numeric=("observed", "median", "50% interval", "90% interval",
                                                               "WIS", "baseline", "baseline WIS")))


def write_score(ledger_path: Path, observed_path: Path, *, targets_path: Path = DEFAULT_TARGETS,
                out: Path = DEFAULT_OUT) -> tuple[pd.DataFrame, dict[str, Path], str]:
    """Score the ledger against the observed file; write ``score.md`` and ``score.html`` into ``out``."""
    from analysis.io import check_target, write_text
    from sim.calibration.targets import load_targets

    ledger_path, observed_path, targets_path, out = map(Path, (ledger_path, observed_path, targets_path, out))
    for what, path in (("ledger", ledger_path), ("observed file", observed_path), ("--targets", targets_path)):
        if not path.is_file():
            raise PkosimError(f"{path}: {what} not found")
    if out.exists() and not out.is_dir():
        raise PkosimError(f"--out {out}: is a file; --out names a folder")
    ledger = load_ledger(ledger_path)
    observed = load_observed(observed_path, ledger)
    targets = load_targets(targets_path)
    table = score(ledger, observed, targets)
    ctx = context(ledger, ledger_path, observed, observed_path, table, targets_path)
    markdown, page = to_markdown(ctx), to_html(ctx)
    out.mkdir(parents=True, exist_ok=True)
    check_target(out / "score.html", page.encode())  # both files or neither
    paths = {"md": write_text(out / "score.md", markdown), "html": write_text(out / "score.html", page)}
    return table, paths, markdown


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("score", help="set a prediction ledger against observed values: inside the 50%%/90%% "
                              "intervals, weighted interval score, naive baseline (docs/ledger.md)")
    p.add_argument("ledger", metavar="LEDGER", help="a ledger written by pkosim predict")
    p.add_argument("observed", metavar="OBSERVED.yaml", help="observed values (format in docs/ledger.md)")
    p.add_argument("--targets", default=str(DEFAULT_TARGETS), metavar="FILE",
                   help="the 2014-2020 record the baseline is the mean of")
    p.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR", help="where score.md and score.html go")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    _table, paths, markdown = write_score(Path(args.ledger), Path(args.observed), targets_path=Path(args.targets),
                                          out=Path(args.out))
    print(markdown)
    print(f"wrote {paths['md']} and {paths['html']}")
    return 0
