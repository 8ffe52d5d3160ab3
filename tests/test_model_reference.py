"""Reference runs: the model's tables for fixed scenarios and seeds, as digests.

Why: speed work (bench/bench_model.py, docs/performance.md) must leave every output identical for the same seed;
this test fails on any change to any table. When a change to the model's behaviour is intended (a new mechanism, a
recalibration), regenerate the digests and say so in the commit:

    .venv/bin/python tests/test_model_reference.py --update
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DIGESTS = Path(__file__).with_name("reference_outputs.json")
CASES = {
    "history_2016_2017_seed11": ("scenarios/history_2014_2020.yaml", {"start": date(2016, 1, 1), "end": date(2017, 12, 31)}, 11),
    "withdrawal_2023_seed5": ("scenarios/withdrawal_2023.yaml", {}, 5),
}
TABLES = ("yearly", "daily", "incidents", "convoys")


def digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's columns, dtypes and values (row order included)."""
    h = hashlib.sha256(json.dumps([list(frame.columns), [str(t) for t in frame.dtypes]]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def run_case(name: str) -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from sim.scenario import load_scenario
    from sim.simulation import simulate

    path, window, seed = CASES[name]
    scenario = load_scenario(ROOT / path)
    if window:
        scenario = scenario.model_copy(update=window)
    out = simulate(scenario, seed)
    return {table: digest(getattr(out, table)) for table in TABLES}


def test_reference_runs_give_the_same_tables():
    expected = json.loads(DIGESTS.read_text())
    for name in CASES:
        assert run_case(name) == expected[name], f"{name}: outputs changed (see this file's docstring)"


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    DIGESTS.write_text(json.dumps({name: run_case(name) for name in CASES}, indent=1) + "\n")
    print(f"wrote {DIGESTS}")
