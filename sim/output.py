"""What one model run hands to the runner: named tables, ready to write (see docs/results.md).

The model fills these; the runner adds the run identity columns (scenario, point, run, seed) and writes them.
Keeping this contract in one small module lets the model and the batch engine change independently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class RunOutput:
    """The tables of one replication.

    yearly:    one row per calendar year of the run window (columns in docs/results.md, without identity columns).
    daily:     one row per day.
    incidents: one row per incident.
    summary:   whole-run scalar metrics (``total_<metric>``, ``mean_coverage``) for runs.parquet.
    """

    yearly: pd.DataFrame
    daily: pd.DataFrame
    incidents: pd.DataFrame
    summary: dict[str, float] = field(default_factory=dict)
