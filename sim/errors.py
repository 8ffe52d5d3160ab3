"""Errors meant for people, not for debuggers, and the exit codes that say what kind of failure it was.

Every error the user can cause (a malformed scenario, a missing file, an impossible parameter, a damaged result
folder) is raised as a ``PkosimError`` whose ``str()`` is a complete one-line message naming the file, line and key
where known. What the machine refuses (a full disk, a read-only folder, no permission, a batch locked by another
writer) is a ``PkosimEnvironmentError``. The command-line entry point prints those lines and exits with the error's
``exit_code``; it never shows a traceback for them.

Exit codes (documented in the README):

- ``EXIT_OK`` 0: done;
- ``EXIT_RUNS_FAILED`` 1: the batch finished but some runs failed (tracebacks in ``failures/``);
- ``EXIT_BAD_INPUT`` 2: bad input (a scenario, an option, a damaged or edited result folder);
- ``EXIT_ENVIRONMENT`` 3: the environment stopped the command (disk full, permissions, read-only folder, lock held);
- ``EXIT_INTERRUPTED`` 130: interrupted (Ctrl-C or SIGTERM); what finished is written, ``--resume`` goes on.
"""

from __future__ import annotations

import errno
import sys
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_RUNS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERRUPTED = 130


class PkosimError(Exception):
    """A user-facing error. ``lines()`` gives the messages to print, one per problem."""

    exit_code = EXIT_BAD_INPUT

    def lines(self) -> list[str]:
        return [str(self)]


class RunsFailedError(PkosimError):
    """The command finished, but some runs failed (their tracebacks are in the batches' ``failures/``)."""

    exit_code = EXIT_RUNS_FAILED


class PkosimEnvironmentError(PkosimError):
    """The machine, not the input, stopped the command: disk full, no permission, read-only folder, lock held."""

    exit_code = EXIT_ENVIRONMENT


# What the user can do about an operating-system error, by errno; errors not listed here are about the input
# (a path that does not exist, a file where a folder is expected) and exit with EXIT_BAD_INPUT.
_ENVIRONMENT_HINTS = {
    errno.ENOSPC: "the disk is full; free some space",
    errno.EDQUOT: "the disk quota is used up; free some space",
    errno.EROFS: "the file system is read-only; choose a writable folder",
    errno.EACCES: "no permission; check the folder's permissions or choose another folder",
    errno.EPERM: "not permitted; check the folder's permissions or choose another folder",
    errno.EIO: "input/output error; check the disk",
    errno.EMFILE: "too many open files; raise the limit (ulimit -n)",
    errno.ENFILE: "too many open files on this machine",
    errno.EBUSY: "the file is busy",
}


def from_os_error(error: OSError, path: str | Path | None, doing: str) -> PkosimError:
    """A one-line error for an ``OSError`` met while ``doing`` something to ``path`` ("write", "create", ...)."""
    where = str(path if path is not None else (error.filename or "pkosim"))
    reason = error.strerror or type(error).__name__
    hint = _ENVIRONMENT_HINTS.get(error.errno)
    if hint is not None:
        return PkosimEnvironmentError(f"{where}: cannot {doing}: {reason} ({hint})")
    if error.errno == errno.EISDIR:
        return PkosimError(f"{where}: is a directory, not a file")
    if error.errno == errno.ENOTDIR:
        return PkosimError(f"{where}: cannot {doing}: part of the path is a file, not a folder")
    if error.errno == errno.ELOOP:
        return PkosimError(f"{where}: cannot {doing}: a loop of symbolic links")
    return PkosimError(f"{where}: cannot {doing}: {reason}")


def note(message: str) -> None:
    """A one-line note or warning for people (the command goes on): on stderr, after a ``pkosim:`` prefix."""
    print(f"pkosim: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in an input file, located as precisely as the input allows."""

    file: str
    line: int | None
    column: int | None
    key: str
    message: str
    warning: bool = False  # valid, but probably not what was meant: said, never fatal

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        message = f"warning: {self.message}" if self.warning else self.message
        return f"{where}: {self.key}: {message}" if self.key else f"{where}: {message}"


def in_file_order(problems) -> list[Problem]:
    """Problems without repeats, sorted by file, line, column and key."""
    return sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.column or 0, p.key, p.message))


class ScenarioError(PkosimError):
    """One or more problems in scenario or theatre files (and the warnings found with them, printed alongside)."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] = ()):
        self.problems = in_file_order(problems)
        self.warnings = in_file_order(warnings)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):
        # Rebuilt from its problems, not from the message (the default): an error raised in a worker process must
        # reach the parent whole, or the pool's result thread dies on it and the batch hangs.
        return type(self), (self.problems, self.warnings)

    def lines(self) -> list[str]:
        """Every problem, then every warning, each in file order."""
        return [str(p) for p in self.problems + self.warnings]
