"""The page of ``pkosim view``: controls, the day's date and events, one map (or two side by side), the charts and,
for a pair, the running difference in deaths.

Every browser tab gets its own replay (``replay.py``), built from the scenarios and seed ``pkosim view`` was started
with (``server.CONFIG``). The page holds the day shown; every move (step, play tick, slider) goes through ``go_to``,
which steps the models if needed and hands each map and the charts the update that takes them from the day they
show to the new one.

Why not Mesa's ``SolaraViz``: it drives one model and redraws each of its components whole at every step (an Altair
or Matplotlib figure); a paired replay of two models on one calendar, a date slider that goes back, and updates that
send only what changed need their own small controller. The pieces are Solara components all the same, so they can
be placed in a ``SolaraViz`` page or a notebook.
"""

from __future__ import annotations

from html import escape

import solara

from pkosim.view import server
from pkosim.view.components import Charts, Clock, TheatreMap
from pkosim.view.observe import DEATHS
from pkosim.view.replay import Replay
from sim.metrics import REGISTRY

TICK_MS = 200          # the play clock's tick (clock.vue): at most five moves a second
# Speed: days per move. The next move starts a tick after the last one arrived, so the fastest speeds run as fast as
# the models step (a few hundred days a second for one run, half that for a pair).
SPEEDS = {"1 day": 1, "3 days": 3, "1 week": 7, "1 month": 30, "3 months": 91}
RECENT_EVENTS = 6

CSS = """
.pk-page { padding: 8px 12px; max-width: 1600px; }
.pk-head { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
.pk-title { font-size: 20px; font-weight: 600; }
.pk-seed { color: #6c757d; font-size: 13px; }
.pk-controls { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.pk-controls .v-input { min-width: 280px; flex: 1; }
.pk-date { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.pk-daycount { color: #6c757d; }
.pk-diff { font-size: 16px; font-weight: 600; padding: 2px 8px; border-radius: 4px; background: #fff4e6; }
.pk-main { display: flex; gap: 14px; align-items: flex-start; flex-wrap: wrap; }
.pk-maps { display: flex; gap: 10px; flex: 3 1 560px; min-width: 0; }
.pk-maps > * { flex: 1 1 0; min-width: 0; }
.pk-maps .pk-svg { max-height: calc(100vh - 230px); }
.pk-side { flex: 1 1 320px; max-width: 420px; display: flex; flex-direction: column; gap: 10px; }
.pk-events { font-size: 12px; }
.pk-events li.pk-today { font-weight: 700; color: #c92a2a; }
.pk-events ul { padding-left: 16px; margin: 2px 0; }
"""


def difference_text(replay: Replay, day: int) -> str:
    """'Hostile deaths since 2023-07-01: a 3, b 5; difference +2' (second run minus first)."""
    a, b = (int(round(replay.frame(day, i).values[DEATHS])) for i in (0, 1))
    return (f"{REGISTRY[DEATHS].label} since {replay.first_date}: {replay.runs[0].label} {a}, "
            f"{replay.runs[1].label} {b}; difference {replay.deaths_difference(day):+d}")


@solara.component
def Header(replay: Replay, config: server.ViewConfig):
    """The scenarios shown and the run seed, so that a run seen here can be found again in a batch's tables."""
    with solara.Div(classes=["pk-head"]):
        solara.Text(" vs ".join(run.label for run in replay.runs), classes=["pk-title"])
        solara.Text(f"run seed {replay.seed_label} (replication {config.run + 1} of pkosim run --seed {config.seed}; "
                    f"{'both runs on the same random numbers' if replay.paired else 'one run'})", classes=["pk-seed"])


@solara.component
def Controls(day: int, n_days: int, playing: bool, speed: solara.Reactive, on_play_pause, on_step, on_seek, on_tick):
    """Play / pause, step, the date slider, the days per move, and the play clock."""
    with solara.Div(classes=["pk-controls"]):
        solara.Button("Pause" if playing else "Play", on_click=on_play_pause, color="primary", classes=["pk-play"])
        solara.Button("Step", on_click=on_step, classes=["pk-step"], disabled=day >= n_days - 1)
        solara.SliderInt("Day", value=day, min=0, max=n_days - 1, on_value=on_seek, thumb_label=False)
        solara.Text("per move:", classes=["pk-daycount"])
        solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS), classes=["pk-speed"])
        Clock(playing=playing, day=day, interval_ms=TICK_MS, event_tick=on_tick)


@solara.component
def Status(replay: Replay, day: int):
    """The day's date and, for a pair, the running difference in deaths."""
    with solara.Div(classes=["pk-head"]):
        solara.Text(replay.frame(day).date, classes=["pk-date"])
        solara.Text(f"day {day + 1} of {replay.n_days} ({replay.first_date} to {replay.last_date})",
                    classes=["pk-daycount"])
        if replay.paired:
            solara.HTML(tag="span", unsafe_innerHTML=escape(difference_text(replay, day)), classes=["pk-diff"],
                        attributes={"data-value": str(replay.deaths_difference(day))})


@solara.component
def Events(replay: Replay, day: int):
    """The events applied today, and the last few before."""
    today = replay.frame(day).date
    recent = replay.events_until(day, RECENT_EVENTS)
    with solara.Div(classes=["pk-events"]):
        solara.Text("Scenario events", style={"font-weight": "600"})
        if not recent:
            solara.Text(" none yet")
        items = "".join(f'<li class="{"pk-today" if date == today else ""}">{date}: {escape(text)}</li>'
                        for date, text in recent)
        solara.HTML(tag="ul", unsafe_innerHTML=items, classes=["pk-event-list"])


@solara.component
def Page():
    config = server.CONFIG
    replay: Replay = solara.use_memo(lambda: Replay(config.scenarios, config.seed, config.run), [])
    day = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(next(iter(SPEEDS)))
    seq = solara.use_ref(0)
    maps = solara.use_reactive([replay.map_update(i, -1, 0, 0) for i in range(len(replay.runs))])
    charts = solara.use_reactive(replay.chart_update(-1, 0, 0))
    specs = solara.use_memo(replay.chart_specs, [])

    def go_to(target: int, *, reset: bool = False) -> None:
        """Every move goes here: step the models if needed, send each drawing what takes it to ``target``."""
        target = replay.ensure(target)
        shown = -1 if reset else day.value
        if target == shown:
            return
        seq.current += 1
        maps.set([replay.map_update(i, shown, target, seq.current) for i in range(len(replay.runs))])
        charts.set(replay.chart_update(shown, target, seq.current))
        day.set(target)

    def step() -> None:
        playing.set(False)
        go_to(day.value + 1)

    def seek(target: int) -> None:
        playing.set(False)
        go_to(target)

    def play_pause() -> None:
        if not playing.value and day.value >= replay.n_days - 1:
            go_to(0)
        playing.set(not playing.value)

    def tick(data) -> None:
        if not playing.value or data.get("day") != day.value:
            return                       # paused, or a tick of a day already left
        go_to(day.value + SPEEDS[speed.value])
        if day.value >= replay.n_days - 1:
            playing.set(False)

    def resync(_data=None) -> None:
        go_to(day.value, reset=True)     # a drawing missed an update (map.vue, charts.vue): send it all again

    solara.Title("pkosim view: " + " vs ".join(run.label for run in replay.runs))
    solara.Style(CSS)
    with solara.Column(classes=["pk-page"], gap="8px"):
        Header(replay, config)
        Controls(day.value, replay.n_days, playing.value, speed, play_pause, step, seek, tick)
        Status(replay, day.value)
        with solara.Div(classes=["pk-main"]):
            with solara.Div(classes=["pk-maps"]):
                for i, run in enumerate(replay.runs):
                    TheatreMap(label=run.label, layer=run.layer, update=maps.value[i], event_resync=resync)
            with solara.Div(classes=["pk-side"]):
                Charts(specs=specs, update=charts.value, event_resync=resync)
                Events(replay, day.value)
