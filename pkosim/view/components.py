"""The browser-side pieces as Solara components: each is a Vue template (``*.vue`` beside this file) whose props are
synced to the browser only when they change, so the map's static layer crosses the wire once and each day sends
only its update (``replay.py``)."""

from __future__ import annotations

from typing import Any, Callable

import solara


@solara.component_vue("map.vue", vuetify=False)
def TheatreMap(label: str, layer: dict, update: dict, event_resync: Callable[[Any], None]):
    """The theatre map of one run: border, roads coloured by IEDs, camps, French bases, convoys, incidents,
    medevac flights; an incident clicked shows its details."""


@solara.component_vue("charts.vue", vuetify=False)
def Charts(specs: dict, update: dict, event_resync: Callable[[Any], None]):
    """The charts of one run or of a pair (one line per run)."""


@solara.component_vue("clock.vue", vuetify=False)
def Clock(playing: bool, day: int, interval_ms: int, event_tick: Callable[[Any], None]):
    """While playing, asks for the next days every ``interval_ms`` once the last ones have arrived."""
