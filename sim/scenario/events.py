"""Dated events: the closed set of things a scenario can make happen on a given day.

A scenario is "the base plus these changes from these dates" (as in Starsim's interventions). Events live in a
mapping keyed by an id, so that a scenario that ``extends`` another can change one event (``leave_gao: {date: ...}``)
or remove it (``leave_gao: null``) without restating the others. The ``action`` key selects the kind.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import Field, ValidationInfo, field_validator

from sim.scenario.base import StrictModel


class _Event(StrictModel):
    date: dt.date = Field(..., description="Day the event takes effect (applied at the start of that day).")
    note: str = Field("", description="Why: the source or the reasoning behind this event.")


def _until_not_before_date(until: dt.date, info: ValidationInfo) -> dt.date:
    start = info.data.get("date")
    if start is not None and until < start:
        raise ValueError(f"must not be before date ({start}), got {until}")
    return until


class FrenchBaseLeft(_Event):
    """France leaves one of its bases: its aircraft and quick-reaction forces there stop serving."""

    action: Literal["french_base_left"] = Field(..., description="Event kind: french_base_left.")
    base: str = Field(..., description="French base (sim/theatres/<theatre>/french_bases.csv).")


class CampCloses(_Event):
    """A camp closes on ``date``; people and equipment move out before it (camps.withdrawal_lead_days)."""

    action: Literal["camp_closes"] = Field(..., description="Event kind: camp_closes.")
    camp: str = Field(..., description="Camp (sim/theatres/<theatre>/camps.csv).")
    transfer_to: str | None = Field(
        None, description="Camp that takes over the garrison (default: personnel leave the theatre via the hub).",
    )


class ContingentLeaves(_Event):
    """A troop-contributing country withdraws its troops (from all camps, or the ones listed)."""

    action: Literal["contingent_leaves"] = Field(..., description="Event kind: contingent_leaves.")
    contingent: str = Field(..., description="Contributing country (sim/theatres/<theatre>/contingents.csv).")
    camps: tuple[str, ...] = Field((), description="Camps it leaves (default: all).")
    share: float = Field(1.0, gt=0, le=1, description="Share of its troops that leave (share 0-1).")


class FlightRefusalShare(_Event):
    """The host state refuses this share of flight requests from this date."""

    action: Literal["flight_refusal_share"] = Field(..., description="Event kind: flight_refusal_share.")
    share: float = Field(..., ge=0, le=1, description="Share of flight requests refused (share 0-1).")


class FlightsGrounded(_Event):
    """All flights subject to the host state are grounded from ``date`` to ``until`` (inclusive)."""

    action: Literal["flights_grounded"] = Field(..., description="Event kind: flights_grounded.")
    until: dt.date = Field(..., description="Last day of the grounding.")
    medevac_exempt: bool = Field(True, description="Whether medevac flights may still fly.")

    _until_after_date = field_validator("until")(_until_not_before_date)


class GroundMovementRestricted(_Event):
    """Convoys may not leave these hubs from ``date`` to ``until`` (e.g. trucks held at Gao in 2023)."""

    action: Literal["ground_movement_restricted"] = Field(..., description="Event kind: ground_movement_restricted.")
    hubs: tuple[str, ...] = Field(..., min_length=1, description="Camps from which convoys are held.")
    until: dt.date = Field(..., description="Last day of the restriction.")

    _until_after_date = field_validator("until")(_until_not_before_date)


class ArmedGroupCapacity(_Event):
    """An armed group's capacity is multiplied by ``factor`` (e.g. a surge, or losses)."""

    action: Literal["armed_group_capacity"] = Field(..., description="Event kind: armed_group_capacity.")
    group: str = Field(..., description="Armed group id (a key of armed_groups).")
    factor: float = Field(..., ge=0, le=100, description="Multiplier on the group's current capacity.")


Event = Annotated[
    Union[
        FrenchBaseLeft,
        CampCloses,
        ContingentLeaves,
        FlightRefusalShare,
        FlightsGrounded,
        GroundMovementRestricted,
        ArmedGroupCapacity,
    ],
    Field(discriminator="action"),
]

ACTIONS = (
    "french_base_left",
    "camp_closes",
    "contingent_leaves",
    "flight_refusal_share",
    "flights_grounded",
    "ground_movement_restricted",
    "armed_group_capacity",
)
