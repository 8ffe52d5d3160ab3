"""Helpers for the adversarial tests (tests/test_adversarial_*.py): run pkosim as a user would, with hostile result
folders, full disks and concurrent writers, and check what it must never do.

Every case asserts: the exit code (sim.errors: 0 ok, 1 runs failed, 2 bad input, 3 environment, 130 interrupted),
one line on stderr and no traceback (``assert_one_line``), no file outside the batch changed (``Sibling``: a folder
next to the batch, with a file a hostile manifest names, snapshotted before and compared after), and no row
duplicated or lost (``assert_rows_match_status``: the documented tables read with ``pandas.read_parquet`` against
the runs the status log commits).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from pkosim.cli import main
from sim.runner.store import staged_name

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
RUN_FN = "test_runner_cli:adapted_model"      # the stand-in model on real scenarios (fast)
SLOW_RUN_FN = "adversarial:slow_model"       # the same, 0.2 s a run (for kills and concurrent writers)

TINY = """\
name: tiny
start: 2014-11-01
end: 2015-01-30
replications: 4
seed: 5
"""


def slow_model(scenario, seed):
    from test_runner_cli import adapted_model

    time.sleep(float(os.environ.get("PKOSIM_TEST_SLEEP", "0.2")))
    return adapted_model(scenario, seed)


def write_tiny(folder: Path, text: str = TINY, name: str = "tiny.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


# -- running pkosim -------------------------------------------------------------------------------------------------
def cli(capsys, *args) -> tuple[int, str, str]:
    """``pkosim ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)]), **extra}


def _as_from_a_shell() -> None:
    """Ctrl-C as a user's shell gives it: the default handler. A SIGINT ignored in the test process (whatever left it
    so) would otherwise be inherited, and Python keeps an ignored SIGINT ignored, so no interrupt would reach it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args, cwd: Path | None = None, **env: str) -> subprocess.Popen:
    """``pkosim ARGS`` in its own process group (so that signals can reach it and its workers alone)."""
    return subprocess.Popen([sys.executable, "-m", "pkosim.cli", *map(str, args)], cwd=cwd, env=environment(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_as_from_a_shell)


def pkosim(*args, cwd: Path | None = None, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pkosim.cli", *map(str, args)], cwd=cwd, env=environment(**env),
                          capture_output=True, text=True, timeout=timeout)


def wait_for_commits(batch: Path, lines: int = 1, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    log = batch / "status.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(log.read_text().splitlines()) >= lines:
                return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise AssertionError(f"pkosim ended early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"{log}: fewer than {lines} commit(s) after {timeout} s")


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, their children, and so on (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pids: list[int]) -> list[int]:
    """Which of ``pids`` still run (zombies do not)."""
    running = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            running.append(pid)
    return running


def wait_gone(pids: list[int], timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def interrupt(process: subprocess.Popen, sig: int = signal.SIGINT, group: bool = True) -> None:
    (os.killpg if group else os.kill)(process.pid, sig)


# -- what must hold -------------------------------------------------------------------------------------------------
def assert_one_line(err: str, *fragments: str) -> None:
    """stderr is one line (plus ``pkosim:`` notes), holds every fragment, and no traceback."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("pkosim: skipping") and "warning:" not in line]
    assert len(errors) == 1, f"expected one line, got:\n{err}"
    for fragment in fragments:
        assert fragment in errors[0], f"{fragment!r} not in {errors[0]!r}"


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file and folder under ``folder``: size, modification time and mode (what a change would alter)."""
    found = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = path.lstat()
        found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return found


class Sibling:
    """A folder next to the batches, with a file and a sub-folder a hostile batch might name."""

    def __init__(self, root: Path):
        self.path = root / "sibling"
        (self.path / "keep").mkdir(parents=True)
        self.victim = self.path / "victim.txt"
        self.victim.write_text("do not delete\n")
        (self.path / "keep" / "notes.parquet").write_bytes(b"not yours")
        self.before = snapshot(self.path)

    def assert_untouched(self) -> None:
        assert snapshot(self.path) == self.before


def status_lines(batch: Path) -> list[dict]:
    return [json.loads(line) for line in (batch / "status.jsonl").read_text().splitlines()]


def committed_runs(batch: Path) -> set[tuple[int, int]]:
    runs = [tuple(run) for line in status_lines(batch) for run in line["ok"]]
    assert len(runs) == len(set(runs)), "a run is committed twice"
    return set(runs)


KEYS = {"runs": [], "yearly": ["year"], "daily": ["date"]}


def assert_rows_match_status(batch: Path, tables=("runs", "yearly", "daily"), *,
                             killed: bool = False) -> set[tuple[int, int]]:
    """pandas.read_parquet(DIR/<table>.parquet) holds each committed run exactly once (no duplicate, none lost).

    ``killed``: the writer was killed, possibly between a flush's commit and the renames of its parts (steps 2 and 3
    in ``sim/runner/store.py``): the runs of a committed part still under its staged name are not in the plain
    reader's view until the next writer renames it; every other committed run is, once, and nothing else."""
    committed = committed_runs(batch)
    for name in tables:
        frame = pd.read_parquet(batch / f"{name}.parquet")
        assert not frame.duplicated(["point", "run", *KEYS[name]]).any(), f"{name}: duplicate rows"
        expected = committed
        if killed:
            expected = committed - {tuple(run) for line in status_lines(batch) for run in line["ok"]
                                    if (batch / f"{name}.parquet" / staged_name(line["parts"][name])).exists()}
        assert set(zip(frame["point"], frame["run"])) == expected, f"{name}: rows differ from the status log"
    return committed


def failing_writes(monkeypatch, folder: Path, code: int = errno.ENOSPC, after: int = 0) -> list[int]:
    """Make every new file or folder under ``folder`` fail with ``code`` (ENOSPC: a full disk, EROFS: a read-only
    folder), after ``after`` successful ones. Returns a counter list (its length = files created so far)."""
    created: list[int] = []
    real_open, real_mkdir = os.open, os.mkdir
    message = os.strerror(code)

    def under(path) -> bool:
        try:
            return Path(os.fsdecode(path)).resolve().is_relative_to(folder.resolve())
        except (OSError, ValueError, TypeError):
            return False

    def fake_open(path, flags, mode=0o777, *args, **kwargs):
        if flags & os.O_CREAT and under(path):
            if len(created) >= after:
                raise OSError(code, message, os.fsdecode(path))
            created.append(1)
        return real_open(path, flags, mode, *args, **kwargs)

    def fake_mkdir(path, mode=0o777, *args, **kwargs):
        if under(path) and len(created) >= after:
            raise OSError(code, message, os.fsdecode(path))
        return real_mkdir(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    return created
