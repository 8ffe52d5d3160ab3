"""Progress of a batch: a tqdm bar on a terminal, sparse log lines otherwise, nothing with ``--quiet``.

A batch can take hours on a cluster with its output going to a log file, where a redrawn bar would be noise; there
a line every ~5% or every 10 s (whichever comes first) says how far it is, how fast it goes and when it will end.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class Progress:
    """Counts finished runs of one batch and reports them."""

    def __init__(self, total: int, label: str, *, quiet: bool = False, stream: TextIO | None = None,
                 every_s: float = 10.0, every_share: float = 0.05):
        self.total, self.label, self.quiet = total, label, quiet
        self.stream = stream or sys.stderr
        self.done = self.failed = 0
        self.every_s, self.every_share = every_s, every_share
        self._started = self._last_time = time.monotonic()
        self._last_done = 0
        self._bar = None
        if not quiet and total and hasattr(self.stream, "isatty") and self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit="run", file=self.stream, dynamic_ncols=True)

    def update(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.set_postfix(done=self.done, failed=self.failed, refresh=False)
            self._bar.update(1)
            return
        now = time.monotonic()
        if (now - self._last_time >= self.every_s or self.done - self._last_done >= self.every_share * self.total
                or self.done == self.total):
            self._last_time, self._last_done = now, self.done
            elapsed = now - self._started
            rate = self.done / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else float("nan")
            eta_text = _duration(eta) if eta == eta else "?"
            print(f"{self.label}: {self.done}/{self.total} runs ({100 * self.done / self.total:.0f}%), "
                  f"{self.failed} failed, {rate:.2f} runs/s, elapsed {_duration(elapsed)}, ETA {eta_text}",
                  file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
