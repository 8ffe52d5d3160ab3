"""Run seeds: one root seed per batch, one child seed per replication index (common random numbers).

Replication k always gets ``SeedSequence(root_seed, spawn_key=(k,))``, the same child that
``SeedSequence(root_seed).spawn(n)[k]`` gives. It depends on neither the scenario nor the design point, so run k of
a baseline and run k of a variant (or of any sweep point) face the same random draws wherever the model uses them
the same way: their difference is the effect of the change, not noise. It also depends on nothing about how the
batch is executed (workers, executor, order of completion), which is what makes batches reproducible.
"""

from __future__ import annotations

import numpy as np


def run_seed(root_seed: int, run: int) -> np.random.SeedSequence:
    """The seed of replication ``run`` under ``root_seed``."""
    return np.random.SeedSequence(int(root_seed), spawn_key=(int(run),))


def seed_label(root_seed: int, run: int) -> str:
    """How a run's seed is written in result files: ``"<root>/<k>"`` (entropy and spawn key)."""
    return f"{int(root_seed)}/{int(run)}"


def parse_seed_label(label: str) -> np.random.SeedSequence:
    """Rebuild the ``SeedSequence`` from a label written by ``seed_label`` (to re-run one run by hand)."""
    root, _, run = label.partition("/")
    return run_seed(int(root), int(run))
