"""Errors meant for people, not for debuggers.

Every error the user can cause (a malformed scenario, a missing file, an impossible parameter) is raised as a
``PkosimError`` whose ``str()`` is a complete one-line message naming the file, line and key where known. The
command-line entry point prints those lines and exits non-zero; it never shows a traceback for them.
"""

from __future__ import annotations

from dataclasses import dataclass


class PkosimError(Exception):
    """A user-facing error. ``lines()`` gives the messages to print, one per problem."""

    exit_code = 2

    def lines(self) -> list[str]:
        return [str(self)]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in an input file, located as precisely as the input allows."""

    file: str
    line: int | None
    column: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ScenarioError(PkosimError):
    """One or more problems in scenario or theatre files."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.column or 0, p.key, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]
