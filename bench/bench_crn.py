"""How much common random numbers tighten each counterfactual's effect: paired against unpaired intervals.

    .venv/bin/python bench/bench_crn.py [--replications 100] [--workers 2] [--out bench/out/crn]
    .venv/bin/python bench/bench_crn.py --study results/standard_study/latest/batches   # the batches make run wrote

Runs every scenario of the standard study (``scenarios/studies/standard.yaml``) with the study's root seed and the
given replications, then, for each counterfactual against its baseline, compares the width of the paired 95%
interval of the whole-run difference (per year) with the unpaired (Welch) interval on the same runs, for hostile
deaths and wounded. ``narrower`` = 1 - paired width / Welch width: 0.7 means the paired interval is 70% narrower.
With 100 replications that figure is itself uncertain (a few large incidents weigh a lot): the table gives its 90%
bootstrap interval over replications (1,000 resamples of the pairs); the measurement of record in
docs/performance.md uses ``--replications 300`` (about 50 minutes on 2 cores).
The counterfactuals that change one subsystem are marked: for them the paired interval should be at least 70%
narrower (issue 10's goal). Results go to docs/performance.md by hand (with date and machine).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from analysis import stats  # noqa: E402
from analysis.compare import compare  # noqa: E402
from analysis.results import find_batches  # noqa: E402
from analysis.summary import ALL, run_values  # noqa: E402
from pkosim.study import DEFAULT_STUDY, load_study  # noqa: E402
from sim.runner import run_batch  # noqa: E402

METRICS = ("hostile_deaths", "wounded")
RESAMPLES = 1000
# Counterfactuals whose change touches one subsystem (air support, contingent profiles, host state, convoys).
ONE_SUBSYSTEM = {"cf_minusma_drones", "cf_barkhane_stays", "cf_minusma_attack_helicopters", "cf_cied_training",
                 "cf_no_flight_refusals", "cf_larger_escorted_convoys"}


def narrowing_interval(baseline_dir: Path, scenario_dir: Path, name: str, level: float = 0.90) -> tuple[float, float]:
    """Bootstrap interval of ``narrower`` for one metric: the replications (pairs) resampled with replacement."""
    values = []
    for directory in (baseline_dir, scenario_dir):
        batch, = find_batches([directory])
        v = run_values(batch, [name])
        values.append(v[v["year"] == ALL].sort_values(["point", "run"])["value"].to_numpy())
    a, b = values
    rng = np.random.default_rng(0)
    found = []
    for _ in range(RESAMPLES):
        i = rng.integers(len(a), size=len(a))
        p, w = stats.paired_difference(a[i], b[i]), stats.welch_difference(a[i], b[i])
        found.append(1 - (p["ci_high"] - p["ci_low"]) / (w["ci_high"] - w["ci_low"]))
    low, high = np.nanpercentile(found, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "crn")
    parser.add_argument("--study", type=Path, metavar="DIR",
                        help="read the batches of a standard study (its batches/ folder) instead of running them")
    args = parser.parse_args()
    study, groups, files = load_study(ROOT / DEFAULT_STUDY)
    started = time.monotonic()
    if args.study:
        directory = {s.name: args.study / s.name for base, alts in groups for s in (base, *alts)}
    else:
        if args.out.exists():
            shutil.rmtree(args.out)
        paths = [p for base, alts in files for p in (base, *alts)]
        results = run_batch(paths, args.out, replications=args.replications, seed=study.seed,
                            workers=args.workers, quiet=True)
        directory = {r.scenario: r.directory for r in results}
    rows = []
    for baseline, alternatives in groups:
        table = compare([directory[baseline.name]] + [directory[a.name] for a in alternatives], list(METRICS))
        for row in table[table["year"] == "all"].itertuples():
            low, high = narrowing_interval(directory[row.baseline], directory[row.scenario], row.metric)
            rows.append((row.scenario, row.baseline, row.metric, row.diff, row.ci_high - row.ci_low,
                         row.welch_ci_high - row.welch_ci_low, row.narrowing, low, high))
    source = f"batches of {args.study}" if args.study else f"{args.replications} replications per scenario"
    print(f"{source}, {time.monotonic() - started:.0f} s\n")
    print("| counterfactual | baseline | metric | effect per year | paired CI width | unpaired CI width | narrower "
          "| 90% bootstrap |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for scenario, baseline, metric, diff, paired, welch, narrowing, low, high in rows:
        mark = " (one subsystem)" if scenario in ONE_SUBSYSTEM else ""
        print(f"| `{scenario}`{mark} | `{baseline}` | {metric} | {diff:+.2f} | {paired:.2f} | {welch:.2f} | "
              f"{narrowing:.1%} | {low:.0%}-{high:.0%} |")


if __name__ == "__main__":
    main()
