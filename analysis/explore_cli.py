"""``pkosim sensitivity`` and ``pkosim discover``: what a sweep batch says about its inputs (docs/explore.md).

Both read a finished sweep batch (a scenario with ``sweep:``) and write their tables, figures and the section file
``pkosim report`` shows (``.section.json``) into it, or into ``--out``. User errors (not a sweep, an unknown metric
or year, a bad ``--where``) are one-line ``PkosimError``s.
"""

from __future__ import annotations

import argparse

from analysis.summary import ALL


def _one_batch(path):
    from analysis.results import find_batches
    from sim.errors import PkosimError

    batches = find_batches(path)
    if len(batches) != 1:
        raise PkosimError(f"{path}: holds {len(batches)} batches ({', '.join(b.name for b in batches[:4])}); give one "
                          "batch directory")
    return batches[0]


def _sensitivity(args) -> int:
    from analysis.sensitivity import display_table, summary_lines, write_sensitivity
    from analysis.summary import to_text

    result, paths = write_sensitivity(_one_batch(args.dir), args.metric, args.year, args.out)
    print("\n".join(summary_lines(result)) + "\n")
    print(to_text(display_table(result)))
    print(f"wrote {paths['csv']}, {paths['md']}, {paths['tornado']}, {paths['indices']} and {paths['section']}")
    return 0


def _discover(args) -> int:
    from analysis.discovery import display_boxes, summary_lines, write_discovery
    from analysis.summary import to_text

    second = _one_batch(args.dir2) if args.dir2 else None
    result, paths = write_discovery(_one_batch(args.dir), second, args.out, where=args.where, metric=args.metric,
                                    year=args.year, cases=args.cases, boxes=args.boxes, min_density=args.min_density)
    print("\n".join(summary_lines(result)) + "\n")
    print(to_text(display_boxes(result)))
    print(f"wrote {paths['csv']}, {paths['trajectory']}, {paths['md']}, {paths['png']} and {paths['section']}")
    return 0


def register(subparsers) -> None:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    p = subparsers.add_parser(
        "sensitivity", formatter_class=formatter,
        help="which swept inputs matter: Sobol indices, Morris effects or a linear fallback, noise separated",
        description="Global sensitivity of one metric to the parameters of a sweep batch: Sobol S1/ST (sobol "
                    "design), Morris mu*/sigma (morris) or linear swings and SRC^2 (grid, latin_hypercube), "
                    "estimated on replication means with the share of run-to-run noise reported. Writes "
                    "sensitivity_<metric>.csv/.md, a tornado and an index chart (PNG) and a section file "
                    "that pkosim report shows.")
    p.add_argument("dir", metavar="DIR", help="a sweep batch directory")
    p.add_argument("--metric", default="hostile_deaths", metavar="M", help="yearly metric")
    p.add_argument("--year", default=ALL, metavar="Y", help="calendar year, or 'all' for the whole run (counts as "
                   "an annual rate)")
    p.add_argument("--out", metavar="DIR", help="where to write the table and figures (default: the batch directory)")
    p.set_defaults(func=_sensitivity)

    p = subparsers.add_parser(
        "discover", formatter_class=formatter,
        help="scenario discovery (PRIM): where in a sweep's ranges a condition on the outcome holds",
        description="Find boxes of the swept parameters' ranges where a condition holds, with PRIM "
                    "(ema_workbench). With two batches of the same sweep and seeds, metrics in the condition are "
                    "paired differences DIR2 minus DIR (as in pkosim compare): --where \"hostile_deaths <= -2\" "
                    "finds where DIR2 saves at least 2 lives a year. Writes discovery_<condition>.csv (box "
                    "limits), _trajectory.csv, .md, a figure (PNG) and a section file that pkosim report "
                    "shows.")
    p.add_argument("dir", metavar="DIR", help="a sweep batch directory (the baseline of a paired difference)")
    p.add_argument("dir2", nargs="?", metavar="DIR2", help="the same sweep with the option: metrics become DIR2 - DIR")
    p.add_argument("--where", required=True, metavar="EXPR", help="metric OP number [and ...]; OP one of < <= > >=; "
                   "a clause without a metric uses --metric")
    p.add_argument("--metric", metavar="M", help="the metric of clauses that name none")
    p.add_argument("--year", default=ALL, metavar="Y", help="calendar year, or 'all' for the whole run (counts as "
                   "an annual rate)")
    p.add_argument("--cases", default="points", choices=("points", "runs"), help="a case is a design point "
                   "(mean of its replications) or a run")
    p.add_argument("--boxes", type=int, default=1, metavar="N", help="boxes to look for")
    p.add_argument("--min-density", type=float, default=0.8, metavar="D", help="report the box with the most "
                   "coverage whose density reaches D")
    p.add_argument("--out", metavar="DIR", help="where to write the tables and figure (default: DIR)")
    p.set_defaults(func=_discover)
