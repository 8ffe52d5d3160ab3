"""One run, or two runs in lockstep, kept day by day so that the view can go back, and the updates the browser
needs to move from the day it shows to another.

A paired replay builds both models as ``pkosim run`` builds replication ``run`` of root seed ``seed``: with the run
seed ``sim.runner.seeds.run_seed(seed, run)`` and, for a scenario with a posterior, draw ``run`` of its parameters
(``Scenario.for_replication``), so wherever the two scenarios use their random numbers the same
way they draw the same numbers (common random numbers): the difference between the maps is the effect of the change,
not noise. Both runs must cover the same window, so that day k of one is day k of the other.

Frames are small (15 camps, about 130 road segments, a few convoys: well under a kilobyte a day), so a ten-year run
keeps all of them; going back is a look-up, going forward steps the models (each day once).

What the browser is sent (``map_update``, ``chart_update``): the static layer once (``layers.py``), then per move
only the day's small state (camps, bases, IEDs, convoys, events), the incidents and chart values of the days in
between, and ``reset`` when the browser must start over (it has nothing yet, or the slider went back).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.errors import Problem, ScenarioError
from sim.runner.seeds import run_seed, seed_label
from sim.scenario.loader import with_overrides
from sim.simulation import PeacekeepingModel
from pkosim.view.layers import static_layer
from pkosim.view.observe import CHARTS, DEATHS, Frame, Observer
from pkosim.view.projection import Projection


@dataclass
class Run:
    """One model, its fixed map layer, and the frames of the days it has run (frame k: day k of the window)."""

    label: str
    model: PeacekeepingModel
    layer: dict
    observer: Observer
    frames: list[Frame] = field(default_factory=list)

    def step(self) -> None:
        self.model.step()
        self.frames.append(self.observer.frame())


def start_run(scenario, seed) -> Run:
    """Build the model, run its warm-up (not shown, as it is not recorded), and run the window's first day."""
    if not scenario.outputs.incidents:
        scenario = with_overrides(scenario, {"outputs.incidents": True})   # the map shows them; no draw depends on it
    model = PeacekeepingModel(scenario=scenario, seed=seed)
    for _ in range(model.warmup):
        model.step()
    layer = static_layer(model)
    run = Run(scenario.name, model, layer, Observer(model, layer, Projection(**layer["projection"])))
    run.step()
    return run


def check_same_window(scenarios) -> None:
    """A paired replay shows day k of both runs side by side: their windows must be the same."""
    first = scenarios[0]
    for other in scenarios[1:]:
        if (other.start, other.end) != (first.start, first.end):
            raise ScenarioError([Problem(
                str(other.name), None, None, "start/end",
                f"--compare needs the same window: {first.name} runs {first.start}..{first.end}, {other.name} "
                f"runs {other.start}..{other.end}; set the same start and end (extends: keeps the rest)")])


class Replay:
    """The runs of the view, stepped together (see the module docstring)."""

    def __init__(self, scenarios, seed: int, run: int = 0):
        check_same_window(scenarios)
        self.seed_label = seed_label(seed, run)
        self.runs = [start_run(s.for_replication(run), run_seed(seed, run)) for s in scenarios]
        self.n_days = len(self.runs[0].model.dates)
        self.first_date = self.runs[0].model.dates[0].date().isoformat()
        self.last_date = self.runs[0].model.dates[-1].date().isoformat()

    @property
    def paired(self) -> bool:
        return len(self.runs) > 1

    @property
    def computed(self) -> int:
        """The last day every run has computed."""
        return min(len(r.frames) for r in self.runs) - 1

    def ensure(self, day: int) -> int:
        """Run the models up to ``day`` (clipped to the window); returns the day reached."""
        day = max(0, min(day, self.n_days - 1))
        while self.computed < day:
            for run in self.runs:
                if len(run.frames) - 1 < day:
                    run.step()
        return day

    def frame(self, day: int, which: int = 0) -> Frame:
        return self.runs[which].frames[day]

    def deaths_difference(self, day: int) -> int:
        """Hostile deaths of the second run minus the first, from the window's start to ``day`` (paired only)."""
        return int(round(self.frame(day, 1).values[DEATHS] - self.frame(day, 0).values[DEATHS]))

    def events_until(self, day: int, limit: int) -> list[tuple[str, str]]:
        """The last ``limit`` events applied up to ``day`` (date, text), the newest first, of every run (an event
        that only one run has is marked with its run's label)."""
        out: list[tuple[str, str]] = []
        for frame_day in range(day, -1, -1):
            texts: dict[str, list[str]] = {}
            for run in self.runs:
                for text in run.frames[frame_day].events:
                    texts.setdefault(text, []).append(run.label)
            for text, labels in texts.items():
                suffix = f" [{labels[0]}]" if self.paired and len(labels) < len(self.runs) else ""
                out.append((self.runs[0].frames[frame_day].date, text + suffix))
            if len(out) >= limit:
                break
        return out[:limit]

    # --- what the browser is sent -------------------------------------------------------------------------
    def map_update(self, which: int, shown: int, day: int, seq: int) -> dict:
        """What map ``which`` needs to go from day ``shown`` (-1: nothing drawn) to ``day``."""
        run = self.runs[which]
        reset = shown < 0 or day < shown
        first = 0 if reset else shown + 1
        return {"seq": seq, "from": -1 if reset else shown, "to": day, "reset": reset,
                "state": run.frames[day].state(),
                "incidents": [i for f in run.frames[first:day + 1] for i in f.incidents]}

    def chart_update(self, shown: int, day: int, seq: int) -> dict:
        """The chart values of the days after ``shown`` up to ``day``, per run (all of them after a reset)."""
        reset = shown < 0 or day < shown
        first = 0 if reset else shown + 1
        return {"seq": seq, "from": -1 if reset else shown, "to": day, "reset": reset,
                "runs": [{s.result: [f.values[s.result] for f in run.frames[first:day + 1]] for s in CHARTS}
                         for run in self.runs]}

    def chart_specs(self) -> dict:
        return {"n_days": self.n_days, "first_date": self.first_date, "last_date": self.last_date,
                "labels": [r.label for r in self.runs],
                "series": [{"result": s.result, "label": s.label, "unit": s.unit} for s in CHARTS]}
