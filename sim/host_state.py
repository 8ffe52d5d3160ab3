"""The host-state authority: refused flights, grounding days and road restrictions, all dated from the scenario.

The host state is an actor without choices of its own in this model: its behaviour is what the scenario says it
did or might do (``flight_refusal_share``, ``flights_grounded``, ``ground_movement_restricted`` events), so that
"no flight refusals" and "refusals from 2022" are scenarios, not code changes.
"""

from __future__ import annotations

from datetime import date

import mesa
import numpy as np


class HostState(mesa.Agent):
    """Holds the current refusal share, groundings and restricted hubs; answers 'may this move happen today?'."""

    def __init__(self, model: mesa.Model, params):
        super().__init__(model)
        self.refusal_share: float = params.flight_refusal_share
        self.refusal_delay_minutes: float = params.refusal_delay_minutes
        self.grounded_until: date | None = None
        self.grounding_medevac_exempt: bool = True
        self.restricted_until: dict[str, date] = {}

    # --- events -------------------------------------------------------------------------------------------------
    def set_refusal_share(self, share: float) -> None:
        self.refusal_share = share

    def ground_flights(self, until: date, medevac_exempt: bool) -> None:
        self.grounded_until = until
        self.grounding_medevac_exempt = medevac_exempt

    def restrict_ground_movement(self, hubs: tuple[str, ...], until: date) -> None:
        for hub in hubs:
            self.restricted_until[hub] = until

    # --- questions ------------------------------------------------------------------------------------------------
    def grounded(self, today: date, medevac: bool) -> bool:
        """Whether flights subject to the host state are grounded today (medevac may be exempt)."""
        if self.grounded_until is None or today > self.grounded_until:
            return False
        return not (medevac and self.grounding_medevac_exempt)

    def flight_allowed(self, today: date, medevac: bool, rng: np.random.Generator) -> bool:
        """One flight request: refused if grounded, else refused with the current refusal share."""
        if self.grounded(today, medevac):
            return False
        return not (self.refusal_share > 0 and rng.random() < self.refusal_share)

    def convoys_held(self, origin: str, today: date) -> bool:
        """Whether convoys may not leave ``origin`` today (trucks held at a hub)."""
        until = self.restricted_until.get(origin)
        return until is not None and today <= until
