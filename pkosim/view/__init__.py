"""``pkosim view``: watch a run in the browser, or two scenarios replayed side by side on the same random numbers.

The layers, each knowing only the one below:

- ``projection.py``: longitude and latitude to map coordinates (no tiles: the theatre's border is drawn);
- ``layers.py``: what never changes during a run (border, road segments, camps, French bases), computed once;
- ``observe.py``: the adapter that reads a model, read-only, after each day and returns plain data (a ``Frame``);
- ``replay.py``: one or two models stepped in lockstep with the same seed, their frames kept so the date slider can
  go back, and the updates sent to the browser (only what changed since the day it last drew);
- ``map.vue`` and ``charts.vue`` (wrapped in ``components.py``): the map and the charts, drawn by the browser;
- ``app.py``: the page (controls, date, events, maps, charts, the difference between the two runs);
- ``server.py`` and ``cli.py``: ``pkosim view SCENARIO.yaml [--compare OTHER.yaml] [--seed S] [--port P]``.

The view never draws a random number and never changes a model: the runs it shows are those of ``pkosim run``.
"""
