"""Proof that a speed change leaves the model's outputs identical: digests of every table of 36 runs (each library
scenario, whole window, seeds 1 and 2; and six replications of the standard study's two history arms as a batch
runs them, with their posterior draws), written before the change and checked after it.

    .venv/bin/python bench/check_identical.py --write /tmp/before.json    # on the code before the change
    .venv/bin/python bench/check_identical.py --check /tmp/before.json    # on the changed code: exit 1 if any differs

Why more than tests/test_model_reference.py (two short runs): speed work caches what "cannot change" between
days, and a stale cache shows only in some scenario's later years (a withdrawal, a counterfactual's changed
providers), or only under other parameters: the 24 library runs once let a change through that moved about 3% of
the history study's replications (the direction of a convoy's passages after it turned back part-way through a
day's drive; replication 45 of history_2014_2020 and cf_cied_training has that case). Run it from the root of the
checkout to test: it imports that checkout's ``sim``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

import pandas as pd  # noqa: E402

from sim.runner.scenarios import for_replication  # noqa: E402
from sim.runner.seeds import run_seed  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.simulation import simulate  # noqa: E402

SCENARIOS = ["base", "history_2014_2020", "withdrawal_2023", "barkhane_drawdown_2021_2022", "cf_barkhane_stays",
             "cf_cied_training", "cf_minusma_drones", "cf_larger_escorted_convoys", "cf_fewer_larger_camps",
             "cf_another_closure_order", "cf_no_flight_refusals", "cf_minusma_attack_helicopters"]
SEEDS = (1, 2)
TABLES = ("yearly", "daily", "incidents", "convoys")
STUDY_ARMS = ["history_2014_2020", "cf_cied_training"]   # replications as the standard study runs them
STUDY_REPLICATIONS = range(40, 46)


def digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's columns, dtypes and values (row order included), as tests/test_model_reference.py."""
    h = hashlib.sha256(json.dumps([list(frame.columns), [str(t) for t in frame.dtypes]]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def digests() -> dict[str, dict[str, str]]:
    """Each run's table digests and its summary's, with every optional table switched on."""
    runs = [(name, f"seed {seed}", lambda scenario, seed=seed: (scenario, seed)) for name in SCENARIOS for seed in SEEDS]
    runs += [(name, f"replication {k}", lambda scenario, k=k: (for_replication(scenario, k), run_seed(scenario.seed, k)))
             for name in STUDY_ARMS for k in STUDY_REPLICATIONS]
    out = {}
    for name, label, replication in runs:
        scenario = load_scenario(Path("scenarios") / f"{name}.yaml")
        tables_on = scenario.outputs.model_copy(update={"daily": True, "incidents": True, "convoys": True})
        run = simulate(*replication(scenario.model_copy(update={"outputs": tables_on})))
        summary = json.dumps(run.summary, sort_keys=True, default=str).encode()
        out[f"{name}/{label}"] = {t: digest(getattr(run, t)) for t in TABLES} | {
            "summary": hashlib.sha256(summary).hexdigest()}
        print(f"  {name} {label}", file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, metavar="FILE", help="write the digests of this code's outputs")
    mode.add_argument("--check", type=Path, metavar="FILE", help="compare this code's outputs with FILE's")
    args = parser.parse_args()
    if args.write:
        args.write.write_text(json.dumps(digests(), indent=1) + "\n")
        print(f"wrote {args.write}")
        return
    want, got = json.loads(args.check.read_text()), digests()
    missing = sorted(set(got) - set(want))
    if missing:
        print(f"{args.check} has no digests of {len(missing)} runs ({missing[0]}, ...): write it again with --write "
              "on the code before the change")
        sys.exit(2)
    differ = [f"{run} {table}" for run in want for table in want[run] if got.get(run, {}).get(table) != want[run][table]]
    if differ:
        print(f"DIFFERENT ({len(differ)}): " + ", ".join(differ))
        sys.exit(1)
    print(f"identical: all {len(want)} runs, every table")


if __name__ == "__main__":
    main()
