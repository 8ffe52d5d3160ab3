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
    daily:     one row per day (None when the scenario switches it off: ``outputs.daily: false``).
    incidents: one row per incident (None when switched off: ``outputs.incidents: false``).
    convoys:   one row per convoy (None when switched off: ``outputs.convoys: false``).
    summary:   whole-run values for runs.parquet (``total_<count>`` and the whole-run value of the other kinds).
    """

    yearly: pd.DataFrame
    daily: pd.DataFrame | None
    incidents: pd.DataFrame | None
    summary: dict[str, float] = field(default_factory=dict)
    convoys: pd.DataFrame | None = None
