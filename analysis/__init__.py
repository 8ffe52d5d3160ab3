"""pkosim's analysis layer: reads result directories (never the model's internals) and turns them into tables,
comparisons, figures and reports.

It depends only on the result-file contract (docs/results.md) and, for maps, on the theatre data
(``sim.theatre``). Every function that takes ``dirs`` accepts batch directories, folders holding several batch
directories (expanded in name order), or ``Batch`` objects. User errors (a missing directory, a batch with no
results, an unknown metric, unpaired batches) raise ``sim.errors.PkosimError`` with a one-line message.

Python API (stable; ``pkosim study`` and scripts call it)::

    from analysis.results import find_batches, put_first   # -> list[Batch]; Batch.read(table, columns, filter)
    from analysis.summary import summarize, write_summary  # DataFrame per scenario/metric/year; summary.csv/.md
    from analysis.compare import compare, write_comparison # paired effects vs the first batch; comparison.csv/.md
    from analysis.compare import findings                  # headline findings, caveats and their comparison
    from analysis.headlines import headline_findings       # one plain sentence per counterfactual (pure)
    from analysis.plots import make_figure, save_figure    # kinds: timeseries, map, breakdown, compare, convergence
    from analysis.report import write_report, build_report # one self-contained HTML file
    from analysis.sensitivity import analyse, write_sensitivity  # which swept inputs matter (docs/explore.md)
    from analysis.discovery import discover, write_discovery     # where in a sweep a condition holds (PRIM)
    from analysis.attribution import attribute, write_attribution  # each change's Shapley share of a difference
    from analysis.metrics import METRICS, KEY_METRICS      # units, labels and aggregation of every result column
    from analysis.io import write_text                     # atomic text write (temp file + os.replace)

- ``summarize(dirs, metrics=None) -> DataFrame``: columns scenario, point, metric, unit, year, days, n, mean,
  median, p5, p95, ci_low, ci_high, sd; ``year`` is "2021", ... or "all" (whole run: counts as an annual rate,
  shares as days-weighted means).
- ``compare(dirs, metrics=None) -> DataFrame``: each batch against the first, paired on (point, run) with equal
  seeds (refused otherwise); diff, ci_low, ci_high, relative_diff, welch_ci_low/high and ``narrowing`` (how much
  narrower the paired interval is than the unpaired one) and sd_diff (0 with a zero diff: identical runs), per
  year and for the whole run.
- ``write_summary(dirs, out_dir=None, metrics=None)``, ``write_comparison(dirs, out_dir=None, metrics=None)``:
  return ``(table, {"csv": path, "md": path})``; default folder: the first batch directory.
- ``make_figure(dirs, kind, metric=None, daily=False) -> Figure`` and ``save_figure(fig, path, batches)`` (PNG
  with provenance text chunks: pkosim version, scenario hashes, git commit).
- ``write_report(dirs, out=None, metrics=None) -> Path`` (default ``<first batch>/report.html``). Its
  Exploration section holds the sensitivity of each sweep batch to the first metric asked for (hostile deaths by
  default), computed for the report, then every section file (``*.section.json``) that ``write_sensitivity``,
  ``write_discovery`` or ``write_attribution`` saved in a folder given, its sub-folders or a batch's folder, shown
  from its saved numbers and figures so that a report never runs an attribution again. An attribution folder
  stands for its baseline and target batches.
- Figures and tables of a sweep count "60 points x 20 replications" (``results.replications_text``), not runs.

Modules: ``results`` (finding and lazily reading batches through ``pyarrow.dataset``), ``metrics``, ``stats``
(intervals), ``summary``, ``compare``, ``headlines`` (the sentences a report opens with), ``plots/`` (one module per
figure kind, ``style`` for the shared look and provenance), ``report``, ``html`` (pages from the Jinja2 templates in
``templates/``, autoescaped; tables and embedded figures as template data), ``io`` (atomic writes that replace only an
earlier output of the same kind), ``cli`` (``pkosim summarize|compare|plot|report``). Exploration (docs/explore.md):
``sweeps`` (a sweep batch's validated design and outcome per point), ``sensitivity``, ``conditions`` (the
``--where`` grammar, parsed, never evaluated), ``discovery``, ``attribution``, ``fragments`` (their report
sections as data for the templates, and the section files a report reads back as untrusted input), ``explore_cli``
(``pkosim sensitivity|discover``; ``pkosim attribute`` runs scenarios, so it lives in ``pkosim.attribute``).
"""
