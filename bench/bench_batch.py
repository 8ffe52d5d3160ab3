"""Benchmark of the batch engine against ``mesa.batch_run``: wall time, peak memory, scaling.

    .venv/bin/python bench/bench_batch.py                # the real model if sim.simulation exists, else stand-in
    .venv/bin/python bench/bench_batch.py --model fake   # a small Mesa model standing in for the real one
    .venv/bin/python bench/bench_batch.py --quick        # fewer runs, to check the script works

Every variant runs in a fresh Python process; the driver samples the resident memory of that process and all its
children (psutil, proportional set size: shared pages split between the processes sharing them) every 250 ms, so
"peak memory" is the peak of the whole process tree, workers included. Reported:

1. the same model run N times (default 200, one-year window) with ``mesa.batch_run`` (a DataCollector with daily
   model reporters, ``data_collection_period=1``, as one would use it to get daily tables) and with pkosim's
   engine (``run_batch``, Parquet files), both with 2 worker processes: time and memory ratios;
2. parallel efficiency of pkosim at 2 workers versus 1 (T1 / (2 x T2)), measured in the order T2 T1 T1 T2 so that a
   steady drift of the machine's speed (it moves by half within minutes on a shared VM) cancels out of the sums;
3. pkosim's peak memory at 100 and 1,000 one-year runs: it should not grow with the number of runs;
4. limits of the machine and the language that bound the ratios above: the parallel efficiency of pure-Python
   work in two processes at once (no engine at all), the same for the real model itself run in two bare processes
   (no engine; its memory traffic shares the machine's caches), the memory of one process that has imported what a
   worker imports (the model, numpy, pandas, pyarrow, Mesa) before and after one run (no tree of a parent and worker
   processes weighs less), and the wall-time ratio an engine whose own work cost nothing would reach (the model's
   time per run over ``batch_run``'s for the same run, in one process: both engines run the same model).

Results go to docs/performance.md by hand (with date and machine); nothing here asserts a figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
START = dt.date(2014, 1, 1)   # with --days 3652, 2014-2023: the theatre's data (later ends are refused)
# Memory scaling uses one-year runs: workers fill their caches (routes between camps) in the first runs of a year,
# whereas with very short runs they keep filling them for a few hundred runs, which reads as growth but is warm-up.
SCALING_DAYS = 365
# Reading a process's PSS costs about 2 ms (psutil parses /proc/PID/smaps_rollup): every 50 ms over a tree of five
# processes the sampler took a tenth of the 2-core machine from the workers, which lowered the 2-worker variants'
# speed and the measured efficiency. Every 250 ms it takes about 2%; memory moves over seconds, not milliseconds.
SAMPLE_S = 0.25
DAILY = ["hostile_deaths", "killed_in_action", "died_of_wounds", "wounded", "ied_laid", "ied_found",
         "ied_detonated", "convoys_sent", "convoys_arrived", "convoy_km", "patrol_km", "coverage"]


# --- the stand-in Mesa model (used when the real one is missing, or with --model fake) -------------------------

class Convoy(mesa.Agent):
    """A convoy that may meet a device each day on its leg."""

    def step(self):
        model = self.model
        self.km = model.rng.gamma(4.0, 25.0)
        if model.rng.random() < 0.02:
            found = model.rng.random() < model.detection
            model.today["ied_found" if found else "ied_detonated"] += 1
            if not found:
                model.today["killed_in_action"] += int(model.rng.binomial(3, 0.3))
                model.today["wounded"] += int(model.rng.poisson(1.0))


def _reporter(key):
    return lambda model: model.today[key]


class StandInModel(mesa.Model):
    """Convoys on roads with IEDs, one step a day, daily model reporters (the shape of the real model)."""

    def __init__(self, days: int = 365, seed=None, detection: float = 0.3, convoys: int = 40):
        super().__init__(rng=seed)
        self.days, self.detection = days, detection
        self.today = dict.fromkeys(DAILY, 0)
        Convoy.create_agents(self, convoys)
        self.datacollector = mesa.DataCollector(model_reporters={k: _reporter(k) for k in DAILY})

    def step(self):
        self.today = dict.fromkeys(DAILY, 0)
        self.today["ied_laid"] = int(self.rng.poisson(2.0))
        self.agents_by_type[Convoy].shuffle_do("step")
        convoys = self.agents_by_type[Convoy]
        self.today["convoys_sent"] = len(convoys)
        self.today["convoys_arrived"] = len(convoys) - self.today["ied_detonated"]
        self.today["convoy_km"] = float(sum(c.km for c in convoys))
        self.today["patrol_km"] = float(self.rng.gamma(4.0, 50.0))
        self.today["coverage"] = float(self.rng.beta(5.0, 3.0))
        self.today["died_of_wounds"] = int(self.rng.binomial(self.today["wounded"], 0.05))
        self.today["hostile_deaths"] = self.today["killed_in_action"] + self.today["died_of_wounds"]
        self.datacollector.collect(self)
        if self.steps >= self.days:
            self.running = False


def stand_in_run(scenario, seed):
    """pkosim's run function for the stand-in model: run it, turn its DataCollector into RunOutput tables."""
    from sim.output import RunOutput

    model = StandInModel(days=(scenario.end - scenario.start).days + 1, seed=seed)
    while model.running:
        model.step()
    daily = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    daily.insert(0, "date", pd.date_range(scenario.start, periods=len(daily), freq="D").date)
    years = pd.DatetimeIndex(daily["date"]).year
    yearly = daily.drop(columns=["date"]).groupby(years).sum().rename_axis("year").reset_index()
    yearly["coverage"] = daily.groupby(years)["coverage"].mean().to_numpy()
    summary = {f"total_{k}": float(yearly[k].sum()) for k in DAILY if k != "coverage"}
    return RunOutput(yearly=yearly, daily=daily, incidents=pd.DataFrame(), summary=summary)


def _real_model_available() -> bool:
    try:
        import sim.simulation  # noqa: F401
        import sim.scenario  # noqa: F401
    except ImportError:
        return False
    return (ROOT / "scenarios" / "base.yaml").exists()


def _scenario(model: str, days: int, name: str, directory: Path):
    """The benchmark scenario: the real base scenario on a short window (as a file), or the stand-in's."""
    end = START + dt.timedelta(days=days - 1)
    if model == "real":
        path = directory / f"{name}.yaml"
        path.write_text(f"extends: {ROOT / 'scenarios' / 'base.yaml'}\nname: {name}\nstart: {START}\nend: {end}\n")
        return path
    from sim.runner.fakes import FakeScenario

    return FakeScenario(name=name, start=START, end=end)


# --- variants, each run in its own process -----------------------------------------------------------------------

def _batch_run_real(path: Path, seeds: list, days: int, workers: int) -> list[dict]:
    """``mesa.batch_run`` over the real model with daily reporters, one run per seed (``batch_run`` passes each of
    ``rng`` to the model's ``seed`` argument). The scenario goes as a file path rather than the object: batch_run
    copies every parameter into every row it returns."""
    from sim.simulation import PeacekeepingModel

    return mesa.batch_run(PeacekeepingModel, parameters={"scenario": str(path), "collect_daily_reporters": True},
                          number_processes=workers, rng=seeds, data_collection_period=1, max_steps=days,
                          display_progress=False)


def variant_mesa(model: str, runs: int, days: int, workers: int, out: Path) -> dict:
    seeds = [np.random.SeedSequence(20150101, spawn_key=(k,)) for k in range(runs)]
    if model == "real":
        rows = _batch_run_real(_scenario(model, days, "bench", out), seeds, days, workers)
    else:
        rows = mesa.batch_run(StandInModel, parameters={"days": days}, number_processes=workers, rng=seeds,
                              data_collection_period=1, max_steps=days, display_progress=False)
    frame = pd.DataFrame(rows)
    frame.drop(columns=[c for c in ("scenario", "seed") if c in frame.columns]).to_parquet(out / "mesa.parquet")
    return {"rows": len(frame)}


def variant_pkosim(model: str, runs: int, days: int, workers: int, out: Path) -> dict:
    from sim.runner import run_batch

    run_fn = None if model == "real" else stand_in_run
    scenario = _scenario(model, days, "bench", out)
    [result] = run_batch([scenario], out / "results", replications=runs, workers=workers, run_fn=run_fn, quiet=True)
    return {"rows": int(len(pd.read_parquet(out / "results" / "bench" / "daily.parquet", columns=["run"]))),
            "ok": result.ok}


def _child(args) -> None:
    out = Path(args.child_out)
    function = {"mesa": variant_mesa, "pkosim": variant_pkosim}[args.variant]
    started = time.perf_counter()
    info = function(args.model, args.runs, args.days, args.workers, out)
    info["wall_s"] = time.perf_counter() - started
    print(json.dumps(info))


def machine_speed_s() -> float:
    """Median time of three runs of Mesa's WolfSheep example (default scenario, 300 steps), timed just before each
    variant: the variants run one after the other, and a change in the machine's speed between them shows here."""
    import statistics

    from mesa.examples.advanced.wolf_sheep.model import WolfSheep, WolfSheepScenario

    times = []
    for seed in range(3):
        started = time.perf_counter()
        model = WolfSheep(WolfSheepScenario(rng=seed))
        for _ in range(300):
            model.step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(variant: str, model: str, runs: int, days: int, workers: int) -> dict:
    """Run one variant in a fresh process; wall time and peak PSS of its process tree, and the machine's speed just
    before (``machine_speed_s``)."""
    import psutil

    reference = machine_speed_s()

    with tempfile.TemporaryDirectory(prefix="pkosim-bench-") as tmp:
        command = [sys.executable, str(HERE), "--child", "--variant", variant, "--model", model, "--runs", str(runs),
                   "--days", str(days), "--workers", str(workers), "--child-out", tmp]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        root, peak = psutil.Process(process.pid), 0
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_full_info().pss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(SAMPLE_S)
        wall = time.perf_counter() - started
        stdout = process.stdout.read()
        if process.returncode != 0:
            raise SystemExit(f"{variant} failed (exit {process.returncode})")
    info = json.loads(stdout.strip().splitlines()[-1])
    info.update(variant=variant, runs=runs, days=days, workers=workers, process_wall_s=wall, peak_mb=peak / 2**20,
                reference_s=reference)
    print(f"  {variant:7s} runs={runs:5d} days={days:4d} workers={workers}: {wall:7.1f} s, "
          f"peak {peak / 2**20:7.0f} MB (WolfSheep just before: {reference:.3f} s)", flush=True)
    return info


def _busy(_=None) -> float:
    """CPU-bound pure-Python work; its own duration in seconds."""
    started, x = time.perf_counter(), 0
    for i in range(20_000_000):
        x += i * i % 7
    return time.perf_counter() - started


def machine_scaling(repeats: int = 3) -> float:
    """The machine's parallel efficiency for two pure-Python processes: the same work alone, then twice at once
    (median of ``repeats``). An engine running the model on 2 workers cannot beat it."""
    import multiprocessing
    import statistics

    ratios = []
    with multiprocessing.get_context("forkserver").Pool(2) as pool:
        pool.map(_busy, [0, 0])                          # warm the workers
        for _ in range(repeats):
            alone = pool.apply(_busy)
            started = time.perf_counter()
            pool.map(_busy, [0, 1], chunksize=1)
            ratios.append(alone / (time.perf_counter() - started))
    return statistics.median(ratios)


def _model_work(seeds) -> float:
    """Ten-year replications of ``base.yaml`` one after the other, with no engine; their own duration in seconds."""
    from sim.scenario import load_scenario
    from sim.simulation import simulate

    scenario = load_scenario(ROOT / "scenarios" / "base.yaml")
    started = time.perf_counter()
    for seed in seeds:
        simulate(scenario, seed)
    return time.perf_counter() - started


def model_scaling(repeats: int = 3, runs: int = 6) -> float:
    """The parallel efficiency of the real model itself in two bare processes (no engine: no chunks, no tables, no
    manifest): ``runs`` replications alone, then the same number in each of two processes at once (median of
    ``repeats``). Where it is below ``machine_scaling`` the model's own memory traffic, not the engine, sets the
    limit (the two vCPUs share caches, or a core)."""
    import multiprocessing
    import statistics

    ratios = []
    with multiprocessing.get_context("forkserver").Pool(2) as pool:
        pool.map(_model_work, [[0], [0]])                # warm the workers: imports, theatre
        for r in range(repeats):
            seeds = [list(range(1 + 2 * r * runs + k * runs, 1 + 2 * r * runs + (k + 1) * runs)) for k in range(2)]
            alone = pool.apply(_model_work, (seeds[0],))
            started = time.perf_counter()
            pool.map(_model_work, seeds, chunksize=1)
            ratios.append(alone / (time.perf_counter() - started))
    return statistics.median(ratios)


def _wall_floor_work(days: int, runs: int) -> float:
    """Median over ``runs`` seeds of (one run by ``simulate``, which the engine calls) / (the same run by
    ``mesa.batch_run`` in this process), interleaved seed by seed."""
    import statistics

    from sim.scenario import load_scenario
    from sim.simulation import simulate

    with tempfile.TemporaryDirectory(prefix="pkosim-bench-") as tmp:
        path = _scenario("real", days, "bench", Path(tmp))
        scenario = load_scenario(path)
        seeds = [np.random.SeedSequence(20150101, spawn_key=(k,)) for k in range(runs + 1)]
        simulate(scenario, seeds[0])                     # warm: imports, theatre, caches
        ratios = []
        for seed in seeds[1:]:
            started = time.perf_counter()
            simulate(scenario, seed)
            engine_s = time.perf_counter() - started
            started = time.perf_counter()
            _batch_run_real(path, [seed], days, workers=1)
            ratios.append(engine_s / (time.perf_counter() - started))
    return statistics.median(ratios)


def wall_floor(days: int, runs: int = 5) -> float:
    """The lowest wall-time ratio to ``mesa.batch_run`` that any engine running the same model could reach: the
    model's own time per run (what pkosim's engine cannot avoid) over ``batch_run``'s time for the same run in one
    process (the model stepped through Mesa's ``step`` with a daily DataCollector, and its rows built). It assumes
    the engine's own work (chunks, tables, files) costs nothing and both engines scale alike over workers."""
    import multiprocessing

    pool = multiprocessing.get_context("forkserver").Pool(1)   # keep the model out of the sampling process
    try:
        return pool.apply(_wall_floor_work, (days, runs))
    finally:
        pool.close()
        pool.join()


def memory_floor_mb(model: str, days: int) -> tuple[float, float]:
    """Proportional set size of a fresh process that has imported what a pkosim worker imports, then the same after
    one run of the benchmark's scenario (the real model only; NaN for the stand-in). No tree of a batch's process and
    its workers weighs less than the second figure."""
    lines = ["import sys, pathlib, tempfile, psutil",
             f"sys.path.insert(0, {str(HERE.parent)!r})",
             "import sim.runner.chunk" + (", sim.simulation" if model == "real" else ""),
             "print(psutil.Process().memory_full_info().pss)"]
    if model == "real":
        lines += ["import bench_batch",
                  "from sim.scenario import load_scenario",
                  "from sim.simulation import simulate",
                  "folder = tempfile.TemporaryDirectory(prefix='pkosim-bench-')",
                  f"path = bench_batch._scenario('real', {days}, 'bench', pathlib.Path(folder.name))",
                  "simulate(load_scenario(path), 1)",
                  "print(psutil.Process().memory_full_info().pss)"]
    out = subprocess.run([sys.executable, "-c", "\n".join(lines)], cwd=ROOT, capture_output=True, text=True, check=True)
    sizes = [int(line) / 2**20 for line in out.stdout.split()]
    return sizes[0], sizes[1] if len(sizes) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["auto", "real", "fake"], default="auto")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args)
    model = args.model if args.model != "auto" else ("real" if _real_model_available() else "fake")
    runs, short_runs = (20, (20, 100)) if args.quick else (args.runs, (100, 1000))
    print(f"pkosim batch benchmark, {dt.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, model: {model}", flush=True)
    scaling, (floor, floor_run) = machine_scaling(), memory_floor_mb(model, args.days)
    model_limit = model_scaling() if model == "real" else float("nan")
    wall_limit = wall_floor(args.days) if model == "real" else float("nan")
    print(f"  machine: two pure-Python processes at once run at efficiency {scaling:.2f}; the model in two bare "
          f"processes at {model_limit:.2f}; one idle process with the model imported: {floor:.0f} MB, after one "
          f"run {floor_run:.0f} MB; the model alone / the same run by mesa.batch_run: {wall_limit:.2f}", flush=True)
    mesa2 = measure("mesa", model, runs, args.days, 2)
    pk2 = measure("pkosim", model, runs, args.days, 2)
    pk1 = measure("pkosim", model, runs, args.days, 1)
    pk1b = measure("pkosim", model, runs, args.days, 1)
    pk2b = measure("pkosim", model, runs, args.days, 2)
    small = [measure("pkosim", model, n, SCALING_DAYS, 2) for n in short_runs]
    # Times are the batch's own wall time inside each process (``wall_s``, after imports): interpreter start-up
    # and imports (~1-2 s) are the same for every variant and would only blur the comparison of the engines.
    print()
    print(f"| {runs} runs x {args.days} days, 2 workers | batch wall (s) | process wall (s) | peak memory (MB) |")
    print("|---|---:|---:|---:|")
    for label, info in (("mesa.batch_run (daily DataCollector)", mesa2), ("pkosim run_batch (Parquet parts)", pk2)):
        print(f"| {label} | {info['wall_s']:.1f} | {info['process_wall_s']:.1f} | {info['peak_mb']:.0f} |")
    print(f"| ratio pkosim / mesa | {pk2['wall_s'] / mesa2['wall_s']:.2f} | "
          f"{pk2['process_wall_s'] / mesa2['process_wall_s']:.2f} | {pk2['peak_mb'] / mesa2['peak_mb']:.2f} |")
    t1, t2 = pk1["wall_s"] + pk1b["wall_s"], pk2["wall_s"] + pk2b["wall_s"]
    efficiency = t1 / (2 * t2)
    tree_floor = floor + 2 * (floor_run - floor)   # no parent, no fork server, no copy-on-write: below any real tree
    print(f"\nparallel efficiency at 2 workers (order T2 T1 T1 T2): T1 / (2 T2) = {t1:.1f} / (2 x {t2:.1f}) = "
          f"{efficiency:.2f}; the two halves: {pk1['wall_s'] / (2 * pk2['wall_s']):.2f} and "
          f"{pk1b['wall_s'] / (2 * pk2b['wall_s']):.2f}")
    print(f"peak memory, {short_runs[0]} vs {short_runs[1]} runs of {SCALING_DAYS} days (2 workers): {small[0]['peak_mb']:.0f} MB"
          f" vs {small[1]['peak_mb']:.0f} MB (ratio {small[1]['peak_mb'] / small[0]['peak_mb']:.2f}); batch wall "
          f"{small[0]['wall_s']:.1f} s vs {small[1]['wall_s']:.1f} s")
    print(f"limits: pure-Python efficiency of this machine at 2 processes {scaling:.2f}; the model's own in two bare "
          f"processes {model_limit:.2f}; one idle process with the model imported {floor:.0f} MB = "
          f"{floor / mesa2['peak_mb']:.2f} of mesa.batch_run's peak, after one run {floor_run:.0f} MB; the lightest "
          f"conceivable 2-worker tree, those imports held once and two runs in flight ({tree_floor:.0f} MB), is "
          f"{tree_floor / mesa2['peak_mb']:.2f} of it; an engine whose own work cost "
          f"nothing would take {wall_limit:.2f} of mesa.batch_run's wall time (the model's time in one process over "
          f"batch_run's for the same runs)")

if __name__ == "__main__":
    main()
