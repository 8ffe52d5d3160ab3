"""Recovery test of the ABC-SMC calibration at full model scale (docs/calibration.md, "Recovery test").

    .venv/bin/python bench/recovery.py [--population 200] [--generations 4] [--minutes 25] [--workers 2]

A synthetic record is simulated from known parameter values (the committed posterior medians, so the truth is a
place the real fit found plausible): one run of the history scenario, as the real record is one history. The same
ABC-SMC as `pkosim calibrate` (same targets, distance, priors and runs per particle, a smaller budget) then fits it,
and the table says which true values fall inside their 90% credible intervals and how much narrower than the prior
each interval is. tests/test_calibration_abc.py runs a small version of this on a stand-in model.

Prints Markdown; the numbers go to docs/calibration.md by hand, with the date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibration import abc  # noqa: E402
from sim.calibration.config import load_calibration  # noqa: E402
from sim.calibration.posterior import recovery  # noqa: E402

CALIBRATION = ROOT / "scenarios" / "calibration" / "history_2014_2020.yaml"
POSTERIOR = ROOT / "scenarios" / "params" / "posterior.yaml"


def truth_values(calibration) -> dict[str, float]:
    """The committed posterior medians; the middle of each prior where no posterior is committed."""
    medians = {}
    if POSTERIOR.exists():
        medians = {path: p["median"] for path, p in yaml.safe_load(POSTERIOR.read_text())["parameters"].items()}
    out = {}
    for path, prior in calibration.parameters.items():
        middle = math.sqrt(prior.low * prior.high) if prior.log else (prior.low + prior.high) / 2
        out[path] = float(medians.get(path, middle))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    calibration = load_calibration(CALIBRATION)
    years = abc.fit_years(calibration.targets, calibration.scenario)
    truth = truth_values(calibration)
    record_settings = abc.AbcSettings(replications=1, seed=args.seed)     # one history, as the real record
    observed = abc.PatternModel(calibration, record_settings, years).simulate(truth)
    settings = abc.AbcSettings(population=args.population, generations=args.generations,
                               replications=calibration.abc.replications,
                               proposal_scaling=calibration.abc.proposal_scaling,
                               max_simulations=args.population * args.generations * 3,
                               max_minutes=args.minutes, seed=calibration.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        result = abc.fit(calibration, settings, tmp, workers=args.workers, observed=observed)
    table = recovery(result, truth)
    generations = int((result.populations["t"] >= 0).sum())
    print(f"Recovery test, {dt.date.today()}: {len(truth)} parameters, synthetic record = one run at the posterior "
          f"medians; ABC-SMC population {settings.population}, {generations} generation(s), {result.simulations} "
          f"particles x {settings.replications} runs, {(time.monotonic() - started) / 60:.0f} min, "
          f"{args.workers} workers.\n")
    print("| parameter | true | posterior median | 90% interval | inside | interval / prior width |")
    print("|---|---|---|---|---|---|")
    for row in table.itertuples():
        prior = calibration.parameters[row.parameter]
        if prior.log:
            width = math.log(row.high / row.low) / math.log(prior.high / prior.low) if row.low > 0 else math.nan
        else:
            width = (row.high - row.low) / (prior.high - prior.low)
        print(f"| `{row.parameter}` | {row.true:.4g} | {row.median:.4g} | {row.low:.3g}-{row.high:.3g} | "
              f"{'yes' if row.inside else '**no**'} | {width:.2f} |")
    print(f"\n{int(table['inside'].sum())} of {len(table)} true values inside their 90% credible interval.")


if __name__ == "__main__":
    main()
