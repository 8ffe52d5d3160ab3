"""Random numbers: one stream per decision, keyed by day, so that common random numbers survive changes elsewhere.

Why: a counterfactual is judged by the paired difference between two runs with the same seed. That difference is
the effect of the change only if every draw the change does not touch stays the same. A stream per subsystem is
not enough: when one decision of a subsystem makes one more draw (one more convoy passes a device), every later
draw of the subsystem shifts, and so do outcomes that the change had nothing to do with.

The scheme (as in Starsim, where each distribution has its own stream advanced per time step):

- every **decision** has a name (``"jnim.ied_laying"``, ``"host_state.flight_refusal"``, ...) and its own
  counter-based generator (Philox), whose key comes from the run's ``SeedSequence`` and a stable code of the name
  (CRC-32), never from the order in which decisions are created;
- the generator is **positioned at the start of the day** the first time the decision draws on that day: the
  counter's third word is the day (set-up draws use day 0, simulated day d uses d + 1). The draws of decision X on
  day d therefore depend only on (seed, X, d) and on the draws X made earlier that same day, never on how many
  draws X made on other days or any other decision made at all.

Positioning costs about 2 microseconds and happens only on days a decision draws; decisions that would draw every
day are written to draw only when something happens (waiting times, device lifetimes), see the modules.
"""

from __future__ import annotations

import zlib

import numpy as np

SETUP_DAY = -1  # the day index of draws made while the model is built


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """An int seed becomes ``SeedSequence(seed)``; a SeedSequence is used as given."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.SeedSequence(int(seed))
    raise TypeError(f"seed must be an int or numpy.random.SeedSequence, got {type(seed).__name__}")


def decision_code(name: str) -> int:
    """A stable 32-bit code for a decision name (the same in every Python process and version)."""
    return zlib.crc32(name.encode("utf-8"))


class Decision:
    """The random numbers of one decision: ``generator()`` is a numpy Generator positioned at today's block."""

    __slots__ = ("name", "_clock", "_bitgen", "_generator", "_counter", "_state", "_day")

    def __init__(self, name: str, key: np.ndarray, clock: "Streams"):
        self.name = name
        self._clock = clock
        self._bitgen = np.random.Philox(key=key)
        self._generator = np.random.Generator(self._bitgen)
        self._counter = np.zeros(4, dtype=np.uint64)
        self._state = {"bit_generator": "Philox", "state": {"counter": self._counter, "key": key},
                       "buffer": np.zeros(4, dtype=np.uint64), "buffer_pos": 4, "has_uint32": 0, "uinteger": 0}
        self._day: int | None = None

    def generator(self) -> np.random.Generator:
        """The generator for this decision on the clock's current day (repositioned on the first call of a day)."""
        day = self._clock.day
        if day != self._day:
            self._counter[:] = 0
            self._counter[2] = day - SETUP_DAY
            self._bitgen.state = self._state
            self._day = day
        return self._generator


class Streams:
    """The decisions of one run. ``day`` is the model's day index (``SETUP_DAY`` while the model is built)."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.root = as_seed_sequence(seed)
        self.day = SETUP_DAY
        self._decisions: dict[str, Decision] = {}
        self._codes: dict[int, str] = {}

    def decision(self, name: str) -> Decision:
        """The stream of the named decision (created on first use; the same object afterwards)."""
        found = self._decisions.get(name)
        if found is not None:
            return found
        code = decision_code(name)
        if code in self._codes:
            raise ValueError(f"decision names {name!r} and {self._codes[code]!r} share a stream code; rename one")
        self._codes[code] = name
        child = np.random.SeedSequence(self.root.entropy, spawn_key=tuple(self.root.spawn_key) + (code,),
                                       pool_size=self.root.pool_size)
        decision = Decision(name, child.generate_state(2, dtype=np.uint64), self)
        self._decisions[name] = decision
        return decision

    @property
    def names(self) -> list[str]:
        """Names of the decisions created so far (documentation and tests)."""
        return sorted(self._decisions)


def mesa_seed(seed: int | np.random.SeedSequence) -> int:
    """An integer for ``mesa.Model(rng=...)`` (Mesa's own shuffles; the model's decisions never use it)."""
    root = as_seed_sequence(seed)
    child = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (decision_code("mesa"),),
                                   pool_size=root.pool_size)
    return int(child.generate_state(1, dtype=np.uint32)[0])
