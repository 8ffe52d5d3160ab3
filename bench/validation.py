"""The checks behind docs/validation.md: what the model says where the record can be set against it, and the
simulated distributions of the 2023 withdrawal convoys (no observed 2023 figure is read or written here).

    .venv/bin/python bench/validation.py [--replications 100] [--workers 2] [--out bench/out/validation]
    .venv/bin/python bench/validation.py --study results/standard_study/latest/batches   # what make run wrote

1. History 2014-2020: the spread of hostile deaths between years (simulated sd of the yearly totals against the
   record's) and the died-of-wounds share of hostile deaths against its sourced range.
2. Withdrawal 2023: from convoys.parquet, for the Kidal-to-Gao and Ber-to-Timbuktu withdrawal convoys, the
   distributions of transit days, IEDs met, attacks, wounded and killed (median and 5-95% over convoys and runs).
Prints Markdown; the numbers go to docs/validation.md by hand, with the date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibration.targets import load_targets  # noqa: E402
from sim.runner import run_batch  # noqa: E402

DOW_RANGE = (0.13, 0.50)   # docs/validation.md: Eastridge et al. 2012 (12.7% after reaching care) to Webster et al.
#                            2021 (50% of deaths not immediate, UK Afghanistan)
MOVES = (("Kidal", "Gao"), ("Ber", "Timbuktu"))
COLUMNS = ("transit_days", "ieds_met", "attacks", "wounded", "killed")


def _spread(yearly: pd.DataFrame) -> pd.Series:
    return yearly.groupby("run")["hostile_deaths"].std(ddof=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "validation")
    parser.add_argument("--study", type=Path, metavar="DIR",
                        help="read the history and withdrawal batches of a standard study (its batches/ folder)")
    args = parser.parse_args()
    started = time.monotonic()
    if args.study:
        history_dir, withdrawal_dir = args.study / "history_2014_2020", args.study / "withdrawal_2023"
        args.replications = int(pd.read_parquet(history_dir / "yearly.parquet")["run"].nunique())
    else:
        if args.out.exists():
            shutil.rmtree(args.out)
        history, withdrawal = run_batch([ROOT / "scenarios" / "history_2014_2020.yaml",
                                         ROOT / "scenarios" / "withdrawal_2023.yaml"], args.out,
                                        replications=args.replications, workers=args.workers, quiet=True)
        history_dir, withdrawal_dir = history.directory, withdrawal.directory
    yearly = pd.read_parquet(history_dir / "yearly.parquet")
    observed = load_targets(ROOT / "scenarios" / "calibration" / "targets_mali_2014_2020.yaml")
    record = np.array(list(observed.hostile_deaths_per_year.values.values()), dtype=float)
    spread = _spread(yearly)
    means = yearly.groupby("year")["hostile_deaths"].mean()
    dow = (yearly.groupby("run")["died_of_wounds"].sum() / yearly.groupby("run")["hostile_deaths"].sum())
    print(f"{args.replications} replications, {dt.date.today()}, {time.monotonic() - started:.0f} s\n")
    print("## History 2014-2020\n")
    print(f"- sd of hostile deaths between years: record {record.std(ddof=1):.1f}; simulated median "
          f"{spread.median():.1f} (5-95% {spread.quantile(0.05):.1f}-{spread.quantile(0.95):.1f})")
    print("- mean hostile deaths by year: " + ", ".join(f"{y}: {v:.1f}" for y, v in means.items()))
    print(f"- died-of-wounds share of hostile deaths: median {dow.median():.2f} (5-95% {dow.quantile(0.05):.2f}-"
          f"{dow.quantile(0.95):.2f}); sourced range {DOW_RANGE[0]:.2f}-{DOW_RANGE[1]:.2f}\n")
    convoys = pd.read_parquet(withdrawal_dir / "convoys.parquet")
    convoys = convoys[convoys["purpose"] == "withdrawal"]
    print("## Withdrawal convoys, 2023 (simulated)\n")
    print("| move | convoys per run | " + " | ".join(f"{c} median [5-95%]" for c in COLUMNS) + " |")
    print("|---|---:|" + "---:|" * len(COLUMNS))
    for origin, destination in MOVES:
        rows = convoys[(convoys["origin"] == origin) & (convoys["destination"] == destination)]
        per_run = rows.groupby("run").size().reindex(range(args.replications), fill_value=0)
        cells = []
        for column in COLUMNS:
            values = rows[column].dropna().astype(float)
            cells.append(f"{values.median():.1f} [{values.quantile(0.05):.1f}-{values.quantile(0.95):.1f}]"
                         if len(values) else "-")
        print(f"| {origin} to {destination} | {per_run.mean():.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
