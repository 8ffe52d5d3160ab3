"""Headline findings: one plain sentence per counterfactual, generated from a paired comparison.

A report opens with these sentences so that a reader has the answer in 30 seconds. They are built from the
whole-run rows of ``analysis.compare.compare`` by fixed, documented rules (README, "Reading a report"):

- The sentence leads with ``LEAD`` (hostile deaths): "2.1 fewer peacekeepers killed per year (95% CI 0.65 to
  3.5)". Counts are annual rates; for a window shorter than a year (the 2023 withdrawal) they are totals over the
  window instead ("over the 184-day window"). Shares are in percentage points, means in their unit.
- An effect is *clear* when its 95% confidence interval excludes zero. Otherwise the sentence says "no clear
  effect", with the interval; never a bare number that looks like a result.
- *No effect*: every paired replication gave exactly the same value, so the change does not reach the metric.
- "mostly through ...": added to a clear effect on deaths when one part of it (deaths of wounds or killed in action;
  or one cause: IEDs, ambushes, indirect fire, complex attacks) has the same sign, a clear interval of its own and
  at least ``MOSTLY_SHARE`` of the total difference.
- Up to ``MAX_OTHERS`` other clear effects follow, in the order of ``OTHER_METRICS``.
- Caveats (``caveats``): fewer than ``MIN_REPLICATIONS`` paired replications, failed runs, calibration targets the
  model misses, a window outside the calibration window (the last two are given by the caller), and which kind of
  interval is shown (``intervals_caveat``): chance only (replications with fixed parameters) or chance and parameter
  uncertainty (replication k ran with posterior draw k), from each batch's scenario.

Everything here is a pure function of the comparison table, unit-tested on synthetic tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import pandas as pd

from analysis.metrics import DEATH_CAUSES, metric
from analysis.summary import ALL

LEAD = "hostile_deaths"
WOUND_SPLIT = ("died_of_wounds", "killed_in_action")
OTHER_METRICS = ("wounded", "medevac_within_2h_share", "ied_detonated", "convoys_attacked", "fatal_incidents",
                 "tonnage_delivered", "coverage")
# Metrics a comparison needs for the sentences (the lead, its parts, and the others).
HEADLINE_METRICS = (LEAD, *WOUND_SPLIT, *DEATH_CAUSES, *OTHER_METRICS)
MOSTLY_SHARE = 0.6
MAX_OTHERS = 2
MIN_REPLICATIONS = 30
SHORT_WINDOW_DAYS = 365  # below this, counts are given as totals over the window
DAYS_PER_YEAR = 365.25

# Plain words for the metrics a sentence names; other metrics use their label from analysis.metrics.
NOUNS = {
    "hostile_deaths": "peacekeepers killed",
    "wounded": "peacekeepers wounded",
    "fatal_incidents": "fatal incidents",
    "ied_detonated": "IED detonations",
    "convoys_attacked": "convoys attacked",
    "tonnage_delivered": "tonnes delivered",
    "medevac_within_2h_share": "share of wounded in surgery within 2 hours",
    "medevac_within_1h_share": "share of wounded in surgery within 1 hour",
    "coverage": "hotspot coverage",
}
PARTS = {
    "died_of_wounds": "{more_fewer} deaths of wounds",
    "killed_in_action": "{more_fewer} killed in action",
    "deaths_ied": "in IED strikes",
    "deaths_ambush": "in ambushes",
    "deaths_indirect_fire": "by indirect fire",
    "deaths_complex_attack": "in complex attacks on camps",
}


@dataclass(frozen=True)
class Finding:
    """One counterfactual's headline: ``sentence`` is plain text; ``clear`` says whether the lead effect is clear."""

    scenario: str
    baseline: str
    subject: str
    sentence: str
    clear: bool
    identical: bool
    notes: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------- effect wording

def negligible(value: float, reference: float) -> bool:
    """``value`` is rounding noise next to ``reference`` (e.g. the spread of a metric that never varies)."""
    return not math.isnan(value) and abs(value) <= 1e-9 * max(abs(reference), 1e-6)


def _reference(row) -> float:
    return max(abs(row.get("mean_baseline", 0.0) or 0.0), abs(row.get("mean_scenario", 0.0) or 0.0))


def is_constant(row) -> bool:
    """Every paired replication differs by the same amount (no spread at all)."""
    return bool(row["n_pairs"] > 1 and negligible(row.get("sd_diff", math.nan), _reference(row)))


def is_identical(row) -> bool:
    """Every paired replication gave the same value: no effect at all, not a small one."""
    return is_constant(row) and negligible(row["diff"], _reference(row))


def is_clear(row) -> bool:
    """The confidence interval excludes zero (or every replication moved by the same non-zero amount)."""
    if is_identical(row):
        return False
    if is_constant(row):
        return True
    low, high = row["ci_low"], row["ci_high"]
    if math.isnan(low) or math.isnan(high):
        return False
    return low > 0 or high < 0


def _noun(name: str) -> str:
    return NOUNS.get(name, metric(name).label[0].lower() + metric(name).label[1:])


def _scale(name: str, window_days: float | None) -> tuple[float, str]:
    """(factor, period words) for a metric's whole-run value: counts are per year, or totals over a short window."""
    meta = metric(name)
    if meta.agg != "sum":
        return 1.0, ""
    if window_days is not None and window_days < SHORT_WINDOW_DAYS:
        return window_days / DAYS_PER_YEAR, f"over the {window_days:.0f}-day window"
    return 1.0, "per year"


def effect_text(row, window_days: float | None = None) -> str:
    """The effect in words, with its interval: '2.1 fewer peacekeepers killed per year (95% CI 0.65 to 3.5)',
    'no clear effect on ...', 'no effect on ...: the same in every replication'."""
    name = row["metric"]
    meta = metric(name)
    noun = _noun(name)
    if is_identical(row):
        return f"no effect on {noun}: the same in every replication"
    factor, period = _scale(name, window_days)
    share = meta.unit.startswith("share")
    unit = " percentage points" if share else "" if meta.agg == "sum" else f" {meta.unit}"
    k = factor * (100 if share else 1)
    diff, low, high = row["diff"] * k, row["ci_low"] * k, row["ci_high"] * k
    if math.isnan(low) or math.isnan(high):
        return f"too few replications to tell an effect on {noun} ({int(row['n_pairs'])} pair)"
    period_text = f" {period}" if period else ""
    if not is_clear(row):
        return f"no clear effect on {noun} ({_signed(diff)}{unit}{period_text}, {interval(low, high, signed=True)})"
    lo, hi = sorted((abs(low), abs(high)))
    spread = "the same in every replication" if is_constant(row) else interval(lo, hi)
    if meta.agg == "sum" and not share:
        more = "more" if diff > 0 else "fewer"
        return f"{fmt(abs(diff))} {more} {noun}{period_text} ({spread})"
    direction = "up" if diff > 0 else "down"
    return f"{noun} {direction} {fmt(abs(diff))}{unit}{period_text} ({spread})"


def fmt(value: float, digits: int = 2) -> str:
    """Numbers for a spoken sentence: ``digits`` significant figures ('2.3', '0.58', '16', '71,000')."""
    a = abs(value)
    if a == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")
    decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
    return f"{rounded:,.{decimals}f}"


def interval(low: float, high: float, signed: bool = False) -> str:
    """'95% CI 1.2 to 3.4', with as many figures as it takes to tell the bounds apart (at most four)."""
    show = _signed if signed else fmt
    for digits in (2, 3, 4):
        a, b = show(low, digits), show(high, digits)
        if a != b:
            break
    return f"95% CI {a} to {b}"


def _signed(value: float, digits: int = 2) -> str:
    return ("+" if value > 0 else "") + fmt(value, digits)


def mechanism(rows: pd.DataFrame, lead) -> list[str]:
    """Parts of a clear effect on deaths that carry most of it ('through fewer deaths of wounds', 'in ambushes')."""
    if lead["metric"] != LEAD or not is_clear(lead) or lead["diff"] == 0:
        return []
    parts = []
    for group in (WOUND_SPLIT, DEATH_CAUSES):
        best = None
        for name in group:
            match = rows[rows["metric"] == name]
            if match.empty:
                continue
            row = match.iloc[0]
            share = row["diff"] / lead["diff"]
            if share >= MOSTLY_SHARE and is_clear(row) and (best is None or share > best[1]):
                best = (name, share)
        if best is not None:
            text = PARTS[best[0]].format(more_fewer="more" if lead["diff"] > 0 else "fewer")
            parts.append(("through " if best[0] in WOUND_SPLIT else "") + text)
    return parts


# ---------------------------------------------------------------------------------------------------- findings

def humanise(name: str) -> str:
    """'cf_barkhane_stays' -> 'Barkhane stays' (used when a scenario has no description)."""
    words = name.removeprefix("cf_").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def subject_of(name: str, description: str | None) -> str:
    """The scenario in plain words: the first sentence of its description, else its humanised name."""
    text = " ".join((description or "").split())
    if not text:
        return humanise(name)
    first = text.split(". ")[0].rstrip(".")
    return first


def finding(rows: pd.DataFrame, *, description: str | None = None, window_days: float | None = None) -> Finding:
    """The headline of one counterfactual from its whole-run comparison rows (one row per metric)."""
    rows = rows[rows["year"] == ALL] if "year" in rows else rows
    scenario, baseline = str(rows["scenario"].iloc[0]), str(rows["baseline"].iloc[0])
    by_metric = {r["metric"]: r for r in rows.to_dict("records")}
    lead = by_metric.get(LEAD) or rows.iloc[0].to_dict()
    text = effect_text(lead, window_days)
    parts = mechanism(rows, lead)
    if parts:
        text += ", mostly " + " and ".join(parts)
    others = [by_metric[m] for m in OTHER_METRICS if m in by_metric and m != lead["metric"] and is_clear(by_metric[m])]
    others = [effect_text(r, window_days) for r in others[:MAX_OTHERS]]
    if others:
        joiner = "; clear effects: " if not is_clear(lead) else "; also "
        text += joiner + " and ".join(others)
    notes = []
    n = int(lead["n_pairs"])
    if 0 < n < MIN_REPLICATIONS:
        notes.append(f"{n} paired replications")
    sentence = text[:1].upper() + text[1:] + "."
    return Finding(scenario, baseline, subject_of(scenario, description), sentence, is_clear(lead),
                   is_identical(lead), tuple(notes))


def headline_findings(comparison: pd.DataFrame, *, descriptions: dict[str, str] | None = None,
                      window_days: dict[str, float] | float | None = None) -> list[Finding]:
    """One ``Finding`` per scenario compared, in the table's order. ``window_days``: the run window in days (one
    number, or per scenario), to give counts over a short window as totals."""
    whole = comparison[comparison["year"] == ALL]
    out = []
    for scenario in dict.fromkeys(whole["scenario"]):
        days = window_days.get(scenario) if isinstance(window_days, dict) else window_days
        out.append(finding(whole[whole["scenario"] == scenario], description=(descriptions or {}).get(scenario),
                           window_days=days))
    return out


def levels(summary: pd.DataFrame, window_days: float | None = None) -> list[str]:
    """For a report on one scenario (nothing to compare with): the level of the lead metrics, with the confidence
    interval of the mean, from the whole-run rows of ``analysis.summary.summarize``."""
    out = []
    whole = summary[summary["year"] == ALL] if "year" in summary else summary
    for scenario in dict.fromkeys(whole["scenario"]):
        parts = []
        for name in (LEAD, "wounded"):
            match = whole[(whole["scenario"] == scenario) & (whole["metric"] == name)]
            if match.empty:
                continue
            r = match.iloc[0]
            factor, period = _scale(name, window_days)
            spread = ("the same in every replication" if r["n"] > 1 and negligible(r["sd"], r["mean"]) else
                      interval(r["ci_low"] * factor, r["ci_high"] * factor))
            parts.append(f"{fmt(r['mean'] * factor)} {_noun(name)} {period} ({spread})")
        if parts:
            n = int(whole[whole["scenario"] == scenario]["n"].max())
            out.append(f"{scenario}: " + " and ".join(parts) + f", mean over {n} replications.")
    return out


# ------------------------------------------------------------------------------------------- kinds of interval

CHANCE_ONLY = "chance only"
WITH_PARAMETERS = "chance and parameter uncertainty"


def _sources(posteriors: Mapping[str, dict | None]) -> dict[str, list[str]]:
    """Scenarios by the posterior they drew from ('' for none), keyed by a short description of the posterior."""
    out: dict[str, list[str]] = {}
    for name, posterior in posteriors.items():
        key = (f"{posterior.get('draws')} draws from {posterior.get('file')}, draws SHA-256 "
               f"{str(posterior.get('draws_sha256'))[:12]}" if posterior else "")
        out.setdefault(key, []).append(name)
    return out


def interval_kind(posteriors: Mapping[str, dict | None]) -> str:
    """What the intervals of these batches include, in a few words for a table's header: chance only, chance and
    parameter uncertainty, or which scenarios are which. ``posteriors``: scenario -> its posterior (the summary
    ``analysis.results.Batch.posterior`` gives) or None."""
    sources = _sources(posteriors)
    if set(sources) == {""}:
        return f"{CHANCE_ONLY} (replications with fixed parameters)"
    if len(sources) == 1:
        size = next(iter(posteriors.values()))["draws"]
        return f"{WITH_PARAMETERS} (replication k: posterior draw k of {size}, seed k)"
    parts = [f"{', '.join(names)} " + (WITH_PARAMETERS if key else CHANCE_ONLY) for key, names in sources.items()]
    return "mixed: " + "; ".join(parts) + (" (different posteriors)" if "" not in sources else "")


def intervals_caveat(posteriors: Mapping[str, dict | None]) -> str:
    """The same as a sentence for the caveats: what the intervals include (and from which posterior) and, when the
    batches differ, why a paired difference between them mixes the change with a change of parameters."""
    sources = _sources(posteriors)
    if set(sources) == {""}:
        return ("Intervals show chance only: the replications differ by their random numbers, with the parameters "
                "fixed at their calibrated values; the uncertainty left in those values is not included.")
    if len(sources) == 1:
        return (f"Intervals include chance and parameter uncertainty: replication k of every scenario ran with "
                f"posterior draw k and seed k ({next(iter(sources))}).")
    described = "; ".join(f"{', '.join(names)}: " + (f"{WITH_PARAMETERS} ({key})" if key else CHANCE_ONLY)
                          for key, names in sources.items())
    return (f"Intervals are of different kinds ({described}): a paired difference between scenarios that do not "
            "share their posterior mixes the change with a change of parameters.")


def caveats(comparison: pd.DataFrame | None, *, failed_runs: int = 0, calibration_missed: Sequence[str] = (),
            calibration_targets: int | None = None, extra: Iterable[str] = (),
            intervals: str | None = None) -> list[str]:
    """Report-wide caveats, most important first; ``intervals`` (``intervals_caveat``) comes last."""
    out = []
    if calibration_missed:
        of = f" of {calibration_targets}" if calibration_targets else ""
        out.append(f"The model misses {len(calibration_missed)}{of} calibration targets "
                   f"({'; '.join(calibration_missed)}): read levels with care; paired differences between scenarios "
                   "are more robust than the levels themselves.")
    out.extend(extra)
    if comparison is not None and len(comparison):
        n = int(comparison["n_pairs"].min())
        if n < MIN_REPLICATIONS:
            out.append(f"Only {n} paired replications per scenario: the intervals are rough (the rule of thumb here "
                       f"is at least {MIN_REPLICATIONS}; the standard study runs 100).")
    if failed_runs:
        out.append(f"{failed_runs} run(s) failed and are left out (see failures/ in the batch folders).")
    if intervals:
        out.append(intervals)
    return out


def to_markdown(findings: Sequence[Finding], notes: Sequence[str] = ()) -> str:
    """The findings and caveats as Markdown (the top of comparison.md)."""
    lines = ["## Headline findings", ""]
    lines += [f"- **{f.subject}** (`{f.scenario}`): {f.sentence}" for f in findings]
    if notes:
        lines += ["", *[f"> {note}" for note in notes]]
    return "\n".join(lines) + "\n"


def to_text(findings: Sequence[Finding], notes: Sequence[str] = ()) -> str:
    """The findings and caveats for a terminal."""
    if not findings:
        return ""
    lines = [f"Headline findings against {findings[0].baseline}:"]
    lines += [f"- {f.scenario}: {f.sentence}" for f in findings]
    lines += [f"Caveat: {note}" for note in notes]
    return "\n".join(lines) + "\n"
