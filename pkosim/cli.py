"""``pkosim``: one entry point, one sub-command per task.

Each layer registers its own sub-commands (``register(subparsers)``), so this file only wires them together and
turns user errors into one-line messages with a non-zero exit code instead of tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sim import __version__
from sim.errors import PkosimError

# Modules that provide ``register(subparsers)``, in the order their commands appear in ``pkosim --help``.
COMMAND_MODULES = [
    "sim.scenario.cli",
    "sim.runner.cli",
    "sim.calibration.cli",
    "analysis.cli",
    "analysis.explore_cli",
    "pkosim.attribute",
    "pkosim.study",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pkosim",
        description="Scenario simulator for peacekeeping under withdrawal (MINUSMA, Mali 2014-2023).",
    )
    parser.add_argument("--version", action="version", version=f"pkosim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PkosimError as error:
        for line in error.lines():
            print(line, file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("pkosim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
