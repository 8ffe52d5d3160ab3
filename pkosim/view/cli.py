"""``pkosim view SCENARIO.yaml [--compare OTHER.yaml] [--seed S] [--run K] [--port P]``."""

from __future__ import annotations

import argparse

from sim.scenario import load_scenario

DEFAULT_PORT = 8765


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "view", help="watch a run in the browser (a map of the theatre, charts), or two scenarios side by side",
        description="Start a local web app that steps the model day by day: a map of the theatre (camps, French "
                    "bases, roads and their IEDs, convoys, incidents, medevac flights), play / pause / step, a date "
                    "slider and live charts. With --compare, two maps side by side on the same random numbers and "
                    "the running difference in deaths. Open the printed address in a browser; Ctrl-C stops.")
    parser.add_argument("scenario", help="scenario file")
    parser.add_argument("--compare", metavar="OTHER", help="a second scenario over the same window, replayed beside "
                                                           "the first with the same seed")
    parser.add_argument("--seed", type=int, help="root seed (default: the scenario's seed); the view shows the run "
                                                 "that pkosim run --seed S gives as replication --run")
    parser.add_argument("--run", type=int, default=0, help="replication index under the root seed (default 0: the "
                                                           "first run of a batch)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0: any free port)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from sim.errors import PkosimError

    if args.run < 0:
        raise PkosimError(f"--run {args.run}: a replication index is 0 or more")
    if not 0 <= args.port <= 65535:
        raise PkosimError(f"--port {args.port}: a port is 1 to 65535 (or 0 for any free port)")
    if args.seed is not None and args.seed < 0:
        raise PkosimError(f"--seed {args.seed}: a seed is 0 or more")
    scenarios = [load_scenario(args.scenario)]
    if args.compare:
        scenarios.append(load_scenario(args.compare))
    from pkosim.view.replay import check_same_window
    from pkosim.view.server import ViewConfig, serve

    check_same_window(scenarios)
    seed = scenarios[0].seed if args.seed is None else args.seed
    try:
        serve(ViewConfig(tuple(scenarios), seed, args.run), args.port)
    except KeyboardInterrupt:
        pass
    print("pkosim view: stopped", flush=True)
    return 0
