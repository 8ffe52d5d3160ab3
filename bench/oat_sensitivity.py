"""One-at-a-time sensitivity of the model's main levers: each parameter at the low and the high end of its prior,
everything else at the calibrated values, with common random numbers.

    .venv/bin/python bench/oat_sensitivity.py [--replications 20] [--workers 2] [--out bench/out/oat]

Scenario: the history scenario on 2016-2019 (four calibrated years). For each lever (the calibration file's
parameters with their priors, plus the posture's sensitivities), the paired difference of the whole-run values
(high end minus low end) of hostile deaths, wounded, convoys sent, patrol-km and coverage. The table goes to
docs/sensitivity.md by hand (with date and machine); it shows a reader which levers move which answers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from analysis.compare import compare  # noqa: E402
from sim.calibration.config import load_calibration  # noqa: E402
from sim.runner import run_batch  # noqa: E402
from sim.runner import scenarios as runner_scenarios  # noqa: E402

METRICS = ["hostile_deaths", "wounded", "convoys_sent", "patrol_km", "coverage"]
POSTURE = {"posture.loss_sensitivity": (0.0, 0.6), "posture.ied_sensitivity": (0.0, 0.6),
           "posture.casevac_sensitivity": (0.0, 0.6), "posture.min_movement_factor": (0.1, 0.6),
           "medical.dow_time_constant_minutes": (30.0, 240.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "oat")
    args = parser.parse_args()
    calibration = load_calibration(ROOT / "scenarios" / "calibration" / "history_2014_2020.yaml")
    base = runner_scenarios.with_overrides(calibration.scenario, {"start": "2016-01-01", "end": "2019-12-31"})
    levers = {path: (prior.low, prior.high) for path, prior in calibration.parameters.items()} | POSTURE
    if args.out.exists():
        shutil.rmtree(args.out)
    started = time.monotonic()
    rows = []
    for i, (path, (low, high)) in enumerate(levers.items()):
        integer = calibration.integer.get(path, False)
        ends = [runner_scenarios.with_overrides(base, {path: round(v) if integer else v, "name": f"lever{i}_{end}"})
                for v, end in ((low, "low"), (high, "high"))]
        results = run_batch(ends, args.out / f"lever{i}", replications=args.replications, workers=args.workers,
                            quiet=True)
        table = compare([r.directory for r in results], METRICS)
        whole = table[table["year"] == "all"].set_index("metric")
        rows.append((path, low, high, whole))
        print(f"{path}: done ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    print(f"History scenario 2016-2019, {args.replications} paired replications per end, "
          f"{dt.date.today()}, {time.monotonic() - started:.0f} s.\n")
    print("| parameter | low | high | " + " | ".join(f"{m} (high - low)" for m in METRICS) + " |")
    print("|---|---:|---:|" + "---:|" * len(METRICS))
    for path, low, high, whole in rows:
        cells = []
        for metric in METRICS:
            r = whole.loc[metric]
            cells.append(f"{r['diff']:+.3g} [{r['ci_low']:+.2g}, {r['ci_high']:+.2g}]")
        print(f"| `{path}` | {low:g} | {high:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
