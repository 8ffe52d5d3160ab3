"""Time one replication of the model: median wall time of several runs of a scenario (default base 2014-2023), and
its ratio to Mesa's own WolfSheep example (default scenario, 300 steps) timed in the same process.

    .venv/bin/python bench/bench_model.py [scenario.yaml] [--runs N]

The ratio is the figure to compare across machines and days: both timings share the machine's speed and load
(issue 12's target is at most 3.0 for a ten-year replication of base.yaml).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mesa.examples.advanced.wolf_sheep.model import WolfSheep, WolfSheepScenario  # noqa: E402

from sim.scenario import load_scenario  # noqa: E402
from sim.simulation import simulate  # noqa: E402

WOLF_SHEEP_STEPS = 300


def wolf_sheep(seed: int) -> None:
    """One run of Mesa's WolfSheep example, default scenario, for the reference time."""
    model = WolfSheep(WolfSheepScenario(rng=seed))
    for _ in range(WOLF_SHEEP_STEPS):
        model.step()


def timed(function, seeds) -> list[float]:
    times = []
    for seed in seeds:
        start = time.perf_counter()
        function(seed)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="?", default="scenarios/base.yaml")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    simulate(scenario, 0)                       # warm-up: theatre load, imports
    wolf_sheep(0)
    seeds = range(1, args.runs + 1)
    times, wolf_times = [], []
    for seed in seeds:  # interleaved, so that a change in the machine's load reaches both timings alike
        times += timed(lambda s: simulate(scenario, s), [seed])
        wolf_times += timed(wolf_sheep, [seed])
    model_s, wolf_s = statistics.median(times), statistics.median(wolf_times)
    days = (scenario.end - scenario.start).days + 1
    print(f"{scenario.name}: {days} days, median {model_s:.3f} s per replication "
          f"(min {min(times):.3f}, max {max(times):.3f}, {args.runs} runs)")
    print(f"Mesa WolfSheep (default scenario, {WOLF_SHEEP_STEPS} steps): median {wolf_s:.3f} s "
          f"(min {min(wolf_times):.3f}, max {max(wolf_times):.3f}, {args.runs} runs)")
    print(f"ratio to WolfSheep: {model_s / wolf_s:.2f}")


if __name__ == "__main__":
    main()
