"""Dated events: the closed set of things a scenario can make happen on a given day.

A scenario is "the base plus these changes from these dates" (as in Starsim's interventions). Events live in a
mapping keyed by an id, so that a scenario that ``extends`` another can change one event (``leave_gao: {date: ...}``)
or remove it (``leave_gao: null``) without restating the others. The ``action`` key selects the kind.

Each kind is a class that says what it does to a model: ``prepare(model)`` once when the model is built (a camp's
closure is planned ahead, because its people start moving out weeks before), ``apply(model)`` at the start of its
day. The model calls them in date order, then by id; no code dispatches on the action's name.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union, get_args

from pydantic import Field, ValidationInfo, field_validator

from sim.scenario.base import StrictModel


class _Event(StrictModel):
    date: dt.date = Field(..., description="Day the event takes effect (applied at the start of that day).")
    note: str = Field("", description="Why: the source or the reasoning behind this event.")

    def prepare(self, model) -> None:
        """Called once when the model is built (most events need nothing then)."""

    def apply(self, model) -> None:
        """Called at the start of the event's day."""
        raise NotImplementedError


def _until_not_before_date(until: dt.date, info: ValidationInfo) -> dt.date:
    start = info.data.get("date")
    if start is not None and until < start:
        raise ValueError(f"must not be before date ({start}), got {until}")
    return until


class FrenchBaseLeft(_Event):
    """France leaves one of its bases: its aircraft and quick-reaction forces there stop serving."""

    action: Literal["french_base_left"] = Field(..., description="Event kind: french_base_left.")
    base: str = Field(..., description="French base (sim/theatres/<theatre>/french_bases.csv).")

    def apply(self, model) -> None:
        model.air.french_base_left(self.base)


class CampCloses(_Event):
    """A camp closes on ``date``; people and equipment move out before it (camps.withdrawal_lead_days)."""

    action: Literal["camp_closes"] = Field(..., description="Event kind: camp_closes.")
    camp: str = Field(..., description="Camp (sim/theatres/<theatre>/camps.csv).")
    transfer_to: str | None = Field(
        None, description="Camp that takes over the garrison (default: personnel leave the theatre via the hub).",
    )

    def prepare(self, model) -> None:
        model.camps_by_name[self.camp].plan_closure(self.date, self.transfer_to)

    def apply(self, model) -> None:
        model.camps_by_name[self.camp].close()


class ContingentLeaves(_Event):
    """A troop-contributing country withdraws its troops (from all camps, or the ones listed)."""

    action: Literal["contingent_leaves"] = Field(..., description="Event kind: contingent_leaves.")
    contingent: str = Field(..., description="Contributing country (sim/theatres/<theatre>/contingents.csv).")
    camps: tuple[str, ...] = Field((), description="Camps it leaves (default: all).")
    share: float = Field(1.0, gt=0, le=1, description="Share of its troops that leave (share 0-1).")

    def apply(self, model) -> None:
        for camp in model.camps:
            if not self.camps or camp.name in self.camps:
                camp.contingent_leaves(self.contingent, self.share)


class FlightRefusalShare(_Event):
    """The host state refuses this share of flight requests from this date."""

    action: Literal["flight_refusal_share"] = Field(..., description="Event kind: flight_refusal_share.")
    share: float = Field(..., ge=0, le=1, description="Share of flight requests refused (share 0-1).")

    def apply(self, model) -> None:
        model.host_state.set_refusal_share(self.share)


class FlightsGrounded(_Event):
    """All flights subject to the host state are grounded from ``date`` to ``until`` (inclusive)."""

    action: Literal["flights_grounded"] = Field(..., description="Event kind: flights_grounded.")
    until: dt.date = Field(..., description="Last day of the grounding.")
    medevac_exempt: bool = Field(True, description="Whether medevac flights may still fly.")

    _until_after_date = field_validator("until")(_until_not_before_date)

    def apply(self, model) -> None:
        model.host_state.ground_flights(self.until, self.medevac_exempt)


class GroundMovementRestricted(_Event):
    """Convoys may not leave these hubs from ``date`` to ``until`` (e.g. trucks held at Gao in 2023)."""

    action: Literal["ground_movement_restricted"] = Field(..., description="Event kind: ground_movement_restricted.")
    hubs: tuple[str, ...] = Field(..., min_length=1, description="Camps from which convoys are held.")
    until: dt.date = Field(..., description="Last day of the restriction.")

    _until_after_date = field_validator("until")(_until_not_before_date)

    def apply(self, model) -> None:
        model.host_state.restrict_ground_movement(self.hubs, self.until)


class ArmedGroupCapacity(_Event):
    """An armed group's capacity is multiplied by ``factor`` (e.g. a surge, or losses)."""

    action: Literal["armed_group_capacity"] = Field(..., description="Event kind: armed_group_capacity.")
    group: str = Field(..., description="Armed group id (a key of armed_groups).")
    factor: float = Field(..., ge=0, le=100, description="Multiplier on the group's current capacity.")

    def apply(self, model) -> None:
        model.groups_by_id[self.group].scale_capacity(self.factor)


class ArmedGroupTargeting(_Event):
    """An armed group directs this share of its effort (devices, ambushes, camp attacks) at MINUSMA from this date,
    the rest at Malian forces and others (e.g. the JNIM-ISGS fighting of 2020, the turn against the Malian army and
    its Russian partners in 2022)."""

    action: Literal["armed_group_targeting"] = Field(..., description="Event kind: armed_group_targeting.")
    group: str = Field(..., description="Armed group id (a key of armed_groups).")
    share: float = Field(..., ge=0, le=1, description="Share of the group's effort against MINUSMA (share 0-1).")

    def apply(self, model) -> None:
        model.groups_by_id[self.group].target(self.share)


class MovementRestricted(_Event):
    """MINUSMA cuts its movement everywhere (patrols and convoy tempo) to ``factor`` from ``date`` to ``until``
    (e.g. the COVID-19 measures of April-June 2020)."""

    action: Literal["movement_restricted"] = Field(..., description="Event kind: movement_restricted.")
    factor: float = Field(..., ge=0, le=1, description="Multiplier on every camp's movement factor (factor 0-1).")
    until: dt.date = Field(..., description="Last day of the restriction.")

    _until_after_date = field_validator("until")(_until_not_before_date)

    def apply(self, model) -> None:
        model.posture.restrict(self.factor, self.until)


class RotationsSuspended(_Event):
    """Troop rotations stop from ``date`` to ``until`` (e.g. COVID-19 in 2020; Mali's suspension of July 2022)."""

    action: Literal["rotations_suspended"] = Field(..., description="Event kind: rotations_suspended.")
    until: dt.date = Field(..., description="Last day of the suspension.")

    _until_after_date = field_validator("until")(_until_not_before_date)

    def apply(self, model) -> None:
        model.posture.suspend_rotations(self.until)


#: Every kind of event, in the order they are documented.
EVENT_CLASSES = (FrenchBaseLeft, CampCloses, ContingentLeaves, FlightRefusalShare, FlightsGrounded,
                 GroundMovementRestricted, ArmedGroupCapacity, ArmedGroupTargeting, MovementRestricted,
                 RotationsSuspended)

Event = Annotated[Union[EVENT_CLASSES], Field(discriminator="action")]

#: The ``action`` names, from the classes (``union_tag_invalid`` messages list them).
ACTIONS = tuple(get_args(cls.model_fields["action"].annotation)[0] for cls in EVENT_CLASSES)
