"""Random numbers: one stream per decision, in blocks keyed by day and entity or by event, so that common random
numbers survive changes elsewhere.

Why: a counterfactual is judged by the paired difference between two runs with the same seed. That difference is
the effect of the change only if every draw the change does not touch stays the same. A stream per subsystem is
not enough: when one decision of a subsystem makes one more draw (one more convoy passes a device), every later
draw of the subsystem shifts, and so do outcomes that the change had nothing to do with.

The scheme (as in Starsim, where each distribution has its own stream advanced per time step, and its agents each
their own slot in it):

- every **decision** has a name (``"jnim.ied_laying"``, ``"host_state.flight_refusal"``, ...) and its own
  counter-based generator (Philox), whose key comes from the run's ``SeedSequence`` and a stable code of the name
  (CRC-32), never from the order in which decisions are created;
- the generator is **positioned at the start of a block** before it draws. The counter's two high words name the
  block, the two low ones count the draws inside it:

  - ``generator()``: the block of (today, no entity); set-up draws use day 0, simulated day d uses d + 1;
  - ``generator(entity)``: the block of (today, entity), for decisions taken for one of several things on the same
    day (a patrolled segment, a convoy that could be ambushed, a flight request). Entities are stable codes
    (``entity_code``) built from what the thing is (a convoy: its move and its rank among the convoys of that
    move; a device: the group that laid it and its rank among the group's devices), never from a running count of
    everything, so one more convoy does not shift the draws of the others;
  - ``event(k)`` (``next_event()`` counts them): the block of the decision's k-th event, whatever day it falls on,
    for processes whose events move in time between scenarios (the k-th waiting time of an arrival process, the
    k-th device a group lays): with the same numbers for the same event, a higher rate brings the same events
    earlier instead of drawing new ones (time rescaling). ``event(entity_code(...))`` is likewise the block of one
    thing whatever day it happens (a convoy's passage over leg i of its route, a device met, an incident's
    wounded): a convoy held a day longer meets the rest of its road with the same luck, and a device does the same
    damage whoever meets it.

  Switching blocks keeps the place reached in the one left until the end of the day, so a block used twice the
  same day continues where it stopped; a new day forgets them (an event block is used on one day).

The draws of decision X in a block therefore depend only on (seed, X, block) and on the draws X made earlier in the
same block, never on how many draws X made elsewhere or any other decision made at all. Positioning costs a few
microseconds and happens only when a decision draws; decisions that would draw every day are written to draw only
when something happens (waiting times, device lifetimes), see the modules.
"""

from __future__ import annotations

import functools
import hashlib
import zlib

import numpy as np

SETUP_DAY = -1  # the day index of draws made while the model is built
EVENT_BLOCKS = np.uint64(2**63)  # third counter word of event blocks: above any day
_EVENT_WORD = int(EVENT_BLOCKS)


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


@functools.lru_cache(maxsize=4096, typed=True)   # the same things are named day after day (a base, a device met)
def entity_code(*parts) -> int:
    """A stable 63-bit code for an entity described by ``parts`` (names, days, ranks), e.g.
    ``entity_code("resupply", "Gao", "Kidal", 812, 0)`` for the first resupply convoy Gao-Kidal of day 812."""
    return _code(hashlib.blake2b("\x1f".join([str(p) for p in parts]).encode("utf-8"), digest_size=8))


def _code(digest) -> int:
    """The 63-bit code of a hash of an entity's text (``entity_code``, ``CodeFamily``)."""
    return int.from_bytes(digest.digest(), "little") >> 1


class CodeFamily:
    """``entity_code(*parts, *more)`` for the many entities that share the leading ``parts`` (the convoys of one
    move, the passages of one convoy): the shared text is hashed once and each code hashes only its own part. Same
    codes as ``entity_code`` (tests/test_speed2_camps.py), and none of these codes, each asked for once, fills its
    memo."""

    __slots__ = ("_hash",)

    def __init__(self, *parts):
        self._hash = hashlib.blake2b(("\x1f".join([str(p) for p in parts]) + "\x1f").encode("utf-8"), digest_size=8)

    def __call__(self, *more) -> int:
        h = self._hash.copy()
        h.update("\x1f".join([str(p) for p in more]).encode("utf-8"))
        return _code(h)


class Decision:
    """The random numbers of one decision, in blocks (module docstring): ``generator()`` and ``generator(entity)``
    for today, ``event(k)`` for the decision's k-th event."""

    __slots__ = ("name", "_clock", "_key", "_bitgen", "_generator", "_counter", "_state", "_block", "_day",
                 "_parked", "_spare", "_events")

    def __init__(self, name: str, key: np.ndarray, clock: "Streams"):
        self.name = name
        self._clock = clock
        self._bitgen = np.random.Philox(key=key)
        self._generator = np.random.Generator(self._bitgen)
        self._key = key
        # The state of a block's start; Python ints, which numpy's state setter reads faster than arrays.
        self._counter = [0, 0, 0, 0]
        self._state = {"bit_generator": "Philox", "state": {"counter": self._counter, "key": key.tolist()},
                       "buffer": [0, 0, 0, 0], "buffer_pos": 4, "has_uint32": 0, "uinteger": 0}
        self._block: tuple[int, int] | None = None
        self._day: int | None = None
        # Today's blocks left part-way keep their own bit generator, parked where it stopped (cheaper than reading
        # and restoring a state); a new day returns them to the spares, which later blocks reuse.
        self._parked: dict[tuple[int, int], tuple[np.random.Philox, np.random.Generator]] = {}
        self._spare: list[tuple[np.random.Philox, np.random.Generator]] = []
        self._events = 0                                  # events so far: the index of the next event block

    def generator(self, entity: int = 0) -> np.random.Generator:
        """The generator positioned in the block of (today, ``entity``)."""
        return self._at(self._clock.day - SETUP_DAY, entity)

    def event(self, index: int) -> np.random.Generator:
        """The generator positioned in the block of the decision's ``index``-th event (any day)."""
        return self._at(_EVENT_WORD, index)

    @property
    def events(self) -> int:
        """Events drawn so far by ``next_event`` (the index of the next one)."""
        return self._events

    def next_event(self) -> np.random.Generator:
        """The generator positioned in the block of the decision's next event (its first call: event 0)."""
        self._events += 1
        return self.event(self._events - 1)

    def next_event_and_code(self, label: str | None = None) -> tuple[np.random.Generator, int]:
        """The next event's block and the event's code, ``entity_code(label, k)`` for the k-th event (``label``:
        the decision's name unless given): the name by which other decisions key their draws for it (a device's
        luck, an attack's deaths of wounds)."""
        code = entity_code(self.name if label is None else label, self._events)
        return self.next_event(), code

    def _at(self, word: int, entity: int) -> np.random.Generator:
        block = (word, entity)
        day = self._clock.day
        if day != self._day:
            if self._parked:
                self._spare.extend(self._parked.values())
                self._parked.clear()
            self._day = day
        elif block == self._block:
            return self._generator
        else:
            self._parked[self._block] = (self._bitgen, self._generator)
            found = self._parked.pop(block, None)
            if found is not None:
                self._bitgen, self._generator = found
                self._block = block
                return self._generator
            if self._spare:
                self._bitgen, self._generator = self._spare.pop()
            else:
                self._bitgen = np.random.Philox(key=self._key)
                self._generator = np.random.Generator(self._bitgen)
        self._counter[2] = word
        self._counter[3] = entity
        self._bitgen.state = self._state
        self._block = block
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
