"""The registry of every result the model reports, collected from the modules that declare them.

Order is the column order of the daily, yearly and runs tables: casualties first, then the IED field, convoys and
logistics, camps and their withdrawal, patrols and posture, air support, the medical chain and the host state. Everything that lists metrics (the recorder,
docs/results.md, the ODD, ``analysis.metrics``, ``pkosim run``'s printout) reads this one registry.
"""

from __future__ import annotations

from sim import (air_support, camp, convoy, host_state, ied, incidents, logistics, medical, patrol, posture,
                 withdrawal)
from sim.results import Registry

MODULES = (incidents, ied, convoy, logistics, camp, withdrawal, patrol, posture, air_support, medical, host_state)

REGISTRY = Registry([result for module in MODULES for result in module.RESULTS])
