"""Sub-commands of the analysis layer: ``summarize``, ``compare``, ``plot`` and ``report``.

Each reads result directories (a batch directory, or a folder of them; other paths given, such as files a shell
glob picked up, are skipped with a one-line note) and writes its outputs atomically, never over a file that is not
an earlier output of the same kind (``analysis.io``). User errors (a missing directory, an unknown metric, unpaired
batches, a damaged batch) are ``PkosimError``s: one line, exit code 2; a full disk or a read-only folder exits 3.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.io import check_target
from analysis.metrics import parse_metrics

# What the first bytes of a report and of a figure look like (analysis.io recognises earlier outputs by them).
REPORT_SIGNATURE = b'<meta name="pkosim-provenance"'
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n pkosim_version"


def _summarize(args) -> int:
    from analysis.summary import display_table, to_text, write_summary

    from analysis.headlines import interval_kind
    from analysis.results import find_batches, posteriors

    metrics = parse_metrics(args.metrics)
    batches = find_batches(args.dirs)
    table, paths = write_summary(batches, args.out, metrics)
    print(f"Intervals: {interval_kind(posteriors(batches))}.")
    print(to_text(display_table(table)))
    print(f"wrote {paths['csv']} and {paths['md']}")
    return 0


def _compare(args) -> int:
    from analysis.compare import display_table, write_comparison
    from analysis.summary import to_text

    from analysis.results import find_batches, put_first

    metrics = parse_metrics(args.metric)
    batches = put_first(find_batches(args.dirs), args.baseline)
    table, paths = write_comparison(batches, args.out, metrics)
    from analysis.headlines import interval_kind
    from analysis.results import posteriors

    print(f"Intervals: {interval_kind(posteriors(batches))}.")
    print(to_text(display_table(table)))
    from analysis.compare import findings
    from analysis.headlines import to_text as headline_text

    print(headline_text(*findings(batches)[:2]))
    print(f"wrote {paths['csv']} and {paths['md']}")
    return 0


def _plot(args) -> int:
    from analysis.plots import check_kind, make_figure, save_figure
    from analysis.results import find_batches, put_first

    check_kind(args.kind)
    if args.out:
        check_target(args.out, PNG_SIGNATURE)  # refuse before drawing, not after
    table = "daily" if args.daily else "yearly"
    metrics = parse_metrics(args.metric, table, default=())
    batches = put_first(find_batches(args.dirs), args.baseline)
    fig = make_figure(batches, args.kind, metrics or None, daily=args.daily)
    suffix = f"_{metrics[0]}" if metrics and args.kind in ("timeseries", "convergence") else ""
    out = Path(args.out) if args.out else batches[0].path / f"{args.kind}{suffix}{'_daily' if args.daily else ''}.png"
    save_figure(fig, out, batches)
    print(f"wrote {out}")
    return 0


def _report(args) -> int:
    from analysis.report import gather, write_report
    from analysis.results import put_first

    if args.out:
        check_target(args.out, REPORT_SIGNATURE)  # refuse before building the report, not after
    batches, folders = gather(args.dirs)
    path = write_report(put_first(batches, args.baseline), args.out, parse_metrics(args.metrics), folders=folders)
    print(f"wrote {path}")
    return 0


def _add_baseline(parser) -> None:
    parser.add_argument("--baseline", metavar="NAME", help="scenario to compare against (default: the first DIR; "
                        "a folder expands in name order)")


def register(subparsers) -> None:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    p = subparsers.add_parser("summarize", help="per scenario, metric and year: mean, median, 5-95%%, 95%% CI",
                              formatter_class=formatter)
    p.add_argument("dirs", nargs="+", metavar="DIR", help="batch directory, or a folder of batch directories")
    p.add_argument("--out", metavar="DIR", help="where to write summary.csv and summary.md (default: first DIR)")
    p.add_argument("--metrics", metavar="M,...", help="yearly metrics (default: a key set)")
    p.set_defaults(func=_summarize)

    p = subparsers.add_parser("compare", help="paired effects of each scenario against the first, with 95%% CIs",
                              formatter_class=formatter)
    p.add_argument("dirs", nargs="+", metavar="DIR", help="baseline batch first, then the others (or a folder)")
    p.add_argument("--metric", "--metrics", action="append", metavar="M,...", help="yearly metrics (repeatable)")
    p.add_argument("--out", metavar="DIR", help="where to write comparison.csv and .md (default: the baseline's "
                   "DIR, as comparison_2.csv, ... when comparison.csv there compares other scenarios)")
    _add_baseline(p)
    p.set_defaults(func=_compare)

    p = subparsers.add_parser("plot", help="a figure: timeseries, map, breakdown, compare, convergence",
                              formatter_class=formatter)
    p.add_argument("dirs", nargs="+", metavar="DIR")
    p.add_argument("--kind", required=True, help="timeseries | map | breakdown | compare | convergence")
    p.add_argument("--metric", action="append", metavar="M", help="metric (compare: several, comma-separated)")
    p.add_argument("--daily", action="store_true", help="timeseries: daily instead of yearly")
    p.add_argument("--out", metavar="FILE", help="PNG file (default: <first DIR>/<kind>[_<metric>].png)")
    _add_baseline(p)
    p.set_defaults(func=_plot)

    p = subparsers.add_parser("report", help="one self-contained HTML report with tables, figures, provenance",
                              formatter_class=formatter,
                              description="One self-contained HTML report: headline findings, effects, tables, "
                                          "figures, then exploration (a sweep's sensitivity, and the sections "
                                          "pkosim sensitivity, discover and attribute saved in the folders given, "
                                          "their sub-folders or the batches' folders), assumptions and provenance.")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="batch directory, folder of them, or an attribution folder "
                   "(its baseline and target)")
    p.add_argument("--out", metavar="FILE.html", help="default: <first DIR>/report.html")
    p.add_argument("--metrics", metavar="M,...", help="yearly metrics for the tables (default: a key set); a sweep's "
                   "sensitivity is shown for the first (default: hostile_deaths)")
    _add_baseline(p)
    p.set_defaults(func=_report)
