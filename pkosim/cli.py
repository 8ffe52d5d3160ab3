"""``pkosim``: one entry point, one sub-command per task.

Each layer registers its own sub-commands (``register(subparsers)``), so this file only wires them together and
turns every failure into one line on stderr and an exit code that says what kind of failure it was
(``sim.errors``: 0 ok, 1 some runs failed, 2 bad input, 3 environment, 130 interrupted), never a traceback.
SIGTERM is handled like Ctrl-C: a batch stops cleanly, writes what finished and exits 130.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading

from sim import __version__
from sim.errors import EXIT_ENVIRONMENT, EXIT_INTERRUPTED, PkosimError, from_os_error

# Modules that provide ``register(subparsers)``, in the order their commands appear in ``pkosim --help``.
COMMAND_MODULES = [
    "sim.scenario.cli",
    "sim.runner.cli",
    "pkosim.calibrate",
    "analysis.cli",
    "analysis.explore_cli",
    "pkosim.attribute",
    "pkosim.study",
    "pkosim.view.cli",
    "pkosim.ledger",
    "pkosim.score",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pkosim",
        description="Scenario simulator for peacekeeping under withdrawal (MINUSMA, Mali 2014-2023).",
        epilog="Exit codes: 0 ok; 1 some runs failed; 2 bad input; 3 environment (disk full, permissions, "
               "read-only folder, batch locked by another process); 130 interrupted (Ctrl-C or SIGTERM).",
    )
    parser.add_argument("--version", action="version", version=f"pkosim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _terminate_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _ignore_further_interrupts() -> None:
    """After the first Ctrl-C has been handled, a second one must not print a traceback while we exit."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = (signal.getsignal(signal.SIGINT), signal.signal(signal.SIGTERM, _terminate_as_interrupt)) \
        if in_main_thread else None
    code = EXIT_INTERRUPTED
    try:
        code = _run(args)
        return code
    finally:
        if previous is not None:
            if code == EXIT_INTERRUPTED and argv is None:
                # The program exits after an interruption: a second Ctrl-C must not break that with a traceback
                # from the interpreter's shutdown. (Called with argv, as tests do, the handlers are restored.)
                _ignore_further_interrupts()
            else:
                for signum, handler in zip((signal.SIGINT, signal.SIGTERM), previous):
                    if handler is not None:
                        signal.signal(signum, handler)

def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except PkosimError as error:
        for line in error.lines():
            print(line, file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        _ignore_further_interrupts()
        print("pkosim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as error:  # a write or read the layers did not wrap: still one line, with the path
        problem = from_os_error(error, error.filename, "read or write")
        print(problem, file=sys.stderr)
        return problem.exit_code
    except MemoryError:
        print("pkosim: out of memory (a smaller batch or design, or fewer --workers, needs less)", file=sys.stderr)
        return EXIT_ENVIRONMENT

if __name__ == "__main__":
    sys.exit(main())
