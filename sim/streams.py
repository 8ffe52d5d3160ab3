"""Named random streams: one independent generator per subsystem, spawned from the run's seed.

Why: common random numbers. Two scenarios that differ only in, say, medical parameters should see the same IEDs
laid and the same ambushes; only the draws of the subsystem that changed may move. Each subsystem therefore gets
its own ``numpy.random.Generator``, derived from the run's ``SeedSequence`` by a fixed position in ``STREAMS``
(never by the order in which subsystems happen to ask), so adding a draw in one subsystem never shifts another's.

Children are derived without mutating the caller's ``SeedSequence`` (``SeedSequence.spawn`` would advance its
counter, so the same object passed twice would give different runs).
"""

from __future__ import annotations

import numpy as np

#: Subsystem streams in a fixed order; append new names at the end so existing streams keep their numbers.
STREAMS: tuple[str, ...] = ("mesa", "armed_groups", "ieds", "convoys", "camps", "patrols", "air", "medical", "air_availability")


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """An int seed becomes ``SeedSequence(seed)``; a SeedSequence is used as given."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.SeedSequence(int(seed))
    raise TypeError(f"seed must be an int or numpy.random.SeedSequence, got {type(seed).__name__}")


def child_sequence(seed: int | np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """The SeedSequence of the named stream: the root's entropy with the stream's index appended to its spawn key."""
    root = as_seed_sequence(seed)
    index = STREAMS.index(name)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (index,), pool_size=root.pool_size)


def spawn_streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """One PCG64 generator per name in ``STREAMS``."""
    return {name: np.random.Generator(np.random.PCG64(child_sequence(seed, name))) for name in STREAMS}


def mesa_seed(seed: int | np.random.SeedSequence) -> int:
    """An integer for ``mesa.Model(rng=...)`` from the 'mesa' stream (Mesa's own shuffles and random)."""
    return int(child_sequence(seed, "mesa").generate_state(1, dtype=np.uint32)[0])
