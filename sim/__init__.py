"""pkosim's simulation layer: scenario format, theatre data, the agent-based model and the batch runner.

Layers, each knowing only the one below: scenario files -> validated scenario objects (``sim.scenario``)
-> one model run (``sim.model``) -> many runs written to result files (``sim.runner``). ``sim`` never imports
``analysis``.
"""

__version__ = "0.1.0"
