"""Scenarios for the tests of ``pkosim view`` (tests/test_view_*.py): the first quarter of 2014, with a dated event
in it, and the same quarter with deadlier devices. With ``SEED`` both runs have incidents, medevac flights and
convoys within their first weeks and part ways early; the tests find the days in a replay of their own rather than
trusting fixed dates."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 4


def write_quarter_scenarios(folder: Path) -> tuple[Path, Path]:
    """``quarter.yaml`` (2014-01-01..2014-03-31, rotations suspended 2014-02-01..10) and ``deadlier.yaml``."""
    quarter = folder / "quarter.yaml"
    quarter.write_text(
        f"extends: {ROOT / 'scenarios' / 'history_2014_2020.yaml'}\nname: quarter\n"
        "description: The first quarter of 2014.\nstart: 2014-01-01\nend: 2014-03-31\n"
        "events:\n  pause_rotations: {date: 2014-02-01, action: rotations_suspended, until: 2014-02-10, "
        "note: a test event}\n")
    deadlier = folder / "deadlier.yaml"
    deadlier.write_text("extends: quarter.yaml\nname: deadlier\n"
                        "description: The same quarter with devices that kill more.\n"
                        "ieds:\n  killed_per_detonation: 2.0\n")
    return quarter, deadlier
