"""End to end with the real model: ``pkosim run`` on a short window of the base scenario.

Skipped until the model (``sim.simulation``) and ``scenarios/base.yaml`` are in place.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pkosim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"

pytest.importorskip("sim.simulation")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not BASE.exists(), reason="scenarios/base.yaml is not there yet")]


@pytest.fixture
def short(tmp_path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(f"extends: {BASE}\nname: short\nstart: 2016-05-01\nend: 2016-06-29\nreplications: 3\n"
                    f"seed: 11\n")
    return path


def read(batch: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(batch / f"{name}.parquet").drop(columns=["elapsed_s"], errors="ignore")
    keys = [c for c in ("point", "run", "year", "date", "lat", "lon", "kind") if c in frame.columns]
    return frame.sort_values(keys).reset_index(drop=True)


def test_real_model_same_tables_in_process_and_with_two_workers(short, tmp_path, capsys):
    assert main(["run", str(short), "--out", str(tmp_path / "w1"), "--workers", "1", "--quiet"]) == 0
    assert main(["run", str(short), "--out", str(tmp_path / "w2"), "--workers", "2", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "hostile_deaths" in printed and "results in" in printed
    for name in ("runs", "yearly", "daily", "incidents"):
        pd.testing.assert_frame_equal(read(tmp_path / "w1" / "short", name), read(tmp_path / "w2" / "short", name))
    daily = read(tmp_path / "w1" / "short", "daily")
    assert len(daily) == 3 * 60 and list(daily.columns[:4]) == ["scenario", "point", "run", "seed"]
    manifest = json.loads((tmp_path / "w1" / "short" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["scenario"]["start"] == "2016-05-01"
