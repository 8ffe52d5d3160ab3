"""``pkosim sensitivity`` and ``pkosim discover``: what a sweep batch says about its inputs (docs/explore.md).

Both read a finished sweep batch (a scenario with ``sweep:``) and write their tables and figures into it, or into
``--out``. User errors (not a sweep, an unknown metric or year, a bad ``--where``) are one-line ``PkosimError``s.
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
    print(f"wrote {paths['csv']}, {paths['md']}, {paths['tornado']} and {paths['indices']}")
    return 0


def register(subparsers) -> None:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    p = subparsers.add_parser(
        "sensitivity", formatter_class=formatter,
        help="which swept inputs matter: Sobol indices, Morris effects or a linear fallback, noise separated",
        description="Global sensitivity of one metric to the parameters of a sweep batch: Sobol S1/ST (sobol "
                    "design), Morris mu*/sigma (morris) or linear swings and SRC^2 (grid, latin_hypercube), "
                    "estimated on replication means with the share of run-to-run noise reported. Writes "
                    "sensitivity_<metric>.csv/.md and a tornado and an index chart (PNG).")
    p.add_argument("dir", metavar="DIR", help="a sweep batch directory")
    p.add_argument("--metric", default="hostile_deaths", metavar="M", help="yearly metric")
    p.add_argument("--year", default=ALL, metavar="Y", help="calendar year, or 'all' for the whole run (counts as "
                   "an annual rate)")
    p.add_argument("--out", metavar="DIR", help="where to write the table and figures (default: the batch directory)")
    p.set_defaults(func=_sensitivity)
