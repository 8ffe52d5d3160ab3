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
from typing import Annotated, ClassVar, Literal, Union, get_args

from pydantic import Field, ValidationInfo, field_validator

from sim.scenario.base import StrictModel


class _Event(StrictModel):
    date: dt.date = Field(..., description="Day the event takes effect (applied at the start of that day).")
    note: str = Field("", description="Why: the source or the reasoning behind this event.")

    #: One line of a scenario's ``events`` mapping with this kind of event (the README and the ODD show it).
    example: ClassVar[str] = ""

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
    """France leaves one of its bases for good: from ``date`` its aircraft no longer fly from it (and leaving Gao
    ends the French surgical unit there). Once every French base in Mali is left, French air support comes from
    outside only on request (``approval_share_when_outside`` of the French providers)."""

    example: ClassVar[str] = "leave_gao: {date: 2022-08-15, action: french_base_left, base: Gao}"
    action: Literal["french_base_left"] = Field(..., description="Event kind: french_base_left.")
    base: str = Field(..., description="The French base left (a name in sim/theatres/<theatre>/french_bases.csv).")

    def apply(self, model) -> None:
        model.air.french_base_left(self.base)


class CampCloses(_Event):
    """A camp closes on ``date``. From ``withdrawal.lead_days`` before that day it draws down: its people leave at
    an even pace by flight and by road, its equipment by withdrawal convoys; what is still there on the day is left
    behind (``withdrawal.py``). A closing date from the theatre's data is replaced by this one."""

    example: ClassVar[str] = "close_ber: {date: 2023-08-13, action: camp_closes, camp: Ber, transfer_to: Timbuktu}"
    action: Literal["camp_closes"] = Field(..., description="Event kind: camp_closes.")
    camp: str = Field(..., description="The camp that closes (a name in sim/theatres/<theatre>/camps.csv).")
    transfer_to: str | None = Field(
        None, description="A camp that receives the garrison and its equipment (default: the nearest resupply hub "
                          "that stays open longer, through which they leave the theatre).",
    )

    def prepare(self, model) -> None:
        model.camps_by_name[self.camp].plan_closure(self.date, self.transfer_to)

    def apply(self, model) -> None:
        model.camps_by_name[self.camp].close()


class ContingentLeaves(_Event):
    """A troop-contributing country withdraws troops on ``date``: a share of those it still has in every camp, or
    in the camps listed. The garrisons shrink at once (no convoy carries them)."""

    example: ClassVar[str] = "egypt_suspends: {date: 2022-08-15, action: contingent_leaves, contingent: Egypt}"
    action: Literal["contingent_leaves"] = Field(..., description="Event kind: contingent_leaves.")
    contingent: str = Field(..., description="The contributing country (a name in sim/theatres/<theatre>/contingents.csv).")
    camps: tuple[str, ...] = Field((), description="The camps it leaves (default: every camp).")
    share: float = Field(1.0, gt=0, le=1, description="Share of its remaining troops there that leave.")

    def apply(self, model) -> None:
        for camp in model.camps:
            if not self.camps or camp.name in self.camps:
                camp.contingent_leaves(self.contingent, self.share)


class FlightRefusalShare(_Event):
    """From ``date`` the host state refuses this share of the flight requests of providers subject to it
    (replacing ``host_state.flight_refusal_share`` or an earlier event's share)."""

    example: ClassVar[str] = "refusals_2023: {date: 2023-01-01, action: flight_refusal_share, share: 0.241}"
    action: Literal["flight_refusal_share"] = Field(..., description="Event kind: flight_refusal_share.")
    share: float = Field(..., ge=0, le=1, description="Share of flight requests refused.")

    def apply(self, model) -> None:
        model.host_state.set_refusal_share(self.share)


class FlightsGrounded(_Event):
    """Every flight of providers subject to the host state is grounded from ``date`` to ``until`` (inclusive)."""

    example: ClassVar[str] = "grounding_jan_2022: {date: 2022-01-17, action: flights_grounded, until: 2022-01-20}"
    action: Literal["flights_grounded"] = Field(..., description="Event kind: flights_grounded.")
    until: dt.date = Field(..., description="Last day of the grounding (not before date).")
    medevac_exempt: bool = Field(True, description="Whether medevac flights may still fly.")

    _until_after_date = field_validator("until")(_until_not_before_date)

    def apply(self, model) -> None:
        model.host_state.ground_flights(self.until, self.medevac_exempt)


class GroundMovementRestricted(_Event):
    """Convoys may not leave these hubs from ``date`` to ``until`` (inclusive): their trucks are held, so resupply
    and withdrawal convoys that need them wait (e.g. about 200 MINUSMA trucks held at Gao in 2023)."""

    example: ClassVar[str] = ("trucks_held_at_gao: {date: 2023-09-24, action: ground_movement_restricted, hubs: [Gao], "
                              "until: 2023-10-31}")
    action: Literal["ground_movement_restricted"] = Field(..., description="Event kind: ground_movement_restricted.")
    hubs: tuple[str, ...] = Field(..., min_length=1, description="The camps whose convoys are held (a list of camp names).")
    until: dt.date = Field(..., description="Last day of the restriction (not before date).")

    _until_after_date = field_validator("until")(_until_not_before_date)

    def apply(self, model) -> None:
        model.host_state.restrict_ground_movement(self.hubs, self.until)


class ArmedGroupCapacity(_Event):
    """An armed group's capacity (which every one of its rates scales with) is multiplied by ``factor`` on
    ``date``: a surge or a merger above 1 (JNIM's formation in 2017), losses below 1."""

    example: ClassVar[str] = "jnim_formation: {date: 2017-03-02, action: armed_group_capacity, group: jnim, factor: 1.3}"
    action: Literal["armed_group_capacity"] = Field(..., description="Event kind: armed_group_capacity.")
    group: str = Field(..., description="The armed group (a key of the scenario's armed_groups).")
    factor: float = Field(..., ge=0, le=100, description="Multiplier on the group's current capacity (0 ends its "
                                                         "attacks).")

    def apply(self, model) -> None:
        model.groups_by_id[self.group].scale_capacity(self.factor)


class ArmedGroupTargeting(_Event):
    """An armed group directs this share of its effort (devices, ambushes, camp attacks) at MINUSMA from this date,
    the rest at Malian forces and others (e.g. the JNIM-ISGS fighting of 2020, the turn against the Malian army and
    its Russian partners in 2022)."""

    example: ClassVar[str] = ("jnim_isgs_fighting_jnim: {date: 2020-01-01, action: armed_group_targeting, "
                              "group: jnim, share: 0.8}")
    action: Literal["armed_group_targeting"] = Field(..., description="Event kind: armed_group_targeting.")
    group: str = Field(..., description="The armed group (a key of the scenario's armed_groups).")
    share: float = Field(..., ge=0, le=1, description="Share of the group's effort against MINUSMA (replacing "
                                                      "armed_groups.<id>.share_against_minusma).")

    def apply(self, model) -> None:
        model.groups_by_id[self.group].target(self.share)


class MovementRestricted(_Event):
    """MINUSMA cuts its movement everywhere (patrols and convoy tempo) to ``factor`` from ``date`` to ``until``
    (inclusive), e.g. the COVID-19 measures of April-June 2020."""

    example: ClassVar[str] = ("covid_movement: {date: 2020-04-07, action: movement_restricted, factor: 0.7, "
                              "until: 2020-06-30}")
    action: Literal["movement_restricted"] = Field(..., description="Event kind: movement_restricted.")
    factor: float = Field(..., ge=0, le=1, description="Multiplier on every camp's movement factor.")
    until: dt.date = Field(..., description="Last day of the restriction (not before date).")

    _until_after_date = field_validator("until")(_until_not_before_date)

    def apply(self, model) -> None:
        model.posture.restrict(self.factor, self.until)


class RotationsSuspended(_Event):
    """Troop rotations (their flights and road moves) stop from ``date`` to ``until`` (inclusive), e.g. COVID-19 in
    2020, Mali's suspension of July 2022."""

    example: ClassVar[str] = ("rotations_suspended_jul_2022: {date: 2022-07-14, action: rotations_suspended, "
                              "until: 2022-08-14}")
    action: Literal["rotations_suspended"] = Field(..., description="Event kind: rotations_suspended.")
    until: dt.date = Field(..., description="Last day of the suspension (not before date).")

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
