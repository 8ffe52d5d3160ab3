"""Time one replication of the model: median wall time of several runs of a scenario (default base 2014-2023).

    .venv/bin/python bench/bench_model.py [scenario.yaml] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.scenario import load_scenario  # noqa: E402
from sim.simulation import simulate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="?", default="scenarios/base.yaml")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    simulate(scenario, 0)                       # warm-up: theatre load, imports
    times = []
    for seed in range(1, args.runs + 1):
        start = time.perf_counter()
        simulate(scenario, seed)
        times.append(time.perf_counter() - start)
    days = (scenario.end - scenario.start).days + 1
    print(f"{scenario.name}: {days} days, median {statistics.median(times):.3f} s per replication "
          f"(min {min(times):.3f}, max {max(times):.3f}, {args.runs} runs)")


if __name__ == "__main__":
    main()
